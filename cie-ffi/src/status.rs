//! Status codes, the thread-local last-error message, and the guard every entry point runs in
//! (argument errors and panics become status codes; nothing unwinds into C).

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use cie_core::{Credential, Error, TransportError};

/// Result of every `cie_*` function that can fail: `CIE_OK` or one of the `CIE_ERR_*` codes.
/// `cie_last_error()` tells what happened in words.
pub type cie_status = c_int;

/// Success.
pub const CIE_OK: cie_status = 0;
/// An error without a more precise code (e.g. a PC/SC failure); see `cie_last_error()`.
pub const CIE_ERR_GENERIC: cie_status = 1;
/// A NULL pointer where one is not allowed, an unknown hash algorithm, a digest of the wrong
/// length, data the card cannot sign, a reader name that is not UTF-8...
pub const CIE_ERR_BAD_ARGUMENT: cie_status = 2;
/// The output buffer is too small; `*len` now holds the size needed. Nothing was sent to the card.
pub const CIE_ERR_BUFFER_TOO_SMALL: cie_status = 3;
/// No smart-card reader, the named reader does not exist, or the PC/SC service is not running.
pub const CIE_ERR_NO_READER: cie_status = 4;
/// No card in the reader (or in any reader, when none was named).
pub const CIE_ERR_NO_CARD: cie_status = 5;
/// The card was removed: free the handle and open the card again once it is back.
pub const CIE_ERR_CARD_REMOVED: cie_status = 6;
/// The card in the reader is not a CIE 3.0.
pub const CIE_ERR_NOT_CIE: cie_status = 7;
/// Wrong PIN; the tries left are in the `tries_left` out-parameter.
pub const CIE_ERR_WRONG_PIN: cie_status = 8;
/// The PIN is blocked: unblock it with the PUK (`cie_card_unblock_pin`).
pub const CIE_ERR_PIN_BLOCKED: cie_status = 9;
/// Wrong PUK; the PUK tries left are in the `tries_left` out-parameter.
pub const CIE_ERR_WRONG_PUK: cie_status = 10;
/// The PUK is blocked: the card can no longer be unblocked by its holder.
pub const CIE_ERR_PUK_BLOCKED: cie_status = 11;
/// A PIN or PUK that is not exactly 8 ASCII digits; rejected before any APDU, no try spent.
pub const CIE_ERR_BAD_PIN_FORMAT: cie_status = 12;
/// The operation needs the PIN: call `cie_card_verify_pin` first.
pub const CIE_ERR_LOGIN_REQUIRED: cie_status = 13;
/// The card is in use exclusively by another application; try again later.
pub const CIE_ERR_CARD_BUSY: cie_status = 14;
/// The card was reset by someone else repeatedly during the operation; try again.
pub const CIE_ERR_CARD_RESET: cie_status = 15;
/// The card answered something unexpected (status word, malformed data, secure messaging or
/// device authentication failure, or a signature of the wrong length or that does not verify
/// with the certificate's key: such a signature is never returned).
pub const CIE_ERR_CARD: cie_status = 16;
/// Passive authentication failed: EF.SOD does not vouch for the card's data (or for the CSCA).
pub const CIE_ERR_SOD_INVALID: cie_status = 17;
/// A bug in the library (an internal panic was caught). The handle involved should be freed.
pub const CIE_ERR_INTERNAL: cie_status = 18;
/// The smart-card service (pcscd) is not running, or stopped during the operation: start it
/// (e.g. `systemctl start pcscd`), then free the handle and open the card again.
pub const CIE_ERR_SERVICE_UNAVAILABLE: cie_status = 19;
/// A wait (`cie_wait_for_card`) ended without a card: the timeout passed.
pub const CIE_ERR_TIMEOUT: cie_status = 20;
/// A wait (`cie_wait_for_card`) was cancelled by `cie_waiter_cancel` from another thread.
pub const CIE_ERR_CANCELLED: cie_status = 21;
/// A document or signature file that cannot be read, signed or written (not a PDF or CMS
/// signature the library handles, an encrypted PDF, an I/O error).
pub const CIE_ERR_DOCUMENT: cie_status = 22;
/// Passive authentication found EF.SOD intact and matching the card's data, but no CSCA of the
/// trust set issued its Document Signer: the card's data is NOT confirmed (a card made by
/// anyone with a key of their own looks like this).
pub const CIE_ERR_SOD_UNTRUSTED: cie_status = 23;
/// The card agent (`cie agent`) through which the handle was opened stopped answering (it was
/// stopped or killed): free the handle and open the card again (with no agent answering, the
/// library reaches the card itself). The card's own errors keep their codes through the agent.
pub const CIE_ERR_AGENT: cie_status = 24;

/// A failed call: the code returned to C and the message kept for `cie_last_error()`.
#[derive(Debug)]
pub(crate) struct FfiError {
    /// The `CIE_ERR_*` code.
    pub code: cie_status,
    /// What happened and, where useful, what to do next.
    pub message: String,
}

impl FfiError {
    /// An error with `code` and `message`.
    pub(crate) fn new(code: cie_status, message: impl Into<String>) -> FfiError {
        FfiError { code, message: message.into() }
    }

    /// `CIE_ERR_BAD_ARGUMENT`.
    pub(crate) fn bad_argument(message: impl Into<String>) -> FfiError {
        FfiError::new(CIE_ERR_BAD_ARGUMENT, message)
    }
}

/// The `CIE_ERR_*` code of a cie-core error.
pub(crate) fn code_of(e: &Error) -> cie_status {
    match e {
        Error::Transport(t) => match t {
            TransportError::NoCard => CIE_ERR_NO_CARD,
            TransportError::CardRemoved => CIE_ERR_CARD_REMOVED,
            TransportError::ReaderUnavailable(_) => CIE_ERR_NO_READER,
            TransportError::Busy => CIE_ERR_CARD_BUSY,
            TransportError::CardReset => CIE_ERR_CARD_RESET,
            TransportError::ServiceUnavailable(_) => CIE_ERR_SERVICE_UNAVAILABLE,
            _ => CIE_ERR_GENERIC,
        },
        Error::WrongCredential { credential: Credential::Pin, .. } => CIE_ERR_WRONG_PIN,
        Error::WrongCredential { credential: Credential::Puk, .. } => CIE_ERR_WRONG_PUK,
        Error::Blocked(Credential::Pin) => CIE_ERR_PIN_BLOCKED,
        Error::Blocked(Credential::Puk) => CIE_ERR_PUK_BLOCKED,
        Error::InvalidCredentialFormat(_) => CIE_ERR_BAD_PIN_FORMAT,
        Error::LoginRequired => CIE_ERR_LOGIN_REQUIRED,
        Error::NotCie(_) => CIE_ERR_NOT_CIE,
        Error::InvalidArgument(_) => CIE_ERR_BAD_ARGUMENT,
        // The session's own state, not the caller's arguments nor the card.
        Error::NoSecureChannel => CIE_ERR_GENERIC,
        Error::PassiveAuthentication(_) => CIE_ERR_SOD_INVALID,
        Error::Card { .. }
        | Error::SecureMessaging(_)
        | Error::Malformed(_)
        | Error::DeviceAuthentication(_)
        | Error::CardSignature(_) => CIE_ERR_CARD,
        _ => CIE_ERR_GENERIC,
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> FfiError {
        let code = code_of(&e);
        let hint = match code {
            CIE_ERR_NO_CARD => "; put the card on the reader",
            CIE_ERR_NO_READER => "; connect a reader and check that pcscd is running",
            CIE_ERR_CARD_REMOVED => "; open the card again once it is back on the reader",
            CIE_ERR_SERVICE_UNAVAILABLE => "; start the PC/SC service (pcscd), then open the card again",
            CIE_ERR_PIN_BLOCKED => "; unblock it with the PUK",
            CIE_ERR_LOGIN_REQUIRED => "; verify the PIN first",
            _ => "",
        };
        FfiError::new(code, format!("{e}{hint}"))
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let clean: Vec<u8> = message.bytes().filter(|&b| b != 0).collect();
    let c = CString::new(clean).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
}

/// A pointer to this thread's last error message (empty after a successful call).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// Runs one entry point: clears the last error, catches panics, and turns the result into a
/// status code, keeping the message for `cie_last_error()`.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), FfiError>) -> cie_status {
    set_last_error("");
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => CIE_OK,
        Ok(Err(e)) => {
            tracing::debug!(target: "cie::ffi", "status {}: {}", e.code, e.message);
            set_last_error(&e.message);
            e.code
        }
        Err(_) => {
            set_last_error("internal error in libcie (a bug; please report it); free the handle and start again");
            CIE_ERR_INTERNAL
        }
    }
}

/// A short, static description of a status code.
pub(crate) fn describe(status: cie_status) -> &'static std::ffi::CStr {
    match status {
        CIE_OK => c"ok",
        CIE_ERR_GENERIC => c"error",
        CIE_ERR_BAD_ARGUMENT => c"bad argument",
        CIE_ERR_BUFFER_TOO_SMALL => c"buffer too small",
        CIE_ERR_NO_READER => c"no smart-card reader",
        CIE_ERR_NO_CARD => c"no card in the reader",
        CIE_ERR_CARD_REMOVED => c"the card was removed",
        CIE_ERR_NOT_CIE => c"not a CIE",
        CIE_ERR_WRONG_PIN => c"wrong PIN",
        CIE_ERR_PIN_BLOCKED => c"PIN blocked",
        CIE_ERR_WRONG_PUK => c"wrong PUK",
        CIE_ERR_PUK_BLOCKED => c"PUK blocked",
        CIE_ERR_BAD_PIN_FORMAT => c"PIN and PUK are 8 digits",
        CIE_ERR_LOGIN_REQUIRED => c"PIN verification required",
        CIE_ERR_CARD_BUSY => c"card in use by another application",
        CIE_ERR_CARD_RESET => c"the card was reset",
        CIE_ERR_CARD => c"unexpected answer from the card",
        CIE_ERR_SOD_INVALID => c"passive authentication failed",
        CIE_ERR_INTERNAL => c"internal error",
        CIE_ERR_SERVICE_UNAVAILABLE => c"the PC/SC service (pcscd) is unavailable",
        CIE_ERR_TIMEOUT => c"timed out",
        CIE_ERR_CANCELLED => c"cancelled",
        CIE_ERR_DOCUMENT => c"unreadable document or signature",
        CIE_ERR_SOD_UNTRUSTED => c"EF.SOD is not signed by a trusted CSCA",
        CIE_ERR_AGENT => c"the card agent stopped answering",
        _ => c"unknown status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_maps_results_and_panics() {
        assert_eq!(guard(|| Ok(())), CIE_OK);
        assert_eq!(guard(|| Err(FfiError::bad_argument("x\0y"))), CIE_ERR_BAD_ARGUMENT);
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert_eq!(msg.to_str().unwrap(), "xy");
        assert_eq!(guard(|| panic!("boom")), CIE_ERR_INTERNAL);
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert!(msg.to_str().unwrap().starts_with("internal error"));
        assert_eq!(guard(|| Ok(())), CIE_OK);
        assert!(unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) }.is_empty());
    }

    #[test]
    fn codes_are_distinct() {
        let cases: Vec<(Error, cie_status)> = vec![
            (Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }, CIE_ERR_WRONG_PIN),
            (Error::WrongCredential { credential: Credential::Puk, tries_left: None }, CIE_ERR_WRONG_PUK),
            (Error::Blocked(Credential::Pin), CIE_ERR_PIN_BLOCKED),
            (Error::Blocked(Credential::Puk), CIE_ERR_PUK_BLOCKED),
            (TransportError::NoCard.into(), CIE_ERR_NO_CARD),
            (TransportError::CardRemoved.into(), CIE_ERR_CARD_REMOVED),
            (TransportError::ReaderUnavailable("x".into()).into(), CIE_ERR_NO_READER),
            (TransportError::ServiceUnavailable("x".into()).into(), CIE_ERR_SERVICE_UNAVAILABLE),
            (Error::NotCie("x".into()), CIE_ERR_NOT_CIE),
            (Error::InvalidCredentialFormat(Credential::Pin), CIE_ERR_BAD_PIN_FORMAT),
            (Error::LoginRequired, CIE_ERR_LOGIN_REQUIRED),
            (Error::NoSecureChannel, CIE_ERR_GENERIC),
            (cie_core::SignatureError::WrongLength { expected: 256, got: 300 }.into(), CIE_ERR_CARD),
            (cie_core::SignatureError::DoesNotVerify.into(), CIE_ERR_CARD),
        ];
        for (e, code) in cases {
            let f = FfiError::from(e);
            assert_eq!(f.code, code, "{}", f.message);
            assert_ne!(describe(code).to_bytes(), b"unknown status");
        }
        assert_eq!(describe(999).to_bytes(), b"unknown status");
    }
}
