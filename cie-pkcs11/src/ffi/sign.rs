//! Signing and MACing functions (PKCS#11 2.40 §5.11, 3.0 §5.13): `C_SignInit`, `C_Sign`,
//! `C_SignUpdate`, `C_SignFinal` on the card; signatures with message recovery are not
//! offered (PROTOCOL.md §7.1). The signature reaches the caller through the one bounded copy
//! (`buffers::put_output`): one longer than the caller's buffer is `CKR_DEVICE_ERROR`.

use cryptoki_sys::*;

use super::buffers::{capacity, input, mechanism, put_output};
use super::entry::{cryptoki, ending_on_error, not_supported, MODULE};
use crate::error::Ckr;
use crate::ops::OperationKind;

cryptoki! {
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
        ending_on_error(hSession, OperationKind::Sign, || {
            if pulSignatureLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: data has ulDataLen bytes; the signature buffer *pulSignatureLen bytes.
            unsafe {
                let data = input(pData, ulDataLen)?;
                let out = MODULE.sign(hSession, data, capacity(pSignature, pulSignatureLen)?)?;
                put_output(out, pSignature, pulSignatureLen, CKR_DEVICE_ERROR)
            }
        })
    }

    #[no_mangle]
    fn C_SignUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, OperationKind::Sign, || {
            // SAFETY: the part has ulPartLen bytes.
            let part = unsafe { input(pPart, ulPartLen) }?;
            MODULE.sign_update(hSession, part)
        })
    }

    #[no_mangle]
    fn C_SignFinal(hSession: CK_SESSION_HANDLE, pSignature: *mut CK_BYTE, pulSignatureLen: *mut CK_ULONG) {
        ending_on_error(hSession, OperationKind::Sign, || {
            if pulSignatureLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: the signature buffer has *pulSignatureLen bytes.
            unsafe {
                let out = MODULE.sign_final(hSession, capacity(pSignature, pulSignatureLen)?)?;
                put_output(out, pSignature, pulSignatureLen, CKR_DEVICE_ERROR)
            }
        })
    }

    #[no_mangle]
    fn C_SignRecoverInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_SignRecover(hSession: CK_SESSION_HANDLE, _pData: *mut CK_BYTE, _ulDataLen: CK_ULONG, _pSignature: *mut CK_BYTE, _pulSignatureLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
}
