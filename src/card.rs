//! Finding the card: the first reader that holds a CIE, or the reader the user named.

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::Session;
use cie_core::transport::Counting;

use crate::failure::Failure;

/// A session through PC/SC, counting APDUs.
pub(crate) type CardSession = Session<Counting<PcscTransport>>;

/// Opens a session with the CIE in `reader`, or in the first reader that holds one (cie-core's
/// one search, the C API's too: when no reader holds a CIE, the most telling failure).
pub(crate) fn open(reader: Option<&str>) -> Result<CardSession, Failure> {
    match reader {
        Some(name) => Ok(Session::open(Counting::new(PcscTransport::connect(name)?))?),
        None => Ok(cie_core::open_first_cie_with(Counting::new)?),
    }
}
