//! `cargo xtask bench-report`: one Markdown row per user-visible operation (DESIGN.md §3) with
//! APDU exchanges, bytes on the wire, host CPU time and wall time, measured through the real
//! PC/SC stack (pcscd + vpcd + the simulated card) with the simulator's latency model.
//!
//! The PKCS#11 and cie-core rows come from the `bench_rows` example of cie-pkcs11 (see its
//! `rows.rs`), which counts APDUs in pcscd's APDU log; the TLS row runs curl with the OpenSSL
//! pkcs11 engine and the built module against `openssl s_server` on 127.0.0.1, and measures
//! curl's CPU time (as a child process) and the APDUs pcscd logged meanwhile. The agent rows run
//! pkcs11-tool `--login --sign` as a fresh process with the release module, once without and once
//! with `cie agent` running while another client holds a login (its channel open). The browser rows
//! come from the Chromium and Firefox end-to-end tests (tests/browsers.rs) run with the release
//! module and each latency model (`--no-browsers` skips them). With
//! `--criterion`, the medians of the last `cargo bench` run follow in a second table. The
//! document-verification rows ("verify 1,000 CAdES .p7m, files per second", against `openssl cms
//! -verify`) come from `bench_verify.rs` (`--no-verify` skips them, `--verify-only` prints only
//! them; `CIE_BENCH_CIE=PATH` measures that `cie` binary instead of building the release one).
//! `--agent-only` prints only the agent rows (issue 22) and their twins without the agent.
//! Times are reported, never asserted; the APDU counts are asserted by cie-pkcs11's
//! `bench_rows` test.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use cie_core::pcsc_backend::PcscTransport;
use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::stack::{StackOptions, VirtualStack};
use cie_sim::{Profile, SimCard, SimHandle, SimOptions};
use serde::{Deserialize, Serialize};

use cie_sim::latency::LatencyModel;

use super::bench_chart::{self, ChartRow};
use super::bench_official::Official;
use super::bench_verify;
use crate::card_stack::start_stack;
use crate::command::{cargo, run, step, Result};
use crate::packages::{ensure_packages, PACKAGES};
use crate::paths::{target_dir, workspace_root};

/// Debian packages of the TLS row (the PC/SC stack's come from `ensure_packages`).
const TLS_PACKAGES: &[&str] = &["curl", "openssl", "libengine-pkcs11-openssl"];

/// One measured operation (a `ROW` line of the probe).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Measured {
    pub name: String,
    pub exchanges: u64,
    pub sent: u64,
    pub received: u64,
    pub cpu: Duration,
    pub wall: Duration,
}

impl Measured {
    /// Parses `ROW\tname\texchanges\tsent\treceived\tcpu_us\twall_us`.
    pub(crate) fn parse(line: &str) -> Option<Measured> {
        let f: Vec<&str> = line.strip_prefix("ROW\t")?.split('\t').collect();
        let [name, ex, sent, recv, cpu, wall] = f.as_slice() else { return None };
        Some(Measured {
            name: (*name).to_owned(),
            exchanges: ex.parse().ok()?,
            sent: sent.parse().ok()?,
            received: recv.parse().ok()?,
            cpu: Duration::from_micros(cpu.parse().ok()?),
            wall: Duration::from_micros(wall.parse().ok()?),
        })
    }
}

struct Options {
    models: Vec<String>,
    tls: bool,
    browsers: bool,
    criterion: bool,
    svg: PathBuf,
    verify: bool,
    verify_only: bool,
    agent_only: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        models: vec!["realistic".into(), "none".into()],
        tls: true,
        browsers: true,
        criterion: false,
        svg: target_dir().join("bench-report").join("bench.svg"),
        verify: true,
        verify_only: false,
        agent_only: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--latency" => o.models = vec![it.next().ok_or("--latency needs realistic or none")?.clone()],
            "--no-tls" => o.tls = false,
            "--no-browsers" => o.browsers = false,
            "--criterion" => o.criterion = true,
            "--no-verify" => o.verify = false,
            "--verify-only" => o.verify_only = true,
            "--agent-only" => o.agent_only = true,
            "--svg" => o.svg = PathBuf::from(it.next().ok_or("--svg needs a file name")?),
            other => {
                return Err(format!(
                    "unknown option {other:?} (bench-report [--latency M] [--no-tls] [--no-browsers] [--criterion] [--svg PATH] [--no-verify | --verify-only] [--agent-only])"
                ))
            }
        }
    }
    Ok(o)
}

/// `cargo xtask bench-report [--latency realistic|none] [--no-tls] [--no-browsers] [--criterion] [--svg PATH]
/// [--no-verify | --verify-only] [--agent-only]`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let o = parse(args)?;
    if o.verify_only {
        print!("{}", bench_verify::table(&cie_binary()?)?);
        return Ok(ExitCode::SUCCESS);
    }
    ensure_packages(PACKAGES)?;
    let tls = o.tls && ensure_tls_packages();
    run(cargo().args(["build", "--release", "--quiet", "-p", "cie-sim", "--bin", "cie-sim"]))?;
    run(cargo().args(["build", "--release", "--quiet", "-p", "cie-pkcs11", "--lib", "--example", "bench_rows"]))?;
    run(cargo().args(["build", "--release", "--quiet", "-p", "cie", "--bin", "cie"]))?;
    let release = target_dir().join("release");
    let probe = release.join("examples").join("bench_rows");
    let module = release.join("libcie_pkcs11.so");

    // Per latency model: the probe's rows, then the TLS row.
    let mut runs: Vec<(String, Vec<Measured>)> = Vec::new();
    for model in &o.models {
        let stack = start_stack(StackOptions {
            sim_binary: Some(release.join("cie-sim")),
            latency: Some(model.clone()),
            ..StackOptions::default()
        })?;
        let mut rows: Vec<Measured> = if o.agent_only { Vec::new() } else { probe_rows(&probe, &stack, model)? };
        if tls {
            match tls_rows(&stack, &module, None) {
                Ok(tls) => rows.extend(tls),
                Err(e) => step(&format!("TLS row not measured: {e}")),
            }
        }
        match agent_rows(&stack, &module, &release.join("cie"), tls) {
            Ok(agent) => rows.extend(agent),
            Err(e) => step(&format!("agent rows not measured: {e}")),
        }
        drop(stack);
        if model == "realistic" && !o.agent_only {
            match readers_rows(&release, &probe, model) {
                Ok(r) => rows.extend(r),
                Err(e) => step(&format!("16-reader row not measured: {e}")),
            }
        }
        runs.push((model.clone(), rows));
    }
    let base = baseline(&runs)?;
    print!("{}", table(&runs, &base));
    if o.agent_only {
        return Ok(ExitCode::SUCCESS);
    }
    let mut browser_runs = Vec::new();
    if o.browsers {
        for model in &o.models {
            match browser_rows(model, &release) {
                Ok(rows) => browser_runs.push((model.clone(), rows)),
                Err(e) => step(&format!("browser rows not measured ({model} latency): {e}")),
            }
        }
        print!("{}", browser_table(&browser_runs));
    }
    if o.criterion {
        print!("{}", criterion_table(&target_dir().join("criterion")));
    }
    if o.verify {
        match cie_binary().and_then(|cie| bench_verify::table(&cie)) {
            Ok(t) => print!("{t}"),
            Err(e) => step(&format!("verification rows not measured: {e}")),
        }
    }
    write_chart(&o.svg, &runs, &browser_runs)?;
    Ok(ExitCode::SUCCESS)
}

/// The probe's rows (`bench_rows` against the stack).
fn probe_rows(probe: &Path, stack: &VirtualStack, model: &str) -> Result<Vec<Measured>> {
    step(&format!("measuring the operations (latency model: {model})"));
    let out = Command::new(probe)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("CIE_BENCH_PCSCD_LOG", stack.log_dir().join("pcscd.log"))
        .env_remove("CIE_PKCS11_LOG")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", probe.display()))?;
    if !out.status.success() {
        return Err(format!("bench_rows failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(Measured::parse).collect())
}

/// The `cie` binary the verification rows measure: `CIE_BENCH_CIE`, or the release build.
fn cie_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CIE_BENCH_CIE") {
        return Ok(PathBuf::from(path));
    }
    run(cargo().args(["build", "--release", "--quiet", "-p", "cie", "--bin", "cie"]))?;
    Ok(target_dir().join("release").join("cie"))
}

/// The chart (bench_chart.rs) of the first run and its browser rows, with the official module's
/// figures under the same latency model, written to `path`.
fn write_chart(path: &Path, runs: &[(String, Vec<Measured>)], browsers: &[(String, Vec<BrowserRow>)]) -> Result<()> {
    let Some((model, first)) = runs.first() else { return Ok(()) };
    let official = Official::load(&workspace_root())?;
    let latency = LatencyModel::from_name(model).ok_or_else(|| format!("unknown latency model {model:?}"))?;
    let (rows, browsers) = chart_rows(first, browsers.iter().find(|(m, _)| m == model), &official, &latency);
    let svg = bench_chart::svg(&rows, &browsers, model, &official.source)?;
    std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
    step(&format!("chart written to {}", path.display()));
    Ok(())
}

/// The chart's rows: every operation of a run (not the throughput rows, which are no single
/// operation's time) with the official figures where the official module has it, and the browser rows.
fn chart_rows(
    run: &[Measured],
    browsers: Option<&(String, Vec<BrowserRow>)>,
    official: &Official,
    latency: &LatencyModel,
) -> (Vec<ChartRow>, Vec<ChartRow>) {
    let rows = run
        .iter()
        .filter(|r| !r.name.contains("per second"))
        .map(|r| {
            let key = row_key(&r.name);
            ChartRow {
                name: key.to_owned(),
                ours: (r.exchanges, r.wall),
                official: official.for_row(key, latency).map(|f| (f.exchanges, f.wall)),
            }
        })
        .collect();
    let browsers = browsers
        .map(|(_, rows)| {
            rows.iter()
                .map(|(name, ex, wall)| ChartRow { name: name.clone(), ours: (*ex, *wall), official: None })
                .collect()
        })
        .unwrap_or_default();
    (rows, browsers)
}

/// The key of a row for matching across runs: names carry counts after " — ".
fn row_key(name: &str) -> &str {
    name.split(" — ").next().unwrap_or(name)
}

/// The Markdown table: figures of the first run, wall time of every run, and the ratio of the
/// first run's wall time to the baseline's (`benches/baseline.json`), so regressions show.
pub(crate) fn table(runs: &[(String, Vec<Measured>)], baseline: &Baseline) -> String {
    let Some((first_model, first)) = runs.first() else { return String::new() };
    let mut s = String::from("| operation | APDU exchanges | target | bytes sent / received | host CPU |");
    for (model, _) in runs {
        s.push_str(&format!(" wall ({model} latency) |"));
    }
    s.push_str(&format!(" wall / baseline ({first_model}) |"));
    s.push_str("\n|---|---:|---:|---:|---:|");
    s.push_str(&"---:|".repeat(runs.len() + 1));
    s.push('\n');
    for row in first {
        let target = match target(&row.name) {
            Some(max) if row.exchanges <= max => format!("≤ {max} ✓"),
            Some(max) => format!("≤ {max} ✗"),
            None => String::new(),
        };
        s.push_str(&format!(
            "| {} | {} | {target} | {} / {} | {} |",
            row.name,
            row.exchanges,
            row.sent,
            row.received,
            ms(row.cpu)
        ));
        let key = row_key(&row.name);
        for (_, rows) in runs {
            let wall = rows.iter().find(|r| row_key(&r.name) == key).map(|r| ms(r.wall));
            s.push_str(&format!(" {} |", wall.unwrap_or_else(|| "–".into())));
        }
        let ratio = baseline
            .wall(key)
            .filter(|b| !b.is_zero())
            .map(|b| format!("{:.2}", row.wall.as_secs_f64() / b.as_secs_f64()));
        s.push_str(&format!(" {} |", ratio.unwrap_or_else(|| "–".into())));
        s.push('\n');
    }
    s
}

/// One browser operation: (browser and operation, APDU exchanges, wall time).
type BrowserRow = (String, u64, Duration);

/// Runs the browser end-to-end tests (tests/browsers.rs) with the release module and simulator
/// and the latency model `model`, and reads the rows they report.
fn browser_rows(model: &str, release: &Path) -> Result<Vec<BrowserRow>> {
    step(&format!("measuring Chromium and Firefox logins (latency model: {model})"));
    run(cargo()
        .args(["test", "--quiet", "-p", "cie", "--test", "browsers", "--", "--test-threads", "1"])
        .env("CIE_BROWSER_LATENCY", model)
        .env("CIE_PKCS11_MODULE", release.join("libcie_pkcs11.so"))
        .env("CIE_SIM_BIN", release.join("cie-sim")))?;
    let mut rows = Vec::new();
    for (file, name) in [("chromium", "Chromium"), ("firefox", "Firefox ESR")] {
        let path = target_dir().join("tmp").join(format!("browser-{file}-report.txt"));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        rows.extend(parse_browser_rows(&text, name));
    }
    Ok(rows)
}

/// `ROW\toperation\tapdus\tms` lines of a browser test report.
fn parse_browser_rows(text: &str, browser: &str) -> Vec<BrowserRow> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.strip_prefix("ROW\t")?.split('\t').collect();
            let [op, apdus, ms] = f.as_slice() else { return None };
            Some((format!("{browser}: {op}"), apdus.parse().ok()?, Duration::from_millis(ms.parse().ok()?)))
        })
        .collect()
}

/// The browser table: APDUs of the first run, wall time of every run.
fn browser_table(runs: &[(String, Vec<BrowserRow>)]) -> String {
    let Some((_, first)) = runs.first() else { return String::new() };
    let mut s = String::from("\n| browser login | APDU exchanges |");
    for (model, _) in runs {
        s.push_str(&format!(" wall ({model} latency card) |"));
    }
    s.push_str("\n|---|---:|");
    s.push_str(&"---:|".repeat(runs.len()));
    s.push('\n');
    for (name, apdus, _) in first {
        s.push_str(&format!("| {name} | {apdus} |"));
        for (_, rows) in runs {
            let wall = rows.iter().find(|r| &r.0 == name).map(|r| ms(r.2));
            s.push_str(&format!(" {} |", wall.unwrap_or_else(|| "–".into())));
        }
        s.push('\n');
    }
    s
}

/// The wall times of a first run, per row key (`benches/baseline.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Baseline {
    /// Latency model of the run.
    pub model: String,
    /// The rows, in the report's order.
    pub rows: Vec<BaselineRow>,
}

/// One row of the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineRow {
    /// The row key (the operation's name without its counts).
    pub operation: String,
    /// APDU exchanges.
    pub exchanges: u64,
    /// Wall time in microseconds.
    pub wall_us: u64,
}

impl Baseline {
    /// The baseline of a run's rows.
    pub(crate) fn of(model: &str, rows: &[Measured]) -> Baseline {
        Baseline {
            model: model.to_owned(),
            rows: rows
                .iter()
                .map(|r| BaselineRow {
                    operation: row_key(&r.name).to_owned(),
                    exchanges: r.exchanges,
                    wall_us: u64::try_from(r.wall.as_micros()).unwrap_or(u64::MAX),
                })
                .collect(),
        }
    }

    /// The baseline wall time of a row.
    pub(crate) fn wall(&self, key: &str) -> Option<Duration> {
        self.rows.iter().find(|r| r.operation == key).map(|r| Duration::from_micros(r.wall_us))
    }

    /// JSON with one row per line (serde_json writes each row and escapes every string).
    pub(crate) fn to_json(&self) -> Result<String> {
        let rows = self.rows.iter().map(serde_json::to_string).collect::<serde_json::Result<Vec<_>>>();
        let model = serde_json::to_string(&self.model);
        let (rows, model) = (rows.map_err(|e| e.to_string())?, model.map_err(|e| e.to_string())?);
        Ok(format!("{{\n  \"model\": {model},\n  \"rows\": [\n    {}\n  ]\n}}\n", rows.join(",\n    ")))
    }

    /// Reads a baseline (any JSON layout of the same shape).
    pub(crate) fn parse(json: &str) -> Option<Baseline> {
        serde_json::from_str(json).ok()
    }
}

/// `benches/baseline.json`: read it, or write this run's figures there when there is none.
fn baseline(runs: &[(String, Vec<Measured>)]) -> Result<Baseline> {
    let path = workspace_root().join("benches").join("baseline.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Baseline::parse(&text).ok_or_else(|| format!("{}: not a bench baseline", path.display()));
    }
    let Some((model, rows)) = runs.first() else { return Ok(Baseline::default()) };
    let b = Baseline::of(model, rows);
    std::fs::create_dir_all(path.parent().unwrap_or(&path)).map_err(|e| e.to_string())?;
    std::fs::write(&path, b.to_json()?).map_err(|e| format!("{}: {e}", path.display()))?;
    step(&format!("no baseline yet: this run is the baseline ({})", path.display()));
    Ok(b)
}

/// The APDU budget of an operation (DESIGN.md §3, issue 13), if it has one.
fn target(name: &str) -> Option<u64> {
    if name.starts_with("agent round trip") {
        // A time budget (under 1 ms), not an APDU one.
        None
    } else if name.starts_with("two applications taking turns") && name.contains("agent running") {
        // Two signatures a turn, at most 4 exchanges each, no channel rebuild (issue 22).
        Some(8)
    } else if name.contains("agent running") {
        // VERIFY + MSE SET + INTERNAL AUTHENTICATE + GET RESPONSE (issue 22).
        Some(5)
    } else if name.contains("no agent") {
        None
    } else if name.starts_with("enumeration") && name.contains("card seen before") {
        Some(3)
    } else if name.contains("C_Login in a new process") {
        Some(16)
    } else if name.contains("C_Sign") || name.starts_with("Session::sign") {
        Some(3)
    } else if name.contains("C_FindObjects") && name.contains("new process") {
        // The certificate cache key (key-83 signature under SM) and nothing else.
        Some(3)
    } else if name.contains("card already seen") || name.contains("card seen") {
        Some(17)
    } else {
        None
    }
}

/// Milliseconds, one decimal; three under 1 ms (the round-trip rows are tens of µs).
fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if d < Duration::from_millis(1) && !d.is_zero() {
        format!("{v:.3} ms")
    } else {
        format!("{v:.1} ms")
    }
}

/// Installs the TLS row's packages when missing (false if that is not possible here).
fn ensure_tls_packages() -> bool {
    let missing: Vec<&str> = TLS_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    step(&format!("installing the TLS row's packages: {}", missing.join(" ")));
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    apt(&["update"]) && apt(&[&["install", "-y", "--no-install-recommends"][..], &missing].concat())
}

/// Kills a child (by its PID) when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU time (user + system) of the waited-for children of this process so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// APDU totals in pcscd's log.
fn pcscd_totals(log: &Path) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut t = (0, 0, 0);
    for line in text.lines() {
        if let Some((_, apdu)) = line.split_once("APDU: ") {
            t.0 += 1;
            t.1 += apdu.split_whitespace().count() as u64;
        } else if let Some((_, sw)) = line.split_once("SW: ") {
            t.2 += sw.split_whitespace().count() as u64;
        }
    }
    t
}

fn openssl(args: &[&str]) -> Result<()> {
    let out = Command::new("openssl").args(args).stdin(Stdio::null()).output().map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
    }
}

/// Signatures per second with 16 readers, each with its own simulated card, against one reader
/// (the probe's `--readers` mode on a 16-reader stack), through the module and through cie-core.
fn readers_rows(release: &Path, probe: &Path, model: &str) -> Result<Vec<Measured>> {
    let stack = start_stack(StackOptions {
        sim_binary: Some(release.join("cie-sim")),
        latency: Some(model.to_owned()),
        readers: cie_sim::stack::MAX_READERS,
        ..StackOptions::default()
    })?;
    step(&format!("measuring signatures on {} readers (latency model: {model})", stack.readers()));
    let out = Command::new(probe)
        .arg("--readers")
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("CIE_BENCH_PCSCD_LOG", stack.log_dir().join("pcscd.log"))
        .env_remove("CIE_PKCS11_LOG")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", probe.display()))?;
    if !out.status.success() {
        return Err(format!("bench_rows --readers failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(Measured::parse).collect())
}

/// A TLS 1.2 handshake with client authentication by the card: curl + OpenSSL pkcs11 engine +
/// the built module (a new process: C_Initialize, login, one signature) against s_server; the
/// first time the card is seen, then again with the module's cache filled. With `agent` (the
/// runtime directory of a running `cie agent`), one row: the second handshake, through the agent.
fn tls_rows(stack: &VirtualStack, module: &Path, agent: Option<&Path>) -> Result<Vec<Measured>> {
    let tag = if agent.is_some() { "agent-" } else { "" };
    let dir = std::env::temp_dir().join(format!("cie-bench-tls-{tag}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).map_err(|e| e.to_string())?;
    let p = |name: &str| dir.join(name);
    let s = |path: &PathBuf| path.to_string_lossy().into_owned();
    let (key, cert) = (p("server.key"), p("server.pem"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &s(&key),
        "-out",
        &s(&cert),
    ])?;
    std::fs::write(p("ca.der"), fixtures::citizen_ca_certificate()).map_err(|e| e.to_string())?;
    openssl(&["x509", "-inform", "DER", "-in", &s(&p("ca.der")), "-out", &s(&p("ca.pem"))])?;
    std::fs::write(p("client.der"), fixtures::card_image(SodProfile::Sha256Pkcs1).certificate)
        .map_err(|e| e.to_string())?;
    openssl(&["x509", "-inform", "DER", "-in", &s(&p("client.der")), "-out", &s(&p("client.pem"))])?;
    // The card signs PKCS#1 v1.5 only: keep the client off RSA-PSS in TLS 1.2.
    std::fs::write(
        p("client.cnf"),
        "openssl_conf = cie_client\n[cie_client]\nssl_conf = cie_ssl\n[cie_ssl]\nsystem_default = cie_tls\n\
         [cie_tls]\nClientSignatureAlgorithms = RSA+SHA256:RSA+SHA384:RSA+SHA512\n",
    )
    .map_err(|e| e.to_string())?;

    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let server = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-tls1_2", "-Verify", "1", "-www"])
        .args(["-cert", &s(&cert), "-key", &s(&key), "-CAfile", &s(&p("ca.pem"))])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("openssl s_server: {e}"))?;
    let _server = Background(server);
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("s_server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let log = stack.log_dir().join("pcscd.log");
    let uri = format!("pkcs11:token=CIE%20{};type=private;pin-value={}", fixtures::TEST_NIS, fixtures::TEST_PIN);
    // Twice, each a new process with the module's cache in a fresh home: the first meets the
    // card for the first time, the second sees it again.
    let mut rows = Vec::new();
    for name in [
        "TLS 1.2 client-auth handshake (curl + OpenSSL engine, new process, card never seen)",
        "TLS 1.2 client-auth handshake (curl + OpenSSL engine, new process)",
    ] {
        let before = pcscd_totals(&log);
        let cpu = children_cpu();
        let start = Instant::now();
        let mut curl = Command::new("timeout");
        if let Some(run) = agent {
            curl.env("XDG_RUNTIME_DIR", run);
        }
        let out = curl
            .args(["60", "curl", "--silent", "--show-error", "--insecure", "--tlsv1.2", "--tls-max", "1.2"])
            .args(["--engine", "pkcs11", "--key-type", "ENG", "--key", &uri, "--cert", &s(&p("client.pem"))])
            .arg(format!("https://127.0.0.1:{port}/"))
            .env("PKCS11_MODULE_PATH", module)
            .env("OPENSSL_CONF", p("client.cnf"))
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
            .env("HOME", p("home"))
            .env_remove("XDG_CACHE_HOME")
            .env_remove("CIE_PKCS11_CACHE")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("curl: {e}"))?;
        let wall = start.elapsed();
        let cpu = children_cpu().saturating_sub(cpu);
        let after = pcscd_totals(&log);
        let page = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !page.contains("TLSv1.2") {
            return Err(format!("curl failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        rows.push(Measured {
            name: name.into(),
            exchanges: after.0 - before.0,
            sent: after.1 - before.1,
            received: after.2 - before.2,
            cpu,
            wall,
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    if agent.is_some() {
        return Ok(rows.pop().map(|r| Measured { name: TLS_AGENT.into(), ..r }).into_iter().collect());
    }
    Ok(rows)
}

/// Name of the TLS row through the agent (its twin is the TLS row of the same card seen before).
const TLS_AGENT: &str = "TLS 1.2 client auth, curl + OpenSSL, fresh process, agent running";
/// Name of the fresh pkcs11-tool signature row with the agent running.
const FRESH_AGENT: &str = "fresh process: C_Initialize .. C_Login .. C_Sign, agent running";
/// Name of its twin without the agent.
const FRESH_NO_AGENT: &str = "fresh process: C_Initialize .. C_Login .. C_Sign, no agent (card seen before)";

/// The agent rows: pkcs11-tool `--login --sign` in a fresh process (card seen before: the
/// module's certificate cache in a private home), without the card agent, then with `cie agent`
/// (the release `cie`) running while another client holds a login, so that its channel is open;
/// then the round-trip, taking-turns and (with `tls`) TLS rows, each beside its twin without the agent.
fn agent_rows(stack: &VirtualStack, module: &Path, cie: &Path, tls: bool) -> Result<Vec<Measured>> {
    use std::os::unix::fs::PermissionsExt;
    if Command::new("pkcs11-tool").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        return Err("pkcs11-tool is not installed (package opensc)".into());
    }
    let dir = std::env::temp_dir().join(format!("cie-bench-agent-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (home, run) = (dir.join("home"), dir.join("run"));
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&run).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
    let input = dir.join("document.txt");
    std::fs::write(&input, b"a document signed by a fresh process\n").map_err(|e| e.to_string())?;
    let log = stack.log_dir().join("pcscd.log");
    let sign = |name: &str| -> Result<Measured> {
        let before = pcscd_totals(&log);
        let cpu = children_cpu();
        let start = Instant::now();
        let out = Command::new("timeout")
            .args(["60", "pkcs11-tool", "--module"])
            .arg(module)
            .args(["--login", "--pin", fixtures::TEST_PIN, "--sign", "--mechanism", "SHA256-RSA-PKCS"])
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(dir.join("document.sig"))
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
            .env("XDG_RUNTIME_DIR", &run)
            .env("HOME", &home)
            .env_remove("XDG_CACHE_HOME")
            .env_remove("CIE_PKCS11_CACHE")
            .env_remove("CIE_PKCS11_LOG")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pkcs11-tool: {e}"))?;
        let wall = start.elapsed();
        let cpu = children_cpu().saturating_sub(cpu);
        let after = pcscd_totals(&log);
        if !out.status.success() {
            return Err(format!("pkcs11-tool failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(Measured {
            name: name.into(),
            exchanges: after.0 - before.0,
            sent: after.1 - before.1,
            received: after.2 - before.2,
            cpu,
            wall,
        })
    };
    // The card seen once (the module's caches filled), then measured.
    sign("warm-up")?;
    let without = sign(FRESH_NO_AGENT)?;
    // The CLI's raw signature in a fresh process (through the agent when its socket answers).
    let cli_sign = || -> Result<()> {
        let mut child = Command::new("timeout")
            .arg("60")
            .arg(cie)
            .args(["sign", "--pin-stdin", "-i"])
            .arg(&input)
            .arg("-o")
            .arg(dir.join("document.raw.sig"))
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
            .env("XDG_RUNTIME_DIR", &run)
            .env("HOME", &home)
            .env_remove("XDG_CACHE_HOME")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", cie.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(format!("{}\n", fixtures::TEST_PIN).as_bytes()).map_err(|e| e.to_string())?;
        }
        let out = child.wait_with_output().map_err(|e| format!("cie sign: {e}"))?;
        if !out.status.success() {
            return Err(format!("cie sign failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    };
    let turns_without = match turns_without_agent(stack, &log, &cli_sign) {
        Ok(row) => Some(row),
        Err(e) => {
            step(&format!("taking-turns row without the agent not measured: {e}"));
            None
        }
    };
    let overhead_in_process = overhead_in_process_row()?;

    let agent = Command::new(cie)
        .args(["agent", "--idle", "0"])
        .env("XDG_RUNTIME_DIR", &run)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", cie.display()))?;
    let _agent = Background(agent);
    let socket = run.join("cie").join("agent.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut holder = loop {
        if let Ok(c) = cie_agent::AgentClient::connect_to(&socket) {
            break c;
        }
        if Instant::now() > deadline {
            return Err("the agent's socket never answered".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Another application logged in through the agent: its channel stays open.
    holder.login(None, fixtures::TEST_PIN.as_bytes()).map_err(|e| format!("agent login: {e}"))?;
    sign("warm-up through the agent")?;
    let with = sign(FRESH_AGENT)?;
    let mut rows = vec![without, with];
    let agent_pid = _agent.0.id();
    match overhead_row(&log, agent_pid, &mut holder) {
        Ok(row) => rows.extend([overhead_in_process, row]),
        Err(e) => step(&format!("agent round trip row not measured: {e}")),
    }
    match turns_row(&log, Some(agent_pid), &cli_sign, &mut |d: &[u8]| {
        holder.sign_digest(None, HashAlg::Sha256, d).map(drop).map_err(|e| format!("agent sign: {e}"))
    }) {
        Ok(with) => rows.extend(turns_without.into_iter().chain([with])),
        Err(e) => step(&format!("taking-turns row not measured: {e}")),
    }
    if tls {
        match tls_rows(stack, module, Some(&run)) {
            Ok(row) => rows.extend(row),
            Err(e) => step(&format!("TLS row through the agent not measured: {e}")),
        }
    }
    drop(holder);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

/// Calls of the round-trip rows (enough for the agent's CPU time in clock ticks to count).
const ROUND_TRIPS: u32 = 5000;
/// Measured turns of the taking-turns rows (after one warm-up turn).
const TURNS: u32 = 5;

/// Name of the round-trip row through the agent.
const OVERHEAD_AGENT: &str =
    "agent round trip overhead per operation (certificate request through the socket), agent running";
/// Name of its twin without the agent.
const OVERHEAD_IN_PROCESS: &str =
    "agent round trip overhead per operation (the same request in-process on a session), no agent";

/// Name of a taking-turns row (a long-lived logged-in session signs, then a fresh `cie sign`).
fn turns_name(agent: bool) -> String {
    format!(
        "two applications taking turns (browser-like session + fresh CLI signature), per turn of 2 signatures, {}",
        if agent { "agent running" } else { "no agent" }
    )
}

/// CPU time (user + system) of this process so far.
fn self_cpu() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU time (user + system, all its threads) of a running process, from `/proc/PID/stat`.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat_cpu(&stat, clock_ticks())
}

/// Clock ticks per second of `/proc` times.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line; zero when malformed.
fn stat_cpu(stat: &str, ticks: u64) -> Duration {
    // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else { return Duration::ZERO };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let total = field(11).saturating_add(field(12));
    Duration::from_micros(total.saturating_mul(1_000_000) / ticks.max(1))
}

/// The same certificate request `ROUND_TRIPS` times on a session of this process (the
/// simulated card in-process: the certificate is cached after login, no card I/O).
fn overhead_in_process_row() -> Result<Measured> {
    let card = SimHandle::new(SimCard::new(
        Profile::Nxp,
        fixtures::card_image(SodProfile::Sha256Pkcs1),
        SimOptions::default(),
    ));
    let mut session = Session::open(card.connect()).map_err(|e| format!("in-process session: {e}"))?;
    let pin = Pin::new(fixtures::TEST_PIN).map_err(|e| e.to_string())?;
    session.verify_pin(&pin).map_err(|e| format!("in-process login: {e}"))?;
    session.certificate().map_err(|e| format!("in-process certificate: {e}"))?;
    let cpu = self_cpu();
    let start = Instant::now();
    for _ in 0..ROUND_TRIPS {
        std::hint::black_box(session.certificate().map_err(|e| format!("in-process certificate: {e}"))?);
    }
    Ok(per_call(OVERHEAD_IN_PROCESS, start.elapsed(), self_cpu().saturating_sub(cpu), (0, 0, 0)))
}

/// The certificate request `ROUND_TRIPS` times through the agent (the client logged in, the
/// certificate cached by the agent): wall time and CPU time of client and agent per call.
fn overhead_row(log: &Path, agent: u32, client: &mut cie_agent::AgentClient) -> Result<Measured> {
    client.certificate(None).map_err(|e| format!("agent certificate: {e}"))?;
    let before = pcscd_totals(log);
    let cpu = self_cpu() + process_cpu(agent);
    let start = Instant::now();
    for _ in 0..ROUND_TRIPS {
        std::hint::black_box(client.certificate(None).map_err(|e| format!("agent certificate: {e}"))?);
    }
    let wall = start.elapsed();
    let cpu = (self_cpu() + process_cpu(agent)).saturating_sub(cpu);
    let after = pcscd_totals(log);
    Ok(per_call(OVERHEAD_AGENT, wall, cpu, (after.0 - before.0, after.1 - before.1, after.2 - before.2)))
}

/// A row of `ROUND_TRIPS` calls, per call (APDU totals divided too: any card I/O shows).
fn per_call(name: &str, wall: Duration, cpu: Duration, apdus: (u64, u64, u64)) -> Measured {
    let n = u64::from(ROUND_TRIPS);
    Measured {
        name: name.into(),
        exchanges: apdus.0.div_ceil(n),
        sent: apdus.1.div_ceil(n),
        received: apdus.2.div_ceil(n),
        cpu: cpu / ROUND_TRIPS,
        wall: wall / ROUND_TRIPS,
    }
}

/// Two applications taking turns: per turn, the long-lived session signs (`browser`), then a
/// fresh process signs (`cli`); one warm-up turn, then `TURNS` measured, per turn. The host CPU
/// is this process's, its children's and the agent's (`agent`) when there is one.
fn turns_row(
    log: &Path,
    agent: Option<u32>,
    cli: &dyn Fn() -> Result<()>,
    browser: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<Measured> {
    let digest = [0x5A; 32];
    let cpu_now = || self_cpu() + children_cpu() + agent.map(process_cpu).unwrap_or_default();
    browser(&digest)?;
    cli()?;
    let before = pcscd_totals(log);
    let cpu = cpu_now();
    let start = Instant::now();
    for _ in 0..TURNS {
        browser(&digest)?;
        cli()?;
    }
    let wall = start.elapsed();
    let cpu = cpu_now().saturating_sub(cpu);
    let after = pcscd_totals(log);
    let n = u64::from(TURNS);
    Ok(Measured {
        name: turns_name(agent.is_some()),
        exchanges: (after.0 - before.0).div_ceil(n),
        sent: (after.1 - before.1).div_ceil(n),
        received: (after.2 - before.2).div_ceil(n),
        cpu: cpu / TURNS,
        wall: wall / TURNS,
    })
}

/// The taking-turns row without the agent: a session of this process over pcscd (logged in
/// once, then recovering its channel after each fresh process as it must) and `cli`.
fn turns_without_agent(stack: &VirtualStack, log: &Path, cli: &dyn Fn() -> Result<()>) -> Result<Measured> {
    // pcsc-lite reads its socket's name once per process: the first stack's serves this one.
    if std::env::var_os("PCSCLITE_CSOCK_NAME").is_none() {
        std::env::set_var("PCSCLITE_CSOCK_NAME", stack.socket_path());
    } else if std::env::var_os("PCSCLITE_CSOCK_NAME").as_deref() != Some(stack.socket_path().as_os_str()) {
        return Err("this process already talks to another stack's pcscd".into());
    }
    let reader = PcscTransport::list_readers().map_err(|e| e.to_string())?.into_iter().next().ok_or("no reader")?;
    let transport = PcscTransport::connect(&reader).map_err(|e| format!("{reader}: {e}"))?;
    let mut session = Session::open(transport).map_err(|e| format!("session: {e}"))?;
    let pin = Pin::new(fixtures::TEST_PIN).map_err(|e| e.to_string())?;
    session.verify_pin(&pin).map_err(|e| format!("login: {e}"))?;
    turns_row(log, None, cli, &mut |d: &[u8]| {
        // The fresh process rebuilt the channel: the session recovers it or logs in again, as
        // an application without the agent must.
        match session.sign_digest(HashAlg::Sha256, d) {
            Ok(_) => Ok(()),
            Err(_) => {
                session.verify_pin(&pin).map_err(|e| format!("login again: {e}"))?;
                session.sign_digest(HashAlg::Sha256, d).map(drop).map_err(|e| format!("sign: {e}"))
            }
        }
    })
}

/// Medians of the last `cargo bench` run (criterion's `new/estimates.json`), as a table.
pub(crate) fn criterion_table(dir: &Path) -> String {
    let mut medians = BTreeMap::new();
    collect_medians(dir, &mut medians);
    if medians.is_empty() {
        return format!(
            "\n(no criterion results under {}: run `cargo bench -p cie-core -p cie-pkcs11`)\n",
            dir.display()
        );
    }
    let mut s = String::from("\n| criterion benchmark | median |\n|---|---:|\n");
    for (id, ns) in medians {
        let v = if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.1} µs", ns / 1e3)
        } else {
            format!("{ns:.0} ns")
        };
        s.push_str(&format!("| {id} | {v} |\n"));
    }
    s
}

fn collect_medians(dir: &Path, out: &mut BTreeMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.file_name().is_some_and(|n| n == "new") {
            let id = std::fs::read_to_string(path.join("benchmark.json")).ok().and_then(|j| full_id(&j));
            let median = std::fs::read_to_string(path.join("estimates.json")).ok().and_then(|j| median_ns(&j));
            if let (Some(id), Some(m)) = (id, median) {
                out.insert(id, m);
            }
        } else if path.is_dir() && path.file_name().is_some_and(|n| n != "report" && n != "base") {
            collect_medians(&path, out);
        }
    }
}

/// What the report reads of criterion's `estimates.json`.
#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// What the report reads of criterion's `benchmark.json`.
#[derive(Deserialize)]
struct BenchmarkId {
    full_id: String,
}

/// `full_id` of criterion's benchmark.json.
fn full_id(json: &str) -> Option<String> {
    serde_json::from_str::<BenchmarkId>(json).ok().map(|b| b.full_id)
}

/// `median.point_estimate` of criterion's estimates.json, in nanoseconds.
fn median_ns(json: &str) -> Option<f64> {
    serde_json::from_str::<Estimates>(json).ok().map(|e| e.median.point_estimate).filter(|m| m.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_probe_lines() {
        let m = Measured::parse("ROW\tfurther C_Sign — sign after login: 3 APDUs\t3\t107\t303\t512\t840123").unwrap();
        assert_eq!(m.exchanges, 3);
        assert_eq!((m.sent, m.received), (107, 303));
        assert_eq!(m.cpu, Duration::from_micros(512));
        assert_eq!(m.wall, Duration::from_micros(840123));
        assert!(Measured::parse("ROW\tx\t1").is_none());
        assert!(Measured::parse("noise").is_none());
    }

    #[test]
    fn table_has_one_row_per_operation_and_a_wall_column_per_model() {
        let row = |name: &str, wall| Measured {
            name: name.into(),
            exchanges: 3,
            sent: 107,
            received: 303,
            cpu: Duration::from_micros(1500),
            wall: Duration::from_millis(wall),
        };
        let runs = vec![
            (
                "realistic".to_owned(),
                vec![row("C_OpenSession", 1), row("further C_Sign — sign after login: 3 APDUs", 700)],
            ),
            ("none".to_owned(), vec![row("C_OpenSession", 0), row("further C_Sign — sign after login: 3 APDUs", 5)]),
        ];
        let base = Baseline::of("realistic", &[row("further C_Sign — sign after login: 4 APDUs", 1400)]);
        let t = table(&runs, &base);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].contains("wall (realistic latency)") && lines[0].contains("wall (none latency)"));
        assert!(lines[0].ends_with("| wall / baseline (realistic) |"), "{}", lines[0]);
        assert_eq!(
            lines[3],
            "| further C_Sign — sign after login: 3 APDUs | 3 | ≤ 3 ✓ | 107 / 303 | 1.5 ms | 700.0 ms | 5.0 ms | 0.50 |"
        );
        assert!(lines[2].starts_with("| C_OpenSession | 3 |  |") && lines[2].ends_with(" | – |"), "{}", lines[2]);
    }

    #[test]
    fn baseline_round_trip_and_targets() {
        let rows = vec![
            Measured {
                name: "enumeration (C_Initialize .. C_GetTokenInfo), card seen before".into(),
                exchanges: 3,
                sent: 16,
                received: 47,
                cpu: Duration::ZERO,
                wall: Duration::from_micros(123_456),
            },
            Measured {
                name: "further C_Sign — sign after login: 3 APDUs".into(),
                exchanges: 3,
                sent: 1,
                received: 1,
                cpu: Duration::ZERO,
                wall: Duration::from_micros(7),
            },
        ];
        let b = Baseline::of("realistic", &rows);
        let json = b.to_json().unwrap();
        assert_eq!(json.lines().count(), 7, "one row per line: {json}");
        let back = Baseline::parse(&json).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.wall("further C_Sign"), Some(Duration::from_micros(7)));
        assert_eq!(Baseline::parse("not json"), None);
        assert_eq!(target("enumeration (C_Initialize .. C_GetTokenInfo), card seen before"), Some(3));
        assert_eq!(target("C_Login in a new process, card seen before"), Some(16));
        assert_eq!(target("C_Sign after login"), Some(3));
        assert_eq!(target("C_FindObjects + C_GetAttributeValue (new process, card seen before)"), Some(3));
    }

    #[test]
    fn the_committed_baseline_is_what_to_json_writes() {
        let text = std::fs::read_to_string(workspace_root().join("benches/baseline.json")).unwrap();
        let b = Baseline::parse(&text).unwrap();
        assert_eq!(b.model, "realistic");
        assert_eq!(b.wall("further C_Sign"), Some(Duration::from_micros(394_602)));
        assert_eq!(b.to_json().unwrap(), text);
        let hostile = Baseline {
            model: "a \"quoted\" \\ model".into(),
            rows: vec![BaselineRow { operation: "x\ny \"z\"".into(), exchanges: 1, wall_us: 2 }],
        };
        assert_eq!(Baseline::parse(&hostile.to_json().unwrap()), Some(hostile));
    }

    #[test]
    fn the_committed_baseline_has_the_agent_rows() {
        let text = std::fs::read_to_string(workspace_root().join("benches/baseline.json")).unwrap();
        let b = Baseline::parse(&text).unwrap();
        let keys =
            [FRESH_NO_AGENT, FRESH_AGENT, OVERHEAD_IN_PROCESS, OVERHEAD_AGENT, &turns_name(false), &turns_name(true)];
        for key in keys.into_iter().chain([TLS_AGENT]) {
            assert!(b.wall(key).is_some_and(|w| !w.is_zero()), "{key:?}: no baseline wall time");
        }
    }

    #[test]
    fn agent_rows_format_and_targets() {
        assert_eq!(ms(Duration::from_micros(42)), "0.042 ms");
        assert_eq!(ms(Duration::from_micros(1500)), "1.5 ms");
        assert_eq!(ms(Duration::ZERO), "0.0 ms");
        let row = Measured {
            name: OVERHEAD_AGENT.into(),
            exchanges: 0,
            sent: 0,
            received: 0,
            cpu: Duration::from_micros(31),
            wall: Duration::from_micros(58),
        };
        let t = table(&[("realistic".into(), vec![row])], &Baseline::default());
        assert_eq!(
            t.lines().nth(2),
            Some(format!("| {OVERHEAD_AGENT} | 0 |  | 0 / 0 | 0.031 ms | 0.058 ms | – |").as_str())
        );
        let per = per_call(OVERHEAD_IN_PROCESS, Duration::from_millis(50), Duration::from_millis(10), (1, 5, 2));
        assert_eq!((per.exchanges, per.sent, per.received), (1, 1, 1), "any card I/O shows");
        assert_eq!((per.wall, per.cpu), (Duration::from_micros(10), Duration::from_micros(2)));
        assert_eq!(target(OVERHEAD_AGENT), None);
        assert_eq!(target(OVERHEAD_IN_PROCESS), None);
        assert_eq!(target(&turns_name(true)), Some(8));
        assert_eq!(target(&turns_name(false)), None);
        assert_eq!(target("fresh process: C_Initialize .. C_Login .. C_Sign, agent running"), Some(5));
        assert_eq!(target(TLS_AGENT), Some(5));
    }

    #[test]
    fn reads_process_cpu_from_proc_stat() {
        let stat = "4242 (cie (agent) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0";
        assert_eq!(stat_cpu(stat, 100), Duration::from_secs(3));
        assert_eq!(stat_cpu("garbage", 100), Duration::ZERO);
        assert_eq!(stat_cpu("1 (x) S 1", 100), Duration::ZERO);
        assert!(process_cpu(std::process::id()) <= self_cpu() + Duration::from_millis(20));
    }

    #[test]
    fn browser_rows_and_table() {
        let report = "latency model: realistic\nchromium: x\nROW\tlogin on a second server\t5\t812\nROW\tbad\t1\n";
        let rows = parse_browser_rows(report, "Chromium");
        assert_eq!(rows, vec![("Chromium: login on a second server".to_owned(), 5, Duration::from_millis(812))]);
        let t = browser_table(&[("realistic".into(), rows.clone()), ("none".into(), Vec::new())]);
        assert!(t.contains("| Chromium: login on a second server | 5 | 812.0 ms | – |"), "{t}");
        assert!(browser_table(&[]).is_empty());
    }

    #[test]
    fn reads_criterion_medians() {
        let est = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1234.5,"standard_error":0.1}}"#;
        assert_eq!(median_ns(est), Some(1234.5));
        assert_eq!(
            full_id(r#"{"group_id":"sm","full_id":"sm/protect_command/x","x":1}"#).as_deref(),
            Some("sm/protect_command/x")
        );
        let dir = std::env::temp_dir().join(format!("xtask-criterion-{}", std::process::id()));
        let new = dir.join("sm/protect/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("estimates.json"), est).unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"full_id":"sm/protect"}"#).unwrap();
        let t = criterion_table(&dir);
        assert!(t.contains("| sm/protect | 1.2 µs |"), "{t}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
