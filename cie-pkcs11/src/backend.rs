//! Where cards come from: the pluggable [`Backend`] (DESIGN.md §2). Production uses
//! [`PcscBackend`] (the system's PC/SC service); tests and benches use the in-process backend
//! (`InProcessBackend`, compiled only for this crate's tests and with the `test-backend`
//! feature, which the dev-dependencies turn on: the shipped module does not contain it), whose
//! readers connect to anything implementing [`cie_core::Transport`] (the cie-sim card).

#[cfg(any(test, feature = "test-backend"))]
mod in_process;
mod pcsc;
mod source;

#[cfg(any(test, feature = "test-backend"))]
pub use in_process::{Connector, InProcessBackend, ReaderControl};
pub use pcsc::PcscBackend;
pub use source::{Backend, EventWaiter, ReaderStatus, WaitOutcome};
