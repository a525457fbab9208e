//! Where cards come from: the pluggable [`Backend`] (DESIGN.md §2). Production uses
//! [`PcscBackend`] (the system's PC/SC service); tests and benches use [`InProcessBackend`],
//! whose readers connect to anything implementing [`Transport`] (the cie-sim card).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use cie_core::pcsc_backend::PcscTransport;
use cie_core::pcsc_monitor::{ReaderMonitor, ReaderSnapshot, WaitResult};
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

/// Opens a new connection to the card of a virtual reader.
pub type Connector = Box<dyn Fn() -> Result<Box<dyn Transport>, TransportError> + Send + Sync>;

struct VirtualReader {
    name: String,
    connector: Connector,
}

#[derive(Default)]
struct Shared {
    readers: Vec<Arc<VirtualReader>>,
    /// (present, events) per reader, same order.
    states: Vec<ReaderStatus>,
    /// Bumped on every change, so waiters notice.
    generation: u64,
}

/// An in-process backend for tests and benches: readers whose cards are whatever the
/// connectors return, inserted and removed through [`ReaderControl`].
#[derive(Clone, Default)]
pub struct InProcessBackend {
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

/// The test's hand on one reader of an [`InProcessBackend`].
#[derive(Clone)]
pub struct ReaderControl {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    index: usize,
}

impl InProcessBackend {
    /// A backend with no reader.
    pub fn new() -> InProcessBackend {
        InProcessBackend::default()
    }

    /// Adds a reader with a card inserted; `connector` opens a connection to that card.
    pub fn add_reader(
        &self,
        name: &str,
        connector: impl Fn() -> Result<Box<dyn Transport>, TransportError> + Send + Sync + 'static,
    ) -> ReaderControl {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        s.readers.push(Arc::new(VirtualReader { name: name.to_owned(), connector: Box::new(connector) }));
        s.states.push(ReaderStatus { present: true, events: 1 });
        s.generation += 1;
        cv.notify_all();
        ReaderControl { shared: self.shared.clone(), index: s.readers.len() - 1 }
    }

    fn find(&self, reader: &str) -> Option<(Arc<VirtualReader>, ReaderStatus)> {
        let s = lock(&self.shared.0);
        let i = s.readers.iter().position(|r| r.name == reader)?;
        Some((s.readers[i].clone(), s.states[i]))
    }
}

impl ReaderControl {
    /// The card leaves the reader (the connector's card should be removed too).
    pub fn remove(&self) {
        self.set(false);
    }

    /// A card enters the reader.
    pub fn insert(&self) {
        self.set(true);
    }

    fn set(&self, present: bool) {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        if let Some(st) = s.states.get_mut(self.index) {
            if st.present != present {
                st.present = present;
                st.events = st.events.wrapping_add(1);
            }
        }
        s.generation += 1;
        cv.notify_all();
    }
}

impl Backend for InProcessBackend {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        Ok(lock(&self.shared.0).readers.iter().map(|r| r.name.clone()).collect())
    }

    fn status(&self, reader: &str) -> Result<ReaderStatus, TransportError> {
        self.find(reader)
            .map(|(_, st)| st)
            .ok_or_else(|| TransportError::ReaderUnavailable(format!("{reader}: no such reader")))
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn Transport>, TransportError> {
        match self.find(reader) {
            None => Err(TransportError::ReaderUnavailable(format!("{reader}: no such reader"))),
            Some((_, st)) if !st.present => Err(TransportError::NoCard),
            Some((r, _)) => (r.connector)(),
        }
    }

    fn waiter(&self) -> Result<Arc<dyn EventWaiter>, TransportError> {
        Ok(Arc::new(InProcessWaiter { shared: self.shared.clone(), cancelled: AtomicBool::new(false) }))
    }
}

struct InProcessWaiter {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    cancelled: AtomicBool,
}

impl EventWaiter for InProcessWaiter {
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError> {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        loop {
            if self.cancelled.load(Ordering::SeqCst) {
                return Ok(WaitOutcome::Cancelled);
            }
            let stale = known.iter().any(|(name, k)| match s.readers.iter().position(|r| &r.name == name) {
                Some(i) => s.states[i] != *k,
                None => true,
            });
            if stale || s.readers.len() != known.len() {
                return Ok(WaitOutcome::Changed);
            }
            s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let (m, cv) = &*self.shared;
        let _guard = lock(m);
        cv.notify_all();
    }
}
