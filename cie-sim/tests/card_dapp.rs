//! Device authentication, card side (PROTOCOL.md §4.4, §5.3, §9.4, §10.4): a full DH + DAPP
//! run written out APDU by APDU with the wire sizes of a real card, and the card's refusals.

mod card_util;

use card_util::*;
use cie_core::apdu::Command;
use cie_core::interop;
use cie_core::sm::{protect_command, unprotect_response, Ssc};
use cie_core::sw::StatusWord;
use cie_sim::{Profile, SimCard};
use rand_chacha::rand_core::RngCore;

/// Sends one SM APDU and returns the raw response bytes (data + SW), without GET RESPONSE.
fn raw(ch: &mut Channel, card: &mut SimCard, cmd: &Command) -> (Vec<u8>, usize) {
    let apdu = protect_command(&ch.keys, &mut ch.ssc, cmd).to_bytes().unwrap();
    (card.process(&apdu), apdu.len())
}

/// Unwraps a complete protected response (body + trailer) and checks trailer = DO99.
fn unwrap(ch: &mut Channel, resp: &[u8]) -> (Vec<u8>, StatusWord) {
    let (body, sw) = split(resp);
    let r = unprotect_response(&ch.keys, &mut ch.ssc, &body).expect("MAC");
    assert_eq!(r.sw, sw);
    (r.data.clone(), r.sw)
}

#[test]
fn full_dh_and_dapp_run_with_real_wire_sizes() {
    let mut card = card(Profile::Nxp);
    let img = card.image().clone();
    let params = DhParams { g: img.dh_g.clone(), p: img.dh_p.clone(), q: img.dh_q.clone() };
    let mut ch = dh(&mut card, 42);

    // 1. MSE SET DST with Le 00 (DO97): 30 bytes out, 16 back.
    let cmd = Command::parse(&[0x00, 0x22, 0x81, 0xB6, 0x06, 0x80, 0x01, 0x41, 0x83, 0x01, 0x84, 0x00]).unwrap();
    let (resp, out) = raw(&mut ch, &mut card, &cmd);
    assert_eq!((out, resp.len()), (30, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));

    // 2. PSO VERIFY CERTIFICATE, SM-chained 231 + 123: 252 and 148 bytes out, 16 back each.
    let cert = terminal_certificate(&img);
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x10, 0x2A, 0x00, 0xAE).with_data(&cert[..231]));
    assert_eq!((out, resp.len()), (252, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x2A, 0x00, 0xAE).with_data(&cert[231..]));
    assert_eq!((out, resp.len()), (148, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));

    // 3. MSE SET AT by CHR: 35 out.
    let mut data = vec![0x83, 0x0C];
    data.extend_from_slice(&interop::CHR_IFD);
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x22, 0x81, 0xA4).with_data(data));
    assert_eq!((out, resp.len()), (35, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));

    // 4. GET CHALLENGE: 19 out, 35 back.
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!((out, resp.len()), (19, 35));
    let (rnd_icc, _) = unwrap(&mut ch, &resp);
    assert_eq!(rnd_icc.len(), 8);

    // 5. EXTERNAL AUTHENTICATE, 264 bytes chained 231 + 33: 252 and 59 out.
    let mut ext = interop::SN_IFD.to_vec();
    ext.extend(terminal_signature(&mut ch, &rnd_icc, &params));
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x10, 0x82, 0x00, 0x00).with_data(&ext[..231]));
    assert_eq!((out, resp.len()), (252, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x82, 0x00, 0x00).with_data(&ext[231..]));
    assert_eq!((out, resp.len()), (59, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));

    // 6. MSE SET AT for internal authentication with key 82: 27 out.
    let cmd = Command::new(0x00, 0x22, 0x41, 0xA4).with_data([0x84, 0x01, 0x82, 0x80, 0x01, 0x9B]);
    let (resp, out) = raw(&mut ch, &mut card, &cmd);
    assert_eq!((out, resp.len()), (27, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));

    // 7. INTERNAL AUTHENTICATE: 35 out; the 291-byte protected answer comes as 256 + 61 23, then
    //    a plain GET RESPONSE of 35 bytes (§5.4, MITM).
    let mut rnd_ifd = [0u8; 8];
    ch.rng.fill_bytes(&mut rnd_ifd);
    let (first, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data(rnd_ifd));
    assert_eq!((out, first.len()), (35, 258));
    assert_eq!(first[256..], [0x61, 0x23]);
    let rest = card.process(&[0x00, 0xC0, 0x00, 0x00, 0x23]);
    assert_eq!(rest.len(), 0x23 + 2);
    let whole = [&first[..256], &rest[..]].concat();
    let (answer, s) = unwrap(&mut ch, &whole);
    assert_eq!(s, OK);
    check_chip_signature(&img, &ch, &rnd_ifd, &answer, &params);

    // §4.4.3: only now SSC := RND.ICC[4..8) || RND.IFD[4..8); the next command uses it + 1.
    ch.ssc = Ssc::after_dapp(&rnd_icc.clone().try_into().unwrap(), &rnd_ifd);
    let (resp, out) = raw(&mut ch, &mut card, &Command::new(0x00, 0x20, 0x00, 0x81).with_data(*b"12345678"));
    assert_eq!((out, resp.len()), (35, 16));
    assert_eq!(unwrap(&mut ch, &resp), (vec![], OK));
    assert_eq!(card.pin_tries_left(), 3);
}

#[test]
fn dapp_works_on_every_profile() {
    for profile in Profile::ALL {
        let mut c = card(profile);
        let mut ch = authenticate(&mut c, 7);
        assert_eq!(verify(&mut ch, &mut c, 0x81, b"12345678"), OK, "{profile}");
    }
}

/// DH, MSE SET DST and returns the channel and image.
fn after_dst(card: &mut SimCard) -> Channel {
    let mut ch = dh(card, 5);
    let dst = Command::new(0x00, 0x22, 0x81, 0xB6).with_data([0x80, 0x01, 0x41, 0x83, 0x01, 0x84]);
    assert_eq!(ch.send(card, &dst), (vec![], OK));
    ch
}

fn pso(ch: &mut Channel, card: &mut SimCard, cert: Vec<u8>) -> StatusWord {
    ch.send(card, &Command::new(0x00, 0x2A, 0x00, 0xAE).with_data(cert)).1
}

#[test]
fn bad_terminal_certificates_are_refused() {
    let mut card = card(Profile::Gemalto2);
    let img = card.image().clone();
    let good = terminal_certificate(&img);
    let mut ch = after_dst(&mut card);
    // Signature bytes (offset 10 is inside 5F37), the remainder (5F38), the CAR object (42).
    for at in [10usize, 300, 350] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        assert_eq!(pso(&mut ch, &mut card, bad), StatusWord::WRONG_DATA, "byte {at}");
    }
    // Not a certificate object at all, or a truncated one.
    assert_eq!(pso(&mut ch, &mut card, vec![0x30, 0x00]), StatusWord::WRONG_DATA);
    assert_eq!(pso(&mut ch, &mut card, good[..300].to_vec()), StatusWord::WRONG_DATA);
    // No terminal key was stored: MSE SET by CHR finds nothing.
    let mut at = vec![0x83, 0x0C];
    at.extend_from_slice(&interop::CHR_IFD);
    let mse_at = Command::new(0x00, 0x22, 0x81, 0xA4).with_data(at);
    assert_eq!(ch.send(&mut card, &mse_at).1, StatusWord::REFERENCE_NOT_FOUND);
    // The good one is accepted, and then the CHR is known. The session survived the refusals.
    assert_eq!(pso(&mut ch, &mut card, good), OK);
    assert_eq!(ch.send(&mut card, &mse_at), (vec![], OK));
}

#[test]
fn pso_needs_the_dst_and_secure_messaging() {
    let mut card = card(Profile::Nxp);
    let cert = terminal_certificate(card.image());
    let mut ch = dh(&mut card, 9);
    assert_eq!(pso(&mut ch, &mut card, cert.clone()), StatusWord::CONDITIONS_NOT_SATISFIED);
    // Wrong key reference / algorithm in the DST.
    let dst = |key: u8, alg: u8| Command::new(0x00, 0x22, 0x81, 0xB6).with_data([0x80, 0x01, alg, 0x83, 0x01, key]);
    assert_eq!(ch.send(&mut card, &dst(0x85, 0x41)).1, StatusWord::REFERENCE_NOT_FOUND);
    assert_eq!(ch.send(&mut card, &dst(0x84, 0x42)).1, StatusWord::WRONG_DATA);
    // Plain PSO: the session is closed and the command refused.
    let mut plain = vec![0x00, 0x2A, 0x00, 0xAE, 0x04];
    plain.extend_from_slice(&cert[..4]);
    assert_eq!(sw(&mut card, &plain), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert!(!card.secure_messaging_open());
}

/// The terminal key selected by CHR in the IAS-ECC form (MSE SET `81 B6`, IAS-ECC 7.2.6.1 step
/// 4): accepted by every chip but the STMicroelectronics ones, which answer `6A 80` and take only
/// the `81 A4` form every official host sends (PROTOCOL.md §4.4.2); that form works on all.
#[test]
fn terminal_key_by_chr_in_a_dst_is_refused_by_stm_chips_only() {
    let mut chr_object = vec![0x83, 0x0C];
    chr_object.extend_from_slice(&interop::CHR_IFD);
    for profile in Profile::ALL {
        let mut card = card(profile);
        let cert = terminal_certificate(card.image());
        let mut ch = after_dst(&mut card);
        assert_eq!(pso(&mut ch, &mut card, cert), OK, "{profile}");
        let dst = Command::new(0x00, 0x22, 0x81, 0xB6).with_data(chr_object.clone());
        let at = Command::new(0x00, 0x22, 0x81, 0xA4).with_data(chr_object.clone());
        let stm = matches!(profile, Profile::Stm | Profile::Stm2 | Profile::Stm3);
        let expected = if stm { StatusWord::WRONG_DATA } else { OK };
        assert_eq!(ch.send(&mut card, &dst).1, expected, "{profile}");
        assert_eq!(ch.send(&mut card, &at), (vec![], OK), "{profile}");
        // A CHR no certificate stored is unknown in either form.
        let mut other = chr_object.clone();
        other[13] ^= 0x01;
        let unknown = if stm { StatusWord::WRONG_DATA } else { StatusWord::REFERENCE_NOT_FOUND };
        assert_eq!(ch.send(&mut card, &Command::new(0x00, 0x22, 0x81, 0xB6).with_data(other)).1, unknown);
    }
}

/// DH + DST + PSO + MSE SET AT: ready for GET CHALLENGE.
fn ready_for_external_auth(card: &mut SimCard) -> Channel {
    let cert = terminal_certificate(card.image());
    let mut ch = after_dst(card);
    assert_eq!(pso(&mut ch, card, cert), OK);
    let mut at = vec![0x83, 0x0C];
    at.extend_from_slice(&interop::CHR_IFD);
    assert_eq!(ch.send(card, &Command::new(0x00, 0x22, 0x81, 0xA4).with_data(at)), (vec![], OK));
    ch
}

fn params(card: &SimCard) -> DhParams {
    let img = card.image();
    DhParams { g: img.dh_g.clone(), p: img.dh_p.clone(), q: img.dh_q.clone() }
}

fn ext_auth(ch: &mut Channel, card: &mut SimCard, data: Vec<u8>) -> StatusWord {
    ch.send(card, &Command::new(0x00, 0x82, 0x00, 0x00).with_data(data)).1
}

fn challenge(ch: &mut Channel, card: &mut SimCard) -> Vec<u8> {
    let (r, s) = ch.send(card, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!((r.len(), s), (8, OK));
    r
}

#[test]
fn external_authenticate_checks_the_signature_and_uses_each_challenge_once() {
    let mut card = card(Profile::Actalis2023);
    let p = params(&card);
    let mut ch = ready_for_external_auth(&mut card);
    // No challenge yet.
    let mut data = interop::SN_IFD.to_vec();
    data.extend(terminal_signature(&mut ch, &[0; 8], &p));
    assert_eq!(ext_auth(&mut ch, &mut card, data), StatusWord::CONDITIONS_NOT_SATISFIED);
    // A signature over another challenge fails (63 00) ...
    let rnd = challenge(&mut ch, &mut card);
    let mut wrong = rnd.clone();
    wrong[0] ^= 1;
    let mut data = interop::SN_IFD.to_vec();
    data.extend(terminal_signature(&mut ch, &wrong, &p));
    assert_eq!(ext_auth(&mut ch, &mut card, data), StatusWord::VERIFICATION_FAILED);
    // ... and consumed the challenge: the right signature for it now finds no challenge.
    let mut data = interop::SN_IFD.to_vec();
    data.extend(terminal_signature(&mut ch, &rnd, &p));
    assert_eq!(ext_auth(&mut ch, &mut card, data), StatusWord::CONDITIONS_NOT_SATISFIED);
    // Terminal not authenticated: the chip key and VERIFY are refused.
    let mse_int = Command::new(0x00, 0x22, 0x41, 0xA4).with_data([0x84, 0x01, 0x82, 0x80, 0x01, 0x9B]);
    assert_eq!(ch.send(&mut card, &mse_int).1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"12345678"), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(card.pin_tries_left(), 3);
    // Wrong SN.IFD, wrong length.
    let rnd = challenge(&mut ch, &mut card);
    let mut data = [0x21, 0, 0, 0, 0, 0, 0, 1].to_vec();
    data.extend(terminal_signature(&mut ch, &rnd, &p));
    assert_eq!(ext_auth(&mut ch, &mut card, data), StatusWord::VERIFICATION_FAILED);
    let rnd = challenge(&mut ch, &mut card);
    let mut data = interop::SN_IFD.to_vec();
    data.extend(terminal_signature(&mut ch, &rnd, &p));
    data.pop();
    assert_eq!(ext_auth(&mut ch, &mut card, data), StatusWord::WRONG_LENGTH);
    // Finally the right one.
    let rnd = challenge(&mut ch, &mut card);
    let mut data = interop::SN_IFD.to_vec();
    data.extend(terminal_signature(&mut ch, &rnd, &p));
    assert_eq!(ext_auth(&mut ch, &mut card, data), OK);
    assert_eq!(ch.send(&mut card, &mse_int), (vec![], OK));
}

#[test]
fn ssc_changes_only_after_the_internal_authenticate_answer() {
    // authenticate() applies §4.4.3 and then VERIFY must work; with the old counter it must not.
    let mut card = card(Profile::Stm2);
    let mut ch = authenticate(&mut card, 21);
    let mut stale =
        Channel { keys: ch.keys.clone(), ssc: Ssc::INITIAL, y_ifd: vec![], y_icc: vec![], rng: ch.rng.clone() };
    // The host that forgot the SSC change: its MAC does not verify → plain 69 88, session closed.
    let p = protect_command(&stale.keys, &mut stale.ssc, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!(card.process(&p.to_bytes().unwrap()), [0x69, 0x88]);
    assert!(!card.secure_messaging_open());
    // And the properly synchronised host has lost its session too.
    assert_eq!(verify(&mut ch, &mut card, 0x81, b"12345678"), StatusWord::SM_OBJECTS_INCORRECT);
}

#[test]
fn chip_key_internal_authenticate_checks() {
    let mut card = card(Profile::Nxp);
    let mut ch = authenticate(&mut card, 33);
    // Wrong RND.IFD length.
    let (_, s) = ch.send(&mut card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data([1u8; 7]));
    assert_eq!(s, StatusWord::WRONG_LENGTH);
    // Unknown key / algorithm in MSE SET AT.
    let mse = |data: &[u8]| Command::new(0x00, 0x22, 0x41, 0xA4).with_data(data);
    assert_eq!(ch.send(&mut card, &mse(&[0x84, 0x01, 0x85, 0x80, 0x01, 0x02])).1, StatusWord::REFERENCE_NOT_FOUND);
    assert_eq!(ch.send(&mut card, &mse(&[0x84, 0x01, 0x82, 0x80, 0x01, 0x03])).1, StatusWord::WRONG_DATA);
    assert_eq!(ch.send(&mut card, &mse(&[0x84, 0x01, 0x82])).1, StatusWord::WRONG_DATA);
}
