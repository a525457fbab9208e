//! RFC 3161 signature timestamps (issue 23 item 4): third-party tokens from DSS's test suite
//! (five TSAs) verified intact, the same tokens altered by hand failing their signature, and a
//! real TSA on the loopback (OpenSSL's `openssl ts -reply` behind a small HTTP server) whose
//! token, once its root is trusted, proves a signature existed while its certificate was valid;
//! the TSA's certificate checked for revocation (embedded CRL, online OCSP) as the signer's.

mod common;

#[path = "common/certs.rs"]
mod certs;
#[path = "common/http_request.rs"]
mod http_request;
#[path = "common/revocation_pki.rs"]
mod revocation_pki;
#[path = "common/tsa.rs"]
mod tsa;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use certs::{certificate, cn, test_key, years, HandSigner, Spec};
use cie_sign::cades::{self, SignOptions};
use cie_sign::der::asn1::UtcTime;
use cie_sign::der::DateTime;
use cie_sign::pades::{self, PadesOptions};
use cie_sign::timestamp::TimestampKind;
use cie_sign::{verify_file, HashAlg, Indication, Silent, SubIndication, Trust};
use tsa::LocalTsa;
use x509_cert::time::{Time, Validity};

fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cie-sign-ts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Each third-party file with signature timestamps: (file, content for a detached one, the
/// genTime of each signature's token in report order, as `openssl cms -cmsout -print` and
/// `openssl asn1parse` show them: fractions of a second dropped).
const THIRD_PARTY: [(&str, Option<&str>, &[&str]); 5] = [
    ("ber/dss-Signature-15-CBp-LT-2.p7m", None, &["2013-12-09T13:14:00Z"]),
    ("ber/dss-Signature-C-CZ_SIX-1.p7m", None, &["2012-04-30T14:04:25Z"]),
    ("ber/dss-Signature-C-HU_POL-3.p7m", None, &["2014-11-28T14:55:19Z"]),
    ("ber/dss-counterSig.p7m", None, &["2001-01-01T12:00:00Z", "2001-01-01T13:00:00Z"]),
    (
        "dss/detached_with_counter_sig.p7s",
        Some("dss/detached_with_counter_sig"),
        &["2018-11-19T09:50:58Z", "2019-12-03T09:56:57Z"],
    ),
];

/// Tokens of five TSAs (ETSI plugtests, PostSignum, e-Szigno, DSS's test PKI): each read, its
/// imprint over its signature's value and its TSA's signature intact (never TOTAL-FAILED);
/// none is a proof without trust anchors, so nothing moves.
#[test]
fn third_party_tokens_are_intact() {
    for (file, content, times) in THIRD_PARTY {
        let content = content.map(corpus);
        let report = verify_file(&corpus(file), content.as_deref(), &Trust::none(), &mut Silent)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // The signature time-stamps (archive ones: tests/archive_timestamps.rs).
        let found: Vec<_> = report
            .signatures
            .iter()
            .flat_map(|s| s.timestamps.iter())
            .filter(|t| t.kind == TimestampKind::Signature)
            .collect();
        let shown: Vec<String> = found.iter().map(|t| t.time.map(|t| t.to_string()).unwrap_or_default()).collect();
        assert_eq!(shown, times, "{file}");
        for t in found {
            assert_ne!(t.indication(), Indication::TotalFailed, "{file}: {t:?}");
            assert!(t.tsa.is_some(), "{file}: the TSA is named");
            assert!(!t.proves_existence(), "{file}: no anchor, no proof");
        }
        assert_ne!(report.indication(), Indication::TotalFailed, "{file}");
    }
}

/// The PostSignum token of CZ_SIX altered by hand: a byte of its imprint (the SHA-256 of the
/// signature value, `93 80 7C 75 F9 78 EF 84 …` in `openssl asn1parse`), then a byte of the
/// TSA's signature value (`7A 31 09 AF BF E1 C5 9E …`): each fails the signature, saying so.
#[test]
fn altered_tokens_fail_the_signature() {
    let original = std::fs::read(corpus("ber/dss-Signature-C-CZ_SIX-1.p7m")).unwrap();
    let cases: [(&[u8], SubIndication); 2] = [
        (&[0x04, 0x20, 0x93, 0x80, 0x7C, 0x75, 0xF9, 0x78, 0xEF, 0x84], SubIndication::HashFailure),
        (&[0x7A, 0x31, 0x09, 0xAF, 0xBF, 0xE1, 0xC5, 0x9E], SubIndication::SigCryptoFailure),
    ];
    let dir = scratch("altered");
    for (marker, expected) in cases {
        let at = original.windows(marker.len()).position(|w| w == marker).expect("the marker is in the file");
        let mut bytes = original.clone();
        bytes[at + marker.len() - 1] ^= 0x01;
        let path = dir.join("altered.p7m");
        std::fs::write(&path, &bytes).unwrap();
        let report = verify_file(&path, None, &Trust::none(), &mut Silent).unwrap();
        assert_eq!(report.indication(), Indication::TotalFailed, "{report:?}");
        let s = &report.signatures[0];
        let p = s.problems.iter().find(|p| p.message.contains("timestamp")).expect("the timestamp is blamed");
        assert_eq!(p.sub, expected, "{p:?}");
        assert_eq!(s.timestamps[0].indication(), Indication::TotalFailed);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A UTCTime `secs` seconds from now (negative: in the past).
fn utc_from_now(secs: i64) -> Time {
    let now = SystemTime::now();
    let t = if secs >= 0 { now + Duration::from_secs(secs as u64) } else { now - Duration::from_secs((-secs) as u64) };
    Time::UtcTime(UtcTime::from_date_time(DateTime::from_system_time(t).unwrap()).unwrap())
}

/// A signer whose certificate expires `secs` seconds from now, under a CA of its own; returns
/// the signer and the CA certificate.
fn short_lived_signer(secs: i64) -> (HandSigner, Vec<u8>) {
    let ca_key = test_key("ts-ca");
    let key = test_key("ts-signer");
    let ca = certificate(&Spec {
        serial: 1,
        subject: cn("cie test signing CA"),
        issuer: cn("cie test signing CA"),
        validity: years(2020, 2040),
        ca: true,
        subject_key: &ca_key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let cert = certificate(&Spec {
        serial: 2,
        subject: cn("MARIO ROSSI"),
        issuer: cn("cie test signing CA"),
        validity: Validity { not_before: utc_from_now(-3600), not_after: utc_from_now(secs) },
        ca: false,
        subject_key: &key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    (HandSigner { key, cert }, ca)
}

fn sign(signer: &mut HandSigner, tsa: Option<&str>) -> Vec<u8> {
    let options = SignOptions { timestamp: tsa.map(str::to_owned), ..SignOptions::default() };
    let mut out = Vec::new();
    cades::sign_enveloping(signer, &options, &mut Cursor::new(b"delibera n. 12".to_vec()), &mut out, &mut Silent)
        .unwrap();
    out
}

/// OpenSSL's TSA on the loopback: a signature time-stamped while its certificate was valid
/// passes once that certificate has expired, when the TSA's root is trusted; without the
/// timestamp, or without trusting the TSA, it is INDETERMINATE (OUT_OF_BOUNDS_NO_POE). OpenSSL
/// itself accepts the time-stamped file.
#[test]
fn a_trusted_timestamp_moves_the_validation_time() {
    let dir = scratch("local");
    let tsa = LocalTsa::start(&dir);
    let (mut signer, ca) = short_lived_signer(4);
    let stamped = sign(&mut signer, Some(tsa.url()));
    let plain = sign(&mut signer, None);
    assert_eq!(tsa.served(), 1, "one request to the TSA");
    let stamped_path = dir.join("stamped.p7m");
    std::fs::write(&stamped_path, &stamped).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in"])
        .arg(&stamped_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"delibera n. 12");

    let mut both = Trust::none();
    both.add(&ca).unwrap();
    both.add(&tsa.root_pem()).unwrap();
    let mut signer_only = Trust::none();
    signer_only.add(&ca).unwrap();

    // While the certificate is valid, both pass.
    let r = cie_sign::verify::verify_p7m(&stamped, None, &both).unwrap();
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    assert!(r.signatures[0].timestamps[0].proves_existence(), "{r:?}");
    assert_eq!(
        r.signatures[0].timestamps[0].tsa.as_ref().map(|t| t.name.as_str()),
        Some("cie test TSA"),
        "the TSA's name"
    );

    std::thread::sleep(Duration::from_secs(5));
    let r = cie_sign::verify::verify_p7m(&stamped, None, &both).unwrap();
    assert_eq!(r.indication(), Indication::TotalPassed, "the timestamp proves the signature was made in time: {r:?}");
    let r = cie_sign::verify::verify_p7m(&plain, None, &both).unwrap();
    assert_eq!(
        (r.indication(), r.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::OutOfBoundsNoPoe))
    );
    let r = cie_sign::verify::verify_p7m(&stamped, None, &signer_only).unwrap();
    assert_eq!(
        (r.indication(), r.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::OutOfBoundsNoPoe))
    );
    let t = &r.signatures[0].timestamps[0];
    assert!(
        !t.proves_existence() && t.indication() == Indication::Indeterminate,
        "an untrusted TSA proves nothing: {t:?}"
    );
    drop(tsa);
    let _ = std::fs::remove_dir_all(dir);
}

/// A TSA that does not answer, or answers with something else than a token, is a clean
/// error and nothing is signed half.
#[test]
fn tsa_failures_are_clean_errors() {
    let (mut signer, _) = short_lived_signer(3600);
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = SignOptions { timestamp: Some(format!("http://127.0.0.1:{port}/tsr")), ..SignOptions::default() };
    let mut out = Vec::new();
    let e = cades::sign_enveloping(&mut signer, &options, &mut Cursor::new(b"x".to_vec()), &mut out, &mut Silent)
        .unwrap_err();
    assert!(e.to_string().contains("TSA"), "{e}");
    // An HTTP server that answers 200 with HTML.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tsr", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut c, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = c.read(&mut buf);
        c.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>no</html>").unwrap();
    });
    let options = SignOptions { timestamp: Some(url), ..SignOptions::default() };
    let e = cades::sign_enveloping(&mut signer, &options, &mut Cursor::new(b"x".to_vec()), &mut out, &mut Silent)
        .unwrap_err();
    assert!(e.to_string().contains("TimeStampResp"), "{e}");
    server.join().unwrap();
    // https is refused with its reason.
    let options = SignOptions { timestamp: Some("https://tsa.example/".into()), ..SignOptions::default() };
    let e = cades::sign_enveloping(&mut signer, &options, &mut Cursor::new(b"x".to_vec()), &mut out, &mut Silent)
        .unwrap_err();
    assert!(e.to_string().contains("http://"), "{e}");
}

/// The pyHanko executable of the virtual environment `cargo xtask test` prepares.
fn pyhanko() -> PathBuf {
    let p = match std::env::var_os("CIE_PYHANKO") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyhanko-venv/bin/pyhanko"),
    };
    assert!(p.is_file(), "{} missing: run `cargo xtask test` (it installs pyHanko)", p.display());
    p
}

/// A PDF document timestamp (/SubFilter /ETSI.RFC3161) written by pyHanko (`pyhanko sign
/// timestamp`, from OpenSSL's TSA on the loopback) after a PAdES signature whose certificate
/// then expires: the timestamp is reported as such and, with its TSA trusted, proves the earlier
/// signature existed while its certificate was valid (TOTAL-PASSED); without trusting the TSA,
/// INDETERMINATE (OUT_OF_BOUNDS_NO_POE). A byte of the document timestamp's token altered by
/// hand fails it.
#[test]
fn a_document_timestamp_proves_the_signatures_before_it() {
    let dir = scratch("doc");
    let tsa = LocalTsa::start(&dir);
    let (mut signer, ca) = short_lived_signer(4);
    let pdf = common::classic_pdf("1.7", "Verbale del consiglio");
    let signed = pades::sign(&mut signer, &pdf, &PadesOptions::default()).unwrap();
    let signed_path = dir.join("signed.pdf");
    std::fs::write(&signed_path, &signed).unwrap();
    let stamped_path = dir.join("stamped.pdf");
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg(pyhanko())
        .args(["--verbose", "sign", "timestamp", "--timestamp-url", tsa.url(), "--trust-replace", "--trust"])
        .arg(tsa.root_path())
        .arg(&signed_path)
        .arg(&stamped_path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "pyhanko sign timestamp: {}", String::from_utf8_lossy(&out.stderr));
    // pyHanko asks once to size the token, then for the token it embeds.
    assert!(tsa.served() >= 1);
    let stamped = std::fs::read(&stamped_path).unwrap();

    let mut both = Trust::none();
    both.add(&ca).unwrap();
    both.add(&tsa.root_pem()).unwrap();
    let mut signer_only = Trust::none();
    signer_only.add(&ca).unwrap();

    std::thread::sleep(Duration::from_secs(5));
    let r = pades::verify_pdf(&stamped, &both).unwrap();
    assert_eq!(r.signatures.len(), 2, "{r:?}");
    let (sig, ts) = (&r.signatures[0], &r.signatures[1]);
    assert!(!sig.document_timestamp && ts.document_timestamp, "{r:?}");
    assert_eq!(ts.timestamps[0].kind, TimestampKind::Document);
    assert!(ts.timestamps[0].proves_existence(), "{ts:?}");
    assert_eq!(sig.indication(), Indication::TotalPassed, "the document timestamp proves the signature: {sig:?}");
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    // Unsigned before the timestamp: the signature alone is out of bounds.
    let r = pades::verify_pdf(&signed, &both).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe), "{r:?}");
    let r = pades::verify_pdf(&stamped, &signer_only).unwrap();
    assert_eq!(r.signatures[0].sub_indication(), Some(SubIndication::OutOfBoundsNoPoe), "{r:?}");
    assert_eq!(r.signatures[1].indication(), Indication::Indeterminate, "{r:?}");

    // The token's TSTInfo imprint altered (the hex of /Contents, after `04 20` or `04 40`...):
    // flip a hex digit inside the last /Contents, in its first hundred bytes after the
    // imprint's OCTET STRING tag of a SHA-256 imprint (`0420` in hex).
    let contents = stamped.windows(10).rposition(|w| w == b"/Contents<").expect("the timestamp's /Contents");
    let rel = stamped[contents..].windows(4).position(|w| w.eq_ignore_ascii_case(b"0420")).expect("an imprint");
    let mut altered = stamped.clone();
    let at = contents + rel + 6;
    altered[at] = if altered[at] == b'0' { b'1' } else { b'0' };
    let r = pades::verify_pdf(&altered, &both).unwrap();
    assert_eq!(r.signatures[1].indication(), Indication::TotalFailed, "{r:?}");
    drop(tsa);
    let _ = std::fs::remove_dir_all(dir);
}

/// The fuzz seeds of `tsa_reply` (OpenSSL's TSA replies, fuzz/doc-seeds.sh) reach the reply
/// checks: granted replies are read to their nonce check (the seeds carry a zero nonce),
/// the rejection is reported as one.
#[test]
fn tsa_reply_seeds_reach_the_checks() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/tsa_reply");
    for (name, expected) in [
        ("openssl_granted", "nonce differs"),
        ("openssl_granted_no_nonce", "nonce differs"),
        ("openssl_rejected", "rejection"),
    ] {
        let seed = std::fs::read(seeds.join(name)).unwrap();
        let (imprint, rest) = seed.split_at(32);
        let (nonce, reply) = rest.split_at(8);
        let e = cie_sign::tsa::token_from_reply(reply, imprint, nonce).unwrap_err();
        assert!(e.to_string().contains(expected), "{name}: {e}");
        // With the imprint changed, the granted ones fail on it first.
        if name != "openssl_rejected" {
            let e = cie_sign::tsa::token_from_reply(reply, &[0u8; 32], nonce).unwrap_err();
            assert!(e.to_string().contains("imprint differs"), "{name}: {e}");
        }
    }
}

/// The TSA's certificate checked for revocation as the signer's is (issue 23 item 5): a TSA
/// whose certificate comes from a PKI made by `openssl ca` with an OCSP responder and a CRL
/// distribution point on the loopback (tests/common/revocation_pki.rs), OpenSSL's `openssl ts`
/// signing with it. Good: with `--online` the responder is asked about the TSA and its answer
/// reported with the timestamp. Revoked before the token was made: with the CRL embedded in the
/// SignedData by hand (offline) or from the responder (online), the timestamp is INDETERMINATE
/// REVOKED_NO_POE and proves nothing. Revoked after: the timestamp stands, the revocation noted.
#[test]
fn the_tsa_certificate_is_checked_for_revocation() {
    let dir = scratch("tsa-revocation");
    let pki = revocation_pki::RevocationPki::start(&dir, "tsa");
    pki.issue("tsa", "tsa");
    pki.issue("tsa2", "tsa");
    let (mut signer, ca) = short_lived_signer(3600);
    let mut trust = Trust::none();
    trust.add(&ca).unwrap();
    trust.add(&std::fs::read(pki.ca_path()).unwrap()).unwrap();
    let key = |n: &str| pki.dir().join(format!("{n}.key"));
    let cert = |n: &str| pki.dir().join(format!("{n}.pem"));

    // Good, asked online.
    let tsa = LocalTsa::start_with(&dir, &cert("tsa"), &key("tsa"), &pki.ca_path());
    let stamped = sign(&mut signer, Some(tsa.url()));
    drop(tsa);
    let offline = cie_sign::verify::verify_p7m(&stamped, None, &trust).unwrap();
    let t = &offline.signatures[0].timestamps[0];
    assert!(t.proves_existence(), "{t:?}");
    assert!(
        t.notes.iter().any(|n| n.to_string().contains("revocation of the TSA's certificate was not checked")),
        "{t:?}"
    );
    let mut online = trust.clone();
    online.set_online_revocation(true);
    let r = cie_sign::verify::verify_p7m(&stamped, None, &online).unwrap();
    let t = &r.signatures[0].timestamps[0];
    assert!(t.proves_existence(), "{t:?}");
    assert!(pki.ocsp_served() >= 1, "the TSA's responder was asked");
    assert!(
        t.revocation.iter().any(|e| e.subject.contains("cie revocation test tsa")
            && e.status == cie_sign::verify::RevocationStatus::Good
            && e.origin == cie_sign::verify::EvidenceOrigin::Online),
        "{t:?}"
    );

    // Revoked after the token: the CRL embedded, the timestamp stands.
    std::thread::sleep(Duration::from_secs(2));
    pki.revoke("tsa");
    let with_crl = revocation_pki::with_crl(&stamped, &pki.crl());
    let r = cie_sign::verify::verify_p7m(&with_crl, None, &trust).unwrap();
    let t = &r.signatures[0].timestamps[0];
    assert!(t.proves_existence(), "{t:?}");
    assert!(t.notes.iter().any(|n| n.to_string().contains("after the time of the timestamp")), "{t:?}");
    assert!(t.revocation.iter().any(|e| matches!(e.status, cie_sign::verify::RevocationStatus::Revoked { .. })));

    // Revoked before the token: the TSA tsa2 revoked, then asked for a token.
    pki.revoke("tsa2");
    std::thread::sleep(Duration::from_secs(1));
    let tsa = LocalTsa::start_with(&dir, &cert("tsa2"), &key("tsa2"), &pki.ca_path());
    let stamped = sign(&mut signer, Some(tsa.url()));
    drop(tsa);
    let with_crl = revocation_pki::with_crl(&stamped, &pki.crl());
    for (what, file, trust) in [("embedded CRL", &with_crl, &trust), ("online", &stamped, &online)] {
        let r = cie_sign::verify::verify_p7m(file, None, trust).unwrap();
        let t = &r.signatures[0].timestamps[0];
        assert!(!t.proves_existence(), "{what}: {t:?}");
        assert_eq!(
            (t.indication(), t.sub_indication()),
            (Indication::Indeterminate, Some(SubIndication::RevokedNoPoe)),
            "{what}"
        );
        assert!(
            t.problems.iter().any(|p| p.message.contains("the TSA's certificate")
                && p.message.contains("at or before the time of the timestamp: the timestamp is not trusted")),
            "{what}: {t:?}"
        );
        // The signature itself does not rest on it: valid now.
        assert_eq!(r.signatures[0].indication(), Indication::TotalPassed, "{what}: {r:?}");
    }
    drop(pki);
    let _ = std::fs::remove_dir_all(dir);
}
