//! `cargo xtask install-deps`: only the missing system packages, pyHanko's virtual environment
//! and its test suite's PDFs.

use std::process::ExitCode;

use crate::command::Result;
use crate::packages::{ensure_packages, ensure_pyhanko, ensure_pyhanko_sdist, PACKAGES};

/// `cargo xtask install-deps`.
pub(crate) fn run_task(_args: &[String]) -> Result<ExitCode> {
    ensure_packages(PACKAGES)
        .and_then(|()| ensure_pyhanko())
        .and_then(|_| ensure_pyhanko_sdist())
        .map(|_| ExitCode::SUCCESS)
}
