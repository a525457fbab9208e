//! General-purpose functions (PKCS#11 2.40 §5.4): `C_Initialize`, `C_Finalize`, `C_GetInfo`
//! (and the `C_GetInfo` of the 3.0 function list). The function lists and interfaces are
//! handed out by `tables`.

use std::ffi::c_void;

use cryptoki_sys::*;

use super::entry::{cryptoki, MODULE};
use crate::api::general::{InitArgs, MutexCallbacks, VERSION_2_40, VERSION_3_0};
use crate::error::Ckr;

cryptoki! {
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

    /// The `C_GetInfo` of the 3.0 function list.
    fn C_GetInfo_3_0(pInfo: *mut CK_INFO) non_null(pInfo) {
        let info = MODULE.info(VERSION_3_0)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }
}
