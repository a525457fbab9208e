//! `cie verify` and `cie extract` on envelopes inside envelopes made by `openssl cms -sign`
//! (a `.p7m` of a `.p7m`): each signature on its own line with its level (`1`, `1/1`) in
//! English, Italian and `--json`; `cie extract` writes the innermost content by default, the
//! chosen envelope's with `--level`, and refuses a level the file does not have. No card.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the target's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl").args(args).current_dir(&self.0).output().expect("openssl (xtask PACKAGES)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    fn cie(&self, lang: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cie"))
            .args(args)
            .current_dir(&self.0)
            .env("LC_ALL", lang)
            .env("CIE_TRUST_ANCHORS", "")
            .output()
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn envelope_in_envelope_levels_and_extraction() {
    let dir = Scratch::new("cli-levels");
    dir.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-subj",
        "/CN=Anna Bianchi/C=IT",
        "-days",
        "30",
    ]);
    let text = b"Verbale della riunione.\n";
    std::fs::write(dir.path("verbale.txt"), text).unwrap();
    for (input, output) in [("verbale.txt", "verbale.txt.p7m"), ("verbale.txt.p7m", "verbale.txt.p7m.p7m")] {
        dir.openssl(&[
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-in",
            input,
            "-signer",
            "c.pem",
            "-inkey",
            "k.pem",
            "-outform",
            "DER",
            "-out",
            output,
        ]);
    }

    let r = dir.cie("C", &["verify", "--ca", "c.pem", "verbale.txt.p7m.p7m"]);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.contains("2 signatures"), "{out}");
    assert!(out.contains("signature 1: VALID (TOTAL-PASSED)"), "{out}");
    assert!(out.contains("signature 1/1: VALID (TOTAL-PASSED)"), "{out}");
    let r = dir.cie("it_IT.UTF-8", &["verify", "--ca", "c.pem", "verbale.txt.p7m.p7m"]);
    assert!(String::from_utf8_lossy(&r.stdout).contains("firma 1/1: VALIDA"), "{r:?}");

    let r = dir.cie("C", &["--json", "verify", "--ca", "c.pem", "verbale.txt.p7m.p7m"]);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let levels: Vec<&str> = v["signatures"].as_array().unwrap().iter().map(|s| s["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["1", "1/1"]);
    assert!(v["signatures"][1]["countersigns"].is_null());

    // Default: the innermost content.
    let r = dir.cie("C", &["--json", "extract", "verbale.txt.p7m.p7m", "-o", "inner.txt"]);
    assert_eq!(r.status.code(), Some(0), "{r:?}");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["level"], 2);
    assert_eq!(std::fs::read(dir.path("inner.txt")).unwrap(), text);
    // --level 1: the file's own content, the inner .p7m as it is.
    let r = dir.cie("C", &["extract", "--level", "1", "verbale.txt.p7m.p7m", "-o", "outer.p7m"]);
    assert_eq!(r.status.code(), Some(0), "{r:?}");
    assert_eq!(std::fs::read(dir.path("outer.p7m")).unwrap(), std::fs::read(dir.path("verbale.txt.p7m")).unwrap());
    // A level the file does not have: an error, nothing written.
    let r = dir.cie("C", &["extract", "--level", "3", "verbale.txt.p7m.p7m", "-o", "none.txt"]);
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert!(String::from_utf8_lossy(&r.stderr).contains("has 2 envelopes"), "{r:?}");
    assert!(!dir.path("none.txt").exists());
}
