//! The in-process backend of tests and benches: virtual readers whose cards are whatever the
//! connectors return (the cie-sim card). Not in the shipped module: compiled for this crate's
//! unit tests and with the `test-backend` feature only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use cie_core::{Transport, TransportError};

use super::source::{Backend, EventWaiter, ReaderStatus, WaitOutcome};
use crate::sync::{lock, wait};

/// Opens a new connection to the card of a virtual reader.
pub type Connector = Box<dyn Fn() -> Result<Box<dyn Transport>, TransportError> + Send + Sync>;

/// One virtual reader: its name and how to reach its card.
struct VirtualReader {
    name: String,
    connector: Connector,
}

/// The readers and their states, shared by the backend, its controls and its waiters.
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

/// A `C_WaitForSlotEvent` waiter woken by every change of [`Shared`].
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
            s = wait(cv, s);
        }
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let (m, cv) = &*self.shared;
        let _guard = lock(m);
        cv.notify_all();
    }
}
