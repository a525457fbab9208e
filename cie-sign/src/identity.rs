//! Who signed: the holder's name and fiscal code (codice fiscale) read from the certificate's
//! subject. CIE certificates carry the fiscal code in serialNumber as `TINIT-<code>` (ETSI EN
//! 319 412-1 §5.1.3) and in the common name as `<code>/<NIS>`.

use der::asn1::{ObjectIdentifier, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use x509_cert::name::Name;
use x509_cert::Certificate;

const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

/// The signer as the certificate names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// "Given-name Surname", or the common name.
    pub name: String,
    /// The 16-character fiscal code, when the certificate carries one.
    pub fiscal_code: Option<String>,
    /// The whole subject (RFC 4514 form).
    pub subject: String,
    /// The issuer (RFC 4514 form).
    pub issuer: String,
}

impl Identity {
    /// Escapes every field for printing ([`crate::verdict::shown`]): they quote a certificate.
    pub(crate) fn make_printable(&mut self) {
        use crate::verdict::shown;
        self.name = shown(&self.name);
        self.subject = shown(&self.subject);
        self.issuer = shown(&self.issuer);
        self.fiscal_code = self.fiscal_code.as_deref().map(shown);
    }
}

/// A text attribute of a name.
pub fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0.iter().flat_map(|rdn| rdn.0.iter()).filter(|atv| atv.oid == oid).find_map(|atv| {
        if let Ok(s) = atv.value.decode_as::<Utf8StringRef<'_>>() {
            return Some(s.as_str().to_owned());
        }
        if let Ok(s) = atv.value.decode_as::<PrintableStringRef<'_>>() {
            return Some(s.as_str().to_owned());
        }
        atv.value.decode_as::<TeletexStringRef<'_>>().ok().map(|s| s.as_str().to_owned())
    })
}

/// A well-formed fiscal code: 16 characters, letters and digits.
fn fiscal_code(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    (s.len() == 16 && s.chars().all(|c| c.is_ascii_alphanumeric())).then_some(s)
}

/// The identity of a certificate's subject.
pub fn identity(cert: &Certificate) -> Identity {
    let subject = &cert.tbs_certificate.subject;
    let cn = attribute(subject, COMMON_NAME);
    let name = match (attribute(subject, GIVEN_NAME), attribute(subject, SURNAME)) {
        (Some(g), Some(s)) => format!("{g} {s}"),
        _ => cn.clone().unwrap_or_else(|| "(no name in the certificate)".into()),
    };
    let from_serial = attribute(subject, SERIAL_NUMBER)
        .and_then(|s| s.strip_prefix("TINIT-").or_else(|| s.strip_prefix("IT:")).and_then(fiscal_code));
    let from_cn = cn.as_deref().and_then(|c| c.split('/').next()).and_then(fiscal_code);
    Identity {
        name,
        fiscal_code: from_serial.or(from_cn),
        subject: subject.to_string(),
        issuer: cert.tbs_certificate.issuer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiscal_codes() {
        assert_eq!(fiscal_code("rssmra80a01h501u").as_deref(), Some("RSSMRA80A01H501U"));
        assert_eq!(fiscal_code("RSSMRA80A01H501"), None);
        assert_eq!(fiscal_code("RSSMRA80A01H501-"), None);
    }
}
