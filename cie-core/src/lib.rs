//! cie-core: the host side of the Italian electronic identity card (CIE 3.0) protocol.
//!
//! Layers, bottom up: [`transport`] (the link to the card), [`apdu`] and [`sw`] (ISO 7816-4),
//! [`tlv`] (the one BER-TLV reader for what the card sends),
//! [`sm`] (secure-messaging primitives), [`channel`] (the host's secure channel),
//! [`dh`] and [`dapp`] (key exchange and device authentication), [`files`], [`pin`], [`sign`],
//! [`sod`] (passive authentication), [`variant`] (card generations), and [`session`], the
//! state machine that keeps the secure channel and PIN status across operations.
//!
//! Section numbers in the documentation refer to the project's `docs/PROTOCOL.md`.
//!
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod apdu;
pub mod card_constants;
pub mod certificate;
pub mod channel;
pub mod commands;
pub mod dapp;
pub mod dh;
pub mod error;
pub mod files;
pub mod ins;
pub mod interop;
#[cfg(feature = "pcsc")]
#[cfg_attr(docsrs, doc(cfg(feature = "pcsc")))]
pub mod pcsc_backend;
pub mod pin;
mod primitives;
pub mod session;
pub mod sign;
pub mod sm;
pub mod sod;
pub mod sw;
pub mod tlv;
pub mod transport;
pub mod variant;

#[cfg(feature = "pcsc")]
mod first_cie;

pub use error::{Credential, Error, Result, SignatureError, SmError};
#[cfg(feature = "pcsc")]
#[cfg_attr(docsrs, doc(cfg(feature = "pcsc")))]
pub use first_cie::{open_first_cie, open_first_cie_with};
pub use sw::StatusWord;
pub use transport::{Link, Transport, TransportError};

/// Compile-time checks of the thread-safety promises of the README.
#[cfg(all(test, feature = "pcsc"))]
mod thread_safety {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn sessions_over_pcsc_are_send_and_sync() {
        send_sync::<crate::pcsc_backend::PcscTransport>();
        send_sync::<crate::session::Session<crate::pcsc_backend::PcscTransport>>();
        send_sync::<crate::Error>();
    }
}
