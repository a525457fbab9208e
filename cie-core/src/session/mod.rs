//! The card session (DESIGN.md §3): `Connected -> SecureChannel (DH + DAPP) -> UserVerified`.
//!
//! A [`Session`] keeps the secure channel and the PIN status across operations and rebuilds
//! them only when it must: after a card reset (another process, a glitch), a secure-messaging
//! error, or a "security status not satisfied" answer. Static card data (EF.SN.ICC, NIS, chip
//! key, DH group, CA key, terminal certificate, holder certificate) is read once per insertion.
//! Every operation runs inside one exclusive transaction of the [`Transport`].
//!
//! The session's files, each adding to `impl Session` what its name says, bottom up: `state`
//! (what the session knows: card data, selection, channel, credentials), `select` (the card's
//! applications and static data), `recovery` (one operation per transaction, retried after a
//! reset; the secure channel on demand), then `open`, `pin`, `files` and `sign`, the
//! operations. A file uses only those before it.

mod files;
mod open;
mod pin;
mod recovery;
mod select;
mod sign;
mod state;

use self::state::State;
use crate::transport::Transport;
use crate::variant::Generation;

/// What is known about the PIN's retry counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinStatus {
    /// Verified in the current secure channel.
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked: only the PUK can unblock it.
    Blocked,
}

/// A session with one CIE in one reader.
pub struct Session<T: Transport> {
    transport: T,
    state: State,
}

impl<T: Transport> Session<T> {
    /// The card generation.
    pub fn generation(&self) -> Generation {
        self.state.card.generation
    }

    /// The answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.state.card.atr
    }

    /// The NIS (Numero Identificativo per i Servizi, EF 1001), 12 digits.
    pub fn nis(&self) -> &str {
        &self.state.card.nis
    }

    /// EF.SN.ICC as read.
    pub fn sn_icc(&self) -> &[u8] {
        &self.state.card.sn_icc
    }

    /// The chip authentication public key (EF 1004), DER.
    pub fn chip_key_der(&self) -> &[u8] {
        &self.state.card.chip_key_der
    }

    /// True when a PIN has been verified and is held for this session.
    pub fn is_logged_in(&self) -> bool {
        self.state.credentials.pin.is_some()
    }

    /// Tries left as last reported by the card, if known.
    pub fn pin_tries_left(&self) -> Option<u8> {
        self.state.credentials.pin_tries
    }

    /// The certificate, if it has been read already (no card access).
    pub fn cached_certificate(&self) -> Option<&[u8]> {
        self.state.card.certificate.as_deref()
    }

    /// The transport, e.g. to read counters of a wrapper.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Ends the session and returns the transport.
    pub fn into_transport(self) -> T {
        self.transport
    }
}
