//! Certificates and CMS signatures made by hand for the hostile-document tests: X.509 v3
//! certificates assembled field by field (RFC 5280 §4.1) and signed with keys of the test,
//! never with cie-sign's own code, so the verifier cannot agree with itself by construction.

#![allow(dead_code)]

use cie_sign::{HashAlg, Signer};
use der::asn1::{Any, BitString, ObjectIdentifier, SetOfVec, UtcTime, Utf8StringRef};
use der::{DateTime, Decode, Encode};
use rsa::pkcs8::EncodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

/// A name of one or more attributes, each a UTF8String (OID, value).
pub(crate) fn name(parts: &[(&str, &str)]) -> Name {
    let rdns = parts
        .iter()
        .map(|(oid, value)| {
            let atv = AttributeTypeAndValue {
                oid: ObjectIdentifier::new_unwrap(oid),
                value: Any::encode_from(&Utf8StringRef::new(value).unwrap()).unwrap(),
            };
            RelativeDistinguishedName(SetOfVec::try_from(vec![atv]).unwrap())
        })
        .collect();
    RdnSequence(rdns)
}

/// `CN=cn`.
pub(crate) fn cn(cn: &str) -> Name {
    name(&[("2.5.4.3", cn)])
}

/// 1 January of `from` to 31 December of `to`.
pub(crate) fn years(from: u16, to: u16) -> Validity {
    let t =
        |y, m, d, h, mi, s| Time::UtcTime(UtcTime::from_date_time(DateTime::new(y, m, d, h, mi, s).unwrap()).unwrap());
    Validity { not_before: t(from, 1, 1, 0, 0, 0), not_after: t(to, 12, 31, 23, 59, 59) }
}

/// What to put in a hand-made certificate.
pub(crate) struct Spec<'a> {
    pub serial: u8,
    pub subject: Name,
    pub issuer: Name,
    pub validity: Validity,
    pub ca: bool,
    /// The key the certificate certifies.
    pub subject_key: &'a RsaPrivateKey,
    /// The key that signs it.
    pub issuer_key: &'a RsaPrivateKey,
    /// The hash of the certificate's signature (sha*WithRSAEncryption).
    pub hash: HashAlg,
}

/// The DER of a certificate built from `spec`, signed PKCS#1 v1.5 by `spec.issuer_key`.
pub(crate) fn certificate(spec: &Spec<'_>) -> Vec<u8> {
    let spki_der = spec.subject_key.to_public_key().to_public_key_der().unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).unwrap();
    let algorithm = AlgorithmIdentifierOwned { oid: spec.hash.rsa_pkcs1_oid(), parameters: Some(Any::null()) };
    let bc = BasicConstraints { ca: spec.ca, path_len_constraint: None };
    let extensions = vec![Extension {
        extn_id: ObjectIdentifier::new_unwrap("2.5.29.19"),
        critical: true,
        extn_value: der::asn1::OctetString::new(bc.to_der().unwrap()).unwrap(),
    }];
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[spec.serial.max(1)]).unwrap(),
        signature: algorithm.clone(),
        issuer: spec.issuer.clone(),
        validity: spec.validity,
        subject: spec.subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().unwrap();
    let di = cie_core::sign::digest_info_of(spec.hash, &tbs_der);
    let sig = spec.issuer_key.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap();
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// A small key, made from a fixed seed (fast enough for debug builds).
pub(crate) fn test_key(seed: &str) -> RsaPrivateKey {
    RsaPrivateKey::new(&mut cie_sim::pki::rng_for(seed), 1024).unwrap()
}

/// A signer with a hand-made certificate and its key.
pub(crate) struct HandSigner {
    pub key: RsaPrivateKey,
    pub cert: Vec<u8>,
}

impl Signer for HandSigner {
    fn certificate(&mut self) -> cie_sign::Result<Vec<u8>> {
        Ok(self.cert.clone())
    }

    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> cie_sign::Result<Vec<u8>> {
        let di = cie_core::sign::digest_info(alg, digest)?;
        Ok(self.key.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap())
    }
}
