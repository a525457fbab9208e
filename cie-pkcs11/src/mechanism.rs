//! The token's mechanisms (PROTOCOL.md §7): the PKCS#1 v1.5 signature mechanisms the card
//! serves (it pads at most k - 11 bytes; no raw RSA, no PSS), the SHA digests computed on the
//! host, their `C_GetMechanismInfo` answers, the key size and each mechanism's hash.
//!
//! `CKF_HW` is not reported: PKCS#11 defines it as "performed by the device", and one
//! `CK_MECHANISM_INFO` describes a mechanism for every function it flags. Only the private-key
//! operation of a signature runs on the card; verification (every mechanism), the hash of the
//! `CKM_SHAx_RSA_PKCS` mechanisms and the digests run on the host (cie-pkcs11/README.md).

use cie_core::sign::HashAlg;
use cryptoki_sys::*;

/// The signature mechanisms, in `C_GetMechanismList` order.
pub(crate) const SIGNATURE_MECHANISMS: [CK_MECHANISM_TYPE; 6] = [
    CKM_RSA_PKCS,
    CKM_SHA1_RSA_PKCS,
    CKM_SHA224_RSA_PKCS,
    CKM_SHA256_RSA_PKCS,
    CKM_SHA384_RSA_PKCS,
    CKM_SHA512_RSA_PKCS,
];

/// The digest mechanisms, in `C_GetMechanismList` order.
pub(crate) const DIGEST_MECHANISMS: [CK_MECHANISM_TYPE; 5] =
    [CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512];

/// Key size of every CIE 3.0 holder key, in bits.
pub(crate) const KEY_BITS: CK_ULONG = 2048;

/// Every mechanism of the token, in `C_GetMechanismList` order: the signature mechanisms,
/// then the digests.
pub(crate) fn all_mechanisms() -> Vec<CK_MECHANISM_TYPE> {
    SIGNATURE_MECHANISMS.iter().chain(DIGEST_MECHANISMS.iter()).copied().collect()
}

/// `C_GetMechanismInfo` for a mechanism of the token: signatures (2048-bit keys) sign and
/// verify, digests digest; none is flagged `CKF_HW` (see the module documentation).
pub(crate) fn mechanism_info(mechanism: CK_MECHANISM_TYPE) -> Option<CK_MECHANISM_INFO> {
    if DIGEST_MECHANISMS.contains(&mechanism) {
        return Some(CK_MECHANISM_INFO { ulMinKeySize: 0, ulMaxKeySize: 0, flags: CKF_DIGEST });
    }
    SIGNATURE_MECHANISMS.contains(&mechanism).then_some(CK_MECHANISM_INFO {
        ulMinKeySize: KEY_BITS,
        ulMaxKeySize: KEY_BITS,
        flags: CKF_SIGN | CKF_VERIFY,
    })
}

/// The hash of a `CKM_SHAx_RSA_PKCS` mechanism; `None` for `CKM_RSA_PKCS` and the others.
pub(crate) fn signature_hash(mechanism: CK_MECHANISM_TYPE) -> Option<HashAlg> {
    match mechanism {
        CKM_SHA1_RSA_PKCS => Some(HashAlg::Sha1),
        CKM_SHA224_RSA_PKCS => Some(HashAlg::Sha224),
        CKM_SHA256_RSA_PKCS => Some(HashAlg::Sha256),
        CKM_SHA384_RSA_PKCS => Some(HashAlg::Sha384),
        CKM_SHA512_RSA_PKCS => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// The hash of a digest mechanism.
pub(crate) fn digest_hash(mechanism: CK_MECHANISM_TYPE) -> Option<HashAlg> {
    match mechanism {
        CKM_SHA_1 => Some(HashAlg::Sha1),
        CKM_SHA224 => Some(HashAlg::Sha224),
        CKM_SHA256 => Some(HashAlg::Sha256),
        CKM_SHA384 => Some(HashAlg::Sha384),
        CKM_SHA512 => Some(HashAlg::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms() {
        for m in SIGNATURE_MECHANISMS {
            let info = mechanism_info(m).unwrap();
            assert_eq!((info.ulMinKeySize, info.ulMaxKeySize, info.flags), (2048, 2048, CKF_SIGN | CKF_VERIFY));
            assert_eq!(info.flags & CKF_HW, 0, "verification runs on the host");
        }
        assert_eq!(mechanism_info(CKM_SHA256).map(|i| i.flags), Some(CKF_DIGEST));
        assert_eq!(all_mechanisms().len(), 11);
        assert!(mechanism_info(CKM_RSA_PKCS_PSS).is_none());
        assert!(mechanism_info(CKM_RSA_X_509).is_none());
        assert_eq!(signature_hash(CKM_SHA384_RSA_PKCS), Some(HashAlg::Sha384));
        assert_eq!(signature_hash(CKM_RSA_PKCS), None);
        assert_eq!(digest_hash(CKM_SHA224), Some(HashAlg::Sha224));
        assert_eq!(digest_hash(CKM_SHA256_RSA_PKCS), None);
    }
}
