//! The `extern "C"` entry points (PKCS#11 2.40 and 3.0). Each is a thin shim over the safe
//! [`Module`] API, written with the one `cryptoki!` macro that does the NULL checks, catches
//! panics and maps `Result<(), Ckr>` to `CK_RV` (DESIGN.md §2, §6). The shims own the one
//! static [`Module`] of the process.
#![allow(non_snake_case)]
#![allow(clippy::missing_safety_doc)]

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cryptoki_sys::*;

use crate::digest::DigestOutput;
use crate::error::{Ckr, Result};
use crate::general::{choose_interface, InitArgs, MutexCallbacks, INTERFACE_NAME, VERSION_2_40, VERSION_3_0};
use crate::module::Module;
use crate::object::{AttrAnswer, CK_UNAVAILABLE_INFORMATION};
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

cryptoki! {
    // ----- General purpose (PKCS#11 2.40 §5.4) -----

    #[no_mangle]
    fn C_Initialize(pInitArgs: *mut c_void) {
        crate::log::init_from_env();
        let args = if pInitArgs.is_null() {
            None
        } else {
            // SAFETY: a non-NULL argument points to a CK_C_INITIALIZE_ARGS.
            let a = unsafe { &*(pInitArgs as *const CK_C_INITIALIZE_ARGS) };
            let given = [a.CreateMutex.is_some(), a.DestroyMutex.is_some(), a.LockMutex.is_some(), a.UnlockMutex.is_some()];
            let mutexes = match given.iter().filter(|g| **g).count() {
                0 => MutexCallbacks::None,
                4 => MutexCallbacks::All,
                _ => MutexCallbacks::Partial,
            };
            Some(InitArgs { flags: a.flags, mutexes, reserved_null: a.pReserved.is_null() })
        };
        MODULE.initialize(args)
    }

    #[no_mangle]
    fn C_Finalize(pReserved: *mut c_void) {
        if !pReserved.is_null() {
            return Err(Ckr(CKR_ARGUMENTS_BAD));
        }
        MODULE.finalize()
    }

    #[no_mangle]
    fn C_GetInfo(pInfo: *mut CK_INFO) non_null(pInfo) {
        let info = MODULE.info(VERSION_2_40)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    /// `C_GetInfo` of the 3.0 function list.
    fn C_GetInfo_3_0(pInfo: *mut CK_INFO) non_null(pInfo) {
        let info = MODULE.info(VERSION_3_0)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_GetFunctionList(ppFunctionList: *mut *mut CK_FUNCTION_LIST) non_null(ppFunctionList) {
        // SAFETY: checked non-NULL. The table is never written through this pointer.
        unsafe { *ppFunctionList = &FUNCTIONS_2_40 as *const CK_FUNCTION_LIST as *mut CK_FUNCTION_LIST };
        Ok(())
    }

    #[no_mangle]
    fn C_GetInterfaceList(pInterfacesList: *mut CK_INTERFACE, pulCount: *mut CK_ULONG) non_null(pulCount) {
        // SAFETY: pulCount checked; the list has room for *pulCount interfaces.
        unsafe { put_list(&INTERFACES.0, pInterfacesList, pulCount) }
    }

    #[no_mangle]
    fn C_GetInterface(
        pInterfaceName: *mut CK_UTF8CHAR,
        pVersion: *mut CK_VERSION,
        ppInterface: *mut *mut CK_INTERFACE,
        flags: CK_FLAGS,
    ) non_null(ppInterface) {
        // SAFETY: a non-NULL name is a NUL-terminated string; a non-NULL version is readable.
        let name = (!pInterfaceName.is_null())
            .then(|| unsafe { std::ffi::CStr::from_ptr(pInterfaceName as *const std::ffi::c_char) }.to_bytes());
        let version = (!pVersion.is_null()).then(|| unsafe { *pVersion });
        let offered: Vec<(&[u8], CK_VERSION, CK_FLAGS)> =
            OFFERED.iter().map(|(v, f)| (INTERFACE_NAME, *v, *f)).collect();
        let i = choose_interface(&offered, name, version, flags).ok_or(Ckr(CKR_ARGUMENTS_BAD))?;
        // SAFETY: checked non-NULL; the interface is static and never written through.
        unsafe { *ppInterface = &INTERFACES.0[i] as *const CK_INTERFACE as *mut CK_INTERFACE };
        Ok(())
    }

    // ----- Slots and tokens (§5.5) -----

    #[no_mangle]
    fn C_GetSlotList(tokenPresent: CK_BBOOL, pSlotList: *mut CK_SLOT_ID, pulCount: *mut CK_ULONG) non_null(pulCount) {
        let list = MODULE.slot_list(tokenPresent != CK_FALSE, pSlotList.is_null())?;
        // SAFETY: pulCount checked; pSlotList has room for *pulCount IDs.
        unsafe { put_list(&list, pSlotList, pulCount) }
    }

    #[no_mangle]
    fn C_GetSlotInfo(slotID: CK_SLOT_ID, pInfo: *mut CK_SLOT_INFO) non_null(pInfo) {
        let info = MODULE.slot_info(slotID)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_GetTokenInfo(slotID: CK_SLOT_ID, pInfo: *mut CK_TOKEN_INFO) non_null(pInfo) {
        let info = MODULE.token_info(slotID)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_WaitForSlotEvent(flags: CK_FLAGS, pSlot: *mut CK_SLOT_ID, pReserved: *mut c_void) non_null(pSlot) {
        if !pReserved.is_null() {
            return Err(Ckr(CKR_ARGUMENTS_BAD));
        }
        let slot = MODULE.wait_for_slot_event(flags)?;
        // SAFETY: checked non-NULL.
        unsafe { *pSlot = slot };
        Ok(())
    }

    #[no_mangle]
    fn C_GetMechanismList(slotID: CK_SLOT_ID, pMechanismList: *mut CK_MECHANISM_TYPE, pulCount: *mut CK_ULONG) non_null(pulCount) {
        let list = MODULE.mechanism_list(slotID)?;
        // SAFETY: pulCount checked; the list has room for *pulCount entries.
        unsafe { put_list(&list, pMechanismList, pulCount) }
    }

    #[no_mangle]
    fn C_GetMechanismInfo(slotID: CK_SLOT_ID, type_: CK_MECHANISM_TYPE, pInfo: *mut CK_MECHANISM_INFO) non_null(pInfo) {
        let info = MODULE.mechanism_info(slotID, type_)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_InitToken(slotID: CK_SLOT_ID, _pPin: *mut CK_UTF8CHAR, _ulPinLen: CK_ULONG, _pLabel: *mut CK_UTF8CHAR) {
        MODULE.token_info(slotID)?;
        Err(Ckr(CKR_TOKEN_WRITE_PROTECTED))
    }

    #[no_mangle]
    fn C_InitPIN(hSession: CK_SESSION_HANDLE, pPin: *mut CK_UTF8CHAR, ulPinLen: CK_ULONG) {
        // SAFETY: the PIN has ulPinLen bytes.
        let pin = unsafe { input(pPin, ulPinLen) }?;
        MODULE.init_pin(hSession, pin)
    }

    #[no_mangle]
    fn C_SetPIN(
        hSession: CK_SESSION_HANDLE,
        pOldPin: *mut CK_UTF8CHAR,
        ulOldLen: CK_ULONG,
        pNewPin: *mut CK_UTF8CHAR,
        ulNewLen: CK_ULONG,
    ) {
        // SAFETY: each PIN has its stated length.
        let (old, new) = unsafe { (input(pOldPin, ulOldLen)?, input(pNewPin, ulNewLen)?) };
        MODULE.set_pin(hSession, old, new)
    }

    // ----- Sessions (§5.6) -----

    #[no_mangle]
    fn C_OpenSession(
        slotID: CK_SLOT_ID,
        flags: CK_FLAGS,
        _pApplication: *mut c_void,
        _Notify: CK_NOTIFY,
        phSession: *mut CK_SESSION_HANDLE,
    ) non_null(phSession) {
        let h = MODULE.open_session(slotID, flags)?;
        // SAFETY: checked non-NULL.
        unsafe { *phSession = h };
        Ok(())
    }

    #[no_mangle]
    fn C_CloseSession(hSession: CK_SESSION_HANDLE) {
        MODULE.close_session(hSession)
    }

    #[no_mangle]
    fn C_CloseAllSessions(slotID: CK_SLOT_ID) {
        MODULE.close_all_sessions(slotID)
    }

    #[no_mangle]
    fn C_GetSessionInfo(hSession: CK_SESSION_HANDLE, pInfo: *mut CK_SESSION_INFO) non_null(pInfo) {
        let info = MODULE.session_info(hSession)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_SessionCancel(hSession: CK_SESSION_HANDLE, flags: CK_FLAGS) {
        MODULE.session_cancel(hSession, flags)
    }

    #[no_mangle]
    fn C_GetOperationState(hSession: CK_SESSION_HANDLE, _pOperationState: *mut CK_BYTE, _pulLen: *mut CK_ULONG) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED))
    }

    #[no_mangle]
    fn C_SetOperationState(
        hSession: CK_SESSION_HANDLE,
        _pOperationState: *mut CK_BYTE,
        _ulLen: CK_ULONG,
        _hEncryptionKey: CK_OBJECT_HANDLE,
        _hAuthenticationKey: CK_OBJECT_HANDLE,
    ) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED))
    }

    #[no_mangle]
    fn C_Login(hSession: CK_SESSION_HANDLE, userType: CK_USER_TYPE, pPin: *mut CK_UTF8CHAR, ulPinLen: CK_ULONG) {
        // SAFETY: the PIN has ulPinLen bytes.
        let pin = unsafe { input(pPin, ulPinLen) }?;
        MODULE.login(hSession, userType, pin)
    }

    #[no_mangle]
    fn C_LoginUser(
        hSession: CK_SESSION_HANDLE,
        userType: CK_USER_TYPE,
        pPin: *mut CK_UTF8CHAR,
        ulPinLen: CK_ULONG,
        pUsername: *mut CK_UTF8CHAR,
        ulUsernameLen: CK_ULONG,
    ) {
        // The CIE has no user names: accept only an empty one.
        // SAFETY: the user name and PIN have their stated lengths.
        if !unsafe { input(pUsername, ulUsernameLen) }?.is_empty() {
            return Err(Ckr(CKR_ARGUMENTS_BAD));
        }
        let pin = unsafe { input(pPin, ulPinLen) }?;
        MODULE.login(hSession, userType, pin)
    }

    #[no_mangle]
    fn C_Logout(hSession: CK_SESSION_HANDLE) {
        MODULE.logout(hSession)
    }

    // ----- Objects (§5.7) -----

    #[no_mangle]
    fn C_CreateObject(
        hSession: CK_SESSION_HANDLE,
        pTemplate: *mut CK_ATTRIBUTE,
        ulCount: CK_ULONG,
        phObject: *mut CK_OBJECT_HANDLE,
    ) non_null(phObject) {
        // SAFETY: the template has ulCount attributes, each value ulValueLen bytes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let mut token_object = false;
        for a in attrs.iter().filter(|a| a.type_ == CKA_TOKEN) {
            let value = unsafe { input(a.pValue as *const u8, a.ulValueLen) }?;
            token_object = matches!(value, [v] if *v != CK_FALSE);
        }
        MODULE.create_object(hSession, token_object)
    }

    #[no_mangle]
    fn C_CopyObject(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        _pTemplate: *mut CK_ATTRIBUTE,
        _ulCount: CK_ULONG,
        phNewObject: *mut CK_OBJECT_HANDLE,
    ) non_null(phNewObject) {
        MODULE.copy_object(hSession, hObject)
    }

    #[no_mangle]
    fn C_DestroyObject(hSession: CK_SESSION_HANDLE, hObject: CK_OBJECT_HANDLE) {
        MODULE.destroy_object(hSession, hObject)
    }

    #[no_mangle]
    fn C_GetObjectSize(hSession: CK_SESSION_HANDLE, hObject: CK_OBJECT_HANDLE, pulSize: *mut CK_ULONG) non_null(pulSize) {
        let size = MODULE.object_size(hSession, hObject)?;
        // SAFETY: checked non-NULL.
        unsafe { *pulSize = size as CK_ULONG };
        Ok(())
    }

    #[no_mangle]
    fn C_GetAttributeValue(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        pTemplate: *mut CK_ATTRIBUTE,
        ulCount: CK_ULONG,
    ) {
        // SAFETY: the template has ulCount attributes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let requests: Vec<(CK_ATTRIBUTE_TYPE, Option<usize>)> = attrs
            .iter()
            .map(|a| (a.type_, (!a.pValue.is_null()).then(|| usize::try_from(a.ulValueLen).unwrap_or(usize::MAX))))
            .collect();
        let (answers, mut rv) = MODULE.attribute_values(hSession, hObject, &requests)?;
        for ((a, answer), (_, capacity)) in attrs.iter_mut().zip(answers).zip(&requests) {
            match answer {
                AttrAnswer::Unavailable => a.ulValueLen = CK_UNAVAILABLE_INFORMATION,
                AttrAnswer::Length(n) => a.ulValueLen = n as CK_ULONG,
                AttrAnswer::Value(v) => {
                    // SAFETY: pValue has ulValueLen bytes (the capacity read above); the copy
                    // is bounded by it.
                    match unsafe { copy_out(&v, a.pValue as *mut u8, capacity.unwrap_or(0), CKR_BUFFER_TOO_SMALL) } {
                        Ok(()) => a.ulValueLen = v.len() as CK_ULONG,
                        Err(e) => {
                            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                            if rv == CKR_OK {
                                rv = e.rv();
                            }
                        }
                    }
                }
            }
        }
        if rv == CKR_OK { Ok(()) } else { Err(Ckr(rv)) }
    }

    #[no_mangle]
    fn C_SetAttributeValue(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        _pTemplate: *mut CK_ATTRIBUTE,
        _ulCount: CK_ULONG,
    ) {
        MODULE.set_attribute_values(hSession, hObject)
    }

    #[no_mangle]
    fn C_FindObjectsInit(hSession: CK_SESSION_HANDLE, pTemplate: *mut CK_ATTRIBUTE, ulCount: CK_ULONG) {
        // SAFETY: the template has ulCount attributes, each value ulValueLen bytes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let mut wanted = Vec::with_capacity(attrs.len());
        for a in attrs.iter() {
            let value = unsafe { input(a.pValue as *const u8, a.ulValueLen) }?;
            wanted.push((a.type_, value.to_vec()));
        }
        MODULE.find_init(hSession, &wanted)
    }

    #[no_mangle]
    fn C_FindObjects(
        hSession: CK_SESSION_HANDLE,
        phObject: *mut CK_OBJECT_HANDLE,
        ulMaxObjectCount: CK_ULONG,
        pulObjectCount: *mut CK_ULONG,
    ) non_null(phObject, pulObjectCount) {
        let max = usize_of(ulMaxObjectCount)?;
        let found = MODULE.find_next(hSession, max)?;
        // SAFETY: checked non-NULL; phObject has room for ulMaxObjectCount handles, and the
        // copy is bounded by it.
        unsafe {
            copy_out(&found, phObject, max, CKR_GENERAL_ERROR)?;
            *pulObjectCount = found.len() as CK_ULONG;
        }
        Ok(())
    }

    #[no_mangle]
    fn C_FindObjectsFinal(hSession: CK_SESSION_HANDLE) {
        MODULE.find_final(hSession)
    }

    // ----- Signing (§5.12) -----

    #[no_mangle]
    fn C_SignInit(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, hKey: CK_OBJECT_HANDLE) non_null(pMechanism) {
        // SAFETY: checked non-NULL.
        let (mech, has_param) = unsafe { mechanism(pMechanism) };
        MODULE.sign_init(hSession, mech, has_param, hKey)
    }

    #[no_mangle]
    fn C_Sign(
        hSession: CK_SESSION_HANDLE,
        pData: *mut CK_BYTE,
        ulDataLen: CK_ULONG,
        pSignature: *mut CK_BYTE,
        pulSignatureLen: *mut CK_ULONG,
    ) {
        ending_on_error(hSession, Op::Sign, || {
            if pulSignatureLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: data has ulDataLen bytes; the signature buffer *pulSignatureLen bytes.
            unsafe {
                let data = input(pData, ulDataLen)?;
                let out = MODULE.sign(hSession, data, capacity(pSignature, pulSignatureLen)?)?;
                put_signature(out, pSignature, pulSignatureLen)
            }
        })
    }

    #[no_mangle]
    fn C_SignUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, Op::Sign, || {
            // SAFETY: the part has ulPartLen bytes.
            let part = unsafe { input(pPart, ulPartLen) }?;
            MODULE.sign_update(hSession, part)
        })
    }

    #[no_mangle]
    fn C_SignFinal(hSession: CK_SESSION_HANDLE, pSignature: *mut CK_BYTE, pulSignatureLen: *mut CK_ULONG) {
        ending_on_error(hSession, Op::Sign, || {
            if pulSignatureLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: the signature buffer has *pulSignatureLen bytes.
            unsafe {
                let out = MODULE.sign_final(hSession, capacity(pSignature, pulSignatureLen)?)?;
                put_signature(out, pSignature, pulSignatureLen)
            }
        })
    }

    // ----- Verification and digests, in software -----

    #[no_mangle]
    fn C_VerifyInit(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, hKey: CK_OBJECT_HANDLE) non_null(pMechanism) {
        // SAFETY: checked non-NULL.
        let (mech, has_param) = unsafe { mechanism(pMechanism) };
        MODULE.verify_init(hSession, mech, has_param, hKey)
    }

    #[no_mangle]
    fn C_Verify(hSession: CK_SESSION_HANDLE, pData: *mut CK_BYTE, ulDataLen: CK_ULONG, pSignature: *mut CK_BYTE, ulSignatureLen: CK_ULONG) {
        ending_on_error(hSession, Op::Verify, || {
            // SAFETY: data and signature have their stated lengths.
            let (data, sig) = unsafe { (input(pData, ulDataLen)?, input(pSignature, ulSignatureLen)?) };
            MODULE.verify(hSession, data, sig)
        })
    }

    #[no_mangle]
    fn C_VerifyUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, Op::Verify, || {
            // SAFETY: the part has ulPartLen bytes.
            let part = unsafe { input(pPart, ulPartLen) }?;
            MODULE.verify_update(hSession, part)
        })
    }

    #[no_mangle]
    fn C_VerifyFinal(hSession: CK_SESSION_HANDLE, pSignature: *mut CK_BYTE, ulSignatureLen: CK_ULONG) {
        ending_on_error(hSession, Op::Verify, || {
            // SAFETY: the signature has ulSignatureLen bytes.
            let sig = unsafe { input(pSignature, ulSignatureLen) }?;
            MODULE.verify_final(hSession, sig)
        })
    }

    #[no_mangle]
    fn C_DigestInit(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM) non_null(pMechanism) {
        // SAFETY: checked non-NULL.
        let (mech, has_param) = unsafe { mechanism(pMechanism) };
        MODULE.digest_init(hSession, mech, has_param)
    }

    #[no_mangle]
    fn C_Digest(hSession: CK_SESSION_HANDLE, pData: *mut CK_BYTE, ulDataLen: CK_ULONG, pDigest: *mut CK_BYTE, pulDigestLen: *mut CK_ULONG) {
        ending_on_error(hSession, Op::Digest, || {
            if pulDigestLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: data has ulDataLen bytes; the digest buffer *pulDigestLen bytes.
            unsafe {
                let data = input(pData, ulDataLen)?;
                let out = MODULE.digest(hSession, data, capacity(pDigest, pulDigestLen)?)?;
                put_digest(out, pDigest, pulDigestLen)
            }
        })
    }

    #[no_mangle]
    fn C_DigestUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, Op::Digest, || {
            // SAFETY: the part has ulPartLen bytes.
            let part = unsafe { input(pPart, ulPartLen) }?;
            MODULE.digest_update(hSession, part)
        })
    }

    #[no_mangle]
    fn C_DigestKey(hSession: CK_SESSION_HANDLE, hKey: CK_OBJECT_HANDLE) {
        MODULE.digest_key(hSession, hKey)
    }

    #[no_mangle]
    fn C_DigestFinal(hSession: CK_SESSION_HANDLE, pDigest: *mut CK_BYTE, pulDigestLen: *mut CK_ULONG) {
        ending_on_error(hSession, Op::Digest, || {
            if pulDigestLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: the digest buffer has *pulDigestLen bytes.
            unsafe {
                let out = MODULE.digest_final(hSession, capacity(pDigest, pulDigestLen)?)?;
                put_digest(out, pDigest, pulDigestLen)
            }
        })
    }

    // ----- What the card cannot do (PROTOCOL.md §7.1) -----

    #[no_mangle]
    fn C_SignRecoverInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignRecover(hSession: CK_SESSION_HANDLE, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _pulSignatureLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_Encrypt(hSession: CK_SESSION_HANDLE, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pEncryptedData: *mut CK_BYTE, _pulEncryptedDataLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptUpdate(hSession: CK_SESSION_HANDLE, _pPart: *mut CK_BYTE, _ulPartLen: CK_ULONG, _pEncryptedPart: *mut CK_BYTE, _pulEncryptedPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptFinal(hSession: CK_SESSION_HANDLE, _pLastEncryptedPart: *mut CK_BYTE, _pulLastEncryptedPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_Decrypt(hSession: CK_SESSION_HANDLE, _pEncryptedData: *mut CK_BYTE, _ulEncryptedDataLen: CK_ULONG, _pData: *mut CK_BYTE, _pulDataLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptUpdate(hSession: CK_SESSION_HANDLE, _pEncryptedPart: *mut CK_BYTE, _ulEncryptedPartLen: CK_ULONG, _pPart: *mut CK_BYTE, _pulPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptFinal(hSession: CK_SESSION_HANDLE, _pLastPart: *mut CK_BYTE, _pulLastPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyRecoverInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyRecover(hSession: CK_SESSION_HANDLE, _pSignature: *mut CK_BYTE, _ulSignatureLen: CK_ULONG, _pData: *mut CK_BYTE, _pulDataLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DigestEncryptUpdate(hSession: CK_SESSION_HANDLE, _pPart: *mut CK_BYTE, _ulPartLen: CK_ULONG, _pEncryptedPart: *mut CK_BYTE, _pulEncryptedPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptDigestUpdate(hSession: CK_SESSION_HANDLE, _pEncryptedPart: *mut CK_BYTE, _ulEncryptedPartLen: CK_ULONG, _pPart: *mut CK_BYTE, _pulPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignEncryptUpdate(hSession: CK_SESSION_HANDLE, _pPart: *mut CK_BYTE, _ulPartLen: CK_ULONG, _pEncryptedPart: *mut CK_BYTE, _pulEncryptedPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptVerifyUpdate(hSession: CK_SESSION_HANDLE, _pEncryptedPart: *mut CK_BYTE, _ulEncryptedPartLen: CK_ULONG, _pPart: *mut CK_BYTE, _pulPartLen: *mut CK_ULONG) {
        not_supported(hSession)
    }

    // Key management: no mechanism of the token creates or transports keys.
    #[no_mangle]
    fn C_GenerateKey(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, _pTemplate: *mut CK_ATTRIBUTE, _ulCount: CK_ULONG, _phKey: *mut CK_OBJECT_HANDLE) non_null(pMechanism) {
        no_mechanism(hSession)
    }
    #[no_mangle]
    fn C_GenerateKeyPair(
        hSession: CK_SESSION_HANDLE,
        pMechanism: *mut CK_MECHANISM,
        _pPublicKeyTemplate: *mut CK_ATTRIBUTE,
        _ulPublicKeyAttributeCount: CK_ULONG,
        _pPrivateKeyTemplate: *mut CK_ATTRIBUTE,
        _ulPrivateKeyAttributeCount: CK_ULONG,
        _phPublicKey: *mut CK_OBJECT_HANDLE,
        _phPrivateKey: *mut CK_OBJECT_HANDLE,
    ) non_null(pMechanism) {
        no_mechanism(hSession)
    }
    #[no_mangle]
    fn C_WrapKey(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, _hWrappingKey: CK_OBJECT_HANDLE, _hKey: CK_OBJECT_HANDLE, _pWrappedKey: *mut CK_BYTE, _pulWrappedKeyLen: *mut CK_ULONG) non_null(pMechanism) {
        no_mechanism(hSession)
    }
    #[no_mangle]
    fn C_UnwrapKey(
        hSession: CK_SESSION_HANDLE,
        pMechanism: *mut CK_MECHANISM,
        _hUnwrappingKey: CK_OBJECT_HANDLE,
        _pWrappedKey: *mut CK_BYTE,
        _ulWrappedKeyLen: CK_ULONG,
        _pTemplate: *mut CK_ATTRIBUTE,
        _ulAttributeCount: CK_ULONG,
        _phKey: *mut CK_OBJECT_HANDLE,
    ) non_null(pMechanism) {
        no_mechanism(hSession)
    }
    #[no_mangle]
    fn C_DeriveKey(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, _hBaseKey: CK_OBJECT_HANDLE, _pTemplate: *mut CK_ATTRIBUTE, _ulAttributeCount: CK_ULONG, _phKey: *mut CK_OBJECT_HANDLE) non_null(pMechanism) {
        no_mechanism(hSession)
    }

    // Random numbers: the module offers none.
    #[no_mangle]
    fn C_SeedRandom(hSession: CK_SESSION_HANDLE, _pSeed: *mut CK_BYTE, _ulSeedLen: CK_ULONG) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_RANDOM_NO_RNG))
    }
    #[no_mangle]
    fn C_GenerateRandom(hSession: CK_SESSION_HANDLE, _RandomData: *mut CK_BYTE, _ulRandomLen: CK_ULONG) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_RANDOM_NO_RNG))
    }

    // Legacy parallel functions (§5.16).
    #[no_mangle]
    fn C_GetFunctionStatus(hSession: CK_SESSION_HANDLE) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_FUNCTION_NOT_PARALLEL))
    }
    #[no_mangle]
    fn C_CancelFunction(hSession: CK_SESSION_HANDLE) {
        MODULE.check_session(hSession)?;
        Err(Ckr(CKR_FUNCTION_NOT_PARALLEL))
    }

    // ----- PKCS#11 3.0 message-based functions: not supported -----
    #[no_mangle]
    fn C_MessageEncryptInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptMessage(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pAssociatedData: *mut CK_BYTE, _ulAssociatedDataLen: CK_ULONG, _pPlaintext: *mut CK_BYTE, _ulPlaintextLen: CK_ULONG, _pCiphertext: *mut CK_BYTE, _pulCiphertextLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptMessageBegin(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pAssociatedData: *mut CK_BYTE, _ulAssociatedDataLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_EncryptMessageNext(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pPlaintextPart: *mut CK_BYTE, _ulPlaintextPartLen: CK_ULONG, _pCiphertextPart: *mut CK_BYTE, _pulCiphertextPartLen: *mut CK_ULONG, _flags: CK_FLAGS) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageEncryptFinal(hSession: CK_SESSION_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageDecryptInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptMessage(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pAssociatedData: *mut CK_BYTE, _ulAssociatedDataLen: CK_ULONG, _pCiphertext: *mut CK_BYTE, _ulCiphertextLen: CK_ULONG, _pPlaintext: *mut CK_BYTE, _pulPlaintextLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptMessageBegin(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pAssociatedData: *mut CK_BYTE, _ulAssociatedDataLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_DecryptMessageNext(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pCiphertextPart: *mut CK_BYTE, _ulCiphertextPartLen: CK_ULONG, _pPlaintextPart: *mut CK_BYTE, _pulPlaintextPartLen: *mut CK_ULONG, _flags: CK_FLAGS) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageDecryptFinal(hSession: CK_SESSION_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageSignInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignMessage(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _pulSignatureLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignMessageBegin(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignMessageNext(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _pulSignatureLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageSignFinal(hSession: CK_SESSION_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageVerifyInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyMessage(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _ulSignatureLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyMessageBegin(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyMessageNext(hSession: CK_SESSION_HANDLE, _pParameter: *mut c_void, _ulParameterLen: CK_ULONG, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _ulSignatureLen: CK_ULONG) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_MessageVerifyFinal(hSession: CK_SESSION_HANDLE) {
        not_supported(hSession)
    }
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
