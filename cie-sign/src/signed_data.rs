//! Decoding a SignedData (RFC 5652 §5.1) with the `cms` crate, lenient in one place where
//! OpenSSL and DSS both are: the digestAlgorithms SET OF may repeat an algorithm (one entry per
//! signer, as some signing applications write it, esig/dss's DSS-768 file), which the `der`
//! crate refuses ("SET OF contains duplicate"). The list only announces the digests the
//! signers use (each SignerInfo names its own, and that is what is checked), so it is decoded
//! again with each entry written once; every other SET OF (certificates, CRLs, SignerInfos,
//! attributes) stays strict.

use cms::signed_data::SignedData;
use der::asn1::SetOfVec;
use der::{Any, Decode, Encode, ErrorKind, Reader, SliceReader, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;

/// Most entries read from a digestAlgorithms SET that repeats some (each one is compared with
/// those kept).
const MAX_ENTRIES: usize = 256;

/// Decodes the SignedData `content` holds; repeated digestAlgorithms are accepted.
pub(crate) fn decode(content: &Any) -> der::Result<SignedData> {
    match content.decode_as::<SignedData>() {
        Err(e) if e.kind() == ErrorKind::SetDuplicate => match digest_algorithms_once(content) {
            Some(der) => SignedData::from_der(&der),
            None => Err(e),
        },
        other => other,
    }
}

/// The SignedData of `content` with each of its digestAlgorithms written once (sorted).
fn digest_algorithms_once(content: &Any) -> Option<Vec<u8>> {
    if content.tag() != Tag::Sequence {
        return None;
    }
    let body = content.value();
    let mut r = SliceReader::new(body).ok()?;
    let version = Any::decode(&mut r).ok()?;
    let set = Any::decode(&mut r).ok()?;
    if set.tag() != Tag::Set {
        return None;
    }
    let rest = body.get(usize::try_from(u32::from(r.position())).ok()?..)?;
    let mut items = SliceReader::new(set.value()).ok()?;
    let mut algs: Vec<AlgorithmIdentifierOwned> = Vec::new();
    for _ in 0..MAX_ENTRIES {
        if items.is_finished() {
            break;
        }
        let alg = AlgorithmIdentifierOwned::decode(&mut items).ok()?;
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    if !items.is_finished() {
        return None;
    }
    let set = SetOfVec::try_from(algs).ok()?.to_der().ok()?;
    let version = version.to_der().ok()?;
    let len = version.len() + set.len() + rest.len();
    let mut out = crate::ber::der_header(0x30, len as u64);
    for part in [&version[..], &set, rest] {
        out.extend_from_slice(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(decode(&sd).unwrap().digest_algorithms.len(), 1);
        assert_eq!(decode(&signed_data(&[SHA256, SHA1, SHA256])).unwrap().digest_algorithms.len(), 2);
        assert_eq!(decode(&signed_data(&[SHA256])).unwrap().digest_algorithms.len(), 1);
        // More entries than read: refused as before.
        let many: Vec<&[u8]> = std::iter::repeat_n(SHA1, MAX_ENTRIES + 1).collect();
        let set: Vec<u8> = many.concat();
        let mut body = vec![0x02, 0x01, 0x01, 0x31, 0x82, (set.len() >> 8) as u8, set.len() as u8];
        body.extend_from_slice(&set);
        body.extend_from_slice(&[0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        body.extend_from_slice(&[0x31, 0x00]);
        let sd = Any::new(Tag::Sequence, body).unwrap();
        assert!(decode(&sd).is_err());
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
        assert!(decode(&sd).is_err());
        assert!(decode(&Any::new(Tag::Set, vec![]).unwrap()).is_err());
    }
}
