//! What the tool shows of a certificate: the cardholder's name and the subject.

use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};
use x509_cert::der::{oid::ObjectIdentifier, Decode};
use x509_cert::Certificate;

const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Summary of the holder's certificate.
pub struct Holder {
    /// "Given-name Surname", or the common name.
    pub name: String,
    /// The subject as an RFC 4514 string.
    pub subject: String,
}

fn attribute(cert: &Certificate, oid: ObjectIdentifier) -> Option<String> {
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == oid {
                if let Ok(s) = atv.value.decode_as::<Utf8StringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
                if let Ok(s) = atv.value.decode_as::<PrintableStringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
            }
        }
    }
    None
}

/// Parses a DER certificate.
pub fn holder(der: &[u8]) -> Result<Holder, String> {
    let cert = Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    let name = match (attribute(&cert, GIVEN_NAME), attribute(&cert, SURNAME)) {
        (Some(g), Some(s)) => format!("{g} {s}"),
        _ => attribute(&cert, COMMON_NAME).unwrap_or_else(|| "(no name in the certificate)".into()),
    };
    Ok(Holder { name, subject: cert.tbs_certificate.subject.to_string() })
}
