//! Signature algorithms: the one place where a signature algorithm identifier and a public key
//! become a check. RSA PKCS#1 v1.5 and RSASSA-PSS (RFC 4055 §3) with SHA-1, SHA-2 and SHA-3,
//! RSA keys up to 16384 bits; ECDSA on P-256, P-384 and P-521 (RFC 5480, RFC 5758) and on
//! brainpoolP256r1/384r1/512r1 (RFC 5639, `brainpool.rs`); Ed25519 (RFC 8410, RFC 8419). MD5,
//! MD2 and RIPEMD-160 are refused as weak; a key that cannot be loaded is reported as such,
//! apart from a signature that does not verify.

use cie_core::sign::HashAlg;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1::{RsaPssParams, TrailerField};
use rsa::{BigUint, RsaPublicKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::brainpool;
use crate::reason::{hash_name, Algorithm};

/// Largest RSA modulus accepted, in bits.
pub(crate) const MAX_RSA_BITS: usize = 16384;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const MGF1: &str = "1.2.840.113549.1.1.8";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

/// Why a signature could not be checked (as opposed to checked and found wrong), typed.
pub(crate) use crate::reason::AlgorithmProblem as AlgError;

/// What a signature covers: the signed bytes themselves, or only their digest (a SignerInfo
/// without signed attributes, whose content was hashed as it streamed).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'a> {
    /// The bytes signed.
    Message(&'a [u8]),
    /// The digest of the bytes signed, with the SignerInfo's digest algorithm.
    Digest(&'a [u8]),
}

/// A weak digest algorithm identifier (MD2, MD5, RIPEMD-160) named, if it is one.
pub(crate) fn weak_digest(oid: &ObjectIdentifier) -> Option<Algorithm> {
    match oid.to_string().as_str() {
        "1.2.840.113549.2.2" => Some(Algorithm::Digest("MD2")),
        "1.2.840.113549.2.5" => Some(Algorithm::Digest("MD5")),
        "1.3.36.3.2.1" => Some(Algorithm::Digest("RIPEMD-160")),
        _ => None,
    }
}

/// The name in words of a weak signature algorithm identifier (md2/md5WithRSAEncryption,
/// RIPEMD-160 with RSA), if it is one.
pub(crate) fn weak_signature(oid: &ObjectIdentifier) -> Option<Algorithm> {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.2" => Some(Algorithm::RsaWith("MD2")),
        "1.2.840.113549.1.1.4" => Some(Algorithm::RsaWith("MD5")),
        "1.3.36.3.3.1.2" => Some(Algorithm::RsaWith("RIPEMD-160")),
        _ => None,
    }
}

/// The scheme a signature algorithm identifier names, with its hash when it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Pkcs1(Option<HashAlg>),
    Pss { hash: HashAlg, salt: usize },
    Ecdsa(Option<HashAlg>),
    Ed25519,
}

fn scheme(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, AlgError> {
    if let Some(w) = weak_signature(&alg.oid) {
        return Err(AlgError::Weak(w));
    }
    if let Some(h) = HashAlg::from_rsa_pkcs1_oid(&alg.oid) {
        return Ok(Scheme::Pkcs1(Some(h)));
    }
    Ok(match alg.oid.to_string().as_str() {
        RSA_ENCRYPTION => Scheme::Pkcs1(None),
        RSASSA_PSS => pss(alg)?,
        EC_PUBLIC_KEY => Scheme::Ecdsa(None),
        "1.2.840.10045.4.1" => Scheme::Ecdsa(Some(HashAlg::Sha1)),
        "1.2.840.10045.4.3.1" => Scheme::Ecdsa(Some(HashAlg::Sha224)),
        "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Some(HashAlg::Sha256)),
        "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Some(HashAlg::Sha384)),
        "1.2.840.10045.4.3.4" => Scheme::Ecdsa(Some(HashAlg::Sha512)),
        "2.16.840.1.101.3.4.3.10" => Scheme::Ecdsa(Some(HashAlg::Sha3_256)),
        "2.16.840.1.101.3.4.3.11" => Scheme::Ecdsa(Some(HashAlg::Sha3_384)),
        "2.16.840.1.101.3.4.3.12" => Scheme::Ecdsa(Some(HashAlg::Sha3_512)),
        ED25519 => Scheme::Ed25519,
        "1.3.101.113" => return Err(AlgError::Unsupported(Algorithm::Signature("Ed448"))),
        "1.2.840.10040.4.3" | "2.16.840.1.101.3.4.3.2" => {
            return Err(AlgError::Unsupported(Algorithm::Signature("DSA")))
        }
        other => return Err(AlgError::Unsupported(unsupported_signature(other))),
    })
}

/// RSASSA-PSS-params (RFC 4055 §3.1): hash, MGF1 with a hash, salt length, trailer 1.
fn pss(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, AlgError> {
    let der = match &alg.parameters {
        Some(p) => Some(p.to_der().map_err(|e| AlgError::Format(format!("RSASSA-PSS parameters: {e}")))?),
        None => None,
    };
    let params = match &der {
        Some(der) => {
            RsaPssParams::from_der(der).map_err(|e| AlgError::Format(format!("RSASSA-PSS parameters: {e}")))?
        }
        None => RsaPssParams::default(),
    };
    let hash = HashAlg::from_oid(&params.hash.oid).ok_or_else(|| unsupported_hash(&params.hash.oid))?;
    if params.mask_gen.oid.to_string() != MGF1 {
        return Err(AlgError::Unsupported(Algorithm::PssMaskGeneration(params.mask_gen.oid.to_string())));
    }
    let mgf_hash = params
        .mask_gen
        .parameters
        .as_ref()
        .map(|a| a.oid)
        .ok_or_else(|| AlgError::Format("RSASSA-PSS MGF1 without its hash".into()))?;
    match HashAlg::from_oid(&mgf_hash) {
        Some(h) if h == hash => {}
        Some(h) => {
            return Err(AlgError::Unsupported(Algorithm::PssMixedHashes(hash_name(h), hash_name(hash))));
        }
        None => return Err(unsupported_hash(&mgf_hash)),
    }
    if params.trailer_field != TrailerField::BC {
        return Err(AlgError::Format("RSASSA-PSS trailer field other than 1".into()));
    }
    Ok(Scheme::Pss { hash, salt: usize::from(params.salt_len) })
}

fn unsupported_hash(oid: &ObjectIdentifier) -> AlgError {
    match weak_digest(oid) {
        Some(w) => AlgError::Weak(w),
        None => AlgError::Unsupported(unsupported_digest(oid)),
    }
}

/// A digest algorithm this verifier does not implement, by name when it has one.
pub(crate) fn unsupported_digest(oid: &ObjectIdentifier) -> Algorithm {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.7" => Algorithm::Digest("SHA3-224"),
        "2.16.840.1.101.3.4.2.5" => Algorithm::Digest("SHA-512/224"),
        "2.16.840.1.101.3.4.2.6" => Algorithm::Digest("SHA-512/256"),
        "2.16.840.1.101.3.4.2.11" => Algorithm::Digest("SHAKE128"),
        "2.16.840.1.101.3.4.2.12" => Algorithm::Digest("SHAKE256"),
        "1.2.156.10197.1.401" => Algorithm::Digest("SM3"),
        "1.2.643.7.1.1.2.2" | "1.2.643.7.1.1.2.3" => Algorithm::Digest("GOST R 34.11-2012"),
        other => Algorithm::UnknownDigest(other.to_owned()),
    }
}

/// A signature algorithm this verifier does not implement, by name when it has one.
fn unsupported_signature(oid: &str) -> Algorithm {
    match oid {
        "2.16.840.1.101.3.4.3.13" => Algorithm::RsaWith("SHA3-224"),
        "2.16.840.1.101.3.4.3.9" => Algorithm::Signature("ECDSA-SHA3-224"),
        "0.4.0.127.0.7.1.1.4.1.1" => Algorithm::Signature("ECDSA plain SHA-1 (BSI TR-03111)"),
        "0.4.0.127.0.7.1.1.4.1.2" => Algorithm::Signature("ECDSA plain SHA-224 (BSI TR-03111)"),
        "0.4.0.127.0.7.1.1.4.1.3" => Algorithm::Signature("ECDSA plain SHA-256 (BSI TR-03111)"),
        "0.4.0.127.0.7.1.1.4.1.4" => Algorithm::Signature("ECDSA plain SHA-384 (BSI TR-03111)"),
        "0.4.0.127.0.7.1.1.4.1.5" => Algorithm::Signature("ECDSA plain SHA-512 (BSI TR-03111)"),
        "1.2.840.10045.3.1.7" => Algorithm::CurveAsSignature("P-256"),
        other => Algorithm::UnknownSignature(other.to_owned()),
    }
}

/// The hash a signature algorithm identifier names, if it names one (for a certificate's
/// signature, whose digest comes from there alone).
pub(crate) fn named_hash(alg: &AlgorithmIdentifierOwned) -> Result<Option<HashAlg>, AlgError> {
    Ok(match scheme(alg)? {
        Scheme::Pkcs1(h) | Scheme::Ecdsa(h) => h,
        Scheme::Pss { hash, .. } => Some(hash),
        Scheme::Ed25519 => None,
    })
}

/// Checks `signature` over `input` with the key `spki` under the algorithm `alg`; `digest` is
/// the digest algorithm of the input (a SignerInfo's digestAlgorithm), `None` when only `alg`
/// names it (certificates). `Ok(false)`: checked, and it does not verify.
pub(crate) fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest: Option<HashAlg>,
    input: Input<'_>,
    signature: &[u8],
) -> Result<bool, AlgError> {
    let scheme = scheme(alg)?;
    let hash = match (scheme, digest) {
        (Scheme::Ed25519, _) => None,
        (Scheme::Pkcs1(Some(h)) | Scheme::Ecdsa(Some(h)) | Scheme::Pss { hash: h, .. }, Some(d)) if h != d => {
            return Err(AlgError::HashMismatch(hash_name(h), hash_name(d)));
        }
        (Scheme::Pkcs1(Some(h)) | Scheme::Ecdsa(Some(h)) | Scheme::Pss { hash: h, .. }, _) => Some(h),
        (_, Some(d)) => Some(d),
        (_, None) => return Err(AlgError::Format("the signature algorithm names no hash".into())),
    };
    let digest_of = |h: HashAlg| match input {
        Input::Message(m) => h.hash(m),
        Input::Digest(d) => d.to_vec(),
    };
    let key_alg = spki.algorithm.oid.to_string();
    let key_name = key_algorithm_name(&key_alg);
    let point = || {
        spki.subject_public_key
            .as_bytes()
            .ok_or_else(|| AlgError::Key("the key's bit string is not whole bytes".into()))
    };
    match (scheme, hash) {
        (Scheme::Pkcs1(_), Some(h)) => {
            let key = rsa_key(spki, &key_alg)?;
            let di = cie_core::sign::digest_info(h, &digest_of(h)).map_err(|e| AlgError::Format(e.to_string()))?;
            Ok(cie_core::certificate::verify_digest_info(&key, &di, signature).is_ok())
        }
        (Scheme::Pss { hash: h, salt }, _) => {
            let key = rsa_key(spki, &key_alg)?;
            Ok(verify_pss(&key, h, salt, &digest_of(h), signature))
        }
        (Scheme::Ecdsa(_), Some(h)) => {
            if key_alg != EC_PUBLIC_KEY {
                return Err(AlgError::Key(format!("the signature is ECDSA, the key is {key_name}")));
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| AlgError::Key("the EC key names no curve".into()))?;
            let d = digest_of(h);
            match curve.to_string().as_str() {
                "1.2.840.10045.3.1.7" => ecdsa_check!(p256::NistP256, point()?, &d, signature, "P-256"),
                "1.3.132.0.34" => ecdsa_check!(p384::NistP384, point()?, &d, signature, "P-384"),
                "1.3.132.0.35" => ecdsa_check!(p521::NistP521, point()?, &d, signature, "P-521"),
                other => match brainpool::Curve::from_oid(other) {
                    Some(c) => brainpool::verify_prehash(c, point()?, &d, signature)
                        .map_err(|e| AlgError::Key(format!("{e} ({})", c.name()))),
                    None => Err(AlgError::Unsupported(Algorithm::UnknownCurve(other.to_owned()))),
                },
            }
        }
        (Scheme::Ed25519, _) => {
            if key_alg != ED25519 {
                return Err(AlgError::Key(format!("the signature is Ed25519, the key is {key_name}")));
            }
            let Input::Message(m) = input else {
                return Err(AlgError::Unsupported(Algorithm::Ed25519WithoutAttributes));
            };
            let bytes: [u8; 32] =
                point()?.try_into().map_err(|_| AlgError::Key("an Ed25519 key is not 32 bytes".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|_| AlgError::Key("not an Ed25519 point".into()))?;
            let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else { return Ok(false) };
            Ok(key.verify_strict(m, &sig).is_ok())
        }
        (Scheme::Pkcs1(_) | Scheme::Ecdsa(_), None) => {
            Err(AlgError::Format("the signature algorithm names no hash".into()))
        }
    }
}

/// A public key algorithm in words ("an RSA key"), an unknown one labelled with its identifier.
fn key_algorithm_name(oid: &str) -> String {
    match oid {
        RSA_ENCRYPTION | RSASSA_PSS => "an RSA key".into(),
        EC_PUBLIC_KEY => "an EC key".into(),
        ED25519 => "an Ed25519 key".into(),
        "1.3.101.113" => "an Ed448 key".into(),
        "1.2.840.10040.4.1" => "a DSA key".into(),
        other => format!("a key of unknown algorithm {other}"),
    }
}

/// The RSA key of `spki` (rsaEncryption or id-RSASSA-PSS), up to [`MAX_RSA_BITS`].
fn rsa_key(spki: &SubjectPublicKeyInfoOwned, key_alg: &str) -> Result<RsaPublicKey, AlgError> {
    if key_alg != RSA_ENCRYPTION && key_alg != RSASSA_PSS {
        return Err(AlgError::Key(format!("the signature is RSA, the key is {}", key_algorithm_name(key_alg))));
    }
    let bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| AlgError::Key("the key's bit string is not whole bytes".into()))?;
    let k = rsa::pkcs1::RsaPublicKey::from_der(bytes).map_err(|e| AlgError::Key(format!("RSA key: {e}")))?;
    RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(k.modulus.as_bytes()),
        BigUint::from_bytes_be(k.public_exponent.as_bytes()),
        MAX_RSA_BITS,
    )
    .map_err(|e| AlgError::Key(format!("RSA key: {e}")))
}

/// RSASSA-PSS verification of a digest (MGF1 with the same hash).
fn verify_pss(key: &RsaPublicKey, hash: HashAlg, salt: usize, digest: &[u8], signature: &[u8]) -> bool {
    use rsa::Pss;
    let scheme = match hash {
        HashAlg::Sha1 => Pss::new_with_salt::<sha1::Sha1>(salt),
        HashAlg::Sha224 => Pss::new_with_salt::<sha2::Sha224>(salt),
        HashAlg::Sha256 => Pss::new_with_salt::<sha2::Sha256>(salt),
        HashAlg::Sha384 => Pss::new_with_salt::<sha2::Sha384>(salt),
        HashAlg::Sha512 => Pss::new_with_salt::<sha2::Sha512>(salt),
        HashAlg::Sha3_256 => Pss::new_with_salt::<sha3::Sha3_256>(salt),
        HashAlg::Sha3_384 => Pss::new_with_salt::<sha3::Sha3_384>(salt),
        HashAlg::Sha3_512 => Pss::new_with_salt::<sha3::Sha3_512>(salt),
    };
    key.verify(scheme, digest, signature).is_ok()
}

/// ECDSA verification of a digest on the curve `$c` with the SEC1 point `$point`.
/// A digest shorter than half the field (SHA-256 on P-521) is given left-padded with zeros:
/// the same integer (FIPS 186-5 §6.4.2), which the `ecdsa` crate would otherwise refuse.
macro_rules! ecdsa_check {
    ($c:ty, $point:expr, $digest:expr, $signature:expr, $name:literal) => {{
        let key = ecdsa::VerifyingKey::<$c>::from_sec1_bytes($point)
            .map_err(|_| AlgError::Key(format!("not a point of the curve {}", $name)))?;
        let field = <ecdsa::elliptic_curve::FieldBytes<$c>>::default().len();
        let mut digest = $digest.to_vec();
        if digest.len() < field {
            let mut padded = vec![0u8; field - digest.len()];
            padded.extend_from_slice(&digest);
            digest = padded;
        }
        match ecdsa::Signature::<$c>::from_der($signature) {
            Ok(sig) => Ok(key.verify_prehash(&digest, &sig).is_ok()),
            Err(_) => Ok(false),
        }
    }};
}
use ecdsa_check;

#[cfg(test)]
mod tests {
    use der::asn1::BitString;
    use der::Any;

    use super::*;

    fn oid(s: &str) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(s)
    }

    /// An rsaEncryption key whose modulus is `bytes` bytes of 0xFF, exponent 65537, by hand.
    fn rsa_spki(bytes: usize) -> SubjectPublicKeyInfoOwned {
        let modulus = der::asn1::UintRef::new(&vec![0xFF; bytes][..]).unwrap().to_der().unwrap();
        let mut key = modulus;
        key.extend_from_slice(&[0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut seq =
            der::Header::new(der::Tag::Sequence, der::Length::try_from(key.len()).unwrap()).unwrap().to_der().unwrap();
        seq.extend_from_slice(&key);
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned { oid: oid(RSA_ENCRYPTION), parameters: Some(Any::null()) },
            subject_public_key: BitString::from_bytes(&seq).unwrap(),
        }
    }

    fn sha256_rsa() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid: oid("1.2.840.113549.1.1.11"), parameters: None }
    }

    #[test]
    fn rsa_keys_up_to_16384_bits_load_larger_ones_do_not() {
        let digest = [0u8; 32];
        let sig = vec![1u8; 2048];
        let r = verify(&rsa_spki(2048), &sha256_rsa(), Some(HashAlg::Sha256), Input::Digest(&digest), &sig);
        assert_eq!(r, Ok(false));
        let r = verify(&rsa_spki(2049), &sha256_rsa(), Some(HashAlg::Sha256), Input::Digest(&digest), &sig);
        assert!(matches!(r, Err(AlgError::Key(_))), "{r:?}");
    }

    #[test]
    fn weak_and_unsupported_are_named_in_words() {
        let md5 = AlgorithmIdentifierOwned { oid: oid("1.2.840.113549.1.1.4"), parameters: None };
        let r = verify(&rsa_spki(256), &md5, None, Input::Message(b"x"), &[0; 256]);
        assert_eq!(
            r.map_err(|e| e.text(crate::Language::English)),
            Err("weak algorithm: signature algorithm RSA with MD5 (too weak), refused".into())
        );
        assert_eq!(weak_digest(&oid("1.3.36.3.2.1")), Some(Algorithm::Digest("RIPEMD-160")));
        let dsa = AlgorithmIdentifierOwned { oid: oid("2.16.840.1.101.3.4.3.2"), parameters: None };
        assert!(matches!(verify(&rsa_spki(256), &dsa, None, Input::Message(b"x"), &[]), Err(AlgError::Unsupported(_))));
        let ecdsa = AlgorithmIdentifierOwned { oid: oid("1.2.840.10045.4.3.2"), parameters: None };
        let r = verify(&rsa_spki(256), &ecdsa, None, Input::Message(b"x"), &[]);
        assert!(matches!(r, Err(AlgError::Key(_))), "an ECDSA signature with an RSA key: {r:?}");
    }

    /// RSASSA-PSS-params written by hand (RFC 4055 §3.1).
    fn pss_alg(params: &[u8]) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid: oid(RSASSA_PSS), parameters: Some(Any::from_der(params).unwrap()) }
    }

    #[test]
    fn pss_parameters_are_read() {
        // SHA-256, MGF1 with SHA-256, salt 32.
        let sha256 = [0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00];
        let sha1 = [0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00];
        let mgf1 = |h: &[u8]| {
            let mut v = vec![0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
            v.extend_from_slice(h);
            let mut s = vec![0x30, v.len() as u8];
            s.extend(v);
            s
        };
        let params = |h: &[u8], m: &[u8], tail: &[u8]| {
            let mut body = vec![0xA0, h.len() as u8];
            body.extend_from_slice(h);
            body.extend_from_slice(&[0xA1, m.len() as u8]);
            body.extend_from_slice(m);
            body.extend_from_slice(&[0xA2, 0x03, 0x02, 0x01, 0x20]);
            body.extend_from_slice(tail);
            let mut s = vec![0x30, body.len() as u8];
            s.extend(body);
            s
        };
        let ok = pss_alg(&params(&sha256, &mgf1(&sha256), &[]));
        assert_eq!(scheme(&ok), Ok(Scheme::Pss { hash: HashAlg::Sha256, salt: 32 }));
        let mixed = pss_alg(&params(&sha256, &mgf1(&sha1), &[]));
        assert!(matches!(scheme(&mixed), Err(AlgError::Unsupported(_))));
        let trailer = pss_alg(&params(&sha256, &mgf1(&sha256), &[0xA3, 0x03, 0x02, 0x01, 0x02]));
        assert!(matches!(scheme(&trailer), Err(AlgError::Format(_))), "{:?}", scheme(&trailer));
        // No parameters: the defaults, SHA-1 with salt 20.
        let none = AlgorithmIdentifierOwned { oid: oid(RSASSA_PSS), parameters: None };
        assert_eq!(scheme(&none), Ok(Scheme::Pss { hash: HashAlg::Sha1, salt: 20 }));
    }
}
