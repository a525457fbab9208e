//! The token's objects and their attributes (PROTOCOL.md §8.6, done right): the holder's
//! X.509 certificate and its public key (public objects) and the private key (private,
//! `CKA_SIGN`), all sharing one `CKA_ID`; template matching for `C_FindObjects` and the buffer
//! conventions of `C_GetAttributeValue` (PKCS#11 2.40 §5.7). Pure data: everything is derived
//! from the certificate once, so object queries never touch the card.

use cryptoki_sys::*;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha1::Sha1;
use sha2::Digest;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use crate::mechanism::SIGNATURE_MECHANISMS;

/// `CK_UNAVAILABLE_INFORMATION`: `(CK_ULONG)-1`.
pub(crate) const CK_UNAVAILABLE_INFORMATION: CK_ULONG = CK_ULONG::MAX;

/// An attribute value as the token knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// The value's bytes, in the PKCS#11 encoding of the attribute.
    Bytes(Vec<u8>),
    /// The attribute exists but cannot be revealed (private-key material).
    Sensitive,
}

/// One token object.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    /// Its handle (unique for the life of the process).
    pub(crate) handle: CK_OBJECT_HANDLE,
    /// `CKA_PRIVATE`: visible only to the logged-in user.
    pub(crate) private: bool,
    attrs: Vec<(CK_ATTRIBUTE_TYPE, Value)>,
}

/// What `C_GetAttributeValue` reports for one attribute of the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrAnswer {
    /// `ulValueLen = CK_UNAVAILABLE_INFORMATION` (sensitive, invalid, or buffer too small).
    Unavailable,
    /// Size query (`pValue == NULL`): `ulValueLen` = this length.
    Length(usize),
    /// Copy these bytes to `pValue` and set `ulValueLen` to their length.
    Value(Vec<u8>),
}

/// A CK_ULONG attribute value.
pub(crate) fn ulong(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// A CK_BBOOL attribute value.
pub(crate) fn bbool(v: bool) -> Vec<u8> {
    vec![if v { CK_TRUE } else { CK_FALSE }]
}

impl Object {
    /// The attribute's value, if the object has it.
    pub(crate) fn attribute(&self, t: CK_ATTRIBUTE_TYPE) -> Option<&Value> {
        self.attrs.iter().find(|(a, _)| *a == t).map(|(_, v)| v)
    }

    /// True when every template attribute is present with exactly that value.
    pub(crate) fn matches(&self, template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> bool {
        template.iter().all(|(t, want)| matches!(self.attribute(*t), Some(Value::Bytes(v)) if v == want))
    }

    /// The answers to a `C_GetAttributeValue` template, given each entry's type and buffer
    /// capacity (`None` for a NULL `pValue`), and the return value (PKCS#11 2.40 §5.7: every
    /// entry is processed; sensitive or unknown attributes and short buffers get
    /// `CK_UNAVAILABLE_INFORMATION`, and the call returns `CKR_ATTRIBUTE_SENSITIVE`,
    /// `CKR_ATTRIBUTE_TYPE_INVALID` or `CKR_BUFFER_TOO_SMALL`, in that order of precedence).
    pub(crate) fn answer(&self, requests: &[(CK_ATTRIBUTE_TYPE, Option<usize>)]) -> (Vec<AttrAnswer>, CK_RV) {
        let (mut sensitive, mut invalid, mut small) = (false, false, false);
        let answers = requests
            .iter()
            .map(|(t, capacity)| match (self.attribute(*t), capacity) {
                (Some(Value::Sensitive), _) => {
                    sensitive = true;
                    AttrAnswer::Unavailable
                }
                (None, _) => {
                    invalid = true;
                    AttrAnswer::Unavailable
                }
                (Some(Value::Bytes(v)), None) => AttrAnswer::Length(v.len()),
                (Some(Value::Bytes(v)), Some(cap)) if *cap >= v.len() => AttrAnswer::Value(v.clone()),
                (Some(Value::Bytes(_)), Some(_)) => {
                    small = true;
                    AttrAnswer::Unavailable
                }
            })
            .collect();
        let rv = if sensitive {
            CKR_ATTRIBUTE_SENSITIVE
        } else if invalid {
            CKR_ATTRIBUTE_TYPE_INVALID
        } else if small {
            CKR_BUFFER_TOO_SMALL
        } else {
            CKR_OK
        };
        (answers, rv)
    }

    /// A rough size for `C_GetObjectSize`: the bytes of all revealable attribute values.
    pub(crate) fn size(&self) -> usize {
        self.attrs.iter().map(|(_, v)| if let Value::Bytes(b) = v { b.len() } else { 0 }).sum()
    }
}

/// The three objects of a CIE token.
#[derive(Clone, Debug)]
pub(crate) struct ObjectSet {
    /// The X.509 certificate (public).
    pub(crate) certificate: Object,
    /// The RSA public key (public).
    pub(crate) public_key: Object,
    /// The RSA private key (private, `CKA_SIGN`).
    pub(crate) private_key: Object,
    /// The modulus length in bytes (= signature length).
    pub(crate) modulus_len: usize,
    /// The certificate, DER.
    pub(crate) certificate_der: Vec<u8>,
    /// The certificate's RSA key (for `C_Verify`).
    pub(crate) key: RsaPublicKey,
}

/// Handles of the objects of the token of card insertion `insertion`: unique per insertion,
/// never reused.
pub(crate) fn handles(insertion: u64) -> [CK_OBJECT_HANDLE; 3] {
    let base = (insertion << 4) as CK_OBJECT_HANDLE;
    [base | 1, base | 2, base | 3]
}

impl ObjectSet {
    /// Builds the objects of the token of card insertion `insertion` from the holder's
    /// certificate (DER).
    pub(crate) fn from_certificate(der: &[u8], insertion: u64) -> Result<ObjectSet, String> {
        let cert = Certificate::from_der(der).map_err(|e| format!("certificate: {e}"))?;
        let tbs = &cert.tbs_certificate;
        let enc = |r: Result<Vec<u8>, x509_cert::der::Error>| r.map_err(|e| format!("certificate: {e}"));
        let subject = enc(tbs.subject.to_der())?;
        let issuer = enc(tbs.issuer.to_der())?;
        let serial = enc(tbs.serial_number.to_der())?;
        let spki = enc(tbs.subject_public_key_info.to_der())?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("certificate key: {e}"))?;
        let modulus = key.n().to_bytes_be();
        let exponent = key.e().to_bytes_be();
        let bits = key.n().bits();
        let modulus_len = bits.div_ceil(8);
        let id = Sha1::digest(&modulus).to_vec();
        let label = label_of(der)?.into_bytes();
        let date = |t: &x509_cert::time::Time| {
            let d = t.to_date_time();
            format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()).into_bytes()
        };
        let start = date(&tbs.validity.not_before);
        let end = date(&tbs.validity.not_after);
        let check_value = Sha1::digest(der)[..3].to_vec();
        let mechanisms: Vec<u8> = SIGNATURE_MECHANISMS.iter().flat_map(|m| m.to_ne_bytes()).collect();
        let [h_cert, h_pub, h_priv] = handles(insertion);

        let storage = |class: CK_OBJECT_CLASS, private: bool| -> Vec<(CK_ATTRIBUTE_TYPE, Value)> {
            vec![
                (CKA_CLASS, Value::Bytes(ulong(class))),
                (CKA_TOKEN, Value::Bytes(bbool(true))),
                (CKA_PRIVATE, Value::Bytes(bbool(private))),
                (CKA_MODIFIABLE, Value::Bytes(bbool(false))),
                (CKA_COPYABLE, Value::Bytes(bbool(false))),
                (CKA_DESTROYABLE, Value::Bytes(bbool(false))),
                (CKA_LABEL, Value::Bytes(label.clone())),
            ]
        };
        let key_common = |class: CK_OBJECT_CLASS, private: bool| -> Vec<(CK_ATTRIBUTE_TYPE, Value)> {
            let mut a = storage(class, private);
            a.extend([
                (CKA_KEY_TYPE, Value::Bytes(ulong(CKK_RSA))),
                (CKA_ID, Value::Bytes(id.clone())),
                (CKA_START_DATE, Value::Bytes(Vec::new())),
                (CKA_END_DATE, Value::Bytes(Vec::new())),
                (CKA_DERIVE, Value::Bytes(bbool(false))),
                (CKA_LOCAL, Value::Bytes(bbool(false))),
                (CKA_KEY_GEN_MECHANISM, Value::Bytes(ulong(CK_UNAVAILABLE_INFORMATION))),
                (CKA_ALLOWED_MECHANISMS, Value::Bytes(mechanisms.clone())),
                (CKA_SUBJECT, Value::Bytes(subject.clone())),
                (CKA_PUBLIC_KEY_INFO, Value::Bytes(spki.clone())),
                (CKA_MODULUS, Value::Bytes(modulus.clone())),
                (CKA_PUBLIC_EXPONENT, Value::Bytes(exponent.clone())),
            ]);
            a
        };

        let mut c = storage(CKO_CERTIFICATE, false);
        c.extend([
            (CKA_CERTIFICATE_TYPE, Value::Bytes(ulong(CKC_X_509))),
            (CKA_TRUSTED, Value::Bytes(bbool(false))),
            (CKA_CERTIFICATE_CATEGORY, Value::Bytes(ulong(CK_CERTIFICATE_CATEGORY_TOKEN_USER))),
            (CKA_CHECK_VALUE, Value::Bytes(check_value)),
            (CKA_START_DATE, Value::Bytes(start)),
            (CKA_END_DATE, Value::Bytes(end)),
            (CKA_PUBLIC_KEY_INFO, Value::Bytes(spki.clone())),
            (CKA_SUBJECT, Value::Bytes(subject.clone())),
            (CKA_ID, Value::Bytes(id.clone())),
            (CKA_ISSUER, Value::Bytes(issuer)),
            (CKA_SERIAL_NUMBER, Value::Bytes(serial)),
            (CKA_VALUE, Value::Bytes(der.to_vec())),
            (CKA_URL, Value::Bytes(Vec::new())),
            (CKA_HASH_OF_SUBJECT_PUBLIC_KEY, Value::Bytes(Vec::new())),
            (CKA_HASH_OF_ISSUER_PUBLIC_KEY, Value::Bytes(Vec::new())),
            (CKA_JAVA_MIDP_SECURITY_DOMAIN, Value::Bytes(ulong(CK_SECURITY_DOMAIN_UNSPECIFIED))),
            (CKA_NAME_HASH_ALGORITHM, Value::Bytes(ulong(CKM_SHA_1))),
        ]);

        let mut p = key_common(CKO_PUBLIC_KEY, false);
        p.extend([
            (CKA_ENCRYPT, Value::Bytes(bbool(false))),
            (CKA_VERIFY, Value::Bytes(bbool(true))),
            (CKA_VERIFY_RECOVER, Value::Bytes(bbool(false))),
            (CKA_WRAP, Value::Bytes(bbool(false))),
            (CKA_TRUSTED, Value::Bytes(bbool(false))),
            (CKA_MODULUS_BITS, Value::Bytes(ulong(bits as CK_ULONG))),
        ]);

        let mut k = key_common(CKO_PRIVATE_KEY, true);
        k.extend([
            (CKA_SENSITIVE, Value::Bytes(bbool(true))),
            (CKA_DECRYPT, Value::Bytes(bbool(false))),
            (CKA_SIGN, Value::Bytes(bbool(true))),
            (CKA_SIGN_RECOVER, Value::Bytes(bbool(false))),
            (CKA_UNWRAP, Value::Bytes(bbool(false))),
            (CKA_EXTRACTABLE, Value::Bytes(bbool(false))),
            (CKA_ALWAYS_SENSITIVE, Value::Bytes(bbool(true))),
            (CKA_NEVER_EXTRACTABLE, Value::Bytes(bbool(true))),
            (CKA_WRAP_WITH_TRUSTED, Value::Bytes(bbool(false))),
            (CKA_ALWAYS_AUTHENTICATE, Value::Bytes(bbool(false))),
            (CKA_PRIVATE_EXPONENT, Value::Sensitive),
            (CKA_PRIME_1, Value::Sensitive),
            (CKA_PRIME_2, Value::Sensitive),
            (CKA_EXPONENT_1, Value::Sensitive),
            (CKA_EXPONENT_2, Value::Sensitive),
            (CKA_COEFFICIENT, Value::Sensitive),
        ]);

        Ok(ObjectSet {
            certificate: Object { handle: h_cert, private: false, attrs: c },
            public_key: Object { handle: h_pub, private: false, attrs: p },
            private_key: Object { handle: h_priv, private: true, attrs: k },
            modulus_len,
            certificate_der: der.to_vec(),
            key,
        })
    }

    /// The objects visible now: private ones only to the logged-in user.
    pub(crate) fn visible(&self, user: bool) -> impl Iterator<Item = &Object> {
        [&self.certificate, &self.public_key, &self.private_key].into_iter().filter(move |o| user || !o.private)
    }

    /// A visible object by handle.
    pub(crate) fn get(&self, handle: CK_OBJECT_HANDLE, user: bool) -> Option<&Object> {
        self.visible(user).find(|o| o.handle == handle)
    }
}

/// A readable label: `<given name> <surname> (CIE)` from the subject, or its common name
/// (`cie_core::certificate::holder`).
fn label_of(der: &[u8]) -> Result<String, String> {
    let h = cie_core::certificate::holder(der).map_err(|e| e.to_string())?;
    Ok(match (h.given_name, h.surname) {
        (Some(g), Some(s)) => format!("{g} {s} (CIE)"),
        _ => h.common_name.unwrap_or_else(|| "CIE".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ObjectSet {
        ObjectSet::from_certificate(
            &cie_sim::fixtures::card_image(cie_sim::image::SodProfile::Sha256Pkcs1).certificate,
            5,
        )
        .unwrap()
    }

    #[test]
    fn objects_share_an_id_and_expose_der_fields() {
        let s = set();
        let id = s.certificate.attribute(CKA_ID).cloned();
        assert!(matches!(&id, Some(Value::Bytes(b)) if b.len() == 20));
        assert_eq!(s.public_key.attribute(CKA_ID).cloned(), id);
        assert_eq!(s.private_key.attribute(CKA_ID).cloned(), id);
        let Some(Value::Bytes(serial)) = s.certificate.attribute(CKA_SERIAL_NUMBER) else { panic!() };
        assert_eq!(serial[0], 0x02, "DER INTEGER");
        assert_eq!(serial[1] as usize, serial.len() - 2);
        let Some(Value::Bytes(subject)) = s.certificate.attribute(CKA_SUBJECT) else { panic!() };
        assert_eq!(subject[0], 0x30);
        assert_eq!(s.certificate.attribute(CKA_START_DATE), Some(&Value::Bytes(b"20240101".to_vec())));
        assert_eq!(s.certificate.attribute(CKA_END_DATE), Some(&Value::Bytes(b"20491231".to_vec())));
        assert_eq!(s.public_key.attribute(CKA_MODULUS_BITS), Some(&Value::Bytes(ulong(2048))));
        assert_eq!(s.public_key.attribute(CKA_PUBLIC_EXPONENT), Some(&Value::Bytes(vec![1, 0, 1])));
        assert_eq!(s.modulus_len, 256);
        let Some(Value::Bytes(label)) = s.certificate.attribute(CKA_LABEL) else { panic!() };
        assert_eq!(String::from_utf8_lossy(label), "MARIO ROSSI (CIE)");
        assert_eq!(handles(5), [0x51, 0x52, 0x53]);
    }

    #[test]
    fn get_attribute_conventions() {
        let s = set();
        let k = &s.private_key;
        // NULL buffer: length.
        let (a, rv) = k.answer(&[(CKA_MODULUS, None)]);
        assert_eq!((a, rv), (vec![AttrAnswer::Length(256)], CKR_OK));
        // Short buffer.
        let (a, rv) = k.answer(&[(CKA_MODULUS, Some(10)), (CKA_SIGN, Some(1))]);
        assert_eq!(rv, CKR_BUFFER_TOO_SMALL);
        assert_eq!(a[0], AttrAnswer::Unavailable);
        assert_eq!(a[1], AttrAnswer::Value(vec![CK_TRUE]));
        // Unknown attribute and sensitive attribute, the others still answered.
        let (a, rv) = k.answer(&[(CKA_VALUE, Some(10)), (CKA_CLASS, Some(8))]);
        assert_eq!(rv, CKR_ATTRIBUTE_TYPE_INVALID);
        assert_eq!(a, vec![AttrAnswer::Unavailable, AttrAnswer::Value(ulong(CKO_PRIVATE_KEY))]);
        let (a, rv) = k.answer(&[(CKA_PRIVATE_EXPONENT, None), (CKA_VALUE, None)]);
        assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE);
        assert_eq!(a, vec![AttrAnswer::Unavailable, AttrAnswer::Unavailable]);
    }

    #[test]
    fn templates_and_visibility() {
        let s = set();
        let priv_tpl = vec![(CKA_CLASS, ulong(CKO_PRIVATE_KEY))];
        assert_eq!(s.visible(false).filter(|o| o.matches(&priv_tpl)).count(), 0);
        assert_eq!(s.visible(true).filter(|o| o.matches(&priv_tpl)).count(), 1);
        assert_eq!(s.visible(false).count(), 2);
        assert_eq!(s.visible(true).filter(|o| o.matches(&[])).count(), 3);
        let sign = vec![(CKA_SIGN, bbool(true))];
        assert_eq!(
            s.visible(true).filter(|o| o.matches(&sign)).map(|o| o.handle).collect::<Vec<_>>(),
            vec![s.private_key.handle]
        );
        // A wrongly sized value never matches.
        assert!(!s.certificate.matches(&[(CKA_CLASS, vec![1])]));
        assert!(s.get(s.private_key.handle, false).is_none());
        assert!(s.get(s.private_key.handle, true).is_some());
    }
}
