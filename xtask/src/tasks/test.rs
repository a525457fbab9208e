//! `cargo xtask test [ARGS]`: install what is missing, the checks CI enforces (import circles,
//! formatting, clippy, docs), build the workspace, run every test, then the Debian packages'
//! check (without ARGS) and, as root in CI, the quick start as an unprivileged user. No process
//! the suite starts may outlive it ([`crate::reaper`]).

use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::is_root;

use super::{deb, demo_as_user, layers};
use crate::command::{cargo, run, step, Result};
use crate::packages::{ensure_packages, ensure_pyhanko, ensure_pyhanko_sdist, PACKAGES};
use crate::paths::target_dir;
use crate::reaper;

/// `cargo xtask test [ARGS]` (ARGS go to `cargo test --workspace`).
pub(crate) fn run_task(extra: &[String]) -> Result<ExitCode> {
    ensure_packages(PACKAGES)?;
    // From here on, whatever the suite leaves running is re-parented to this process.
    reaper::become_subreaper()?;
    let suite = suite(extra);
    let leftovers = reaper::end_leftovers();
    match (suite, leftovers) {
        (Err(e), Err(l)) => return Err(format!("{e}\n{l}")),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(e),
        (Ok(()), Ok(())) => {}
    }
    step("all tests passed");
    Ok(ExitCode::SUCCESS)
}

/// Everything `test` runs after the package installation.
fn suite(extra: &[String]) -> Result<()> {
    lint()?;
    let pyhanko = ensure_pyhanko()?;
    let corpus = ensure_pyhanko_sdist()?;
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    run(cargo()
        .args(["test", "--workspace"])
        .args(extra)
        .env("CIE_PYHANKO", pyhanko)
        .env("CIE_PYHANKO_SDIST", corpus))?;
    if extra.is_empty() {
        step("package test: building the Debian packages (release) and checking them");
        let debs = deb::build(&target_dir().join("debian"), true)?;
        deb::check(&debs)?;
    }
    if is_root() && std::env::var_os("CI").is_some() && extra.is_empty() {
        // The README quick start as a citizen would run it: not as root.
        demo_as_user::run_task(&[])?;
    }
    Ok(())
}

/// What CI enforces besides the tests: no import circle between files (`layers`),
/// formatting, clippy with warnings denied, and documentation that builds without warnings.
fn lint() -> Result<()> {
    ensure_components()?;
    layers::run_task(&[])?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))
}

/// Makes sure `cargo fmt` and `cargo clippy` exist, adding the rustup components when they do
/// not (a toolchain installed with rustup's minimal profile lacks them).
fn ensure_components() -> Result<()> {
    let works = |sub: &str| {
        cargo().args([sub, "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    if works("fmt") && works("clippy") {
        return Ok(());
    }
    step("cargo fmt or cargo clippy missing: adding the rustup components rustfmt and clippy");
    run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))
}
