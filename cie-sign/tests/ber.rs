//! BER input (issue 23, item 1): CMS signatures with indefinite lengths and the content in
//! chunks of a constructed OCTET STRING are read, verified and extracted. Third-party files
//! from esig/dss's test suite (`tests/corpus/ber/MANIFEST`: origin, commit, licence, the verdict
//! DSS and OpenSSL give) must get OpenSSL's verdict and OpenSSL's extracted content; files
//! written at run time by `openssl cms -sign -stream` (OpenSSL as the reference producer and
//! verifier) verify, extract exactly, and an altered content byte is TOTAL-FAILED
//! (HASH_FAILURE); hand-made truncations are errors, never verdicts.

mod common;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::pades::{self, PadesOptions};
use cie_sign::verify::verify_p7m;
use cie_sign::{cades, verify_file, Encoding, Error, Indication, Report, Silent, SubIndication, Trust};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ber")
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cie-sign-ber-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `openssl` with `args`; true when it succeeded.
fn openssl(args: &[&str]) -> bool {
    let out = Command::new("openssl").args(args).output().expect("openssl (xtask/src/packages.rs installs it)");
    out.status.success()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The content as OpenSSL extracts it (signatures not checked).
fn openssl_content(p7m: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join("openssl-content");
    assert!(openssl(&[
        "cms",
        "-verify",
        "-noverify",
        "-nosigs",
        "-binary",
        "-inform",
        "DER",
        "-in",
        path_str(p7m),
        "-out",
        path_str(&out)
    ]));
    std::fs::read(out).unwrap()
}

/// Our streamed extraction, checked against the in-memory one (which parses the whole
/// SignedData); with the encoding seen.
fn our_content(p7m: &Path, in_memory: bool) -> (Vec<u8>, Encoding) {
    let mut out = Vec::new();
    let (n, encoding) =
        cades::extract_encoded(&mut BufReader::new(File::open(p7m).unwrap()), &mut out, &mut Silent).unwrap();
    assert_eq!(n, out.len() as u64);
    if in_memory {
        assert_eq!(cades::extract(&std::fs::read(p7m).unwrap()).unwrap(), out, "{}: in memory", p7m.display());
    }
    (out, encoding)
}

/// Every signature of `r` was read as BER.
fn all_ber(r: &Report) -> bool {
    !r.signatures.is_empty() && r.signatures.iter().all(|s| s.encoding == Encoding::Ber)
}

#[test]
fn third_party_ber_signatures_get_openssls_verdict_and_content() {
    let manifest = std::fs::read_to_string(corpus().join("MANIFEST")).unwrap();
    let dir = scratch("corpus");
    let mut checked = 0;
    for line in manifest.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(" | ").collect();
        let (name, expectation) = (fields[0], fields[5]);
        let path = corpus().join(name);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[..2], [0x30, 0x80], "{name}: an indefinite-length ContentInfo");
        let (content, encoding) = our_content(&path, true);
        assert_eq!(encoding, Encoding::Ber, "{name}");
        assert_eq!(content, openssl_content(&path, &dir), "{name}: the content OpenSSL extracts");

        let openssl_intact = openssl(&[
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            path_str(&path),
            "-out",
            "/dev/null",
        ]);
        let streamed = verify_file(&path, None, &Trust::none(), &mut Silent);
        let in_memory = verify_p7m(&bytes, None, &Trust::none());
        match expectation {
            "intact" | "intact-disagree" => {
                // OpenSSL agrees, except on DSS-667 (it hashes the signed attributes as
                // received; RFC 5652 §5.4 and DSS take their DER form).
                assert_eq!(openssl_intact, expectation == "intact", "{name}: OpenSSL's verdict");
                let r = streamed.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_ne!(r.indication(), Indication::TotalFailed, "{name}: {r:?}");
                assert!(all_ber(&r), "{name}");
                let m = in_memory.unwrap();
                assert_eq!((m.indication(), m.sub_indication()), (r.indication(), r.sub_indication()), "{name}");
            }
            "intact-ocsp" => {
                // The OCSP response in RevocationInfoChoice.other (which the cms crate cannot
                // read) is read beside it; the signature itself is intact, as for OpenSSL.
                assert!(openssl_intact, "{name}");
                let r = streamed.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_ne!(r.indication(), Indication::TotalFailed, "{name}: {r:?}");
                assert!(
                    r.signatures.iter().all(|s| s.signed_attributes.is_some()),
                    "{name}: the signature verified: {r:?}"
                );
                let m = in_memory.unwrap();
                assert_eq!((m.indication(), m.sub_indication()), (r.indication(), r.sub_indication()), "{name}");
                let rev = cades::revocations(&bytes).unwrap();
                assert!(!rev.ocsp_responses.is_empty(), "{name}: {rev:?}");
                assert!(rev.ocsp_responses.iter().all(|o| o.first() == Some(&0x30)), "{name}");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
    let _ = std::fs::remove_dir_all(dir);
}

/// A self-signed key and certificate made by OpenSSL, and `content` signed by it with
/// `openssl cms -sign -stream` (BER, indefinite lengths, 4 KiB chunks); detached too.
struct Streamed {
    dir: PathBuf,
    cert: PathBuf,
    p7m: PathBuf,
    p7s: PathBuf,
    content: Vec<u8>,
}

fn streamed(name: &str) -> Streamed {
    let dir = scratch(name);
    let (key, cert, data) = (dir.join("k.pem"), dir.join("c.pem"), dir.join("data"));
    assert!(openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        path_str(&key),
        "-out",
        path_str(&cert),
        "-subj",
        "/CN=BER test signer",
        "-days",
        "2",
    ]));
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8 ^ (i >> 12) as u8).collect();
    std::fs::write(&data, &content).unwrap();
    let (p7m, p7s) = (dir.join("data.p7m"), dir.join("data.p7s"));
    for (out, detach) in [(&p7m, "-nodetach"), (&p7s, "-binary")] {
        assert!(openssl(&[
            "cms",
            "-sign",
            "-stream",
            "-binary",
            detach,
            "-md",
            "sha256",
            "-in",
            path_str(&data),
            "-signer",
            path_str(&cert),
            "-inkey",
            path_str(&key),
            "-outform",
            "DER",
            "-out",
            path_str(out),
        ]));
    }
    Streamed { dir, cert, p7m, p7s, content }
}

fn trust_in(cert: &Path) -> Trust {
    let mut t = Trust::none();
    t.add(&std::fs::read(cert).unwrap()).unwrap();
    t
}

#[test]
fn openssl_streamed_signature_verifies_and_extracts() {
    let s = streamed("stream");
    let bytes = std::fs::read(&s.p7m).unwrap();
    // What -stream writes: indefinite ContentInfo, and the content in constructed chunks.
    assert_eq!(bytes[..2], [0x30, 0x80]);
    assert!(bytes.windows(4).any(|w| w == [0xA0, 0x80, 0x24, 0x80]));
    let trust = trust_in(&s.cert);
    let r = verify_file(&s.p7m, None, &trust, &mut Silent).unwrap();
    assert!(r.all_valid() && all_ber(&r), "{r:?}");
    assert!(openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        path_str(&s.p7m),
        "-CAfile",
        path_str(&s.cert),
        "-out",
        "/dev/null"
    ]));
    assert!(verify_p7m(&bytes, None, &trust).unwrap().all_valid());
    assert_eq!(our_content(&s.p7m, true), (s.content.clone(), Encoding::Ber));
    // The detached BER signature with its content.
    let data = s.dir.join("data");
    let r = verify_file(&s.p7s, Some(&data), &trust, &mut Silent).unwrap();
    assert!(r.all_valid() && all_ber(&r), "{r:?}");
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn altered_ber_content_is_total_failed() {
    let s = streamed("altered");
    let mut bytes = std::fs::read(&s.p7m).unwrap();
    // One content byte changed, in the second chunk: found by its bytes, not by our parser.
    let probe = &s.content[5000..5032];
    let at = bytes.windows(probe.len()).position(|w| w == probe).unwrap() + 7;
    bytes[at] ^= 0x01;
    let altered = s.dir.join("altered.p7m");
    std::fs::write(&altered, &bytes).unwrap();
    let trust = trust_in(&s.cert);
    let r = verify_file(&altered, None, &trust, &mut Silent).unwrap();
    assert_eq!((r.indication(), r.sub_indication()), (Indication::TotalFailed, Some(SubIndication::HashFailure)));
    let m = verify_p7m(&bytes, None, &trust).unwrap();
    assert_eq!(m.sub_indication(), Some(SubIndication::HashFailure));
    assert!(!openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        path_str(&altered),
        "-CAfile",
        path_str(&s.cert),
        "-out",
        "/dev/null"
    ]));
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn cut_or_unterminated_ber_is_an_error() {
    let s = streamed("cut");
    let bytes = std::fs::read(&s.p7m).unwrap();
    let trust = trust_in(&s.cert);
    // The file ends with the six end-of-contents of SignedData's wrappers (written by OpenSSL,
    // checked here byte by byte): without them, or cut inside the content, it is malformed.
    assert_eq!(bytes[bytes.len() - 6..], [0; 6]);
    for (what, cut) in [("last end-of-contents", bytes.len() - 2), ("inside the content", 150_000), ("in a header", 60)]
    {
        let path = s.dir.join("cut.p7m");
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = verify_file(&path, None, &trust, &mut Silent).unwrap_err();
        assert!(matches!(e, Error::Cms(_)), "{what}: {e}");
        assert!(cades::extract_to(&mut File::open(&path).unwrap(), &mut Vec::new(), &mut Silent).is_err(), "{what}");
        assert!(verify_p7m(&bytes[..cut], None, &trust).is_err(), "{what}");
    }
    // A chunk length pointing past the end of the file.
    let mut long = bytes.clone();
    let first_chunk = long.windows(4).position(|w| w == [0x24, 0x80, 0x04, 0x82]).unwrap() + 2;
    long[first_chunk + 1..first_chunk + 4].copy_from_slice(&[0x84, 0x7f, 0xff]);
    let path = s.dir.join("long.p7m");
    std::fs::write(&path, &long).unwrap();
    assert!(matches!(verify_file(&path, None, &trust, &mut Silent), Err(Error::Cms(_))));
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// The document fuzz targets start from BER seeds (fuzz/doc-seeds.sh): `openssl cms -sign
/// -stream` output and the corpus's files, read here as BER by the same entry points.
#[test]
fn fuzz_seeds_reach_the_ber_paths() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut seen = 0;
    for entry in std::fs::read_dir(seeds.join("p7m_extract")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("_ber_") {
            let mut out = Vec::new();
            let (_, encoding) =
                cades::extract_encoded(&mut std::io::Cursor::new(std::fs::read(&path).unwrap()), &mut out, &mut Silent)
                    .unwrap();
            assert_eq!(encoding, Encoding::Ber, "{name}");
            seen += 1;
        }
    }
    // cms_verify: `[mode][p7m]`, mode 1 = verify_p7m, 5 = the streaming path (citizen CA trusted).
    for name in ["openssl_ber_env_trust", "openssl_ber_stream_trust"] {
        let seed = std::fs::read(seeds.join("cms_verify").join(name)).unwrap();
        let mut trust = Trust::none();
        trust.add(cie_sim::fixtures::citizen_ca_certificate()).unwrap();
        let r = match seed[0] {
            1 => verify_p7m(&seed[1..], None, &trust).unwrap(),
            5 => cie_sign::verify::verify_enveloping_file(&mut std::io::Cursor::new(&seed[1..]), &trust)
                .unwrap()
                .unwrap(),
            other => panic!("{name}: mode {other}"),
        };
        assert!(all_ber(&r) && r.indication() != Indication::TotalFailed, "{name}: {r:?}");
        seen += 1;
    }
    assert!(seen >= 9, "{seen} seeds");
}

/// The element at the start of `der`, whose length is in the two-octet long form (`82 LL LL`),
/// rewritten with an indefinite length (`80` ... `00 00`), the same size; `inner` rewrites its
/// contents first.
fn indefinite(der: &[u8], inner: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    assert_eq!(der[1], 0x82, "a two-octet length");
    let len = usize::from(der[2]) << 8 | usize::from(der[3]);
    let mut out = vec![der[0], 0x80];
    out.extend_from_slice(&inner(&der[4..4 + len]));
    out.extend_from_slice(&[0, 0]);
    out
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect()
}

fn unhex(text: &[u8]) -> Vec<u8> {
    text.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

/// A PAdES signature whose /Contents holds the CMS in BER (ContentInfo, its [0] and SignedData
/// with indefinite lengths, rewritten here by hand) verifies, and says BER; the PDF's bytes
/// outside /Contents are unchanged, so the /ByteRange digest still holds.
#[test]
fn ber_cms_inside_a_pdf_verifies() {
    let pdf = common::classic_pdf("1.4", "Modulo in BER");
    let signed = pades::sign(&mut common::SoftwareSigner::document_signer(), &pdf, &PadesOptions::default()).unwrap();
    let start = signed.windows(10).rposition(|w| w == b"/Contents<").unwrap() + 10;
    let end = start + signed[start..].iter().position(|&b| b == b'>').unwrap();
    let cms = unhex(&signed[start..end]);
    let der_len = 4 + (usize::from(cms[2]) << 8 | usize::from(cms[3]));
    let ber = indefinite(&cms[..der_len], |ci| {
        // contentType (11 bytes), then [0] { SignedData }.
        let mut v = ci[..11].to_vec();
        v.extend_from_slice(&indefinite(&ci[11..], |explicit| indefinite(explicit, <[u8]>::to_vec)));
        v
    });
    assert_eq!(ber.len(), der_len, "three 4-byte headers became 2 bytes plus 2 of end-of-contents");
    let mut text = hex(&ber);
    text.resize(end - start, b'0');
    let mut rewritten = signed.clone();
    rewritten[start..end].copy_from_slice(&text);
    let mut trust = Trust::none();
    trust.add(cie_sim::fixtures::csca_certificate()).unwrap();
    let r = pades::verify_pdf(&rewritten, &trust).unwrap();
    assert!(r.all_valid() && all_ber(&r), "{r:?}");
    assert!(pades::verify_pdf(&signed, &trust).unwrap().signatures.iter().all(|s| s.encoding == Encoding::Der));
    // Without the last end-of-contents (a zero of the padding is not enough: one is removed).
    let mut cut = hex(&ber[..ber.len() - 2]);
    cut.extend_from_slice(b"01");
    cut.resize(end - start, b'0');
    rewritten[start..end].copy_from_slice(&cut);
    let r = pades::verify_pdf(&rewritten, &trust).unwrap();
    assert_eq!(r.indication(), Indication::TotalFailed, "{r:?}");
}

/// Document timestamps whose token is BER (indefinite lengths) in /Contents, as four signed
/// PDFs of esig/dss's test suite have them (`tests/corpus/esig-dss/MANIFEST`; DSS finds each
/// signature and timestamp intact): each is read and checked, never "not a timestamp token"; a
/// byte of the last revision changed by hand (a blank after /ByteRange, outside /Contents) makes
/// the document timestamp TOTAL-FAILED (HASH_FAILURE).
#[test]
fn ber_document_timestamps_of_third_party_pdfs_are_read() {
    let dss = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/esig-dss");
    for (name, timestamps) in [
        ("pades-doc-firmado.pdf", 1),
        ("pades-Signature-P-BG_BOR-2.pdf", 1),
        ("pades-Signature-P-FR_CS-5.pdf", 2),
        ("pades-pades_with_orphan_ocsp_cert_refs.pdf", 1),
    ] {
        let r = verify_file(&dss.join(name), None, &Trust::none(), &mut Silent).unwrap();
        let found: Vec<_> = r.signatures.iter().filter(|s| s.document_timestamp).collect();
        assert_eq!(found.len(), timestamps, "{name}: {r:?}");
        for s in r.signatures.iter() {
            assert_ne!(s.indication(), Indication::TotalFailed, "{name} {}: {:?}", s.level, s.problems);
        }
    }
    let mut pdf = std::fs::read(dss.join("pades-doc-firmado.pdf")).unwrap();
    let at = pdf.windows(31).rposition(|w| w == b"/ByteRange [0 43493 70119 614] ").unwrap() + 31;
    assert!(at > 70119 && pdf[at] == b' ', "a blank inside the document timestamp's second range");
    pdf[at] = b'\t';
    let r = pades::verify_pdf(&pdf, &Trust::none()).unwrap();
    let ts = r.signatures.iter().find(|s| s.document_timestamp).unwrap();
    assert_eq!(ts.indication(), Indication::TotalFailed, "{:?}", ts.problems);
    assert_eq!(ts.sub_indication(), Some(SubIndication::HashFailure), "{:?}", ts.problems);
}
