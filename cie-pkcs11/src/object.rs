//! The token's objects and their attributes (PROTOCOL.md §8.6, done right): the holder's
//! X.509 certificate and its public key (public objects) and the private key (private,
//! `CKA_SIGN`), all sharing one `CKA_ID`; template matching for `C_FindObjects` and the buffer
//! conventions of `C_GetAttributeValue` (PKCS#11 2.40 §5.7). Everything is derived from the
//! certificate once, so object queries never touch the card.

use cryptoki_sys::*;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha1::Sha1;
use sha2::Digest;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use std::sync::Arc;

use crate::error::{Ckr, Result};
use crate::module::{lock, Instance, Login, Module};
use crate::session::SessionObj;
use crate::sign::MECHANISMS;

/// `CK_UNAVAILABLE_INFORMATION`: `(CK_ULONG)-1`.
pub const CK_UNAVAILABLE_INFORMATION: CK_ULONG = CK_ULONG::MAX;

/// An attribute value as the token knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// The value's bytes, in the PKCS#11 encoding of the attribute.
    Bytes(Vec<u8>),
    /// The attribute exists but cannot be revealed (private-key material).
    Sensitive,
}

/// One token object.
#[derive(Clone, Debug)]
pub struct Object {
    /// Its handle (unique for the life of the process).
    pub handle: CK_OBJECT_HANDLE,
    /// `CKA_CLASS`.
    pub class: CK_OBJECT_CLASS,
    /// `CKA_PRIVATE`: visible only to the logged-in user.
    pub private: bool,
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
pub fn ulong(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// A CK_BBOOL attribute value.
pub fn bbool(v: bool) -> Vec<u8> {
    vec![if v { CK_TRUE } else { CK_FALSE }]
}

impl Object {
    /// The attribute's value, if the object has it.
    pub fn attribute(&self, t: CK_ATTRIBUTE_TYPE) -> Option<&Value> {
        self.attrs.iter().find(|(a, _)| *a == t).map(|(_, v)| v)
    }

    /// True when every template attribute is present with exactly that value.
    pub fn matches(&self, template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> bool {
        template.iter().all(|(t, want)| matches!(self.attribute(*t), Some(Value::Bytes(v)) if v == want))
    }

    /// The answers to a `C_GetAttributeValue` template, given each entry's type and buffer
    /// capacity (`None` for a NULL `pValue`), and the return value (PKCS#11 2.40 §5.7: every
    /// entry is processed; sensitive or unknown attributes and short buffers get
    /// `CK_UNAVAILABLE_INFORMATION`, and the call returns `CKR_ATTRIBUTE_SENSITIVE`,
    /// `CKR_ATTRIBUTE_TYPE_INVALID` or `CKR_BUFFER_TOO_SMALL`, in that order of precedence).
    pub fn answer(&self, requests: &[(CK_ATTRIBUTE_TYPE, Option<usize>)]) -> (Vec<AttrAnswer>, CK_RV) {
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
    pub fn size(&self) -> usize {
        self.attrs.iter().map(|(_, v)| if let Value::Bytes(b) = v { b.len() } else { 0 }).sum()
    }
}

/// The three objects of a CIE token.
#[derive(Clone, Debug)]
pub struct ObjectSet {
    /// The X.509 certificate (public).
    pub certificate: Object,
    /// The RSA public key (public).
    pub public_key: Object,
    /// The RSA private key (private, `CKA_SIGN`).
    pub private_key: Object,
    /// The modulus length in bytes (= signature length).
    pub modulus_len: usize,
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The certificate's RSA key (for `C_Verify`).
    pub key: RsaPublicKey,
}

/// Handles of the objects of token `epoch`: unique per insertion, never reused.
pub fn handles(epoch: u64) -> [CK_OBJECT_HANDLE; 3] {
    let base = (epoch << 4) as CK_OBJECT_HANDLE;
    [base | 1, base | 2, base | 3]
}

impl ObjectSet {
    /// Builds the objects of token `epoch` from the holder's certificate (DER).
    pub fn from_certificate(der: &[u8], epoch: u64) -> Result<ObjectSet, String> {
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
        let mechanisms: Vec<u8> = MECHANISMS.iter().flat_map(|m| m.to_ne_bytes()).collect();
        let [h_cert, h_pub, h_priv] = handles(epoch);

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
            certificate: Object { handle: h_cert, class: CKO_CERTIFICATE, private: false, attrs: c },
            public_key: Object { handle: h_pub, class: CKO_PUBLIC_KEY, private: false, attrs: p },
            private_key: Object { handle: h_priv, class: CKO_PRIVATE_KEY, private: true, attrs: k },
            modulus_len,
            certificate_der: der.to_vec(),
            key,
        })
    }

    /// The objects visible now: private ones only to the logged-in user.
    pub fn visible(&self, user: bool) -> impl Iterator<Item = &Object> {
        [&self.certificate, &self.public_key, &self.private_key].into_iter().filter(move |o| user || !o.private)
    }

    /// A visible object by handle.
    pub fn get(&self, handle: CK_OBJECT_HANDLE, user: bool) -> Option<&Object> {
        self.visible(user).find(|o| o.handle == handle)
    }
}

/// An active `C_FindObjects` search: the matching handles not yet returned.
#[derive(Debug, Default)]
pub(crate) struct FindOp {
    pending: std::collections::VecDeque<CK_OBJECT_HANDLE>,
}

impl Instance {
    /// Makes the token's objects known when they are asked for: from the certificate cache
    /// (keyed by the card's key-83 signature, the only card crypto outside a login, DESIGN.md
    /// §5), or, for the logged-in user, by reading the certificate (then cached). Without
    /// either the token shows no objects yet. Only a removal is an error.
    pub(crate) fn ensure_objects(&self, s: &SessionObj) -> Result<()> {
        let user = self.login_state(s) == Login::User;
        {
            let st = lock(&s.slot.state);
            if st.epoch != s.epoch || st.objects.is_some() || (self.cache.is_none() && !user) {
                return Ok(());
            }
        }
        let cache = self.cache.clone();
        let found = self.with_card(&s.slot, s.epoch, |conn| {
            let nis = conn.card.nis().to_owned();
            let binding = match &cache {
                Some(_) => match conn.card.card_binding_signature() {
                    Ok(b) => Some(b),
                    Err(e) if crate::error::is_removal(&e) => return Err(e),
                    Err(e) => {
                        tracing::info!("certificate cache unavailable for this card: {e}");
                        None
                    }
                },
                None => None,
            };
            if let (Some(cache), Some(binding)) = (&cache, &binding) {
                if let Some(der) = cache.load(&nis, binding) {
                    // The session checks the card's signatures with the cached certificate's key.
                    match conn.card.use_certificate_key(&der) {
                        Ok(()) => return Ok(Some(der)),
                        Err(e) => tracing::warn!("cached certificate unusable: {e}"),
                    }
                }
            }
            if !user {
                return Ok(None);
            }
            match conn.card.certificate() {
                Ok(der) => {
                    if let (Some(cache), Some(binding)) = (&cache, &binding) {
                        if let Err(e) = cache.store(&nis, binding, &der) {
                            tracing::warn!("certificate cache: cannot store: {e}");
                        }
                    }
                    Ok(Some(der))
                }
                Err(e) if crate::error::is_removal(&e) => Err(e),
                Err(e) => {
                    tracing::warn!("certificate unreadable: {e}");
                    Ok(None)
                }
            }
        });
        let der = match found {
            Ok(Some(der)) => der,
            Ok(None) => return Ok(()),
            Err(e) if e.0 == CKR_DEVICE_REMOVED || e.0 == CKR_TOKEN_NOT_PRESENT => return Err(e),
            Err(e) => {
                tracing::debug!("slot {}: objects unavailable: {e}", s.slot.id);
                return Ok(());
            }
        };
        match ObjectSet::from_certificate(&der, s.epoch) {
            Ok(set) => {
                let mut st = lock(&s.slot.state);
                if st.epoch == s.epoch && st.objects.is_none() {
                    st.objects = Some(Arc::new(set));
                }
            }
            Err(e) => tracing::warn!("slot {}: certificate unusable: {e}", s.slot.id),
        }
        Ok(())
    }
}

impl Module {
    /// The visible objects of a session's token (no APDU: they are known, or there are none yet).
    pub(crate) fn objects_of(inst: &Instance, s: &SessionObj) -> (Option<Arc<ObjectSet>>, bool) {
        let user = inst.login_state(s) == Login::User;
        let st = lock(&s.slot.state);
        let objects = if st.epoch == s.epoch { st.objects.clone() } else { None };
        (objects, user)
    }

    /// `C_FindObjectsInit`: the search runs now over the visible objects.
    pub fn find_init(&self, handle: CK_SESSION_HANDLE, template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        if lock(&s.ops).find.is_some() {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        inst.ensure_objects(&s)?;
        let mut ops = lock(&s.ops);
        if ops.find.is_some() {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        let (objects, user) = Module::objects_of(&inst, &s);
        let pending = objects
            .map(|set| set.visible(user).filter(|o| o.matches(template)).map(|o| o.handle).collect())
            .unwrap_or_default();
        ops.find = Some(FindOp { pending });
        Ok(())
    }

    /// `C_FindObjects`: up to `max` more handles.
    pub fn find_next(&self, handle: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let find = ops.find.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let n = max.min(find.pending.len());
        Ok(find.pending.drain(..n).collect())
    }

    /// `C_FindObjectsFinal`.
    pub fn find_final(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let found = lock(&s.ops).find.take();
        found.map(|_| ()).ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))
    }

    /// A visible object of the session's token, or `CKR_OBJECT_HANDLE_INVALID`.
    pub(crate) fn with_object<R>(
        &self,
        handle: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        f: impl FnOnce(&Object) -> R,
    ) -> Result<R> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        inst.ensure_objects(&s)?;
        let (objects, user) = Module::objects_of(&inst, &s);
        let set = objects.ok_or(Ckr(CKR_OBJECT_HANDLE_INVALID))?;
        let obj = set.get(object, user).ok_or(Ckr(CKR_OBJECT_HANDLE_INVALID))?;
        Ok(f(obj))
    }

    /// `C_GetAttributeValue`: the answers for each template entry and the return value
    /// (see [`Object::answer`]).
    pub fn attribute_values(
        &self,
        handle: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        requests: &[(CK_ATTRIBUTE_TYPE, Option<usize>)],
    ) -> Result<(Vec<AttrAnswer>, CK_RV)> {
        self.with_object(handle, object, |o| o.answer(requests))
    }

    /// `C_GetObjectSize`.
    pub fn object_size(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<usize> {
        self.with_object(handle, object, Object::size)
    }

    /// `C_SetAttributeValue`: objects are not modifiable (`CKA_MODIFIABLE` false).
    pub fn set_attribute_values(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        let rw = self.instance()?.session(handle)?.rw;
        self.with_object(handle, object, |_| ())?;
        Err(Ckr(if rw { CKR_ACTION_PROHIBITED } else { CKR_SESSION_READ_ONLY }))
    }

    /// `C_DestroyObject`: objects are not destroyable (`CKA_DESTROYABLE` false).
    pub fn destroy_object(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        let rw = self.instance()?.session(handle)?.rw;
        self.with_object(handle, object, |_| ())?;
        Err(Ckr(if rw { CKR_ACTION_PROHIBITED } else { CKR_SESSION_READ_ONLY }))
    }

    /// `C_CreateObject`. The module creates no objects. A token object (`CKA_TOKEN` true) is
    /// refused as the standard says for this session: `CKR_SESSION_READ_ONLY` in a read-only
    /// session, `CKR_TOKEN_WRITE_PROTECTED` in a read/write one. A session object (`CKA_TOKEN`
    /// false or absent) may be created in any session (PKCS#11 2.40 §5.7), so the session type
    /// is no reason to refuse it: the module does not offer object creation at all, which is
    /// `CKR_FUNCTION_NOT_SUPPORTED` (the code the standard gives a function a library does not
    /// offer).
    pub fn create_object(&self, handle: CK_SESSION_HANDLE, token_object: bool) -> Result<()> {
        let rw = self.instance()?.session(handle)?.rw;
        Err(Ckr(match (token_object, rw) {
            (false, _) => CKR_FUNCTION_NOT_SUPPORTED,
            (true, false) => CKR_SESSION_READ_ONLY,
            (true, true) => CKR_TOKEN_WRITE_PROTECTED,
        }))
    }

    /// `C_CopyObject`: every object has `CKA_COPYABLE` false, so a copy is
    /// `CKR_ACTION_PROHIBITED` (PKCS#11 2.40 §5.7) once the source object is found.
    pub fn copy_object(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        self.with_object(handle, object, |_| ())?;
        Err(Ckr(CKR_ACTION_PROHIBITED))
    }
}

/// A readable label: "<given name> <surname> (CIE)" from the subject, or its common name
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
