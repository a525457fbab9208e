//! CMS read leniently where OpenSSL and DSS both are (issue 23, item 7): a SignedData whose
//! digestAlgorithms SET repeats an algorithm, esig/dss's DSS-768 file (`tests/corpus/dss/
//! MANIFEST`), is read, its three signatures intact as DSS's tests and `openssl cms -verify`
//! say, its content extracted as OpenSSL extracts it; the same file with a content byte altered
//! by hand fails, for us and for OpenSSL.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::verify::verify_p7m;
use cie_sign::{cades, verify_file, Indication, Silent, SubIndication, Trust};

const FILE: &str = "dss-768-FD1_FD2_FEA.pdf.p7m";

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dss").join(name)
}

/// `openssl cms -verify -noverify` on `p7m`: whether it verified, and the content it wrote.
fn openssl_verify(p7m: &Path) -> (bool, Vec<u8>) {
    let name = p7m.file_name().unwrap().to_string_lossy();
    let out = std::env::temp_dir().join(format!("cie-cms-tolerance-{}-{name}.out", std::process::id()));
    let status = Command::new("openssl")
        .args(["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in"])
        .arg(p7m)
        .arg("-out")
        .arg(&out)
        .output()
        .expect("openssl (xtask/src/packages.rs installs it)")
        .status;
    let content = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (status.success(), content)
}

#[test]
fn repeated_digest_algorithms_are_read_as_openssl_and_dss_read_them() {
    let path = corpus(FILE);
    let bytes = std::fs::read(&path).unwrap();
    let (ok, openssl_content) = openssl_verify(&path);
    assert!(ok, "OpenSSL verifies {FILE}");

    let streamed = verify_file(&path, None, &Trust::none(), &mut Silent).unwrap();
    let in_memory = verify_p7m(&bytes, None, &Trust::none()).unwrap();
    for r in [&streamed, &in_memory] {
        assert_eq!(r.signatures.len(), 3, "{r:?}");
        for s in &r.signatures {
            // Intact; not confirmed only because the certificates expired and nothing is trusted.
            assert_eq!(s.indication(), Indication::Indeterminate, "{:?}", s.problems);
            assert!(s
                .problems
                .iter()
                .all(|p| p.sub != SubIndication::HashFailure && p.sub != SubIndication::SigCryptoFailure));
        }
    }
    let mut content = Vec::new();
    cades::extract_encoded(&mut BufReader::new(File::open(&path).unwrap()), &mut content, &mut Silent).unwrap();
    assert!(content == openssl_content, "the content OpenSSL extracts");
    assert!(cades::extract(&bytes).unwrap() == content, "in memory");
}

#[test]
fn repeated_digest_algorithms_do_not_hide_an_altered_content() {
    // A byte of the PDF inside the envelope (its "%PDF-1.4" header) changed by hand.
    let mut bytes = std::fs::read(corpus(FILE)).unwrap();
    let at = bytes.windows(8).position(|w| w == b"%PDF-1.4").unwrap();
    bytes[at + 7] = b'7';
    let path = std::env::temp_dir().join(format!("cie-cms-tolerance-altered-{}.p7m", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let (ok, _) = openssl_verify(&path);
    let streamed = verify_file(&path, None, &Trust::none(), &mut Silent).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(!ok, "OpenSSL refuses the altered file");
    let in_memory = verify_p7m(&bytes, None, &Trust::none()).unwrap();
    for r in [&streamed, &in_memory] {
        assert_eq!(r.signatures.len(), 3);
        for s in &r.signatures {
            assert_eq!(s.indication(), Indication::TotalFailed, "{:?}", s.problems);
            assert_eq!(s.sub_indication(), Some(SubIndication::HashFailure), "{:?}", s.problems);
        }
    }
}
