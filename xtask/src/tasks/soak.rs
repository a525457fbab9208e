//! `cargo xtask soak --minutes N`: a bounded soak of the PKCS#11 module against one simulated
//! card behind the isolated pcscd. Three processes of `cie-pkcs11/examples/soak.rs` sign
//! concurrently through the built `libcie_pkcs11.so` (one with 8 threads, two with 1), a fourth
//! resets the card every few seconds as another application would, and the card is pulled and
//! reinserted twice. Passes when every signature returned verifies, nothing returns an
//! unexpected code, every process ends in time (no deadlock), and each signer's open
//! descriptors and resident memory are flat between a warm point and the end. `--agent` runs
//! the soak through the card agent instead (`soak_agent`).

use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use cie_sim::stack::StackOptions;

use crate::card_stack::start_stack;
use crate::command::{cargo, run, step, Result};
use crate::packages::{ensure_packages, PACKAGES};
use crate::paths::target_dir;
use crate::usage::USAGE;

use super::soak_agent;
use super::soak_report::Report;

/// Resident memory a signer may gain between the warm point and the end.
const RSS_SLACK_KIB: u64 = 8 * 1024;
/// How often the resetting process resets the card.
const RESET_EVERY_MS: u64 = 3000;

/// What `cargo xtask soak` was asked for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    /// How long the signers run.
    seconds: u64,
    /// `--agent`: through the card agent (`soak_agent`).
    agent: bool,
    /// `--seed`: the agent soak's random schedule.
    seed: Option<u64>,
}

fn parse_options(args: &[String]) -> Result<Options> {
    let mut o = Options { seconds: 180, agent: false, seed: None };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |unit: u64| -> Result<u64> {
            let n = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            n.parse::<u64>()
                .ok()
                .filter(|m| *m > 0)
                .map(|m| m.saturating_mul(unit))
                .ok_or_else(|| format!("{a}: expected a positive number, got {n:?}"))
        };
        match a.as_str() {
            "--minutes" => o.seconds = number(60)?,
            "--seconds" => o.seconds = number(1)?,
            "--seed" => o.seed = Some(number(1)?),
            "--agent" => o.agent = true,
            _ => {
                return Err(format!(
                    "usage: cargo xtask soak [--minutes N | --seconds N] [--agent [--seed N]]\n\n{USAGE}"
                ))
            }
        }
    }
    Ok(o)
}

fn spawn(example: &Path, args: &[String], socket: &Path) -> Result<Child> {
    Command::new(example)
        .args(args)
        .env("PCSCLITE_CSOCK_NAME", socket)
        .env("CIE_PKCS11_CACHE", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e}", example.display()))
}

/// Runs the soak.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let options = parse_options(args)?;
    if options.agent {
        return soak_agent::run_agent_soak(options.seconds, options.seed);
    }
    let seconds = options.seconds;
    let minutes = format!("{:.1}", seconds as f64 / 60.0);
    ensure_packages(PACKAGES)?;
    run(cargo().args(["build", "-p", "cie-pkcs11", "-p", "cie-sim", "--example", "soak", "--bin", "cie-sim"]))?;
    run(cargo().args(["build", "-p", "cie-pkcs11", "--lib"]))?;
    let debug = target_dir().join("debug");
    let (example, module) = (debug.join("examples/soak"), debug.join("libcie_pkcs11.so"));
    let mut stack = start_stack(StackOptions { sim_binary: Some(debug.join("cie-sim")), ..StackOptions::default() })?;
    let socket = stack.socket_path().to_owned();
    let module = module.display().to_string();
    let mut children = Vec::new();
    for threads in [8, 1, 1] {
        let args = ["sign".into(), module.clone(), threads.to_string(), seconds.to_string()];
        children.push((format!("signer ({threads} threads)"), spawn(&example, &args, &socket)?));
    }
    let reset_args = ["reset".into(), stack.reader_name().to_owned(), RESET_EVERY_MS.to_string(), seconds.to_string()];
    children.push(("resetter".to_owned(), spawn(&example, &reset_args, &socket)?));
    step(&format!("soak: 3 signing processes (8 + 1 + 1 threads) and a resetting one for {minutes} min"));

    // Pull the card at a third and at two thirds of the run.
    let start = Instant::now();
    for k in 1..=2u32 {
        let at = Duration::from_secs(seconds) * k / 3;
        std::thread::sleep(at.saturating_sub(start.elapsed()));
        step(&format!("soak: pulling the card ({k}/2)"));
        stack.remove_card().map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_secs(2));
        stack.insert_card().map_err(|e| e.to_string())?;
        step("soak: card reinserted");
    }

    // Every process must end shortly after its deadline: anything else is a deadlock.
    let limit = start + Duration::from_secs(seconds + 60);
    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for (name, mut child) in children {
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < limit => std::thread::sleep(Duration::from_millis(200)),
                _ => {
                    let _ = child.kill();
                    failures.push(format!("{name}: still running 60 s after the end (deadlock?)"));
                    break;
                }
            }
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        match Report::parse(&stdout) {
            Some(r) if out.status.success() => reports.push((name, r)),
            _ => failures.push(format!("{name}: {} without a result: {stdout}", out.status)),
        }
    }
    drop(stack);

    let (mut signatures, mut verified, mut removed, mut resets) = (0, 0, 0, 0);
    for (name, r) in &reports {
        if r.get("resets") > 0 || name == "resetter" {
            resets += r.get("resets");
            println!("{name}: {} resets", r.get("resets"));
            continue;
        }
        let (sigs, ok, gone, bad) = (r.get("signatures"), r.get("verified"), r.get("removed"), r.get("unexpected"));
        let (fd0, fd1, rss0, rss1) =
            (r.get("fds_start"), r.get("fds_end"), r.get("rss_start_kib"), r.get("rss_end_kib"));
        println!(
            "{name}: {sigs} signatures, {ok} verified, {gone} removal errors, {bad} unexpected; \
             descriptors {fd0} -> {fd1}; resident memory {rss0} -> {rss1} KiB"
        );
        signatures += sigs;
        verified += ok;
        removed += gone;
        if sigs == 0 || ok != sigs {
            failures.push(format!("{name}: {ok} of {sigs} signatures verify"));
        }
        if bad > 0 {
            failures.push(format!("{name}: {bad} unexpected return codes"));
        }
        if fd1 != fd0 {
            failures.push(format!("{name}: open descriptors went from {fd0} to {fd1}"));
        }
        if rss1 > rss0 + RSS_SLACK_KIB {
            failures.push(format!("{name}: resident memory grew from {rss0} to {rss1} KiB"));
        }
    }
    println!(
        "soak ({minutes} min): {signatures} signatures, {verified} verified, {removed} removal errors, \
         {resets} card resets, 2 card removals"
    );
    if resets == 0 {
        failures.push("the card was never reset".into());
    }
    if failures.is_empty() {
        step("soak passed");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("soak failed:\n  {}", failures.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(parse_options(&[]).unwrap(), Options { seconds: 180, agent: false, seed: None });
        assert_eq!(parse_options(&args("--minutes 2")).unwrap().seconds, 120);
        let o = parse_options(&args("--agent --seconds 30 --seed 7")).unwrap();
        assert_eq!(o, Options { seconds: 30, agent: true, seed: Some(7) });
        assert!(parse_options(&args("--minutes 0")).is_err());
        assert!(parse_options(&args("--minutes")).is_err());
        assert!(parse_options(&args("--hours 1")).is_err());
    }
}
