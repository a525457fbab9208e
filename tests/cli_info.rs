//! `cie readers`, `cie info`, `cie verify-sod`, `cie pin change` and `cie demo` through pcscd
//! with the virtual card.

mod cli_util;

use cli_util::*;

#[test]
fn readers_and_info() {
    let card = Card::start("info");
    let r = card.cie(&["readers"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "Virtual PCD 00 00"), "{r:?}");

    let r = card.cie(&["info"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("reader:       Virtual PCD 00 00"), "{r:?}");
    assert!(r.stdout.contains("generation NXP"), "{r:?}");
    assert!(r.stdout.contains("ATR:          3B 8E 80 01"), "{r:?}");
    assert!(r.stdout.contains(&format!("NIS:          {TEST_NIS}")), "{r:?}");
    assert!(r.stdout.contains("PIN:          3 tries left"), "{r:?}");
    assert!(!r.stdout.contains("card number"), "not without the PIN: {r:?}");

    let r = card.cie(&["info", "--pin-stdin"], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(&format!("card number:  {TEST_SERIAL}")), "{r:?}");
    assert!(r.stdout.contains("holder:       MARIO ROSSI"), "{r:?}");
}

#[test]
fn verify_sod() {
    let card = Card::start("sod");
    // By default the Italian CSCAs: the simulator's test CSCA is not one, so the card's data is
    // intact but not trusted (exit 6, as an INDETERMINATE signature).
    let r = card.cie(&["verify-sod"], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("EF.SOD is valid"), "{r:?}");
    assert_eq!(r.stdout.matches("hash matches").count(), 4, "{r:?}");
    assert!(r.stderr.contains("NOT trusted") && r.stderr.contains("/etc/cie/csca"), "{r:?}");

    let csca = card.path("csca.der");
    std::fs::write(&csca, cie_sim::fixtures::csca_certificate()).unwrap();
    let r = card.cie(&["verify-sod", "--pin-stdin", "--csca", csca.to_str().unwrap()], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout.matches("hash matches").count(), 6, "{r:?}");
    assert!(r.stdout.contains("Document Signer issued by the CSCA CN=cie-sim Test CSCA"), "{r:?}");

    // PEM works too; JSON says what was checked.
    let pem = card.path("csca.pem");
    let (ok, _, err) = tool(
        "openssl",
        &[
            "x509".as_ref(),
            "-inform".as_ref(),
            "DER".as_ref(),
            "-in".as_ref(),
            csca.as_os_str(),
            "-out".as_ref(),
            pem.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    let r = card.cie(&["--json", "verify-sod", "--csca", pem.to_str().unwrap()], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("\"csca_verified\":true") && r.stdout.contains("\"chain\":\"trusted\""), "{r:?}");
    assert!(r.stdout.contains("\"data_groups_match\":true") && !r.stdout.contains("\"valid\""), "{r:?}");
    // Untrusted: the JSON report says so, exit 6.
    let r = card.cie(&["--json", "verify-sod"], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("\"data_groups_match\":true"), "{r:?}");
    assert!(r.stdout.contains("\"chain\":\"untrusted\"") && r.stdout.contains("\"csca_verified\":false"), "{r:?}");

    // The wrong CSCA (the citizen CA) vouches for nothing: untrusted, with the advice.
    let wrong = card.path("wrong.der");
    std::fs::write(&wrong, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let r = card.cie(&["verify-sod", "--csca", wrong.to_str().unwrap()], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stderr.contains("NOT trusted") && r.stderr.contains("do not rely on it"), "{r:?}");
}

#[test]
fn pin_change_and_demo() {
    let card = Card::start("change");
    let r = card.cie(&["pin", "change", "--pin-stdin"], "99999999\n11223344\n");
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stderr.contains("2 tries left"), "{r:?}");
    let r = card.cie(&["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n11223344\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("PIN changed"), "{r:?}");
    let r = card.cie(&["info", "--pin-stdin"], TEST_PIN);
    assert_eq!(r.code, Some(3), "the old PIN is refused: {r:?}");

    let r = card.cie(&["demo", "--pin-stdin"], "11223344\n");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout.lines().last(), Some("demo ok"), "{r:?}");
}
