//! What every entry point shares: the one static [`Module`] of the process, the one place
//! where a `Result` becomes a `CK_RV` (catching panics, DESIGN.md §6), the `cryptoki!` macro
//! that writes the shims (NULL checks, then the body through that place), the rule that an
//! error ends the current operation (PKCS#11 2.40 §5.10-§5.12), and the answers of functions
//! the token does not offer.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::ops::OperationKind;

/// The module behind the C entry points (no heap memory outside an initialisation, so an
/// unloaded module leaves nothing behind).
pub(super) static MODULE: Module = Module::new();

/// Runs one entry point: catches panics and maps the result (the single place where a
/// `Result` becomes a `CK_RV`).
pub(super) fn entry(name: &'static str, f: impl FnOnce() -> Result<()>) -> CK_RV {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            tracing::trace!("{name} -> CKR_OK");
            CKR_OK
        }
        Ok(Err(e)) => {
            tracing::debug!("{name} -> {e}");
            e.rv()
        }
        Err(_) => {
            tracing::error!("{name}: internal error (panic caught)");
            CKR_GENERAL_ERROR
        }
    }
}

/// Defines entry points: `fn C_X(args) non_null(p, q) { body }`. The pointers listed in
/// `non_null` give `CKR_ARGUMENTS_BAD` when NULL; the body returns `Result<()>` and runs
/// through [`entry`].
macro_rules! cryptoki {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(non_null($($nn:ident),+))? $body:block
    )*) => {$(
        #[doc = concat!("The PKCS#11 function `", stringify!($name), "`: a shim over [`Module`](crate::module::Module).")]
        $(#[$meta])*
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> CK_RV {
            $crate::ffi::entry::entry(stringify!($name), || -> $crate::error::Result<()> {
                $($(if $nn.is_null() { return Err($crate::error::Ckr(CKR_ARGUMENTS_BAD)); })+)?
                $body
            })
        }
    )*};
}
pub(super) use cryptoki;

/// Runs the body of a signing, verifying or digesting call and, when it fails with anything
/// but `CKR_BUFFER_TOO_SMALL`, ends that operation, argument errors included (PKCS#11 2.40
/// §5.12: such a call "terminates the current operation").
pub(super) fn ending_on_error(
    session: CK_SESSION_HANDLE,
    kind: OperationKind,
    f: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let result = f();
    if let Err(e) = result {
        if e.rv() != CKR_BUFFER_TOO_SMALL {
            MODULE.end_operation(session, kind);
        }
    }
    result
}

/// A function the token does not offer: the session must still be valid.
pub(super) fn not_supported(session: CK_SESSION_HANDLE) -> Result<()> {
    MODULE.check_session(session)?;
    Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED))
}

/// A key-management function: no mechanism of the token applies.
pub(super) fn no_mechanism(session: CK_SESSION_HANDLE) -> Result<()> {
    MODULE.check_session(session)?;
    Err(Ckr(CKR_MECHANISM_INVALID))
}
