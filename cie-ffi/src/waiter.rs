//! `cie_waiter`: waiting for a card to be put on a reader, with a timeout, cancellable from
//! another thread (PC/SC `SCardGetStatusChange` / `SCardCancel`, through
//! `cie_core::pcsc_backend::ReaderMonitor`). No APDU is sent: the wait only watches the readers.

use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cie_core::pcsc_backend::{ReaderMonitor, WaitResult};

use crate::args;
use crate::status::{cie_status, guard, FfiError, CIE_ERR_CANCELLED, CIE_ERR_TIMEOUT};

/// Waits for cards (opaque). Create it with `cie_waiter_new`, wait with `cie_wait_for_card`,
/// wake a wait from another thread with `cie_waiter_cancel`, free it with `cie_waiter_free`.
pub struct cie_waiter {
    /// Shared with a `cie_waiter_cancel` under way, which holds its own reference for its whole
    /// call: the thread it wakes may free the waiter at once.
    monitor: Arc<ReaderMonitor>,
}

/// Creates a waiter (one PC/SC context). Fails with `CIE_ERR_SERVICE_UNAVAILABLE` when the
/// PC/SC service is not running. On failure `*out` is NULL.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_waiter_new(out: *mut *mut cie_waiter) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out.as_mut() }.ok_or_else(|| FfiError::bad_argument("out is NULL"))?;
        *out = std::ptr::null_mut();
        let monitor = ReaderMonitor::new().map_err(|e| FfiError::from(cie_core::Error::from(e)))?;
        *out = Box::into_raw(Box::new(cie_waiter { monitor: Arc::new(monitor) }));
        Ok(())
    })
}

/// The first of `readers` (all of them, or only `wanted`) that holds a card.
fn reader_with_card(monitor: &ReaderMonitor, wanted: Option<&str>) -> Result<(Option<String>, Vec<String>), FfiError> {
    let to_core = |e| FfiError::from(cie_core::Error::from(e));
    let readers: Vec<String> =
        monitor.readers().map_err(to_core)?.into_iter().filter(|r| wanted.is_none_or(|w| w == r)).collect();
    let snapshot = monitor.snapshot(&readers).map_err(to_core)?;
    Ok((snapshot.iter().find(|s| s.present).map(|s| s.reader.clone()), readers))
}

/// Waits until a card is in `reader` (a reader name) or, when `reader` is NULL, in any reader;
/// returns at once if there already is one. A reader plugged in during the wait counts.
/// `timeout_ms` < 0 waits without limit. On success the reader's name is written to
/// `reader_out` (NUL-terminated, size query with `reader_out` NULL as usual; `reader_len` may be
/// NULL when the name is not wanted). Fails with `CIE_ERR_TIMEOUT` when the time passed,
/// `CIE_ERR_CANCELLED` after `cie_waiter_cancel`, `CIE_ERR_SERVICE_UNAVAILABLE` when pcscd is
/// not running. The card is not opened: call `cie_card_open` with the name to check that it is
/// a CIE. Blocks the calling thread.
///
/// # Safety
/// `waiter` is a live waiter; `reader` is NULL or a NUL-terminated string; `reader_len` is NULL
/// or writable; `reader_out` is NULL or has `*reader_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_wait_for_card(
    waiter: *const cie_waiter,
    reader: *const c_char,
    timeout_ms: c_int,
    reader_out: *mut c_char,
    reader_len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let waiter = unsafe { args::non_null(waiter, "waiter") }?;
        // SAFETY: forwarded contract.
        let wanted = unsafe { args::optional_string(reader, "reader") }?;
        let deadline = u64::try_from(timeout_ms).ok().map(|ms| Instant::now() + Duration::from_millis(ms));
        loop {
            let (found, readers) = reader_with_card(&waiter.monitor, wanted)?;
            if let Some(name) = found {
                if reader_len.is_null() {
                    return Ok(());
                }
                // SAFETY: forwarded contract.
                return unsafe { args::write_string(&name, reader_out, reader_len) };
            }
            let left = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(FfiError::new(CIE_ERR_TIMEOUT, "no card was put on the reader in time"));
                    }
                    Some(left)
                }
                None => None,
            };
            let snapshot = waiter.monitor.snapshot(&readers).map_err(|e| FfiError::from(cie_core::Error::from(e)))?;
            match waiter.monitor.wait(&snapshot, left).map_err(|e| FfiError::from(cie_core::Error::from(e)))? {
                WaitResult::Cancelled => {
                    return Err(FfiError::new(CIE_ERR_CANCELLED, "the wait was cancelled (cie_waiter_cancel)"))
                }
                WaitResult::Changed | WaitResult::TimedOut => {}
            }
        }
    })
}

/// Wakes a thread blocked in `cie_wait_for_card` on this waiter, which then fails with
/// `CIE_ERR_CANCELLED`. Safe to call from any thread while another waits; the waiting thread
/// may free the waiter as soon as its wait returns, even while this call is still running.
/// The waiter stays cancelled (later waits fail at once): free it and create a new one to wait
/// again. NULL is ignored.
///
/// # Safety
/// `waiter` is NULL or a live waiter when the call starts.
#[no_mangle]
pub unsafe extern "C" fn cie_waiter_cancel(waiter: *const cie_waiter) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // Our own reference, taken before the first SCardCancel wakes the waiting thread: from
        // then on the waiter may be freed, and the cancel (which repeats SCardCancel until the
        // wait has left) touches only the monitor this reference keeps alive.
        // SAFETY: forwarded contract; the reference to the waiter ends with this statement.
        let monitor = unsafe { waiter.as_ref() }.map(|w| Arc::clone(&w.monitor));
        if let Some(monitor) = monitor {
            monitor.cancel();
        }
    }));
}

/// Frees a waiter (NULL is ignored). No thread may be waiting on it; a `cie_waiter_cancel`
/// still running in another thread may (it keeps what it needs alive until it returns).
///
/// # Safety
/// `waiter` is NULL or a waiter from `cie_waiter_new`, freed once.
#[no_mangle]
pub unsafe extern "C" fn cie_waiter_free(waiter: *mut cie_waiter) {
    if !waiter.is_null() {
        // SAFETY: the waiter came from Box::into_raw and is freed once.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(waiter) })));
    }
}
