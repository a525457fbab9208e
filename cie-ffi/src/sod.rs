//! Passive authentication (PROTOCOL.md §8.2-§8.3.3): EF.SOD against the card's data, its
//! Document Signer against the CSCA trust anchors, and the chip's key-83 answer to a challenge.

use std::ffi::c_int;

use cie_core::csca::CscaSet;
use cie_core::sod::Chain;

use crate::args;
use crate::card::{cie_card, with_card};
use crate::status::{cie_status, FfiError, CIE_ERR_SOD_UNTRUSTED};

/// Verifies EF.SOD: its signature by the Document Signer and the hashes of the card's data
/// (NIS, public keys, EF.DH; also the card number and the certificate when the PIN has been
/// verified), and that a CSCA issued the Document Signer. With `csca` NULL (and `csca_len` 0)
/// the trust set is the Italian CSCA certificates built into the library plus those in
/// `/etc/cie/csca` and `$XDG_CONFIG_HOME/cie/csca`; otherwise `csca` is the one CSCA
/// certificate (DER) to trust. Then the anti-clone check: the chip signs a fresh challenge with
/// the key whose public half EF.SOD vouches for (EF 1005). Fails with `CIE_ERR_SOD_INVALID` when
/// anything does not match or the chip cannot answer the challenge (a copy of a card's data),
/// and with `CIE_ERR_SOD_UNTRUSTED` when everything matches but no CSCA of the set issued the
/// Document Signer (the data is then NOT confirmed). `*csca_verified` (optional) is 1 when a
/// CSCA vouches for the Document Signer, else 0; `*groups_checked` (optional) receives the
/// number of data groups whose hashes matched (also with `CIE_ERR_SOD_UNTRUSTED`).
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
            let trust = if csca.is_empty() {
                CscaSet::system()?
            } else {
                let mut set = CscaSet::new();
                set.add_der(csca)?;
                set
            };
            let report = c.card.verify_sod(&trust)?;
            args::store(csca_verified, c_int::from(report.trusted()));
            args::store(groups_checked, report.checked.len());
            match report.chain {
                Chain::Untrusted(why) => {
                    Err(FfiError::new(CIE_ERR_SOD_UNTRUSTED, format!("EF.SOD is not trusted: {why}")))
                }
                _ => Ok(()),
            }
        })
    }
}
