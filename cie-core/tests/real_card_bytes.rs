//! Bytes a real card produced, replayed into the host (issue 21 item 8; origins in
//! `real_cards/README.md`): a key-`83` INTERNAL AUTHENTICATE answer with the card's EF 1005,
//! checked by `cie_core::internal_auth`; and the simulator's answer, checked the same way.

use cie_core::error::{Error, SignatureError};
use cie_core::internal_auth;

const EF_1005: &[u8] = include_bytes!("real_cards/test_card_2020_ef_1005.der");
const CHALLENGE: &[u8] = include_bytes!("real_cards/test_card_2020_key83_challenge.bin");
const ANSWER: &[u8] = include_bytes!("real_cards/test_card_2020_key83_answer.bin");

#[test]
fn a_real_key_83_answer_verifies_with_its_ef_1005() {
    // EF 1005 as the card stores it: RSAPublicKey, 2048-bit modulus (270 bytes).
    assert_eq!((EF_1005.len(), ANSWER.len()), (270, 256));
    assert_eq!(CHALLENGE, b"02461");
    internal_auth::verify_answer(EF_1005, CHALLENGE, ANSWER).unwrap();
    // With the zero padding some cards put after the key (PROTOCOL.md §2.2).
    let padded = [EF_1005, &[0u8; 26][..]].concat();
    internal_auth::verify_answer(&padded, CHALLENGE, ANSWER).unwrap();
}

#[test]
fn a_real_key_83_answer_fails_for_another_challenge_or_when_altered() {
    let refused = |challenge: &[u8], answer: &[u8]| {
        matches!(
            internal_auth::verify_answer(EF_1005, challenge, answer),
            Err(Error::CardSignature(SignatureError::DoesNotVerify))
        )
    };
    assert!(refused(b"02462", ANSWER));
    let mut altered = ANSWER.to_vec();
    altered[100] ^= 0x01;
    assert!(refused(CHALLENGE, &altered));
}

/// The simulated card answers key-`83` INTERNAL AUTHENTICATE with the scheme the real card
/// above uses: the session's card-binding signature over the NIS verifies with its EF 1005.
#[test]
fn the_simulator_answers_key_83_as_the_real_card_does() {
    use cie_sim::{fixtures, image::SodProfile, Profile, SimCard, SimHandle, SimOptions};
    let image = fixtures::card_image(SodProfile::Sha256Pkcs1);
    let handle = SimHandle::new(SimCard::new(Profile::Nxp, image.clone(), SimOptions::default()));
    let mut session = cie_core::session::Session::open(handle.connect()).unwrap();
    let answer = session.card_binding_signature().unwrap();
    internal_auth::verify_answer(&image.servizi_kpub, fixtures::TEST_NIS.as_bytes(), &answer).unwrap();
}

/// The DH group answers laid out as real cards send them. No public source holds a real card's
/// GET DATA answers for g, p and q (tests/real_cards/README.md); a public man-in-the-middle
/// relay written against real cards (its fixed offsets) fixes their layout: g and p come as a
/// 256-byte first part ending in `61 12` and 18 more bytes after GET RESPONSE, behind the 18-byte
/// header `70 82 01 0E BF A1 01 82 01 08 A3 82 01 04 97|98 82 01 00` (the value on 256 bytes,
/// left-padded), q in one answer of 42 bytes behind `70 28 BF A1 01 24 A3 22 99 20`. The values
/// here are RFC 5114 §2.3's 2048-bit group with a 256-bit subgroup (the size the layout
/// implies; whether CIEs use that very group is not public).
#[test]
fn dh_group_answers_in_the_layout_of_real_cards_are_read() {
    use cie_core::dh;
    use cie_core::{Link, TransportError};

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
    let p = unhex(concat!(
        "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF45",
        "61B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C0",
        "22E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1",
        "CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E514056425",
        "1CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375",
        "D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597"
    ));
    let g = unhex(concat!(
        "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4A",
        "AC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2",
        "DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2",
        "767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9",
        "B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D",
        "1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659"
    ));
    let q = unhex("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3");
    assert_eq!((p.len(), g.len(), q.len()), (256, 256, 32));

    /// Answers GET DATA g/p in two parts (`61 12` + GET RESPONSE) and q in one, and records
    /// every command.
    struct RealLayout {
        answers: [Vec<u8>; 3],
        rest: Vec<u8>,
        sent: Vec<Vec<u8>>,
    }
    impl Link for RealLayout {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(command.to_vec());
            let mut answer = match command {
                [0x00, 0xC0, 0x00, 0x00, 0x12] => std::mem::take(&mut self.rest),
                [0x00, 0xCB, 0x3F, 0xFF, 0x0C, .., tag @ 0x97..=0x99, 0x00] => {
                    let whole = self.answers[usize::from(tag - 0x97)].clone();
                    if whole.len() > 256 {
                        self.rest = whole[256..].to_vec();
                        return Ok([&whole[..256], &[0x61, 0x12][..]].concat());
                    }
                    whole
                }
                _ => return Ok(vec![0x6D, 0x00]),
            };
            answer.extend_from_slice(&[0x90, 0x00]);
            Ok(answer)
        }
    }
    let long = |tag: u8, value: &[u8]| {
        [
            &[
                0x70, 0x82, 0x01, 0x0E, 0xBF, 0xA1, 0x01, 0x82, 0x01, 0x08, 0xA3, 0x82, 0x01, 0x04, tag, 0x82, 0x01,
                0x00,
            ][..],
            value,
        ]
        .concat()
    };
    let q_answer = [&[0x70, 0x28, 0xBF, 0xA1, 0x01, 0x24, 0xA3, 0x22, 0x99, 0x20][..], &q].concat();
    let mut card =
        RealLayout { answers: [long(0x97, &g), long(0x98, &p), q_answer], rest: Vec::new(), sent: Vec::new() };
    assert_eq!((card.answers[0].len(), card.answers[2].len()), (274, 42));
    let group = dh::read_group(&mut card, false).unwrap();
    assert_eq!((group.g, group.p, group.q), (g, p, q));
    let get_response = vec![0x00, 0xC0, 0x00, 0x00, 0x12];
    let headers: Vec<&[u8]> = card.sent.iter().map(|c| &c[..4]).collect();
    assert_eq!(headers.len(), 5, "GET DATA g, GET RESPONSE, GET DATA p, GET RESPONSE, GET DATA q: {:02X?}", card.sent);
    assert_eq!((&card.sent[1], &card.sent[3]), (&get_response, &get_response));
}
