//! The function lists and interfaces (PKCS#11 2.40 §5.4 `C_GetFunctionList`, 3.0 §5.4
//! `C_GetInterfaceList`, `C_GetInterface`): the 2.40 table (version 2.40) and the 3.0 table
//! (version 3.0, reached only through `C_GetInterface`, DESIGN.md §6), built from the entry
//! points of every family, and the three entry points that hand them out.

use std::ffi::c_void;

use cryptoki_sys::*;

use super::buffers::put_list;
use super::digest::*;
use super::entry::cryptoki;
use super::general::*;
use super::login::*;
use super::objects::*;
use super::sessions::*;
use super::sign::*;
use super::slots::*;
use super::unsupported::*;
use super::verify::*;
use crate::api::general::{choose_interface, INTERFACE_NAME, VERSION_2_40, VERSION_3_0};
use crate::error::Ckr;

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

cryptoki! {
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
}
