//! Reading arguments from C and writing results to caller-owned buffers ("query the size with
//! NULL": a NULL buffer stores the size needed in `*len` and succeeds; a buffer too small stores
//! the size needed and fails with `CIE_ERR_BUFFER_TOO_SMALL`).

use std::ffi::{c_char, c_int, CStr};

use cie_core::pin::Secret;

use crate::status::{FfiError, CIE_ERR_BUFFER_TOO_SMALL};

/// A reference to a value behind a pointer, or `CIE_ERR_BAD_ARGUMENT` when it is NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` for the lifetime `'a`.
pub(crate) unsafe fn non_null<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller guarantees the pointer is NULL or valid.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::bad_argument(format!("{what} is NULL")))
}

/// A NUL-terminated UTF-8 string, or `CIE_ERR_BAD_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::bad_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|_| FfiError::bad_argument(format!("{what} is not UTF-8")))
}

/// An optional NUL-terminated UTF-8 string (NULL = none).
///
/// # Safety
/// As [`string`].
pub(crate) unsafe fn optional_string<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { string(ptr, what) }.map(Some)
    }
}

/// A validated PIN or PUK (8 ASCII digits) from a NUL-terminated string. The caller's memory
/// is only read; the copy is zeroized when dropped.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn secret<S: Secret>(ptr: *const c_char) -> Result<S, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::bad_argument(format!("the {} is NULL", S::KIND)));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(ptr) };
    S::parse(c.to_bytes()).map_err(FfiError::from)
}

/// A byte slice from a pointer and a length (NULL allowed only with length 0).
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], FfiError> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(FfiError::bad_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Checks an output buffer before any card work: `Ok(true)` when `buf` can take `needed`
/// bytes, `Ok(false)` for a size query (`*len` set), `CIE_ERR_BUFFER_TOO_SMALL` otherwise.
///
/// # Safety
/// `len` is NULL or points to a writable `size_t`.
pub(crate) unsafe fn check_room(buf: *const u8, len: *mut usize, needed: usize) -> Result<bool, FfiError> {
    // SAFETY: forwarded contract.
    let len = unsafe { len.as_mut() }.ok_or_else(|| FfiError::bad_argument("the length pointer is NULL"))?;
    if buf.is_null() {
        *len = needed;
        return Ok(false);
    }
    if *len < needed {
        let have = *len;
        *len = needed;
        return Err(FfiError::new(
            CIE_ERR_BUFFER_TOO_SMALL,
            format!("the buffer holds {have} bytes, {needed} are needed"),
        ));
    }
    Ok(true)
}

/// Writes `data` to a caller buffer with the size-query convention; `*len` ends up as
/// `data.len()`.
///
/// # Safety
/// `len` is NULL or writable; `buf` is NULL or has `*len` writable bytes.
pub(crate) unsafe fn write_bytes(data: &[u8], buf: *mut u8, len: *mut usize) -> Result<(), FfiError> {
    // SAFETY: forwarded contract.
    if unsafe { check_room(buf, len, data.len()) }? {
        // SAFETY: `buf` has at least `data.len()` writable bytes (checked against `*len`), and
        // a caller buffer cannot overlap our own allocation.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
            *len = data.len();
        }
    }
    Ok(())
}

/// Writes `text` and a terminating NUL; `*len` counts the NUL.
///
/// # Safety
/// As [`write_bytes`].
pub(crate) unsafe fn write_string(text: &str, buf: *mut c_char, len: *mut usize) -> Result<(), FfiError> {
    let mut v: Vec<u8> = text.bytes().filter(|&b| b != 0).collect();
    v.push(0);
    // SAFETY: forwarded contract.
    unsafe { write_bytes(&v, buf.cast(), len) }
}

/// Stores a value through an optional out-pointer (NULL = the caller does not want it).
///
/// # Safety
/// `ptr` is NULL or writable.
pub(crate) unsafe fn store<T>(ptr: *mut T, value: T) {
    // SAFETY: forwarded contract.
    if let Some(p) = unsafe { ptr.as_mut() } {
        *p = value;
    }
}

/// Tries left as the C API reports them: the count, or -1 when unknown.
pub(crate) fn tries(value: Option<u8>) -> c_int {
    value.map_or(-1, c_int::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::CIE_ERR_BAD_ARGUMENT;
    use cie_core::pin::{Pin, Puk};

    #[test]
    fn size_query_and_too_small() {
        let mut len = 0usize;
        unsafe { write_bytes(b"abc", std::ptr::null_mut(), &mut len) }.unwrap();
        assert_eq!(len, 3);
        let mut buf = [0u8; 2];
        let mut len = 2usize;
        let e = unsafe { write_bytes(b"abc", buf.as_mut_ptr(), &mut len) }.unwrap_err();
        assert_eq!(e.code, CIE_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, 3);
        assert_eq!(buf, [0, 0]);
        let mut buf = [0u8; 8];
        let mut len = 8usize;
        unsafe { write_string("abc", buf.as_mut_ptr().cast(), &mut len) }.unwrap();
        assert_eq!(len, 4);
        assert_eq!(&buf[..4], b"abc\0");
        let e = unsafe { write_bytes(b"abc", buf.as_mut_ptr(), std::ptr::null_mut()) }.unwrap_err();
        assert_eq!(e.code, CIE_ERR_BAD_ARGUMENT);
    }

    #[test]
    fn secrets_are_validated() {
        assert!(unsafe { secret::<Pin>(c"12345678".as_ptr()) }.is_ok());
        for bad in [c"1234567", c"123456789", c"1234567x", c""] {
            let e = unsafe { secret::<Pin>(bad.as_ptr()) }.unwrap_err();
            assert_eq!(e.code, crate::status::CIE_ERR_BAD_PIN_FORMAT);
        }
        assert_eq!(unsafe { secret::<Puk>(std::ptr::null()) }.unwrap_err().code, CIE_ERR_BAD_ARGUMENT);
        assert_eq!(tries(None), -1);
        assert_eq!(tries(Some(2)), 2);
    }
}
