//! Finding the card: the first reader that holds a CIE, or the reader the user named.

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::Session;
use cie_core::transport::Counting;
use cie_core::{Error, TransportError};

use crate::failure::Failure;

/// A session through PC/SC, counting APDUs.
pub type CardSession = Session<Counting<PcscTransport>>;

/// Opens a session with the CIE in `reader`, or in the first reader that holds one.
pub fn open(reader: Option<&str>) -> Result<CardSession, Failure> {
    if let Some(name) = reader {
        return Ok(Session::open(Counting::new(PcscTransport::connect(name)?))?);
    }
    let readers = PcscTransport::list_readers()?;
    if readers.is_empty() {
        return Err(Failure::NoReader);
    }
    let mut last = None;
    for name in &readers {
        match PcscTransport::connect(name).map_err(Error::from).and_then(|t| Session::open(Counting::new(t))) {
            Ok(s) => return Ok(s),
            Err(e) => {
                tracing::debug!("{name}: {e}");
                last = Some(e);
            }
        }
    }
    Err(Failure::Card(match last {
        Some(Error::Transport(TransportError::NoCard)) | None => TransportError::NoCard.into(),
        Some(e) => e,
    }))
}
