//! One simulated card of the stack: a `cie-sim` process connected to vpcd's port for its
//! reader, the thread following its status lines ([`Status`]), and its control channel
//! ([`Control`] lines on its standard input).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::error::{io_err, StackError};
use super::logs::log_file;
use super::namespace;
use super::process::{spawn_supervised, stop_child, wait_or_kill};
use crate::control::{Control, Counts, Status};
use crate::vpcd::VPCD_PORT;

/// Counts of the simulator's status lines, shared with the thread reading its stderr.
#[derive(Debug, Default)]
pub(crate) struct SimStatus {
    /// `ready` lines: the card was powered and its ATR read.
    pub(crate) ready: u64,
    /// `removed` lines: vpcd noticed a removal.
    pub(crate) removed: u64,
    /// `sign-fault` acknowledgements.
    pub(crate) sign_faults: u64,
    /// Removals scheduled or cancelled.
    pub(crate) scheduled: u64,
    /// The PIN tries left the simulator reported with its last removal.
    pub(crate) pin_tries: Option<u8>,
    /// Answers to `counts`.
    pub(crate) counts_answers: u64,
    /// The figures of the last answer to `counts` that could be read.
    pub(crate) counts: Option<Counts>,
    /// The simulator's stderr ended: it exited.
    pub(crate) exited: bool,
}

type Shared = Arc<(Mutex<SimStatus>, Condvar)>;

/// Why [`StackCard::wait`] gave up.
pub(crate) enum WaitEnd {
    /// The simulator exited first.
    Exited,
    /// The time ran out.
    Timeout,
    /// The status lock was poisoned.
    Poisoned,
}

/// One simulated card of the stack, with the thread following its log.
pub(crate) struct StackCard {
    sim: Child,
    stdin: Option<ChildStdin>,
    status: Shared,
    reader_thread: Option<JoinHandle<()>>,
}

impl StackCard {
    /// Starts the simulator of card `k` in the namespaces of the holder `ns` (network only),
    /// connected to vpcd's port for reader `k`, with `args` (the card's options); its stderr is
    /// followed into `sim.log` (`sim-<k>.log` for k > 0).
    pub(crate) fn spawn(
        ns: u32,
        k: usize,
        sim_binary: &Path,
        args: &[OsString],
        log_dir: &Path,
    ) -> Result<StackCard, StackError> {
        let mut sim_cmd = namespace::enter(ns, &["-n"]);
        sim_cmd
            .arg(sim_binary)
            .arg("--connect")
            .arg(format!("127.0.0.1:{}", usize::from(VPCD_PORT) + k))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log_file(log_dir, &format!("sim{}.stdout.log", log_suffix(k)))?)
            .stderr(Stdio::piped());
        let mut sim = spawn_supervised(sim_cmd).map_err(io_err("starting cie-sim"))?;
        let stdin = sim.stdin.take();
        let status: Shared = Arc::default();
        let reader_thread = sim.stderr.take().map(|stderr| {
            let status = status.clone();
            let log = log_file(log_dir, &log_name(k)).ok();
            thread::spawn(move || follow_sim_log(stderr, log, status))
        });
        Ok(StackCard { sim, stdin, status, reader_thread })
    }

    /// Reads a figure of the status counts (0-like default when the lock is poisoned).
    pub(crate) fn count<T: Default>(&self, f: impl Fn(&SimStatus) -> T) -> T {
        self.status.0.lock().map(|s| f(&s)).unwrap_or_default()
    }

    /// Writes a control line to the simulator's standard input, without waiting for its effect.
    pub(crate) fn send(&mut self, control: Control) -> Result<(), StackError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| StackError::Failed("the simulator's control channel is closed".into()))?;
        let line = control.to_string();
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(io_err(format!("sending {line:?} to cie-sim")))
    }

    /// Waits up to `timeout` until `done` holds for the status counts.
    pub(crate) fn wait(&self, done: impl Fn(&SimStatus) -> bool, timeout: Duration) -> Result<(), WaitEnd> {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.status;
        let mut s = lock.lock().map_err(|_| WaitEnd::Poisoned)?;
        while !done(&s) {
            if s.exited {
                return Err(WaitEnd::Exited);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitEnd::Timeout);
            }
            s = cv.wait_timeout(s, deadline - now).map_err(|_| WaitEnd::Poisoned)?.0;
        }
        Ok(())
    }

    /// Asks the simulator to quit (it then leaves the reader), without waiting.
    pub(crate) fn ask_to_quit(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "{}", Control::Quit);
        }
    }

    /// Waits up to 2 s for the simulator to exit, kills it otherwise, and joins the log thread.
    pub(crate) fn stop(&mut self) {
        wait_or_kill(&mut self.sim, Duration::from_secs(2));
        if let Some(t) = self.reader_thread.take() {
            let _ = t.join();
        }
    }

    /// Kills the simulator at once (a stack that failed to start).
    pub(crate) fn kill(&mut self) {
        stop_child(&mut self.sim, false);
    }
}

/// The log of card `k`'s simulator: `sim.log`, `sim-<k>.log` for k > 0.
pub(crate) fn log_name(k: usize) -> String {
    format!("sim{}.log", log_suffix(k))
}

fn log_suffix(k: usize) -> String {
    if k == 0 {
        String::new()
    } else {
        format!("-{k}")
    }
}

/// Reads the simulator's stderr: copies it to `sim.log` and counts the status lines.
fn follow_sim_log(stderr: impl io::Read, mut log: Option<File>, status: Shared) {
    let (lock, cv) = &*status;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if let Some(f) = log.as_mut() {
            let _ = writeln!(f, "{line}");
        }
        if let Ok(mut s) = lock.lock() {
            match Status::parse(&line) {
                Some(Status::Ready) => s.ready += 1,
                Some(Status::Removed { pin_tries }) => {
                    s.removed += 1;
                    s.pin_tries = pin_tries.or(s.pin_tries);
                }
                Some(Status::RemovalScheduled(_)) => s.scheduled += 1,
                Some(Status::SignFault(_)) => s.sign_faults += 1,
                Some(Status::Counts(counts)) => {
                    s.counts_answers += 1;
                    s.counts = counts;
                }
                Some(Status::Connected(_)) | None => {}
            }
        }
        cv.notify_all();
    }
    if let Ok(mut s) = lock.lock() {
        s.exited = true;
    }
    cv.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_log_lines_are_counted() {
        let status: Shared = Arc::default();
        let text = "cie-sim: connected to 127.0.0.1:35963\ncie-sim: ready (ATR served)\nnoise\n\
                    cie-sim: removed (PIN tries left 2)\ncie-sim: ready\n\
                    cie-sim: removal scheduled before APDU 7 from now\ncie-sim: removal scheduled: none\n\
                    cie-sim: sign fault wrong\ncie-sim: counts: 9 APDUs, 1 PIN commands\n";
        follow_sim_log(text.as_bytes(), None, status.clone());
        let s = status.0.lock().unwrap();
        assert_eq!((s.ready, s.removed, s.scheduled, s.sign_faults, s.exited), (2, 1, 2, 1, true));
        assert_eq!(s.pin_tries, Some(2));
        assert_eq!((s.counts_answers, s.counts), (1, Some(Counts { apdus: 9, pin_commands: 1 })));
    }
}
