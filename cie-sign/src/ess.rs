//! The signed attributes of CAdES-BES / baseline B-B (ETSI EN 319 122-1 §5.2): content-type
//! and message-digest (RFC 5652 §11.1, §11.2), signing-time (§11.3) and signing-certificate-v2
//! (ESS, RFC 5035 §3), with the ASN.1 types of the last.

use cie_core::sign::HashAlg;
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::digest;
use crate::reason::Reason;
use crate::{Error, Result};

/// id-contentType (RFC 5652 §11.1).
pub(crate) const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest (RFC 5652 §11.2).
pub(crate) const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime (RFC 5652 §11.3).
pub(crate) const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificate (RFC 2634 §5.4).
pub(crate) const OID_SIGNING_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// id-aa-signingCertificateV2 (RFC 5035 §3).
pub(crate) const OID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// id-signedData (RFC 5652 §5.1).
pub const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-data (RFC 5652 §4).
pub(crate) const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// SigningCertificateV2 (RFC 5035 §3).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    /// The signer's certificate first.
    pub certs: Vec<EssCertIdV2>,
    /// PolicyInformation values (unused here).
    #[asn1(optional = "true")]
    pub policies: Option<Vec<Any>>,
}

/// ESSCertIDv2 (RFC 5035 §4): the hash algorithm is absent when it is the default SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    /// The hash of `cert_hash`; `None` means SHA-256.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// Hash of the whole DER certificate.
    pub cert_hash: OctetString,
    /// The certificate's issuer and serial number.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035 §4).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    /// The issuer's name, as a directoryName.
    pub issuer: GeneralNames,
    /// The certificate's serial number.
    pub serial_number: SerialNumber,
}

/// An attribute with one value.
pub(crate) fn attribute(oid: ObjectIdentifier, value: &impl Encode) -> Result<Attribute> {
    let value = Any::from_der(&value.to_der()?)?;
    Ok(Attribute { oid, values: SetOfVec::try_from(vec![value])? })
}

/// The signing-certificate-v2 value for `cert` (its DER in `cert_der`), hashed with `alg`.
pub(crate) fn signing_certificate_v2(alg: HashAlg, cert_der: &[u8], cert: &Certificate) -> SigningCertificateV2 {
    SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: (alg != HashAlg::Sha256).then(|| digest::algorithm_identifier(alg)),
            cert_hash: OctetString::new(alg.hash(cert_der)).expect("a digest fits an OCTET STRING"),
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(cert.tbs_certificate.issuer.clone())],
                serial_number: cert.tbs_certificate.serial_number.clone(),
            }),
        }],
        policies: None,
    }
}

/// The signed attributes of a CAdES-BES signature over content of type id-data whose digest
/// is `digest`; `signing_time` is omitted for PAdES (ETSI EN 319 142-1 §6.3: the time is in
/// the signature dictionary's /M).
pub(crate) fn signed_attributes(
    alg: HashAlg,
    digest: &[u8],
    signing_time: Option<Time>,
    cert_der: &[u8],
    cert: &Certificate,
) -> Result<SetOfVec<Attribute>> {
    let mut attrs = vec![
        attribute(OID_CONTENT_TYPE, &OID_DATA)?,
        attribute(OID_MESSAGE_DIGEST, &OctetString::new(digest)?)?,
        attribute(OID_SIGNING_CERTIFICATE_V2, &signing_certificate_v2(alg, cert_der, cert))?,
    ];
    if let Some(t) = signing_time {
        attrs.push(attribute(OID_SIGNING_TIME, &t)?);
    }
    SetOfVec::try_from(attrs).map_err(Error::from)
}

/// The name of a signed attribute this crate reads (RFC 5652 §11, RFC 5035 §3); another one
/// labelled with its identifier.
fn attribute_name(oid: ObjectIdentifier) -> String {
    let name = match oid {
        OID_CONTENT_TYPE => "content-type",
        OID_MESSAGE_DIGEST => "message-digest",
        OID_SIGNING_TIME => "signing-time",
        OID_SIGNING_CERTIFICATE => "signing-certificate",
        OID_SIGNING_CERTIFICATE_V2 => "signing-certificate-v2",
        // Only the attributes above are read one by one.
        other => return other.to_string(),
    };
    name.to_owned()
}

/// The single value of attribute `oid`, if present; an error if it has several values or
/// appears twice (RFC 5652 §11: these attributes are single-valued).
pub(crate) fn single_value(attrs: &SetOfVec<Attribute>, oid: ObjectIdentifier) -> Result<Option<&Any>, Reason> {
    let mut found = None;
    for a in attrs.iter().filter(|a| a.oid == oid) {
        if found.is_some() || a.values.len() != 1 {
            return Err(Reason::AttributeNotSingle(attribute_name(oid)));
        }
        found = a.values.get(0);
    }
    Ok(found)
}
