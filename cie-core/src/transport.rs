//! The link to the card: a small [`Transport`] trait, and a wrapper that counts and traces APDUs.
//!
//! Backends: PC/SC (feature `pcsc`), the in-process simulator
//! (`cie-sim`), and test backends.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::ins;

/// Failures of the link to the card.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The card was reset (by another process, or a power glitch). The transport is usable
    /// again, but every card-side state (secure channel, PIN status) is lost.
    #[error("the card was reset")]
    CardReset,
    /// The card was removed from the reader.
    #[error("the card was removed")]
    CardRemoved,
    /// There is no card in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// No reader, or the reader vanished.
    #[error("reader unavailable: {0}")]
    ReaderUnavailable(String),
    /// The reader or the card is in use exclusively by another process.
    #[error("card in use by another application")]
    Busy,
    /// The smart-card service (pcscd) is not running, or stopped during the operation.
    #[error("{0}")]
    ServiceUnavailable(String),
    /// Any other transport failure.
    #[error("transport failure: {0}")]
    Other(String),
}

/// Sends APDUs to the card inside one exclusive transaction (see [`Transport::transaction`]).
pub trait Link {
    /// Sends one command APDU and returns the response bytes including `SW1 SW2`.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<L: Link + ?Sized> Link for &mut L {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

impl<L: Link + ?Sized> Link for Box<L> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

/// A connection to one card (ISO 7816-4 APDU level).
///
/// Designed for PC/SC: every card operation runs inside one exclusive transaction
/// ([`Transport::transaction`], PC/SC `SCardBeginTransaction`; dropping the returned [`Link`]
/// ends it and leaves the card as it is) so that no other process can interleave APDUs.
/// A reset by someone else surfaces as [`TransportError::CardReset`] from `transaction` or from
/// [`Link::transmit`]; the transport has then already reconnected and is usable again, but
/// every card-side state (secure channel, PIN status) is lost.
pub trait Transport: Send {
    /// Starts an exclusive transaction; APDUs of one operation go through the returned link.
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError>;

    /// The card's answer to reset.
    fn atr(&mut self) -> Result<Vec<u8>, TransportError>;

    /// A name for logs and users (reader name, "simulator", ...).
    fn name(&self) -> String {
        "card".into()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        (**self).transaction()
    }
    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        (**self).atr()
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

/// Figures of a [`Counting`] transport at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApduStats {
    /// Command/response exchanges.
    pub exchanges: u64,
    /// Command bytes sent.
    pub bytes_sent: u64,
    /// Response bytes received, status words included.
    pub bytes_received: u64,
}

impl ApduStats {
    /// The difference `self - earlier`.
    pub fn since(&self, earlier: &ApduStats) -> ApduStats {
        ApduStats {
            exchanges: self.exchanges - earlier.exchanges,
            bytes_sent: self.bytes_sent - earlier.bytes_sent,
            bytes_received: self.bytes_received - earlier.bytes_received,
        }
    }
}

/// A shared, cloneable view of a [`Counting`] transport's counters.
#[derive(Clone, Debug, Default)]
pub struct ApduCounter {
    inner: Arc<[AtomicU64; 3]>,
}

impl ApduCounter {
    /// The counters now.
    pub fn stats(&self) -> ApduStats {
        ApduStats {
            exchanges: self.inner[0].load(Ordering::Relaxed),
            bytes_sent: self.inner[1].load(Ordering::Relaxed),
            bytes_received: self.inner[2].load(Ordering::Relaxed),
        }
    }

    fn record(&self, sent: usize, received: usize) {
        self.inner[0].fetch_add(1, Ordering::Relaxed);
        self.inner[1].fetch_add(sent as u64, Ordering::Relaxed);
        self.inner[2].fetch_add(received as u64, Ordering::Relaxed);
    }
}

/// A transport wrapper that counts exchanges and bytes and traces APDUs (at `tracing` debug
/// level) with PIN/PUK data redacted.
pub struct Counting<T> {
    inner: T,
    counter: ApduCounter,
}

impl<T: Transport> Counting<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self { inner, counter: ApduCounter::default() }
    }

    /// A handle on the counters that stays valid after the wrapper is moved into a session.
    pub fn counter(&self) -> ApduCounter {
        self.counter.clone()
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped transport, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: Transport> Transport for Counting<T> {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let inner = self.inner.transaction()?;
        Ok(Box::new(CountingLink { inner, counter: self.counter.clone() }))
    }
    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.atr()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
}

/// The [`Link`] of a [`Counting`] transport.
struct CountingLink<'a> {
    inner: Box<dyn Link + 'a>,
    counter: ApduCounter,
}

impl Link for CountingLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        tracing::debug!(target: "cie::apdu", "=> {}", redact_command(command));
        let result = self.inner.transmit(command);
        match &result {
            Ok(resp) => {
                self.counter.record(command.len(), resp.len());
                tracing::debug!(target: "cie::apdu", "<= {}", hex(resp));
            }
            Err(e) => tracing::debug!(target: "cie::apdu", "<= error: {e}"),
        }
        result
    }
}

/// Upper-case hex with spaces, for traces.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Formats a command APDU for a trace, hiding the data field of VERIFY (`20`), CHANGE
/// REFERENCE DATA (`24`) and RESET RETRY COUNTER (`2C`), plain or secure-messaging wrapped.
pub fn redact_command(command: &[u8]) -> String {
    if command.len() > 5 && matches!(command[1], ins::VERIFY | ins::CHANGE_REFERENCE_DATA | ins::RESET_RETRY_COUNTER) {
        format!("{} <{} bytes redacted>", hex(&command[..5]), command.len() - 5)
    } else {
        hex(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_pin_data() {
        let verify = [0x00, 0x20, 0x00, 0x81, 0x08, b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8'];
        let s = redact_command(&verify);
        assert_eq!(s, "00 20 00 81 08 <8 bytes redacted>");
        assert!(!s.contains("31"));
        assert_eq!(redact_command(&[0x00, 0xA4, 0x00, 0x00]), "00 A4 00 00");
    }
}
