//! libcie: a small C API over cie-core for the Italian electronic identity card (CIE 3.0).
//!
//! No protocol logic lives here: every function is a thin shim over [`cie_core::session::Session`]
//! (in this process, or in the user's card agent when its socket answers) that checks its
//! arguments, catches panics, maps errors to `CIE_ERR_*` codes and keeps a thread-local message
//! for `cie_last_error()`. The header `include/cie.h` is generated from this
//! crate by cbindgen (`cargo xtask header`); a test fails when it is stale.
//!
//! Conventions (also in the header): opaque handles with create/free pairs; caller-owned output
//! buffers with the size query through a NULL buffer; a handle is not to be used from two threads
//! at once, different handles are independent.
//!
//! Files, bottom up; each uses only files before it, and the crate root re-exports the C API
//! of all of them: `status` (status codes, the last-error message, the guard every entry point
//! runs in), `args` (arguments from C, bounded copies into caller buffers), `log` (the log
//! callback), `readers` (`cie_reader_list`), `waiter` (`cie_waiter`), `backend` (where a handle's
//! card operations run: a session here or the card agent), `card` (`cie_card`: opening
//! and the card's public data), then over a card `pin`, `credentials`, `holder`, `sign`, `sod`,
//! and `document` (document formats through cie-sign; it names hashes as `sign` does).

#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod backend;
mod card;
mod credentials;
mod document;
mod holder;
mod log;
mod pin;
mod readers;
mod sign;
mod sod;
mod status;
mod waiter;

use std::ffi::c_char;

pub use card::*;
pub use credentials::*;
pub use document::*;
pub use holder::*;
pub use log::*;
pub use pin::*;
pub use readers::*;
pub use sign::*;
pub use sod::*;
pub use status::*;
pub use waiter::*;

/// The ABI version: the `N` of the library's SONAME `libcie.so.N`, raised whenever a function
/// or type of this header changes incompatibly (build.rs sets the SONAME from it).
pub const CIE_ABI_VERSION: std::ffi::c_int = 1;

const VERSION: &std::ffi::CStr =
    match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library version, e.g. "0.1.0" (a static string).
#[no_mangle]
pub extern "C" fn cie_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The message of the last failed `cie_*` call on this thread: what happened and, where useful,
/// what to do next (never a PIN). Empty after a successful call. The string belongs to the
/// library and stays valid until the next `cie_*` call on the same thread.
#[no_mangle]
pub extern "C" fn cie_last_error() -> *const c_char {
    last_error_ptr()
}

/// A short static description of a status code ("wrong PIN", ...).
#[no_mangle]
pub extern "C" fn cie_status_string(status: cie_status) -> *const c_char {
    describe(status).as_ptr()
}
