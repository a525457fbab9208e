//! The production backend: the readers of the system's PC/SC service (pcscd), through
//! cie-core's PC/SC transport and reader monitor.

use std::sync::{Arc, Mutex};

use cie_core::pcsc_backend::{PcscTransport, ReaderMonitor, ReaderSnapshot, WaitResult};
use cie_core::{Transport, TransportError};

use super::source::{Backend, EventWaiter, ReaderStatus, WaitOutcome};
use crate::sync::lock;

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

/// A `C_WaitForSlotEvent` waiter with its own PC/SC context (cancelled by `SCardCancel`).
struct PcscWaiter(ReaderMonitor);

impl EventWaiter for PcscWaiter {
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError> {
        wait_readers(&self.0, known)
    }

    fn cancel(&self) {
        self.0.cancel();
    }
}

/// Blocks on `monitor` until a reader differs from `known`, the reader list changes or the
/// monitor is cancelled (the PC/SC part of every backend's waiter).
pub(super) fn wait_readers(
    monitor: &ReaderMonitor,
    known: &[(String, ReaderStatus)],
) -> Result<WaitOutcome, TransportError> {
    let known: Vec<ReaderSnapshot> = known
        .iter()
        .map(|(r, s)| ReaderSnapshot { reader: r.clone(), present: s.present, events: s.events, attached: true })
        .collect();
    match monitor.wait(&known, None)? {
        WaitResult::Cancelled => Ok(WaitOutcome::Cancelled),
        WaitResult::Changed | WaitResult::TimedOut => Ok(WaitOutcome::Changed),
    }
}
