//! `cargo xtask bench-latency [-n N] [--latency realistic|none]`: per-APDU latency through
//! pcscd, with cie-core's `pcsc_latency` example against the simulated card.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use cie_sim::stack::StackOptions;

use crate::card_stack::{build_sim, start_stack};
use crate::command::{cargo, run, step, Result};
use crate::packages::{ensure_packages, DEMO_PACKAGES};
use crate::paths::target_dir;
use crate::usage::USAGE;

/// `cargo xtask bench-latency` (both latency models unless one is named).
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let mut n = "200".to_owned();
    let mut models = vec!["none".to_owned(), "realistic".to_owned()];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" => n = it.next().cloned().ok_or("-n needs a number")?,
            "--latency" => models = vec![it.next().cloned().ok_or("--latency needs a model")?],
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    ensure_packages(DEMO_PACKAGES)?;
    let sim = build_sim(true)?;
    run(cargo().args(["build", "--release", "-p", "cie-core", "--features", "pcsc", "--example", "pcsc_latency"]))?;
    let example = target_dir().join("release").join("examples").join("pcsc_latency");
    for model in models {
        step(&format!("latency model: {model}"));
        let stack = start_stack(StackOptions {
            sim_binary: Some(sim.clone()),
            latency: Some(model),
            ..StackOptions::default()
        })?;
        let args: [OsString; 2] = [stack.reader_name().into(), n.clone().into()];
        let mut cmd = Command::new(&example);
        cmd.args(args).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
        let result = run(&mut cmd);
        drop(stack);
        result?;
    }
    Ok(ExitCode::SUCCESS)
}
