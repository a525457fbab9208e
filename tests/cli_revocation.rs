//! `cie verify --online` (issue 23, item 5): off by default; with it, the signer certificate's
//! OCSP responder on the loopback (OpenSSL's, `openssl ocsp`, behind a test HTTP server; the
//! PKI made by `openssl ca`) is asked: a good certificate passes with the revocation reported in
//! the text and the `--json` `revocation` field, a revoked one is INDETERMINATE
//! (REVOKED_NO_POE, exit 6) with its reason in English and Italian.

mod cli_util;

#[path = "../cie-sign/tests/common/http_request.rs"]
mod http_request;
#[path = "../cie-sign/tests/common/revocation_pki.rs"]
mod revocation_pki;

use std::path::Path;
use std::time::Duration;

use cli_util::*;
use revocation_pki::RevocationPki;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn online_revocation_in_text_and_json() {
    let scratch = std::env::temp_dir().join(format!("cie-cli-revocation-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let pki = RevocationPki::start(&scratch, "cli");
    pki.issue("good", "signer");
    pki.issue("gone", "signer");
    let (good, gone) = (pki.dir().join("good.txt.p7m"), pki.dir().join("gone.txt.p7m"));
    std::fs::write(&good, pki.sign("good", b"good")).unwrap();
    std::fs::write(&gone, pki.sign("gone", b"gone")).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    pki.revoke("gone");
    let ca = pki.ca_path();

    // Off by default: nothing asked, the report says so.
    let r = cie_with_socket(None, &["verify", s(&gone), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("note:         revocation was not checked"), "{r:?}");
    assert_eq!(pki.ocsp_served(), 0);

    let r = cie_with_socket(None, &["verify", "--online", s(&good), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains("is good per the OCSP response of \"CN=cie revocation test responder\" of ")
            && r.stdout.contains("(fetched online)"),
        "{r:?}"
    );
    let r = cie_with_socket(None, &["--json", "verify", "--online", s(&good), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains(
            r#""revocation":[{"type":"ocsp","origin":"online","certificate":"CN=cie revocation test good","issuer":"CN=cie revocation test responder","status":"good","this_update":"#
        ),
        "{r:?}"
    );

    let r = cie_with_socket(None, &["verify", "--online", s(&gone), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(
        r.stdout.contains(
            "result: INDETERMINATE (REVOKED_NO_POE) — the signer's certificate has been revoked, and nothing proves the signature was made before"
        ),
        "{r:?}"
    );
    assert!(r.stdout.contains("(key compromise) per the OCSP response of"), "{r:?}");
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &["verify", "--online", s(&gone), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("il certificato del firmatario è stato revocato"), "{r:?}");
    // The cause in words, in Italian too (issue 23 item 9): who, when, why, per what.
    assert!(
        r.stdout.contains(
            "PROBLEMA:        il certificato del firmatario \"CN=cie revocation test gone\" è stato revocato il "
        ),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("(chiave compromessa) secondo la risposta OCSP di \"CN=cie revocation test responder\""),
        "{r:?}"
    );
    assert!(r.stdout.contains("e nulla prova che la firma sia stata apposta prima"), "{r:?}");
    let r = cie_with_socket(None, &["--json", "verify", "--online", s(&gone), "--ca", s(&ca)], "");
    assert!(r.stdout.contains(r#""sub_indication":"REVOKED_NO_POE""#), "{r:?}");
    assert!(r.stdout.contains(r#""status":"revoked""#) && r.stdout.contains(r#""revocation_reason":"key compromise""#));
    assert_eq!(pki.ocsp_served(), 5, "one request per run with --online");
    drop(pki);
    let _ = std::fs::remove_dir_all(&scratch);
}
