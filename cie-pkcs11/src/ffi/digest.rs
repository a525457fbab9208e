//! Message digesting functions (PKCS#11 2.40 §5.10, 3.0 §5.12): `C_DigestInit`, `C_Digest`,
//! `C_DigestUpdate`, `C_DigestKey`, `C_DigestFinal`, in software. The digest reaches the
//! caller through the one bounded copy (`buffers::put_output`).

use cryptoki_sys::*;

use super::buffers::{capacity, input, mechanism, put_output};
use super::entry::{cryptoki, ending_on_error, MODULE};
use crate::error::Ckr;
use crate::ops::OperationKind;

cryptoki! {
    #[no_mangle]
    fn C_DigestInit(hSession: CK_SESSION_HANDLE, pMechanism: *mut CK_MECHANISM) non_null(pMechanism) {
        // SAFETY: checked non-NULL.
        let (mech, has_param) = unsafe { mechanism(pMechanism) };
        MODULE.digest_init(hSession, mech, has_param)
    }

    #[no_mangle]
    fn C_Digest(hSession: CK_SESSION_HANDLE, pData: *mut CK_BYTE, ulDataLen: CK_ULONG, pDigest: *mut CK_BYTE, pulDigestLen: *mut CK_ULONG) {
        ending_on_error(hSession, OperationKind::Digest, || {
            if pulDigestLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: data has ulDataLen bytes; the digest buffer *pulDigestLen bytes.
            unsafe {
                let data = input(pData, ulDataLen)?;
                let out = MODULE.digest(hSession, data, capacity(pDigest, pulDigestLen)?)?;
                put_output(out, pDigest, pulDigestLen, CKR_BUFFER_TOO_SMALL)
            }
        })
    }

    #[no_mangle]
    fn C_DigestUpdate(hSession: CK_SESSION_HANDLE, pPart: *mut CK_BYTE, ulPartLen: CK_ULONG) {
        ending_on_error(hSession, OperationKind::Digest, || {
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
        ending_on_error(hSession, OperationKind::Digest, || {
            if pulDigestLen.is_null() {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            // SAFETY: the digest buffer has *pulDigestLen bytes.
            unsafe {
                let out = MODULE.digest_final(hSession, capacity(pDigest, pulDigestLen)?)?;
                put_output(out, pDigest, pulDigestLen, CKR_BUFFER_TOO_SMALL)
            }
        })
    }
}
