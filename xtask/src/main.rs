//! Project automation, run as `cargo xtask COMMAND` (alias in `.cargo/config.toml`).
//!
//! - `test [CARGO TEST ARGS]`: install the system packages the PC/SC tests need (if missing),
//!   check formatting (`cargo fmt --check`), clippy (`-D warnings`) and the docs
//!   (`RUSTDOCFLAGS=-D warnings cargo doc`), build the whole workspace, run every test (the
//!   PC/SC tests start their own isolated stack); fails when a process of the suite outlives it.
//! - `demo`: run `cie demo` against the simulated card behind an isolated pcscd; installs only
//!   the packages it needs ([`packages::DEMO_PACKAGES`]), through sudo when not root.
//! - `demo-as-user [USER]`: (root, for CI) create USER (default `ciedemo`) and run the README
//!   quick start (`cargo xtask demo`) as that unprivileged user, on a copy of the tree.
//! - `with-card [OPTIONS] -- CMD ARGS...`: run any PC/SC program against the simulated card;
//!   `--control FIFO` lets a script remove and insert the card meanwhile.
//! - `layers [--graph]`: the import graph between each crate's files; fails on a circle (`test`
//!   runs it).
//! - `deb`: the Debian packages (see `deb`); `test` also builds and checks them.
//! - `bench-latency [-n N] [--latency realistic|none]`: per-APDU latency through pcscd.
//! - `soak [--minutes N] [--agent]`: concurrent signing processes, card resets and removals;
//!   `--agent` through `cie agent`, restarted midway (not in `test`).
//!
//! The isolated stack (pcscd + vpcd + cie-sim in private namespaces) needs no root where
//! unprivileged user namespaces are allowed (Debian and Ubuntu default); see `cie_sim::stack`
//! and TESTING.md.
//!
//! Layout: this file parses the command line and dispatches; [`tasks`] holds one file per
//! command. Below the tasks: [`card_stack`] (the simulated card behind an isolated pcscd),
//! [`packages`] (what to install), [`reaper`] (no process outlives the suite), [`usage`] (the
//! help text), [`command`] (running programs) and [`paths`] (workspace and target directory).

use std::process::ExitCode;

mod card_stack;
mod command;
mod packages;
mod paths;
mod reaper;
mod tasks;
mod usage;

use tasks::{
    bench_latency, bench_report, deb, demo, demo_as_user, fuzz, fuzz_seeds, header, install, install_deps, layers, man,
    soak, test, with_card,
};
use usage::USAGE;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if wants_help(cmd, rest) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let task = match cmd.as_str() {
        "test" => test::run_task,
        "demo" => demo::run_task,
        "with-card" => with_card::run_task,
        "bench-latency" => bench_latency::run_task,
        "bench-report" => bench_report::run_task,
        "fuzz" => fuzz::run_task,
        "layers" => layers::run_task,
        "soak" => soak::run_task,
        "fuzz-seeds" => fuzz_seeds::run_task,
        "demo-as-user" => demo_as_user::run_task,
        "install-deps" => install_deps::run_task,
        "header" => header::run_task,
        "install" => install::run_task,
        "deb" => deb::run_task,
        "man" => man::run_task,
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match task(rest) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `--help` or `-h` among a command's own options (before `--`; `test` passes its arguments on
/// to cargo test, so only a lone `--help` counts there).
fn wants_help(cmd: &str, rest: &[String]) -> bool {
    let is_help = |a: &String| a == "--help" || a == "-h";
    match cmd {
        "test" => rest.len() == 1 && is_help(&rest[0]),
        _ => rest.iter().take_while(|a| *a != "--").any(is_help),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn help_is_answered_for_every_command() {
        for cmd in ["demo", "with-card", "install", "bench-report", "fuzz", "header", "demo-as-user"] {
            assert!(wants_help(cmd, &strings("--help")), "{cmd}");
            assert!(wants_help(cmd, &strings("--profile x -h")), "{cmd}");
        }
        assert!(!wants_help("with-card", &strings("-- cie --help")), "the command's own --help");
        assert!(wants_help("test", &strings("--help")));
        assert!(!wants_help("test", &strings("-p cie -- --help")));
        assert!(!wants_help("demo", &[]));
    }
}
