//! Strict secure-messaging layout on the host (PROTOCOL.md §5.2, §5.4) and independent vectors
//! for the key derivation (§4.3 step 6) and the counter after device authentication (§4.4.3).
//!
//! Every byte string below is written out by hand. Where a MAC has to be valid so that only the
//! layout is wrong, it was computed once with a throwaway reference of §5 written in Python
//! (python3 + `cryptography`: `hashlib.sha256` for the KDF, `TripleDES` in CBC/ECB for the
//! retail MAC), which first reproduced the §5.6 vectors (MAC `6D DD 67 02 02 3F 1F 87` of the
//! MSE SET answer and `87 C9 A9 85 3E AB 27 00` of the MSE SET command) and then gave the MACs
//! noted next to each case. Keys: K_ENC/K_MAC of §5.6 (Z = 00 01 .. FF).

mod common;

use cie_core::apdu::Command;
use cie_core::sm::{unprotect_command, unprotect_response, SmKeys, Ssc};
use cie_core::sw::StatusWord;
use cie_core::transport::{Link, Transport, TransportError};
use cie_core::{Error, SmError};
use cie_sim::{fixtures, image::SodProfile, Profile, SimCard, SimHandle, SimOptions, SimTransport};
use common::*;

fn h(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn k16(s: &str) -> [u8; 16] {
    h(s).try_into().unwrap()
}

/// K_ENC / K_MAC of PROTOCOL.md §5.6.
fn keys() -> SmKeys {
    SmKeys::new(k16("20D0CA4184B64CF791DA828CC135E354"), k16("9B0BB985660ADF0B819D798B8A6D9071"))
}

/// The counter before the MSE SET answer of §5.6 (the answer is MACed with `00 .. 03`).
const BEFORE_ANSWER: Ssc = Ssc([0, 0, 0, 0, 0, 0, 0, 2]);

fn response(body: &str) -> Result<cie_core::apdu::Response, SmError> {
    unprotect_response(&keys(), &mut BEFORE_ANSWER.clone(), &h(body))
}

#[test]
fn the_section_5_6_answer_is_accepted() {
    let r = response("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87").unwrap();
    assert_eq!(r.sw, StatusWord::OK);
    assert!(r.data.is_empty());
}

/// A DO87 replayed after DO8E (here the "123456789" object of the §5.6 READ BINARY answer)
/// used to be decrypted and returned as authentic: the MAC before it is valid.
#[test]
fn trailing_do87_is_refused() {
    let body = "99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87  87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68";
    assert_eq!(response(body), Err(SmError::Layout));
}

#[test]
fn trailing_do99_is_refused() {
    assert_eq!(response("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87  99 02 62 82"), Err(SmError::Layout));
}

/// Two DO87, MAC valid over both (reference MAC `B1 9F 45 5F 3B 0C 93 25`).
#[test]
fn duplicated_do87_is_refused() {
    let body = "87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68 \
                87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68 \
                99 02 90 00 8E 08 B1 9F 45 5F 3B 0C 93 25";
    assert_eq!(response(body), Err(SmError::Layout));
}

/// DO99 before DO87, MAC valid (reference MAC `52 52 86 EE 95 FE 7F 2D`).
#[test]
fn objects_out_of_order_are_refused() {
    let body = "99 02 90 00 87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68 \
                8E 08 52 52 86 EE 95 FE 7F 2D";
    assert_eq!(response(body), Err(SmError::Layout));
}

#[test]
fn do8e_of_7_and_9_bytes_is_refused() {
    assert_eq!(response("99 02 90 00 8E 07 6D DD 67 02 02 3F 1F"), Err(SmError::Malformed));
    assert_eq!(response("99 02 90 00 8E 09 6D DD 67 02 02 3F 1F 87 00"), Err(SmError::Malformed));
}

/// An unknown tag `53` before DO8E, MAC valid over it (reference MAC `2D 43 23 D3 E9 22 2A 24`).
#[test]
fn unknown_tag_before_do8e_is_refused() {
    assert_eq!(response("99 02 90 00 53 02 AA BB 8E 08 2D 43 23 D3 E9 22 2A 24"), Err(SmError::Layout));
}

#[test]
fn truncated_lengths_are_refused() {
    // DO8E announces 8 bytes, 7 follow.
    assert_eq!(response("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F"), Err(SmError::Malformed));
    // A DO87 whose two-byte length runs past the body.
    assert_eq!(response("87 82 01 00 01 C0 C0 99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87"), Err(SmError::Malformed));
    // A length byte cut off at the end, after a complete answer.
    assert_eq!(response("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87 87 81"), Err(SmError::Malformed));
    // A lone tag byte after DO8E.
    assert_eq!(response("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87 00"), Err(SmError::Malformed));
    // DO99 of 1 byte, DO87 whose ciphertext is not whole blocks, DO87 without the 01 indicator.
    assert_eq!(response("99 01 90 8E 08 6D DD 67 02 02 3F 1F 87"), Err(SmError::Malformed));
    assert_eq!(response("87 04 01 C0 C0 20 99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87"), Err(SmError::Malformed));
    assert_eq!(
        response("87 09 02 C0 C0 20 86 4C CC E3 90 99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87"),
        Err(SmError::Malformed)
    );
}

#[test]
fn missing_objects_are_refused() {
    assert_eq!(response(""), Err(SmError::MissingObject));
    assert_eq!(response("99 02 90 00"), Err(SmError::MissingObject));
    assert_eq!(response("8E 08 6D DD 67 02 02 3F 1F 87"), Err(SmError::MissingObject));
}

/// The host library's own command unwrapping (used by benches and fuzzing) follows §5.2 just as
/// strictly: the §5.6 MSE SET command is accepted, every deviation is `69 88` (`69 87` without
/// DO8E).
#[test]
fn command_layout_is_strict_too() {
    let apdu = |s: &str| Command::parse(&h(s)).unwrap();
    let unwrap = |s: &str| unprotect_command(&keys(), &mut Ssc::INITIAL.clone(), &apdu(s));
    let good =
        unwrap("0C 22 81 B6 18 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 00").unwrap();
    assert_eq!(good.data, [0x80, 0x01, 0x41, 0x83, 0x01, 0x84]);
    assert_eq!(good.le, Some(256));
    let incorrect = Err(StatusWord::SM_OBJECTS_INCORRECT);
    // Trailing DO87 and DO99 after a valid MAC.
    let trailing87 = "0C 22 81 B6 23 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 \
                      87 09 01 F5 CF EB E9 57 0F D6 FF 00";
    assert_eq!(unwrap(trailing87), incorrect);
    let trailing99 = "0C 22 81 B6 1C 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 \
                      99 02 90 00 00";
    assert_eq!(unwrap(trailing99), incorrect);
    // Two DO87 (reference MAC 9E 36 8B 51 4E 79 C9 6E).
    let dup = "0C 22 81 B6 23 87 09 01 F5 CF EB E9 57 0F D6 FF 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 \
               8E 08 9E 36 8B 51 4E 79 C9 6E 00";
    assert_eq!(unwrap(dup), incorrect);
    // Unknown tag 53 before DO8E (reference MAC 29 87 E5 54 CF 68 3C 04).
    let unknown = "0C 22 81 B6 1B 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 53 01 00 \
                   8E 08 29 87 E5 54 CF 68 3C 04 00";
    assert_eq!(unwrap(unknown), incorrect);
    // DO85 on an even INS (reference MAC A0 B2 62 E3 12 E1 8B 2B).
    let odd = "0C 22 81 B6 17 85 08 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 A0 B2 62 E3 12 E1 8B 2B 00";
    assert_eq!(unwrap(odd), incorrect);
    // DO97 before DO87 (reference MAC E2 9D 33 91 57 6E 5E C2).
    let order = "0C 22 81 B6 18 97 01 00 87 09 01 F5 CF EB E9 57 0F D6 FF 8E 08 E2 9D 33 91 57 6E 5E C2 00";
    assert_eq!(unwrap(order), incorrect);
    // DO8E of 7 and of 9 bytes; a truncated DO87 length.
    assert_eq!(
        unwrap("0C 22 81 B6 17 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 07 87 C9 A9 85 3E AB 27 00"),
        incorrect
    );
    assert_eq!(
        unwrap("0C 22 81 B6 19 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 09 87 C9 A9 85 3E AB 27 00 00 00"),
        incorrect
    );
    assert_eq!(unwrap("0C 22 81 B6 05 87 81 F5 CF EB 00"), incorrect);
    // No DO8E at all.
    assert_eq!(unwrap("0C 22 81 B6 03 97 01 00 00"), Err(StatusWord::SM_OBJECTS_MISSING));
}

/// PROTOCOL.md §4.3 step 6: `K_ENC = SHA-256(Z || 00000001)[0..16)`, `K_MAC = SHA-256(Z ||
/// 00000002)[0..16)`. Values from §5.6 (Z = 00 01 .. FF) and two more computed with Python's
/// `hashlib.sha256` (Z = 256 × FF; Z = 255 × 00 || 01, a value with leading zero bytes that must
/// stay on 256 bytes).
#[test]
fn key_derivation_vectors() {
    let cases = [
        ((0..=255u8).collect::<Vec<u8>>(), "20D0CA4184B64CF791DA828CC135E354", "9B0BB985660ADF0B819D798B8A6D9071"),
        (vec![0xFF; 256], "DA817B65EEADB2FE5C25D0E57347F4ED", "D6957647BEFC6A77C4E6CE40691A0F67"),
        ([vec![0; 255], vec![1]].concat(), "4FD5A7FFA519B1D0D1D493AEAE6C451B", "23BE364465212C3CB3195001BE8EF98A"),
    ];
    for (z, enc, mac) in cases {
        let k = SmKeys::derive(&z);
        assert_eq!(k.enc(), &k16(enc));
        assert_eq!(k.mac_key(), &k16(mac));
    }
}

/// PROTOCOL.md §4.3 step 7 and §4.4.3: SSC = 1 after DH; after DAPP
/// SSC = RND.ICC[4..8) || RND.IFD[4..8), and the first command uses that value + 1.
#[test]
fn counter_vectors() {
    assert_eq!(Ssc::INITIAL, Ssc([0, 0, 0, 0, 0, 0, 0, 1]));
    let rnd_icc = [0xA1, 0xA2, 0xA3, 0xA4, 0x11, 0x22, 0x33, 0x44];
    let rnd_ifd = [0xB1, 0xB2, 0xB3, 0xB4, 0x55, 0x66, 0x77, 0x88];
    let mut ssc = Ssc::after_dapp(&rnd_icc, &rnd_ifd);
    assert_eq!(ssc, Ssc([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
    // The §5.6 VERIFY vector was made with exactly this counter ("e.g. after DAPP").
    let verify = Command::new(0x00, 0x20, 0x00, 0x81).with_data(*b"12345678");
    let p = cie_core::sm::protect_command(&keys(), &mut ssc, &verify);
    assert_eq!(
        p.to_bytes().unwrap(),
        h("0C 20 00 81 1D 87 11 01 C0 C0 20 86 4C CC E3 90 B9 B0 B1 12 67 FF 1A 97 8E 08 D9 75 C9 BC B1 DD F2 42 00")
    );
    assert_eq!(ssc, Ssc([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x89]));
    // The counter wraps at 2^64 (§5.1: an 8-byte big-endian counter).
    let mut top = Ssc([0xFF; 8]);
    top.increment();
    assert_eq!(top, Ssc([0; 8]));
}

/// A simulated card whose `n`-th answer from now gets a hand-written DO87 slipped in after
/// DO8E (before the status word), as a man in the middle replaying an object would.
struct Appending {
    inner: SimTransport,
    countdown: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

struct AppendingLink<'a> {
    inner: Box<dyn Link + 'a>,
    countdown: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Link for AppendingLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        use std::sync::atomic::Ordering;
        let mut resp = self.inner.transmit(command)?;
        if self.countdown.load(Ordering::SeqCst) > 0 && self.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            let sw = resp.split_off(resp.len() - 2);
            resp.extend_from_slice(&h("87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68"));
            resp.extend_from_slice(&sw);
        }
        Ok(resp)
    }
}

impl Transport for Appending {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let inner = self.inner.transaction()?;
        Ok(Box::new(AppendingLink { inner, countdown: self.countdown.clone() }))
    }

    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.atr()
    }
}

/// End to end: an object after the MAC makes the session drop the channel and rebuild it (DH +
/// DAPP + PIN), exactly as a bad MAC does, and the signature then comes out right.
#[test]
fn session_rebuilds_the_channel_after_a_layout_error() {
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let countdown = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let transport = Appending { inner: handle.connect(), countdown: countdown.clone() };
    let mut session = cie_core::session::Session::open(transport).unwrap();
    session.verify_pin(&pin()).unwrap();
    session.sign(cie_core::sign::HashAlg::Sha256, b"warm up").unwrap();
    let before = handle.apdus();
    // The answer to the next APDU (the signature's MSE SET, under SM) carries the extra DO87.
    countdown.store(1, std::sync::atomic::Ordering::SeqCst);
    let sig = session.sign(cie_core::sign::HashAlg::Sha256, b"after tamper").unwrap();
    let cost = handle.apdus() - before;
    assert!(cost > 3 + 14, "no channel rebuild after a layout error ({cost} APDUs)");
    let key = certificate_key(&session.certificate().unwrap());
    key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &cie_core::sign::HashAlg::Sha256.hash(b"after tamper"), &sig)
        .unwrap();
    assert_eq!(handle.with_card(|c| c.pin_tries_left()), 3);
    // And the error itself is the typed SM error.
    let e: Error = SmError::Layout.into();
    assert!(matches!(e, Error::SecureMessaging(SmError::Layout)));
}
