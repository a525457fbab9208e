//! The card agent backend's `C_WaitForSlotEvent` waiter (DESIGN.md §8): readers through PC/SC,
//! as [`super::pcsc::PcscBackend`]'s, and, while this module instance has a card open through
//! the agent, the agent's end too. The agent's loss is no PC/SC event, so a connection of its
//! own to the agent (it sends nothing) is watched by a thread blocked in `poll`, which wakes the
//! PC/SC wait when the agent closes it. No timer: an idle process stays idle.

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cie_agent::AgentClient;
use cie_core::pcsc_backend::ReaderMonitor;
use cie_core::TransportError;

use super::pcsc::wait_readers;
use super::source::{EventWaiter, ReaderStatus, WaitOutcome};
use crate::sync::lock;

/// Waits for reader changes and for the agent's end.
pub(crate) struct AgentWaiter {
    /// The PC/SC wait; replaced after the watch cancelled it (a cancel is for good).
    monitor: Mutex<Arc<ReaderMonitor>>,
    /// The connection watched for the agent's end (`None`: nothing to watch, or it ended).
    watch: Mutex<Option<AgentClient>>,
    /// [`EventWaiter::cancel`] was called (`C_Finalize`).
    cancelled: AtomicBool,
}

impl AgentWaiter {
    /// A waiter over a new PC/SC context, watching `watch` (a connection to the agent that
    /// sends nothing) if given.
    pub(crate) fn new(watch: Option<AgentClient>) -> Result<AgentWaiter, TransportError> {
        Ok(AgentWaiter {
            monitor: Mutex::new(Arc::new(ReaderMonitor::new()?)),
            watch: Mutex::new(watch),
            cancelled: AtomicBool::new(false),
        })
    }
}

impl EventWaiter for AgentWaiter {
    /// Blocks until a reader differs from `known` ([`WaitOutcome::Changed`]), the agent closed
    /// the watched connection ([`WaitOutcome::Recheck`]: the slots find out which token it
    /// served) or [`EventWaiter::cancel`].
    fn wait(&self, known: &[(String, ReaderStatus)]) -> Result<WaitOutcome, TransportError> {
        if self.cancelled.load(Ordering::SeqCst) {
            return Ok(WaitOutcome::Cancelled);
        }
        let monitor = lock(&self.monitor).clone();
        let Some(watch) = lock(&self.watch).take() else {
            return wait_readers(&monitor, known);
        };
        let (stop, stopped) = UnixStream::pair().map_err(|e| TransportError::Other(format!("socket pair: {e}")))?;
        let agent_gone = AtomicBool::new(false);
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                if watch.wait_closed_or(&stopped) {
                    agent_gone.store(true, Ordering::SeqCst);
                    monitor.cancel();
                }
            });
            let result = wait_readers(&monitor, known);
            // Ends the watching thread if it is still watching (its `stopped` hangs up).
            drop(stop);
            result
        });
        if agent_gone.load(Ordering::SeqCst) {
            tracing::info!("card agent gone: looking at the slots again");
            // The watch cancelled this monitor for good: the next wait gets a new one.
            *lock(&self.monitor) = Arc::new(ReaderMonitor::new()?);
            if self.cancelled.load(Ordering::SeqCst) {
                return Ok(WaitOutcome::Cancelled);
            }
            return Ok(WaitOutcome::Recheck);
        }
        *lock(&self.watch) = Some(watch);
        result
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let monitor = lock(&self.monitor).clone();
        monitor.cancel();
    }
}
