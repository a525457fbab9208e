//! The holder's X.509 certificate seen from the host: its RSA public key, and checking a card
//! signature with it (PKCS#1 v1.5 over a DigestInfo, PROTOCOL.md §7).

use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use x509_cert::der::{Decode, Encode};

use crate::error::{Error, Result, SignatureError};
use crate::sign::{self, HashAlg};

/// The RSA public key of a DER certificate.
pub fn public_key(der: &[u8]) -> Result<RsaPublicKey> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| Error::malformed(format!("certificate: {e}")))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| Error::malformed(format!("certificate key: {e}")))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| Error::malformed(format!("certificate key: {e}")))
}

/// Checks a PKCS#1 v1.5 signature over the DigestInfo `digest_info` with `key` (§7.1): the
/// signature must be exactly as long as the modulus and verify.
pub fn verify_digest_info(key: &RsaPublicKey, digest_info: &[u8], signature: &[u8]) -> Result<()> {
    let expected = key.size();
    if signature.len() != expected {
        return Err(SignatureError::WrongLength { expected, got: signature.len() }.into());
    }
    key.verify(Pkcs1v15Sign::new_unprefixed(), digest_info, signature).map_err(|_| SignatureError::DoesNotVerify.into())
}

/// Checks a PKCS#1 v1.5 signature of `data` hashed with `alg`, with the key of the DER
/// certificate `der`.
pub fn verify(der: &[u8], alg: HashAlg, data: &[u8], signature: &[u8]) -> Result<()> {
    verify_digest_info(&public_key(der)?, &sign::digest_info_of(alg, data), signature)
}
