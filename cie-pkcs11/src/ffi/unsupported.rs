//! The function families the card cannot serve (PROTOCOL.md §7.1), each refused with the
//! session still checked: encryption and decryption (PKCS#11 2.40 §5.8, §5.9), dual-function
//! cryptographic functions (§5.13), key management (§5.14), random number generation (§5.15),
//! the legacy parallel functions (§5.16) and the message-based functions of PKCS#11 3.0
//! (§5.9, §5.11, §5.14, §5.16).

use std::ffi::c_void;

use cryptoki_sys::*;

use super::entry::{cryptoki, no_mechanism, not_supported, MODULE};
use crate::error::Ckr;

cryptoki! {
    // Encryption and decryption (§5.8, §5.9).
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

    // Dual-function cryptographic functions (§5.13).
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

    // Key management (§5.14): no mechanism of the token creates or transports keys.
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

    // Random number generation (§5.15): the module offers none.
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

    // Message-based functions of PKCS#11 3.0 (3.0 §5.9, §5.11, §5.14, §5.16).
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
