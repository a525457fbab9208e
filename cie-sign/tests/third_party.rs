//! The verifier judged on documents other people made: the PDFs of pyHanko's public test suite
//! (its source distribution, fetched and checked by `cargo xtask test` into
//! `target/third-party/`), each with the verdict pyHanko's own tests expect of it, restated in
//! ETSI terms. Adobe Reader double signatures, signatures with subject key identifiers or
//! without signed attributes, DSS and document timestamps must come out intact and unmodified;
//! coverage anomalies, "sneaky" form updates that clobber other objects and an indirect
//! /Extensions reached by another path must not pass; circular page, form and structure trees
//! and broken cross-reference chains must end promptly in an error or a verdict.

use std::path::PathBuf;

use cie_sign::pades::{self, PadesOptions};
use cie_sign::{Indication, Report, SubIndication, Trust};

/// The unpacked pyHanko source distribution.
fn suite() -> PathBuf {
    let dir = std::env::var_os("CIE_PYHANKO_SDIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/third-party/pyhanko-0.38.0"));
    assert!(
        dir.join("pyhanko_testing_commons").is_dir(),
        "{} missing: run `cargo xtask test` (it fetches pyHanko's source distribution, SHA-256 checked)",
        dir.display()
    );
    dir
}

fn pdf(name: &str) -> Vec<u8> {
    let path = suite().join("pyhanko_testing_commons/test_data/data/pdf").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// pyHanko's test root CA (its certomancer PKI), as trust anchor.
fn pyhanko_root() -> Trust {
    let path = suite().join("pyhanko_testing_commons/test_data/data/crypto/testing-ca/root/root.cert.pem");
    let mut t = Trust::none();
    t.add(&std::fs::read(path).unwrap()).unwrap();
    t
}

/// No signature of `r` is TOTAL-FAILED, and nothing after a signed revision is a change the
/// signatures do not permit.
fn intact_and_unmodified(name: &str, r: &Report) {
    assert!(!r.signatures.is_empty(), "{name}: no signature found: {r:?}");
    assert!(r.modifications.is_empty(), "{name}: {:?}", r.modifications);
    for s in &r.signatures {
        assert_ne!(s.indication(), Indication::TotalFailed, "{name}: {:?} {:?}", s.field, s.problems);
    }
}

#[test]
fn documents_signed_elsewhere_are_intact_and_unmodified() {
    // pyHanko's tests: test_double_sig_adobe_reader (three Adobe Reader double signatures),
    // test_signature_without_type_is_form_filling, test_verify_sig_without_signed_attrs,
    // test_verify_sig_with_ski_sid, test_old_style_signing_cert_attr_ok,
    // test_validate_separate_annot_with_indir_kids, test_diff_analysis_add_extensions_dict,
    // test_appearance_update_edge_cases, test_pades_sign_twice_indirect_arrs (DSS, document
    // timestamp): all valid and intact, with at most form-filling-level changes that belong
    // to a later signature.
    for name in [
        "minimal-two-fields-signed-twice.pdf",
        "minimal-signed-twice-second-created.pdf",
        "minimal-signed-twice-both-created.pdf",
        "minimal-signed-twice-no-sig-type.pdf",
        "sig-no-signed-attrs.pdf",
        "sig-with-ski-sid.pdf",
        "pades-with-old-style-signing-cert-attr.pdf",
        "pades-with-old-style-signing-cert-attr-issser.pdf",
        "separate-annots-kids-indir.pdf",
        "extensions-direct.pdf",
        "extensions-indirect.pdf",
        "extensions-update-direct.pdf",
        "extensions-update-indirect.pdf",
        "form-update-override-appearance-stream.pdf",
        "form-update-override-appearance-stream-ap-indirect.pdf",
        "form-update-no-override-appearance-stream-ap-indirect.pdf",
        "form-update-original-ap-type-wrong.pdf",
        "pades-lta-dss-indirect-arrs-test.pdf",
        "pades-lta-dss-indirect-arrs-test-2.pdf",
    ] {
        let r = pades::verify_pdf(&pdf(name), &Trust::none()).unwrap_or_else(|e| panic!("{name}: {e}"));
        intact_and_unmodified(name, &r);
        // Intact but nobody vouches for the signer: never TOTAL-PASSED without anchors.
        assert_eq!(r.indication(), Indication::Indeterminate, "{name}: {r:?}");
    }
}

#[test]
fn expired_third_party_certificates_chain_but_do_not_pass() {
    // Alice's certificate (pyHanko's test PKI) expired on 2022-01-01; the path to pyHanko's
    // root is found, and the verdict is INDETERMINATE / OUT_OF_BOUNDS_NO_POE, not a failure.
    for name in ["sig-with-ski-sid.pdf", "pades-with-old-style-signing-cert-attr-issser.pdf"] {
        let r = pades::verify_pdf(&pdf(name), &pyhanko_root()).unwrap();
        intact_and_unmodified(name, &r);
        let s = &r.signatures[0];
        assert!(matches!(s.chain, cie_sign::Chain::Trusted(_)), "{name}: {:?}", s.chain);
        assert_eq!(s.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe), "{name}: {:?}", s.problems);
    }
}

#[test]
fn pades_lta_files_pass_through_their_timestamps() {
    // pyHanko's PAdES-LTA test files: Alice's signature (her certificate expired on 2022-01-01)
    // carries a signature timestamp of 2020-11-01 by pyHanko's test TSA, and a document
    // timestamp (/SubFilter /ETSI.RFC3161) follows. With pyHanko's root trusted, both
    // timestamps prove existence in 2020, when the certificate was valid: TOTAL-PASSED, as
    // pyHanko's own LTA validation judges them.
    for (name, signatures) in
        [("pades-lta-dss-indirect-arrs-test.pdf", 2), ("pades-lta-dss-indirect-arrs-test-2.pdf", 3)]
    {
        let r = pades::verify_pdf(&pdf(name), &pyhanko_root()).unwrap();
        intact_and_unmodified(name, &r);
        assert_eq!(r.signatures.len(), signatures, "{name}");
        assert_eq!(r.indication(), Indication::TotalPassed, "{name}: {r:?}");
        let ts = r.signatures.iter().find(|s| s.document_timestamp).expect("a document timestamp");
        assert_eq!(ts.field.as_deref().map(|f| f.starts_with("Timestamp-")), Some(true), "{name}");
        for s in &r.signatures {
            let t = s.timestamps.first().expect("each signature is time-stamped");
            assert_eq!(t.time.map(|t| t.to_string()).as_deref(), Some("2020-11-01T00:00:00Z"), "{name}");
            assert!(t.proves_existence(), "{name}: {t:?}");
            assert_eq!(t.tsa.as_ref().map(|w| w.name.as_str()), Some("Time Stamping Authority"));
        }
    }
}

#[test]
fn anomalies_and_clobbering_updates_do_not_pass() {
    // test_anomalous_coverage: valid CMS, but the coverage is not a whole revision
    // (bottom line false). base.pdf holds an unsigned placeholder.
    for name in [
        "coverage-anomalies/tail-uncovered.pdf",
        "coverage-anomalies/signature-gap-too-big.pdf",
        "coverage-anomalies/one-byterange.pdf",
        "coverage-anomalies/weird-byterange.pdf",
        "coverage-anomalies/base.pdf",
    ] {
        let r = pades::verify_pdf(&pdf(name), &pyhanko_root()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.indication(), Indication::TotalFailed, "{name}: {r:?}");
    }
    // test_sign_reject_econtent_if_detached: a PDF signature carrying its content.
    let r = pades::verify_pdf(&pdf("pdf-sig-with-econtent.pdf"), &pyhanko_root()).unwrap();
    assert_eq!(r.indication(), Indication::TotalFailed, "{r:?}");
    assert_eq!(r.signatures[0].sub_indication(), Some(SubIndication::FormatFailure));
    // test_disallow_appearance_stream_override_if_clobbers and
    // test_diff_analysis_update_indirect_extensions_not_all_paths: later revisions that
    // rewrite objects the first signature covers.
    for name in [
        "form-update-override-appearance-stream-sneaky.pdf",
        "form-update-override-appearance-stream-ap-indirect-sneaky.pdf",
        "form-update-no-override-appearance-stream-ap-indirect-sneaky.pdf",
        "form-update-ap-indirect-sneaky-trailer.pdf",
        "extensions-indirect-not-all-paths.pdf",
    ] {
        let r = pades::verify_pdf(&pdf(name), &Trust::none()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!r.modifications.is_empty(), "{name}: {r:?}");
        assert_eq!(
            (r.indication(), r.sub_indication()),
            (Indication::TotalFailed, Some(SubIndication::ModifiedAfterSigning)),
            "{name}"
        );
    }
    // Ed448 signatures: an algorithm this verifier does not check is INDETERMINATE.
    for name in ["ed448-disallowed-hash.pdf", "ed448-shake256-nolen.pdf"] {
        let r = pades::verify_pdf(&pdf(name), &pyhanko_root()).unwrap();
        assert_eq!(r.indication(), Indication::Indeterminate, "{name}: {r:?}");
        assert!(r.signatures[0].problems.iter().any(|p| p.sub == SubIndication::CryptoConstraintsFailure));
    }
}

#[test]
fn broken_and_circular_structures_end_promptly() {
    // test_diff_analysis_circular_page_tree, form-tree and struct-tree circular references,
    // circular and malformed cross-reference chains, broken object streams: verification and
    // signing preparation return (an error or a verdict), whatever the structure.
    for name in [
        "circular-page-tree.pdf",
        "circular-xref-chain.pdf",
        "form-tree-circular-ref-input.pdf",
        "struct-tree-circular-ref.pdf",
        "xref-malformed-prev.pdf",
        "minimal-startxref-hopeless.pdf",
        "minimal-startxref-hopeless2.pdf",
        "minimal-startxref-hopeless3.pdf",
        "broken-objstream1.pdf",
        "broken-objstream2.pdf",
        "broken-objstream3.pdf",
        "broken-objstream4.pdf",
        "broken-objstream5.pdf",
        "broken-objstream6.pdf",
        "page-tree-direct-kid.pdf",
        "minimal-with-nonexistent-refs.pdf",
        "malformed-encrypt-dict1.pdf",
    ] {
        let bytes = pdf(name);
        if let Ok(r) = pades::verify_pdf(&bytes, &Trust::none()) {
            assert_ne!(r.indication(), Indication::TotalPassed, "{name}");
        }
        let _ = pades::prepare(&bytes, &PadesOptions::default());
    }
}
