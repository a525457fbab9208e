//! `libcie_pkcs11.so`: a PKCS#11 2.40 / 3.0 module for the Italian electronic identity card
//! (CIE 3.0), over cie-core (DESIGN.md §2, §5, §6; PROTOCOL.md §7, §8.4-§8.6).
//!
//! The C entry points ([`ffi`]) are thin shims over the safe [`Module`], which holds all state
//! and talks to cards only through [`card::CardOps`]: cie-core's `Session` in this process, or
//! the user's card agent (DESIGN.md §8). Cards come from a pluggable [`backend::Backend`]: the
//! card agent when it answers at `C_Initialize`, PC/SC otherwise, the in-process backend (`backend::InProcessBackend`,
//! feature `test-backend`, not in the shipped module) in tests and benches.
//!
//! Layers (each file uses only files below it): `ffi` → `api` (one file per PKCS#11 function
//! family, each adding `impl Module` methods) → `module` → `instance` → `session` → `token` →
//! {`objects`, `ops`} → `mechanism` → {`error`, `sync`}; `backend` (over `card`), `cache`, `log`
//! and `text` are on the ground floor with `error` and `sync`.
//!
//! Environment: `CIE_PKCS11_LOG`, `CIE_PKCS11_LOG_FILE` (logging, off by default),
//! `CIE_PKCS11_CACHE=off` (no certificate cache), `XDG_CACHE_HOME` (cache location).

#![deny(unsafe_op_in_unsafe_fn)]

mod api;
pub mod backend;
mod cache;
pub mod card;
mod error;
pub mod ffi;
mod instance;
mod log;
mod mechanism;
mod module;
mod objects;
mod ops;
mod session;
mod sync;
mod text;
mod token;

pub use api::general::{InitArgs, MutexCallbacks};
pub use backend::{AgentBackend, Backend, PcscBackend};
#[cfg(any(test, feature = "test-backend"))]
pub use backend::{InProcessBackend, ReaderControl};
pub use error::{rv_name, Ckr, Result};
pub use module::{Config, Module};
pub use objects::AttrAnswer;
pub use ops::Output;
