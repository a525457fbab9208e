//! `cargo xtask fuzz` runs the cargo-fuzz targets of `fuzz/` on the stable toolchain
//! (`-s none`: no sanitizer, so no nightly flag is needed) and fails on any crash; their seed
//! corpora are recorded by `cargo xtask fuzz-seeds` ([`super::fuzz_seeds`]).

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::command::{cargo, run, step, Result};
use crate::paths::{target_dir, workspace_root};

/// Every fuzz target, in the order `cargo xtask fuzz` runs them.
pub(crate) const TARGETS: &[&str] = &[
    "sm_unwrap",
    "apdu_tlv",
    "sod",
    "host_session",
    "sim_card",
    "pkcs11_args",
    "cms_verify",
    "pdf_verify",
    "p7m_extract",
    "tsa_reply",
    "agent_frame",
    "tsl_xml",
];

/// Per-input time limit (seconds): a slower input is reported as a failure (a hang or a
/// denial of service by a hostile card).
const UNIT_TIMEOUT: u64 = 10;

/// `cargo xtask fuzz [--seconds N] [--target T]...`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let mut seconds = 60u64;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a number")?;
                seconds = v.parse().map_err(|_| format!("--seconds: not a number: {v}"))?;
            }
            "--target" => targets.push(it.next().ok_or("--target needs a name")?.clone()),
            other => return Err(format!("unknown option {other:?} (fuzz [--seconds N] [--target T]...)")),
        }
    }
    let all = available_targets()?;
    if targets.is_empty() {
        targets = all.clone();
    }
    for t in &targets {
        if !all.contains(t) {
            return Err(format!("no fuzz target {t:?}; targets: {}", all.join(", ")));
        }
    }
    ensure_cargo_fuzz()?;
    let root = workspace_root();
    let log_dir = target_dir().join("fuzz-logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;

    step("building the fuzz targets (stable toolchain, no sanitizer, debug assertions on)");
    run(cargo_fuzz().args(["build", "-s", "none", "-a", "--fuzz-dir"]).arg(root.join("fuzz")))?;

    let mut results = Vec::new();
    for t in &targets {
        let corpus = root.join("fuzz/corpus").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let seeds = root.join("fuzz/seeds").join(t);
        let log = log_dir.join(format!("{t}.log"));
        let mut cmd = cargo_fuzz();
        cmd.args(["run", "-s", "none", "-a", "--fuzz-dir"]).arg(root.join("fuzz")).arg(t).arg(&corpus);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-timeout={UNIT_TIMEOUT}"))
            .arg("-rss_limit_mb=2048")
            .arg("-print_final_stats=1");
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        step(&format!("fuzzing {t} for {seconds} s (log: {})", log.display()));
        let start = Instant::now();
        let status = cmd
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| format!("cargo fuzz run {t}: {e}"))?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let stats = Stats::parse(&text);
        results.push((t.clone(), status.success(), stats, start.elapsed().as_secs()));
        if !status.success() {
            eprintln!("---- {t}: last lines of {} ----", log.display());
            for line in tail(&text, 40) {
                eprintln!("{line}");
            }
        }
    }

    println!("| target | result | executions | exec/s | coverage | corpus |");
    println!("|---|---|---:|---:|---:|---:|");
    for (t, ok, s, secs) in &results {
        let rate = s.runs.zip(s.seconds.or(Some(*secs))).map(|(r, d)| r / d.max(1));
        println!(
            "| {t} | {} | {} | {} | {} | {} |",
            if *ok { "ok" } else { "CRASH" },
            opt(s.runs),
            opt(rate),
            opt(s.cov),
            opt(s.corpus)
        );
    }
    let crashed: Vec<_> = results.iter().filter(|r| !r.1).map(|r| r.0.as_str()).collect();
    if crashed.is_empty() {
        step("no crash");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("crash in {} (reproducers in fuzz/artifacts/)", crashed.join(", ")))
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |v| v.to_string())
}

fn tail(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// Figures from a libFuzzer log.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    runs: Option<u64>,
    seconds: Option<u64>,
    cov: Option<u64>,
    corpus: Option<u64>,
}

impl Stats {
    fn parse(log: &str) -> Stats {
        let mut s = Stats::default();
        for line in log.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            // "Done 921533 runs in 9 second(s)"
            if let ["Done", runs, "runs", "in", secs, ..] = words.as_slice() {
                s.runs = runs.parse().ok();
                s.seconds = secs.parse().ok();
            }
            if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
                s.runs = v.trim().parse().ok().or(s.runs);
            }
            // "#921533 DONE cov: 496 ft: 1059 corp: 195/20Kb ..." and the periodic lines.
            if words.first().is_some_and(|w| w.starts_with('#')) {
                for pair in words.windows(2) {
                    match pair[0] {
                        "cov:" => s.cov = pair[1].parse().ok(),
                        "corp:" => s.corpus = pair[1].split('/').next().and_then(|c| c.parse().ok()),
                        _ => {}
                    }
                }
            }
        }
        s
    }
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`, in [`TARGETS`] order first.
fn available_targets() -> Result<Vec<String>> {
    let manifest = workspace_root().join("fuzz/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut names: Vec<String> = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(v) = line.strip_prefix("name").map(str::trim).and_then(|l| l.strip_prefix('=')) {
                names.push(v.trim().trim_matches('"').to_owned());
            }
        }
    }
    let mut ordered: Vec<String> = TARGETS.iter().map(|s| s.to_string()).filter(|t| names.contains(t)).collect();
    ordered.extend(names.into_iter().filter(|n| !TARGETS.contains(&n.as_str())));
    Ok(ordered)
}

fn cargo_fuzz() -> Command {
    let mut c = cargo();
    c.arg("fuzz");
    c
}

/// Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Result<()> {
    let present =
        cargo_fuzz().arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    step("cargo-fuzz missing: installing it");
    run(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libfuzzer_figures() {
        let log = "#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                   #921533\tDONE   cov: 496 ft: 1059 corp: 195/20Kb lim: 4096 exec/s: 102392 rss: 40Mb\n\
                   Done 921533 runs in 9 second(s)\n\
                   stat::number_of_executed_units: 921533\n";
        let s = Stats::parse(log);
        assert_eq!(s, Stats { runs: Some(921533), seconds: Some(9), cov: Some(496), corpus: Some(195) });
        assert_eq!(Stats::parse("garbage"), Stats::default());
    }

    #[test]
    fn lists_every_target_of_the_fuzz_crate() {
        let t = available_targets().unwrap();
        for name in TARGETS {
            assert!(t.iter().any(|x| x == name), "{name} missing from fuzz/Cargo.toml");
        }
        assert!(t.len() >= 5);
    }
}
