//! Signatures (PROTOCOL.md §7): PKCS#1 v1.5 by the card over a DigestInfo the library builds.

use std::ffi::c_int;

use cie_core::sign::HashAlg;

use crate::args;
use crate::card::{cie_card, on_card};
use crate::status::{cie_status, guard, FfiError};

/// A hash algorithm for `cie_card_sign` and `cie_card_sign_digest`.
pub type cie_hash = c_int;

/// SHA-1 (legacy formats only).
pub const CIE_HASH_SHA1: cie_hash = 1;
/// SHA-224.
pub const CIE_HASH_SHA224: cie_hash = 2;
/// SHA-256.
pub const CIE_HASH_SHA256: cie_hash = 3;
/// SHA-384.
pub const CIE_HASH_SHA384: cie_hash = 4;
/// SHA-512.
pub const CIE_HASH_SHA512: cie_hash = 5;

pub(crate) fn hash_alg(hash: cie_hash) -> Result<HashAlg, FfiError> {
    Ok(match hash {
        CIE_HASH_SHA1 => HashAlg::Sha1,
        CIE_HASH_SHA224 => HashAlg::Sha224,
        CIE_HASH_SHA256 => HashAlg::Sha256,
        CIE_HASH_SHA384 => HashAlg::Sha384,
        CIE_HASH_SHA512 => HashAlg::Sha512,
        other => return Err(FfiError::bad_argument(format!("unknown hash algorithm {other}"))),
    })
}

/// Shared body: checks the output buffer against the key size before the card signs
/// `digest_info`.
///
/// # Safety
/// As the entry points.
unsafe fn sign_with(
    card: *const cie_card,
    signature: *mut u8,
    signature_len: *mut usize,
    digest_info: &[u8],
) -> Result<(), FfiError> {
    // SAFETY: forwarded contract.
    unsafe {
        on_card(card, |c| {
            if signature_len.is_null() {
                return Err(FfiError::bad_argument("signature_len is NULL"));
            }
            if !c.card.is_logged_in() {
                return Err(cie_core::Error::LoginRequired.into());
            }
            let needed = c.signature_len()?;
            if !args::check_room(signature, signature_len, needed)? {
                return Ok(());
            }
            let sig = c.card.sign_digest_info(digest_info)?;
            // cie-core checked the answer against the certificate's key; the copy is bounded by
            // the room checked above whatever it holds.
            if sig.len() != needed {
                return Err(cie_core::Error::from(cie_core::SignatureError::WrongLength {
                    expected: needed,
                    got: sig.len(),
                })
                .into());
            }
            args::write_bytes(&sig, signature, signature_len)
        })
    }
}

/// Hashes `data` with `hash` and has the card sign it (RSA PKCS#1 v1.5, the holder's
/// authentication key). Needs the PIN (`CIE_ERR_LOGIN_REQUIRED`). With `signature` NULL,
/// `*signature_len` receives the signature size (256 for the CIE's 2048-bit key) and nothing is
/// signed. Verifiable with e.g. `openssl dgst -sha256 -verify pubkey.pem -signature sig data`.
///
/// # Safety
/// `card` is a live handle; `data` has `data_len` readable bytes (NULL only if 0);
/// `signature_len` is writable; `signature` is NULL or has `*signature_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_sign(
    card: *mut cie_card,
    hash: cie_hash,
    data: *const u8,
    data_len: usize,
    signature: *mut u8,
    signature_len: *mut usize,
) -> cie_status {
    guard(|| {
        let alg = hash_alg(hash)?;
        // SAFETY: forwarded contract.
        let data = unsafe { args::bytes(data, data_len, "data") }?;
        let digest_info = cie_core::sign::digest_info_of(alg, data);
        // SAFETY: forwarded contract.
        unsafe { sign_with(card, signature, signature_len, &digest_info) }
    })
}

/// Signs a digest the caller computed with `hash` (its length must match: 20, 28, 32, 48 or 64
/// bytes). Otherwise as `cie_card_sign`.
///
/// # Safety
/// As `cie_card_sign`, with `digest` of `digest_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_sign_digest(
    card: *mut cie_card,
    hash: cie_hash,
    digest: *const u8,
    digest_len: usize,
    signature: *mut u8,
    signature_len: *mut usize,
) -> cie_status {
    guard(|| {
        let alg = hash_alg(hash)?;
        // SAFETY: forwarded contract.
        let digest = unsafe { args::bytes(digest, digest_len, "digest") }?;
        // A digest of the wrong length is refused before the size query (cie-core's check).
        let digest_info = cie_core::sign::digest_info(alg, digest)?;
        // SAFETY: forwarded contract.
        unsafe { sign_with(card, signature, signature_len, &digest_info) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_codes() {
        assert_eq!(hash_alg(CIE_HASH_SHA256).unwrap(), HashAlg::Sha256);
        assert_eq!(hash_alg(CIE_HASH_SHA1).unwrap(), HashAlg::Sha1);
        assert_eq!(hash_alg(0).unwrap_err().code, crate::status::CIE_ERR_BAD_ARGUMENT);
        assert_eq!(hash_alg(6).unwrap_err().code, crate::status::CIE_ERR_BAD_ARGUMENT);
    }
}
