//! GET DATA of the DH parameters and CA key, the DH exchange, GET RESPONSE splitting
//! (PROTOCOL.md §4.1-§4.3, §10.3).

mod card_util;

use card_util::*;
use cie_core::apdu::Command;
use cie_core::sw::StatusWord;
use cie_sim::Profile;
use num_bigint::BigUint;

#[test]
fn dh_parameters_three_calls_byte_exact() {
    let img = image();
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    for (apdu, tag, value) in [(GET_G, 0x97u8, &img.dh_g), (GET_P, 0x98, &img.dh_p)] {
        let (first, s) = send(&mut c, &apdu);
        assert_eq!((first.len(), s), (256, StatusWord::more_data(0x12)));
        let header =
            [0x70, 0x82, 0x01, 0x0E, 0xBF, 0xA1, 0x01, 0x82, 0x01, 0x08, 0xA3, 0x82, 0x01, 0x04, tag, 0x82, 0x01, 0x00];
        assert_eq!(first[..18], header);
        let (rest, s) = send(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x12]);
        assert_eq!((rest.len(), s), (18, OK));
        assert_eq!([&first[18..], &rest[..]].concat(), *value);
    }
    let (q, s) = send(&mut c, &GET_Q);
    assert_eq!(s, OK);
    assert_eq!(q[..10], [0x70, 0x28, 0xBF, 0xA1, 0x01, 0x24, 0xA3, 0x22, 0x99, 0x20]);
    assert_eq!(q[10..], img.dh_q[..]);
    assert_eq!(q.len(), 42);
}

#[test]
fn dh_parameters_one_call_only_on_gemalto() {
    let img = image();
    for profile in Profile::ALL {
        let mut c = card(profile);
        assert_eq!(sw(&mut c, &SELECT_CIE), OK);
        if !profile.dh_params_one_call() {
            assert_eq!(send(&mut c, &GET_DH_ALL), (vec![], StatusWord::REFERENCE_NOT_FOUND), "{profile}");
            continue;
        }
        // 568 bytes: 256 + 61 00, 256 + 61 38, 56 + 90 00 (§4.1).
        let (a, s) = send(&mut c, &GET_DH_ALL);
        assert_eq!((a.len(), s), (256, StatusWord::more_data(0)));
        let (b, s) = send(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x00]);
        assert_eq!((b.len(), s), (256, StatusWord::more_data(0x38)));
        let (d, s) = send(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x38]);
        assert_eq!((d.len(), s), (0x38, OK));
        let all = [a, b, d].concat();
        let mut expected = vec![0x70, 0x82, 0x02, 0x34, 0xBF, 0xA1, 0x01, 0x82, 0x02, 0x2E, 0xA3, 0x82, 0x02, 0x2A];
        expected.extend([0x97, 0x82, 0x01, 0x00]);
        expected.extend(&img.dh_g);
        expected.extend([0x98, 0x82, 0x01, 0x00]);
        expected.extend(&img.dh_p);
        expected.extend([0x99, 0x20]);
        expected.extend(&img.dh_q);
        assert_eq!(all, expected);
        // And the three-call form works on Gemalto too.
        assert_eq!(read_dh_params(&mut c).q, img.dh_q);
    }
}

#[test]
fn ca_key_children_in_order() {
    let img = image();
    let mut c = card(Profile::Bit4idB9547);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    let (first, s) = send(&mut c, &GET_CA_KEY);
    let mut key = tlv(&[0x81], &img.ca_modulus);
    key.extend(tlv(&[0x82], &img.ca_exponent));
    key.extend(tlv(&[0x5F, 0x20], &img.ca_chr));
    key.extend(tlv(&[0x5F, 0x4C], &img.ca_cha));
    let expected = tlv(&[0x70], &tlv(&[0xBF, 0xA0, 0x04], &tlv(&[0x7F, 0x49], &key)));
    assert!(expected.len() > 256);
    let remaining = expected.len() - 256;
    assert_eq!((first.len(), s), (256, StatusWord::more_data(if remaining >= 256 { 0 } else { remaining as u8 })));
    let (rest, s, _) = exchange(&mut c, &[0x00, 0xC0, 0x00, 0x00, s.sw2()]);
    assert_eq!(s, OK);
    assert_eq!([first, rest].concat(), expected);
    assert_eq!(img.ca_chr.len(), 12);
    assert_eq!(img.ca_cha.len(), 7);
}

#[test]
fn get_response_rules() {
    let img = image();
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    // Nothing pending.
    assert_eq!(sw(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x10]), StatusWord::CONDITIONS_NOT_SATISFIED);
    // Smaller Le: the rest stays announced.
    assert_eq!(send(&mut c, &GET_G).1, StatusWord::more_data(0x12));
    let (a, s) = send(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x08]);
    assert_eq!((a.as_slice(), s), (&img.dh_g[238..246], StatusWord::more_data(0x0A)));
    // LNX's quirk: CLA 0C without SM objects.
    let (b, s) = send(&mut c, &[0x0C, 0xC0, 0x00, 0x00, 0x0A]);
    assert_eq!((b.as_slice(), s), (&img.dh_g[246..], OK));
    assert_eq!(sw(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x0A]), StatusWord::CONDITIONS_NOT_SATISFIED);
    // Any other command drops the pending bytes.
    assert_eq!(send(&mut c, &GET_P).1, StatusWord::more_data(0x12));
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    assert_eq!(sw(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x12]), StatusWord::CONDITIONS_NOT_SATISFIED);
    // Wrong parameters keep the pending bytes.
    assert_eq!(send(&mut c, &GET_P).1, StatusWord::more_data(0x12));
    assert_eq!(sw(&mut c, &[0x00, 0xC0, 0x01, 0x00, 0x12]), StatusWord::INCORRECT_P1P2);
    assert_eq!(send(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x12]), (img.dh_p[238..].to_vec(), OK));
    // A reset drops them as well.
    assert_eq!(send(&mut c, &GET_G).1, StatusWord::more_data(0x12));
    c.reset();
    assert_eq!(sw(&mut c, &[0x00, 0xC0, 0x00, 0x00, 0x12]), StatusWord::CONDITIONS_NOT_SATISFIED);
}

#[test]
fn y_icc_needs_the_mse_set_first() {
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    assert_eq!(send(&mut c, &GET_Y_ICC), (vec![], StatusWord::CONDITIONS_NOT_SATISFIED));
    assert!(!c.secure_messaging_open());
}

#[test]
fn mse_set_kat_checks_its_objects() {
    let img = image();
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    let p = BigUint::from_bytes_be(&img.dh_p);
    let mse = |alg: u8, key: u8, y: &[u8]| {
        let mut data = vec![0x80, 0x01, alg, 0x83, 0x01, key];
        data.extend(tlv(&[0x91], y));
        Command::new(0x00, 0x22, 0x41, 0xA6).with_data(data)
    };
    let send_cmd = |c: &mut cie_sim::SimCard, cmd: Command| {
        // Chained in plain like the official host when needed.
        let bytes = &cmd.data;
        if bytes.len() <= 255 {
            return sw(c, &cmd.to_bytes().unwrap());
        }
        let mut first = vec![0x10, 0x22, 0x41, 0xA6, 0xFF];
        first.extend_from_slice(&bytes[..255]);
        assert_eq!(sw(c, &first), OK);
        let mut last = vec![0x00, 0x22, 0x41, 0xA6, (bytes.len() - 255) as u8];
        last.extend_from_slice(&bytes[255..]);
        sw(c, &last)
    };
    for bad in [vec![0u8], vec![1], fixed(&(p.clone() - 1u32), 256), img.dh_p.clone(), vec![0xFF; 256], vec![2; 257]] {
        assert_eq!(send_cmd(&mut c, mse(0x9B, 0x81, &bad)), StatusWord::WRONG_DATA);
    }
    assert_eq!(send_cmd(&mut c, mse(0x9C, 0x81, &[5])), StatusWord::WRONG_DATA);
    assert_eq!(send_cmd(&mut c, mse(0x9B, 0x82, &[5])), StatusWord::REFERENCE_NOT_FOUND);
    assert_eq!(sw(&mut c, &[0x00, 0x22, 0x41, 0xA6, 0x06, 0x80, 0x01, 0x9B, 0x83, 0x01, 0x81]), StatusWord::WRONG_DATA);
    assert_eq!(sw(&mut c, &[0x00, 0x22, 0x41, 0xA6, 0x03, 0x80, 0x05, 0x9B]), StatusWord::WRONG_DATA);
    // Nothing was stored: y_ICC is still refused.
    assert_eq!(sw(&mut c, &GET_Y_ICC), StatusWord::CONDITIONS_NOT_SATISFIED);
    // A small valid y (2) is accepted.
    assert_eq!(send_cmd(&mut c, mse(0x9B, 0x81, &[2])), OK);
    assert_eq!(exchange(&mut c, &GET_Y_ICC).1, OK);
    assert!(c.secure_messaging_open());
}

#[test]
fn dh_exchange_opens_secure_messaging_with_ssc_1() {
    let mut c = card(Profile::Stm);
    let mut ch = dh(&mut c, 11);
    assert!(c.secure_messaging_open());
    // The very next command is protected with SSC 2 and answered with SSC 3 (§10.4).
    let (rnd, s) = ch.send(&mut c, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!((rnd.len(), s), (8, OK));
    assert_eq!(ch.ssc.0, [0, 0, 0, 0, 0, 0, 0, 3]);
    // A second one, for the counter's sake.
    let (_, s) = ch.send(&mut c, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!(s, OK);
    // Challenges are random.
    let (rnd2, _) = ch.send(&mut c, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_ne!(rnd, rnd2);
}

#[test]
fn dh_values_are_fresh_each_time() {
    let mut c = card(Profile::Nxp);
    let a = dh(&mut c, 1);
    let b = dh(&mut c, 1);
    // Same host secret, different card secret: different y_ICC and keys.
    assert_eq!(a.y_ifd, b.y_ifd);
    assert_ne!(a.y_icc, b.y_icc);
    assert_ne!(a.keys.enc(), b.keys.enc());
}

#[test]
fn new_key_exchange_under_sm_ends_the_old_session() {
    let mut c = card(Profile::Nxp);
    let mut old = dh(&mut c, 3);
    // MSE SET KAT sent under SM: answered with the old keys, then the old session is gone.
    let mut data = vec![0x80, 0x01, 0x9B, 0x83, 0x01, 0x81];
    data.extend(tlv(&[0x91], &[2]));
    assert_eq!(old.send(&mut c, &Command::new(0x00, 0x22, 0x41, 0xA6).with_data(data)), (vec![], OK));
    assert!(!c.secure_messaging_open());
    assert_eq!(old.send(&mut c, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8)).1, StatusWord::SM_OBJECTS_INCORRECT);
    // GET DATA y_ICC still works: the y_IFD of that MSE SET was kept.
    let (resp, s, _) = exchange(&mut c, &GET_Y_ICC);
    assert_eq!((resp.len(), s), (264, OK));
    assert!(c.secure_messaging_open());
    assert_ne!(resp[8..], old.y_icc[..]);
}
