//! `cie cert` and `cie sign` through pcscd with the virtual card: the exported certificate's
//! key verifies the signatures with openssl.

mod cli_util;

use cli_util::*;

#[test]
fn cert_and_sign_verify_with_openssl() {
    let card = Card::start("sign");
    let (cert, sig) = (card.path("cert.pem"), card.path("sig"));
    let cert_s = cert.to_str().unwrap();

    // The commands, verbatim apart from paths.
    let r = card.cie(&["cert", "--pem", "--pin-stdin", "-o", cert_s], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("MARIO ROSSI"), "{r:?}");
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n") && pem.ends_with("-----END CERTIFICATE-----\n"));
    // Steps are shown on stderr as they happen.
    assert!(r.stderr.contains("verifying the PIN") && r.stderr.contains("reading the certificate"), "{r:?}");

    let readme = readme();
    let r = card.cie(
        &["sign", "--hash", "sha256", "--pin-stdin", "-i", readme.to_str().unwrap(), "-o", sig.to_str().unwrap()],
        TEST_PIN,
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::metadata(&sig).unwrap().len(), 256);
    assert!(openssl_verifies(&card.dir, &cert, "sha256", &readme, &sig), "openssl rejects the sha256 signature");

    // The other hashes, and a tampered file is rejected (the check can fail).
    for hash in ["sha384", "sha512", "sha1"] {
        let s = card.path(&format!("sig.{hash}"));
        let r = card.cie(
            &["sign", "--hash", hash, "--pin-stdin", "-q", "-i", readme.to_str().unwrap(), "-o", s.to_str().unwrap()],
            TEST_PIN,
        );
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(r.stderr.is_empty(), "--quiet: {r:?}");
        assert!(openssl_verifies(&card.dir, &cert, hash, &readme, &s), "openssl rejects the {hash} signature");
    }
    let tampered = card.path("tampered");
    let mut text = std::fs::read(&readme).unwrap();
    text.push(b'!');
    std::fs::write(&tampered, text).unwrap();
    assert!(!openssl_verifies(&card.dir, &cert, "sha256", &tampered, &sig));

    // DER export equals the PEM's content, and `cert` without -o prints PEM on stdout.
    let der = card.path("cert.der");
    let r = card.cie(&["cert", "--der", "--pin-stdin", "-o", der.to_str().unwrap()], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let (ok, converted, err) =
        tool("openssl", &["x509".as_ref(), "-inform".as_ref(), "DER".as_ref(), "-in".as_ref(), der.as_os_str()]);
    assert!(ok, "{err}");
    assert_eq!(converted, pem);
    let r = card.cie(&["cert", "--pin-stdin"], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, pem);
}

#[test]
fn json_output() {
    let card = Card::start("json");
    let sig = card.path("sig");
    let readme = readme();
    let r = card
        .cie(&["--json", "sign", "--pin-stdin", "-i", readme.to_str().unwrap(), "-o", sig.to_str().unwrap()], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let line = r.stdout.trim();
    assert!(line.starts_with('{') && line.ends_with('}') && !line.contains('\n'), "{r:?}");
    assert!(line.contains("\"hash\":\"sha256\""), "{line}");
    assert!(line.contains("\"signature_bytes\":256"), "{line}");

    let r = card.cie(&["--json", "info"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(&format!("\"nis\":\"{TEST_NIS}\"")), "{r:?}");
    assert!(r.stdout.contains("\"pin_tries_left\":3"), "{r:?}");
    assert!(r.stdout.contains("\"serial\":null"), "{r:?}");

    let r = card.cie(&["--json", "cert", "--pin-stdin"], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("\"pem\":\"-----BEGIN CERTIFICATE-----\\n"), "{r:?}");

    let r = card.cie(&["--json", "readers"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("\"Virtual PCD 00 00\""), "{r:?}");
}
