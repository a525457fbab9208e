//! Where cards come from: the pluggable [`Backend`] (DESIGN.md §2). Production uses
//! [`AgentBackend`] when the user's card agent answers at `C_Initialize` (card operations
//! through the agent, DESIGN.md §8) and [`PcscBackend`] (the system's PC/SC service, cie-core
//! in this process) otherwise; tests and benches use the in-process backend
//! (`InProcessBackend`, compiled only for this crate's tests and with the `test-backend`
//! feature, which the dev-dependencies turn on: the shipped module does not contain it), whose
//! readers connect to anything implementing [`cie_core::Transport`] (the cie-sim card).

mod agent;
mod agent_waiter;
#[cfg(any(test, feature = "test-backend"))]
mod in_process;
mod pcsc;
mod source;

pub use agent::AgentBackend;
#[cfg(any(test, feature = "test-backend"))]
pub use in_process::{Connector, InProcessBackend, ReaderControl};
pub use pcsc::PcscBackend;
pub use source::{Backend, EventWaiter, ReaderStatus, WaitOutcome};
