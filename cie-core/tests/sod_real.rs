//! Passive authentication (PROTOCOL.md §8.3-§8.4) on EF.SOD files that real cards produced,
//! checked against the Italian CSCA certificates built into cie-core. Origin of every file and
//! what was left out: `tests/fixtures/real_sod/README.md`. The expected values (algorithms,
//! versions, DG order, anchors) are written out from that README, not from the code under test.

use cie_core::csca::CscaSet;
use cie_core::sign::HashAlg;
use cie_core::sod::{group_content, verify_sod, Chain, DataGroup, SignatureAlgorithm};
use cie_core::Error;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real_sod/", $name))
    };
}

/// Production card, 2018, old profile: 3,072-byte file, sha1WithRSA, SHA-256 DG hashes, LDS 0.
const A_SOD: &[u8] = fixture!("a_prod2018_ef_sod.bin");
/// Its EF 1005 (public key of key 83, DG A5).
const A_1005: &[u8] = fixture!("a_prod2018_ef_1005.der");
/// TEST card (issued by a test CSCA not published), 2020, new profile.
const B_SOD: &[u8] = fixture!("b_test2020_ef_sod.bin");
/// Its EF 1005 (DG A5).
const B_1005: &[u8] = fixture!("b_test2020_ef_1005.der");
/// Production card, 2022, new profile.
const E_SOD: &[u8] = fixture!("e_prod2022_ef_sod.bin");

const CSCA_2016_436C: &str =
    "1C:EB:E3:0F:21:22:B8:D1:34:B0:A3:01:85:54:ED:0F:62:94:50:56:29:09:42:FC:E0:83:96:40:7B:94:41:46";
const CSCA_2020_D11A: &str =
    "F9:F2:C2:55:4B:60:C7:C6:C1:F1:7A:36:96:CF:D4:6A:FB:65:61:8F:EE:17:A3:D4:2A:C8:9B:E3:A8:F8:C6:89";

fn anchor(chain: &Chain) -> (String, String, SignatureAlgorithm) {
    match chain {
        Chain::Trusted { anchor, signature } => (anchor.fingerprint_hex(), anchor.subject().to_string(), *signature),
        other => panic!("expected a trusted chain, got {other:?}"),
    }
}

#[test]
fn old_profile_production_card_sha1_padded_to_3072() {
    assert_eq!(A_SOD.len(), 3072, "the file as read, zero-padded after its DER end");
    let a5 = group_content(0xA5, A_1005).unwrap();
    let report = verify_sod(A_SOD, &[DataGroup { number: 0xA5, content: a5 }], &CscaSet::italian()).unwrap();
    assert_eq!(report.digest, HashAlg::Sha256);
    assert_eq!(report.signature, SignatureAlgorithm::Pkcs1(HashAlg::Sha1));
    assert_eq!(report.lds_version, 0);
    assert_eq!(report.lds_version_info, None);
    assert_eq!(report.listed, [0xA5, 0xA4, 0xA1, 0xA3, 0xA2, 0x1B]);
    assert_eq!(report.checked, [0xA5]);
    let (fingerprint, subject, signature) = anchor(&report.chain);
    assert_eq!(fingerprint, CSCA_2016_436C);
    assert!(subject.contains("CN=Italian Country Signer CA") && subject.contains("State Police"), "{subject}");
    assert_eq!(signature, SignatureAlgorithm::Pkcs1(HashAlg::Sha1), "DS certificate signed sha1WithRSA");
}

#[test]
fn new_profile_production_card_pss_lds_v1() {
    let report = verify_sod(E_SOD, &[], &CscaSet::italian()).unwrap();
    assert_eq!(report.digest, HashAlg::Sha512);
    assert_eq!(report.signature, SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 });
    assert_eq!(report.lds_version, 1);
    let info = report.lds_version_info.clone().unwrap();
    assert_eq!((info.lds_version.as_str(), info.unicode_version.as_str()), ("0108", "040000"));
    assert_eq!(report.listed, [0xA5, 0x1B, 0xA4, 0xA3, 0xA2, 0xA1]);
    let (fingerprint, subject, signature) = anchor(&report.chain);
    assert_eq!(fingerprint, CSCA_2020_D11A);
    assert!(subject.contains("Italian National Police"), "{subject}");
    assert_eq!(signature, SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 });
}

#[test]
fn test_card_is_intact_but_not_trusted_by_the_italian_set() {
    let a5 = group_content(0xA5, B_1005).unwrap();
    let report = verify_sod(B_SOD, &[DataGroup { number: 0xA5, content: a5 }], &CscaSet::italian()).unwrap();
    assert_eq!(report.checked, [0xA5], "matched by number although A5 comes first and A1 last");
    assert!(matches!(report.chain, Chain::Untrusted(_)), "{:?}", report.chain);
    assert!(!report.trusted());
    // No trust set: the chain is not checked at all.
    assert_eq!(verify_sod(B_SOD, &[], &CscaSet::new()).unwrap().chain, Chain::NotChecked);
}

#[test]
fn a_key_of_another_card_is_refused() {
    // Card B's EF 1005 against card A's EF.SOD, and A's against B's.
    for (sod, other) in [(A_SOD, B_1005), (B_SOD, A_1005)] {
        let dg = [DataGroup { number: 0xA5, content: other }];
        match verify_sod(sod, &dg, &CscaSet::italian()) {
            Err(Error::PassiveAuthentication(m)) => assert!(m.contains("DG A5") && m.contains("does not match"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn real_files_with_a_flipped_byte_are_refused() {
    // One byte of the signature (the last non-zero byte of the DER part) and one of the LDS
    // security object (the first DG hash, after `30 25 02 01 A5 04 20` in A).
    let der_end = 4 + 0x083B;
    let mut sig = A_SOD.to_vec();
    sig[der_end - 1] ^= 0x01;
    let at = A_SOD.windows(7).position(|w| w == [0x30, 0x25, 0x02, 0x01, 0xA5, 0x04, 0x20]).unwrap() + 7;
    let mut lds = A_SOD.to_vec();
    lds[at] ^= 0x80;
    for (what, sod) in [("signature", sig), ("messageDigest", lds)] {
        match verify_sod(&sod, &[], &CscaSet::italian()) {
            Err(Error::PassiveAuthentication(m)) => assert!(m.contains(what), "{what}: {m}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    // Padding after the DER end is never read: changing it changes nothing.
    let mut padding = A_SOD.to_vec();
    padding[3000] = 0xFF;
    assert!(verify_sod(&padding, &[], &CscaSet::italian()).unwrap().trusted());
}
