//! The errors of document signing and verification.

/// What went wrong while signing, verifying or extracting a document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The card (or another [`crate::Signer`]) failed.
    #[error(transparent)]
    Card(#[from] cie_core::Error),
    /// Reading the input or writing the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The input is not a CMS SignedData (`.p7m`) this crate can read.
    #[error("not a readable CMS signature: {0}")]
    Cms(String),
    /// The input is not a PDF this crate can sign or check.
    #[error("PDF: {0}")]
    Pdf(String),
    /// A certificate could not be read.
    #[error("certificate: {0}")]
    Certificate(String),
    /// Content was given for a signature that carries its own, and the two differ.
    #[error("{0}")]
    ContentMismatch(String),
    /// The input exceeds what a verification reads (signers, certificates, fields, revisions,
    /// nesting): refused rather than let a hostile document exhaust the machine.
    #[error("{0}")]
    Limit(String),
    /// The request cannot be met (an encrypted PDF, a detached signature without its content...).
    #[error("{0}")]
    Unsupported(String),
}

impl From<der::Error> for Error {
    fn from(e: der::Error) -> Self {
        Error::Cms(e.to_string())
    }
}

impl From<lopdf::Error> for Error {
    fn from(e: lopdf::Error) -> Self {
        Error::Pdf(e.to_string())
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
