//! The PC/SC backend: a [`Transport`] over one reader through the system's PC/SC service
//! (pcsc-lite's `pcscd` on Linux), built on the `pcsc` crate. Feature `pcsc`.
//!
//! Every operation runs inside one exclusive PC/SC transaction (DESIGN.md §3); the connection is
//! shared, so other applications can use the card between our operations. A reset by someone
//! else (`SCARD_W_RESET_CARD`) is absorbed here: the handle is reconnected with `LeaveCard` and
//! [`TransportError::CardReset`] tells the session that every card-side state is gone. The ATR is
//! read with `SCardStatus`, which every reader driver supports (vpcd, for one, has no
//! `SCARD_ATTR_ATR_STRING`). Disconnecting always leaves the card as it is: the `pcsc` crate's own
//! `Drop` would reset it and wipe another application's secure channel and PIN status.

use std::ffi::CString;

use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode};

use crate::transport::{Link, Transport, TransportError};

/// Reader behaviours that need a workaround, looked up by [`quirks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderQuirks {
    /// The reader cannot carry extended-length APDUs. cie-core only ever sends short APDUs
    /// (it chains long data, PROTOCOL.md §4.3 and §5.3), so on such readers an extended APDU is
    /// refused before it reaches the reader instead of failing in an obscure way.
    pub no_extended_apdu: bool,
}

/// The reader-quirk table, the one place that knows about individual readers: `(substring of
/// the PC/SC reader name, quirks)`; the first matching row wins.
///
/// Known entries:
/// - `ACR122`: ACS ACR122U, a PN53x-based NFC reader. Its firmware frames APDUs for the PN53x
///   and does not carry extended-length APDUs (a known limitation, e.g. why it is unsuitable
///   for the German eID); short APDUs work, which is all the CIE protocol needs.
///
/// Readers not listed need no workaround. The virtual reader of the test stack ("Virtual PCD",
/// vsmartcard's vpcd) lacks `SCARD_ATTR_ATR_STRING`; that is covered for every reader by always
/// reading the ATR with `SCardStatus`, so it has no row.
const QUIRKS: &[(&str, ReaderQuirks)] = &[("ACR122", ReaderQuirks { no_extended_apdu: true })];

/// The quirks of a reader, by its PC/SC name (see the quirk table in this module's source).
pub fn quirks(reader_name: &str) -> ReaderQuirks {
    QUIRKS.iter().find(|(pattern, _)| reader_name.contains(pattern)).map(|(_, q)| *q).unwrap_or_default()
}

/// True when `apdu` is encoded as an extended-length APDU (ISO 7816-4 §5.1: a `00` byte where
/// a short Lc or Le would stand, followed by two length bytes).
fn is_extended(apdu: &[u8]) -> bool {
    apdu.len() >= 7 && apdu[4] == 0x00
}

/// Maps a PC/SC error to a [`TransportError`]; `reader` names the reader in messages.
/// A reset (`SCARD_W_RESET_CARD`, or `SCARD_W_UNPOWERED_CARD` after someone powered the card
/// down) maps to [`TransportError::CardReset`]; [`PcscTransport`] reconnects before returning it.
/// The service gone (`SCARD_E_NO_SERVICE`, `SCARD_F_COMM_ERROR`: pcsc-lite's client lost its
/// socket to pcscd) maps to [`TransportError::ServiceUnavailable`]. This is the mapping without
/// context; on a live connection, errors that can hide a removal or a reset are first checked
/// against the reader's state (see `PcscTransport`'s diagnosis).
pub fn map_error(e: pcsc::Error, reader: &str) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::ResetCard | E::UnpoweredCard => TransportError::CardReset,
        E::RemovedCard | E::UnresponsiveCard => TransportError::CardRemoved,
        E::NoSmartcard => TransportError::NoCard,
        E::ReaderUnavailable | E::UnknownReader | E::NoReadersAvailable => {
            TransportError::ReaderUnavailable(format!("{reader}: {e}"))
        }
        E::NoService | E::ServiceStopped | E::Shutdown => {
            TransportError::ServiceUnavailable("the PC/SC service (pcscd) is not running".into())
        }
        E::CommError => {
            TransportError::ServiceUnavailable("the connection to the PC/SC service (pcscd) was lost".into())
        }
        E::SharingViolation => TransportError::Busy,
        other => TransportError::Other(format!("{reader}: PC/SC error: {other}")),
    }
}

/// Errors after which the card may have been removed or reset behind our back: pcsc-lite
/// reports a removal during a transaction as `SCARD_E_NOT_TRANSACTED` as often as
/// `SCARD_W_REMOVED_CARD`, depending on which of its threads sees it first.
fn needs_diagnosis(e: pcsc::Error) -> bool {
    use pcsc::Error as E;
    matches!(
        e,
        E::NotTransacted
            | E::ProtoMismatch
            | E::ResetCard
            | E::UnpoweredCard
            | E::RemovedCard
            | E::NoSmartcard
            | E::UnresponsiveCard
    )
}

/// Answers pcscd gives while another application's reset of the card is under way
/// (`SCARD_E_PROTO_MISMATCH`, `SCARD_E_NOT_TRANSACTED`): when the card is still in the reader
/// afterwards, they are a reset (the handle is reconnected), not a failure.
fn during_reset(e: pcsc::Error) -> bool {
    matches!(e, pcsc::Error::ProtoMismatch | pcsc::Error::NotTransacted)
}

/// How long [`card_gone`] waits for the PC/SC service to see a removal: pcsc-lite polls readers
/// about every 400 ms.
const REMOVAL_SETTLE: std::time::Duration = std::time::Duration::from_millis(1500);

/// After an exchange that came back empty: a reader that lost the card in the middle of a
/// command may answer with no bytes at all (vsmartcard's vpcd does, and pcscd passes that on
/// as a success). Waits until the service has looked at the reader again and tells whether the
/// card is gone, so the caller sees a removal rather than a transport failure.
fn card_gone(card: &Card) -> bool {
    let deadline = std::time::Instant::now() + REMOVAL_SETTLE;
    loop {
        match card.status2_owned() {
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::UnresponsiveCard) => return true,
            Ok(st) if !st.status().contains(pcsc::Status::PRESENT) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `t`, unless it is an unclassified failure and the PC/SC service is no longer there: pcsc-lite's
/// client reports a pcscd that died mid-call with various codes (`SCARD_F_COMM_ERROR`, but also
/// `SCARD_W_SECURITY_VIOLATION` from a half-read answer), so the service is asked directly.
fn unless_service_gone(t: TransportError) -> TransportError {
    if !matches!(t, TransportError::Other(_)) {
        return t;
    }
    match service_gone() {
        Some(gone) => {
            tracing::debug!(target: "cie::pcsc", "{t}; the service is gone");
            gone
        }
        None => t,
    }
}

/// Asks the PC/SC service whether it is still there (a new context and a reader listing, a
/// full round trip): `Some(error)` when it is gone. A pcscd that is dying may still accept a
/// connection for a moment, so ambiguous answers are asked again, a few times 50 ms apart.
fn service_gone() -> Option<TransportError> {
    let gone = |e: pcsc::Error| match map_error(e, "PC/SC") {
        g @ TransportError::ServiceUnavailable(_) => Some(g),
        _ => None,
    };
    for _ in 0..5 {
        match Context::establish(Scope::User) {
            Ok(ctx) => match ctx.list_readers_len() {
                Ok(_) | Err(pcsc::Error::NoReadersAvailable) => return None,
                Err(e) => {
                    if let Some(g) = gone(e) {
                        return Some(g);
                    }
                }
            },
            Err(e) => {
                if let Some(g) = gone(e) {
                    return Some(g);
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

/// What a reader's state says about our card, for [`diagnose`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReaderPresence {
    /// A card is in the reader (ours, reset; or another one inserted since).
    Present,
    /// The reader is empty.
    Empty,
    /// The reader is gone.
    Gone,
}

/// Reads `reader`'s state without blocking and without touching the card.
fn reader_presence(ctx: &Context, reader: &str) -> Result<ReaderPresence, pcsc::Error> {
    use pcsc::{ReaderState, State};
    let Ok(name) = CString::new(reader) else { return Ok(ReaderPresence::Gone) };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    ctx.get_status_change(std::time::Duration::ZERO, &mut states)?;
    let ev = states[0].event_state();
    Ok(if ev.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE) {
        ReaderPresence::Gone
    } else if ev.contains(State::PRESENT) && !ev.contains(State::MUTE) {
        ReaderPresence::Present
    } else {
        ReaderPresence::Empty
    })
}

/// How long a failure that looks like a removal waits for pcscd to publish the reader's new
/// state: pcsc-lite can fail a command (`SCARD_E_NOT_TRANSACTED`) before its reader thread has
/// seen the card go (it polls vpcd and most readers every 400 ms).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(1000);

/// Waits up to [`SETTLE`] for `reader` to leave the state "card present"; the state then.
fn settled_presence(ctx: &Context, reader: &str) -> Result<ReaderPresence, pcsc::Error> {
    use pcsc::{ReaderState, State};
    let Ok(name) = CString::new(reader) else { return Ok(ReaderPresence::Gone) };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    ctx.get_status_change(std::time::Duration::ZERO, &mut states)?;
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let ev = states[0].event_state();
        if ev.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE) {
            return Ok(ReaderPresence::Gone);
        }
        if !ev.contains(State::PRESENT) || ev.contains(State::MUTE) {
            return Ok(ReaderPresence::Empty);
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(ReaderPresence::Present);
        }
        states[0].sync_current_state();
        match ctx.get_status_change(left, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(ReaderPresence::Present),
            Err(e) => return Err(e),
        }
    }
}

/// The truth behind `e`, an error of an operation on `card`: the reader's state is read again
/// (`SCardGetStatusChange`) and the handle's (`SCardStatus`), so that a removal is reported as
/// [`TransportError::CardRemoved`] and a reset as [`TransportError::CardReset`] (the handle is
/// reconnected), whatever code pcsc-lite returned first; the service gone is
/// [`TransportError::ServiceUnavailable`].
fn diagnose(ctx: &Context, card: &mut Card, reader: &str, e: pcsc::Error) -> TransportError {
    if !needs_diagnosis(e) {
        return unless_service_gone(map_error(e, reader));
    }
    let presence = match reader_presence(ctx, reader) {
        Ok(p) => p,
        Err(e2) => {
            tracing::debug!(target: "cie::pcsc", "{reader}: {e}; reader state: {e2}");
            return match map_error(e2, reader) {
                t @ TransportError::ServiceUnavailable(_) => t,
                _ => map_error(e, reader),
            };
        }
    };
    tracing::debug!(target: "cie::pcsc", "{reader}: {e}; reader state {presence:?}");
    match presence {
        ReaderPresence::Gone => TransportError::ReaderUnavailable(format!("{reader}: the reader is gone")),
        ReaderPresence::Empty => TransportError::CardRemoved,
        ReaderPresence::Present => match card.status2_owned() {
            Ok(_) if is_reset(e) => after_reset(card, reader, e),
            // The handle looks fine: a genuine failure, unless pcscd is about to see a removal.
            Ok(_) => match settled_presence(ctx, reader) {
                Ok(ReaderPresence::Empty) => TransportError::CardRemoved,
                Ok(ReaderPresence::Gone) => TransportError::ReaderUnavailable(format!("{reader}: the reader is gone")),
                _ if during_reset(e) => after_reset(card, reader, e),
                _ => map_error(e, reader),
            },
            Err(e2) if is_reset(e2) => after_reset(card, reader, e2),
            // Removed and put back (or another card): the handle is dead.
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::UnresponsiveCard) => {
                TransportError::CardRemoved
            }
            Err(e2) => map_error(e2, reader),
        },
    }
}

/// Opens a session with the first CIE found: each reader in turn (PC/SC order), the first
/// holding a CIE wins. The one-call start (the C API's `cie_card_open(NULL)`):
///
/// ```no_run
/// let mut session = cie_core::pcsc_backend::open_first_cie()?;
/// println!("NIS {}", session.nis());
/// # Ok::<(), cie_core::Error>(())
/// ```
///
/// When no reader holds a CIE, the most telling failure is returned: a card that is not a
/// CIE, a reader or service error, else [`TransportError::NoCard`]; no reader at all is
/// [`TransportError::ReaderUnavailable`]. Blocks on PC/SC and card I/O.
pub fn open_first_cie() -> Result<crate::session::Session<PcscTransport>, crate::Error> {
    let mut failure: Option<crate::Error> = None;
    for name in PcscTransport::list_readers()? {
        let attempt = PcscTransport::connect(&name).map_err(crate::Error::from).and_then(crate::session::Session::open);
        match attempt {
            Ok(session) => return Ok(session),
            Err(e) => {
                tracing::debug!(target: "cie::pcsc", "{name}: {e}");
                let no_card =
                    matches!(e, crate::Error::Transport(TransportError::NoCard | TransportError::CardRemoved));
                if failure.is_none() || !no_card {
                    failure = Some(e);
                }
            }
        }
    }
    Err(match failure {
        Some(crate::Error::Transport(TransportError::CardRemoved)) | None => TransportError::NoCard.into(),
        Some(e) => e,
    })
}

/// A connection to the card in one PC/SC reader.
pub struct PcscTransport {
    /// Always `Some` until [`PcscTransport::close`] or drop.
    card: Option<Card>,
    /// The context the card was connected through, to read the reader's state after an error.
    ctx: Context,
    reader: String,
    quirks: ReaderQuirks,
}

/// Preferred protocols: T=1 (what CIE cards use) or T=0.
const PROTOCOLS: Protocols = Protocols::T0.union(Protocols::T1);

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
        Ok(PcscTransport { card: Some(card), ctx, reader: reader.to_owned(), quirks: quirks(reader) })
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

fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| map_error(e, "PC/SC"))
}

/// After `SCARD_W_RESET_CARD` (or a power-down by someone else): reconnect the handle without
/// resetting again, and tell the caller the card state is gone.
fn after_reset(card: &mut Card, reader: &str, e: pcsc::Error) -> TransportError {
    tracing::debug!(target: "cie::pcsc", "{reader}: {e}; reconnecting");
    match card.reconnect(ShareMode::Shared, PROTOCOLS, Disposition::LeaveCard) {
        Ok(()) => TransportError::CardReset,
        Err(e2) => map_error(e2, reader),
    }
}

fn is_reset(e: pcsc::Error) -> bool {
    matches!(e, pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard)
}

impl Transport for PcscTransport {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let quirks = self.quirks;
        let reader = self.reader.clone();
        let (ctx, card) = self.card_mut()?;
        match card.transaction2() {
            Ok(tx) => Ok(Box::new(PcscLink { tx, ctx, reader, quirks, buf: vec![0; RECV_BUF] })),
            Err((card, e)) => Err(diagnose(ctx, card, &reader, e)),
        }
    }

    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        let reader = self.reader.clone();
        let (ctx, card) = self.card_mut()?;
        match card.status2_owned() {
            Ok(status) => Ok(status.atr().to_vec()),
            Err(e) => Err(diagnose(ctx, card, &reader, e)),
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
    quirks: ReaderQuirks,
    buf: Vec<u8>,
}

impl PcscLink<'_> {
    /// [`diagnose`] inside the transaction (the reconnect after a reset goes through it).
    fn diagnose(&mut self, e: pcsc::Error) -> TransportError {
        if !needs_diagnosis(e) {
            return unless_service_gone(map_error(e, &self.reader));
        }
        let reader = &self.reader;
        let presence = reader_presence(self.ctx, reader);
        tracing::debug!(target: "cie::pcsc", "{reader}: {e}; reader state {presence:?}");
        let status = self.tx.status2_owned().map(|_| ());
        match (presence, status) {
            (Err(e2), _) => match map_error(e2, reader) {
                t @ TransportError::ServiceUnavailable(_) => t,
                _ => map_error(e, reader),
            },
            (Ok(ReaderPresence::Gone), _) => TransportError::ReaderUnavailable(format!("{reader}: the reader is gone")),
            (Ok(ReaderPresence::Empty), _) => TransportError::CardRemoved,
            (Ok(ReaderPresence::Present), Err(e2)) if is_reset(e2) => self.reconnect_after_reset(),
            (Ok(ReaderPresence::Present), Ok(())) if is_reset(e) => self.reconnect_after_reset(),
            (Ok(ReaderPresence::Present), Ok(())) => match settled_presence(self.ctx, reader) {
                Ok(ReaderPresence::Empty) => TransportError::CardRemoved,
                Ok(ReaderPresence::Gone) => TransportError::ReaderUnavailable(format!("{reader}: the reader is gone")),
                _ if during_reset(e) => self.reconnect_after_reset(),
                _ => map_error(e, reader),
            },
            (
                Ok(ReaderPresence::Present),
                Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::UnresponsiveCard),
            ) => TransportError::CardRemoved,
            (Ok(ReaderPresence::Present), Err(e2)) => map_error(e2, reader),
        }
    }

    fn reconnect_after_reset(&mut self) -> TransportError {
        tracing::debug!(target: "cie::pcsc", "{}: reset; reconnecting", self.reader);
        match self.tx.reconnect(ShareMode::Shared, PROTOCOLS, Disposition::LeaveCard) {
            Ok(()) => TransportError::CardReset,
            Err(e2) => map_error(e2, &self.reader),
        }
    }
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
            Err(e) => Err(self.diagnose(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_errors() {
        use pcsc::Error as E;
        assert_eq!(map_error(E::ResetCard, "r"), TransportError::CardReset);
        assert_eq!(map_error(E::UnpoweredCard, "r"), TransportError::CardReset);
        for e in [E::RemovedCard, E::UnresponsiveCard] {
            assert_eq!(map_error(e, "r"), TransportError::CardRemoved, "{e:?}");
        }
        assert_eq!(map_error(E::NoSmartcard, "r"), TransportError::NoCard);
        assert_eq!(map_error(E::SharingViolation, "r"), TransportError::Busy);
        for e in [E::ReaderUnavailable, E::UnknownReader, E::NoReadersAvailable] {
            match map_error(e, "Reader X") {
                TransportError::ReaderUnavailable(m) => assert!(m.contains("Reader X"), "{m}"),
                other => panic!("{e:?} -> {other:?}"),
            }
        }
        for e in [E::NoService, E::CommError, E::ServiceStopped] {
            match map_error(e, "r") {
                TransportError::ServiceUnavailable(m) => assert!(m.contains("pcscd"), "{m}"),
                other => panic!("{e:?} -> {other:?}"),
            }
        }
        assert!(matches!(map_error(E::InvalidParameter, "r"), TransportError::Other(_)));
        // The errors that can hide a removal or a reset are diagnosed; the rest are not.
        for e in [E::NotTransacted, E::ProtoMismatch, E::ResetCard, E::RemovedCard, E::NoSmartcard, E::UnpoweredCard] {
            assert!(needs_diagnosis(e), "{e:?}");
        }
        for e in [E::NotTransacted, E::ProtoMismatch] {
            assert!(during_reset(e), "{e:?}");
        }
        assert!(!during_reset(E::ResetCard) && !during_reset(E::CommError));
        for e in [E::CommError, E::NoService, E::SharingViolation, E::InvalidParameter] {
            assert!(!needs_diagnosis(e), "{e:?}");
        }
    }

    #[test]
    fn quirk_lookup() {
        assert!(quirks("ACS ACR122U PICC Interface 00 00").no_extended_apdu);
        assert_eq!(quirks("Virtual PCD 00 00"), ReaderQuirks::default());
        assert_eq!(
            quirks("Generic Smart Card Reader Interface [Smart Card Reader Interface] (20070818000000) 00 00"),
            ReaderQuirks::default()
        );
    }

    #[test]
    fn detects_extended_apdus() {
        assert!(!is_extended(&[0x00, 0xA4, 0x00, 0x00]));
        assert!(!is_extended(&[0x00, 0xB0, 0x00, 0x00, 0x00])); // short case 2, Le = 256
        assert!(!is_extended(&[0x00, 0xA4, 0x04, 0x0C, 0x02, 0x3F, 0x00]));
        assert!(is_extended(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00])); // case 2E
        assert!(is_extended(&[0x00, 0x2A, 0x00, 0xAE, 0x00, 0x00, 0x01, 0xAB]));
        // case 3E
    }

    #[test]
    fn only_resets_trigger_a_reconnect() {
        assert!(is_reset(pcsc::Error::ResetCard));
        assert!(is_reset(pcsc::Error::UnpoweredCard));
        assert!(!is_reset(pcsc::Error::RemovedCard));
    }
}
