//! Opening the first PC/SC reader that holds a CIE (feature `pcsc`): the one search the `cie`
//! tool and the C API (`cie_card_open(NULL)`) share, above the session.

use crate::error::{Error, Result};
use crate::pcsc_backend::PcscTransport;
use crate::session::Session;
use crate::transport::{Transport, TransportError};

/// Opens a session with the first CIE found: each reader in turn (PC/SC order), the first
/// holding a CIE wins. The one-call start:
///
/// ```no_run
/// let mut session = cie_core::open_first_cie()?;
/// println!("NIS {}", session.nis());
/// # Ok::<(), cie_core::Error>(())
/// ```
///
/// When no reader holds a CIE, the most telling failure is returned: a card that is not a
/// CIE, a reader or service error, else [`TransportError::NoCard`]; no reader at all is
/// [`TransportError::ReaderUnavailable`]. Blocks on PC/SC and card I/O.
pub fn open_first_cie() -> Result<Session<PcscTransport>> {
    open_first_cie_with(|transport| transport)
}

/// [`open_first_cie`] with each reader's connection passed through `wrap` before the session
/// opens on it, e.g. [`Counting::new`](crate::transport::Counting::new) to count and trace the
/// APDUs, or a box for a `Session<Box<dyn Transport>>`.
pub fn open_first_cie_with<T: Transport>(mut wrap: impl FnMut(PcscTransport) -> T) -> Result<Session<T>> {
    let mut failure: Option<Error> = None;
    for name in PcscTransport::list_readers()? {
        let attempt = PcscTransport::connect(&name).map_err(Error::from).and_then(|t| Session::open(wrap(t)));
        match attempt {
            Ok(session) => return Ok(session),
            Err(e) => {
                tracing::debug!(target: "cie::pcsc", "{name}: {e}");
                let no_card = matches!(e, Error::Transport(TransportError::NoCard | TransportError::CardRemoved));
                if failure.is_none() || !no_card {
                    failure = Some(e);
                }
            }
        }
    }
    Err(match failure {
        Some(Error::Transport(TransportError::CardRemoved)) | None => TransportError::NoCard.into(),
        Some(e) => e,
    })
}
