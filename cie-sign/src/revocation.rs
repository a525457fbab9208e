//! The revocation data a SignedData carries (RFC 5652 §10.2.1, `RevocationInfoChoices`): CRLs,
//! and other formats such as OCSP responses (RFC 5940 §4, `id-ri-ocsp-response`), which Italian
//! and European CAdES-LT signers put there.
//!
//! The `cms` crate (0.2) reads an `other [1] IMPLICIT OtherRevocationInfoFormat` as if it were
//! explicitly tagged and fails on the whole SignedData. The `crls` field is outside everything a
//! signer signs (RFC 5652 §5.4: the signature covers the content or the signed attributes), so
//! when the crate refuses a SignedData, [`decode_signed_data`] takes that field out, reads it
//! here, and lets the crate read the rest: the signatures are checked exactly as before.

use cms::signed_data::SignedData;
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
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

/// Decodes the SignedData in `content` (the `[0] EXPLICIT` content of a ContentInfo, DER):
/// with the `cms` crate, or, when the crate refuses it and the SignedData has a `crls` field,
/// without that field, which is then read here (RFC 5652 §5.1, §10.2.1). An error names what
/// is malformed.
pub fn decode_signed_data(content: &Any) -> Result<(SignedData, Revocations)> {
    let first = match content.decode_as::<SignedData>() {
        Ok(sd) => return Ok((sd, Revocations::default())),
        Err(e) => e,
    };
    let refused = || Error::Cms(format!("SignedData: {first}"));
    if content.tag() != Tag::Sequence {
        return Err(refused());
    }
    let (rest, crls) = split_crls(content.value())?;
    let Some(crls) = crls else { return Err(refused()) };
    let mut der = crate::ber::der_header(0x30, rest.len() as u64);
    der.extend_from_slice(&rest);
    let sd = SignedData::from_der(&der).map_err(|e| Error::Cms(format!("SignedData: {e}")))?;
    let mut revocations = read_revocations(&crls)?;
    revocations.raw = crls;
    Ok((sd, revocations))
}

/// The fields of a SignedData's value without its `[1] crls` field, and that field's DER.
fn split_crls(value: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let crls_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    let mut reader = SliceReader::new(value).map_err(malformed)?;
    let mut rest = Vec::with_capacity(value.len());
    let mut crls = None;
    while !reader.is_finished() {
        let field = AnyRef::decode(&mut reader).map_err(malformed)?;
        let der = field.to_der().map_err(malformed)?;
        if field.tag() == crls_tag {
            if crls.is_some() {
                return Err(Error::Cms("SignedData: two crls fields".into()));
            }
            crls = Some(der);
        } else {
            rest.extend_from_slice(&der);
        }
    }
    Ok((rest, crls))
}

/// Reads a `[1] IMPLICIT RevocationInfoChoices` field (its DER, tag included).
fn read_revocations(field: &[u8]) -> Result<Revocations> {
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
            out.crls.push(CertificateList::from_der(&der).map_err(|e| Error::Cms(format!("CRL: {e}")))?);
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

fn malformed(e: der::Error) -> Error {
    Error::Cms(format!("SignedData: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SignedData written out by hand: version 1, no digest algorithms, id-data content
    /// without eContent, a `crls` field with one OCSP entry and one of an unknown format, no
    /// signer. The `cms` crate refuses it for its `[1]` entries.
    fn signed_data_with_other() -> Vec<u8> {
        let mut crls = vec![
            // [1] IMPLICIT OtherRevocationInfoFormat: OID 1.3.6.1.5.5.7.16.2, OCSPResponse
            // SEQUENCE { ENUMERATED 1 (malformedRequest) }
            0xA1, 0x0F, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02, 0x30, 0x03, 0x0A, 0x01, 0x01,
            // [1] IMPLICIT: OID 1.2.3.4, NULL
            0xA1, 0x07, 0x06, 0x03, 0x2A, 0x03, 0x04, 0x05, 0x00,
        ];
        let mut field = vec![0xA1, crls.len() as u8];
        field.append(&mut crls);
        let mut body = vec![
            0x02, 0x01, 0x01, // version 1
            0x31, 0x00, // digestAlgorithms
            0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01, // id-data
        ];
        body.extend_from_slice(&field);
        body.extend_from_slice(&[0x31, 0x00]); // signerInfos
        let mut sd = vec![0x30, body.len() as u8];
        sd.append(&mut body);
        sd
    }

    #[test]
    fn other_revocation_formats_are_read_beside_the_crate() {
        let der = signed_data_with_other();
        let any = Any::from_der(&der).unwrap();
        assert!(any.decode_as::<SignedData>().is_err(), "the crate now reads it: drop this workaround");
        let (sd, rev) = decode_signed_data(&any).unwrap();
        assert!(sd.crls.is_none());
        assert_eq!(sd.signer_infos.0.len(), 0);
        assert_eq!(rev.ocsp_responses, vec![vec![0x30, 0x03, 0x0A, 0x01, 0x01]]);
        assert_eq!(rev.other_formats, vec![ObjectIdentifier::new_unwrap("1.2.3.4")]);
        assert!(rev.crls.is_empty() && rev.taken_out());
    }

    #[test]
    fn malformed_revocation_entries_are_errors() {
        let mut der = signed_data_with_other();
        // The OCSP entry's OID becomes an INTEGER.
        let at = der.windows(2).position(|w| w == [0x06, 0x08]).unwrap();
        der[at] = 0x02;
        let any = Any::from_der(&der).unwrap();
        assert!(matches!(decode_signed_data(&any), Err(Error::Cms(_))));
        // A primitive [1] entry is no RevocationInfoChoice.
        let mut der = signed_data_with_other();
        let at = der.windows(2).position(|w| w == [0xA1, 0x07]).unwrap();
        der[at] = 0x81;
        let any = Any::from_der(&der).unwrap();
        assert!(matches!(decode_signed_data(&any), Err(Error::Cms(_))));
    }
}
