//! The revocation data a SignedData carries (RFC 5652 §10.2.1, `RevocationInfoChoices`): CRLs,
//! and other formats such as OCSP responses (RFC 5940 §4, `id-ri-ocsp-response`), which Italian
//! and European CAdES-LT signers put there.
//!
//! The `cms` crate (0.2) reads an `other [1] IMPLICIT OtherRevocationInfoFormat` as if it were
//! explicitly tagged and fails on the whole SignedData; [`crate::signed_data`] then takes the
//! field out and this module reads it.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_cert::crl::CertificateList;

use crate::{Error, Result};

/// `id-ri-ocsp-response` (RFC 5940 §4): an OCSPResponse in `RevocationInfoChoice.other`.
pub const OID_RI_OCSP_RESPONSE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");

/// Most revocation entries one SignedData may carry (a real CAdES-LT file carries a handful).
const MAX_ENTRIES: usize = 4096;

/// The revocation data read from a SignedData's `crls` field outside the `cms` crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revocations {
    /// CRLs (`RevocationInfoChoice.crl`).
    pub crls: Vec<CertificateList>,
    /// The DER of each CRL as it is in the file, in the order of `crls` (what its signature
    /// covers).
    pub crl_ders: Vec<Vec<u8>>,
    /// The DER of each OCSPResponse in `RevocationInfoChoice.other` (`id-ri-ocsp-response`).
    pub ocsp_responses: Vec<Vec<u8>>,
    /// The format identifiers of other `RevocationInfoChoice.other` entries.
    pub other_formats: Vec<ObjectIdentifier>,
    /// The raw `[1]` field as it was in the file (to copy it into a new SignedData unchanged).
    pub raw: Vec<u8>,
}

impl Revocations {
    /// True when the field was taken out of the SignedData (the `cms` crate could not read it).
    pub fn taken_out(&self) -> bool {
        !self.raw.is_empty()
    }
}

/// Reads a `[1] IMPLICIT RevocationInfoChoices` field (its DER, tag included).
pub(crate) fn read_revocations(field: &[u8]) -> Result<Revocations> {
    let field = AnyRef::from_der(field).map_err(malformed)?;
    let other_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    let mut reader = SliceReader::new(field.value()).map_err(malformed)?;
    let mut out = Revocations::default();
    let mut entries = 0;
    while !reader.is_finished() {
        entries += 1;
        if entries > MAX_ENTRIES {
            return Err(Error::Cms(format!("more than {MAX_ENTRIES} revocation entries")));
        }
        let entry = AnyRef::decode(&mut reader).map_err(malformed)?;
        if entry.tag() == Tag::Sequence {
            let der = entry.to_der().map_err(malformed)?;
            out.crls.push(parse_crl(&der).map_err(|e| Error::Cms(format!("CRL: {e}")))?);
            out.crl_ders.push(der);
        } else if entry.tag() == other_tag {
            // OtherRevocationInfoFormat ::= SEQUENCE { otherRevInfoFormat OID, otherRevInfo ANY },
            // its SEQUENCE tag replaced by [1].
            let mut inner = SliceReader::new(entry.value()).map_err(malformed)?;
            let format = ObjectIdentifier::decode(&mut inner).map_err(malformed)?;
            let info = AnyRef::decode(&mut inner).map_err(malformed)?;
            if !inner.is_finished() {
                return Err(Error::Cms("OtherRevocationInfoFormat: bytes after otherRevInfo".into()));
            }
            if format == OID_RI_OCSP_RESPONSE {
                out.ocsp_responses.push(info.to_der().map_err(malformed)?);
            } else {
                out.other_formats.push(format);
            }
        } else {
            return Err(Error::Cms(format!("RevocationInfoChoice: unexpected {}", entry.tag())));
        }
    }
    Ok(out)
}

/// Parses a CRL, version 1 included: the `x509-cert` crate (0.2) requires the version field,
/// which a version 1 CRL leaves out (RFC 5280 §5.1.2.1), so such a CRL is read with `v1`
/// written in (its signature is checked over the bytes as they are, not over these).
pub fn parse_crl(der: &[u8]) -> der::Result<CertificateList> {
    let first = match CertificateList::from_der(der) {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    let outer = AnyRef::from_der(der)?;
    let mut fields = SliceReader::new(outer.value())?;
    let tbs = AnyRef::decode(&mut fields)?;
    let mut inner = SliceReader::new(tbs.value())?;
    if AnyRef::decode(&mut inner)?.tag() != Tag::Sequence {
        return Err(first);
    }
    let mut tbs_value = vec![0x02, 0x01, 0x00];
    tbs_value.extend_from_slice(tbs.value());
    let mut value = crate::ber::der_header(0x30, tbs_value.len() as u64);
    value.extend_from_slice(&tbs_value);
    let rest = &outer.value()[tbs.encoded_len()?.try_into()?..];
    value.extend_from_slice(rest);
    let mut out = crate::ber::der_header(0x30, value.len() as u64);
    out.extend_from_slice(&value);
    CertificateList::from_der(&out)
}

pub(crate) fn malformed(e: der::Error) -> Error {
    Error::Cms(format!("SignedData: {e}"))
}
