//! The holder's data from the authentication certificate (PROTOCOL.md §2.2): name, fiscal
//! code and validity period, so that C applications need not parse X.509. The parsing lives
//! in `cie_core::certificate::holder`.

use std::ffi::c_char;

use cie_core::certificate::{self, Holder};
use cie_core::Error;

use crate::args;
use crate::card::{cie_card, with_card, CardState};
use crate::status::{cie_status, FfiError};

/// The holder data of the card's certificate; needs the PIN unless the certificate was read.
fn holder_of(c: &mut CardState) -> Result<Holder, FfiError> {
    if c.card.cached_certificate().is_none() && !c.card.is_logged_in() {
        return Err(Error::LoginRequired.into());
    }
    let cert = c.card.certificate()?;
    Ok(certificate::holder(&cert)?)
}

/// The holder's name as in the certificate, "GIVEN-NAME SURNAME" (UTF-8, NUL-terminated).
/// Needs the PIN (`CIE_ERR_LOGIN_REQUIRED`) unless the certificate was already read.
///
/// # Safety
/// `card` is a live handle; `len` is writable; `buf` is NULL or has `*len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_holder_name(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            let name = holder_of(c)?.name().ok_or_else(|| Error::malformed("the certificate names no holder"))?;
            args::write_string(&name, buf, len)
        })
    }
}

/// The holder's fiscal code (codice fiscale, 16 characters, NUL-terminated), from the
/// certificate's subject (serial number `TINIT-...`, else the common name's `<code>/...`). As
/// `cie_card_holder_name`.
///
/// # Safety
/// As `cie_card_holder_name`.
#[no_mangle]
pub unsafe extern "C" fn cie_card_fiscal_code(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            let code =
                holder_of(c)?.fiscal_code.ok_or_else(|| Error::malformed("the certificate has no fiscal code"))?;
            args::write_string(&code, buf, len)
        })
    }
}

/// The certificate's validity period in seconds since the Unix epoch (UTC): `*not_before`
/// and `*not_after` (either may be NULL). The card itself has the same expiry date printed
/// on it. As `cie_card_holder_name`.
///
/// # Safety
/// `card` is a live handle; `not_before` and `not_after` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_validity(
    card: *const cie_card,
    not_before: *mut i64,
    not_after: *mut i64,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            let h = holder_of(c)?;
            args::store(not_before, h.not_before);
            args::store(not_after, h.not_after);
            Ok(())
        })
    }
}
