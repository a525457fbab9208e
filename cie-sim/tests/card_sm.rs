//! Secure messaging on the card (PROTOCOL.md §5, §5.5, §10.2-§10.4): SM errors and what they
//! close, plain commands during SM, wrapped errors, response splitting, command chaining.

mod card_util;

use card_util::*;
use cie_core::apdu::Command;
use cie_core::sm::{protect_command, unprotect_response};
use cie_core::sw::StatusWord;
use cie_sim::{Profile, SimCard};

const PIN: &[u8] = b"12345678";

fn protect(ch: &mut Channel, cmd: &Command) -> Vec<u8> {
    protect_command(&ch.keys, &mut ch.ssc, cmd).to_bytes().unwrap()
}

/// After an SM error the session is gone: a correctly protected command gets plain 69 88, and a
/// new DH without DAPP does not bring back the terminal or PIN status.
fn assert_session_and_status_dropped(card: &mut SimCard, ch: &mut Channel) {
    assert!(!card.secure_messaging_open());
    let p = protect(ch, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!(card.process(&p), [0x69, 0x88]);
    let mut fresh = dh(card, 99);
    assert_eq!(verify(&mut fresh, card, 0x81, PIN), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(fresh.apdu(card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x03]).1, OK);
    assert_eq!(fresh.apdu(card, &[0x00, 0xB0, 0x00, 0x00, 0x80]).1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
}

/// A card with SM, DAPP and PIN done.
fn logged_in(profile: Profile) -> (SimCard, Channel) {
    logged_in_card(card(profile))
}

/// `card` with SM, DAPP and PIN done.
fn logged_in_card(mut card: SimCard) -> (SimCard, Channel) {
    let mut ch = authenticate(&mut card, 77);
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    (card, ch)
}

#[test]
fn missing_mac_object_is_69_87_and_closes_the_session() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let mut p = protect_command(&ch.keys, &mut ch.ssc, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    // Keep only DO97.
    p.data.truncate(3);
    assert_eq!(card.process(&p.to_bytes().unwrap()), [0x69, 0x87]);
    assert_session_and_status_dropped(&mut card, &mut ch);
}

#[test]
fn bad_mac_is_69_88_and_closes_the_session() {
    let (mut card, mut ch) = logged_in(Profile::Gemalto);
    let mut p = protect(&mut ch, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    let n = p.len();
    p[n - 2] ^= 0x40; // last MAC byte (before Le)
    assert_eq!(card.process(&p), [0x69, 0x88]);
    assert_session_and_status_dropped(&mut card, &mut ch);
}

#[test]
fn malformed_sm_objects_are_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Stm);
    // A DO87 whose length runs past the data.
    let apdu = [0x0C, 0x20, 0x00, 0x81, 0x04, 0x87, 0x20, 0x01, 0x00];
    assert_eq!(card.process(&apdu), [0x69, 0x88]);
    assert_session_and_status_dropped(&mut card, &mut ch);
}

#[test]
fn replayed_command_is_rejected() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let p = protect(&mut ch, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    let (body, s) = split(&card.process(&p));
    assert_eq!(s, OK);
    assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap().data.len(), 8);
    assert_eq!(card.process(&p), [0x69, 0x88]);
    assert!(!card.secure_messaging_open());
}

#[test]
fn a_plain_command_closes_the_session_and_runs_plain() {
    let (mut card, mut ch) = logged_in(Profile::Actalis);
    let img = card.image().clone();
    assert_eq!(send(&mut card, &SELECT_CIE), (vec![], OK));
    assert_eq!(read_file_plain(&mut card, 0x1001), (img.nis.clone(), OK));
    assert_session_and_status_dropped(&mut card, &mut ch);
}

#[test]
fn errors_under_sm_are_wrapped_with_the_trailer_equal_to_do99() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    for (clear, expected) in [
        (vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x77, 0x77], StatusWord::FILE_NOT_FOUND),
        (vec![0x00, 0x20, 0x00, 0x81, 0x08, b'0', b'0', b'0', b'0', b'0', b'0', b'0', b'0'], StatusWord::tries_left(2)),
        (vec![0x00, 0x20, 0x00, 0x81, 0x02, b'0', b'0'], StatusWord::WRONG_LENGTH),
        (vec![0x00, 0x12, 0x00, 0x00], StatusWord::INS_NOT_SUPPORTED),
    ] {
        let p = protect(&mut ch, &Command::parse(&clear).unwrap());
        let resp = card.process(&p);
        let (body, trailer) = split(&resp);
        assert_eq!(trailer, expected);
        assert_eq!(body.len(), 14, "99 02 SW 8E 08 MAC");
        assert_eq!(body[..4], [0x99, 0x02, expected.sw1(), expected.sw2()]);
        let r = unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap();
        assert_eq!(r.sw, expected);
    }
    // The session is still open and in sync.
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
}

#[test]
fn large_sm_response_is_split_and_get_response_is_plain() {
    // The former 256-byte READ BINARY answers (real cards give 231: see the next test).
    let (mut card, mut ch) = logged_in_card(card(Profile::Bit4id).with_read_binary_max(256));
    let img = card.image().clone();
    assert_eq!(ch.apdu(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x03]).1, OK);
    let p = protect(&mut ch, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256));
    let first = card.process(&p);
    // 87 82 01 09 01 <264> 99 02 90 00 8E 08 <8> = 283 bytes → 256 + 61 1B (§9.4).
    assert_eq!(first.len(), 258);
    assert_eq!(first[256..], [0x61, 0x1B]);
    assert_eq!(first[..5], [0x87, 0x82, 0x01, 0x09, 0x01]);
    // GET RESPONSE in plain does not close the session.
    let rest = card.process(&[0x00, 0xC0, 0x00, 0x00, 0x1B]);
    assert!(card.secure_messaging_open());
    let (tail, s) = split(&rest);
    assert_eq!((tail.len(), s), (0x1B, OK));
    let r = unprotect_response(&ch.keys, &mut ch.ssc, &[&first[..256], &tail[..]].concat()).unwrap();
    assert_eq!((r.data.as_slice(), r.sw), (&img.certificate[..256], OK));
    // Any other command drops the rest of a split answer.
    let p = protect(&mut ch, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256));
    assert_eq!(card.process(&p)[256..], [0x61, 0x1B]);
    ch.ssc.increment(); // the response we do not fetch
    assert_eq!(verify(&mut ch, &mut card, 0x81, PIN), OK);
    assert_eq!(card.process(&[0x00, 0xC0, 0x00, 0x00, 0x1B]), [0x69, 0x85]);
}

#[test]
fn sm_read_binary_answers_231_bytes_in_one_response_whatever_le_asks() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let img = card.image().clone();
    assert_eq!(ch.apdu(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x03]).1, OK);
    for le in [256, 0xF0, 0xE7] {
        let p = protect(&mut ch, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(le));
        let raw = card.process(&p);
        // 87 81 E9 01 <232> 99 02 90 00 8E 08 <8> = 250 bytes, then 90 00: no GET RESPONSE (§5.4).
        assert_eq!(raw.len(), 252, "Le {le}");
        assert_eq!(raw[..4], [0x87, 0x81, 0xE9, 0x01]);
        assert_eq!(raw[250..], [0x90, 0x00]);
        let r = unprotect_response(&ch.keys, &mut ch.ssc, &raw[..250]).unwrap();
        assert_eq!((r.data.as_slice(), r.sw), (&img.certificate[..231], OK), "Le {le}");
    }
    // A smaller Le is served as asked.
    let (d, s) = ch.send(&mut card, &Command::new(0x00, 0xB0, 0x00, 0x10).with_le(0x80));
    assert_eq!((d.as_slice(), s), (&img.certificate[0x10..0x90], OK));
}

#[test]
fn do97_is_accepted_on_any_command() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let mse = Command::new(0x00, 0x22, 0x41, 0xA4).with_data([0x80, 0x01, 0x02, 0x84, 0x01, 0x81]).with_le(256);
    assert_eq!(ch.send(&mut card, &mse), (vec![], OK));
    let (sig, s) = ch.send(&mut card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data([7u8; 51]).with_le(256));
    assert_eq!((sig.len(), s), (256, OK));
}

#[test]
fn odd_ins_under_sm() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let img = card.image().clone();
    assert_eq!(ch.apdu(&mut card, &SELECT_CIE).1, OK);
    // Command data in DO85 (odd INS), answer decrypted from the response object.
    let cmd = Command::new(0x00, 0xB1, 0x00, 0x06).with_data([0x54, 0x02, 0x00, 0x00]).with_le(0xE7);
    let (d, s) = ch.send(&mut card, &cmd);
    assert_eq!(s, OK);
    assert_eq!(d[..3], [0x53, 0x81, 0xE4]);
    assert_eq!(&d[3..], &img.sod[..228]);
}

#[test]
fn sm_chain_interrupted_by_another_command_is_dropped() {
    let mut card = card(Profile::Nxp);
    let cert = terminal_certificate(card.image());
    let mut ch = dh(&mut card, 12);
    let dst = Command::new(0x00, 0x22, 0x81, 0xB6).with_data([0x80, 0x01, 0x41, 0x83, 0x01, 0x84]);
    assert_eq!(ch.send(&mut card, &dst), (vec![], OK));
    let first = Command::new(0x10, 0x2A, 0x00, 0xAE).with_data(&cert[..231]);
    let last = Command::new(0x00, 0x2A, 0x00, 0xAE).with_data(&cert[231..]);
    assert_eq!(ch.send_one(&mut card, &first), (vec![], OK));
    // Another command in between: the chain is forgotten, the last chunk alone is no certificate.
    assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8)).1, OK);
    assert_eq!(ch.send_one(&mut card, &last).1, StatusWord::WRONG_DATA);
    // Uninterrupted it works.
    assert_eq!(ch.send_one(&mut card, &first), (vec![], OK));
    assert_eq!(ch.send_one(&mut card, &last), (vec![], OK));
}

#[test]
fn plain_chain_rules() {
    let mut card = card(Profile::Nxp);
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    let mut data = vec![0x80, 0x01, 0x9B, 0x83, 0x01, 0x81, 0x91, 0x82, 0x01, 0x00];
    data.extend([0x11u8; 256]);
    let mut first = vec![0x10, 0x22, 0x41, 0xA6, 0xFF];
    first.extend_from_slice(&data[..255]);
    let mut last = vec![0x00, 0x22, 0x41, 0xA6, 0x0B];
    last.extend_from_slice(&data[255..]);
    // Interrupted: the last chunk alone is malformed.
    assert_eq!(sw(&mut card, &first), OK);
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    assert_eq!(sw(&mut card, &last), StatusWord::WRONG_DATA);
    // A chunk for other parameters restarts the chain.
    assert_eq!(sw(&mut card, &first), OK);
    let mut other = first.clone();
    other[3] = 0xA4;
    assert_eq!(sw(&mut card, &other), OK);
    assert_eq!(sw(&mut card, &last), StatusWord::WRONG_DATA);
    // Uninterrupted: accepted, y_ICC follows.
    assert_eq!(sw(&mut card, &first), OK);
    assert_eq!(sw(&mut card, &last), OK);
    assert_eq!(exchange(&mut card, &GET_Y_ICC).1, OK);
    // A chain longer than the card accepts.
    assert_eq!(sw(&mut card, &SELECT_CIE), OK);
    let mut chunk = vec![0x10, 0x2A, 0x00, 0xAE, 0xFF];
    chunk.extend([0u8; 255]);
    let results: Vec<StatusWord> = (0..20).map(|_| sw(&mut card, &chunk)).collect();
    assert!(results.contains(&StatusWord::WRONG_LENGTH));
}

#[test]
fn reset_closes_the_session() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    card.reset();
    assert!(!card.secure_messaging_open());
    let p = protect(&mut ch, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!(card.process(&p), [0x69, 0x88]);
    assert_eq!(card.pin_tries_left(), 3);
}

/// A protected command assembled by hand: `header || Lc || objects || 8E 08 MAC || suffix || 00`,
/// where the objects and the suffix are written out in the test and the MAC is the §5.2 MAC over
/// `SSC+1 || pad(header) || objects` (computed with the MAC primitive only), so that the MAC is
/// valid and only the layout can make the card refuse. Steps the channel's counter once.
fn hand_made(ch: &mut Channel, header: [u8; 4], objects: &[u8], suffix: &[u8]) -> Vec<u8> {
    ch.ssc.increment();
    let mut input = ch.ssc.0.to_vec();
    input.extend_from_slice(&cie_core::sm::pad(&header));
    input.extend_from_slice(objects);
    let mac = cie_core::sm::mac(ch.keys.mac_key(), &cie_core::sm::pad(&input));
    let mut data = objects.to_vec();
    data.extend_from_slice(&[0x8E, 0x08]);
    data.extend_from_slice(&mac);
    data.extend_from_slice(suffix);
    let mut apdu = header.to_vec();
    apdu.push(data.len() as u8);
    apdu.extend_from_slice(&data);
    apdu.push(0x00);
    apdu
}

/// Sends `apdu` to a logged-in card and expects plain `69 88` with the session closed (§5.5).
fn refused(card: &mut SimCard, ch: &mut Channel, apdu: &[u8]) {
    assert_eq!(card.process(apdu), [0x69, 0x88], "{apdu:02X?}");
    assert_session_and_status_dropped(card, ch);
}

const GET_CHALLENGE_SM: [u8; 4] = [0x0C, 0x84, 0x00, 0x00];
const VERIFY_SM: [u8; 4] = [0x0C, 0x20, 0x00, 0x81];

/// The hand-made assembly is right: without a suffix the card accepts it and answers.
#[test]
fn hand_made_command_with_exact_layout_is_accepted() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let apdu = hand_made(&mut ch, GET_CHALLENGE_SM, &[0x97, 0x01, 0x08], &[]);
    let (body, s) = split(&card.process(&apdu));
    assert_eq!(s, OK);
    assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap().data.len(), 8);
    // VERIFY as a status query (DO8E only), then with the PIN in DO87.
    for objects in [vec![], pin_do87(&ch)] {
        let apdu = hand_made(&mut ch, VERIFY_SM, &objects, &[]);
        let (body, s) = split(&card.process(&apdu));
        assert_eq!(s, OK);
        assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap().sw, OK);
    }
    assert!(card.secure_messaging_open());
}

/// `87 11 01 || 3DES(K_ENC, pad(PIN))`: a well-formed DO87 carrying the right PIN under the
/// session's key (the tag, length and indicator bytes are written out, the cryptogram is made with
/// the encryption primitive).
fn pin_do87(ch: &Channel) -> Vec<u8> {
    let mut d = vec![0x87, 0x11, 0x01];
    d.extend(cie_core::sm::encrypt(ch.keys.enc(), &cie_core::sm::pad(PIN)));
    d
}

/// PROTOCOL.md §5.2: nothing may follow DO8E. A VERIFY status query (MAC only) with a DO87
/// carrying the right PIN appended after the valid MAC is 69 88, and no PIN status is gained.
#[test]
fn trailing_do87_is_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let suffix = pin_do87(&ch);
    let apdu = hand_made(&mut ch, VERIFY_SM, &[], &suffix);
    refused(&mut card, &mut ch, &apdu);
}

#[test]
fn trailing_do99_is_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Gemalto);
    let apdu = hand_made(&mut ch, GET_CHALLENGE_SM, &[0x97, 0x01, 0x08], &[0x99, 0x02, 0x90, 0x00]);
    refused(&mut card, &mut ch, &apdu);
}

#[test]
fn duplicated_do87_is_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let objects = [pin_do87(&ch), pin_do87(&ch)].concat();
    let apdu = hand_made(&mut ch, VERIFY_SM, &objects, &[]);
    refused(&mut card, &mut ch, &apdu);
    assert_eq!(card.pin_tries_left(), 3, "no PIN try spent on a refused command");
}

#[test]
fn do8e_of_7_and_9_bytes_is_69_88() {
    for (len, profile) in [(7usize, Profile::Nxp), (9, Profile::Stm)] {
        let (mut card, mut ch) = logged_in(profile);
        ch.ssc.increment();
        let mut apdu = vec![0x0C, 0x84, 0x00, 0x00, (3 + 2 + len) as u8, 0x97, 0x01, 0x08, 0x8E, len as u8];
        apdu.extend(std::iter::repeat_n(0x5A, len));
        apdu.push(0x00);
        refused(&mut card, &mut ch, &apdu);
    }
}

#[test]
fn unknown_tag_before_do8e_is_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    let apdu = hand_made(&mut ch, GET_CHALLENGE_SM, &[0x97, 0x01, 0x08, 0x53, 0x01, 0x00], &[]);
    refused(&mut card, &mut ch, &apdu);
}

#[test]
fn truncated_length_is_69_88() {
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    ch.ssc.increment();
    // DO8E announces 8 bytes, 7 follow.
    let apdu = [0x0C, 0x84, 0x00, 0x00, 0x0C, 0x97, 0x01, 0x08, 0x8E, 0x08, 1, 2, 3, 4, 5, 6, 7, 0x00];
    refused(&mut card, &mut ch, &apdu);
    let (mut card, mut ch) = logged_in(Profile::Nxp);
    ch.ssc.increment();
    // A two-byte length cut after its first byte.
    let apdu = [0x0C, 0x20, 0x00, 0x81, 0x03, 0x87, 0x82, 0x01, 0x00];
    refused(&mut card, &mut ch, &apdu);
}
