//! The card's file system in plain (PROTOCOL.md §2, §10.3): SELECT, FCP, READ BINARY by offset
//! and SFI, odd-INS READ BINARY, access conditions, generic errors, robustness.

mod card_util;

use card_util::*;
use cie_core::sw::StatusWord;
use cie_sim::Profile;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// The 29-byte FCP of §2.5 step 1.
fn expected_fcp(fid: u16, sfi: u8, size: usize) -> Vec<u8> {
    let [s0, s1] = (size as u16).to_be_bytes();
    let [f0, f1] = fid.to_be_bytes();
    vec![
        0x6F,
        0x1B,
        0x80,
        0x02,
        s0,
        s1,
        0x82,
        0x01,
        0x01,
        0x88,
        0x01,
        sfi << 3,
        0x83,
        0x02,
        f0,
        f1,
        0x8A,
        0x01,
        0x05,
        0xA1,
        0x08,
        0x8C,
        0x02,
        0x01,
        0x00,
        0x9C,
        0x02,
        0x01,
        0x00,
    ]
}

/// Reads a file the way the official host does (§2.5): SELECT P2=04 without Le, then READ BINARY
/// with Le 80 until `62 82` / `6B 00`. Checks every status word along the way.
fn read_like_official_host(card: &mut cie_sim::SimCard, fid: u16, sfi: u8, content: &[u8]) {
    let [f0, f1] = fid.to_be_bytes();
    let (fcp, s) = send(card, &[0x00, 0xA4, 0x02, 0x04, 0x02, f0, f1]);
    assert_eq!(s, OK, "select {fid:04X}");
    assert_eq!(fcp, expected_fcp(fid, sfi, content.len()), "FCP of {fid:04X}");
    let mut out = Vec::new();
    let mut reads = 0;
    loop {
        let [hi, lo] = (out.len() as u16).to_be_bytes();
        let (d, s) = send(card, &[0x00, 0xB0, hi, lo, 0x80]);
        reads += 1;
        let remaining = content.len() - out.len();
        let expected = match remaining {
            0 => (0, StatusWord::WRONG_OFFSET),
            1..=0x7F => (remaining, StatusWord::END_OF_FILE),
            _ => (0x80, OK),
        };
        assert_eq!((d.len(), s), expected, "READ BINARY {fid:04X} at {}", out.len());
        out.extend_from_slice(&d);
        if s != OK {
            break;
        }
    }
    assert_eq!(out, content, "content of {fid:04X}");
    assert_eq!(reads, content.len() / 0x80 + 1, "READ BINARY count for {fid:04X}");
}

#[test]
fn every_plain_file_reads_byte_exact() {
    let img = image();
    let mut c = card(Profile::Nxp);
    assert_eq!(send(&mut c, &SELECT_MF), (vec![], OK));
    assert_eq!(img.sn_icc.len(), 12);
    read_like_official_host(&mut c, 0xD003, 0x03, &img.sn_icc);
    read_like_official_host(&mut c, 0xD004, 0x1B, &img.ef_dh);
    read_like_official_host(&mut c, 0x2F01, 0x1D, Profile::Nxp.historical_bytes());
    assert_eq!(send(&mut c, &SELECT_CIE), (vec![], OK));
    assert_eq!(img.nis.len(), 12);
    assert_eq!(img.int_kpub.len(), 270);
    read_like_official_host(&mut c, 0x1001, 0x01, &img.nis);
    read_like_official_host(&mut c, 0x1004, 0x04, &img.int_kpub);
    read_like_official_host(&mut c, 0x1005, 0x05, &img.servizi_kpub);
    read_like_official_host(&mut c, 0x1006, 0x06, &img.sod);
}

#[test]
fn read_binary_offsets_and_end_of_file() {
    let img = image();
    let mut c = card(Profile::Actalis);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    // No EF selected yet.
    assert_eq!(sw(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x10]), StatusWord::NO_CURRENT_EF);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x01]), OK);
    // Exactly the file size: 90 00.
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x0C]), (img.nis.clone(), OK));
    // Partial: the bytes up to the end with 62 82.
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x0B, 0x05]), (img.nis[11..].to_vec(), StatusWord::END_OF_FILE));
    // At or beyond the end: 6B 00.
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x0C, 0x01]), (vec![], StatusWord::WRONG_OFFSET));
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x7F, 0xFF, 0x01]), (vec![], StatusWord::WRONG_OFFSET));
    // Le 00 (256) and any Le above 231 get the 231 bytes real cards give, with 90 00 (§2.5).
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x06]), OK);
    for le in [0x00, 0xFF, 0xE8, 0xE7] {
        let (d, s) = send(&mut c, &[0x00, 0xB0, 0x00, 0x10, le]);
        assert_eq!((d.as_slice(), s), (&img.sod[0x10..0x10 + 231], OK), "Le {le:02X}");
    }
    // The end of the file within the cap: the rest with 62 82.
    let [hi, lo] = (img.sod.len() as u16 - 100).to_be_bytes();
    let (d, s) = send(&mut c, &[0x00, 0xB0, hi, lo, 0x00]);
    assert_eq!((d.as_slice(), s), (&img.sod[img.sod.len() - 100..], StatusWord::END_OF_FILE));
}

#[test]
fn read_binary_max_256_keeps_the_former_answers() {
    let img = image();
    let mut c = card(Profile::Nxp).with_read_binary_max(256);
    assert_eq!(c.read_binary_max(), 256);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x06]), OK);
    let (d, s) = send(&mut c, &[0x00, 0xB0, 0x00, 0x10, 0x00]);
    assert_eq!((d.as_slice(), s), (&img.sod[0x10..0x110], OK));
    // Odd INS: Le 00 wraps 253 data bytes (53 81 FD <253> = 256).
    let (d, s) = send(&mut c, &[0x00, 0xB1, 0x00, 0x00, 0x04, 0x54, 0x02, 0x00, 0x00, 0x00]);
    assert_eq!((&d[..3], &d[3..], s), (&[0x53, 0x81, 0xFD][..], &img.sod[..253], OK));
    assert_eq!(card(Profile::Nxp).read_binary_max(), cie_sim::card::READ_BINARY_MAX);
    assert_eq!(cie_sim::card::READ_BINARY_MAX, 231);
}

#[test]
fn read_binary_by_sfi() {
    let img = image();
    let mut c = card(Profile::Bit4id);
    assert_eq!(sw(&mut c, &SELECT_MF), OK);
    // EF.DH by SFI 1B from the MF.
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x9B, 0x00, 0x20]), (img.ef_dh[..0x20].to_vec(), OK));
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    // NIS by SFI 01 (PGA: 00 B0 81 00 0C).
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x81, 0x00, 0x0C]), (img.nis.clone(), OK));
    // EF 1005 by SFI 05 as PGI reads it (§2.2): 231 bytes for Le 00, then the rest from E7.
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x85, 0x00, 0x00]), (img.servizi_kpub[..0xE7].to_vec(), OK));
    // With an offset in P2; the file becomes the current EF.
    assert_eq!(
        send(&mut c, &[0x00, 0xB0, 0x85, 0xE7, 0x00]),
        (img.servizi_kpub[0xE7..].to_vec(), StatusWord::END_OF_FILE)
    );
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x04]), (img.servizi_kpub[..4].to_vec(), OK));
    // Unknown SFI, bad P1 bits.
    assert_eq!(sw(&mut c, &[0x00, 0xB0, 0x8A, 0x00, 0x04]), StatusWord::FILE_NOT_FOUND);
    assert_eq!(sw(&mut c, &[0x00, 0xB0, 0xA1, 0x00, 0x04]), StatusWord::INCORRECT_P1P2);
}

#[test]
fn odd_ins_read_binary_wraps_data_in_53() {
    let img = image();
    let mut c = card(Profile::Gemalto);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    // PGI: 00 B1 00 06 04 54 02 <offset> E7 → 53 81 E4 + 228 bytes.
    let (d, s) = send(&mut c, &[0x00, 0xB1, 0x00, 0x06, 0x04, 0x54, 0x02, 0x00, 0x00, 0xE7]);
    assert_eq!(s, OK);
    assert_eq!(d.len(), 0xE7);
    assert_eq!(d[..3], [0x53, 0x81, 0xE4]);
    assert_eq!(&d[3..], &img.sod[..228]);
    // The tail of the file: partial data with 62 82.
    let off = (img.sod.len() - 10) as u16;
    let [hi, lo] = off.to_be_bytes();
    let (d, s) = send(&mut c, &[0x00, 0xB1, 0x00, 0x06, 0x04, 0x54, 0x02, hi, lo, 0xE7]);
    assert_eq!((s, d[..2].to_vec()), (StatusWord::END_OF_FILE, vec![0x53, 0x0A]));
    assert_eq!(&d[2..], &img.sod[img.sod.len() - 10..]);
    // Beyond the end, and a malformed offset object.
    let [hi, lo] = (img.sod.len() as u16).to_be_bytes();
    assert_eq!(sw(&mut c, &[0x00, 0xB1, 0x00, 0x06, 0x04, 0x54, 0x02, hi, lo, 0xE7]), StatusWord::WRONG_OFFSET);
    assert_eq!(sw(&mut c, &[0x00, 0xB1, 0x00, 0x06, 0x04, 0x55, 0x02, 0, 0, 0xE7]), StatusWord::WRONG_DATA);
    // By FID in P1P2, and on the current EF (P1P2 = 0000).
    let (d, s) = send(&mut c, &[0x00, 0xB1, 0x10, 0x01, 0x03, 0x54, 0x01, 0x02, 0x00]);
    assert_eq!((d, s), ([&[0x53, 0x0A][..], &img.nis[2..]].concat(), StatusWord::END_OF_FILE));
    let (d, s) = send(&mut c, &[0x00, 0xB1, 0x00, 0x00, 0x03, 0x54, 0x01, 0x00, 0x04]);
    assert_eq!((d, s), ([&[0x53, 0x02][..], &img.nis[..2]].concat(), OK));
}

#[test]
fn protected_files_need_secure_messaging_and_pin() {
    let img = image();
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    for (fid, sfi, len) in [(0x1002u16, 0x02u8, img.serial.len()), (0x1003, 0x03, img.certificate.len())] {
        let [f0, f1] = fid.to_be_bytes();
        // SELECT works and tells the size ...
        let (fcp, s) = send(&mut c, &[0x00, 0xA4, 0x02, 0x04, 0x02, f0, f1]);
        assert_eq!((fcp, s), (expected_fcp(fid, sfi, len), OK));
        // ... but reading is refused, by offset and by SFI.
        assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x80]), (vec![], StatusWord::SECURITY_STATUS_NOT_SATISFIED));
        assert_eq!(sw(&mut c, &[0x00, 0xB0, 0x80 | sfi, 0x00, 0x80]), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        assert_eq!(
            sw(&mut c, &[0x00, 0xB1, 0x00, 0x00, 0x04, 0x54, 0x02, 0, 0, 0x00]),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED
        );
    }
}

#[test]
fn ias_aid_selects_the_mf_only_on_gemalto_and_stm() {
    let img = image();
    let mut select_ias = vec![0x00, 0xA4, 0x04, 0x0C, 0x0D];
    select_ias.extend_from_slice(&IAS_AID);
    for profile in Profile::ALL {
        let mut c = card(profile);
        assert_eq!(c.atr(), profile.atr());
        assert_eq!(sw(&mut c, &SELECT_CIE), OK);
        if profile.has_ias_aid() {
            assert_eq!(send(&mut c, &select_ias), (vec![], OK), "{profile}");
            // The MF is selected: D003 is there.
            assert_eq!(read_file_plain(&mut c, 0xD003), (img.sn_icc.clone(), OK), "{profile}");
        } else {
            assert_eq!(send(&mut c, &select_ias), (vec![], StatusWord::FILE_NOT_FOUND), "{profile}");
            // Still in DF_CIE.
            assert_eq!(read_file_plain(&mut c, 0x1001), (img.nis.clone(), OK), "{profile}");
            assert_eq!(send(&mut c, &SELECT_MF), (vec![], OK));
            assert_eq!(read_file_plain(&mut c, 0xD003), (img.sn_icc.clone(), OK), "{profile}");
        }
    }
}

#[test]
fn select_forms_and_errors() {
    let mut c = card(Profile::Stm3);
    // 3F00 by FID (PGA / PN532 forms).
    assert_eq!(send(&mut c, &[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]), (vec![], OK));
    assert_eq!(send(&mut c, &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), (vec![], OK));
    // Files live in their own DF only.
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x01]), StatusWord::FILE_NOT_FOUND);
    assert_eq!(sw(&mut c, &SELECT_CIE), OK);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0xD0, 0x03]), StatusWord::FILE_NOT_FOUND);
    // SELECT by AID with P2 04 answers an FCP naming the DF.
    let (fcp, s) = send(&mut c, &[0x00, 0xA4, 0x04, 0x04, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39]);
    assert_eq!(s, OK);
    assert_eq!(fcp, [0x62, 0x0B, 0x82, 0x01, 0x38, 0x84, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39]);
    // Unknown AID (OpenSC probing), wrong P1/P2, wrong lengths.
    assert_eq!(
        sw(&mut c, &[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]),
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x08, 0x0C, 0x02, 0x10, 0x01]), StatusWord::INCORRECT_P1P2);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x05, 0x02, 0x10, 0x01]), StatusWord::INCORRECT_P1P2);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x03, 0x10, 0x01, 0x00]), StatusWord::WRONG_LENGTH);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C]), StatusWord::WRONG_LENGTH);
    // A failed SELECT leaves the current EF alone.
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x01]), OK);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x09]), StatusWord::FILE_NOT_FOUND);
    assert_eq!(send(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x02]).1, OK);
}

#[test]
fn generic_errors() {
    let mut c = card(Profile::Nxp);
    assert_eq!(sw(&mut c, &[0x00, 0x12, 0x00, 0x00]), StatusWord::INS_NOT_SUPPORTED);
    assert_eq!(sw(&mut c, &[0x80, 0xA4, 0x00, 0x00]), StatusWord::CLA_NOT_SUPPORTED);
    assert_eq!(sw(&mut c, &[0x01, 0xA4, 0x00, 0x00]), StatusWord::CLA_NOT_SUPPORTED);
    assert_eq!(sw(&mut c, &[0x00, 0xA4]), StatusWord::WRONG_LENGTH);
    assert_eq!(sw(&mut c, &[]), StatusWord::WRONG_LENGTH);
    assert_eq!(sw(&mut c, &[0x00, 0xA4, 0x00, 0x00, 0x05, 0x01]), StatusWord::WRONG_LENGTH);
    // Extended length is not supported.
    assert_eq!(sw(&mut c, &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00]), StatusWord::WRONG_LENGTH);
    // GET DATA: wrong P1P2, unknown DO, not a header list.
    assert_eq!(sw(&mut c, &[0x00, 0xCB, 0x00, 0x00, 0x04, 0x4D, 0x02, 0x5C, 0x00]), StatusWord::INCORRECT_P1P2);
    assert_eq!(sw(&mut c, &[0x00, 0xCB, 0x3F, 0xFF, 0x04, 0x4D, 0x02, 0x5C, 0x00]), StatusWord::REFERENCE_NOT_FOUND);
    assert_eq!(sw(&mut c, &[0x00, 0xCB, 0x3F, 0xFF, 0x02, 0x5C, 0x00]), StatusWord::WRONG_DATA);
    // Chaining on a command that does not support it.
    assert_eq!(sw(&mut c, &[0x10, 0xA4, 0x00, 0x00]), StatusWord::CHAINING_NOT_SUPPORTED);
    // SM objects without a session.
    assert_eq!(sw(&mut c, &[0x0C, 0x84, 0x00, 0x00, 0x03, 0x97, 0x01, 0x08]), StatusWord::SM_OBJECTS_INCORRECT);
    // Commands that need secure messaging.
    assert_eq!(
        sw(&mut c, &[0x00, 0x20, 0x00, 0x81, 0x08, b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8']),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(
        sw(&mut c, &[0x00, 0x22, 0x81, 0xB6, 0x06, 0x80, 0x01, 0x41, 0x83, 0x01, 0x84]),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(c.pin_tries_left(), 3);
    assert_eq!(c.commands_processed(), 14);
}

#[test]
fn never_panics_on_arbitrary_input() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    // Valid prefixes the fuzzer mutates, so that deep code paths are reached.
    let seeds: Vec<Vec<u8>> = vec![
        SELECT_CIE.to_vec(),
        GET_G.to_vec(),
        GET_DH_ALL.to_vec(),
        GET_CA_KEY.to_vec(),
        GET_Y_ICC.to_vec(),
        vec![0x00, 0xB0, 0x81, 0x00, 0x0C],
        vec![0x00, 0xB1, 0x00, 0x06, 0x04, 0x54, 0x02, 0x00, 0x00, 0xE7],
        vec![0x00, 0x22, 0x41, 0xA6, 0x09, 0x80, 0x01, 0x9B, 0x83, 0x01, 0x81, 0x91, 0x01, 0x05],
        vec![0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x83],
        vec![0x00, 0x88, 0x00, 0x00, 0x03, 1, 2, 3],
        vec![0x00, 0x84, 0x00, 0x00, 0x08],
        vec![0x10, 0x2A, 0x00, 0xAE, 0x04, 0x7F, 0x21, 0x01, 0x00],
        vec![0x00, 0xC0, 0x00, 0x00, 0x10],
    ];
    for profile in [Profile::Nxp, Profile::Gemalto] {
        let mut c = card(profile);
        for i in 0..20_000u32 {
            let apdu = if i % 3 == 0 {
                let len = (rng.next_u32() % 300) as usize;
                let mut v = vec![0u8; len];
                rng.fill_bytes(&mut v);
                v
            } else {
                let mut v = seeds[(rng.next_u32() as usize) % seeds.len()].clone();
                for _ in 0..(rng.next_u32() % 3) {
                    if v.is_empty() {
                        break;
                    }
                    let at = (rng.next_u32() as usize) % v.len();
                    v[at] = rng.next_u32() as u8;
                }
                if rng.next_u32() % 4 == 0 {
                    v.truncate((rng.next_u32() as usize) % (v.len() + 1));
                }
                v
            };
            let resp = c.process(&apdu);
            assert!(resp.len() >= 2 && resp.len() <= 258, "response of {} bytes", resp.len());
        }
        // Still a working card afterwards.
        c.reset();
        assert_eq!(sw(&mut c, &SELECT_CIE), OK);
        assert_eq!(read_file_plain(&mut c, 0x1001).0, image().nis);
    }
}
