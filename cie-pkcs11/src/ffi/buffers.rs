//! The conventions for the caller's buffers (PKCS#11 2.40 §5.2): input buffers and templates
//! (NULL allowed when empty), lists and outputs with the size-query / `CKR_BUFFER_TOO_SMALL`
//! convention, and the one bounded copy every output goes through: nothing is ever written
//! past the capacity the caller gave, whatever the card sent (DESIGN.md §5).

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::ops::Output;

/// A caller's count as `usize`.
pub(super) fn usize_of(n: CK_ULONG) -> Result<usize> {
    usize::try_from(n).map_err(|_| Ckr(CKR_ARGUMENTS_BAD))
}

/// A caller's input buffer (NULL is fine when the length is 0).
///
/// # Safety
/// `p` is NULL or has `n` readable elements that outlive the returned slice.
pub(super) unsafe fn input<'a, T>(p: *const T, n: CK_ULONG) -> Result<&'a [T]> {
    let n = usize_of(n)?;
    if n == 0 {
        Ok(&[])
    } else if p.is_null() {
        Err(Ckr(CKR_ARGUMENTS_BAD))
    } else {
        // SAFETY: the caller passes `n` valid elements at `p` (PKCS#11 calling convention).
        Ok(unsafe { std::slice::from_raw_parts(p, n) })
    }
}

/// A caller's template, writable.
///
/// # Safety
/// `p` is NULL or has `n` writable attributes that outlive the returned slice.
pub(super) unsafe fn template<'a>(p: *mut CK_ATTRIBUTE, n: CK_ULONG) -> Result<&'a mut [CK_ATTRIBUTE]> {
    let n = usize_of(n)?;
    if n == 0 {
        Ok(&mut [])
    } else if p.is_null() {
        Err(Ckr(CKR_ARGUMENTS_BAD))
    } else {
        // SAFETY: the caller passes `n` valid attributes at `p`.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
    }
}

/// The PKCS#11 output convention for lists: NULL buffer -> count; short -> count and
/// `CKR_BUFFER_TOO_SMALL`; else copy and count.
///
/// # Safety
/// `count` is valid; `out` is NULL or holds `*count` writable elements.
pub(super) unsafe fn put_list<T: Copy>(items: &[T], out: *mut T, count: *mut CK_ULONG) -> Result<()> {
    // SAFETY: `count` was checked non-NULL by the entry point; `out` holds `*count` elements.
    unsafe {
        let have = *count;
        *count = items.len() as CK_ULONG;
        if out.is_null() {
            return Ok(());
        }
        copy_out(items, out, usize_of(have)?, CKR_BUFFER_TOO_SMALL)
    }
}

/// Copies `src` into a caller buffer of `capacity` elements; never writes past it: a source
/// longer than the capacity (or a NULL buffer) copies nothing and returns `too_long`.
///
/// # Safety
/// `dst` is NULL or has `capacity` writable elements.
pub(super) unsafe fn copy_out<T: Copy>(src: &[T], dst: *mut T, capacity: usize, too_long: CK_RV) -> Result<()> {
    if src.len() > capacity || (dst.is_null() && !src.is_empty()) {
        return Err(Ckr(too_long));
    }
    if !src.is_empty() {
        // SAFETY: `dst` has `capacity >= src.len()` writable elements; a caller buffer cannot
        // overlap our own allocation.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    }
    Ok(())
}

/// The output convention of `C_Sign`/`C_SignFinal` and `C_Digest`/`C_DigestFinal`: a length
/// for a size query, `CKR_BUFFER_TOO_SMALL` with the length for a short buffer, else the bytes
/// through [`copy_out`], bounded by the caller's `*len`; bytes longer than it (which the
/// module's own size answer should have prevented) are `too_long`, nothing written.
///
/// # Safety
/// `len` is valid; `p` is NULL or has `*len` writable bytes.
pub(super) unsafe fn put_output(out: Output, p: *mut CK_BYTE, len: *mut CK_ULONG, too_long: CK_RV) -> Result<()> {
    // SAFETY: `len` was checked non-NULL; `p` has `*len` bytes when it is not NULL.
    unsafe {
        match out {
            Output::Length(n) => {
                *len = n as CK_ULONG;
                Ok(())
            }
            Output::TooSmall(n) => {
                *len = n as CK_ULONG;
                Err(Ckr(CKR_BUFFER_TOO_SMALL))
            }
            Output::Bytes(bytes) => {
                let capacity = usize_of(*len)?;
                copy_out(&bytes, p, capacity, too_long)?;
                *len = bytes.len() as CK_ULONG;
                Ok(())
            }
        }
    }
}

/// The buffer capacity of an output (`None` for a NULL buffer: a size query).
///
/// # Safety
/// `len` is valid when `p` is not NULL.
pub(super) unsafe fn capacity(p: *mut CK_BYTE, len: *mut CK_ULONG) -> Result<Option<usize>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: `len` was checked non-NULL.
        Ok(Some(usize_of(unsafe { *len })?))
    }
}

/// The mechanism type and whether it carries a parameter.
///
/// # Safety
/// `p` points to a readable `CK_MECHANISM`.
pub(super) unsafe fn mechanism(p: *const CK_MECHANISM) -> (CK_MECHANISM_TYPE, bool) {
    // SAFETY: checked non-NULL by the entry point.
    let m = unsafe { &*p };
    (m.mechanism, !m.pParameter.is_null() || m.ulParameterLen != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_never_pass_the_callers_capacity() {
        let mut buf = [0u8; 6];
        // Longer than the capacity: nothing written, the given error.
        let e = unsafe { copy_out(&[1u8; 5], buf.as_mut_ptr(), 4, CKR_DEVICE_ERROR) }.unwrap_err();
        assert_eq!(e, Ckr(CKR_DEVICE_ERROR));
        assert_eq!(buf, [0; 6]);
        unsafe { copy_out(&[1u8; 4], buf.as_mut_ptr(), 4, CKR_DEVICE_ERROR) }.unwrap();
        assert_eq!(buf, [1, 1, 1, 1, 0, 0]);
        let e = unsafe { copy_out(&[1u8; 1], std::ptr::null_mut(), 4, CKR_BUFFER_TOO_SMALL) }.unwrap_err();
        assert_eq!(e, Ckr(CKR_BUFFER_TOO_SMALL));
        unsafe { copy_out::<u8>(&[], std::ptr::null_mut(), 0, CKR_BUFFER_TOO_SMALL) }.unwrap();

        // A signature longer than the buffer the caller announced is refused, nothing written.
        let mut sig = [0u8; 8];
        let mut len: CK_ULONG = 4;
        let out = Output::Bytes(vec![9; 5]);
        let e = unsafe { put_output(out, sig.as_mut_ptr(), &mut len, CKR_DEVICE_ERROR) }.unwrap_err();
        assert_eq!((e, len, sig), (Ckr(CKR_DEVICE_ERROR), 4, [0; 8]));

        // A digest goes through the same copy: into a NULL or short buffer, nothing written.
        let mut len: CK_ULONG = 32;
        let out = Output::Bytes(vec![7; 20]);
        let e = unsafe { put_output(out, std::ptr::null_mut(), &mut len, CKR_BUFFER_TOO_SMALL) }.unwrap_err();
        assert_eq!((e, len), (Ckr(CKR_BUFFER_TOO_SMALL), 32));
        let mut digest = [0u8; 24];
        let mut len: CK_ULONG = 24;
        unsafe { put_output(Output::Bytes(vec![7; 20]), digest.as_mut_ptr(), &mut len, CKR_BUFFER_TOO_SMALL) }.unwrap();
        assert_eq!(len, 20);
        assert_eq!((&digest[..20], &digest[20..]), (&[7u8; 20][..], &[0u8; 4][..]));
    }
}
