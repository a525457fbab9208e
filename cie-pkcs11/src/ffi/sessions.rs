//! Session management functions (PKCS#11 2.40 and 3.0 §5.6): opening, closing and
//! describing sessions, operation state (not offered), and `C_SessionCancel` (3.0). The login
//! functions of the family are in `login`.

use std::ffi::c_void;

use cryptoki_sys::*;

use super::entry::{cryptoki, MODULE};
use crate::error::Ckr;

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
}
