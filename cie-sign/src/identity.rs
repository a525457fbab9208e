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

/// `name` as a person reads it (RFC 4514 order, as the `x509-cert` crate writes it), with the
/// attribute types that crate leaves as identifiers named (organizationIdentifier, the
/// identifier qualified European CAs carry, and a few more) and their values shown as text
/// rather than as hexadecimal DER; a type with no known name keeps its identifier.
pub fn name_text(name: &Name) -> String {
    readable(&name.to_string())
}

/// The name of an attribute type `x509-cert` does not name.
fn attribute_type_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.97" => "organizationIdentifier",
        "2.5.4.15" => "businessCategory",
        "2.5.4.9" => "street",
        "2.5.4.17" => "postalCode",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.65" => "pseudonym",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.43" => "initials",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionCountry",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// The text of a hexadecimal DER string value (`0c...`: UTF8String, PrintableString,
/// IA5String, TeletexString read as Latin-1), escaped as RFC 4514 §2.4 asks.
fn hex_string_value(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()?;
    let (&tag, rest) = bytes.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let value = match len {
        n if n < 0x80 => rest,
        0x81 => rest.split_first().filter(|(n, r)| usize::from(**n) == r.len()).map(|(_, r)| r)?,
        _ => return None,
    };
    if len < 0x80 && usize::from(len) != value.len() {
        return None;
    }
    let text = match tag {
        0x0c | 0x13 | 0x16 => String::from_utf8(value.to_vec()).ok()?,
        0x14 => value.iter().map(|&b| char::from(b)).collect(),
        _ => return None,
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    Some(out)
}

/// [`name_text`] on the string form: each `OID=#HEX` attribute named and its value decoded.
fn readable(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut rest = dn;
    while !rest.is_empty() {
        // One attribute: up to an unescaped ',' or '+'.
        let mut end = rest.len();
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                ',' | '+' => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let (attr, tail) = rest.split_at(end);
        let named = attr.split_once("=#").and_then(|(oid, hex)| {
            if !oid.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return None;
            }
            let value = hex_string_value(hex)?;
            Some(format!("{}={value}", attribute_type_name(oid).unwrap_or(oid)))
        });
        out.push_str(named.as_deref().unwrap_or(attr));
        match tail.chars().next() {
            Some(sep) => {
                out.push(sep);
                rest = &tail[sep.len_utf8()..];
            }
            None => rest = tail,
        }
    }
    out
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
        subject: name_text(subject),
        issuer: name_text(&cert.tbs_certificate.issuer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ArubaPEC's issuer as `x509-cert` writes it: organizationIdentifier named and read.
    #[test]
    fn organization_identifier_named() {
        let dn = "CN=ArubaPEC EU Qualified Certificates CA G1,OU=Qualified Trust Service Provider,\
                  2.5.4.97=#0c1156415449542d3031383739303230353137,O=ArubaPEC S.p.A.,L=Arezzo,C=IT";
        assert_eq!(
            readable(dn),
            "CN=ArubaPEC EU Qualified Certificates CA G1,OU=Qualified Trust Service Provider,\
             organizationIdentifier=VATIT-01879020517,O=ArubaPEC S.p.A.,L=Arezzo,C=IT"
        );
        assert_eq!(readable("O=A\\, b,1.2.3.4=#130141"), "O=A\\, b,1.2.3.4=A");
        assert_eq!(readable("1.2.3.4=#0401ff+CN=x"), "1.2.3.4=#0401ff+CN=x");
        assert_eq!(readable("2.5.4.97=#0c05ab"), "2.5.4.97=#0c05ab");
    }

    #[test]
    fn fiscal_codes() {
        assert_eq!(fiscal_code("rssmra80a01h501u").as_deref(), Some("RSSMRA80A01H501U"));
        assert_eq!(fiscal_code("RSSMRA80A01H501"), None);
        assert_eq!(fiscal_code("RSSMRA80A01H501-"), None);
    }
}
