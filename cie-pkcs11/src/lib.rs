//! `libcie_pkcs11.so`: a PKCS#11 2.40 / 3.0 module for the Italian electronic identity card
//! (CIE 3.0), over cie-core (DESIGN.md §2, §5, §6; PROTOCOL.md §7, §8.4-§8.6).
//!
//! The C entry points ([`ffi`]) are thin shims over the safe [`Module`], which holds all state
//! and talks to cards only through `cie_core::session::Session`. Cards come from a pluggable
//! [`backend::Backend`]: PC/SC in production, the in-process backend (`backend::InProcessBackend`,
//! feature `test-backend`, not in the shipped module) in tests and benches.
//!
//! Environment: `CIE_PKCS11_LOG`, `CIE_PKCS11_LOG_FILE` (logging, off by default),
//! `CIE_PKCS11_CACHE=off` (no certificate cache), `XDG_CACHE_HOME` (cache location).

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod backend;
pub mod cache;
pub mod digest;
pub mod error;
#[allow(missing_docs)]
pub mod ffi;
pub mod general;
pub mod log;
pub mod login;
pub mod module;
pub mod object;
pub mod session;
pub mod sign;
pub mod slot;
pub mod verify;

pub use backend::{Backend, PcscBackend};
#[cfg(any(test, feature = "test-backend"))]
pub use backend::{InProcessBackend, ReaderControl};
pub use error::Ckr;
pub use module::{Config, Module};
pub use object::AttrAnswer;
pub use sign::SignOutput;
