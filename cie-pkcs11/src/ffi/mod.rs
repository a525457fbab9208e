//! The `extern "C"` entry points (PKCS#11 2.40 and 3.0). Each is a thin shim over the safe
//! [`Module`] API, written with the one `cryptoki!` macro that does the NULL checks, catches
//! panics and maps `Result<(), Ckr>` to `CK_RV` (DESIGN.md §2, §6). The shims own the one
//! static [`Module`] of the process.
//!
//! The entry points are grouped as the function families of chapter 5 of PKCS#11 2.40:
//! `general` (§5.4), `slots` (§5.5), `sessions` (§5.6), `objects` (§5.7), `digesting`
//! (§5.10), `signing` (§5.11), `verifying` (§5.12), and `unsupported` for the families the
//! card cannot serve. This module holds what they share: the macro, the conventions for the
//! caller's buffers (§5.2), and the function lists and interfaces that `C_GetFunctionList`
//! and `C_GetInterface` hand out.
#![allow(non_snake_case)]
#![allow(clippy::missing_safety_doc)]

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cryptoki_sys::*;

use crate::digest::DigestOutput;
use crate::error::{Ckr, Result};
use crate::general::{VERSION_2_40, VERSION_3_0};
use crate::module::Module;
use crate::sign::SignOutput;

/// The module behind the C entry points (no heap memory outside an initialisation, so an
/// unloaded module leaves nothing behind).
static MODULE: Module = Module::new();

/// Runs one entry point: catches panics and maps the result (the single place where a
/// `Result` becomes a `CK_RV`).
fn entry(name: &'static str, f: impl FnOnce() -> Result<()>) -> CK_RV {
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
/// `non_null` give `CKR_ARGUMENTS_BAD` when NULL; the body returns `Result<()>`.
macro_rules! cryptoki {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(non_null($($nn:ident),+))? $body:block
    )*) => {$(
        $(#[$meta])*
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> CK_RV {
            entry(stringify!($name), || -> Result<()> {
                $($(if $nn.is_null() { return Err(Ckr(CKR_ARGUMENTS_BAD)); })+)?
                $body
            })
        }
    )*};
}

mod digesting;
mod general;
mod objects;
mod sessions;
mod signing;
mod slots;
mod unsupported;
mod verifying;

pub use digesting::*;
pub use general::*;
pub use objects::*;
pub use sessions::*;
pub use signing::*;
pub use slots::*;
pub use unsupported::*;
pub use verifying::*;

fn usize_of(n: CK_ULONG) -> Result<usize> {
    usize::try_from(n).map_err(|_| Ckr(CKR_ARGUMENTS_BAD))
}

/// A caller's input buffer (NULL is fine when the length is 0).
unsafe fn input<'a, T>(p: *const T, n: CK_ULONG) -> Result<&'a [T]> {
    let n = usize_of(n)?;
    if n == 0 {
        Ok(&[])
    } else if p.is_null() {
        Err(Ckr(CKR_ARGUMENTS_BAD))
    } else {
        // SAFETY: the caller passes `n` valid elements at `p` (PKCS#11 calling convention).
        Ok(unsafe { std::slice::from_raw_parts(p, n) })
    }
}

/// A caller's template, writable.
unsafe fn template<'a>(p: *mut CK_ATTRIBUTE, n: CK_ULONG) -> Result<&'a mut [CK_ATTRIBUTE]> {
    let n = usize_of(n)?;
    if n == 0 {
        Ok(&mut [])
    } else if p.is_null() {
        Err(Ckr(CKR_ARGUMENTS_BAD))
    } else {
        // SAFETY: the caller passes `n` valid attributes at `p`.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
    }
}

/// The PKCS#11 output convention for lists: NULL buffer -> count; short -> count and
/// `CKR_BUFFER_TOO_SMALL`; else copy and count.
unsafe fn put_list<T: Copy>(items: &[T], out: *mut T, count: *mut CK_ULONG) -> Result<()> {
    // SAFETY: `count` was checked non-NULL by the entry point; `out` holds `*count` elements.
    unsafe {
        let have = *count;
        *count = items.len() as CK_ULONG;
        if out.is_null() {
            return Ok(());
        }
        copy_out(items, out, usize_of(have)?, CKR_BUFFER_TOO_SMALL)
    }
}

/// Copies `src` into a caller buffer of `capacity` elements; never writes past it: a source
/// longer than the capacity (or a NULL buffer) copies nothing and returns `too_long`.
///
/// # Safety
/// `dst` is NULL or has `capacity` writable elements.
unsafe fn copy_out<T: Copy>(src: &[T], dst: *mut T, capacity: usize, too_long: CK_RV) -> Result<()> {
    if src.len() > capacity || (dst.is_null() && !src.is_empty()) {
        return Err(Ckr(too_long));
    }
    if !src.is_empty() {
        // SAFETY: `dst` has `capacity >= src.len()` writable elements; a caller buffer cannot
        // overlap our own allocation.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    }
    Ok(())
}

/// The output convention of `C_Sign`/`C_SignFinal`. The copy is bounded by the caller's
/// `*len` whatever the signature holds (a longer one is `CKR_DEVICE_ERROR`, nothing written).
unsafe fn put_signature(out: SignOutput, p: *mut CK_BYTE, len: *mut CK_ULONG) -> Result<()> {
    // SAFETY: `len` was checked non-NULL; `p` has `*len` bytes when it is not NULL.
    unsafe {
        match out {
            SignOutput::Length(n) => {
                *len = n as CK_ULONG;
                Ok(())
            }
            SignOutput::TooSmall(n) => {
                *len = n as CK_ULONG;
                Err(Ckr(CKR_BUFFER_TOO_SMALL))
            }
            SignOutput::Signature(sig) => {
                let capacity = usize_of(*len)?;
                copy_out(&sig, p, capacity, CKR_DEVICE_ERROR)?;
                *len = sig.len() as CK_ULONG;
                Ok(())
            }
        }
    }
}

/// The output convention of `C_Digest`/`C_DigestFinal`, bounded by the caller's capacity.
unsafe fn put_digest(out: DigestOutput, p: *mut CK_BYTE, len: *mut CK_ULONG) -> Result<()> {
    // SAFETY: `len` was checked non-NULL; `p` has `*len` bytes when it is not NULL.
    unsafe {
        match out {
            DigestOutput::Length(n) => {
                *len = n as CK_ULONG;
                Ok(())
            }
            DigestOutput::TooSmall(n) => {
                *len = n as CK_ULONG;
                Err(Ckr(CKR_BUFFER_TOO_SMALL))
            }
            DigestOutput::Digest(d) => {
                if p.is_null() || usize_of(*len)? < d.len() {
                    return Err(Ckr(CKR_BUFFER_TOO_SMALL));
                }
                std::ptr::copy_nonoverlapping(d.as_ptr(), p, d.len());
                *len = d.len() as CK_ULONG;
                Ok(())
            }
        }
    }
}

/// The operation kinds whose errors end them (PKCS#11 2.40: digesting, signing, verifying).
#[derive(Clone, Copy)]
enum Op {
    Sign,
    Verify,
    Digest,
}

/// Runs the body of a signing, verifying or digesting call and, when it fails with anything
/// but `CKR_BUFFER_TOO_SMALL`, ends that operation, argument errors included (PKCS#11 2.40
/// §5.12: such a call "terminates the current operation").
fn ending_on_error(session: CK_SESSION_HANDLE, op: Op, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let result = f();
    if let Err(e) = result {
        if e.rv() != CKR_BUFFER_TOO_SMALL {
            match op {
                Op::Sign => MODULE.sign_abort(session),
                Op::Verify => MODULE.verify_abort(session),
                Op::Digest => MODULE.digest_abort(session),
            }
        }
    }
    result
}

/// The buffer capacity of an output (`None` for a NULL buffer: a size query).
unsafe fn capacity(p: *mut CK_BYTE, len: *mut CK_ULONG) -> Result<Option<usize>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: `len` was checked non-NULL.
        Ok(Some(usize_of(unsafe { *len })?))
    }
}

/// The mechanism type and whether it carries a parameter.
unsafe fn mechanism(p: *const CK_MECHANISM) -> (CK_MECHANISM_TYPE, bool) {
    // SAFETY: checked non-NULL by the entry point.
    let m = unsafe { &*p };
    (m.mechanism, !m.pParameter.is_null() || m.ulParameterLen != 0)
}

/// A function the token does not offer: the session must still be valid.
fn not_supported(session: CK_SESSION_HANDLE) -> Result<()> {
    MODULE.check_session(session)?;
    Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED))
}

/// A key-management function: no mechanism of the token applies.
fn no_mechanism(session: CK_SESSION_HANDLE) -> Result<()> {
    MODULE.check_session(session)?;
    Err(Ckr(CKR_MECHANISM_INVALID))
}

// ----- Function lists and interfaces (PKCS#11 3.0 §5.4) -----

/// Builds a function table: the 2.40 entries (with the given `C_GetInfo`), then `extra` ones.
macro_rules! function_table {
    ($ty:ident, $version:expr, $get_info:ident $(, $extra:ident)* $(,)?) => {
        $ty {
            version: $version,
            C_Initialize: Some(C_Initialize),
            C_Finalize: Some(C_Finalize),
            C_GetInfo: Some($get_info),
            C_GetFunctionList: Some(C_GetFunctionList),
            C_GetSlotList: Some(C_GetSlotList),
            C_GetSlotInfo: Some(C_GetSlotInfo),
            C_GetTokenInfo: Some(C_GetTokenInfo),
            C_GetMechanismList: Some(C_GetMechanismList),
            C_GetMechanismInfo: Some(C_GetMechanismInfo),
            C_InitToken: Some(C_InitToken),
            C_InitPIN: Some(C_InitPIN),
            C_SetPIN: Some(C_SetPIN),
            C_OpenSession: Some(C_OpenSession),
            C_CloseSession: Some(C_CloseSession),
            C_CloseAllSessions: Some(C_CloseAllSessions),
            C_GetSessionInfo: Some(C_GetSessionInfo),
            C_GetOperationState: Some(C_GetOperationState),
            C_SetOperationState: Some(C_SetOperationState),
            C_Login: Some(C_Login),
            C_Logout: Some(C_Logout),
            C_CreateObject: Some(C_CreateObject),
            C_CopyObject: Some(C_CopyObject),
            C_DestroyObject: Some(C_DestroyObject),
            C_GetObjectSize: Some(C_GetObjectSize),
            C_GetAttributeValue: Some(C_GetAttributeValue),
            C_SetAttributeValue: Some(C_SetAttributeValue),
            C_FindObjectsInit: Some(C_FindObjectsInit),
            C_FindObjects: Some(C_FindObjects),
            C_FindObjectsFinal: Some(C_FindObjectsFinal),
            C_EncryptInit: Some(C_EncryptInit),
            C_Encrypt: Some(C_Encrypt),
            C_EncryptUpdate: Some(C_EncryptUpdate),
            C_EncryptFinal: Some(C_EncryptFinal),
            C_DecryptInit: Some(C_DecryptInit),
            C_Decrypt: Some(C_Decrypt),
            C_DecryptUpdate: Some(C_DecryptUpdate),
            C_DecryptFinal: Some(C_DecryptFinal),
            C_DigestInit: Some(C_DigestInit),
            C_Digest: Some(C_Digest),
            C_DigestUpdate: Some(C_DigestUpdate),
            C_DigestKey: Some(C_DigestKey),
            C_DigestFinal: Some(C_DigestFinal),
            C_SignInit: Some(C_SignInit),
            C_Sign: Some(C_Sign),
            C_SignUpdate: Some(C_SignUpdate),
            C_SignFinal: Some(C_SignFinal),
            C_SignRecoverInit: Some(C_SignRecoverInit),
            C_SignRecover: Some(C_SignRecover),
            C_VerifyInit: Some(C_VerifyInit),
            C_Verify: Some(C_Verify),
            C_VerifyUpdate: Some(C_VerifyUpdate),
            C_VerifyFinal: Some(C_VerifyFinal),
            C_VerifyRecoverInit: Some(C_VerifyRecoverInit),
            C_VerifyRecover: Some(C_VerifyRecover),
            C_DigestEncryptUpdate: Some(C_DigestEncryptUpdate),
            C_DecryptDigestUpdate: Some(C_DecryptDigestUpdate),
            C_SignEncryptUpdate: Some(C_SignEncryptUpdate),
            C_DecryptVerifyUpdate: Some(C_DecryptVerifyUpdate),
            C_GenerateKey: Some(C_GenerateKey),
            C_GenerateKeyPair: Some(C_GenerateKeyPair),
            C_WrapKey: Some(C_WrapKey),
            C_UnwrapKey: Some(C_UnwrapKey),
            C_DeriveKey: Some(C_DeriveKey),
            C_SeedRandom: Some(C_SeedRandom),
            C_GenerateRandom: Some(C_GenerateRandom),
            C_GetFunctionStatus: Some(C_GetFunctionStatus),
            C_CancelFunction: Some(C_CancelFunction),
            C_WaitForSlotEvent: Some(C_WaitForSlotEvent),
            $($extra: Some($extra),)*
        }
    };
}

/// The 2.40 function list.
static FUNCTIONS_2_40: CK_FUNCTION_LIST = function_table!(CK_FUNCTION_LIST, VERSION_2_40, C_GetInfo);

/// The 3.0 function list.
static FUNCTIONS_3_0: CK_FUNCTION_LIST_3_0 = function_table!(
    CK_FUNCTION_LIST_3_0,
    VERSION_3_0,
    C_GetInfo_3_0,
    C_GetInterfaceList,
    C_GetInterface,
    C_LoginUser,
    C_SessionCancel,
    C_MessageEncryptInit,
    C_EncryptMessage,
    C_EncryptMessageBegin,
    C_EncryptMessageNext,
    C_MessageEncryptFinal,
    C_MessageDecryptInit,
    C_DecryptMessage,
    C_DecryptMessageBegin,
    C_DecryptMessageNext,
    C_MessageDecryptFinal,
    C_MessageSignInit,
    C_SignMessage,
    C_SignMessageBegin,
    C_SignMessageNext,
    C_MessageSignFinal,
    C_MessageVerifyInit,
    C_VerifyMessage,
    C_VerifyMessageBegin,
    C_VerifyMessageNext,
    C_MessageVerifyFinal,
);

/// The interfaces of `C_GetInterfaceList`, in preference order (the 3.0 one is the default).
struct Interfaces([CK_INTERFACE; 2]);

// SAFETY: the pointers refer to immutable statics.
unsafe impl Sync for Interfaces {}

/// NUL-terminated interface name.
const NAME_C: &[u8] = b"PKCS 11\0";

static INTERFACES: Interfaces = Interfaces([
    CK_INTERFACE {
        pInterfaceName: NAME_C.as_ptr() as *mut CK_UTF8CHAR,
        pFunctionList: &FUNCTIONS_3_0 as *const CK_FUNCTION_LIST_3_0 as *mut c_void,
        flags: 0,
    },
    CK_INTERFACE {
        pInterfaceName: NAME_C.as_ptr() as *mut CK_UTF8CHAR,
        pFunctionList: &FUNCTIONS_2_40 as *const CK_FUNCTION_LIST as *mut c_void,
        flags: 0,
    },
]);

/// Version and flags of each entry of [`INTERFACES`].
const OFFERED: [(CK_VERSION, CK_FLAGS); 2] = [(VERSION_3_0, 0), (VERSION_2_40, 0)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_never_pass_the_callers_capacity() {
        let mut buf = [0u8; 6];
        // Longer than the capacity: nothing written, the given error.
        let e = unsafe { copy_out(&[1u8; 5], buf.as_mut_ptr(), 4, CKR_DEVICE_ERROR) }.unwrap_err();
        assert_eq!(e, Ckr(CKR_DEVICE_ERROR));
        assert_eq!(buf, [0; 6]);
        unsafe { copy_out(&[1u8; 4], buf.as_mut_ptr(), 4, CKR_DEVICE_ERROR) }.unwrap();
        assert_eq!(buf, [1, 1, 1, 1, 0, 0]);
        let e = unsafe { copy_out(&[1u8; 1], std::ptr::null_mut(), 4, CKR_BUFFER_TOO_SMALL) }.unwrap_err();
        assert_eq!(e, Ckr(CKR_BUFFER_TOO_SMALL));
        unsafe { copy_out::<u8>(&[], std::ptr::null_mut(), 0, CKR_BUFFER_TOO_SMALL) }.unwrap();

        // A signature longer than the buffer the caller announced is refused, nothing written.
        let mut sig = [0u8; 8];
        let mut len: CK_ULONG = 4;
        let out = SignOutput::Signature(vec![9; 5]);
        let e = unsafe { put_signature(out, sig.as_mut_ptr(), &mut len) }.unwrap_err();
        assert_eq!((e, len, sig), (Ckr(CKR_DEVICE_ERROR), 4, [0; 8]));
    }
}
