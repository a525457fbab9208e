//! `cargo xtask soak --agent`: the soak through the card agent (DESIGN.md §8). `cie agent` runs
//! with a 0700 `$XDG_RUNTIME_DIR` of its own over the isolated pcscd; two processes of
//! `cie-pkcs11/examples/soak.rs` sign through the PKCS#11 module (2 threads and 1), two more
//! run fresh `cie sign` processes one after the other, a fifth resets the card at random
//! intervals, the card is pulled at random times, and the agent is killed (SIGKILL) at half
//! time and started again at once. Passes when every signature verifies against the card's
//! certificate and every failure is a clean error, the card's PIN tries are the same before,
//! at every pull and after, every process ends in time, and the agent's open descriptors and
//! resident memory, sampled every second, stay flat. Every process it starts ends with it
//! (each client in a process group of its own, killed whole).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cie_agent::AgentClient;
use cie_core::session::PinStatus;
use cie_sim::stack::{StackOptions, VirtualStack};

use crate::card_stack::start_stack;
use crate::command::{cargo, run, step, Result};
use crate::packages::{ensure_packages, PACKAGES};
use crate::paths::target_dir;

use super::soak_report::Report;

/// Resident memory an agent may gain between its warm point and its end.
const RSS_SLACK_KIB: u64 = 8 * 1024;
/// Descriptors the agent may hold, with no client, above what it held idle before the run.
const IDLE_FD_SLACK: usize = 2;
/// Descriptors the busiest moment of an agent's last third may hold above its first third's.
const BUSY_FD_SLACK: usize = 4;
/// The resetting process's mean pause between two resets.
const RESET_EVERY_MS: u64 = 4000;
/// How long the processes may run past the end: `cie sign` waits up to 120 s for the agent.
const GRACE: Duration = Duration::from_secs(150);

/// A small xorshift generator: the schedule of pulls is random but repeatable with `--seed`.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed | 1)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi.saturating_sub(lo) + 1)
    }
}

/// One process of the soak, in a process group of its own.
struct Proc {
    name: String,
    child: Child,
    status: Option<ExitStatus>,
}

/// The soak's processes: whatever happens, each group still running is killed and reaped on
/// drop.
#[derive(Default)]
struct Procs(Vec<Proc>);

impl Drop for Procs {
    fn drop(&mut self) {
        for p in &mut self.0 {
            if p.status.is_none() {
                kill_group(&p.child);
                let _ = p.child.wait();
            }
        }
    }
}

/// SIGKILL to the process group `child` leads (it and anything it started).
fn kill_group(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid: the group of our own child, which we have not
        // reaped yet (so its id is not reused).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// A `cie agent` process: killed and reaped on drop.
struct Agent {
    child: Child,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The temporary directory of the run (runtime directory, certificate, agent logs), removed on
/// drop.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the soak's processes share: paths and the environment.
struct Setup {
    cie: PathBuf,
    example: PathBuf,
    module: PathBuf,
    run_dir: PathBuf,
    work: PathBuf,
    pcsc_socket: PathBuf,
}

impl Setup {
    /// `program` with the soak's environment: the agent's runtime directory, the isolated
    /// pcscd, a home of its own, no certificate cache.
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        // Killed by the kernel if xtask dies (Ctrl-C, a panic): every spawn happens on the main
        // thread, which lives as long as the soak.
        // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
        unsafe {
            c.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
        c.env("XDG_RUNTIME_DIR", &self.run_dir)
            .env("PCSCLITE_CSOCK_NAME", &self.pcsc_socket)
            .env("HOME", self.work.join("home"))
            .env("XDG_CONFIG_HOME", self.work.join("home/.config"))
            .env("XDG_CACHE_HOME", self.work.join("home/.cache"))
            .env("CIE_PKCS11_CACHE", "off")
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        c
    }

    fn socket(&self) -> PathBuf {
        self.run_dir.join("cie/agent.sock")
    }

    /// Starts `cie agent --idle 0` (its log in the work directory) and waits for its socket.
    fn start_agent(&self, generation: usize) -> Result<Agent> {
        let log = self.work.join(format!("agent-{generation}.log"));
        let log = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = self
            .command(&self.cie)
            .args(["agent", "--idle", "0"])
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.cie.display()))?;
        let agent = Agent { child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while AgentClient::connect_to(&self.socket()).is_err() {
            if Instant::now() > deadline {
                return Err("the agent's socket never answered".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(agent)
    }

    /// Starts one soak process (`examples/soak ARGS`) in a process group of its own.
    fn spawn(&self, procs: &mut Procs, name: String, args: &[String]) -> Result<()> {
        let child = self
            .command(&self.example)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.example.display()))?;
        procs.0.push(Proc { name, child, status: None });
        Ok(())
    }

    /// The agent's status: the connected clients, the asker included.
    fn clients(&self) -> Option<u32> {
        AgentClient::connect_to(&self.socket()).ok()?.status().ok().map(|s| s.clients)
    }

    /// Waits (10 s at most) until no client but the asker is connected.
    fn wait_no_clients(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.clients() == Some(1) {
                // The asker's own connection closing is seen on the agent's thread.
                std::thread::sleep(Duration::from_millis(300));
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

/// One look at the agent.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Seconds since the clients started.
    at: f64,
    fds: usize,
    rss_kib: u64,
}

/// Open descriptors and resident memory of process `pid`.
fn sample(pid: u32, at: f64) -> Option<Sample> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())?;
    Some(Sample { at, fds, rss_kib })
}

/// The samples of one agent process, and the judgement on them.
struct Life {
    samples: Vec<Sample>,
}

impl Life {
    /// The figures, one line, and a short series (at most 12 points).
    fn describe(&self, name: &str) -> String {
        let s = &self.samples;
        let (Some(first), Some(last)) = (s.first(), s.last()) else {
            return format!("{name}: no samples");
        };
        let fds_max = s.iter().map(|x| x.fds).max().unwrap_or(0);
        let rss_max = s.iter().map(|x| x.rss_kib).max().unwrap_or(0);
        let step = s.len().div_ceil(12).max(1);
        let series: Vec<String> =
            s.iter().step_by(step).map(|x| format!("{:.0}s:{}/{}", x.at, x.fds, x.rss_kib / 1024)).collect();
        format!(
            "{name}: {} samples; descriptors {} -> {} (max {fds_max}); resident memory {} -> {} KiB (max {rss_max}); \
             t:fds/MiB {}",
            s.len(),
            first.fds,
            last.fds,
            first.rss_kib,
            last.rss_kib,
            series.join(" ")
        )
    }

    /// Growth that does not belong to a flat process: memory beyond the slack after its warm
    /// point (a quarter of its life), and descriptors at the busiest moment of its last third
    /// beyond those of its first third.
    fn judge(&self, name: &str, failures: &mut Vec<String>) {
        let s = &self.samples;
        if s.len() < 6 {
            failures.push(format!("{name}: only {} samples", s.len()));
            return;
        }
        let warm = s[s.len() / 4];
        let last = s[s.len() - 1];
        if last.rss_kib > warm.rss_kib + RSS_SLACK_KIB {
            failures.push(format!("{name}: resident memory grew from {} to {} KiB", warm.rss_kib, last.rss_kib));
        }
        let third = s.len() / 3;
        let early = s[..third].iter().map(|x| x.fds).max().unwrap_or(0);
        let late = s[s.len() - third..].iter().map(|x| x.fds).max().unwrap_or(0);
        if late > early + BUSY_FD_SLACK {
            failures.push(format!("{name}: descriptors climbed from at most {early} to {late}"));
        }
    }
}

/// Adds `s` to the current agent's samples.
fn push_sample(lives: &mut [Life], s: Sample) {
    if let Some(l) = lives.last_mut() {
        l.samples.push(s);
    }
}

/// Builds what the soak runs and returns the setup's paths.
fn build() -> Result<(PathBuf, PathBuf, PathBuf, PathBuf)> {
    run(cargo().args(["build", "-p", "cie-pkcs11", "-p", "cie-sim", "--example", "soak", "--bin", "cie-sim"]))?;
    run(cargo().args(["build", "-p", "cie-pkcs11", "--lib"]))?;
    run(cargo().args(["build", "-p", "cie", "--bin", "cie"]))?;
    let debug = target_dir().join("debug");
    Ok((debug.join("cie"), debug.join("examples/soak"), debug.join("libcie_pkcs11.so"), debug.join("cie-sim")))
}

/// The PIN tries left as the agent reports them (no VERIFY).
fn agent_tries(setup: &Setup) -> Result<u8> {
    let mut c = AgentClient::connect_to(&setup.socket()).map_err(|e| format!("the agent: {e}"))?;
    match c.pin_status(None).map_err(|e| format!("the agent's PIN status: {e}"))? {
        PinStatus::TriesLeft(n) => Ok(n),
        other => Err(format!("the card's PIN: {other:?}")),
    }
}

/// Pulls the card, records the PIN tries the simulator reports, and leaves it out.
fn pull(stack: &mut VirtualStack, tries: &mut Vec<Option<u8>>) -> Result<()> {
    stack.remove_card().map_err(|e| e.to_string())?;
    tries.push(stack.pin_tries_at_last_removal());
    Ok(())
}

/// Runs the agent soak for `seconds`; `seed` repeats a schedule of pulls.
pub(crate) fn run_agent_soak(seconds: u64, seed: Option<u64>) -> Result<ExitCode> {
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    let mut random = Random::new(seed);
    ensure_packages(PACKAGES)?;
    let (cie, example, module, sim) = build()?;
    let work = WorkDir(std::env::temp_dir().join(format!("cie-soak-agent-{}", std::process::id())));
    let run_dir = work.0.join("run");
    std::fs::create_dir_all(work.0.join("home")).map_err(|e| format!("{}: {e}", work.0.display()))?;
    std::fs::create_dir_all(&run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
    std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
    let mut stack = start_stack(StackOptions { sim_binary: Some(sim), ..StackOptions::default() })?;
    let setup =
        Setup { cie, example, module, run_dir, work: work.0.clone(), pcsc_socket: stack.socket_path().to_owned() };

    let mut agent = setup.start_agent(1)?;
    // The card's certificate, read through the agent once (the CLI signers check with it), and
    // the agent idle with its card session open: the descriptors it holds with no client.
    let cert = setup.work.join("cert.der");
    let out = setup
        .command(&setup.cie)
        .args(["cert", "--der", "--pin-stdin", "-o"])
        .arg(&cert)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            if let Some(mut stdin) = c.stdin.take() {
                writeln!(stdin, "{}", cie_sim::fixtures::TEST_PIN)?;
            }
            c.wait_with_output()
        })
        .map_err(|e| format!("cie cert: {e}"))?;
    if !out.status.success() {
        return Err(format!("cie cert through the agent: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let tries_before = agent_tries(&setup)?;
    if !setup.wait_no_clients() {
        return Err("the agent kept a client after the warm-up".into());
    }
    let idle_before = sample(agent.child.id(), 0.0).ok_or("the agent's /proc entry")?;

    let mut procs = Procs::default();
    let module = setup.module.display().to_string();
    let secs = seconds.to_string();
    for threads in [2, 1] {
        let args = ["sign".into(), module.clone(), threads.to_string(), secs.clone()];
        setup.spawn(&mut procs, format!("PKCS#11 signer ({threads} threads)"), &args)?;
    }
    for k in 1..=2 {
        let args = ["cli".into(), setup.cie.display().to_string(), cert.display().to_string(), secs.clone()];
        setup.spawn(&mut procs, format!("cie sign loop {k}"), &args)?;
    }
    let args = ["reset".into(), stack.reader_name().to_owned(), RESET_EVERY_MS.to_string(), secs.clone()];
    setup.spawn(&mut procs, "resetter".into(), &args)?;
    step(&format!(
        "soak --agent: 2 PKCS#11 signers (2 + 1 threads), 2 `cie sign` loops and a resetter for {seconds} s \
         (seed {seed}); the agent is killed and restarted at {} s",
        seconds / 2
    ));

    // The schedule: pulls at random, the agent's restart at half time, a sample every second.
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let restart_at = start + Duration::from_secs(seconds / 2);
    let gap = |r: &mut Random| Duration::from_secs(r.between((seconds / 10).max(4), (seconds / 4).max(8)));
    let mut next_pull = start + gap(&mut random);
    let mut reinsert_at: Option<Instant> = None;
    let mut next_sample = start;
    let mut lives = vec![Life { samples: Vec::new() }];
    let mut pull_tries = Vec::new();
    let mut restarted = false;
    // The most clients (the asker excluded) and logins each agent had at once.
    let mut served = vec![(0u32, 0u32)];
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_sample {
            if let Some(s) = sample(agent.child.id(), start.elapsed().as_secs_f64()) {
                push_sample(&mut lives, s);
            }
            next_sample += Duration::from_secs(1);
            if let Some(st) = AgentClient::connect_to(&setup.socket()).ok().and_then(|mut c| c.status().ok()) {
                let logged_in = st.cards.iter().map(|c| c.logged_in_clients).sum::<u32>();
                if let Some(m) = served.last_mut() {
                    *m = (m.0.max(st.clients.saturating_sub(1)), m.1.max(logged_in));
                }
            }
        }
        if let Some(at) = reinsert_at {
            if now >= at {
                stack.insert_card().map_err(|e| e.to_string())?;
                reinsert_at = None;
                next_pull = now + gap(&mut random);
            }
        } else if now >= next_pull && now + Duration::from_secs(4) < end {
            pull(&mut stack, &mut pull_tries)?;
            let out = Duration::from_millis(random.between(1000, 3000));
            step(&format!("soak --agent: card pulled for {:.1} s", out.as_secs_f64()));
            reinsert_at = Some(now + out);
        }
        if !restarted && now >= restart_at {
            step("soak --agent: killing the agent (SIGKILL) and starting it again");
            let _ = agent.child.kill();
            let _ = agent.child.wait();
            agent = setup.start_agent(2)?;
            lives.push(Life { samples: Vec::new() });
            served.push((0, 0));
            restarted = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if reinsert_at.is_some() {
        stack.insert_card().map_err(|e| e.to_string())?;
    }

    // Every process must end by its deadline and the grace: anything else is a deadlock.
    let mut failures = Vec::new();
    let limit = end + GRACE;
    let mut reports = Vec::new();
    for p in &mut procs.0 {
        loop {
            match p.child.try_wait() {
                Ok(Some(status)) => {
                    p.status = Some(status);
                    break;
                }
                Ok(None) if Instant::now() < limit => {
                    if let Some(s) = sample(agent.child.id(), start.elapsed().as_secs_f64()) {
                        if Instant::now() >= next_sample {
                            push_sample(&mut lives, s);
                            next_sample += Duration::from_secs(1);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    kill_group(&p.child);
                    p.status = p.child.wait().ok();
                    failures.push(format!("{}: still running {} s after the end (deadlock?)", p.name, GRACE.as_secs()));
                    break;
                }
            }
        }
        let mut stdout = String::new();
        if let Some(mut out) = p.child.stdout.take() {
            use std::io::Read;
            let _ = out.read_to_string(&mut stdout);
        }
        match Report::parse(&stdout) {
            Some(r) if p.status.is_some_and(|s| s.success()) => reports.push((p.name.clone(), r)),
            _ => failures.push(format!("{}: {:?} without a result: {stdout}", p.name, p.status)),
        }
    }

    // The agent with no client left: its descriptors back where they were before the run.
    let idle_after =
        if setup.wait_no_clients() { sample(agent.child.id(), start.elapsed().as_secs_f64()) } else { None };
    if let Some(s) = idle_after {
        push_sample(&mut lives, s);
    }
    let tries_after_agent = agent_tries(&setup).ok();
    let mut stop = AgentClient::connect_to(&setup.socket()).map_err(|e| format!("the agent: {e}"))?;
    let _ = stop.stop();
    drop(stop);
    let stopped = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        matches!(agent.child.try_wait(), Ok(Some(_)))
    });
    drop(agent);
    // The card's own counter, as the simulator reports it when the card is pulled.
    let mut final_tries = Vec::new();
    pull(&mut stack, &mut final_tries)?;
    drop(stack);

    let mut signatures = 0;
    for (name, r) in &reports {
        match r.text("role") {
            Some("reset") => println!("{name}: {} resets", r.get("resets")),
            Some("sign") => {
                let (sigs, ok, gone, bad) =
                    (r.get("signatures"), r.get("verified"), r.get("removed"), r.get("unexpected"));
                println!(
                    "{name}: {sigs} signatures, {ok} verified, {gone} removal errors, {bad} unexpected; descriptors \
                     {} -> {}; resident memory {} -> {} KiB",
                    r.get("fds_start"),
                    r.get("fds_end"),
                    r.get("rss_start_kib"),
                    r.get("rss_end_kib")
                );
                signatures += sigs;
                if sigs == 0 || ok != sigs {
                    failures.push(format!("{name}: {ok} of {sigs} signatures verify"));
                }
                if bad > 0 {
                    failures.push(format!("{name}: {bad} unexpected return codes"));
                }
                if r.get("fds_end") > r.get("fds_start") + 1 {
                    failures.push(format!(
                        "{name}: open descriptors went from {} to {}",
                        r.get("fds_start"),
                        r.get("fds_end")
                    ));
                }
                if r.get("rss_end_kib") > r.get("rss_start_kib") + RSS_SLACK_KIB {
                    failures.push(format!(
                        "{name}: resident memory grew from {} to {} KiB",
                        r.get("rss_start_kib"),
                        r.get("rss_end_kib")
                    ));
                }
            }
            _ => {
                let (sigs, ok, failed, bad) =
                    (r.get("signatures"), r.get("verified"), r.get("failed"), r.get("unexpected"));
                println!("{name}: {sigs} signatures, {ok} verified, {failed} clean failures, {bad} unexpected");
                signatures += sigs;
                if sigs == 0 || ok != sigs {
                    failures.push(format!("{name}: {ok} of {sigs} signatures verify"));
                }
                if bad > 0 {
                    failures.push(format!("{name}: {bad} unexpected outcomes"));
                }
            }
        }
    }
    if !reports.iter().any(|(_, r)| r.text("role") == Some("reset") && r.get("resets") > 0) {
        failures.push("the card was never reset".into());
    }

    println!(
        "PIN tries: {tries_before} before (agent), {tries_after_agent:?} after (agent), {:?} at the {} pulls, {:?} at \
         the end (simulator)",
        pull_tries,
        pull_tries.len(),
        final_tries.first().copied().flatten()
    );
    if pull_tries.is_empty() {
        failures.push("the card was never pulled".into());
    }
    for t in pull_tries.iter().chain(&final_tries) {
        if *t != Some(tries_before) {
            failures.push(format!("PIN tries {t:?} at a pull, {tries_before} before: a try was lost"));
        }
    }
    for (k, life) in lives.iter().enumerate() {
        let name = format!("agent {} ({})", k + 1, if k == 0 { "killed at half time" } else { "restarted" });
        println!("{}", life.describe(&name));
        life.judge(&name, &mut failures);
    }
    match idle_after {
        Some(after) => {
            println!("agent idle (no client): {} descriptors before the run, {} after", idle_before.fds, after.fds);
            if after.fds > idle_before.fds + IDLE_FD_SLACK {
                failures.push(format!(
                    "the idle agent holds {} descriptors after the run, {} before",
                    after.fds, idle_before.fds
                ));
            }
        }
        None => failures.push("clients still connected to the agent after the run".into()),
    }
    if !stopped {
        failures.push("the agent did not stop when asked".into());
    }
    println!("clients served at once (most seen each second), by each agent: {served:?} (connected, logged in)");
    if served.len() != 2 || served.iter().any(|(_, logged_in)| *logged_in == 0) {
        failures.push(format!("an agent never had a client logged in: {served:?}"));
    }
    println!("soak --agent ({seconds} s, seed {seed}): {signatures} signatures; the agent restarted once");
    if failures.is_empty() {
        step("soak --agent passed");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("soak --agent failed:\n  {}", failures.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn life(points: &[(usize, u64)]) -> Life {
        Life {
            samples: points
                .iter()
                .enumerate()
                .map(|(k, (fds, rss_kib))| Sample { at: k as f64, fds: *fds, rss_kib: *rss_kib })
                .collect(),
        }
    }

    #[test]
    fn judges_growth() {
        let mut failures = Vec::new();
        life(&[(9, 9000), (12, 9100), (10, 9200), (11, 9100), (12, 9300), (10, 9200)]).judge("flat", &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
        life(&[(9, 9000), (10, 9100), (14, 9200), (18, 9300), (22, 9300), (26, 9300)]).judge("fds", &mut failures);
        assert_eq!(failures.len(), 1, "{failures:?}");
        life(&[(9, 9000), (9, 9100), (9, 9200), (9, 12000), (9, 16000), (9, 30000)]).judge("rss", &mut failures);
        assert_eq!(failures.len(), 2, "{failures:?}");
        life(&[(9, 9000)]).judge("short", &mut failures);
        assert_eq!(failures.len(), 3);
        let mut r = Random::new(5);
        assert!((0..100).all(|_| (3..=7).contains(&r.between(3, 7))));
    }
}
