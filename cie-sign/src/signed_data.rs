//! Reading a SignedData (RFC 5652 §5.1) with the `cms` crate where it can, and around it where
//! it refuses fields every other verifier reads (OpenSSL, DSS): an `other [1] IMPLICIT`
//! revocation entry (the crate reads it as if explicitly tagged) and attribute certificates
//! (`v1AttrCert [1]`, `v2AttrCert [2]`) in the certificate set, which TSAs such as PostSignum
//! put in their tokens. Neither is under any signature a SignerInfo carries (RFC 5652 §5.4: it
//! covers the content or the signed attributes), so when the crate refuses a SignedData, the
//! revocation field is taken out (and read by [`crate::revocation`]) and the attribute
//! certificates are dropped (they play no part in path building); the crate reads the rest and
//! the signatures are checked exactly as before.

use cms::signed_data::SignedData;
use der::asn1::AnyRef;
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};

use crate::revocation::{malformed, read_revocations, Revocations};
use crate::{Error, Result};

/// What [`decode_signed_data`] had to leave out for the `cms` crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// The revocation data, read here.
    pub revocations: Revocations,
    /// Attribute certificates dropped from the certificate set.
    pub attribute_certificates: usize,
}

/// Decodes the SignedData in `content` (the `[0] EXPLICIT` content of a ContentInfo, DER):
/// with the `cms` crate, or, when the crate refuses it, without its revocation field and its
/// attribute certificates (see the module's documentation). An error names what is malformed.
pub fn decode_signed_data(content: &Any) -> Result<(SignedData, LeftOut)> {
    let first = match content.decode_as::<SignedData>() {
        Ok(sd) => return Ok((sd, LeftOut::default())),
        Err(e) => e,
    };
    let refused = || Error::Cms(format!("SignedData: {first}"));
    if content.tag() != Tag::Sequence {
        return Err(refused());
    }
    let (rest, crls, dropped) = rewrite(content.value())?;
    if crls.is_none() && dropped == 0 {
        return Err(refused());
    }
    let mut der = crate::ber::der_header(0x30, rest.len() as u64);
    der.extend_from_slice(&rest);
    let sd = SignedData::from_der(&der).map_err(|e| Error::Cms(format!("SignedData: {e}")))?;
    let mut left_out = LeftOut { attribute_certificates: dropped, ..LeftOut::default() };
    if let Some(crls) = crls {
        left_out.revocations = read_revocations(&crls)?;
        left_out.revocations.raw = crls;
    }
    Ok((sd, left_out))
}

/// The fields of a SignedData's value without its `[1] crls` field and without the attribute
/// certificates of its `[0] certificates` field; the crls field's DER; how many attribute
/// certificates were dropped.
fn rewrite(value: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>, usize)> {
    let certs_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };
    let crls_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    let mut reader = SliceReader::new(value).map_err(malformed)?;
    let mut rest = Vec::with_capacity(value.len());
    let mut crls = None;
    let mut dropped = 0;
    while !reader.is_finished() {
        let field = AnyRef::decode(&mut reader).map_err(malformed)?;
        if field.tag() == crls_tag {
            if crls.is_some() {
                return Err(Error::Cms("SignedData: two crls fields".into()));
            }
            crls = Some(field.to_der().map_err(malformed)?);
        } else if field.tag() == certs_tag {
            let (kept, n) = without_attribute_certificates(field.value())?;
            dropped += n;
            rest.extend_from_slice(&crate::ber::der_header(0xA0, kept.len() as u64));
            rest.extend_from_slice(&kept);
        } else {
            rest.extend_from_slice(&field.to_der().map_err(malformed)?);
        }
    }
    Ok((rest, crls, dropped))
}

/// The CertificateChoices of a certificate set's value without `v1AttrCert [1]` and
/// `v2AttrCert [2]` (RFC 5652 §10.2.2), and how many were dropped.
fn without_attribute_certificates(value: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut reader = SliceReader::new(value).map_err(malformed)?;
    let mut kept = Vec::with_capacity(value.len());
    let mut dropped = 0;
    while !reader.is_finished() {
        let choice = AnyRef::decode(&mut reader).map_err(malformed)?;
        match choice.tag() {
            Tag::ContextSpecific { constructed: true, number }
                if number == TagNumber::N1 || number == TagNumber::N2 =>
            {
                dropped += 1
            }
            _ => kept.extend_from_slice(&choice.to_der().map_err(malformed)?),
        }
    }
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::ObjectIdentifier;

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
        let (sd, left) = decode_signed_data(&any).unwrap();
        let rev = left.revocations;
        assert!(sd.crls.is_none());
        assert_eq!(sd.signer_infos.0.len(), 0);
        assert_eq!(rev.ocsp_responses, vec![vec![0x30, 0x03, 0x0A, 0x01, 0x01]]);
        assert_eq!(rev.other_formats, vec![ObjectIdentifier::new_unwrap("1.2.3.4")]);
        assert!(rev.crls.is_empty() && rev.taken_out());
    }

    #[test]
    fn attribute_certificates_are_dropped() {
        // The same SignedData without crls, with a certificate set holding one v2AttrCert
        // [2] { NULL } and one v1AttrCert [1] { NULL }.
        let mut der = signed_data_with_other();
        let at = der.windows(2).position(|w| w == [0xA1, 0x1A]).unwrap();
        der.truncate(at);
        der.extend_from_slice(&[0xA0, 0x08, 0xA2, 0x02, 0x05, 0x00, 0xA1, 0x02, 0x05, 0x00, 0x31, 0x00]);
        der[1] = (der.len() - 2) as u8;
        let any = Any::from_der(&der).unwrap();
        assert!(any.decode_as::<SignedData>().is_err());
        let (sd, left) = decode_signed_data(&any).unwrap();
        assert_eq!(left.attribute_certificates, 2);
        assert_eq!(sd.certificates.map(|c| c.0.len()), Some(0));
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
