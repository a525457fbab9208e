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
//! ([`Status::Ready`](crate::control::Status::Ready): vpcd's power-on followed by the ATR
//! request), and another when a removal has been seen by vpcd
//! ([`Status::Removed`](crate::control::Status::Removed): the simulator leaves one of pcscd's
//! presence polls unanswered). pcscd updates the reader state right after either, so the stack waits for the
//! line and a short settling time; no PC/SC client library is needed for it.
//!
//! What else it can start, for tests of what clients say about a broken chain: pcscd with no
//! reader at all ([`StackOptions::readers`] = 0: an empty reader configuration, no simulator),
//! and a card that is not a CIE ([`StackOptions::foreign_kind`]: `cie-sim --foreign KIND`), with
//! any ATR ([`StackOptions::atr`]). [`VirtualStack::counts`] tells how many PIN commands the
//! card received.
//!
//! Privileges: as root the namespaces are created directly (`unshare -m -n`). Any other user
//! gets them inside a new user namespace (`unshare -r -m -n`, where the user is root of the
//! namespace only), which Debian and Ubuntu allow by default; where the system forbids
//! unprivileged user namespaces, [`VirtualStack::start`] says which setting to change.
//! Needs the packages `pcscd`, `vsmartcard-vpcd` and `iproute2` (`cargo xtask demo` and
//! `cargo xtask test` install them). Every process the stack starts is stopped by its PID on
//! drop, and is also killed by the kernel if this process dies first.
//!
//! Files: this one is the API ([`VirtualStack`]); `options` says what to start and `error`
//! what went wrong; `card` is one simulator process with its control channel
//! ([`crate::control`]), `pcscd` pcscd's reader configuration, readers' names, daemon and socket,
//! `namespace` the namespaces and the privileges they take, `process` finding, starting
//! (supervised) and stopping programs, `logs` the log directory. Imports point one way:
//! `mod` → {`card`, `pcscd`} → `namespace` → {`process`, `logs`} → `error`; `options` stands
//! alone; `mod` → `agent` (a `cie agent` process over the stack).

use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread;
use std::time::Duration;

mod agent;
mod card;
mod error;
mod logs;
mod namespace;
mod options;
mod pcscd;
mod process;

pub use agent::{agent_socket, private_runtime_dir, AgentProcess};
use card::{SimStatus, StackCard, WaitEnd};
pub use error::StackError;
use logs::log_tail;
pub use namespace::is_root;
pub use options::{default_sim_binary, StackOptions, MAX_READERS};
use pcscd::ProcessSlot;
use process::stop_child;

use crate::card::SignFault;
use crate::control::{Control, Counts};
use crate::vpcd::VPCD_READER;

/// Packages the stack needs at run time (Debian names).
pub const RUNTIME_PACKAGES: &[&str] = &["pcscd", "vsmartcard-vpcd", "iproute2"];

/// After a ready/removed line, time for pcscd to publish the new reader state.
const SETTLE: Duration = Duration::from_millis(100);

/// A running isolated pcscd + vpcd + cie-sim stack. Dropping it stops everything it started.
///
/// A stack started with [`StackOptions::readers`] = 0 runs pcscd alone, with no reader at all
/// (for tests of what clients say then): [`VirtualStack::readers`] is 0, and every operation on
/// a card ([`VirtualStack::remove_card`], [`VirtualStack::send_control`], ...) returns an error.
pub struct VirtualStack {
    /// The cards, one per reader, in reader order (empty with no reader).
    cards: Vec<StackCard>,
    holder: Child,
    pcscd: Child,
    log_dir: PathBuf,
    socket_link: PathBuf,
    socket_target: PathBuf,
    timeout: Duration,
    _slot: ProcessSlot,
}

impl VirtualStack {
    /// Starts a stack and waits until the card is present in [`VPCD_READER`] (and the others in
    /// theirs); with [`StackOptions::readers`] = 0, until pcscd listens, with no reader.
    pub fn start(options: StackOptions) -> Result<VirtualStack, StackError> {
        let timeout = options.timeout.unwrap_or(Duration::from_secs(15));
        process::check_installed()?;
        let sim_binary = match &options.sim_binary {
            Some(p) => p.clone(),
            None => default_sim_binary()
                .ok_or_else(|| StackError::SimBinaryMissing("not next to the current executable".into()))?,
        };
        if !sim_binary.is_file() {
            return Err(StackError::SimBinaryMissing(sim_binary.display().to_string()));
        }
        let readers = options.readers;
        if readers > MAX_READERS {
            return Err(StackError::Failed(format!("at most {MAX_READERS} readers, not {readers}")));
        }
        let slot = ProcessSlot::acquire();
        let log_dir = logs::new_log_dir()?;
        // None or several readers: pcscd reads a reader.conf of ours (bind-mounted in the
        // namespace); one: the vpcd package's own.
        let conf_mount = if readers != 1 { pcscd::reader_conf(&log_dir, readers)? } else { String::new() };

        // 1. The namespace holder: private mounts (tmpfs on /run/pcscd) and network (lo up).
        let mut holder = namespace::create(&conf_mount, &log_dir, timeout)?;
        let ns = holder.id();

        // 2. pcscd inside it, logging every APDU; clients reach it through a link of ours.
        let (mut pcscd, socket_target) = match pcscd::start(ns, &log_dir, timeout) {
            Ok(started) => started,
            Err(e) => {
                stop_child(&mut holder, false);
                return Err(e);
            }
        };
        let socket_link = match pcscd::link_socket(&socket_target) {
            Ok(link) => link,
            Err(e) => {
                stop_child(&mut pcscd, true);
                stop_child(&mut holder, false);
                return Err(e);
            }
        };

        // 3. The cards, on the namespace's loopback: card k on vpcd's port VPCD_PORT + k.
        let sim_args = options.sim_args();
        let mut cards = Vec::with_capacity(readers);
        for k in 0..readers {
            match StackCard::spawn(ns, k, &sim_binary, &sim_args, &log_dir) {
                Ok(card) => cards.push(card),
                Err(e) => {
                    for mut c in cards {
                        c.kill();
                    }
                    stop_child(&mut pcscd, true);
                    stop_child(&mut holder, false);
                    return Err(e);
                }
            }
        }

        let mut stack =
            VirtualStack { cards, holder, pcscd, log_dir, socket_link, socket_target, timeout, _slot: slot };
        for k in 0..readers {
            let what = if k == 0 {
                "the simulated card did not become ready"
            } else {
                "a simulated card did not become ready"
            };
            stack.wait_card(k, |s| s.ready >= 1, what)?;
        }
        Ok(stack)
    }

    /// How many readers (each with its own card) the stack serves; 0 for pcscd alone.
    pub fn readers(&self) -> usize {
        self.cards.len()
    }

    /// The PC/SC name of reader `k` (0-based; see [`VirtualStack::readers`]).
    pub fn reader_name_at(&self, k: usize) -> String {
        pcscd::reader_name(k)
    }

    /// Removes the card of reader `k` and waits until pcscd has noticed.
    pub fn remove_card_at(&mut self, k: usize) -> Result<(), StackError> {
        let before = self.card(k)?.count(|s| s.removed);
        self.send_control_at(k, Control::Remove)?;
        self.wait_card(k, |s| s.removed > before, "pcscd did not notice the card removal")
    }

    /// Inserts the card of reader `k` again and waits until pcscd has powered it.
    pub fn insert_card_at(&mut self, k: usize) -> Result<(), StackError> {
        let before = self.card(k)?.count(|s| s.ready);
        self.send_control_at(k, Control::Insert)?;
        self.wait_card(k, |s| s.ready > before, "the reinserted card did not become ready")
    }

    /// The value for `PCSCLITE_CSOCK_NAME`: where PC/SC clients reach this stack's pcscd.
    pub fn socket_path(&self) -> &Path {
        &self.socket_link
    }

    /// Starts `cie agent ARGS` (the binary `cie`, run through `wrapper` when it is not empty: a
    /// program and its arguments that exec the rest) with `run` as its `$XDG_RUNTIME_DIR`,
    /// reaching this stack's pcscd; waits (at most 20 s) until its socket accepts a connection.
    /// An agent that exits first is an error naming its status. Killed and reaped on drop.
    pub fn start_agent(
        &self,
        cie: &Path,
        run: &Path,
        wrapper: &[&str],
        args: &[&str],
    ) -> std::io::Result<AgentProcess> {
        agent::start(cie, self.socket_path(), run, wrapper, args)
    }

    /// The PC/SC name of the reader holding the simulated card (the first reader; with no
    /// reader, the name it would have).
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
        self.remove_card_at(0)
    }

    /// Inserts the card again and waits until pcscd has powered it.
    pub fn insert_card(&mut self) -> Result<(), StackError> {
        self.insert_card_at(0)
    }

    /// Makes every following holder-key signature of the card faulty as `fault` says
    /// ([`SignFault::None`]: correct again), and waits until the simulator has applied it.
    pub fn set_sign_fault(&mut self, fault: SignFault) -> Result<(), StackError> {
        let before = self.card(0)?.count(|s| s.sign_faults);
        self.send_control(Control::SignFault(fault))?;
        self.wait_card(0, |s| s.sign_faults > before, "the simulator did not acknowledge the signature fault")
    }

    /// Schedules a removal of the card when the `n`-th APDU from now reaches it (before the
    /// card sees it: pulled while the reader sends the command), and waits until the simulator
    /// has taken the order. See [`VirtualStack::removals`] and [`VirtualStack::wait_removed`].
    pub fn remove_card_before_apdu(&mut self, n: u64) -> Result<(), StackError> {
        let before = self.card(0)?.count(|s| s.scheduled);
        self.send_control(Control::RemoveBefore(n))?;
        self.wait_card(0, |s| s.scheduled > before, "the simulator did not schedule the removal")
    }

    /// Drops a removal scheduled with [`VirtualStack::remove_card_before_apdu`] that has not
    /// happened (the operation needed fewer APDUs).
    pub fn cancel_scheduled_removal(&mut self) -> Result<(), StackError> {
        let before = self.card(0)?.count(|s| s.scheduled);
        self.send_control(Control::RemoveCancel)?;
        self.wait_card(0, |s| s.scheduled > before, "the simulator did not cancel the removal")
    }

    /// What the card of the first reader has received so far: its APDUs and, of them, the
    /// PIN commands (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER), asked of the simulator
    /// with [`Control::Counts`] and waited for.
    pub fn counts(&mut self) -> Result<Counts, StackError> {
        let before = self.card(0)?.count(|s| s.counts_answers);
        self.send_control(Control::Counts)?;
        self.wait_card(0, |s| s.counts_answers > before, "the simulator did not report its counts")?;
        self.card(0)?
            .count(|s| s.counts)
            .ok_or_else(|| StackError::Failed("the simulator's counts line was not readable".into()))
    }

    /// How many removals vpcd has noticed so far (0 with no reader).
    pub fn removals(&self) -> u64 {
        self.cards.first().map_or(0, |c| c.count(|s| s.removed))
    }

    /// The card's PIN tries left, as the simulator reported them with its last removal (none
    /// with no reader or a card that is not a CIE).
    pub fn pin_tries_at_last_removal(&self) -> Option<u8> {
        self.cards.first().and_then(|c| c.count(|s| s.pin_tries))
    }

    /// Waits until more than `seen` removals have been noticed (see [`VirtualStack::removals`]).
    pub fn wait_removed(&mut self, seen: u64) -> Result<(), StackError> {
        self.wait_card(0, |s| s.removed > seen, "pcscd did not notice the card removal")
    }

    /// Stops pcscd abruptly (SIGKILL), as when the service crashes or is stopped in the middle
    /// of a command; the card and the namespace stay. For tests of what clients report then.
    pub fn kill_pcscd(&mut self) {
        stop_child(&mut self.pcscd, false);
    }

    /// Sends a control line to the simulator's standard input ([`Control::Remove`],
    /// [`Control::Insert`], ...; see `cie-sim --help`) without waiting for its effect.
    pub fn send_control(&mut self, control: Control) -> Result<(), StackError> {
        self.send_control_at(0, control)
    }

    fn card(&self, k: usize) -> Result<&StackCard, StackError> {
        self.cards.get(k).ok_or_else(|| StackError::Failed(format!("no reader {k} in this stack")))
    }

    fn send_control_at(&mut self, k: usize, control: Control) -> Result<(), StackError> {
        let card = self.cards.get_mut(k).ok_or_else(|| StackError::Failed(format!("no reader {k}")))?;
        card.send(control)
    }

    /// Waits until `done` holds for card `k`'s status, then lets pcscd settle; on failure the
    /// error says `what` (for reader `k` > 0, which reader) with the logs' last lines.
    fn wait_card(&mut self, k: usize, done: impl Fn(&SimStatus) -> bool, what: &str) -> Result<(), StackError> {
        let waited = self.card(k)?.wait(done, self.timeout);
        let what = if k == 0 { what.to_owned() } else { format!("reader {k}: {what}") };
        match waited {
            Ok(()) => {
                thread::sleep(SETTLE);
                Ok(())
            }
            Err(WaitEnd::Poisoned) => Err(StackError::Failed("status lock poisoned".into())),
            Err(WaitEnd::Exited) => Err(self.failure(k, &format!("{what}: the simulator exited"))),
            Err(WaitEnd::Timeout) => Err(self.failure(k, &format!("{what} within {:?}", self.timeout))),
        }
    }

    /// A failure of card `k`, with the last lines of its log and pcscd's.
    fn failure(&self, k: usize, what: &str) -> StackError {
        StackError::Failed(format!(
            "{what}{}{}",
            log_tail(&self.log_dir, &card::log_name(k)),
            log_tail(&self.log_dir, "pcscd.log")
        ))
    }
}

impl Drop for VirtualStack {
    fn drop(&mut self) {
        // The cards first (vpcd sees them removed), then pcscd, then the namespace.
        for card in &mut self.cards {
            card.ask_to_quit();
        }
        for card in &mut self.cards {
            card.stop();
        }
        stop_child(&mut self.pcscd, true);
        stop_child(&mut self.holder, false);
        pcscd::unlink_socket(&self.socket_link, &self.socket_target);
        if thread::panicking() || std::env::var_os("CIE_STACK_KEEP_LOGS").is_some() {
            eprintln!("virtual PC/SC stack logs kept in {}", self.log_dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.log_dir);
        }
    }
}
