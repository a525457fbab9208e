//! Where cards come from: the pluggable [`Backend`] (DESIGN.md §2). Production uses
//! [`PcscBackend`] (the system's PC/SC service); tests and benches use the in-process backend
//! (`InProcessBackend`, compiled only for this crate's tests and with the `test-backend`
//! feature, which the dev-dependencies turn on: the shipped module does not contain it), whose
//! readers connect to anything implementing [`Transport`] (the cie-sim card).

use std::sync::{Arc, Mutex};

use cie_core::pcsc_backend::{PcscTransport, ReaderMonitor, ReaderSnapshot, WaitResult};
use cie_core::{Transport, TransportError};

use crate::module::lock;

/// The state of one reader, as far as slots are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReaderStatus {
    /// A card is in the reader.
    pub present: bool,
    /// A counter that changes on every insertion and removal (so a card swapped between two
    /// looks is still noticed).
    pub events: u32,
}

/// Why [`EventWaiter::wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Something changed: a card, or the list of readers.
    Changed,
    /// [`EventWaiter::cancel`] was called.
    Cancelled,
}

/// A source of readers and cards.
pub trait Backend: Send + Sync {
    /// The reader names now (none is an empty list).
    fn readers(&self) -> Result<Vec<String>, TransportError>;
    /// The state of one reader, without touching the card (no APDU).
    fn status(&self, reader: &str) -> Result<ReaderStatus, TransportError>;
    /// Connects to the card in `reader`.
    fn connect(&self, reader: &str) -> Result<Box<dyn Transport>, TransportError>;
    /// A new waiter for slot events (each blocking caller gets its own).
    fn waiter(&self) -> Result<Arc<dyn EventWaiter>, TransportError>;
    /// Releases what the backend keeps open between calls (`C_Finalize`: the PC/SC context
    /// goes back to the service, its socket is closed).
    fn release(&self) {}
    /// In a child process after `fork()`: forgets, without releasing, what the backend holds,
    /// because it belongs to the parent (releasing a PC/SC context or card handle here would
    /// release the parent's). The child's next call opens its own.
    fn forget_inherited(&self) {}
}

/// Blocks until readers change; cancellable from another thread (C_Finalize).
pub trait EventWaiter: Send + Sync {
    /// Blocks until the state of a reader in `known` differs from it, or the reader list
    /// changes, or [`EventWaiter::cancel`] is called (before or during the wait).
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError>;
    /// Wakes the waiting thread; the waiter stays cancelled.
    fn cancel(&self);
}

/// The PC/SC backend: readers of the system's PC/SC service (pcscd).
pub struct PcscBackend {
    /// Non-blocking queries share one context; re-established when pcscd restarts.
    monitor: Mutex<Option<ReaderMonitor>>,
}

impl PcscBackend {
    /// A backend that connects to pcscd lazily (no service now is not an error).
    pub fn new() -> PcscBackend {
        PcscBackend { monitor: Mutex::new(None) }
    }

    fn with_monitor<R>(&self, f: impl Fn(&ReaderMonitor) -> Result<R, TransportError>) -> Result<R, TransportError> {
        let mut guard = lock(&self.monitor);
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(ReaderMonitor::new()?);
            }
            let Some(monitor) = guard.as_ref() else { continue };
            match f(monitor) {
                // The context may be stale (pcscd restarted): retry once with a new one.
                Err(
                    TransportError::ReaderUnavailable(_)
                    | TransportError::ServiceUnavailable(_)
                    | TransportError::Other(_),
                ) if attempt == 0 => {
                    *guard = None;
                }
                other => return other,
            }
        }
        Err(TransportError::ServiceUnavailable("the PC/SC service (pcscd) is not available".into()))
    }
}

impl Default for PcscBackend {
    fn default() -> Self {
        PcscBackend::new()
    }
}

impl Backend for PcscBackend {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        self.with_monitor(|m| m.readers())
    }

    fn status(&self, reader: &str) -> Result<ReaderStatus, TransportError> {
        let snap = self.with_monitor(|m| m.snapshot(&[reader.to_owned()]))?;
        match snap.first() {
            Some(s) if s.attached => Ok(ReaderStatus { present: s.present, events: s.events }),
            _ => Err(TransportError::ReaderUnavailable(format!("{reader}: reader gone"))),
        }
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn Transport>, TransportError> {
        Ok(Box::new(PcscTransport::connect(reader)?))
    }

    fn waiter(&self) -> Result<Arc<dyn EventWaiter>, TransportError> {
        Ok(Arc::new(PcscWaiter(ReaderMonitor::new()?)))
    }

    fn release(&self) {
        lock(&self.monitor).take();
    }

    fn forget_inherited(&self) {
        if let Some(monitor) = lock(&self.monitor).take() {
            // The parent's context: leaked on purpose in the child (see the trait).
            std::mem::forget(monitor);
        }
    }
}

struct PcscWaiter(ReaderMonitor);

impl EventWaiter for PcscWaiter {
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError> {
        let known: Vec<ReaderSnapshot> = known
            .iter()
            .map(|(r, s)| ReaderSnapshot { reader: r.clone(), present: s.present, events: s.events, attached: true })
            .collect();
        match self.0.wait(&known, None)? {
            WaitResult::Cancelled => Ok(WaitOutcome::Cancelled),
            WaitResult::Changed | WaitResult::TimedOut => Ok(WaitOutcome::Changed),
        }
    }

    fn cancel(&self) {
        self.0.cancel();
    }
}

#[cfg(any(test, feature = "test-backend"))]
mod in_process;
#[cfg(any(test, feature = "test-backend"))]
pub use in_process::{Connector, InProcessBackend, ReaderControl};
