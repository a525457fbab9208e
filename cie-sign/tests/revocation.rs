//! Revocation data (issue 23, item 5). Third-party CAdES-LT files from esig/dss's test suite
//! (`tests/corpus/ber/MANIFEST`) carry OCSP responses (in `RevocationInfoChoice.other`, one of
//! them a bare BasicOCSPResponse) and CRLs (in the `crls` field and the revocation-values
//! attribute): each must be read, its signature verified with the issuer's or the delegated
//! responder's key, and give the values `openssl ocsp -respin ... -resp_text` and `openssl crl
//! -text` show (written here by hand). A byte flipped in an OCSP response's signature makes it
//! unverifiable, never "good". A PKI made by `openssl ca` (index.txt, `-revoke`, `-gencrl`)
//! gives a revoked signer: with the CRL embedded by hand the signature is INDETERMINATE
//! REVOKED_NO_POE when it states it was made before the revocation, TOTAL-FAILED REVOKED when
//! after; `--online` (Trust::set_online_revocation) asks OpenSSL's OCSP responder on the
//! loopback, and the CRL distribution point when the responder is down.

#[path = "common/http_request.rs"]
mod http_request;
#[path = "common/revocation_pki.rs"]
mod revocation_pki;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cie_sign::verify::{verify_p7m, EvidenceKind, EvidenceOrigin, RevocationStatus};
use cie_sign::{Indication, Report, SignatureReport, SubIndication, Trust};
use revocation_pki::{with_crl, RevocationPki};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ber").join(name)).unwrap()
}

/// Where the test PKIs make their directories (each named after its test and this process,
/// removed when the PKI is dropped).
fn scratch() -> PathBuf {
    std::env::temp_dir()
}

fn only(report: &Report) -> &SignatureReport {
    assert_eq!(report.signatures.len(), 1);
    &report.signatures[0]
}

fn time(t: Option<der::DateTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

#[test]
fn ocsp_responses_of_a_third_party_cades_lt_file_verify() {
    // dss-Signature-C-HU_POL-3.p7m: two BasicOCSPResponses in RevocationInfoChoice.other.
    let report = verify_p7m(&corpus("dss-Signature-C-HU_POL-3.p7m"), None, &Trust::none()).unwrap();
    let s = only(&report);
    assert_eq!(s.revocation.len(), 2, "{:#?}", s.revocation);
    // openssl ocsp -resp_text: Responder Id CN = Qualified KET e-Szigno CA 2009 OCSP Responder,
    // Serial Number 43D5DC55E9DE8E01977443AA0A, Cert Status: good, This Update: Nov 28
    // 14:55:22 2014 GMT, no Next Update. Its responder certificate is issued by the CA.
    let signer = &s.revocation[0];
    assert_eq!(signer.kind, EvidenceKind::Ocsp);
    assert_eq!(signer.origin, EvidenceOrigin::Embedded);
    assert!(signer.subject.contains("CN=Polyák Ferenc Árpád"), "{}", signer.subject);
    assert!(signer.issuer.contains("CN=Qualified KET e-Szigno CA 2009 OCSP Responder"), "{}", signer.issuer);
    assert_eq!(signer.status, RevocationStatus::Good);
    assert_eq!(time(signer.this_update), "2014-11-28T14:55:22Z");
    assert_eq!(signer.next_update, None);
    // The CA's: Responder Id CN = KGYHSZ OCSP Responder (issued by the root), Serial Number
    // 437C94A7, good, This Update: Nov 28 14:55:19 2014 GMT.
    let ca = &s.revocation[1];
    assert!(ca.subject.contains("CN=Qualified KET e-Szigno CA 2009,"), "{}", ca.subject);
    assert!(ca.issuer.contains("CN=KGYHSZ OCSP Responder"), "{}", ca.issuer);
    assert_eq!(ca.status, RevocationStatus::Good);
    assert_eq!(time(ca.this_update), "2014-11-28T14:55:19Z");
    assert!(s
        .notes
        .iter()
        .map(ToString::to_string)
        .any(|n| n.starts_with("revocation: \"SN=Polyák") && n.contains("is good per the OCSP")));
    assert!(
        !s.notes.iter().map(ToString::to_string).any(|n| n.starts_with("revocation was not checked")),
        "{:?}",
        s.notes
    );
    // Good evidence changes nothing else: the certificates expired long ago.
    assert_eq!(s.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe));
}

#[test]
fn a_flipped_byte_in_an_ocsp_signature_is_never_good() {
    let mut bytes = corpus("dss-Signature-C-HU_POL-3.p7m");
    // The BIT STRING of the signer's OCSP response's signature (`openssl asn1parse`: offset
    // 8828, header 03 82 01 01, no unused bits), one byte of its value flipped.
    assert_eq!(&bytes[8828..8833], &[0x03, 0x82, 0x01, 0x01, 0x00]);
    bytes[8900] ^= 0x01;
    let report = verify_p7m(&bytes, None, &Trust::none()).unwrap();
    let s = only(&report);
    let signer = s.revocation.iter().find(|e| e.subject.contains("Polyák")).expect("still reported");
    assert!(
        matches!(&signer.status, RevocationStatus::Unverifiable(why) if why.contains("does not verify")),
        "{:?}",
        signer.status
    );
    assert!(s.notes.iter().map(ToString::to_string).any(|n| n.contains("cannot be verified and was not used")));
    assert!(
        !s.notes.iter().map(ToString::to_string).any(|n| n.contains("Polyák") && n.contains("is good")),
        "{:?}",
        s.notes
    );
    // The signature itself is what it was (the crls field is not signed).
    assert_eq!(s.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe));
}

#[test]
fn crls_of_a_third_party_cades_lt_file_verify() {
    // dss-Signature-C-CZ_SIX-1.p7m: CRLs in the crls field and in the revocation-values
    // attribute (the same ones counted once). `openssl crl -text`: issuer PostSignum Qualified
    // CA 2, Last Update Jul 31 08:11:35 2014 GMT, Next Update Aug 1 08:11:35 2014 GMT, the
    // signer's serial not listed; PostSignum Root QCA 2's, Last Update Mar 26 08:10:17 2014
    // GMT, Next Update Mar 26 08:15:17 2015 GMT, the CA's serial not listed.
    let report = verify_p7m(&corpus("dss-Signature-C-CZ_SIX-1.p7m"), None, &Trust::none()).unwrap();
    let s = only(&report);
    let about_signer: Vec<_> = s.revocation.iter().filter(|e| e.subject.contains("CN=ISDS-vývoj")).collect();
    let about_ca: Vec<_> =
        s.revocation.iter().filter(|e| e.subject.starts_with("CN=PostSignum Qualified CA 2")).collect();
    assert_eq!(about_signer.len() + about_ca.len(), s.revocation.len());
    assert!(about_signer.iter().all(|e| e.kind == EvidenceKind::Crl && e.status == RevocationStatus::Good));
    assert!(about_signer.iter().all(|e| e.issuer.starts_with("CN=PostSignum Qualified CA 2")));
    let july = about_signer.iter().find(|e| time(e.this_update) == "2014-07-31T08:11:35Z").expect("the July CRL");
    assert_eq!(time(july.next_update), "2014-08-01T08:11:35Z");
    assert_eq!(about_ca.len(), 1, "one root CRL, however many times the file carries it");
    assert_eq!(about_ca[0].status, RevocationStatus::Good);
    assert!(about_ca[0].issuer.starts_with("CN=PostSignum Root QCA 2"));
    assert_eq!(time(about_ca[0].this_update), "2014-03-26T08:10:17Z");
    assert_eq!(time(about_ca[0].next_update), "2015-03-26T08:15:17Z");
}

#[test]
fn an_ocsp_response_without_the_issuer_is_read_but_not_used() {
    // dss-cms-cades.p7m carries the signer's certificate and an OCSP response (responder
    // "PostSignum QCA 4 - OCSP Responder 3", This Update Dec 5 08:31:24 2023 GMT, good), not
    // the CA's certificate: whether the responder may answer for the CA cannot be told.
    let report = verify_p7m(&corpus("dss-cms-cades.p7m"), None, &Trust::none()).unwrap();
    let s = only(&report);
    assert_eq!(s.revocation.len(), 1);
    let e = &s.revocation[0];
    assert!(e.issuer.starts_with("CN=PostSignum QCA 4 - OCSP Responder 3"), "{}", e.issuer);
    assert_eq!(time(e.this_update), "2023-12-05T08:31:24Z");
    assert!(
        matches!(&e.status, RevocationStatus::Unverifiable(why) if why.contains("its signature verifies")),
        "{:?}",
        e.status
    );
}

fn trusting(pki: &RevocationPki) -> Trust {
    let mut trust = Trust::none();
    trust.add(&std::fs::read(pki.ca_path()).unwrap()).unwrap();
    trust
}

#[test]
fn a_revoked_signer_in_an_embedded_crl() {
    let pki = RevocationPki::start(&scratch(), "embedded");
    pki.issue("alice", "crl_only");
    pki.issue("bob", "crl_only");
    let before = pki.sign("alice", b"signed before the revocation");
    // Second-resolution times: the revocation is strictly after the first signing time.
    std::thread::sleep(Duration::from_millis(1100));
    pki.revoke("alice");
    std::thread::sleep(Duration::from_millis(1100));
    let after = pki.sign("alice", b"signed after the revocation");
    let bob = pki.sign("bob", b"not revoked");
    let crl = pki.crl();
    let trust = trusting(&pki);

    // Without revocation data: trusted, and the report says revocation was not checked.
    let plain = verify_p7m(&before, None, &trust).unwrap();
    assert!(plain.all_valid(), "{:?}", only(&plain).problems);
    assert!(only(&plain).notes.iter().map(ToString::to_string).any(|n| n.starts_with("revocation was not checked")));

    let r = verify_p7m(&with_crl(&before, &crl), None, &trust).unwrap();
    let s = only(&r);
    assert_eq!(s.indication(), Indication::Indeterminate);
    assert_eq!(s.sub_indication(), Some(SubIndication::RevokedNoPoe));
    assert!(
        matches!(s.revocation[0].status, RevocationStatus::Revoked { reason: Some("key compromise"), .. }),
        "{:?}",
        s.revocation
    );
    assert!(s.problems.iter().any(|p| p.message.contains("was revoked on")));

    let r = verify_p7m(&with_crl(&after, &crl), None, &trust).unwrap();
    assert_eq!(r.indication(), Indication::TotalFailed);
    assert_eq!(r.sub_indication(), Some(SubIndication::Revoked));

    let r = verify_p7m(&with_crl(&bob, &crl), None, &trust).unwrap();
    let s = only(&r);
    assert!(r.all_valid(), "{:?}", s.problems);
    assert_eq!(s.revocation[0].status, RevocationStatus::Good);
    assert!(
        s.notes
            .iter()
            .map(ToString::to_string)
            .any(|n| n.contains("is good per the CRL of \"CN=cie revocation test CA\"")),
        "{:?}",
        s.notes
    );
}

#[test]
fn a_revoked_signer_in_a_version_1_crl() {
    let pki = RevocationPki::start(&scratch(), "v1");
    pki.issue("gina", "crl_only");
    let p7m = pki.sign("gina", b"signed before the revocation");
    std::thread::sleep(Duration::from_millis(1100));
    pki.revoke_without_reason("gina");
    let r = verify_p7m(&with_crl(&p7m, &pki.crl_v1()), None, &trusting(&pki)).unwrap();
    let s = only(&r);
    assert_eq!(s.sub_indication(), Some(SubIndication::RevokedNoPoe));
    assert!(matches!(s.revocation[0].status, RevocationStatus::Revoked { reason: None, .. }), "{:?}", s.revocation);
}

#[test]
fn a_crl_of_another_key_is_unverifiable() {
    // The same CA name, another key: the CRL's signature does not verify with the issuer's.
    let pki = RevocationPki::start(&scratch(), "forged");
    let impostor = RevocationPki::start(&scratch(), "impostor");
    pki.issue("carol", "crl_only");
    impostor.issue("carol", "crl_only");
    impostor.revoke("carol");
    let p7m = with_crl(&pki.sign("carol", b"data"), &impostor.crl());
    let r = verify_p7m(&p7m, None, &trusting(&pki)).unwrap();
    let s = only(&r);
    assert!(r.all_valid(), "an unverifiable CRL is not used: {:?}", s.problems);
    assert!(
        matches!(&s.revocation[0].status, RevocationStatus::Unverifiable(why) if why.contains("does not verify")),
        "{:?}",
        s.revocation
    );
}

#[test]
fn online_ocsp_then_crl_on_the_loopback() {
    let pki = RevocationPki::start(&scratch(), "online");
    pki.issue("dave", "signer");
    pki.issue("erin", "signer");
    let dave = pki.sign("dave", b"dave");
    let erin = pki.sign("erin", b"erin");
    std::thread::sleep(Duration::from_millis(1100));
    pki.revoke("erin");
    let mut trust = trusting(&pki);

    // Off by default: nothing is fetched.
    let r = verify_p7m(&dave, None, &trust).unwrap();
    assert!(r.all_valid());
    assert_eq!((pki.ocsp_served(), pki.crl_served()), (0, 0));

    trust.set_online_revocation(true);
    let r = verify_p7m(&dave, None, &trust).unwrap();
    let s = only(&r);
    assert!(r.all_valid(), "{:?}", s.problems);
    assert_eq!(pki.ocsp_served(), 1);
    let e = &s.revocation[0];
    assert_eq!((e.kind, e.origin, &e.status), (EvidenceKind::Ocsp, EvidenceOrigin::Online, &RevocationStatus::Good));
    assert_eq!(e.issuer, "CN=cie revocation test responder", "the delegated responder");
    // The responder named by its key's hash (ResponderID byKey).
    pki.set_responder_by_key(true);
    let r = verify_p7m(&dave, None, &trust).unwrap();
    let s = only(&r);
    assert!(r.all_valid(), "{:?}", s.problems);
    assert_eq!(s.revocation[0].status, RevocationStatus::Good);
    assert_eq!(s.revocation[0].issuer, "CN=cie revocation test responder");
    pki.set_responder_by_key(false);
    // The CA answering for itself.
    pki.set_ocsp_signer("ca");
    let r = verify_p7m(&dave, None, &trust).unwrap();
    assert!(r.all_valid());
    assert_eq!(only(&r).revocation[0].issuer, "CN=cie revocation test CA");
    // A certificate of the same CA without id-kp-OCSPSigning: its "good" is not used.
    // The CRL distribution point answers next.
    pki.set_ocsp_signer("erin");
    let r = verify_p7m(&dave, None, &trust).unwrap();
    let s = only(&r);
    let e = &s.revocation[0];
    assert!(
        matches!(&e.status, RevocationStatus::Unverifiable(why) if why.contains("neither the certificate's issuer")),
        "{e:?}"
    );
    assert!(s.notes.iter().map(ToString::to_string).any(|n| n.contains("cannot be verified and was not used")));
    assert_eq!((s.revocation[1].kind, &s.revocation[1].status), (EvidenceKind::Crl, &RevocationStatus::Good));
    assert_eq!(pki.crl_served(), 1);
    pki.set_ocsp_signer("responder");

    let r = verify_p7m(&erin, None, &trust).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::RevokedNoPoe));
    assert_eq!(pki.ocsp_served(), 5);

    // The responder down: the CRL distribution point answers.
    pki.set_ocsp_up(false);
    let r = verify_p7m(&erin, None, &trust).unwrap();
    let s = only(&r);
    assert_eq!(r.sub_indication(), Some(SubIndication::RevokedNoPoe));
    assert_eq!(pki.crl_served(), 2);
    assert_eq!((s.revocation[0].kind, s.revocation[0].origin), (EvidenceKind::Crl, EvidenceOrigin::Online));
    let r = verify_p7m(&dave, None, &trust).unwrap();
    assert!(r.all_valid());
    assert_eq!(pki.crl_served(), 3);
}

#[path = "common/pdf.rs"]
mod pdf;

fn pyhanko() -> PathBuf {
    let path = match std::env::var_os("CIE_PYHANKO") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyhanko-venv/bin/pyhanko"),
    };
    assert!(path.exists(), "{} missing: run `cargo xtask test` (it installs pyHanko)", path.display());
    path
}

/// Runs pyHanko (bounded in time) in `dir`; its output when it succeeded.
fn run_pyhanko(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("timeout")
        .args(["-k", "5", "120"])
        .arg(pyhanko())
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pyhanko");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pyhanko {args:?}: {text}");
    text
}

/// pyHanko (the reference producer) signs a PDF as PAdES B-LT: it fetches the signer's OCSP
/// response from the loopback responder and puts it in the document security store (/DSS
/// /OCSPs); cie-sign reads it from there, without fetching anything. After the certificate is
/// revoked, pyHanko's document security store writer adds the new CRL (/DSS /CRLs) in an
/// incremental update: the signature is INDETERMINATE REVOKED_NO_POE, and the update is not a
/// modification.
#[test]
fn revocation_data_in_a_pdf_document_security_store() {
    let pki = RevocationPki::start(&scratch(), "pdf");
    pki.issue("frank", "signer");
    let dir = pki.dir();
    std::fs::write(dir.join("in.pdf"), pdf::classic_pdf("1.7", "revocation")).unwrap();
    run_pyhanko(
        dir,
        &[
            "sign",
            "addsig",
            "--field",
            "Sig1",
            "--use-pades",
            "--with-validation-info",
            "--trust",
            "ca.pem",
            "--trust-replace",
            "pemder",
            "--key",
            "frank.key",
            "--cert",
            "frank.pem",
            "--no-pass",
            "in.pdf",
            "lt.pdf",
        ],
    );
    let fetched = pki.ocsp_served();
    assert!(fetched >= 1, "pyHanko asked the responder");
    let trust = trusting(&pki);
    let bytes = std::fs::read(dir.join("lt.pdf")).unwrap();
    let report = cie_sign::pades::verify_pdf(&bytes, &trust).unwrap();
    let s = only(&report);
    assert!(report.all_valid(), "{:?}", s.problems);
    assert_eq!(pki.ocsp_served(), fetched, "nothing fetched by cie-sign");
    let e = s.revocation.iter().find(|e| e.kind == EvidenceKind::Ocsp);
    let e = e.unwrap_or_else(|| panic!("the /DSS OCSP response: {:?}", s.notes));
    assert_eq!((e.origin, &e.status), (EvidenceOrigin::Embedded, &RevocationStatus::Good));
    assert_eq!(e.issuer, "CN=cie revocation test responder");

    std::thread::sleep(Duration::from_millis(1100));
    pki.revoke("frank");
    std::fs::copy(dir.join("lt.pdf"), dir.join("fixed.pdf")).unwrap();
    std::fs::write(dir.join("new.crl"), pki.crl()).unwrap();
    // pyHanko refuses `sign ltvfix` for a revoked certificate: its own DSS writer adds the new
    // CRL (/DSS /CRLs) as an incremental update.
    let script =
        "import sys\nfrom asn1crypto import crl\nfrom pyhanko.sign.validation.dss import DocumentSecurityStore\n\
                  with open(sys.argv[1], 'r+b') as f:\n    DocumentSecurityStore.add_dss(f, None, \
                  crls=[crl.CertificateList.load(open(sys.argv[2], 'rb').read())])\n";
    let python = pyhanko().with_file_name("python");
    let out = std::process::Command::new("timeout")
        .args(["-k", "5", "120"])
        .arg(python)
        .args(["-c", script, "fixed.pdf", "new.crl"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("fixed.pdf")).unwrap();
    let report = cie_sign::pades::verify_pdf(&bytes, &trust).unwrap();
    let s = only(&report);
    assert_eq!(s.sub_indication(), Some(SubIndication::RevokedNoPoe), "{:?} {:?}", s.problems, s.revocation);
    assert!(report.modifications.is_empty(), "a DSS update is permitted: {:?}", report.modifications);
}
