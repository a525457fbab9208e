//! Session management functions (PKCS#11 2.40 and 3.0 §5.6): opening, closing and
//! describing sessions, operation state, login and logout (3.0 adds `C_LoginUser` and
//! `C_SessionCancel`).

use std::ffi::c_void;

use cryptoki_sys::*;

use super::{entry, input, MODULE};
use crate::error::{Ckr, Result};

cryptoki! {
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
}
