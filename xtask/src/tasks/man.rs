//! `cargo xtask man [--out DIR] [--no-build]`: the man pages of the `cie` tool, generated from its
//! command-line definition (clap_mangen, through the tool's hidden `cie manpage DIR`): `cie.1`
//! and one `cie-COMMAND.1` per command, in DIR (default `target/man`). Each page is checked with
//! `groff -man -ww -z`: a warning is an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::command::{cargo, run, step, Result};
use crate::paths::target_dir;

/// `cargo xtask man`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let mut out = target_dir().join("man");
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--no-build" => build = false,
            other => return Err(format!("man: unexpected argument {other:?} (use --out DIR, --no-build)")),
        }
    }
    if build {
        run(cargo().args(["build", "-p", "cie", "--bin", "cie"]))?;
    }
    let pages = write_pages(&target_dir().join("debug/cie"), &out)?;
    for page in &pages {
        check(page)?;
    }
    step(&format!("{} man pages in {}", pages.len(), out.display()));
    Ok(ExitCode::SUCCESS)
}

/// Runs `cie manpage DIR` (a fresh DIR) and returns the pages written, `cie.1` first.
pub(crate) fn write_pages(cie: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run(Command::new(cie).arg("manpage").arg(dir).stdin(Stdio::null()))?;
    let mut pages: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    pages.sort_by_key(|p| (p.file_name() != Some("cie.1".as_ref()), p.clone()));
    if pages.first().and_then(|p| p.file_name()) != Some("cie.1".as_ref()) {
        return Err(format!("cie manpage wrote no cie.1 in {}", dir.display()));
    }
    Ok(pages)
}

/// `groff -man -ww -z PAGE`: nothing on standard error, or the page is refused.
pub(crate) fn check(page: &Path) -> Result<()> {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page)
        .output()
        .map_err(|e| format!("groff: {e} (install groff-base)"))?;
    let warnings = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !warnings.trim().is_empty() {
        return Err(format!("{}: groff: {warnings}", page.display()));
    }
    Ok(())
}
