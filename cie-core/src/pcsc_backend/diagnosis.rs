//! Diagnosis of PC/SC errors: what a failure of pcsc-lite really means for our card.
//!
//! pcsc-lite reports the same event with different codes depending on which of its threads
//! sees it first (a removal during a transaction as `SCARD_E_NOT_TRANSACTED` as often as
//! `SCARD_W_REMOVED_CARD`), so an error that can hide a removal or a reset is checked against
//! the reader's state and the handle's before it is mapped to a [`TransportError`]. A reset
//! by someone else is absorbed here: the handle is reconnected with `LeaveCard` and
//! [`TransportError::CardReset`] tells the session that every card-side state is gone.

use std::ffi::CString;

use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode};

use crate::transport::TransportError;

/// Preferred protocols: T=1 (what CIE cards use) or T=0; for connecting, and for reconnecting
/// after a reset.
pub(super) const PROTOCOLS: Protocols = Protocols::T0.union(Protocols::T1);

/// Maps a PC/SC error to a [`TransportError`]; `reader` names the reader in messages.
/// A reset (`SCARD_W_RESET_CARD`, or `SCARD_W_UNPOWERED_CARD` after someone powered the card
/// down) maps to [`TransportError::CardReset`]; `PcscTransport` reconnects before returning it.
/// The service gone (`SCARD_E_NO_SERVICE`, `SCARD_F_COMM_ERROR`: pcsc-lite's client lost its
/// socket to pcscd) maps to [`TransportError::ServiceUnavailable`]. This is the mapping without
/// context; on a live connection, errors that can hide a removal or a reset are first checked
/// against the reader's state (`diagnose`, private to the backend).
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
pub(super) fn card_gone(card: &Card) -> bool {
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

/// Reads `reader`'s state without blocking and without touching the card: whether a card is
/// there, and the reader's insertion counter (pcsc-lite's event counter, which changes on every
/// insertion and removal, not on a reset).
fn reader_presence(ctx: &Context, reader: &str) -> Result<(ReaderPresence, u32), pcsc::Error> {
    use pcsc::{ReaderState, State};
    let Ok(name) = CString::new(reader) else { return Ok((ReaderPresence::Gone, 0)) };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    ctx.get_status_change(std::time::Duration::ZERO, &mut states)?;
    let ev = states[0].event_state();
    let presence = if ev.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE) {
        ReaderPresence::Gone
    } else if ev.contains(State::PRESENT) && !ev.contains(State::MUTE) {
        ReaderPresence::Present
    } else {
        ReaderPresence::Empty
    };
    Ok((presence, states[0].event_count()))
}

/// The insertion counter of `reader` now (see [`reader_presence`]); `None` when the reader's
/// state cannot be read or it holds no card.
pub(super) fn insertion_counter(ctx: &Context, reader: &str) -> Option<u32> {
    match reader_presence(ctx, reader) {
        Ok((ReaderPresence::Present, count)) => Some(count),
        _ => None,
    }
}

/// True when the card in `reader` is no longer the insertion a handle was connected to
/// (`connected`, the counter then): the card was removed, and perhaps put back or replaced.
/// pcsc-lite does not always say so on the old handle (after a removal and a reinsertion it
/// can answer as after a reset, or not at all), and a card put back must never be treated as
/// ours reset: the session would re-send the PIN it holds, maybe to another card.
pub(super) fn insertion_changed(ctx: &Context, reader: &str, connected: Option<u32>) -> bool {
    match (connected, reader_presence(ctx, reader)) {
        (Some(then), Ok((ReaderPresence::Present, now))) => now != then,
        _ => false,
    }
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

/// A PC/SC handle on the card, outside a transaction ([`Card`]) or inside one
/// ([`pcsc::Transaction`]): what [`diagnose`] asks of it.
pub(super) trait CardHandle {
    /// `SCardStatus` on the handle.
    fn status(&self) -> Result<(), pcsc::Error>;
    /// `SCardReconnect` without resetting the card again.
    fn reconnect_leaving_card(&mut self) -> Result<(), pcsc::Error>;
}

impl CardHandle for Card {
    fn status(&self) -> Result<(), pcsc::Error> {
        self.status2_owned().map(|_| ())
    }

    fn reconnect_leaving_card(&mut self) -> Result<(), pcsc::Error> {
        self.reconnect(ShareMode::Shared, PROTOCOLS, Disposition::LeaveCard)
    }
}

impl CardHandle for pcsc::Transaction<'_> {
    fn status(&self) -> Result<(), pcsc::Error> {
        self.status2_owned().map(|_| ())
    }

    fn reconnect_leaving_card(&mut self) -> Result<(), pcsc::Error> {
        self.reconnect(ShareMode::Shared, PROTOCOLS, Disposition::LeaveCard)
    }
}

/// The truth behind `e`, an error of an operation on `card` (a handle, or a transaction on
/// it): the reader's state is read again (`SCardGetStatusChange`) and the handle's
/// (`SCardStatus`), so that a removal is reported as [`TransportError::CardRemoved`] and a
/// reset as [`TransportError::CardReset`] (the handle is reconnected), whatever code pcsc-lite
/// returned first; the service gone is [`TransportError::ServiceUnavailable`].
///
/// `connected` is the reader's insertion counter when the handle was connected: a card that
/// is present under another counter was removed and put back (or replaced), which is a
/// removal, never a reset.
pub(super) fn diagnose(
    ctx: &Context,
    card: &mut impl CardHandle,
    reader: &str,
    connected: Option<u32>,
    e: pcsc::Error,
) -> TransportError {
    if !needs_diagnosis(e) {
        return unless_service_gone(map_error(e, reader));
    }
    let presence = match reader_presence(ctx, reader) {
        Ok((ReaderPresence::Present, now)) if connected.is_some_and(|then| then != now) => return put_back(reader, e),
        Ok((p, _)) => p,
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
        ReaderPresence::Present => match card.status() {
            Ok(()) if is_reset(e) => after_reset(ctx, card, reader, connected, e),
            // The handle looks fine: a genuine failure, unless pcscd is about to see a removal.
            Ok(()) => match settled_presence(ctx, reader) {
                Ok(ReaderPresence::Empty) => TransportError::CardRemoved,
                Ok(ReaderPresence::Gone) => TransportError::ReaderUnavailable(format!("{reader}: the reader is gone")),
                _ if during_reset(e) => after_reset(ctx, card, reader, connected, e),
                _ => map_error(e, reader),
            },
            Err(e2) if is_reset(e2) => after_reset(ctx, card, reader, connected, e2),
            // Removed and put back (or another card): the handle is dead.
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::UnresponsiveCard) => {
                TransportError::CardRemoved
            }
            Err(e2) => map_error(e2, reader),
        },
    }
}

/// After `SCARD_W_RESET_CARD` (or a power-down by someone else): reconnect the handle without
/// resetting again, and tell the caller the card state is gone.
/// A card present under another insertion counter than `connected` is a removal instead.
fn after_reset(
    ctx: &Context,
    card: &mut impl CardHandle,
    reader: &str,
    connected: Option<u32>,
    e: pcsc::Error,
) -> TransportError {
    if insertion_changed(ctx, reader, connected) {
        return put_back(reader, e);
    }
    tracing::debug!(target: "cie::pcsc", "{reader}: {e}; reconnecting");
    match card.reconnect_leaving_card() {
        Ok(()) => TransportError::CardReset,
        Err(e2) => map_error(e2, reader),
    }
}

/// The card in `reader` is another insertion than the one the handle was connected to (`e` was
/// the error that led there): a removal.
fn put_back(reader: &str, e: pcsc::Error) -> TransportError {
    tracing::debug!(target: "cie::pcsc", "{reader}: {e}; the card was removed and put back");
    TransportError::CardRemoved
}

/// A reset of the card by someone else (`SCARD_W_RESET_CARD`, `SCARD_W_UNPOWERED_CARD`).
fn is_reset(e: pcsc::Error) -> bool {
    matches!(e, pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard)
}

/// A new PC/SC context; the service gone is [`TransportError::ServiceUnavailable`].
pub(super) fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| map_error(e, "PC/SC"))
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
    fn only_resets_trigger_a_reconnect() {
        assert!(is_reset(pcsc::Error::ResetCard));
        assert!(is_reset(pcsc::Error::UnpoweredCard));
        assert!(!is_reset(pcsc::Error::RemovedCard));
    }
}
