//! Functions for verifying signatures and MACs (PKCS#11 2.40 §5.12, 3.0 §5.15): `C_VerifyInit`,
//! `C_Verify`, `C_VerifyUpdate`, `C_VerifyFinal`, in software; verification with message
//! recovery is not offered (PROTOCOL.md §7.1).

use cryptoki_sys::*;

use super::buffers::{input, mechanism};
use super::entry::{cryptoki, ending_on_error, not_supported, MODULE};
use crate::ops::OperationKind;

cryptoki! {
    #[no_mangle]
    fn C_VerifyInit(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM, hKey: CK_OBJECT_HANDLE) non_null(pMechanism) {
        // SAFETY: checked non-NULL.
        let (mech, has_param) = unsafe { mechanism(pMechanism) };
        MODULE.verify_init(hSession, mech, has_param, hKey)
    }

    #[no_mangle]
    fn C_Verify(hSession: CK_SESSION_HANDLE, pData: *mut CK_BYTE, ulDataLen: CK_ULONG, pSignature: *mut CK_BYTE, ulSignatureLen: CK_ULONG) {
        ending_on_error(hSession, OperationKind::Verify, || {
            // SAFETY: data and signature have their stated lengths.
            let (data, sig) = unsafe { (input(pData, ulDataLen)?, input(pSignature, ulSignatureLen)?) };
            MODULE.verify(hSession, data, sig)
        })
    }

    #[no_mangle]
    fn C_VerifyUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, OperationKind::Verify, || {
            // SAFETY: the part has ulPartLen bytes.
            let part = unsafe { input(pPart, ulPartLen) }?;
            MODULE.verify_update(hSession, part)
        })
    }

    #[no_mangle]
    fn C_VerifyFinal(hSession: CK_SESSION_HANDLE, pSignature: *mut CK_BYTE, ulSignatureLen: CK_ULONG) {
        ending_on_error(hSession, OperationKind::Verify, || {
            // SAFETY: the signature has ulSignatureLen bytes.
            let sig = unsafe { input(pSignature, ulSignatureLen) }?;
            MODULE.verify_final(hSession, sig)
        })
    }

    #[no_mangle]
    fn C_VerifyRecoverInit(hSession: CK_SESSION_HANDLE, _pMechanism: *mut CK_MECHANISM, _hKey: CK_OBJECT_HANDLE) {
        not_supported(hSession)
    }
    #[no_mangle]
    fn C_VerifyRecover(hSession: CK_SESSION_HANDLE, _pSignature: *mut CK_BYTE, _ulSignatureLen: CK_ULONG, _pData: *mut CK_BYTE, _pulDataLen: *mut CK_ULONG) {
        not_supported(hSession)
    }
}
