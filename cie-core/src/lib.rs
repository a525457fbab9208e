//! cie-core: the host side of the Italian electronic identity card (CIE 3.0) protocol.
//!
//! Layers, bottom up. A module uses only the modules to its left on its own line (where an
//! arrow points to it) and those on the lines above; nothing points back, so there is no
//! import circle between the files:
//!
//! 1. [`ins`] (instruction bytes), [`interop`] (the published keys and AIDs), [`sw`] (typed
//!    status words), [`variant`] (card generations), `primitives` (randomness, `modpow`):
//!    names and values, no imports.
//! 2. [`transport`] (the link to the card) → [`error`].
//! 3. [`tlv`] (the one BER-TLV reader), [`sign`] (hash algorithms and DigestInfo), [`pin`]
//!    (PIN and PUK values).
//! 4. [`apdu`] (ISO 7816-4 codec) → [`sm`] (secure-messaging primitives) → [`channel`] (the
//!    host's secure channel).
//! 5. [`sod`] (passive authentication) → [`csca`] (its trust anchors), [`certificate`] (the
//!    holder's certificate) → [`internal_auth`] (checking the key-`83` anti-clone answer).
//! 6. [`commands`]: one builder per card command of PROTOCOL.md.
//! 7. [`files`] (SELECT and READ BINARY of a file), [`dh`] → [`dapp`] (key exchange and device
//!    authentication) → [`card_constants`] (the per-card cache's bytes).
//! 8. [`session`]: the state machine that keeps the secure channel and PIN status across
//!    operations (inside: `state` → `select` → `recovery` → `open`, `pin`, `files`, `sign`).
//! 9. Feature `pcsc`: `pcsc_backend` (a [`Transport`] over PC/SC and a reader monitor; it
//!    uses only [`transport`]), and `open_first_cie` above the session.
//!
//! Section numbers in the documentation refer to the project's `docs/PROTOCOL.md`.
//!
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod apdu;
pub mod card_constants;
pub mod certificate;
pub mod channel;
pub mod commands;
pub mod csca;
pub mod dapp;
pub mod dh;
pub mod error;
pub mod files;
pub mod ins;
pub mod internal_auth;
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
