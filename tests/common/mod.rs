//! Helpers for the tests through a real pcscd: the isolated stack with the simulated card, time
//! limits on everything that talks to PC/SC, and helper processes.
//!
//! Helper processes are this very test executable started again with `CIE_TEST_WORKER` set and
//! the libtest filter `pcsc_worker` (see [`worker_command`] and [`worker_main`]): a separate
//! process that needs no extra build step and always carries the code under test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use cie_core::pcsc_backend::PcscTransport;
use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::transport::{ApduCounter, Counting};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::stack::{StackOptions, VirtualStack};
use cie_sim::Profile;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Sha256, Sha512};

/// Time limit of one test phase (a few card operations through pcscd) and of a helper process.
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

/// A session through pcscd, counting APDU exchanges.
pub(crate) type PcscSession = Session<Counting<PcscTransport>>;

/// Starts the isolated pcscd + vpcd + cie-sim stack with `profile` and the EF.SOD profile
/// `sod`, and points this process's PC/SC client library at it.
pub(crate) fn start_stack(profile: Profile, sod: SodProfile) -> VirtualStack {
    let stack = VirtualStack::start(StackOptions {
        profile: Some(profile.name().to_owned()),
        sod: Some(sod_option(sod).to_owned()),
        ..StackOptions::default()
    })
    .unwrap_or_else(|e| panic!("starting the virtual PC/SC stack ({}): {e}", profile.name()));
    stack.export_socket_env();
    stack
}

/// The simulator's `--sod` value for an EF.SOD profile.
pub(crate) fn sod_option(sod: SodProfile) -> &'static str {
    match sod {
        SodProfile::Sha256Pkcs1 => "sha256",
        SodProfile::Sha512Pss => "sha512",
    }
}

/// Connects to `reader` through pcscd and opens a session with a counting transport.
pub(crate) fn open(reader: &str) -> (PcscSession, ApduCounter) {
    let transport = Counting::new(PcscTransport::connect(reader).unwrap_or_else(|e| panic!("connect {reader}: {e}")));
    let counter = transport.counter();
    let session = Session::open(transport).unwrap_or_else(|e| panic!("open session on {reader}: {e}"));
    (session, counter)
}

/// The simulated card's PIN (a test credential).
pub(crate) fn pin() -> Pin {
    Pin::new(fixtures::TEST_PIN).unwrap()
}

/// Exchanges counted so far.
pub(crate) fn exchanges(counter: &ApduCounter) -> u64 {
    counter.stats().exchanges
}

/// The RSA public key of a DER certificate.
pub(crate) fn certificate_key(der: &[u8]) -> RsaPublicKey {
    cie_core::certificate::public_key(der).unwrap()
}

/// Checks a PKCS#1 v1.5 signature of `data` hashed with `alg` (SHA-256 or SHA-512).
pub(crate) fn assert_signature(key: &RsaPublicKey, alg: HashAlg, data: &[u8], signature: &[u8]) {
    let scheme = match alg {
        HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        HashAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        other => panic!("no scheme for {other:?} in these tests"),
    };
    key.verify(scheme, &alg.hash(data), signature)
        .unwrap_or_else(|e| panic!("signature over {:?} does not verify: {e}", String::from_utf8_lossy(data)));
}

/// Runs `f` on its own thread and returns its result, or fails the test if it has not finished
/// within `limit` (a hung PC/SC call must fail the test, not stall it). Keep the stack outside
/// `f`: when the test fails, dropping the stack stops pcscd, which ends any blocked call.
pub(crate) fn within<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(v) => {
            let _ = handle.join();
            v
        }
        Err(RecvTimeoutError::Timeout) => panic!("{what}: not finished within {limit:?}"),
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("{what}: ended without a result"),
        },
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lower- or upper-case hex.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length: {s:?}");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The pcscd APDU log of a stack (`pcscd -a`): the command APDUs, as upper-case hex.
pub(crate) fn logged_apdus(log_dir: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(log_dir.join("pcscd.log")).unwrap();
    log.lines().filter_map(|l| l.split_once("APDU: ")).map(|(_, apdu)| apdu.trim().to_owned()).collect()
}

/// Upper-case spaced hex as in pcscd's log.
pub(crate) fn log_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Child processes under a time limit.

/// Where a line of a child's output came from.
const STDERR_PREFIX: &str = "stderr: ";

/// A child process whose output is collected line by line, killed if still running on drop.
pub(crate) struct Proc {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

fn forward(pipe: impl Read + Send + 'static, prefix: &'static str, tx: Sender<String>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(format!("{prefix}{line}")).is_err() {
                break;
            }
        }
    });
}

impl Proc {
    /// Spawns `cmd` with piped stdin, stdout and stderr.
    pub(crate) fn spawn(what: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
        let (tx, lines) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            forward(out, "", tx.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(err, STDERR_PREFIX, tx);
        }
        let stdin = child.stdin.take();
        Proc { what: what.to_owned(), child, stdin, lines, seen: Vec::new() }
    }

    /// Writes one line to the child's stdin.
    pub(crate) fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap_or_else(|| panic!("{}: stdin closed", self.what));
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).unwrap_or_else(|e| panic!("{}: write: {e}", self.what));
    }

    /// Waits (until `deadline`) for a worker line `key ...` and returns the text after `key`.
    pub(crate) fn expect(&mut self, key: &str, deadline: Instant) -> String {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = worker_line(&line).and_then(|rest| rest.strip_prefix(key)).map(|r| r.trim().to_owned());
                    self.seen.push(line);
                    if let Some(value) = found {
                        return value;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("{}: no {key:?} line in time\n{}", self.what, self.output()),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("{}: output ended without a {key:?} line\n{}", self.what, self.output())
                }
            }
        }
    }

    /// Closes stdin and waits (until `deadline`) for the child to exit and its output to end.
    pub(crate) fn finish(mut self, deadline: Instant) -> (ExitStatus, Vec<String>) {
        self.stdin = None;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                panic!("{}: still running at its deadline (killed)\n{}", self.what, self.output());
            }
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(20)) {
                self.seen.push(line);
            }
        };
        // The pipes close with the process; collect what is left.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.max(Duration::from_millis(200))) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        (status, std::mem::take(&mut self.seen))
    }

    fn output(&self) -> String {
        format!("--- output of {} ---\n{}", self.what, self.seen.join("\n"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to completion within `limit` and returns its status and output lines.
pub(crate) fn run_bounded(what: &str, cmd: Command, limit: Duration) -> (ExitStatus, Vec<String>) {
    let proc = Proc::spawn(what, cmd);
    proc.finish(Instant::now() + limit)
}

// ---------------------------------------------------------------------------------------------
// Worker processes: this test executable started again in a worker mode.

/// Worker mode (`sign` or `reset`); its presence makes the `pcsc_worker` entry point act.
pub(crate) const WORKER_ENV: &str = "CIE_TEST_WORKER";
/// The reader the worker uses.
pub(crate) const READER_ENV: &str = "CIE_TEST_READER";
/// A label that goes into every message a `sign` worker signs.
pub(crate) const LABEL_ENV: &str = "CIE_TEST_LABEL";
/// Prefix of the lines a worker reports on stdout (libtest may print on the same line).
pub(crate) const MARK: &str = "#cie-worker# ";

/// The text after [`MARK`] on a worker's stdout line.
pub(crate) fn worker_line(line: &str) -> Option<&str> {
    if line.starts_with(STDERR_PREFIX) {
        return None;
    }
    line.split_once(MARK).map(|(_, rest)| rest)
}

/// The message a `sign` worker labelled `label` signs as its `i`-th signature.
pub(crate) fn worker_message(label: &str, i: usize) -> String {
    format!("{label}: signature {i}")
}

/// A command that runs this test executable as a worker in `mode` against `stack`.
pub(crate) fn worker_command(stack: &VirtualStack, mode: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["pcsc_worker", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(WORKER_ENV, mode)
        .env(READER_ENV, stack.reader_name())
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env_remove("RUST_LOG");
    cmd
}

fn say(what: impl std::fmt::Display) {
    println!("{MARK}{what}");
}

/// The worker entry point: does nothing unless [`WORKER_ENV`] is set.
///
/// - `reset`: connects to the reader (shared), reconnects with `SCARD_RESET_CARD`, disconnects
///   leaving the card as it is, and says `reset`.
/// - `sign`: reads the PIN from stdin, opens a session, verifies the PIN, reads the
///   certificate (says `cert HEX`) and says `ready`. Then, for each stdin line `sign K`, signs
///   the next K messages ([`worker_message`]) with SHA-256, saying `sig I EXCHANGES HEX` for
///   each (EXCHANGES: APDU exchanges that signature cost), then `signed`. At the end of stdin
///   it says `done`.
pub(crate) fn worker_main() {
    let Some(mode) = std::env::var_os(WORKER_ENV) else { return };
    let reader = std::env::var(READER_ENV).unwrap();
    match mode.to_str() {
        Some("reset") => reset_worker(&reader),
        Some("sign") => sign_worker(&reader),
        other => panic!("unknown worker mode {other:?}"),
    }
}

fn reset_worker(reader: &str) {
    use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
    let ctx = Context::establish(Scope::User).unwrap();
    let name = std::ffi::CString::new(reader).unwrap();
    let mut card = ctx.connect(&name, ShareMode::Shared, Protocols::ANY).unwrap();
    card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::ResetCard).unwrap();
    card.disconnect(Disposition::LeaveCard).map_err(|(_, e)| e).unwrap();
    say("reset");
}

fn sign_worker(reader: &str) {
    let label = std::env::var(LABEL_ENV).unwrap();
    let mut input = std::io::stdin().lock().lines();
    let mut pin_line = zeroize::Zeroizing::new(input.next().unwrap().unwrap());
    let pin = Pin::new(pin_line.trim()).unwrap();
    pin_line.clear();

    let (mut session, counter) = open(reader);
    session.verify_pin(&pin).unwrap();
    let cert = session.certificate().unwrap();
    say(format!("cert {}", hex(&cert)));
    say("ready");

    let mut next = 0;
    for line in input {
        let line = line.unwrap();
        let count: usize =
            line.trim().strip_prefix("sign ").unwrap_or_else(|| panic!("bad request {line:?}")).parse().unwrap();
        for _ in 0..count {
            let before = exchanges(&counter);
            let sig = session.sign(HashAlg::Sha256, worker_message(&label, next).as_bytes()).unwrap();
            say(format!("sig {next} {} {}", exchanges(&counter) - before, hex(&sig)));
            next += 1;
        }
        say("signed");
    }
    drop(session);
    say("done");
}
