//! What a source of readers and cards offers the module: the [`Backend`] trait, the
//! [`EventWaiter`] that blocks `C_WaitForSlotEvent`, and the reader state they report.

use std::sync::Arc;

use cie_core::{Transport, TransportError};

use crate::card::CardOps;

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
    /// No reader changed, but a token may have: look at the slots again (the card agent
    /// behind a token went away, which is no reader event).
    Recheck,
}

/// A source of readers and cards.
pub trait Backend: Send + Sync {
    /// The reader names now (none is an empty list).
    fn readers(&self) -> Result<Vec<String>, TransportError>;
    /// The state of one reader, without touching the card (no APDU).
    fn status(&self, reader: &str) -> Result<ReaderStatus, TransportError>;
    /// Connects to the card in `reader`.
    fn connect(&self, reader: &str) -> Result<Box<dyn Transport>, TransportError>;
    /// Opens the card in `reader` as operations served by another process (the card agent,
    /// DESIGN.md §8); `None`: this backend's cards are reached with [`Backend::connect`] and
    /// cie-core runs in this process.
    fn open_card(&self, _reader: &str) -> Option<cie_core::Result<Box<dyn CardOps>>> {
        None
    }
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
    /// changes, or [`EventWaiter::cancel`] is called (before or during the wait), or (the
    /// agent's waiter) the card agent ends.
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError>;
    /// Wakes the waiting thread; the waiter stays cancelled.
    fn cancel(&self);
}
