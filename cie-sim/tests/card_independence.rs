//! The card side shares no code with the host library (issue 9, DESIGN.md §2): no file under
//! `cie-sim/src/card/` names the host crate, and in the rest of `cie-sim/src/` only the
//! plumbing that plugs the card into the host's `Transport` does.

use std::path::{Path, PathBuf};

/// The host crate's name as Rust code spells it, assembled so that this file does not contain it.
fn host_crate() -> String {
    ["cie", "core"].join("_")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn naming_host(files: &[PathBuf]) -> Vec<String> {
    let name = host_crate();
    files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(&name))
        .map(|f| f.strip_prefix(src()).unwrap().display().to_string())
        .collect()
}

#[test]
fn no_card_file_names_the_host_crate() {
    let mut files = Vec::new();
    rust_files(&src().join("card"), &mut files);
    // The walk really saw the card: its dispatcher, SM, APDU parser and status words.
    for needed in ["mod.rs", "sm.rs", "apdu.rs", "sw.rs", "consts.rs", "dapp.rs", "pin.rs"] {
        assert!(files.iter().any(|f| f.file_name().is_some_and(|n| n == needed)), "card/{needed} not found");
    }
    assert_eq!(naming_host(&files), Vec::<String>::new(), "card files naming {}", host_crate());
}

#[test]
fn only_the_plumbing_names_the_host_crate() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() > 10);
    let allowed = ["transport.rs", "vpcd.rs", "stack.rs", "bin/cie-sim.rs"];
    for file in naming_host(&files) {
        assert!(allowed.contains(&file.as_str()), "{file} names {} but is not transport plumbing", host_crate());
    }
}
