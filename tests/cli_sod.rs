//! `cie verify-sod` on both EF.SOD profiles of real cards (the simulator's old and new cards
//! through pcscd), the trust set (built-in Italian CSCAs, `$XDG_CONFIG_HOME/cie/csca`,
//! `--csca FILE|DIR`), and the offline mode `--sod FILE --dg TAG=FILE` on EF.SOD files real
//! cards produced (cie-core/tests/fixtures/real_sod/README.md).

mod cli_util;

use std::path::{Path, PathBuf};

use cie_sim::stack::StackOptions;
use cli_util::*;

/// A card whose EF.SOD has the `sod` profile (`old` or `new`).
fn card(name: &str, sod: &str) -> Card {
    Card::start_with(name, StackOptions { sod: Some(sod.into()), ..StackOptions::default() })
}

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cie-core/tests/fixtures/real_sod").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The simulator's test CSCA written to the card's scratch directory.
fn test_csca(card: &Card) -> PathBuf {
    let csca = card.path("csca.der");
    std::fs::write(&csca, cie_sim::fixtures::csca_certificate()).unwrap();
    csca
}

#[test]
fn old_profile_card_sha1_padded() {
    let card = card("sod-old", "old");
    let csca = test_csca(&card);
    let r = card.cie(&["verify-sod", "--pin-stdin", "--csca", s(&csca)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("(SHA-256 hashes, sha1WithRSAEncryption, LDS version 0)"), "{r:?}");
    assert_eq!(r.stdout.matches("hash matches").count(), 6, "{r:?}");
    assert!(r.stdout.contains("Document Signer issued by the CSCA CN=cie-sim Test CSCA"), "{r:?}");
    assert!(r.stdout.contains("(the CSCA signed it sha1WithRSAEncryption)"), "{r:?}");
    assert!(r.stdout.contains("key 83 answered a fresh challenge): not a copy"), "{r:?}");

    // The order of the old profile's EF.SOD, as real cards list the groups.
    let r = card.cie(&["--json", "verify-sod", "--csca", s(&csca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(r#""listed":["A5","A4","A1","A3","A2","1B"]"#), "{r:?}");
    assert!(r.stdout.contains(r#""digest":"SHA-256","signature":"sha1WithRSAEncryption","lds_version":0"#), "{r:?}");
    assert!(r.stdout.contains(r#""chip_authenticated":true"#), "{r:?}");

    // A CSCA dropped into $XDG_CONFIG_HOME/cie/csca is trusted without --csca.
    let config = card.path("config");
    std::fs::create_dir_all(config.join("cie/csca")).unwrap();
    std::fs::copy(&csca, config.join("cie/csca/sim.der")).unwrap();
    let r = card.cie_env(&[("XDG_CONFIG_HOME", s(&config))], &["verify-sod"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("issued by the CSCA CN=cie-sim Test CSCA"), "{r:?}");
    // Without it, the built-in Italian set does not know the simulator's CSCA: exit 6.
    let empty = card.path("empty");
    let r = card.cie_env(&[("XDG_CONFIG_HOME", s(&empty))], &["verify-sod"], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    // --csca with a directory.
    let r = card.cie(&["verify-sod", "--csca", s(&config.join("cie/csca"))], "");
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn new_profile_card_pss_lds_v1() {
    let card = card("sod-new", "new");
    let csca = test_csca(&card);
    let r = card.cie(&["verify-sod", "--csca", s(&csca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let algorithm = "(SHA-512 hashes, RSASSA-PSS (SHA-512, MGF1-SHA-512, salt 64), LDS version 1 (0108, 040000))";
    assert!(r.stdout.contains(algorithm), "{r:?}");
    assert_eq!(r.stdout.matches("hash matches").count(), 4, "{r:?}");
    assert!(r.stdout.contains("(the CSCA signed it RSASSA-PSS (SHA-512, MGF1-SHA-512, salt 64))"), "{r:?}");
    let r = card.cie(&["--json", "verify-sod", "--csca", s(&csca)], "");
    assert!(r.stdout.contains(r#""listed":["A5","1B","A4","A3","A2","A1"]"#), "{r:?}");
    assert!(r.stdout.contains(r#""lds_version_info":{"lds_version":"0108","unicode_version":"040000"}"#), "{r:?}");

    // In Italian, untrusted.
    let r = card.cie_in(&[("LC_ALL", "it_IT.UTF-8")], &["verify-sod"], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("EF.SOD è valido"), "{r:?}");
    assert!(r.stderr.contains("NON attendibile"), "{r:?}");
}

#[test]
fn offline_real_cards() {
    let (a_sod, a_key) = (real("a_prod2018_ef_sod.bin"), real("a_prod2018_ef_1005.der"));
    let (b_sod, b_key) = (real("b_test2020_ef_sod.bin"), real("b_test2020_ef_1005.der"));
    // A production card of 2018 (old profile), its key 83 by file id: anchored by a built-in CSCA.
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&a_sod), "--dg", &format!("1005={}", s(&a_key))], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("(SHA-256 hashes, sha1WithRSAEncryption, LDS version 0)"), "{r:?}");
    assert!(r.stdout.contains("A5 services public key (EF 1005)"), "{r:?}");
    let subject =
        "C=IT,O=Ministry of Interior,OU=National Electronic Center of State Police,CN=Italian Country Signer CA";
    assert!(r.stdout.contains(&format!("Document Signer issued by the CSCA {subject}")), "{r:?}");
    let fingerprint = "1C:EB:E3:0F:21:22:B8:D1:34:B0:A3:01:85:54:ED:0F:62:94:50:56:29:09:42:FC:E0:83:96:40:7B:94:41:46";
    assert!(r.stdout.contains(fingerprint), "{r:?}");
    assert!(!r.stdout.contains("need the PIN"), "no card, no PIN: {r:?}");
    // The same by DG number, in JSON; the source is the file.
    let r =
        cie_with_socket(None, &["--json", "verify-sod", "--sod", s(&a_sod), "--dg", &format!("A5={}", s(&a_key))], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.starts_with(r#"{"source":"file","#) && r.stdout.contains(fingerprint), "{r:?}");
    assert!(r.stdout.contains(r#""chip_authenticated":false"#), "no chip answered a file: {r:?}");
    // Another card's key: forged, exit 1.
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&a_sod), "--dg", &format!("A5={}", s(&b_key))], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("hash of DG A5 does not match"), "{r:?}");
    // A test card (its test CSCA is unpublished): intact, its key matches, but not trusted.
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&b_sod), "--dg", &format!("A5={}", s(&b_key))], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("A5 services public key"), "{r:?}");
    assert!(r.stderr.contains("NOT trusted"), "{r:?}");
    // No data group given: said so.
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&real("e_prod2022_ef_sod.bin"))], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("no data group checked"), "{r:?}");
    // Trusting only the simulator's CSCA: the real card is not trusted.
    let dir = std::env::temp_dir().join(format!("cie-cli-sod-offline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sim = dir.join("sim.der");
    std::fs::write(&sim, cie_sim::fixtures::csca_certificate()).unwrap();
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&a_sod), "--csca", s(&sim)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    // Mistakes on the command line: exit 2 before anything is read.
    for args in [
        vec!["verify-sod", "--dg", "A5=x"],
        vec!["verify-sod", "--sod", s(&a_sod), "--dg", "A5"],
        vec!["verify-sod", "--sod", s(&a_sod), "--dg", "1006=x"],
    ] {
        let r = cie_with_socket(None, &args, "");
        assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
    }
    // A file that is no EF.SOD, a CSCA file that is no certificate: exit 1.
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&a_key)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let r = cie_with_socket(None, &["verify-sod", "--sod", s(&a_sod), "--csca", s(&a_key)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("CSCA certificates"), "{r:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
