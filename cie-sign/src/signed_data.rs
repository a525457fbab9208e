//! Reading a SignedData (RFC 5652 §5.1) with the `cms` crate where it can, and around it where
//! it refuses what OpenSSL and DSS both read: an `other [1] IMPLICIT` revocation entry (the
//! crate reads it as if explicitly tagged), attribute certificates (`v1AttrCert [1]`,
//! `v2AttrCert [2]`) in the certificate set, which TSAs such as PostSignum put in their tokens,
//! a digestAlgorithms SET that repeats an algorithm (one entry per signer, as some signing
//! applications write it: esig/dss's DSS-768 file; the `der` crate refuses "SET OF contains
//! duplicate"), unsigned attributes written twice (a signature timestamp repeated), and signed
//! attributes copied whole (a content timestamp repeated). None of the first four is under any
//! signature a SignerInfo carries (RFC 5652 §5.4: it covers the content or the signed
//! attributes), and none decides a verdict: the revocation field is taken out (and read by
//! [`crate::revocation`]), the attribute certificates are dropped (they play no part in path
//! building), the digest algorithms are written once each (each SignerInfo names its own, and
//! that is what is checked), a repeated unsigned attribute is read once. A signed attribute's
//! copy is dropped from the decoded form only: the signature is checked on the signed
//! attributes as received, and a copy of one that must be single fails ([`crate::verify`]). The
//! crate reads the rest, and every other SET OF (certificates, CRLs, SignerInfos) stays strict.

use cms::signed_data::SignedData;
use der::asn1::{AnyRef, SetOfVec};
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierOwned;

use crate::revocation::{malformed, read_revocations, Revocations};
use crate::{Error, Result};

/// Most entries read from a digestAlgorithms SET that repeats some (each one is compared with
/// those kept).
const MAX_DIGEST_ALGORITHMS: usize = 256;

/// What [`decode_signed_data`] had to leave out for the `cms` crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// The revocation data, read here.
    pub revocations: Revocations,
    /// Attribute certificates dropped from the certificate set.
    pub attribute_certificates: usize,
    /// Repeated entries dropped from digestAlgorithms.
    pub repeated_digest_algorithms: usize,
    /// Repeated unsigned attributes (and values of one) dropped from the SignerInfos.
    pub repeated_unsigned_attributes: usize,
    /// Signed attributes written twice (identical copies) dropped from the decoded SignerInfos;
    /// the signature is checked on the signed attributes as received, copies included.
    pub repeated_signed_attributes: usize,
}

/// Decodes the SignedData in `content` (the `[0] EXPLICIT` content of a ContentInfo, DER):
/// with the `cms` crate, or, when the crate refuses it, without its revocation field, its
/// attribute certificates and repeated digest algorithms (see the module's documentation). An
/// error names what is malformed.
pub fn decode_signed_data(content: &Any) -> Result<(SignedData, LeftOut)> {
    let first = match content.decode_as::<SignedData>() {
        Ok(sd) => return Ok((sd, LeftOut::default())),
        Err(e) => e,
    };
    let refused = || Error::Cms(format!("SignedData: {first}"));
    if content.tag() != Tag::Sequence {
        return Err(refused());
    }
    let Rewritten {
        rest,
        crls,
        attribute_certificates,
        repeated_digest_algorithms,
        repeated_unsigned_attributes,
        repeated_signed_attributes,
    } = rewrite(content.value())?;
    if crls.is_none()
        && attribute_certificates == 0
        && repeated_digest_algorithms == 0
        && repeated_unsigned_attributes == 0
        && repeated_signed_attributes == 0
    {
        return Err(refused());
    }
    let mut der = crate::ber::der_header(0x30, rest.len() as u64);
    der.extend_from_slice(&rest);
    let sd = SignedData::from_der(&der).map_err(|e| Error::Cms(format!("SignedData: {e}")))?;
    let mut left_out = LeftOut {
        attribute_certificates,
        repeated_digest_algorithms,
        repeated_unsigned_attributes,
        repeated_signed_attributes,
        ..LeftOut::default()
    };
    if let Some(crls) = crls {
        left_out.revocations = read_revocations(&crls)?;
        left_out.revocations.raw = crls;
    }
    Ok((sd, left_out))
}

/// A SignedData's fields as the `cms` crate can read them.
struct Rewritten {
    /// The fields, DER, without the crls field.
    rest: Vec<u8>,
    /// The crls field's DER.
    crls: Option<Vec<u8>>,
    attribute_certificates: usize,
    repeated_digest_algorithms: usize,
    repeated_unsigned_attributes: usize,
    repeated_signed_attributes: usize,
}

/// The fields of a SignedData's value without its `[1] crls` field, without the attribute
/// certificates of its `[0] certificates` field, its digestAlgorithms (the second field) each
/// written once.
fn rewrite(value: &[u8]) -> Result<Rewritten> {
    let certs_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };
    let crls_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    let mut reader = SliceReader::new(value).map_err(malformed)?;
    let mut out = Rewritten {
        rest: Vec::with_capacity(value.len()),
        crls: None,
        attribute_certificates: 0,
        repeated_digest_algorithms: 0,
        repeated_unsigned_attributes: 0,
        repeated_signed_attributes: 0,
    };
    let mut index = 0;
    while !reader.is_finished() {
        let field = AnyRef::decode(&mut reader).map_err(malformed)?;
        if index == 1 && field.tag() == Tag::Set {
            let (set, repeated) = digest_algorithms_once(field.value())?;
            out.repeated_digest_algorithms = repeated;
            out.rest.extend_from_slice(&set);
        } else if field.tag() == crls_tag {
            if out.crls.is_some() {
                return Err(Error::Cms("SignedData: two crls fields".into()));
            }
            out.crls = Some(field.to_der().map_err(malformed)?);
        } else if index > 1 && field.tag() == Tag::Set {
            // signerInfos.
            let (set, repeated, repeated_signed) = signer_infos_without_repeats(field.value())?;
            out.repeated_unsigned_attributes = repeated;
            out.repeated_signed_attributes = repeated_signed;
            out.rest.extend_from_slice(&set);
        } else if field.tag() == certs_tag {
            let (kept, n) = without_attribute_certificates(field.value())?;
            out.attribute_certificates += n;
            out.rest.extend_from_slice(&crate::ber::der_header(0xA0, kept.len() as u64));
            out.rest.extend_from_slice(&kept);
        } else {
            out.rest.extend_from_slice(&field.to_der().map_err(malformed)?);
        }
        index += 1;
    }
    Ok(out)
}

/// A signerInfos SET (its value) whose SignerInfos have each unsigned attribute, and each value
/// of one, once (DER, the elements in their order), and how many repeats were dropped, and
/// their signed attributes each once, and how many identical copies were dropped. A repeated
/// unsigned attribute says nothing more (esig/dss's files with a signature timestamp written
/// twice, which DSS reads); they are outside the signature. A signed attribute copied whole
/// (esig/dss's file with its content timestamp written twice, which DSS and OpenSSL read) is
/// under the signature as received ([`crate::verify`] checks it on those bytes and refuses a
/// copy of an attribute RFC 5652 §11 wants single); only the decoded form drops the copy.
fn signer_infos_without_repeats(value: &[u8]) -> Result<(Vec<u8>, usize, usize)> {
    let unsigned_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    let signed_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };
    let mut infos = SliceReader::new(value).map_err(malformed)?;
    let mut body = Vec::with_capacity(value.len());
    let mut repeated = 0;
    let mut repeated_signed = 0;
    while !infos.is_finished() {
        let info = AnyRef::decode(&mut infos).map_err(malformed)?;
        if info.tag() != Tag::Sequence {
            body.extend_from_slice(&info.to_der().map_err(malformed)?);
            continue;
        }
        let mut fields = SliceReader::new(info.value()).map_err(malformed)?;
        let mut info_body = Vec::with_capacity(info.value().len());
        while !fields.is_finished() {
            let field = AnyRef::decode(&mut fields).map_err(malformed)?;
            if field.tag() == signed_tag {
                let mut attrs = SliceReader::new(field.value()).map_err(malformed)?;
                let mut kept: Vec<Vec<u8>> = Vec::new();
                while !attrs.is_finished() {
                    let der = AnyRef::decode(&mut attrs).map_err(malformed)?.to_der().map_err(malformed)?;
                    if kept.contains(&der) {
                        repeated_signed += 1;
                    } else {
                        kept.push(der);
                    }
                    if kept.len() > MAX_DIGEST_ALGORITHMS {
                        return Err(Error::Cms("SignerInfo: too many signed attributes".into()));
                    }
                }
                let all: Vec<u8> = kept.concat();
                info_body.extend_from_slice(&crate::ber::der_header(0xA0, all.len() as u64));
                info_body.extend_from_slice(&all);
                continue;
            }
            if field.tag() != unsigned_tag {
                info_body.extend_from_slice(&field.to_der().map_err(malformed)?);
                continue;
            }
            let mut attrs = SliceReader::new(field.value()).map_err(malformed)?;
            let mut kept: Vec<Vec<u8>> = Vec::new();
            while !attrs.is_finished() {
                let attr = AnyRef::decode(&mut attrs).map_err(malformed)?;
                let der = attribute_values_once(attr, &mut repeated)?;
                if kept.contains(&der) {
                    repeated += 1;
                } else {
                    kept.push(der);
                }
                if kept.len() > MAX_DIGEST_ALGORITHMS {
                    return Err(Error::Cms("SignerInfo: too many unsigned attributes".into()));
                }
            }
            let all: Vec<u8> = kept.concat();
            info_body.extend_from_slice(&crate::ber::der_header(0xA1, all.len() as u64));
            info_body.extend_from_slice(&all);
        }
        body.extend_from_slice(&crate::ber::der_header(0x30, info_body.len() as u64));
        body.extend_from_slice(&info_body);
    }
    let mut out = crate::ber::der_header(0x31, body.len() as u64);
    out.extend_from_slice(&body);
    Ok((out, repeated, repeated_signed))
}

/// An Attribute (`SEQUENCE { type, SET OF value }`) with each value once, DER.
fn attribute_values_once(attr: AnyRef<'_>, repeated: &mut usize) -> Result<Vec<u8>> {
    if attr.tag() != Tag::Sequence {
        return attr.to_der().map_err(malformed);
    }
    let mut parts = SliceReader::new(attr.value()).map_err(malformed)?;
    let oid = AnyRef::decode(&mut parts).map_err(malformed)?.to_der().map_err(malformed)?;
    let values = AnyRef::decode(&mut parts).map_err(malformed)?;
    if !parts.is_finished() || values.tag() != Tag::Set {
        return attr.to_der().map_err(malformed);
    }
    let mut items = SliceReader::new(values.value()).map_err(malformed)?;
    let mut kept: Vec<Vec<u8>> = Vec::new();
    while !items.is_finished() {
        let v = AnyRef::decode(&mut items).map_err(malformed)?.to_der().map_err(malformed)?;
        if kept.contains(&v) {
            *repeated += 1;
        } else {
            kept.push(v);
        }
        if kept.len() > MAX_DIGEST_ALGORITHMS {
            return Err(Error::Cms("SignerInfo: an unsigned attribute with too many values".into()));
        }
    }
    let set: Vec<u8> = kept.concat();
    let mut body = oid;
    body.extend_from_slice(&crate::ber::der_header(0x31, set.len() as u64));
    body.extend_from_slice(&set);
    let mut out = crate::ber::der_header(0x30, body.len() as u64);
    out.extend_from_slice(&body);
    Ok(out)
}

/// A digestAlgorithms SET (its value) with each algorithm once, DER (sorted), and how many
/// repeated entries were dropped; at most [`MAX_DIGEST_ALGORITHMS`] entries are read.
fn digest_algorithms_once(value: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut items = SliceReader::new(value).map_err(malformed)?;
    let mut algs: Vec<AlgorithmIdentifierOwned> = Vec::new();
    let mut repeated = 0;
    for _ in 0..MAX_DIGEST_ALGORITHMS {
        if items.is_finished() {
            break;
        }
        let alg = AlgorithmIdentifierOwned::decode(&mut items).map_err(malformed)?;
        if algs.contains(&alg) {
            repeated += 1;
        } else {
            algs.push(alg);
        }
    }
    if !items.is_finished() {
        return Err(Error::Cms(format!("SignedData: more than {MAX_DIGEST_ALGORITHMS} digest algorithms")));
    }
    let set = SetOfVec::try_from(algs).map_err(malformed)?.to_der().map_err(malformed)?;
    Ok((set, repeated))
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

    /// A SignedData with `algs` (DER AlgorithmIdentifiers) as digestAlgorithms, no signer.
    fn signed_data(algs: &[&[u8]]) -> Any {
        let set: Vec<u8> = algs.concat();
        let mut body = vec![0x02, 0x01, 0x01, 0x31, set.len() as u8];
        body.extend_from_slice(&set);
        body.extend_from_slice(&[0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        body.extend_from_slice(&[0x31, 0x00]);
        Any::new(Tag::Sequence, body).unwrap()
    }

    const SHA256: &[u8] = &[0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00];
    const SHA1: &[u8] = &[0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00];

    #[test]
    fn repeated_digest_algorithms_are_read_once() {
        let sd = signed_data(&[SHA256, SHA256, SHA256]);
        assert!(sd.decode_as::<SignedData>().is_err(), "the cms crate refuses the duplicates");
        assert_eq!(decode_signed_data(&sd).unwrap().0.digest_algorithms.len(), 1);
        assert_eq!(decode_signed_data(&signed_data(&[SHA256, SHA1, SHA256])).unwrap().0.digest_algorithms.len(), 2);
        assert_eq!(decode_signed_data(&signed_data(&[SHA256])).unwrap().0.digest_algorithms.len(), 1);
        // More entries than read: refused as before.
        let many: Vec<&[u8]> = std::iter::repeat_n(SHA1, MAX_DIGEST_ALGORITHMS + 1).collect();
        let set: Vec<u8> = many.concat();
        let mut body = vec![0x02, 0x01, 0x01, 0x31, 0x82, (set.len() >> 8) as u8, set.len() as u8];
        body.extend_from_slice(&set);
        body.extend_from_slice(&[0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        body.extend_from_slice(&[0x31, 0x00]);
        let sd = Any::new(Tag::Sequence, body).unwrap();
        assert!(decode_signed_data(&sd).is_err());
    }

    #[test]
    fn the_rest_is_read_as_strictly_as_before() {
        // Repeated digest algorithms, then a SignerInfos SET holding the same (malformed)
        // element twice: the second reading fails too, so the error stands.
        let set = [SHA256, SHA256].concat();
        let mut body = vec![0x02, 0x01, 0x01, 0x31, set.len() as u8];
        body.extend_from_slice(&set);
        body.extend_from_slice(&[0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        body.extend_from_slice(&[0x31, 0x04, 0x30, 0x00, 0x30, 0x00]);
        let sd = Any::new(Tag::Sequence, body).unwrap();
        assert!(decode_signed_data(&sd).is_err());
        assert!(decode_signed_data(&Any::new(Tag::Set, vec![]).unwrap()).is_err());
    }

    /// A SignedData written by hand whose only SignerInfo carries one unsigned attribute twice
    /// (OID 1.2.3.4, value NULL), then one attribute with a value twice.
    fn signed_data_with_unsigned(unsigned: &[u8]) -> Vec<u8> {
        let mut info = vec![
            0x02,
            0x01,
            0x01, // version
            0x30,
            0x05,
            0x30,
            0x00,
            0x02,
            0x01,
            0x01, // issuerAndSerialNumber
            0x30,
            0x0B,
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            0x01, // sha256
            0x30,
            0x0B,
            0x06,
            0x09,
            0x2A,
            0x86,
            0x48,
            0x86,
            0xF7,
            0x0D,
            0x01,
            0x01,
            0x01, // rsaEncryption
            0x04,
            0x01,
            0x00, // signature
            0xA1,
            unsigned.len() as u8,
        ];
        info.extend_from_slice(unsigned);
        let mut infos = vec![0x30, info.len() as u8];
        infos.extend_from_slice(&info);
        let mut body = vec![
            0x02,
            0x01,
            0x01,
            0x31,
            0x00,
            0x30,
            0x0B,
            0x06,
            0x09,
            0x2A,
            0x86,
            0x48,
            0x86,
            0xF7,
            0x0D,
            0x01,
            0x07,
            0x01,
            0x31,
            infos.len() as u8,
        ];
        body.extend_from_slice(&infos);
        let mut sd = vec![0x30, body.len() as u8];
        sd.extend_from_slice(&body);
        sd
    }

    #[test]
    fn repeated_unsigned_attributes_are_read_once() {
        const ATTR: [u8; 11] = [0x30, 0x09, 0x06, 0x03, 0x2A, 0x03, 0x04, 0x31, 0x02, 0x05, 0x00];
        let twice = signed_data_with_unsigned(&[ATTR, ATTR].concat());
        let any = Any::from_der(&twice).unwrap();
        assert!(any.decode_as::<SignedData>().is_err(), "the cms crate refuses the repeat");
        let (sd, left) = decode_signed_data(&any).unwrap();
        assert_eq!(left.repeated_unsigned_attributes, 1);
        let si = sd.signer_infos.0.iter().next().unwrap();
        assert_eq!(si.unsigned_attrs.as_ref().map(|a| a.len()), Some(1));
        // One attribute whose value is repeated: SEQUENCE { 1.2.3.4, SET { NULL, NULL } }.
        let values = [0x30, 0x0B, 0x06, 0x03, 0x2A, 0x03, 0x04, 0x31, 0x04, 0x05, 0x00, 0x05, 0x00];
        let any = Any::from_der(&signed_data_with_unsigned(&values)).unwrap();
        let (sd, left) = decode_signed_data(&any).unwrap();
        assert_eq!(left.repeated_unsigned_attributes, 1);
        let si = sd.signer_infos.0.iter().next().unwrap();
        assert_eq!(si.unsigned_attrs.as_ref().and_then(|a| a.iter().next()).map(|a| a.values.len()), Some(1));
    }
}
