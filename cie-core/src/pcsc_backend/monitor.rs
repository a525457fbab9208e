//! Watching PC/SC readers for card insertion and removal without connecting to the card.
//! Used by the PKCS#11 module for slot state and `C_WaitForSlotEvent`, and by the C API's
//! `cie_waiter`.
//!
//! A [`ReaderMonitor`] owns one PC/SC context. [`ReaderMonitor::snapshot`] reads the readers'
//! states without blocking (`SCardGetStatusChange` with a zero timeout, no APDU);
//! [`ReaderMonitor::wait`] blocks until a card is inserted or removed, a reader appears or
//! disappears, or another thread calls [`ReaderMonitor::cancel`] (`SCardCancel`). pcsc-lite
//! serialises calls on one context, so a monitor that waits should not also serve snapshots to
//! other threads: give each waiter its own monitor.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pcsc::{Context, ReaderState, Scope, State, PNP_NOTIFICATION};

use super::diagnosis::map_error;
use crate::transport::TransportError;

/// The state of one reader at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderSnapshot {
    /// The PC/SC reader name.
    pub reader: String,
    /// A responsive card is in the reader.
    pub present: bool,
    /// pcsc-lite's per-reader event counter (incremented on every insertion and removal), so a
    /// removal followed by a new insertion between two snapshots is still seen as a change.
    pub events: u32,
    /// The reader is known to the PC/SC service.
    pub attached: bool,
}

/// Why [`ReaderMonitor::wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// A card was inserted or removed, or the list of readers changed.
    Changed,
    /// The timeout passed without a change.
    TimedOut,
    /// [`ReaderMonitor::cancel`] was called.
    Cancelled,
}

/// One PC/SC context used to watch readers.
pub struct ReaderMonitor {
    ctx: Context,
    cancelled: AtomicBool,
    /// A thread is inside [`ReaderMonitor::wait`].
    waiting: AtomicBool,
}

/// How often [`ReaderMonitor::cancel`] repeats `SCardCancel` while a waiter has not left yet
/// (pcsc-lite forgets a cancel that arrives before the blocking call), and for how long.
const CANCEL_RETRY: Duration = Duration::from_millis(5);
const CANCEL_FOR: Duration = Duration::from_secs(2);

/// pcsc-lite's `PCSCLITE_MAX_READERS_CONTEXTS`: the most readers, and the most reader states
/// one `SCardGetStatusChange` accepts.
pub const MAX_READERS: usize = 16;

impl ReaderMonitor {
    /// Establishes a PC/SC context. Fails with [`TransportError::ReaderUnavailable`] when the
    /// PC/SC service is not running.
    pub fn new() -> Result<ReaderMonitor, TransportError> {
        let ctx = Context::establish(Scope::User).map_err(|e| map_error(e, "PC/SC"))?;
        Ok(ReaderMonitor { ctx, cancelled: AtomicBool::new(false), waiting: AtomicBool::new(false) })
    }

    /// The reader names now; no reader is an empty list, not an error.
    pub fn readers(&self) -> Result<Vec<String>, TransportError> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(map_error(e, "PC/SC")),
        }
    }

    /// The state of `readers` now, without blocking and without touching the cards.
    pub fn snapshot(&self, readers: &[String]) -> Result<Vec<ReaderSnapshot>, TransportError> {
        if readers.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = reader_states(readers)?;
        self.ctx.get_status_change(Duration::ZERO, &mut states).map_err(|e| map_error(e, "PC/SC"))?;
        Ok(readers.iter().zip(&states).map(|(name, s)| snapshot_of(name, s)).collect())
    }

    /// Blocks until the state of a reader differs from `known` (a card inserted or removed, a
    /// reader gone), a reader is added or removed, `timeout` passes (`None`: no timeout) or
    /// [`ReaderMonitor::cancel`] is called. Returns at once when `known` is already stale.
    /// Without a timeout it blocks in pcscd with no timer at all (no periodic wake-up).
    pub fn wait(&self, known: &[ReaderSnapshot], timeout: Option<Duration>) -> Result<WaitResult, TransportError> {
        self.waiting.store(true, Ordering::SeqCst);
        let result = self.wait_blocking(known, timeout);
        self.waiting.store(false, Ordering::SeqCst);
        result
    }

    fn wait_blocking(&self, known: &[ReaderSnapshot], timeout: Option<Duration>) -> Result<WaitResult, TransportError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let names: Vec<String> = known.iter().map(|k| k.reader.clone()).collect();
        let mut states = reader_states(&names)?;
        // pcsc-lite takes at most PCSCLITE_MAX_READERS_CONTEXTS states per call. With that many
        // readers known no reader can be added, and a removed one shows in its own state, so
        // the PnP pseudo-reader is only watched below the limit.
        let pnp = names.len() < MAX_READERS;
        if pnp {
            states.push(ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE));
        }
        // First pass: learn the current states (and the PnP counter) without blocking.
        self.ctx.get_status_change(Duration::ZERO, &mut states).map_err(|e| map_error(e, "PC/SC"))?;
        if differs(known, &states) {
            return Ok(WaitResult::Changed);
        }
        loop {
            if self.cancelled.load(Ordering::SeqCst) {
                return Ok(WaitResult::Cancelled);
            }
            let slice = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(WaitResult::TimedOut);
                    }
                    Some(left)
                }
                None => None,
            };
            for s in states.iter_mut() {
                s.sync_current_state();
            }
            match self.ctx.get_status_change(slice, &mut states) {
                Ok(()) => {
                    let pnp_changed = pnp && states.last().is_some_and(|s| s.event_state().contains(State::CHANGED));
                    if pnp_changed || differs(known, &states) {
                        return Ok(WaitResult::Changed);
                    }
                }
                Err(pcsc::Error::Timeout) => {}
                Err(pcsc::Error::Cancelled) => return Ok(WaitResult::Cancelled),
                Err(e) => return Err(map_error(e, "PC/SC")),
            }
        }
    }

    /// Wakes a thread blocked in [`ReaderMonitor::wait`] (now or later: the monitor stays
    /// cancelled).
    /// `SCardCancel` only wakes a call already blocked in pcscd, so while a waiter has not left
    /// it is repeated (every 5 ms, for at most 2 s): a waiter between its check of the flag and
    /// the blocking call is still woken.
    ///
    /// The monitor is used until this call returns, after the woken thread has left its wait:
    /// when that thread owns the monitor and may drop it once woken, share it as an
    /// `Arc<ReaderMonitor>` and cancel through a clone held for the whole call.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let start = Instant::now();
        loop {
            let _ = self.ctx.cancel();
            if !self.waiting.load(Ordering::SeqCst) || start.elapsed() > CANCEL_FOR {
                return;
            }
            std::thread::sleep(CANCEL_RETRY);
        }
    }
}

fn reader_states(readers: &[String]) -> Result<Vec<ReaderState>, TransportError> {
    readers
        .iter()
        .map(|r| {
            CString::new(r.as_str())
                .map(|name| ReaderState::new(name, State::UNAWARE))
                .map_err(|_| TransportError::ReaderUnavailable(format!("invalid reader name {r:?}")))
        })
        .collect()
}

fn snapshot_of(name: &str, s: &ReaderState) -> ReaderSnapshot {
    let ev = s.event_state();
    let attached = !ev.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE);
    ReaderSnapshot {
        reader: name.to_owned(),
        present: attached && ev.contains(State::PRESENT) && !ev.contains(State::MUTE),
        events: s.event_count(),
        attached,
    }
}

/// True when a reader's state in `states` differs from `known` (same order; extra entries,
/// such as the PnP pseudo-reader, are ignored).
fn differs(known: &[ReaderSnapshot], states: &[ReaderState]) -> bool {
    known.iter().zip(states).any(|(k, s)| {
        let now = snapshot_of(&k.reader, s);
        now.present != k.present || now.attached != k.attached || (now.present && now.events != k.events)
    })
}
