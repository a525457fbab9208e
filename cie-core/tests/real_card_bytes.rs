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
