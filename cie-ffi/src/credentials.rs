//! PIN and PUK state without spending a try (PROTOCOL.md §6): PUK tries left, and whether
//! the handle holds a verified PIN.

use std::ffi::c_int;

use cie_core::session::PinStatus;

use crate::args;
use crate::card::{cie_card, with_card};
use crate::status::{cie_status, FfiError};

/// Asks the card how many PUK tries are left, without spending one (opens the secure channel
/// if needed). `*tries_left` receives 0..10, 0 meaning the PUK is blocked (the call still
/// succeeds); -1 when the PUK was verified in this channel and the card does not say.
///
/// # Safety
/// `card` is a live handle; `tries_left` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_puk_tries_left(card: *const cie_card, tries_left: *mut c_int) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            if tries_left.is_null() {
                return Err(FfiError::bad_argument("tries_left is NULL"));
            }
            let n = match c.card.puk_status()? {
                PinStatus::Blocked => 0,
                PinStatus::TriesLeft(n) => c_int::from(n),
                PinStatus::Verified => -1,
            };
            args::store(tries_left, n);
            Ok(())
        })
    }
}

/// Whether this handle holds a verified PIN (after `cie_card_verify_pin`, until
/// `cie_card_logout`, a wrong PIN or the card's removal): `*verified` receives 1 or 0. No card
/// I/O: when the card was reset by another application meanwhile, the library verifies the
/// kept PIN again at the next operation.
///
/// # Safety
/// `card` is a live handle; `verified` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_pin_verified(card: *const cie_card, verified: *mut c_int) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            if verified.is_null() {
                return Err(FfiError::bad_argument("verified is NULL"));
            }
            args::store(verified, c_int::from(c.card.is_logged_in()));
            Ok(())
        })
    }
}
