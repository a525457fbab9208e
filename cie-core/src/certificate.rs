//! The holder's X.509 certificate seen from the host: its RSA public key, and checking a card
//! signature with it (PKCS#1 v1.5 over a DigestInfo, PROTOCOL.md §7).

use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use x509_cert::der::oid::ObjectIdentifier;
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
    if cfg!(fuzzing) {
        return fuzz::verify(key, digest_info, signature);
    }
    key.verify(Pkcs1v15Sign::new_unprefixed(), digest_info, signature).map_err(|_| SignatureError::DoesNotVerify.into())
}

/// Fuzz builds only (`--cfg fuzzing`; fuzz/README.md, "Fast path"): the same check (RFC 8017
/// §8.2.2: `s^e mod n` must be `00 01 FF..FF 00 || DigestInfo`, at least 8 `FF`), with the
/// exponentiation remembered per (modulus, exponent, signature) for the process, so that a
/// mutated document whose signature and key are unchanged costs no RSA operation. Compiled
/// everywhere (and tested below), called only when `cfg!(fuzzing)`.
mod fuzz {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use rsa::traits::PublicKeyParts;
    use rsa::{BigUint, RsaPublicKey};
    use sha2::{Digest, Sha256};

    use crate::error::{Result, SignatureError};

    /// Remembered `s^e mod n`, by SHA-256 of (n, e, s); emptied when full.
    static RESULTS: Mutex<Option<HashMap<[u8; 32], Vec<u8>>>> = Mutex::new(None);
    const ENTRIES: usize = 1 << 16;

    pub(super) fn verify(key: &RsaPublicKey, digest_info: &[u8], signature: &[u8]) -> Result<()> {
        let k = key.size();
        let s = BigUint::from_bytes_be(signature);
        if signature.len() != k || &s >= key.n() || k < digest_info.len() + 11 {
            return Err(SignatureError::DoesNotVerify.into());
        }
        let id: [u8; 32] = Sha256::new()
            .chain_update(key.n().to_bytes_be())
            .chain_update([0])
            .chain_update(key.e().to_bytes_be())
            .chain_update([0])
            .chain_update(signature)
            .finalize()
            .into();
        let mut results = RESULTS.lock().unwrap_or_else(|e| e.into_inner());
        let map = results.get_or_insert_with(HashMap::new);
        if map.len() >= ENTRIES {
            map.clear();
        }
        let em = map.entry(id).or_insert_with(|| {
            let m = s.modpow(key.e(), key.n()).to_bytes_be();
            let mut em = vec![0u8; k.saturating_sub(m.len())];
            em.extend_from_slice(&m);
            em
        });
        let mut expected = vec![0x00, 0x01];
        expected.resize(k - digest_info.len() - 1, 0xFF);
        expected.push(0x00);
        expected.extend_from_slice(digest_info);
        if *em == expected {
            Ok(())
        } else {
            Err(SignatureError::DoesNotVerify.into())
        }
    }
}

/// Checks a PKCS#1 v1.5 signature of `data` hashed with `alg`, with the key of the DER
/// certificate `der`.
pub fn verify(der: &[u8], alg: HashAlg, data: &[u8], signature: &[u8]) -> Result<()> {
    verify_digest_info(&public_key(der)?, &sign::digest_info_of(alg, data), signature)
}

/// What the holder's authentication certificate says about its holder (PROTOCOL.md §2.2),
/// so that applications need not parse X.509 themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holder {
    /// Given name (`givenName`, 2.5.4.42), when present.
    pub given_name: Option<String>,
    /// Surname (`surname`, 2.5.4.4), when present.
    pub surname: Option<String>,
    /// Common name (2.5.4.3), when present.
    pub common_name: Option<String>,
    /// The Italian fiscal code (codice fiscale): from the subject's `serialNumber` (2.5.4.5)
    /// in its ETSI EN 319 412-1 form `TINIT-<code>`, else the common name's part before `/`
    /// (real CIE certificates: `CN=<code>/<number>`, `serialNumber=IDCIT-<card number>`,
    /// PROTOCOL.md §2.2); `None` when neither is a well-formed fiscal code.
    pub fiscal_code: Option<String>,
    /// Start of the validity period, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of the validity period, seconds since the Unix epoch.
    pub not_after: i64,
    /// The whole subject as an RFC 4514 string.
    pub subject: String,
}

impl Holder {
    /// "Given-name Surname", else the common name, else `None` (empty attributes count as absent).
    pub fn name(&self) -> Option<String> {
        match (&self.given_name, &self.surname) {
            (Some(g), Some(s)) => Some(format!("{g} {s}")),
            _ => self.common_name.clone(),
        }
    }
}

const OID_GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const OID_SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

fn subject_attribute(cert: &x509_cert::Certificate, oid: ObjectIdentifier) -> Option<String> {
    use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};
    cert.tbs_certificate.subject.0.iter().flat_map(|rdn| rdn.0.iter()).filter(|atv| atv.oid == oid).find_map(|atv| {
        atv.value
            .decode_as::<Utf8StringRef<'_>>()
            .map(|s| s.as_str().to_owned())
            .or_else(|_| atv.value.decode_as::<PrintableStringRef<'_>>().map(|s| s.as_str().to_owned()))
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
}

fn unix_time(t: &x509_cert::time::Time) -> Result<i64> {
    i64::try_from(t.to_unix_duration().as_secs()).map_err(|_| Error::malformed("certificate validity out of range"))
}

/// A well-formed fiscal code (16 letters and digits), upper-cased.
fn fiscal_code_of(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    (s.len() == 16 && s.chars().all(|c| c.is_ascii_alphanumeric())).then_some(s)
}

/// The holder's name, fiscal code, subject and validity period from a DER certificate: the one
/// holder parser of the workspace (the CLI, cie-pkcs11's labels and cie-ffi use it).
pub fn holder(der: &[u8]) -> Result<Holder> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| Error::malformed(format!("certificate: {e}")))?;
    let common_name = subject_attribute(&cert, OID_COMMON_NAME);
    let from_serial =
        subject_attribute(&cert, OID_SERIAL_NUMBER).and_then(|s| s.strip_prefix("TINIT-").and_then(fiscal_code_of));
    let from_cn = common_name.as_deref().and_then(|cn| cn.split('/').next()).and_then(fiscal_code_of);
    let validity = &cert.tbs_certificate.validity;
    Ok(Holder {
        given_name: subject_attribute(&cert, OID_GIVEN_NAME),
        surname: subject_attribute(&cert, OID_SURNAME),
        common_name,
        fiscal_code: from_serial.or(from_cn),
        not_before: unix_time(&validity.not_before)?,
        not_after: unix_time(&validity.not_after)?,
        subject: cert.tbs_certificate.subject.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fuzz_builds_check_agrees_with_the_rsa_crate() {
        let image = cie_sim::fixtures::card_image(cie_sim::image::SodProfile::Sha256Pkcs1);
        let key = public_key(&image.certificate).unwrap();
        let info = sign::digest_info_of(HashAlg::Sha256, b"fuzz");
        let good = image.key_sign.sign(Pkcs1v15Sign::new_unprefixed(), &info).unwrap();
        let mut bad = good.clone();
        bad[10] ^= 1;
        let other = sign::digest_info_of(HashAlg::Sha256, b"other");
        for _ in 0..2 {
            // Twice: the second time from the remembered exponentiation.
            assert!(fuzz::verify(&key, &info, &good).is_ok());
            assert!(verify_digest_info(&key, &info, &good).is_ok());
            assert!(fuzz::verify(&key, &other, &good).is_err());
            assert!(fuzz::verify(&key, &info, &bad).is_err());
            assert!(fuzz::verify(&key, &info, &good[1..]).is_err());
            assert!(fuzz::verify(&key, &[0; 250], &good).is_err());
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(holder(&[0x30, 0x03, 0x02, 0x01, 0x01]), Err(Error::Malformed(_))));
        assert!(matches!(holder(&[]), Err(Error::Malformed(_))));
    }

    #[test]
    fn reads_the_simulated_holder() {
        let image = cie_sim::fixtures::card_image(cie_sim::image::SodProfile::Sha256Pkcs1);
        let h = holder(&image.certificate).unwrap();
        assert_eq!(h.name().as_deref(), Some("MARIO ROSSI"));
        assert!(h.subject.contains("MARIO") && h.subject.contains("ROSSI"), "{}", h.subject);
        assert!(h.not_before < h.not_after);
        // The real cards' shape: the card number in serialNumber, the fiscal code in the CN.
        assert!(h.subject.contains("SERIALNUMBER=IDCIT-CA00000AA"), "{}", h.subject);
        assert_eq!(h.fiscal_code.as_deref(), Some("RSSMRA80A01H501U"));
    }

    #[test]
    fn fiscal_codes_are_checked() {
        assert_eq!(fiscal_code_of(" rssmra80a01h501u ").as_deref(), Some("RSSMRA80A01H501U"));
        assert_eq!(fiscal_code_of("IDCIT-CA00000AA"), None);
        assert_eq!(fiscal_code_of("RSSMRA80A01H501"), None);
    }
}
