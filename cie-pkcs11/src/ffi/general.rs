//! General-purpose functions (PKCS#11 2.40 §5.4; 3.0 §5.4 adds the interfaces):
//! `C_Initialize`, `C_Finalize`, `C_GetInfo`, `C_GetFunctionList`, `C_GetInterfaceList`,
//! `C_GetInterface`.

use std::ffi::c_void;

use cryptoki_sys::*;

use super::{entry, put_list, FUNCTIONS_2_40, INTERFACES, MODULE, OFFERED};
use crate::error::{Ckr, Result};
use crate::general::{choose_interface, InitArgs, MutexCallbacks, INTERFACE_NAME, VERSION_2_40, VERSION_3_0};

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
}
