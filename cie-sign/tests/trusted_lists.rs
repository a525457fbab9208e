//! Real published trusted lists from esig/dss's test resources (cie-sign/tests/corpus/tsl/,
//! MANIFEST): the EU list of lists of 2019-09-04, verified with its real signer (the
//! certificate its own signature carries, one of those the Official Journal publishes), and the
//! national lists of that time it points to (Italy, Denmark, Cyprus, Iceland, Slovakia),
//! verified with the signers the LOTL names for them (XAdES-BES enveloped signatures, exclusive
//! canonicalization, a SignedProperties reference). DSS's own altered LOTL (broken signature)
//! is refused, as DSS expects; lists past their NextUpdate are refused at today's date;
//! hostile XML gives typed errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cie_sign::tsl::{self, ListSource, TslError};
use cie_sign::xmldsig::DsigError;
use cie_sign::Trust;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tsl").join(name)
}

fn source(name: &str, signers: &[&str]) -> ListSource {
    let mut t = Trust::none();
    for s in signers {
        t.add_path(&corpus(s)).unwrap();
    }
    tsl::source(&corpus(name), t.anchors().to_vec()).unwrap()
}

/// 2019-09-10T00:00:00Z: after every list's issue, before their NextUpdate.
const IN_2019: Duration = Duration::from_secs(1_568_073_600);

#[test]
fn the_2019_lotl_and_the_national_lists_it_names_verify() {
    let mut trust = Trust::none();
    let sources = vec![
        source("eu-lotl.xml", &["eu-lotl-signer.pem"]),
        source("IT.xml", &[]),
        source("DK.xml", &[]),
        source("CY.xml", &[]),
        source("IS.xml", &[]),
        source("sk-tl.xml", &[]),
    ];
    let outcomes = tsl::add_lists(&mut trust, &sources, IN_2019);
    for o in &outcomes {
        assert_eq!(o.refused, None, "{o:?}");
    }
    assert!(outcomes[0].is_lotl);
    let territories: Vec<_> = outcomes.iter().map(|o| o.territory.clone().unwrap()).collect();
    assert_eq!(territories, ["EU", "IT", "DK", "CY", "IS", "SK"]);
    // The CA/QC service certificates each list names (Denmark's list of 2019 has none).
    let anchors: Vec<usize> = outcomes.iter().map(|o| o.anchors).collect();
    assert_eq!(anchors, [0, 174, 0, 2, 2, 14]);
    assert_eq!(trust.len(), outcomes.iter().map(|o| o.anchors).sum::<usize>());
}

#[test]
fn a_broken_signature_a_wrong_signer_and_an_old_list_are_refused() {
    // DSS's LOTL with its signature broken (eu-lotl-broken-sig.xml): DSS finds it invalid.
    let mut trust = Trust::none();
    let outcomes = tsl::add_lists(&mut trust, &[source("eu-lotl-broken-sig.xml", &["eu-lotl-signer.pem"])], IN_2019);
    let why = outcomes[0].refused.clone().unwrap().to_string();
    assert!(why.contains("changed after it was signed") || why.contains("does not verify"), "{why}");
    // The Italian list given with the LOTL's signer and no LOTL: not its signer.
    let outcomes = tsl::add_lists(&mut trust, &[source("IT.xml", &["eu-lotl-signer.pem"])], IN_2019);
    assert!(outcomes[0].refused.as_ref().unwrap().to_string().contains("expected signing certificate"), "{outcomes:?}");
    // Without the LOTL, the national lists have no signer.
    let outcomes = tsl::add_lists(&mut trust, &[source("DK.xml", &[])], IN_2019);
    assert!(outcomes[0].refused.as_ref().unwrap().to_string().contains("no signing certificate"), "{outcomes:?}");
    // Today the 2019 lists are long past their NextUpdate.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let outcomes = tsl::add_lists(&mut trust, &[source("eu-lotl.xml", &["eu-lotl-signer.pem"])], now);
    assert!(outcomes[0].refused.as_ref().unwrap().to_string().contains("out of date"), "{outcomes:?}");
    assert!(trust.is_empty());
    // A list signed with ECDSA on brainpoolP256r1 (DSS tl-ecdsa-brainpool.xml, gematik's, valid
    // for DSS): its XML signature (raw r||s) verifies; a byte of its signature value changed by
    // hand (the first character of the base64 text) makes it fail as not verifying with the signer.
    let t = std::fs::read(corpus("tl-ecdsa-brainpool.xml")).unwrap();
    let mut signer = Trust::none();
    signer.add_path(&corpus("tl-ecdsa-brainpool-signer.pem")).unwrap();
    let r = cie_sign::xmldsig::verify_document(&t, signer.anchors());
    assert!(r.is_ok(), "{r:?}");
    let text = String::from_utf8(t.clone()).unwrap();
    let at = text.find("SignatureValue").and_then(|i| text[i..].find('>').map(|j| i + j + 1)).unwrap();
    let mut altered = t.clone();
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let r = cie_sign::xmldsig::verify_document(&altered, signer.anchors());
    assert!(matches!(&r, Err(DsigError::WrongSigner(_))), "{r:?}");
}

#[test]
fn hostile_xml_gives_typed_errors() {
    let billion = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><l>&b;</l>";
    assert!(matches!(tsl::parse_unchecked(billion.as_bytes()), Err(TslError::Xml(_))));
    let external = "<!DOCTYPE l SYSTEM \"file:///etc/passwd\"><l/>";
    assert!(matches!(tsl::parse_unchecked(external.as_bytes()), Err(TslError::Xml(_))));
    assert!(matches!(tsl::parse_unchecked(b"<TrustServiceStatusList/>"), Err(TslError::Format(_))));
    let big = vec![b' '; tsl::MAX_LIST_BYTES + 1];
    assert!(matches!(tsl::parse_unchecked(&big), Err(TslError::Limit(_))));
    let many = format!("<a>{}</a>", "<b/>".repeat(2_100_000));
    assert!(matches!(tsl::parse_unchecked(many.as_bytes()), Err(TslError::Limit(_))));
    // Every prefix of a real list is refused with an error, never a panic.
    let it = std::fs::read(corpus("DK.xml")).unwrap();
    for cut in (0..it.len()).step_by(997) {
        assert!(tsl::parse_unchecked(&it[..cut]).is_err());
    }
    assert_eq!(tsl::parse_unchecked(&it).map(|(t, _)| t), Ok("DK".into()));
}
