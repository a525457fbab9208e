//! An isolated PC/SC stack with the simulator as the card: pcscd with vsmartcard's vpcd driver
//! in a private mount + network namespace, and the `cie-sim` binary connected to vpcd inside
//! that namespace (TESTING.md, "pcscd + vpcd, isolated").
//!
//! Why a namespace: vpcd listens on all interfaces at a fixed port and pcscd's socket path is
//! compiled in, so a stack in the host namespaces would clash with a system pcscd, another test
//! stack, or anything on the network. In the namespace, pcscd's socket lives on a private
//! tmpfs on `/run/pcscd` and vpcd's port on a private loopback; clients stay outside and reach
//! pcscd through `/proc/<pid>/root/run/pcscd/pcscd.comm`, named in `PCSCLITE_CSOCK_NAME`.
//!
//! One stack per process at a time: pcsc-lite's client library reads `PCSCLITE_CSOCK_NAME` once
//! and keeps it for the life of the process. [`VirtualStack::socket_path`] is therefore a
//! symbolic link whose name depends only on the process id, re-pointed at each new stack, and
//! [`VirtualStack::start`] waits while another stack of the same process is alive.
//!
//! Readiness: the simulator prints a line when pcscd has powered the card and read its ATR
//! ([`LOG_READY`]: vpcd's power-on followed by the ATR request), and another when a removal has
//! been seen by vpcd ([`LOG_REMOVED`]: the simulator leaves one of pcscd's presence polls
//! unanswered). pcscd updates the reader state right after either, so the stack waits for the
//! line and a short settling time; no PC/SC client library is needed for it.
//!
//! Privileges: as root the namespaces are created directly (`unshare -m -n`). Any other user
//! gets them inside a new user namespace (`unshare -r -m -n`, where the user is root of the
//! namespace only), which Debian and Ubuntu allow by default; where the system forbids
//! unprivileged user namespaces, [`VirtualStack::start`] says which setting to change.
//! Needs the packages `pcscd`, `vsmartcard-vpcd` and `iproute2` (`cargo xtask demo` and
//! `cargo xtask test` install them). Every process the stack starts is stopped by its PID on
//! drop, and is also killed by the kernel if this process dies first.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::card::SignFault;
use crate::vpcd::{VPCD_PORT, VPCD_READER};

/// Line prefix the simulator prints on stderr when pcscd has powered the card and read its ATR.
pub const LOG_READY: &str = "cie-sim: ready";
/// Line prefix the simulator prints on stderr when vpcd has noticed a removal.
pub const LOG_REMOVED: &str = "cie-sim: removed";
/// Line prefix the simulator prints on stderr when a `sign-fault` control line took effect.
pub const LOG_SIGN_FAULT: &str = "cie-sim: sign fault";
/// Line prefix the simulator prints on stderr when it has scheduled (or cancelled) a removal
/// before an APDU (`remove-before N`, `remove-cancel`).
pub const LOG_SCHEDULED: &str = "cie-sim: removal scheduled";
/// Line prefix the simulator prints on stderr once connected to vpcd.
pub const LOG_CONNECTED: &str = "cie-sim: connected";

/// Packages the stack needs at run time (Debian names).
pub const RUNTIME_PACKAGES: &[&str] = &["pcscd", "vsmartcard-vpcd", "iproute2"];

/// After a ready/removed line, time for pcscd to publish the new reader state.
const SETTLE: Duration = Duration::from_millis(100);

/// How to start a [`VirtualStack`]. Unset fields use the simulator's defaults.
#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    /// Card generation (`--profile`, e.g. "NXP", "Gemalto"; see `Profile::from_name`).
    pub profile: Option<String>,
    /// The card's PIN (`--pin`, 8 digits; a test credential of a virtual card).
    pub pin: Option<String>,
    /// The card's PUK (`--puk`).
    pub puk: Option<String>,
    /// Latency model (`--latency realistic|none`).
    pub latency: Option<String>,
    /// EF.SOD profile (`--sod sha256|sha512`).
    pub sod: Option<String>,
    /// The simulator binary; default: `$CIE_SIM_BIN`, else `cie-sim` next to the current
    /// executable or one directory up (from `target/<profile>/deps/`).
    pub sim_binary: Option<PathBuf>,
    /// How long to wait for each step (namespace, pcscd, card present); default 15 s.
    pub timeout: Option<Duration>,
    /// Extra arguments for the simulator.
    pub extra_sim_args: Vec<OsString>,
    /// Readers, each with its own simulated card (one `cie-sim` process each); 0 means 1, at
    /// most [`MAX_READERS`]. With more than one, pcscd gets a `reader.conf` of the stack's own
    /// listing one vpcd channel (two readers) per copy of the vpcd driver: the driver keeps its
    /// connections in per-library static state, so each channel needs its own copy.
    pub readers: usize,
}

/// The most readers a stack serves (pcsc-lite's `PCSCLITE_MAX_READERS_CONTEXTS`).
pub const MAX_READERS: usize = 16;

/// The vpcd driver of the Debian package.
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

/// Errors starting or driving a [`VirtualStack`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// A needed program or driver is not installed.
    #[error("{0} not installed: run `cargo xtask test` (it installs pcscd, vsmartcard-vpcd, iproute2 and the other test packages)")]
    NotInstalled(String),
    /// The simulator binary was not found.
    #[error("cie-sim binary not found ({0}): build it (`cargo build -p cie-sim`) or set CIE_SIM_BIN")]
    SimBinaryMissing(String),
    /// A step did not complete in time or a process died; the message includes its log.
    #[error("{0}")]
    Failed(String),
    /// An I/O error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> StackError {
    let context = context.into();
    move |source| StackError::Io { context, source }
}

/// Counts of the simulator's status lines, shared with the thread reading its stderr.
#[derive(Default)]
struct SimStatus {
    ready: u64,
    removed: u64,
    /// `sign-fault` acknowledgements.
    sign_faults: u64,
    scheduled: u64,
    /// The PIN tries left the simulator reported with its last removal.
    pin_tries: Option<u8>,
    exited: bool,
}

type Shared = Arc<(Mutex<SimStatus>, Condvar)>;

/// One simulated card of the stack, with the thread following its log.
struct StackCard {
    sim: Child,
    stdin: Option<ChildStdin>,
    status: Shared,
    reader_thread: Option<JoinHandle<()>>,
}

/// A running isolated pcscd + vpcd + cie-sim stack. Dropping it stops everything it started.
pub struct VirtualStack {
    /// Cards 1.. of a multi-reader stack (card 0 is in the fields below).
    extra: Vec<StackCard>,
    holder: Child,
    pcscd: Child,
    sim: Child,
    sim_stdin: Option<ChildStdin>,
    status: Shared,
    reader_thread: Option<JoinHandle<()>>,
    log_dir: PathBuf,
    socket_link: PathBuf,
    socket_target: PathBuf,
    timeout: Duration,
    _slot: ProcessSlot,
}

impl VirtualStack {
    /// Starts a stack and waits until the card is present in [`VPCD_READER`].
    pub fn start(options: StackOptions) -> Result<VirtualStack, StackError> {
        let timeout = options.timeout.unwrap_or(Duration::from_secs(15));
        check_installed()?;
        let sim_binary = match &options.sim_binary {
            Some(p) => p.clone(),
            None => default_sim_binary()
                .ok_or_else(|| StackError::SimBinaryMissing("not next to the current executable".into()))?,
        };
        if !sim_binary.is_file() {
            return Err(StackError::SimBinaryMissing(sim_binary.display().to_string()));
        }
        let readers = options.readers.max(1);
        if readers > MAX_READERS {
            return Err(StackError::Failed(format!("at most {MAX_READERS} readers, not {readers}")));
        }
        let slot = ProcessSlot::acquire();
        let log_dir = new_log_dir()?;
        // Several readers: pcscd reads a reader.conf of ours (bind-mounted in the namespace).
        let conf_mount = if readers > 1 { multi_reader_conf(&log_dir, readers)? } else { String::new() };

        // 1. The namespace holder: private mounts (tmpfs on /run/pcscd) and network (lo up).
        // Without root, inside a new user namespace; /run/pcscd may then be impossible to
        // create (owned by the real root): a private tmpfs on /run makes room for it.
        let user_ns = !is_root();
        let mut holder_cmd = Command::new(program("unshare"));
        if user_ns {
            holder_cmd.arg("-r");
        }
        holder_cmd
            .args(["-m", "-n", "--propagation", "private", "sh", "-c"])
            .arg(format!(
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; \
                 {{ mkdir -p /run/pcscd 2>/dev/null || {{ mount -t tmpfs tmpfs /run && mkdir -p /run/pcscd; }}; }} \
                 && mount -t tmpfs tmpfs /run/pcscd{conf_mount} && ip link set lo up && exec sleep infinity"
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(&log_dir, "namespace.log")?);
        let mut holder = spawn_supervised(holder_cmd).map_err(io_err("starting unshare"))?;
        let ns = holder.id();
        let comm = PathBuf::from(format!("/proc/{ns}/comm"));
        let ns_ready = wait_until(timeout, || {
            if let Ok(Some(_)) = holder.try_wait() {
                return Some(false);
            }
            fs::read_to_string(&comm).ok().filter(|c| c.trim() == "sleep").map(|_| true)
        });
        if ns_ready != Some(true) {
            stop_child(&mut holder, false);
            return Err(StackError::Failed(format!(
                "could not create the private namespace ({}){}",
                if user_ns { userns_advice() } else { "unshare -m -n failed".into() },
                log_tail(&log_dir, "namespace.log")
            )));
        }

        // 2. pcscd inside it, logging every APDU.
        let mut pcscd_cmd = Command::new(program("nsenter"));
        let pcscd_log = log_file(&log_dir, "pcscd.log")?;
        pcscd_cmd
            .arg("-t")
            .arg(ns.to_string())
            .args(enter_flags(user_ns, &["-m", "-n"]))
            .arg(program("pcscd"))
            .args(["-f", "-a"])
            .stdin(Stdio::null())
            .stdout(pcscd_log.try_clone().map_err(io_err("log file"))?)
            .stderr(pcscd_log);
        let mut pcscd = match spawn_supervised(pcscd_cmd) {
            Ok(c) => c,
            Err(e) => {
                stop_child(&mut holder, false);
                return Err(io_err("starting pcscd")(e));
            }
        };
        let socket_target = PathBuf::from(format!("/proc/{ns}/root/run/pcscd/pcscd.comm"));
        let pcscd_ready = wait_until(timeout, || {
            if let Ok(Some(_)) = pcscd.try_wait() {
                return Some(false);
            }
            socket_target.exists().then_some(true)
        });
        if pcscd_ready != Some(true) {
            stop_child(&mut pcscd, true);
            stop_child(&mut holder, false);
            return Err(StackError::Failed(format!("pcscd did not start{}", log_tail(&log_dir, "pcscd.log"))));
        }
        let socket_link = socket_link_path();
        let _ = fs::remove_file(&socket_link);
        if let Err(e) = std::os::unix::fs::symlink(&socket_target, &socket_link) {
            stop_child(&mut pcscd, true);
            stop_child(&mut holder, false);
            return Err(io_err(format!("linking {}", socket_link.display()))(e));
        }

        // 3. The cards, on the namespace's loopback: card k on vpcd's port VPCD_PORT + k.
        let mut cards = Vec::with_capacity(readers);
        for k in 0..readers {
            match spawn_sim(ns, k, &sim_binary, &options, &log_dir) {
                Ok(card) => cards.push(card),
                Err(e) => {
                    for mut c in cards {
                        stop_child(&mut c.sim, false);
                    }
                    stop_child(&mut pcscd, true);
                    stop_child(&mut holder, false);
                    return Err(e);
                }
            }
        }
        let mut cards = cards.into_iter();
        let Some(StackCard { sim, stdin: sim_stdin, status, reader_thread }) = cards.next() else {
            return Err(StackError::Failed("no card".into()));
        };
        let extra: Vec<StackCard> = cards.collect();

        let mut stack = VirtualStack {
            extra,
            holder,
            pcscd,
            sim,
            sim_stdin,
            status,
            reader_thread,
            log_dir,
            socket_link,
            socket_target,
            timeout,
            _slot: slot,
        };
        stack.wait_status(|s| s.ready >= 1, "the simulated card did not become ready")?;
        for k in 1..readers {
            stack.wait_card(k, |s| s.ready >= 1, "a simulated card did not become ready")?;
        }
        Ok(stack)
    }

    /// How many readers (each with its own card) the stack serves.
    pub fn readers(&self) -> usize {
        1 + self.extra.len()
    }

    /// The PC/SC name of reader `k` (0-based; see [`VirtualStack::readers`]).
    pub fn reader_name_at(&self, k: usize) -> String {
        vpcd_reader_name(k)
    }

    /// Removes the card of reader `k` and waits until pcscd has noticed.
    pub fn remove_card_at(&mut self, k: usize) -> Result<(), StackError> {
        if k == 0 {
            return self.remove_card();
        }
        let before = self.card_status(k)?.0.lock().map(|s| s.removed).unwrap_or(0);
        self.send_control_at(k, "remove")?;
        self.wait_card(k, |s| s.removed > before, "pcscd did not notice the card removal")
    }

    /// Inserts the card of reader `k` again and waits until pcscd has powered it.
    pub fn insert_card_at(&mut self, k: usize) -> Result<(), StackError> {
        if k == 0 {
            return self.insert_card();
        }
        let before = self.card_status(k)?.0.lock().map(|s| s.ready).unwrap_or(0);
        self.send_control_at(k, "insert")?;
        self.wait_card(k, |s| s.ready > before, "the reinserted card did not become ready")
    }

    fn card_status(&self, k: usize) -> Result<Shared, StackError> {
        if k == 0 {
            return Ok(self.status.clone());
        }
        self.extra
            .get(k - 1)
            .map(|c| c.status.clone())
            .ok_or_else(|| StackError::Failed(format!("no reader {k} in this stack")))
    }

    fn send_control_at(&mut self, k: usize, line: &str) -> Result<(), StackError> {
        let card = self.extra.get_mut(k - 1).ok_or_else(|| StackError::Failed(format!("no reader {k}")))?;
        let stdin = card
            .stdin
            .as_mut()
            .ok_or_else(|| StackError::Failed("the simulator's control channel is closed".into()))?;
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(io_err(format!("sending {line:?} to cie-sim")))
    }

    fn wait_card(&mut self, k: usize, done: impl Fn(&SimStatus) -> bool, what: &str) -> Result<(), StackError> {
        if k == 0 {
            return self.wait_status(done, what);
        }
        let status = self.card_status(k)?;
        let deadline = Instant::now() + self.timeout;
        let (lock, cv) = &*status;
        let mut s = lock.lock().map_err(|_| StackError::Failed("status lock poisoned".into()))?;
        while !done(&s) {
            let now = Instant::now();
            if s.exited || now >= deadline {
                drop(s);
                return Err(self.failure(&format!("reader {k}: {what}")));
            }
            s = cv.wait_timeout(s, deadline - now).map_err(|_| StackError::Failed("status lock poisoned".into()))?.0;
        }
        drop(s);
        thread::sleep(SETTLE);
        Ok(())
    }

    /// The value for `PCSCLITE_CSOCK_NAME`: where PC/SC clients reach this stack's pcscd.
    pub fn socket_path(&self) -> &Path {
        &self.socket_link
    }

    /// The PC/SC name of the reader holding the simulated card.
    pub fn reader_name(&self) -> &'static str {
        VPCD_READER
    }

    /// The directory with `pcscd.log` (every APDU, from `pcscd -a`), `sim.log` and
    /// `namespace.log`. Removed on drop unless the thread is panicking or
    /// `CIE_STACK_KEEP_LOGS` is set.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// Sets `PCSCLITE_CSOCK_NAME` in this process's environment, for PC/SC clients running in
    /// this process. Call it before the first PC/SC call of the process: pcsc-lite reads the
    /// variable once. The value is the same for every stack of this process.
    pub fn export_socket_env(&self) {
        if std::env::var_os("PCSCLITE_CSOCK_NAME").as_deref() != Some(self.socket_link.as_os_str()) {
            std::env::set_var("PCSCLITE_CSOCK_NAME", &self.socket_link);
        }
    }

    /// Removes the card from the reader and waits until pcscd has noticed. The simulator keeps
    /// its state (PIN counters); volatile state is lost as with a real removal.
    pub fn remove_card(&mut self) -> Result<(), StackError> {
        let before = self.status.0.lock().map(|s| s.removed).unwrap_or(0);
        self.send_control("remove")?;
        self.wait_status(|s| s.removed > before, "pcscd did not notice the card removal")
    }

    /// Inserts the card again and waits until pcscd has powered it.
    pub fn insert_card(&mut self) -> Result<(), StackError> {
        let before = self.status.0.lock().map(|s| s.ready).unwrap_or(0);
        self.send_control("insert")?;
        self.wait_status(|s| s.ready > before, "the reinserted card did not become ready")
    }

    /// Makes every following holder-key signature of the card faulty as `fault` says
    /// ([`SignFault::None`]: correct again), and waits until the simulator has applied it.
    pub fn set_sign_fault(&mut self, fault: SignFault) -> Result<(), StackError> {
        let before = self.status.0.lock().map(|s| s.sign_faults).unwrap_or(0);
        self.send_control(&format!("sign-fault {fault}"))?;
        self.wait_status(|s| s.sign_faults > before, "the simulator did not acknowledge the signature fault")
    }

    /// Schedules a removal of the card when the `n`-th APDU from now reaches it (before the
    /// card sees it: pulled while the reader sends the command), and waits until the simulator
    /// has taken the order. See [`VirtualStack::removals`] and [`VirtualStack::wait_removed`].
    pub fn remove_card_before_apdu(&mut self, n: u64) -> Result<(), StackError> {
        let before = self.status.0.lock().map(|s| s.scheduled).unwrap_or(0);
        self.send_control(&format!("remove-before {n}"))?;
        self.wait_status(|s| s.scheduled > before, "the simulator did not schedule the removal")
    }

    /// Drops a removal scheduled with [`VirtualStack::remove_card_before_apdu`] that has not
    /// happened (the operation needed fewer APDUs).
    pub fn cancel_scheduled_removal(&mut self) -> Result<(), StackError> {
        let before = self.status.0.lock().map(|s| s.scheduled).unwrap_or(0);
        self.send_control("remove-cancel")?;
        self.wait_status(|s| s.scheduled > before, "the simulator did not cancel the removal")
    }

    /// How many removals vpcd has noticed so far.
    pub fn removals(&self) -> u64 {
        self.status.0.lock().map(|s| s.removed).unwrap_or(0)
    }

    /// The card's PIN tries left, as the simulator reported them with its last removal.
    pub fn pin_tries_at_last_removal(&self) -> Option<u8> {
        self.status.0.lock().ok().and_then(|s| s.pin_tries)
    }

    /// Waits until more than `seen` removals have been noticed (see [`VirtualStack::removals`]).
    pub fn wait_removed(&mut self, seen: u64) -> Result<(), StackError> {
        self.wait_status(|s| s.removed > seen, "pcscd did not notice the card removal")
    }

    /// Stops pcscd abruptly (SIGKILL), as when the service crashes or is stopped in the middle
    /// of a command; the card and the namespace stay. For tests of what clients report then.
    pub fn kill_pcscd(&mut self) {
        stop_child(&mut self.pcscd, false);
    }

    /// Sends a control line to the simulator's standard input (`remove`, `insert`; see
    /// `cie-sim --help`) without waiting for its effect.
    pub fn send_control(&mut self, line: &str) -> Result<(), StackError> {
        let stdin = self
            .sim_stdin
            .as_mut()
            .ok_or_else(|| StackError::Failed("the simulator's control channel is closed".into()))?;
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(io_err(format!("sending {line:?} to cie-sim")))
    }

    fn wait_status(&mut self, done: impl Fn(&SimStatus) -> bool, what: &str) -> Result<(), StackError> {
        let deadline = Instant::now() + self.timeout;
        let (lock, cv) = &*self.status;
        let mut s = lock.lock().map_err(|_| StackError::Failed("status lock poisoned".into()))?;
        while !done(&s) {
            if s.exited {
                drop(s);
                return Err(self.failure(&format!("{what}: the simulator exited")));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(s);
                return Err(self.failure(&format!("{what} within {:?}", self.timeout)));
            }
            s = cv.wait_timeout(s, deadline - now).map_err(|_| StackError::Failed("status lock poisoned".into()))?.0;
        }
        drop(s);
        thread::sleep(SETTLE);
        Ok(())
    }

    fn failure(&self, what: &str) -> StackError {
        StackError::Failed(format!(
            "{what}{}{}",
            log_tail(&self.log_dir, "sim.log"),
            log_tail(&self.log_dir, "pcscd.log")
        ))
    }
}

impl Drop for VirtualStack {
    fn drop(&mut self) {
        // The cards first (vpcd sees them removed), then pcscd, then the namespace.
        if let Some(mut stdin) = self.sim_stdin.take() {
            let _ = writeln!(stdin, "quit");
        }
        for card in &mut self.extra {
            if let Some(mut stdin) = card.stdin.take() {
                let _ = writeln!(stdin, "quit");
            }
        }
        wait_or_kill(&mut self.sim, Duration::from_secs(2));
        for card in &mut self.extra {
            wait_or_kill(&mut card.sim, Duration::from_secs(2));
            if let Some(t) = card.reader_thread.take() {
                let _ = t.join();
            }
        }
        stop_child(&mut self.pcscd, true);
        stop_child(&mut self.holder, false);
        if let Some(t) = self.reader_thread.take() {
            let _ = t.join();
        }
        if fs::read_link(&self.socket_link).ok().as_deref() == Some(self.socket_target.as_path()) {
            let _ = fs::remove_file(&self.socket_link);
        }
        if thread::panicking() || std::env::var_os("CIE_STACK_KEEP_LOGS").is_some() {
            eprintln!("virtual PC/SC stack logs kept in {}", self.log_dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.log_dir);
        }
    }
}

/// Writes pcscd's configuration for `readers` vpcd readers into `log_dir` and returns the shell
/// command that bind-mounts it over `/etc/reader.conf.d` in the namespace. Channel `e` serves
/// readers `2e` and `2e + 1` on ports `VPCD_PORT + 2e` and the next one; channels after the
/// first load their own copy of the driver (its connections are per-library static state).
fn multi_reader_conf(log_dir: &Path, readers: usize) -> Result<String, StackError> {
    let conf_dir = log_dir.join("reader.conf.d");
    let drivers = log_dir.join("drivers");
    fs::create_dir_all(&conf_dir).map_err(io_err("reader.conf.d"))?;
    fs::create_dir_all(&drivers).map_err(io_err("drivers"))?;
    let mut conf = String::new();
    for e in 0..readers.div_ceil(2) {
        let port = usize::from(VPCD_PORT) + 2 * e;
        let (name, lib) = if e == 0 {
            ("Virtual PCD".to_owned(), PathBuf::from(VPCD_DRIVER))
        } else {
            let copy = drivers.join(format!("libifdvpcd-{e}.so"));
            fs::copy(VPCD_DRIVER, &copy).map_err(io_err(format!("copying {VPCD_DRIVER}")))?;
            (format!("Virtual PCD {e}"), copy)
        };
        conf.push_str(&format!(
            "FRIENDLYNAME \"{name}\"\nDEVICENAME   /dev/null:{port}\nLIBPATH      {}\nCHANNELID    {port}\n\n",
            lib.display()
        ));
    }
    fs::write(conf_dir.join("vpcd"), conf).map_err(io_err("reader.conf"))?;
    Ok(format!(" && mount --bind '{}' /etc/reader.conf.d", conf_dir.display()))
}

/// The PC/SC name of reader `k` of a stack: vpcd channel `k / 2`, slot `k % 2`.
fn vpcd_reader_name(k: usize) -> String {
    match k / 2 {
        0 => format!("Virtual PCD 00 {:02X}", k % 2),
        e => format!("Virtual PCD {e} 00 {:02X}", k % 2),
    }
}

/// Starts the simulator of card `k`, connected to vpcd's port for reader `k`; its stderr is
/// followed into `sim.log` (`sim-<k>.log` for k > 0).
fn spawn_sim(
    ns: u32,
    k: usize,
    sim_binary: &Path,
    options: &StackOptions,
    log_dir: &Path,
) -> Result<StackCard, StackError> {
    let suffix = if k == 0 { String::new() } else { format!("-{k}") };
    let mut sim_cmd = Command::new(program("nsenter"));
    sim_cmd
        .arg("-t")
        .arg(ns.to_string())
        .args(enter_flags(!is_root(), &["-n"]))
        .arg(sim_binary)
        .arg("--connect")
        .arg(format!("127.0.0.1:{}", usize::from(VPCD_PORT) + k));
    for (flag, value) in [
        ("--profile", &options.profile),
        ("--pin", &options.pin),
        ("--puk", &options.puk),
        ("--latency", &options.latency),
        ("--sod", &options.sod),
    ] {
        if let Some(v) = value {
            sim_cmd.arg(flag).arg(v);
        }
    }
    sim_cmd
        .args(&options.extra_sim_args)
        .stdin(Stdio::piped())
        .stdout(log_file(log_dir, &format!("sim{suffix}.stdout.log"))?)
        .stderr(Stdio::piped());
    let mut sim = spawn_supervised(sim_cmd).map_err(io_err("starting cie-sim"))?;
    let stdin = sim.stdin.take();
    let status: Shared = Arc::default();
    let reader_thread = sim.stderr.take().map(|stderr| {
        let status = status.clone();
        let log = log_file(log_dir, &format!("sim{suffix}.log")).ok();
        thread::spawn(move || follow_sim_log(stderr, log, status))
    });
    Ok(StackCard { sim, stdin, status, reader_thread })
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
            if line.starts_with(LOG_READY) {
                s.ready += 1;
            } else if line.starts_with(LOG_REMOVED) {
                s.removed += 1;
                s.pin_tries = pin_tries_of(&line).or(s.pin_tries);
            } else if line.starts_with(LOG_SCHEDULED) {
                s.scheduled += 1;
            } else if line.starts_with(LOG_SIGN_FAULT) {
                s.sign_faults += 1;
            }
        }
        cv.notify_all();
    }
    if let Ok(mut s) = lock.lock() {
        s.exited = true;
    }
    cv.notify_all();
}

/// The count in a removal line's "(PIN tries left N)".
fn pin_tries_of(line: &str) -> Option<u8> {
    let rest = &line[line.find("PIN tries left ")? + "PIN tries left ".len()..];
    rest.trim_end_matches(')').trim().parse().ok()
}

/// True when this process runs as root (effective user id 0).
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `nsenter` flags to join the holder's namespaces `ns`: the user namespace first when the
/// stack lives in one (`-U`, keeping our credentials, which the namespace maps to its root).
fn enter_flags(user_ns: bool, ns: &[&'static str]) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if user_ns {
        flags.extend(["-U", "--preserve-credentials"]);
    }
    flags.extend(ns);
    flags
}

/// Why `unshare -r` may have failed, and what to change: the kernel settings that forbid
/// unprivileged user namespaces, read from /proc.
fn userns_advice() -> String {
    let read = |p: &str| fs::read_to_string(p).ok().map(|v| v.trim().to_owned());
    let mut why = Vec::new();
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        why.push("kernel.unprivileged_userns_clone = 0 (enable: sudo sysctl -w kernel.unprivileged_userns_clone=1)");
    }
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        why.push("user.max_user_namespaces = 0 (enable: sudo sysctl -w user.max_user_namespaces=10000)");
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        why.push(
            "AppArmor restricts unprivileged user namespaces (Ubuntu 24.04+: sudo sysctl -w \
             kernel.apparmor_restrict_unprivileged_userns=0, or run as root)",
        );
    }
    if why.is_empty() {
        "unshare -r -m -n failed: unprivileged user namespaces are not available here; run as root".into()
    } else {
        format!("unshare -r -m -n failed as a non-root user: {}", why.join("; "))
    }
}

/// Polls `f` every 20 ms until it returns `Some` or `timeout` passes.
fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Stops a child by its PID: SIGTERM first when `gently` (and up to 2 s to exit), then SIGKILL.
fn stop_child(child: &mut Child, gently: bool) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if gently {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: plain kill(2) on the PID of a child we have not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        wait_or_kill(child, Duration::from_secs(2));
    } else {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Waits up to `grace` for `child` to exit, then kills it (SIGKILL) and reaps it.
fn wait_or_kill(child: &mut Child, grace: Duration) {
    if wait_until(grace, || child.try_wait().ok().flatten()).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Where the simulator binary is by default (see [`StackOptions::sim_binary`]).
pub fn default_sim_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CIE_SIM_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let mut candidates = vec![dir.join("cie-sim")];
    if let Some(up) = dir.parent() {
        candidates.push(up.join("cie-sim"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// Checks that the programs and the vpcd driver are installed.
fn check_installed() -> Result<(), StackError> {
    let mut missing = Vec::new();
    if find_program("pcscd").is_none() {
        missing.push("pcscd");
    }
    if !Path::new("/etc/reader.conf.d/vpcd").exists() {
        missing.push("vsmartcard-vpcd (vpcd reader driver)");
    }
    for (prog, pkg) in
        [("ip", "iproute2 (ip)"), ("unshare", "util-linux (unshare)"), ("nsenter", "util-linux (nsenter)")]
    {
        if find_program(prog).is_none() {
            missing.push(pkg);
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StackError::NotInstalled(missing.join(", ")))
    }
}

/// `name` in `$PATH` or the system binary directories (pcscd lives in /usr/sbin, which a
/// non-login PATH may lack).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The full path of `name` when found, else `name` (left to the spawn error).
fn program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| PathBuf::from(name))
}

/// The per-process symbolic link handed out as `PCSCLITE_CSOCK_NAME`.
fn socket_link_path() -> PathBuf {
    std::env::temp_dir().join(format!("cie-pcscd-{}.comm", std::process::id()))
}

fn new_log_dir() -> Result<PathBuf, StackError> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("cie-stack-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    Ok(dir)
}

fn log_file(dir: &Path, name: &str) -> Result<File, StackError> {
    let path = dir.join(name);
    OpenOptions::new().create(true).append(true).open(&path).map_err(io_err(format!("creating {}", path.display())))
}

/// The last lines of a log, formatted to append to an error message.
fn log_tail(dir: &Path, name: &str) -> String {
    let text = fs::read_to_string(dir.join(name)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(15)..];
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n--- {name} (last lines; all logs in {}) ---\n{}", dir.display(), tail.join("\n"))
    }
}

/// One stack per process at a time (see the module documentation).
struct ProcessSlot;

static SLOT: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

impl ProcessSlot {
    fn acquire() -> ProcessSlot {
        let (lock, cv) = &SLOT;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            busy = cv.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy = true;
        ProcessSlot
    }
}

impl Drop for ProcessSlot {
    fn drop(&mut self) {
        let (lock, cv) = &SLOT;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = false;
        cv.notify_one();
    }
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` so that the kernel kills it (SIGKILL) if this process dies without dropping
/// the stack (`PR_SET_PDEATHSIG`). The signal follows the death of the spawning *thread*, so
/// every spawn happens on one thread that lives as long as the process.
fn spawn_supervised(mut cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("cie-stack-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .ok()
            .map(|_| tx)
    });
    match spawner {
        Some(tx) => {
            let (reply_tx, reply_rx) = mpsc::channel();
            tx.send((cmd, reply_tx)).map_err(|_| io::Error::other("the spawner thread is gone"))?;
            reply_rx.recv().map_err(|_| io::Error::other("the spawner thread is gone"))?
        }
        None => cmd.spawn(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_log_lines_are_counted() {
        let status: Shared = Arc::default();
        let text = format!(
            "{LOG_CONNECTED} to 127.0.0.1:35963\n{LOG_READY} (ATR served)\nnoise\n{LOG_REMOVED} (PIN tries left 2)\n\
             {LOG_READY}\n{LOG_SCHEDULED} before APDU 7 from now\n{LOG_SCHEDULED}: none\n"
        );
        follow_sim_log(text.as_bytes(), None, status.clone());
        let s = status.0.lock().unwrap();
        assert_eq!((s.ready, s.removed, s.scheduled, s.exited), (2, 1, 2, true));
        assert_eq!(s.pin_tries, Some(2));
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = new_log_dir().unwrap();
        let body: String = (0..40).map(|i| format!("line {i}\n")).collect();
        fs::write(dir.join("x.log"), body).unwrap();
        let tail = log_tail(&dir, "x.log");
        assert!(tail.contains("line 39") && tail.contains("line 25"));
        assert!(!tail.contains("line 24\n"));
        assert_eq!(log_tail(&dir, "missing.log"), "");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn socket_link_is_stable_per_process() {
        assert_eq!(socket_link_path(), socket_link_path());
        assert!(socket_link_path().to_string_lossy().contains(&std::process::id().to_string()));
    }

    #[test]
    fn supervised_spawn_runs_commands() {
        let mut c = Command::new("true");
        c.stdin(Stdio::null());
        assert!(spawn_supervised(c).unwrap().wait().unwrap().success());
        let c = Command::new("false");
        assert!(!spawn_supervised(c).unwrap().wait().unwrap().success());
    }
}
