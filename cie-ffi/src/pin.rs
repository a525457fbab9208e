//! PIN and PUK (PROTOCOL.md §6): verify, tries left, change, unblock.

use std::ffi::{c_char, c_int};

use cie_agent::ClientError;
use cie_core::pin::{Pin, Puk};
use cie_core::session::PinStatus;
use cie_core::{Credential, Error};

use crate::args;
use crate::card::{cie_card, with_card};
use crate::status::{cie_status, FfiError};

/// The tries left carried by an error about `credential`, when it says.
fn tries_in(e: &ClientError, credential: Credential) -> Option<c_int> {
    let ClientError::Card(e) = e else {
        return None;
    };
    match e {
        Error::WrongCredential { credential: c, tries_left } if *c == credential => Some(args::tries(*tries_left)),
        Error::Blocked(c) if *c == credential => Some(0),
        _ => None,
    }
}

/// Verifies the user PIN (8 digits, NUL-terminated) and keeps it for this handle's session (or,
/// through the card agent, the agent keeps it in locked memory), so later operations (and
/// recovery after a card reset) need no new prompt. `*tries_left`
/// (optional, may be NULL) receives the PIN tries left: 3 after success, the card's count after
/// `CIE_ERR_WRONG_PIN`, 0 with `CIE_ERR_PIN_BLOCKED`, -1 when unknown. A PIN that is not 8
/// digits fails with `CIE_ERR_BAD_PIN_FORMAT` without spending a try.
///
/// # Safety
/// `card` is a live handle; `pin` is a NUL-terminated string; `tries_left` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_verify_pin(
    card: *mut cie_card,
    pin: *const c_char,
    tries_left: *mut c_int,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        args::store(tries_left, -1);
        with_card(card, |c| {
            let pin = args::secret::<Pin>(pin)?;
            let result = c.card.verify_pin(&pin);
            drop(pin);
            match result {
                Ok(()) => {
                    args::store(tries_left, args::tries(c.card.pin_tries_left()));
                    Ok(())
                }
                Err(e) => {
                    let n = tries_in(&e, Credential::Pin).unwrap_or_else(|| args::tries(c.card.pin_tries_left()));
                    args::store(tries_left, n);
                    Err(e.into())
                }
            }
        })
    }
}

/// Asks the card how many PIN tries are left, without spending one (opens the secure channel
/// if needed). `*tries_left` receives 0..3, 0 meaning blocked (the call still succeeds).
///
/// # Safety
/// `card` is a live handle; `tries_left` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_pin_tries_left(card: *const cie_card, tries_left: *mut c_int) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            if tries_left.is_null() {
                return Err(FfiError::bad_argument("tries_left is NULL"));
            }
            let n = match c.card.pin_status()? {
                PinStatus::Blocked => 0,
                PinStatus::TriesLeft(n) => c_int::from(n),
                PinStatus::Verified => args::tries(c.card.pin_tries_left().or(Some(3))),
            };
            args::store(tries_left, n);
            Ok(())
        })
    }
}

/// Changes the PIN from `old_pin` to `new_pin` (8 digits each). A wrong old PIN spends one try:
/// `CIE_ERR_WRONG_PIN` with `*tries_left` (optional) set as in `cie_card_verify_pin`.
///
/// # Safety
/// `card` is a live handle; both PINs are NUL-terminated strings; `tries_left` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_change_pin(
    card: *mut cie_card,
    old_pin: *const c_char,
    new_pin: *const c_char,
    tries_left: *mut c_int,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        args::store(tries_left, -1);
        with_card(card, |c| {
            let old = args::secret::<Pin>(old_pin)?;
            let new = args::secret::<Pin>(new_pin)?;
            match c.card.change_pin(&old, &new) {
                Ok(()) => {
                    args::store(tries_left, args::tries(c.card.pin_tries_left()));
                    Ok(())
                }
                Err(e) => {
                    args::store(tries_left, tries_in(&e, Credential::Pin).unwrap_or(-1));
                    Err(e.into())
                }
            }
        })
    }
}

/// Unblocks the PIN with the PUK and sets `new_pin` (8 digits each); the PIN tries are reset.
/// A wrong PUK spends one PUK try: `CIE_ERR_WRONG_PUK` with `*puk_tries_left` (optional) set,
/// `CIE_ERR_PUK_BLOCKED` when none are left. The session is logged out afterwards: verify the
/// new PIN to sign.
///
/// # Safety
/// `card` is a live handle; `puk` and `new_pin` are NUL-terminated strings; `puk_tries_left` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_unblock_pin(
    card: *mut cie_card,
    puk: *const c_char,
    new_pin: *const c_char,
    puk_tries_left: *mut c_int,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        args::store(puk_tries_left, -1);
        with_card(card, |c| {
            let puk = args::secret::<Puk>(puk)?;
            let new = args::secret::<Pin>(new_pin)?;
            c.card.unblock_pin(&puk, &new).map_err(|e| {
                args::store(puk_tries_left, tries_in(&e, Credential::Puk).unwrap_or(-1));
                e.into()
            })
        })
    }
}
