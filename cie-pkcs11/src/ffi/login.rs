//! Login and PIN functions (PKCS#11 2.40 §5.6 `C_Login`, `C_Logout`, 3.0 `C_LoginUser`;
//! §5.5 `C_InitPIN`, `C_SetPIN`).

use cryptoki_sys::*;

use super::buffers::input;
use super::entry::{cryptoki, MODULE};
use crate::error::Ckr;

cryptoki! {
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
}
