//! `cie sign --format cades|cades-detached|pades`, `cie verify` and `cie extract` through pcscd
//! with the virtual card, checked by verifiers written elsewhere: `openssl cms -verify`,
//! poppler's `pdfsig` and pyHanko (installed by `cargo xtask test` into target/pyhanko-venv).
//!
//! The simulator's citizen certificate is an authentication certificate (extended key usage
//! clientAuth, key usage digitalSignature), like the CIE's: OpenSSL is told `-purpose any` and
//! pyHanko a key-usage policy of digitalSignature, since their defaults want an S/MIME or
//! non-repudiation certificate.
//!
//! `cie` runs with `CIE_TRUST_ANCHORS` empty (cli_util): the citizen CA is trusted only when
//! given with `--ca`; tests/cli_verify.rs covers the installed anchors and the verdicts.

mod cli_util;

#[path = "../cie-sign/tests/common/http_request.rs"]
mod http_request;
#[path = "../cie-sign/tests/common/pdf.rs"]
mod pdf;
#[path = "../cie-sign/tests/common/tsa.rs"]
mod tsa;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::pades::{self, PadesOptions};
use cli_util::*;

/// Writes the simulator's citizen CA as PEM into the card's directory.
fn citizen_ca(card: &Card) -> PathBuf {
    let der = card.path("citizen-ca.der");
    std::fs::write(&der, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let pem = card.path("citizen-ca.pem");
    let (ok, _, err) = tool(
        "openssl",
        &[os("x509"), os("-inform"), os("DER"), os("-in"), der.as_os_str(), os("-out"), pem.as_os_str()],
    );
    assert!(ok, "{err}");
    pem
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `openssl cms -verify` of a DER signature against `ca` (with `content` for a detached one);
/// returns (accepted, stderr).
fn openssl_cms_verify(sig: &Path, ca: &Path, content: Option<&Path>, out: &Path) -> (bool, String) {
    let mut args = vec![os("cms"), os("-verify"), os("-inform"), os("DER"), os("-in"), sig.as_os_str(), os("-binary")];
    args.extend([os("-CAfile"), ca.as_os_str(), os("-purpose"), os("any"), os("-out"), out.as_os_str()]);
    if let Some(c) = content {
        args.extend([os("-content"), c.as_os_str()]);
    }
    let (ok, _, err) = tool("openssl", &args);
    (ok && err.contains("Verification successful"), err)
}

/// `pdfsig FILE`: (exit ok, number of "Signature is Valid.", number of signatures, output).
fn pdfsig(file: &Path) -> (usize, usize, String) {
    let (_, out, err) = tool("pdfsig", &[file.as_os_str()]);
    let valid = out.matches("Signature Validation: Signature is Valid.").count();
    let total = out.matches("Signature Validation:").count();
    (valid, total, format!("{out}{err}"))
}

/// The pyHanko executable of the virtual environment `cargo xtask test` prepares.
fn pyhanko() -> PathBuf {
    let p = match std::env::var_os("CIE_PYHANKO") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyhanko-venv/bin/pyhanko"),
    };
    assert!(
        p.is_file(),
        "{} missing: run `cargo xtask test` (it installs pyHanko into target/pyhanko-venv)",
        p.display()
    );
    p
}

/// A pyHanko configuration trusting `cas` and accepting a digitalSignature key usage.
fn pyhanko_config(card: &Card, cas: &[&Path]) -> PathBuf {
    let trust: Vec<String> = cas.iter().map(|c| format!("\"{}\"", c.display())).collect();
    let cfg = format!(
        "validation-contexts:\n  cie:\n    trust: [{}]\n    trust-replace: true\n    signer-key-usage-policy:\n      key-usage: [digital_signature]\n",
        trust.join(", ")
    );
    let path = card.path("pyhanko.yml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Runs pyHanko with `args` (after `--config CFG`) under a time limit; (success, output).
fn run_pyhanko(config: &Path, args: &[&OsStr]) -> (bool, String) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(pyhanko())
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pyhanko");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `pyhanko sign validate` and `pyhanko sign adesverify` (AdES validation of PAdES) both judge
/// every signature of `pdf` valid.
fn pyhanko_validates_pdf(config: &Path, pdf: &Path, signatures: usize) {
    let (ok, out) = run_pyhanko(
        config,
        &[
            os("sign"),
            os("validate"),
            os("--validation-context"),
            os("cie"),
            os("--no-revocation-check"),
            os("--pretty-print"),
            pdf.as_os_str(),
        ],
    );
    assert!(ok, "pyhanko validate: {out}");
    assert_eq!(out.matches("The signature is judged VALID.").count(), signatures, "{out}");
    assert!(!out.contains("INVALID"), "{out}");
    let (ok, out) = run_pyhanko(
        config,
        &[
            os("sign"),
            os("adesverify"),
            os("--validation-context"),
            os("cie"),
            os("--no-revocation-check"),
            os("--executive-summary"),
            pdf.as_os_str(),
        ],
    );
    assert!(ok, "pyhanko adesverify: {out}");
    assert_eq!(out.lines().filter(|l| l.ends_with(":VALID")).count(), signatures, "{out}");
}

/// pyHanko's generic CMS validation of an enveloping `.p7m` (its encapsulated content).
fn pyhanko_validates_p7m(p7m: &Path, ca: &Path) -> String {
    let python = pyhanko().with_file_name("python");
    let script = r#"
import asyncio, sys
from asn1crypto import cms, pem, x509
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
data = open(sys.argv[2], 'rb').read()
if pem.detect(data):
    data = pem.unarmor(data)[2]
vc = ValidationContext(trust_roots=[x509.Certificate.load(data)], allow_fetching=False, revocation_mode='soft-fail')
sd = cms.ContentInfo.load(open(sys.argv[1], 'rb').read())['content']
status = asyncio.run(async_validate_cms_signature(sd, validation_context=vc,
    key_usage_settings=KeyUsageConstraints(key_usage={'digital_signature'})))
ok = status.intact and status.valid and status.trusted
print('intact', status.intact, 'valid', status.valid, 'trusted', status.trusted, 'signer', status.signing_cert.subject.human_friendly)
sys.exit(0 if ok else 1)
"#;
    let out = Command::new("timeout")
        .arg("120")
        .arg(python)
        .arg("-c")
        .arg(script)
        .arg(p7m)
        .arg(ca)
        .output()
        .expect("run python");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pyHanko rejects {}: {text}", p7m.display());
    text
}

/// Flips one byte of `file` at the first occurrence of `needle`, into a new file.
fn tampered(card: &Card, file: &Path, needle: &[u8], name: &str) -> PathBuf {
    let mut data = std::fs::read(file).unwrap();
    let at = data.windows(needle.len()).position(|w| w == needle).expect("needle present");
    data[at] ^= 0x20;
    let out = card.path(name);
    std::fs::write(&out, data).unwrap();
    out
}

#[test]
fn cades_enveloping_detached_cosigned_verified_by_openssl_pyhanko_and_cie() {
    let card = Card::start("cades");
    let ca = citizen_ca(&card);
    let doc = card.path("domanda.txt");
    std::fs::write(&doc, b"Il sottoscritto Mario Rossi chiede il rilascio del certificato di residenza.\n").unwrap();

    // Enveloping, default name FILE.p7m.
    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-i", s(&doc)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let p7m = card.path("domanda.txt.p7m");
    let (ok, err) = openssl_cms_verify(&p7m, &ca, None, &card.path("openssl-out"));
    assert!(ok, "openssl cms -verify: {err}");
    assert_eq!(std::fs::read(card.path("openssl-out")).unwrap(), std::fs::read(&doc).unwrap());
    let (ok, printed, err) = tool(
        "openssl",
        &[os("cms"), os("-cmsout"), os("-print"), os("-inform"), os("DER"), os("-in"), p7m.as_os_str()],
    );
    assert!(ok, "{err}");
    for attribute in [
        "contentType (1.2.840.113549.1.9.3)",
        "messageDigest (1.2.840.113549.1.9.4)",
        "signingTime (1.2.840.113549.1.9.5)",
        "id-smime-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47)",
    ] {
        assert!(printed.contains(attribute), "{attribute} missing:\n{printed}");
    }
    let py = pyhanko_validates_p7m(&p7m, &ca);
    assert!(py.contains("intact True valid True trusted True"), "{py}");

    // cie verify: with the CA (TOTAL-PASSED, exit 0), without any (INDETERMINATE, exit 6),
    // with the wrong one (INDETERMINATE); JSON.
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    for expected in [
        "signature 1: VALID (TOTAL-PASSED)",
        "MARIO ROSSI",
        "RSSMRA80A01H501U",
        "trusted",
        "result: TOTAL-PASSED — all 1 signature valid",
    ] {
        assert!(r.stdout.contains(expected), "{expected}: {r:?}");
    }
    let r = card.cie(&["verify", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("NOT CHECKED") && r.stdout.contains("were NOT checked"), "{r:?}");
    assert!(r.stdout.contains("INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{r:?}");
    let csca = card.path("csca.der");
    std::fs::write(&csca, cie_sim::fixtures::csca_certificate()).unwrap();
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&csca)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("NOT TRUSTED") && r.stdout.contains("INDETERMINATE ("), "{r:?}");
    let (ok, _) = openssl_cms_verify(&p7m, &csca, None, &card.path("x"));
    assert!(!ok, "openssl agrees: wrong CA");
    let r = card.cie(&["--json", "verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.trim().starts_with('{') && r.stdout.contains("\"valid\":true"), "{r:?}");
    assert!(r.stdout.contains("\"fiscal_code\":\"RSSMRA80A01H501U\""), "{r:?}");

    // Extraction.
    let out = card.path("estratto.txt");
    let r = card.cie(&["extract", s(&p7m), "-o", s(&out)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&doc).unwrap());

    // Tampering: content, a signed attribute (signing time: last UTCTime), the signature.
    let bad_content = tampered(&card, &p7m, b"residenza", "bad-content.p7m");
    let data = std::fs::read(&p7m).unwrap();
    let time = data.windows(2).rposition(|w| w == [0x17, 0x0d]).unwrap() + 3;
    let mut t = data.clone();
    t[time] ^= 0x01;
    let bad_attr = card.path("bad-attr.p7m");
    std::fs::write(&bad_attr, t).unwrap();
    let mut t = data.clone();
    let n = t.len();
    t[n - 3] ^= 0x01;
    let bad_sig = card.path("bad-sig.p7m");
    std::fs::write(&bad_sig, t).unwrap();
    for bad in [&bad_content, &bad_attr, &bad_sig] {
        let r = card.cie(&["verify", s(bad), "--ca", s(&ca)], "");
        assert_eq!(r.code, Some(1), "{}: {r:?}", bad.display());
        assert!(r.stdout.contains("INVALID: TOTAL-FAILED") && r.stdout.contains("result: TOTAL-FAILED"), "{r:?}");
        let (ok, _) = openssl_cms_verify(bad, &ca, None, &card.path("x"));
        assert!(!ok, "openssl accepts {}", bad.display());
    }

    // Detached (.p7s next to the content), then a co-signature of the .p7m.
    let r =
        card.cie(&["sign", "--format", "cades-detached", "--pin-stdin", "--hash", "sha512", "-i", s(&doc)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let p7s = card.path("domanda.txt.p7s");
    let (ok, err) = openssl_cms_verify(&p7s, &ca, Some(&doc), &card.path("x"));
    assert!(ok, "openssl cms -verify -content: {err}");
    let r = card.cie(&["verify", s(&p7s), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("CAdES detached") && r.stdout.contains("sha512"), "{r:?}");
    let other = card.path("other.txt");
    std::fs::write(&other, b"something else").unwrap();
    let r = card.cie(&["verify", s(&p7s), "--content", s(&other)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let config = pyhanko_config(&card, &[&ca]);
    let (ok, out) = run_pyhanko(
        &config,
        &[
            os("sign"),
            os("validate"),
            os("--validation-context"),
            os("cie"),
            os("--no-revocation-check"),
            os("--pretty-print"),
            os("--detached"),
            p7s.as_os_str(),
            doc.as_os_str(),
        ],
    );
    assert!(ok && out.contains("The signature is judged VALID."), "pyhanko --detached: {out}");

    let cosigned = card.path("cosigned.p7m");
    let r = card
        .cie(&["sign", "--format", "cades", "--cosign", "--pin-stdin", "-i", s(&p7m), "-o", s(&cosigned)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let (ok, err) = openssl_cms_verify(&cosigned, &ca, None, &card.path("x"));
    assert!(ok, "openssl, two signers: {err}");
    let r = card.cie(&["verify", s(&cosigned), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("2 signatures") && r.stdout.contains("all 2 signatures valid"), "{r:?}");
}

#[test]
fn pades_signed_once_twice_and_after_openssl_verified_by_pdfsig_pyhanko_and_cie() {
    let card = Card::start("pades");
    let ca = citizen_ca(&card);
    let config = pyhanko_config(&card, &[&ca]);

    // Several PDF versions, classic cross-reference tables and cross-reference streams.
    let inputs = [
        ("v13.pdf", pdf::classic_pdf("1.3", "Modulo versione 1.3")),
        ("v17.pdf", pdf::classic_pdf("1.7", "Modulo versione 1.7")),
        ("v20.pdf", pdf::classic_pdf("2.0", "Modulo versione 2.0")),
        ("xrefstream.pdf", pdf::xref_stream_pdf("1.5", "Modulo con xref stream")),
    ];
    for (name, bytes) in &inputs {
        let input = card.path(name);
        std::fs::write(&input, bytes).unwrap();
        let r = card.cie(&["sign", "--format", "pades", "--pin-stdin", "-i", s(&input)], TEST_PIN);
        assert_eq!(r.code, Some(0), "{name}: {r:?}");
        let signed = card.path(&name.replace(".pdf", "-signed.pdf"));
        let (valid, total, out) = pdfsig(&signed);
        assert_eq!((valid, total), (1, 1), "pdfsig {name}: {out}");
        assert!(out.contains("ETSI.CAdES.detached") && out.contains("Total document signed"), "{out}");
        let r = card.cie(&["verify", s(&signed), "--ca", s(&ca)], "");
        assert_eq!(r.code, Some(0), "{name}: {r:?}");
        pyhanko_validates_pdf(&config, &signed, 1);
    }

    // Signed twice by the card: the first signature stays valid.
    let once = card.path("v17-signed.pdf");
    let twice = card.path("twice.pdf");
    let r = card.cie(&["sign", "--format", "pades", "--pin-stdin", "-i", s(&once), "-o", s(&twice)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let (valid, total, out) = pdfsig(&twice);
    assert_eq!((valid, total), (2, 2), "pdfsig: {out}");
    let r = card.cie(&["verify", s(&twice), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("all 2 signatures valid") && r.stdout.contains("a previous revision"), "{r:?}");
    pyhanko_validates_pdf(&config, &twice, 2);

    // A byte changed in place (not an incremental update): every verifier rejects it.
    let modified = tampered(&card, &twice, b"Modulo versione", "modified.pdf");
    let (valid, total, out) = pdfsig(&modified);
    assert!(total == 2 && valid == 0, "pdfsig accepts a modified PDF: {out}");
    let r = card.cie(&["verify", s(&modified), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("modified") && r.stdout.contains("result: TOTAL-FAILED ("), "{r:?}");

    // First signed by OpenSSL with another key (our preparation, OpenSSL's CMS), then the card.
    let (key, cert) = (card.path("office.key"), card.path("office.pem"));
    let (ok, _, err) = tool(
        "openssl",
        &[
            os("req"),
            os("-x509"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-keyout"),
            key.as_os_str(),
            os("-out"),
            cert.as_os_str(),
            os("-days"),
            os("30"),
            os("-subj"),
            os("/C=IT/O=Comune di Prova/CN=Ufficio Protocollo"),
            os("-addext"),
            os("keyUsage=critical,digitalSignature,nonRepudiation"),
        ],
    );
    assert!(ok, "{err}");
    let prepared = pades::prepare(&inputs[0].1, &PadesOptions::default()).unwrap();
    let ranges = card.path("ranges.bin");
    std::fs::write(&ranges, prepared.signed_ranges().concat()).unwrap();
    let cms = card.path("office.der");
    let (ok, _, err) = tool(
        "openssl",
        &[
            os("cms"),
            os("-sign"),
            os("-binary"),
            os("-cades"),
            os("-md"),
            os("sha256"),
            os("-in"),
            ranges.as_os_str(),
            os("-signer"),
            cert.as_os_str(),
            os("-inkey"),
            key.as_os_str(),
            os("-outform"),
            os("DER"),
            os("-out"),
            cms.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    let by_office = card.path("office-signed.pdf");
    std::fs::write(&by_office, prepared.finish(&std::fs::read(&cms).unwrap()).unwrap()).unwrap();
    let both = card.path("office-and-citizen.pdf");
    let r = card.cie(&["sign", "--format", "pades", "--pin-stdin", "-i", s(&by_office), "-o", s(&both)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let (valid, total, out) = pdfsig(&both);
    assert_eq!((valid, total), (2, 2), "pdfsig: {out}");
    assert!(out.contains("Ufficio Protocollo") && out.contains("RSSMRA80A01H501U"), "{out}");
    let r = card.cie(&["verify", s(&both), "--ca", s(&ca), "--ca", s(&cert)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    // With the citizen CA only, the office's signature does not chain: INDETERMINATE, exit 6.
    let r = card.cie(&["verify", s(&both), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("result: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{r:?}");
    let config = pyhanko_config(&card, &[&ca, &cert]);
    pyhanko_validates_pdf(&config, &both, 2);
}

/// 300 MiB: beyond the 256 MiB the `der` crate's lengths reach, so the streamed paths (sign,
/// verify, extract) are the ones exercised.
/// `cie sign --timestamp URL` against a real RFC 3161 TSA on the loopback (OpenSSL's `openssl
/// ts`): a CAdES-T `.p7m` that OpenSSL verifies and `cie verify` reports time-stamped by the
/// TSA (a proof of existence once the TSA's root is trusted, not before), and a PAdES B-T PDF
/// that pyHanko and pdfsig validate with its timestamp. Misuse costs no PIN.
#[test]
fn timestamped_cades_and_pades_through_a_local_tsa() {
    let card = Card::start("timestamp");
    let ca = citizen_ca(&card);
    let tsa = tsa::LocalTsa::start(&card.path("tsa"));
    let tsa_root = tsa.root_path();
    let doc = card.path("istanza.txt");
    std::fs::write(&doc, b"Istanza di accesso agli atti.\n").unwrap();

    let r = card.cie(
        &["--json", "sign", "--format", "cades", "--timestamp", tsa.url(), "--pin-stdin", "-i", s(&doc)],
        TEST_PIN,
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(r#""format":"CAdES-T enveloping (.p7m)""#), "{r:?}");
    assert_eq!(tsa.served(), 1);
    let p7m = card.path("istanza.txt.p7m");
    let (ok, err) = openssl_cms_verify(&p7m, &ca, None, &card.path("openssl-out"));
    assert!(ok, "openssl cms -verify: {err}");

    let r = card.cie(&["--json", "verify", s(&p7m), "--ca", s(&ca), "--ca", s(&tsa_root)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let t = &j["signatures"][0]["timestamps"][0];
    assert_eq!(t["type"], "signature", "{j}");
    assert_eq!(t["tsa"], "cie test TSA", "{j}");
    assert_eq!(t["proof_of_existence"], true, "{j}");
    assert_eq!(t["indication"], "TOTAL-PASSED", "{j}");
    // The TSA's root not trusted: the timestamp is intact but proves nothing.
    let r = card.cie_in(&[("LANG", "it_IT.UTF-8")], &["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "the signature itself is still valid now: {r:?}");
    assert!(r.stdout.contains("marca temporale: ") && r.stdout.contains("non prova l'ora"), "{r:?}");

    // PAdES B-T.
    let input = card.path("modulo.pdf");
    std::fs::write(&input, pdf::classic_pdf("1.7", "Modulo con marca temporale")).unwrap();
    let r =
        card.cie(&["sign", "--format", "pades", "--timestamp", tsa.url(), "--pin-stdin", "-i", s(&input)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let signed = card.path("modulo-signed.pdf");
    let (valid, total, out) = pdfsig(&signed);
    assert_eq!((valid, total), (1, 1), "pdfsig: {out}");
    let r = card.cie(&["verify", s(&signed), "--ca", s(&ca), "--ca", s(&tsa_root)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("  timestamp:    ") && r.stdout.contains("\"cie test TSA\" (verified"), "{r:?}");
    let config = pyhanko_config(&card, &[&ca, &tsa_root]);
    pyhanko_validates_pdf(&config, &signed, 1);
    let (ok, out) = run_pyhanko(
        &config,
        &[
            os("sign"),
            os("validate"),
            os("--validation-context"),
            os("cie"),
            os("--no-revocation-check"),
            os("--pretty-print"),
            signed.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    for line in [
        "Signature timestamp token: ",
        "The timestamp token is cryptographically sound.",
        "The TSA certificate is trusted.",
    ] {
        assert!(out.contains(line), "pyHanko on the signature timestamp: {out}");
    }
    assert_eq!(tsa.served(), 2);

    // Misuse: refused before the card is touched.
    let r = card.cie(
        &[
            "sign",
            "--format",
            "raw",
            "--timestamp",
            tsa.url(),
            "--pin-stdin",
            "-i",
            s(&doc),
            "-o",
            s(&card.path("x.sig")),
        ],
        TEST_PIN,
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    let r = card.cie(
        &[
            "sign",
            "--format",
            "cades",
            "--timestamp",
            "https://tsa.example/",
            "--pin-stdin",
            "-i",
            s(&doc),
            "-o",
            s(&card.path("y.p7m")),
        ],
        TEST_PIN,
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("http://"), "{r:?}");
    // A TSA that is not there: a clean error, and no file left behind.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gone = format!("http://127.0.0.1:{port}/tsr");
    let r = card.cie(
        &[
            "sign",
            "--format",
            "cades",
            "--timestamp",
            &gone,
            "--pin-stdin",
            "-i",
            s(&doc),
            "-o",
            s(&card.path("z.p7m")),
        ],
        TEST_PIN,
    );
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!card.path("z.p7m").exists(), "no half-written output");
}

#[test]
fn three_hundred_megabytes_are_signed_verified_and_extracted_streaming() {
    let card = Card::start("large");
    let ca = citizen_ca(&card);
    let big = card.path("large.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(SIZE).unwrap();
    drop(f);
    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-q", "-i", s(&big)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let p7m = card.path("large.bin.p7m");
    assert!(std::fs::metadata(&p7m).unwrap().len() > SIZE);
    let (ok, err) = openssl_cms_verify(&p7m, &ca, None, &card.path("large.out"));
    assert!(ok, "{err}");
    assert_eq!(std::fs::metadata(card.path("large.out")).unwrap().len(), SIZE);
    std::fs::remove_file(card.path("large.out")).unwrap();
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let extracted = card.path("extracted.bin");
    let r = card.cie(&["extract", s(&p7m), "-o", s(&extracted)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::metadata(&extracted).unwrap().len(), SIZE);
    // A changed byte deep inside the content is found by the streamed verification.
    drop(std::fs::remove_file(&extracted));
    let mut f = std::fs::OpenOptions::new().write(true).open(&p7m).unwrap();
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(SIZE / 2)).unwrap();
    std::io::Write::write_all(&mut f, b"!").unwrap();
    drop(f);
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
}

const SIZE: u64 = 300 * 1024 * 1024;
