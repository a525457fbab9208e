//! PIN/PUK (PROTOCOL.md §6), protected files and signatures (§2.2, §7.1), card side.

mod card_util;

use card_util::*;
use cie_core::apdu::Command;
use cie_core::sw::StatusWord;
use cie_sim::{Profile, SimCard, SimOptions};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

const PIN: &[u8] = b"12345678";
const PUK: &[u8] = b"87654321";
const WRONG: &[u8] = b"11111111";

fn tries(sw: StatusWord) -> Option<u8> {
    (sw.sw1() == 0x63 && sw.sw2() & 0xF0 == 0xC0).then_some(sw.sw2() & 0x0F)
}

/// VERIFY without data: status query.
fn query(ch: &mut Channel, card: &mut SimCard, reference: u8) -> StatusWord {
    ch.send(card, &Command::new(0x00, 0x20, 0x00, reference)).1
}

fn certificate_key(der: &[u8]) -> RsaPublicKey {
    let cert = x509_cert::Certificate::from_der(der).unwrap();
    RsaPublicKey::from_public_key_der(&cert.tbs_certificate.subject_public_key_info.to_der().unwrap()).unwrap()
}

/// DigestInfo of SHA-256(data) (RFC 8017 §9.2 note 1).
fn digest_info(data: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ];
    v.extend_from_slice(&Sha256::digest(data));
    v
}

fn sign(ch: &mut Channel, card: &mut SimCard, key: u8, data: &[u8]) -> (Vec<u8>, StatusWord) {
    let mse = Command::new(0x00, 0x22, 0x41, 0xA4).with_data([0x80, 0x01, 0x02, 0x84, 0x01, key]);
    assert_eq!(ch.send(card, &mse), (vec![], OK));
    ch.send(card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data(data))
}

#[test]
fn verify_wrong_then_right_and_status_queries() {
    let mut card = card(Profile::Nxp);
    let mut ch = authenticate(&mut card, 1);
    assert_eq!(query(&mut ch, &mut card, 0x81), StatusWord::tries_left(3));
    let s = verify(&mut ch, &mut card, 0x81, WRONG);
    assert_eq!(tries(s), Some(2));
    assert_eq!(card.pin_tries_left(), 2);
    // The query spends nothing.
    assert_eq!(query(&mut ch, &mut card, 0x81), StatusWord::tries_left(2));
    assert_eq!(query(&mut ch, &mut card, 0x81), StatusWord::tries_left(2));
    // Wrong length spends nothing: 67 00.
    for bad in [&b"1234"[..], b"123456789", b"1234567"] {
        assert_eq!(verify(&mut ch, &mut card, 0x81, bad), StatusWord::WRONG_LENGTH);
    }
    assert_eq!(card.pin_tries_left(), 2);
    // Right PIN: 90 00, counter back to 3, query says verified.
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(card.pin_tries_left(), 3);
    assert_eq!(query(&mut ch, &mut card, 0x81), OK);
    // A failed VERIFY drops the PIN status.
    assert_eq!(tries(verify(&mut ch, &mut card, 0x81, WRONG)), Some(2));
    assert_eq!(query(&mut ch, &mut card, 0x81), StatusWord::tries_left(2));
    // Unknown reference, wrong P1.
    assert_eq!(verify(&mut ch, &mut card, 0x83, PIN), StatusWord::REFERENCE_NOT_FOUND);
    assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x20, 0x01, 0x81).with_data(PIN)).1, StatusWord::INCORRECT_P1P2);
}

#[test]
fn three_wrong_pins_block_counters_persist_and_puk_unblocks() {
    let mut card = card(Profile::Gemalto);
    let mut ch = authenticate(&mut card, 2);
    assert_eq!(verify(&mut ch, &mut card, 0x81, WRONG), StatusWord::tries_left(2));
    // Counters survive a reset (and the reset closes the session).
    card.reset();
    assert_eq!(card.pin_tries_left(), 2);
    let mut ch = authenticate(&mut card, 3);
    assert_eq!(verify(&mut ch, &mut card, 0x81, WRONG), StatusWord::tries_left(1));
    // The wrong try that reaches zero answers 63 C0; from then on 69 83, even for the right PIN.
    assert_eq!(verify(&mut ch, &mut card, 0x81, WRONG), StatusWord::tries_left(0));
    assert_eq!(card.pin_tries_left(), 0);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), StatusWord::AUTH_METHOD_BLOCKED);
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"1234"), StatusWord::AUTH_METHOD_BLOCKED);
    assert_eq!(query(&mut ch, &mut card, 0x81), StatusWord::AUTH_METHOD_BLOCKED);
    // RESET RETRY COUNTER needs the PUK first.
    assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x2C, 0x03, 0x81)).1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    // A wrong PUK spends a PUK try.
    assert_eq!(verify(&mut ch, &mut card, 0x82, b"00000000"), StatusWord::tries_left(9));
    assert_eq!(card.puk_tries_left(), 9);
    assert_eq!(verify(&mut ch, &mut card, 0x82, PUK), OK);
    assert_eq!(card.puk_tries_left(), 10);
    // C_InitPIN's sequence: RRC 03 (counter only, with LNX's DO97), then RRC 02 + new PIN.
    let rrc03 = Command::new(0x00, 0x2C, 0x03, 0x81).with_le(256);
    assert_eq!(ch.send(&mut card, &rrc03), (vec![], OK));
    assert_eq!(card.pin_tries_left(), 3);
    assert_eq!(
        ch.send(&mut card, &Command::new(0x00, 0x2C, 0x02, 0x81).with_data(*b"2468135x")).1,
        StatusWord::WRONG_DATA
    );
    assert_eq!(
        ch.send(&mut card, &Command::new(0x00, 0x2C, 0x02, 0x81).with_data(*b"2468")).1,
        StatusWord::WRONG_LENGTH
    );
    assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x2C, 0x02, 0x81).with_data(*b"24681357")), (vec![], OK));
    // The PUK status was consumed by setting the PIN.
    assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x2C, 0x03, 0x81)).1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), StatusWord::tries_left(2));
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"24681357"), OK);
    assert_eq!(card.pin_tries_left(), 3);
}

#[test]
fn puk_blocks_after_ten_wrong_tries() {
    let mut card = card(Profile::Stm3);
    let mut ch = authenticate(&mut card, 4);
    for left in (0..10).rev() {
        assert_eq!(verify(&mut ch, &mut card, 0x82, b"00000000"), StatusWord::tries_left(left));
    }
    assert_eq!(verify(&mut ch, &mut card, 0x82, PUK), StatusWord::AUTH_METHOD_BLOCKED);
    assert_eq!(card.puk_tries_left(), 0);
    // The PIN is unaffected.
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
}

#[test]
fn change_pin() {
    let mut card = card(Profile::Bit4id);
    let mut ch = authenticate(&mut card, 5);
    let change = |old: &[u8], new: &[u8]| Command::new(0x00, 0x24, 0x00, 0x81).with_data([old, new].concat());
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    // Wrong old PIN: a try is spent, and the PIN status with it.
    assert_eq!(ch.send(&mut card, &change(WRONG, b"13572468")).1, StatusWord::tries_left(2));
    assert_eq!(ch.send(&mut card, &change(PIN, b"13572468")).1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(card.pin_tries_left(), 2);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    // Malformed new PIN or length: nothing spent.
    assert_eq!(ch.send(&mut card, &change(PIN, b"1357246a")).1, StatusWord::WRONG_DATA);
    assert_eq!(ch.send(&mut card, &change(PIN, b"1357")).1, StatusWord::WRONG_LENGTH);
    assert_eq!(card.pin_tries_left(), 3);
    assert_eq!(ch.send(&mut card, &change(PIN, b"13572468")), (vec![], OK));
    assert_eq!(card.pin_tries_left(), 3);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), StatusWord::tries_left(2));
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"13572468"), OK);
    // Only the PIN can be changed (P2 81), only with old and new PIN (P1 00).
    assert_eq!(
        ch.send(&mut card, &Command::new(0x00, 0x24, 0x00, 0x82).with_data([PUK, PUK].concat())).1,
        StatusWord::REFERENCE_NOT_FOUND
    );
    assert_eq!(
        ch.send(&mut card, &Command::new(0x00, 0x24, 0x01, 0x81).with_data(*b"24681357")).1,
        StatusWord::INCORRECT_P1P2
    );
}

/// CHANGE REFERENCE DATA and RESET RETRY COUNTER are refused with `69 82`, spending nothing,
/// without secure messaging, without device authentication, or without the PIN (resp. PUK)
/// verified in the same secure channel (PROTOCOL.md §6).
#[test]
fn change_and_reset_need_the_secret_verified_in_the_channel() {
    let mut card = card(Profile::Nxp);
    let change = [&[0x00, 0x24, 0x00, 0x81, 0x10][..], PIN, b"13572468"].concat();
    let change_wrong_old = [&[0x00, 0x24, 0x00, 0x81, 0x10][..], WRONG, b"13572468"].concat();
    let reset_with_pin = [&[0x00, 0x2C, 0x02, 0x81, 0x08][..], b"13572468"].concat();
    let refused = StatusWord::SECURITY_STATUS_NOT_SATISFIED;
    // In plain, on a fresh card.
    for apdu in [&change[..], &change_wrong_old[..], &reset_with_pin[..], &[0x00, 0x2C, 0x03, 0x81][..]] {
        assert_eq!(sw(&mut card, apdu), refused, "{apdu:02X?}");
    }
    // Under secure messaging without device authentication, even with the PIN sent first.
    let mut ch = dh(&mut card, 7);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), refused);
    assert_eq!(ch.apdu(&mut card, &change).1, refused);
    assert_eq!(ch.apdu(&mut card, &reset_with_pin).1, refused);
    // After device authentication but without VERIFY: refused, whatever the old PIN.
    let mut ch = authenticate(&mut card, 8);
    assert_eq!(ch.apdu(&mut card, &change).1, refused);
    assert_eq!(ch.apdu(&mut card, &change_wrong_old).1, refused);
    assert_eq!(ch.apdu(&mut card, &reset_with_pin).1, refused);
    assert_eq!(ch.apdu(&mut card, &[0x00, 0x2C, 0x03, 0x81]).1, refused);
    // The PUK verified does not stand for the PIN, nor the PIN for the PUK.
    assert_eq!(verify(&mut ch, &mut card, 0x82, PUK), OK);
    assert_eq!(ch.apdu(&mut card, &change).1, refused);
    let mut ch = authenticate(&mut card, 9);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(ch.apdu(&mut card, &reset_with_pin).1, refused);
    // The PIN verified in an earlier channel does not count in a new one.
    let mut ch = authenticate(&mut card, 10);
    assert_eq!(ch.apdu(&mut card, &change).1, refused);
    assert_eq!((card.pin_tries_left(), card.puk_tries_left()), (3, 10), "nothing spent");
    // A plain command closes the channel with the PIN status: refused again.
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(sw(&mut card, &change), refused);
    assert!(!card.secure_messaging_open());
    // VERIFY then CHANGE in one channel: done.
    let mut ch = authenticate(&mut card, 11);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(ch.apdu(&mut card, &change), (vec![], OK));
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"13572468"), OK);
}

/// GET DATA of the DOCP of the PIN's and PUK's CHV objects (PROTOCOL.md §6): the answer
/// written out by hand, nothing spent, only under secure messaging after device
/// authentication.
#[test]
fn counters_by_get_data() {
    let mut card = card(Profile::Stm3);
    let pin_docp = [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x01, 0x02, 0xA0, 0x80, 0x00];
    let puk_docp = [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x02, 0x02, 0xA0, 0x80, 0x00];
    let answer = |sdo: u8, max: u8, left: u8| {
        vec![0x70, 0x0C, 0xBF, 0x81, sdo, 0x08, 0xA0, 0x06, 0x9A, 0x01, max, 0x9B, 0x01, left]
    };
    let refused = StatusWord::SECURITY_STATUS_NOT_SATISFIED;
    assert_eq!(sw(&mut card, &pin_docp), refused);
    let mut ch = dh(&mut card, 12);
    assert_eq!(ch.apdu(&mut card, &pin_docp).1, refused);
    let mut ch = authenticate(&mut card, 13);
    assert_eq!(ch.apdu(&mut card, &pin_docp), (answer(0x01, 3, 3), OK));
    assert_eq!(ch.apdu(&mut card, &puk_docp), (answer(0x02, 10, 10), OK));
    for left in [2, 1, 0] {
        assert_eq!(verify(&mut ch, &mut card, 0x81, WRONG), StatusWord::tries_left(left));
        assert_eq!(ch.apdu(&mut card, &pin_docp), (answer(0x01, 3, left), OK));
        assert_eq!(ch.apdu(&mut card, &pin_docp), (answer(0x01, 3, left), OK), "asking spends nothing");
    }
    assert_eq!(verify(&mut ch, &mut card, 0x82, WRONG), StatusWord::tries_left(9));
    assert_eq!(ch.apdu(&mut card, &puk_docp), (answer(0x02, 10, 9), OK));
    // Another CHV number, another template: no such object.
    let other = [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x03, 0x02, 0xA0, 0x80, 0x00];
    assert_eq!(ch.apdu(&mut card, &other).1, StatusWord::REFERENCE_NOT_FOUND);
    let public = [0x00, 0xCB, 0x3F, 0xFF, 0x0B, 0x4D, 0x09, 0x70, 0x07, 0xBF, 0x81, 0x01, 0x03, 0x7F, 0x41, 0x80, 0x00];
    assert_eq!(ch.apdu(&mut card, &public).1, StatusWord::REFERENCE_NOT_FOUND);
}

#[test]
fn custom_pin_and_puk_from_options() {
    let options = SimOptions { pin: "99990000".into(), puk: "11112222".into() };
    let mut card = SimCard::new(Profile::Nxp, image(), options);
    let mut ch = authenticate(&mut card, 6);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), StatusWord::tries_left(2));
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"99990000"), OK);
    assert_eq!(verify(&mut ch, &mut card, 0x82, b"11112222"), OK);
    assert!(!format!("{:?}", SimOptions::default()).contains("1234"));
    assert!(!format!("{card:?}").contains("9999"));
}

#[test]
fn serial_and_certificate_need_the_pin() {
    let img = image();
    let mut card = card(Profile::Actalis);
    let mut ch = authenticate(&mut card, 7);
    assert_eq!(ch.apdu(&mut card, &SELECT_CIE), (vec![], OK));
    // Under SM and device-authenticated, but no PIN yet: 69 82 (wrapped).
    assert_eq!(read_file_sm(&mut ch, &mut card, 0x1003), (vec![], StatusWord::SECURITY_STATUS_NOT_SATISFIED));
    assert_eq!(read_file_sm(&mut ch, &mut card, 0x1002), (vec![], StatusWord::SECURITY_STATUS_NOT_SATISFIED));
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(read_file_sm(&mut ch, &mut card, 0x1003), (img.certificate.clone(), OK));
    assert_eq!(read_file_sm(&mut ch, &mut card, 0x1002), (img.serial.clone(), OK));
    // The serial fits one READ: the card answers 62 82 inside DO99 and as the trailer.
    assert_eq!(ch.apdu(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x80]), (img.serial.clone(), StatusWord::END_OF_FILE));
    // Public files read under SM as well, with the FCP returned although no Le was sent.
    let (fcp, s) = ch.apdu(&mut card, &[0x00, 0xA4, 0x02, 0x04, 0x02, 0x10, 0x04]);
    assert_eq!((fcp.len(), s), (29, OK));
    assert_eq!(read_file_sm(&mut ch, &mut card, 0x1004), (img.int_kpub.clone(), OK));
    // An SM read with Le 00 gets the 231 bytes real cards give (card_sm.rs checks the framing).
    assert_eq!(ch.apdu(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x03]).1, OK);
    let (d, s) = ch.apdu(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]);
    assert_eq!((d.as_slice(), s), (&img.certificate[..231], OK));
    // After a reset everything is gone again (plain: 69 82).
    card.reset();
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    assert_eq!(read_file_plain(&mut card, 0x1003), (vec![], StatusWord::SECURITY_STATUS_NOT_SATISFIED));
}

#[test]
fn signature_with_key_81_verifies_with_the_certificate_key() {
    let img = image();
    let key = certificate_key(&img.certificate);
    let mut card = card(Profile::Bit4id2023);
    let mut ch = authenticate(&mut card, 8);
    // Without the PIN: 69 82.
    assert_eq!(sign(&mut ch, &mut card, 0x81, &digest_info(b"x")), (vec![], StatusWord::SECURITY_STATUS_NOT_SATISFIED));
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    let (sig, s) = sign(&mut ch, &mut card, 0x81, &digest_info(b"hello"));
    assert_eq!((sig.len(), s), (256, OK));
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(b"hello"), &sig).unwrap();
    // Raw data up to 245 bytes is padded and signed as is; 246 is too long.
    let (sig, s) = sign(&mut ch, &mut card, 0x81, &[0x5A; 245]);
    assert_eq!(s, OK);
    key.verify(Pkcs1v15Sign::new_unprefixed(), &[0x5A; 245], &sig).unwrap();
    assert_eq!(sign(&mut ch, &mut card, 0x81, &[0x5A; 246]).1, StatusWord::WRONG_LENGTH);
    // INTERNAL AUTHENTICATE without a security environment: 69 85.
    card.reset();
    let mut ch = authenticate(&mut card, 9);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    // SELECT of the DF clears the security environment left by DAPP (key 82).
    assert_eq!(ch.apdu(&mut card, &SELECT_CIE).1, OK);
    assert_eq!(
        ch.send(&mut card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data([1u8; 20])).1,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
}

#[test]
fn key_83_signs_in_plain_without_pin_deterministically() {
    let img = image();
    let key = public_key(&img.servizi_kpub);
    let mut card = card(Profile::Nxp);
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    assert_eq!(sw(&mut card, &[0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x83]), OK);
    let mut apdu = vec![0x00, 0x88, 0x00, 0x00, 0x0C];
    apdu.extend_from_slice(&img.nis);
    let (s1, s) = send(&mut card, &apdu);
    assert_eq!((s1.len(), s), (256, OK));
    key.verify(Pkcs1v15Sign::new_unprefixed(), &img.nis, &s1).unwrap();
    // Deterministic, also after a reset.
    card.reset();
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    assert_eq!(sw(&mut card, &[0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x83]), OK);
    assert_eq!(send(&mut card, &apdu), (s1.clone(), OK));
    // Key 81 is refused in plain even with the right MSE SET.
    assert_eq!(sw(&mut card, &[0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x81]), OK);
    assert_eq!(sw(&mut card, &apdu), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    // The same key 83 also works under SM.
    let mut ch = authenticate(&mut card, 10);
    let (s2, s) = sign(&mut ch, &mut card, 0x83, &img.nis);
    assert_eq!((s2, s), (s1, OK));
}
