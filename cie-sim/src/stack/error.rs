//! What can go wrong starting or driving a [`super::VirtualStack`].

use std::io;

/// Errors starting or driving a [`super::VirtualStack`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// A needed program or driver is not installed.
    #[error("{0} not installed: run `cargo xtask test` (it installs pcscd, vsmartcard-vpcd, iproute2 and the other test packages)")]
    NotInstalled(String),
    /// The simulator binary was not found.
    #[error("cie-sim binary not found ({0}): build it (`cargo build -p cie-sim`) or set CIE_SIM_BIN")]
    SimBinaryMissing(String),
    /// A step did not complete in time or a process died; the message includes its log.
    #[error("{0}")]
    Failed(String),
    /// An I/O error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: io::Error,
    },
}

/// Turns an I/O error into [`StackError::Io`] saying what was being done.
pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> StackError {
    let context = context.into();
    move |source| StackError::Io { context, source }
}
