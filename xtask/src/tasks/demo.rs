//! `cargo xtask demo`: `cie demo` against the simulated card behind an isolated pcscd, installing
//! only the packages it needs ([`DEMO_PACKAGES`]).

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};

use crate::card_stack::{stack_options, start_stack};
use crate::command::{cargo, describe, exit_code, run, step, Result};
use crate::packages::{ensure_packages, DEMO_PACKAGES};
use crate::paths::target_dir;
use crate::usage::USAGE;

/// `cargo xtask demo [--profile NAME] [--latency realistic|none] [--pin PIN] [--sod sha256|sha512]`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let (mut options, _, rest) = stack_options(args)?;
    if !rest.is_empty() {
        return Err(format!("demo takes no command\n\n{USAGE}"));
    }
    ensure_packages(DEMO_PACKAGES)?;
    run(cargo().args(["build", "--release", "-p", "cie", "-p", "cie-sim"]))?;
    let release = target_dir().join("release");
    options.sim_binary = Some(release.join("cie-sim"));
    // The simulated card's PIN: a test credential, not a secret.
    let pin = options.pin.clone().unwrap_or_else(|| cie_sim::fixtures::TEST_PIN.to_owned());
    let stack = start_stack(options)?;
    let mut cmd = Command::new(release.join("cie"));
    cmd.args(["--reader", stack.reader_name(), "--pin-stdin", "demo"])
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .stdin(Stdio::piped());
    step(&format!("running {} (the simulated card's PIN on stdin)", describe(&cmd)));
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", describe(&cmd)))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{pin}");
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    drop(stack);
    Ok(exit_code(status))
}
