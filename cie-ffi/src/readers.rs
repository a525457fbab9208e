//! `cie_reader_list`: the PC/SC readers present now.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use cie_core::pcsc_backend::ReaderMonitor;

use crate::status::{cie_status, guard, FfiError};

/// The names of the smart-card readers present when the list was made (opaque; free it with
/// `cie_reader_list_free`).
pub struct cie_reader_list {
    names: Vec<CString>,
}

/// Lists the PC/SC readers. On success `*out` receives a list to free with
/// `cie_reader_list_free` (no reader connected is an empty list, count 0); on failure `*out`
/// is set to NULL. Fails with `CIE_ERR_SERVICE_UNAVAILABLE` when the PC/SC service (pcscd) is
/// not running.
///
/// # Safety
/// `out` is NULL (an error) or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_readers_list(out: *mut *mut cie_reader_list) -> cie_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable per the contract.
        let out = unsafe { out.as_mut() }.ok_or_else(|| FfiError::bad_argument("out is NULL"))?;
        *out = std::ptr::null_mut();
        let to_ffi = |e| FfiError::from(cie_core::Error::from(e));
        let names = ReaderMonitor::new().and_then(|m| m.readers()).map_err(to_ffi)?;
        let names = names.into_iter().map(|n| CString::new(n.replace('\0', "")).unwrap_or_default()).collect();
        *out = Box::into_raw(Box::new(cie_reader_list { names }));
        Ok(())
    })
}

/// Number of readers in the list (0 for NULL).
///
/// # Safety
/// `list` is NULL or a list from `cie_readers_list` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn cie_reader_list_count(list: *const cie_reader_list) -> usize {
    // SAFETY: `list` is NULL or live per the contract.
    catch_unwind(AssertUnwindSafe(|| unsafe { list.as_ref() }.map_or(0, |l| l.names.len()))).unwrap_or(0)
}

/// The name of reader `index` (UTF-8, NUL-terminated), owned by the list and valid until the
/// list is freed; NULL when `list` is NULL or `index` is out of range.
///
/// # Safety
/// `list` is NULL or a list from `cie_readers_list` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn cie_reader_list_name(list: *const cie_reader_list, index: usize) -> *const c_char {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `list` is NULL or live per the contract.
        unsafe { list.as_ref() }.and_then(|l| l.names.get(index)).map_or(std::ptr::null(), |n| n.as_ptr())
    }))
    .unwrap_or(std::ptr::null())
}

/// Frees a reader list (NULL is ignored).
///
/// # Safety
/// `list` is NULL or a list from `cie_readers_list`, freed only once.
#[no_mangle]
pub unsafe extern "C" fn cie_reader_list_free(list: *mut cie_reader_list) {
    if !list.is_null() {
        // SAFETY: the list came from Box::into_raw in `cie_readers_list` and is freed once.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(list) })));
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    /// Builds a list without a PC/SC service.
    fn list_of(names: &[&str]) -> *mut cie_reader_list {
        let names = names.iter().map(|n| CString::new(*n).unwrap_or_default()).collect();
        Box::into_raw(Box::new(cie_reader_list { names }))
    }

    #[test]
    fn accessors() {
        let l = list_of(&["Reader A", "Reader B"]);
        unsafe {
            assert_eq!(cie_reader_list_count(l), 2);
            assert_eq!(CStr::from_ptr(cie_reader_list_name(l, 1)).to_str().unwrap(), "Reader B");
            assert!(cie_reader_list_name(l, 2).is_null());
            assert!(cie_reader_list_name(std::ptr::null(), 0).is_null());
            assert_eq!(cie_reader_list_count(std::ptr::null()), 0);
            cie_reader_list_free(l);
            cie_reader_list_free(std::ptr::null_mut());
        }
    }
}
