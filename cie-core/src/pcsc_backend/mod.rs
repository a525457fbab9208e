//! The PC/SC backend (feature `pcsc`): a [`Transport`](crate::transport::Transport) over one
//! reader through the system's PC/SC service (pcsc-lite's `pcscd` on Linux), built on the
//! `pcsc` crate, and a monitor of the readers.
//!
//! Its files: `diagnosis` (what a PC/SC error really means: removal, reset, service gone;
//! [`map_error`]), `quirks` (the reader-quirk table, [`quirks`]), `transport`
//! ([`PcscTransport`], which uses both) and `monitor` ([`ReaderMonitor`]: insertions and
//! removals without touching the card, which uses `diagnosis`).

mod diagnosis;
mod monitor;
mod quirks;
mod transport;

pub use diagnosis::map_error;
pub use monitor::{ReaderMonitor, ReaderSnapshot, WaitResult, MAX_READERS};
pub use quirks::{quirks, ReaderQuirks};
pub use transport::PcscTransport;
