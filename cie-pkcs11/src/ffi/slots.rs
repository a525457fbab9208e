//! Slot and token management functions (PKCS#11 2.40 §5.5): the slot list and slot, token
//! and mechanism information, slot events, and `C_InitToken` (refused: the token is
//! write-protected). The PIN functions of the family (`C_InitPIN`, `C_SetPIN`) are in `login`.

use std::ffi::c_void;

use cryptoki_sys::*;

use super::buffers::put_list;
use super::entry::{cryptoki, MODULE};
use crate::error::Ckr;

cryptoki! {
    #[no_mangle]
    fn C_GetSlotList(tokenPresent: CK_BBOOL, pSlotList: *mut CK_SLOT_ID, pulCount: *mut CK_ULONG) non_null(pulCount) {
        let list = MODULE.slot_list(tokenPresent != CK_FALSE, pSlotList.is_null())?;
        // SAFETY: pulCount checked; pSlotList has room for *pulCount IDs.
        unsafe { put_list(&list, pSlotList, pulCount) }
    }

    #[no_mangle]
    fn C_GetSlotInfo(slotID: CK_SLOT_ID, pInfo: *mut CK_SLOT_INFO) non_null(pInfo) {
        let info = MODULE.slot_info(slotID)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_GetTokenInfo(slotID: CK_SLOT_ID, pInfo: *mut CK_TOKEN_INFO) non_null(pInfo) {
        let info = MODULE.token_info(slotID)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_WaitForSlotEvent(flags: CK_FLAGS, pSlot: *mut CK_SLOT_ID, pReserved: *mut c_void) non_null(pSlot) {
        if !pReserved.is_null() {
            return Err(Ckr(CKR_ARGUMENTS_BAD));
        }
        let slot = MODULE.wait_for_slot_event(flags)?;
        // SAFETY: checked non-NULL.
        unsafe { *pSlot = slot };
        Ok(())
    }

    #[no_mangle]
    fn C_GetMechanismList(slotID: CK_SLOT_ID, pMechanismList: *mut CK_MECHANISM_TYPE, pulCount: *mut CK_ULONG) non_null(pulCount) {
        let list = MODULE.mechanism_list(slotID)?;
        // SAFETY: pulCount checked; the list has room for *pulCount entries.
        unsafe { put_list(&list, pMechanismList, pulCount) }
    }

    #[no_mangle]
    fn C_GetMechanismInfo(slotID: CK_SLOT_ID, type_: CK_MECHANISM_TYPE, pInfo: *mut CK_MECHANISM_INFO) non_null(pInfo) {
        let info = MODULE.mechanism_info(slotID, type_)?;
        // SAFETY: checked non-NULL.
        unsafe { *pInfo = info };
        Ok(())
    }

    #[no_mangle]
    fn C_InitToken(slotID: CK_SLOT_ID, _pPin: *mut CK_UTF8CHAR, _ulPinLen: CK_ULONG, _pLabel: *mut CK_UTF8CHAR) {
        MODULE.token_info(slotID)?;
        Err(Ckr(CKR_TOKEN_WRITE_PROTECTED))
    }
}
