//! [`PcscTransport`]: a [`Transport`] over one reader through the PC/SC service.
//!
//! Every operation runs inside one exclusive PC/SC transaction (DESIGN.md §3); the connection is
//! shared, so other applications can use the card between our operations. The ATR is read with
//! `SCardStatus`, which every reader driver supports (vpcd, for one, has no
//! `SCARD_ATTR_ATR_STRING`). Disconnecting always leaves the card as it is: the `pcsc` crate's own
//! `Drop` would reset it and wipe another application's secure channel and PIN status.

use std::ffi::CString;

use pcsc::{Card, Context, Disposition, ShareMode};

use super::diagnosis::{card_gone, diagnose, establish, insertion_changed, insertion_counter, map_error, PROTOCOLS};
use super::quirks::{is_extended, quirks, ReaderQuirks};
use crate::transport::{Link, Transport, TransportError};

/// A connection to the card in one PC/SC reader.
pub struct PcscTransport {
    /// Always `Some` until [`PcscTransport::close`] or drop.
    card: Option<Card>,
    /// The context the card was connected through, to read the reader's state after an error.
    ctx: Context,
    reader: String,
    quirks: ReaderQuirks,
    /// The reader's insertion counter when the card was connected (`None`: unknown): a card
    /// found under another counter was removed and put back, whatever the old handle says.
    insertion: Option<u32>,
}

impl PcscTransport {
    /// The names of the PC/SC readers present now. No reader, or no PC/SC service, is an error
    /// ([`TransportError::ReaderUnavailable`]) with a message a user can act on.
    pub fn list_readers() -> Result<Vec<String>, TransportError> {
        let ctx = establish()?;
        let names = ctx.list_readers_owned().map_err(|e| match e {
            pcsc::Error::NoReadersAvailable => TransportError::ReaderUnavailable("no smart-card reader found".into()),
            other => map_error(other, "PC/SC"),
        })?;
        if names.is_empty() {
            return Err(TransportError::ReaderUnavailable("no smart-card reader found".into()));
        }
        Ok(names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect())
    }

    /// Connects to the card in `reader` (shared mode, T=1 or T=0).
    pub fn connect(reader: &str) -> Result<PcscTransport, TransportError> {
        let ctx = establish()?;
        let name = CString::new(reader)
            .map_err(|_| TransportError::ReaderUnavailable(format!("invalid reader name {reader:?}")))?;
        let card = ctx.connect(&name, ShareMode::Shared, PROTOCOLS).map_err(|e| match e {
            pcsc::Error::RemovedCard => TransportError::NoCard,
            other => map_error(other, reader),
        })?;
        let insertion = insertion_counter(&ctx, reader);
        Ok(PcscTransport { card: Some(card), ctx, reader: reader.to_owned(), quirks: quirks(reader), insertion })
    }

    /// The quirks applied to this reader.
    pub fn quirks(&self) -> ReaderQuirks {
        self.quirks
    }

    /// The reader name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Disconnects, leaving the card as it is (no reset). Dropping does the same.
    pub fn close(mut self) -> Result<(), TransportError> {
        self.disconnect()
    }

    fn disconnect(&mut self) -> Result<(), TransportError> {
        match self.card.take() {
            None => Ok(()),
            // On failure the handle is dropped anyway: the crate's Drop then tries a reset
            // disconnect, which only matters if the card is still there and the first call
            // failed for a transient reason; there is nothing better to do with it.
            Some(card) => card.disconnect(Disposition::LeaveCard).map_err(|(_, e)| map_error(e, &self.reader)),
        }
    }

    fn card_mut(&mut self) -> Result<(&Context, &mut Card), TransportError> {
        match self.card.as_mut() {
            Some(card) => Ok((&self.ctx, card)),
            None => Err(TransportError::Other("connection closed".into())),
        }
    }
}

impl Drop for PcscTransport {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

impl Transport for PcscTransport {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let quirks = self.quirks;
        let reader = self.reader.clone();
        let insertion = self.insertion;
        let (ctx, card) = self.card_mut()?;
        match card.transaction2() {
            // pcsc-lite may start a transaction on the handle of a card that was removed and
            // put back since: the reader's counter tells (one local call, no APDU).
            Ok(_) if insertion_changed(ctx, &reader, insertion) => {
                tracing::debug!(target: "cie::pcsc", "{reader}: the card was removed and put back");
                Err(TransportError::CardRemoved)
            }
            Ok(tx) => Ok(Box::new(PcscLink { tx, ctx, reader, insertion, quirks, buf: vec![0; RECV_BUF] })),
            Err((card, e)) => Err(diagnose(ctx, card, &reader, insertion, e)),
        }
    }

    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        let reader = self.reader.clone();
        let insertion = self.insertion;
        let (ctx, card) = self.card_mut()?;
        match card.status2_owned() {
            Ok(status) => Ok(status.atr().to_vec()),
            Err(e) => Err(diagnose(ctx, card, &reader, insertion, e)),
        }
    }

    fn name(&self) -> String {
        self.reader.clone()
    }
}

/// Receive buffer: the largest short response (256 data bytes + SW) with room to spare for an
/// extended one, should a caller ever send one.
const RECV_BUF: usize = pcsc::MAX_BUFFER_SIZE_EXTENDED;

/// One exclusive transaction; dropping it ends the transaction with `LeaveCard`.
struct PcscLink<'a> {
    tx: pcsc::Transaction<'a>,
    ctx: &'a Context,
    reader: String,
    insertion: Option<u32>,
    quirks: ReaderQuirks,
    buf: Vec<u8>,
}

impl Link for PcscLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.quirks.no_extended_apdu && is_extended(command) {
            return Err(TransportError::Other(format!(
                "{}: this reader cannot carry extended-length APDUs",
                self.reader
            )));
        }
        match self.tx.transmit(command, &mut self.buf) {
            Ok(resp) if resp.len() >= 2 => Ok(resp.to_vec()),
            Ok([]) if card_gone(&self.tx) => Err(TransportError::CardRemoved),
            Ok(resp) => Err(TransportError::Other(format!(
                "{}: response of {} bytes has no status word",
                self.reader,
                resp.len()
            ))),
            // Inside the transaction: a reconnect after a reset goes through it.
            Err(e) => Err(diagnose(self.ctx, &mut self.tx, &self.reader, self.insertion, e)),
        }
    }
}
