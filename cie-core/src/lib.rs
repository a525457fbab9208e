//! cie-core: the host side of the Italian electronic identity card (CIE 3.0) protocol.
//!
//! Layers, bottom up: [`transport`] (the link to the card), [`apdu`] and [`sw`] (ISO 7816-4),
//! [`sm`] (secure-messaging primitives), [`channel`] (the host's secure channel),
//! [`dh`] and [`dapp`] (key exchange and device authentication), [`files`], [`pin`], [`sign`],
//! [`sod`] (passive authentication), [`variant`] (card generations), and [`session`], the
//! state machine that keeps the secure channel and PIN status across operations.
//!
//! Section numbers in the documentation refer to the project's PROTOCOL.md.

#![warn(missing_docs)]

pub mod apdu;
pub mod certificate;
pub mod channel;
pub mod constants;
pub mod consts;
pub mod dapp;
pub mod dh;
pub mod error;
pub mod files;
#[cfg(feature = "pcsc")]
pub mod pcsc_backend;
pub mod pin;
pub mod session;
pub mod sign;
pub mod sm;
pub mod sod;
pub mod sw;
pub mod tlv;
pub mod transport;
pub mod variant;

pub use error::{Credential, Error, Result, SignatureError, SmError};
pub use sw::StatusWord;
pub use transport::{Link, Transport, TransportError};
#[cfg(feature = "pcsc")]
pub mod pcsc_monitor;
