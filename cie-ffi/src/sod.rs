//! Passive authentication (PROTOCOL.md §8.2-§8.3): EF.SOD against the card's data.

use std::ffi::c_int;

use crate::args;
use crate::card::{cie_card, with_card};
use crate::status::cie_status;

/// Verifies EF.SOD: its signature by the Document Signer and the hashes of the card's data
/// (NIS, public keys, EF.DH; also the card number and the certificate when the PIN has been
/// verified). With `csca` (a CSCA certificate, DER; may be NULL with `csca_len` 0) the Document
/// Signer certificate is also checked against it. Fails with `CIE_ERR_SOD_INVALID` when
/// anything does not match. On success `*csca_verified` (optional) is 1 when a CSCA was given
/// and vouches for the Document Signer, else 0, and `*groups_checked` (optional) receives the
/// number of data groups whose hashes matched.
///
/// # Safety
/// `card` is a live handle; `csca` has `csca_len` readable bytes (or is NULL with 0); the
/// out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_verify_sod(
    card: *const cie_card,
    csca: *const u8,
    csca_len: usize,
    csca_verified: *mut c_int,
    groups_checked: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        args::store(csca_verified, 0);
        args::store(groups_checked, 0);
        with_card(card, |c| {
            let csca = args::bytes(csca, csca_len, "csca")?;
            let csca = (!csca.is_empty()).then_some(csca);
            let report = c.session.verify_sod(csca)?;
            args::store(csca_verified, c_int::from(report.csca_verified));
            args::store(groups_checked, report.checked.len());
            Ok(())
        })
    }
}
