//! The SignerInfos of a SignedData as they appear in the file (RFC 5652 §5.1, §5.3), each with
//! its signed attributes as received. The `der` crate sorts a SET OF when it decodes one, so
//! the signed attributes it gives back are the DER-sorted form; a signer that wrote them in
//! another order signed those bytes instead (§5.4: the signature covers the encoding of the
//! SignedAttributes with the [0] IMPLICIT tag replaced by the SET OF tag).

use der::asn1::ObjectIdentifier;
use der::{Decode, Header, Reader, SliceReader, Tag};

/// One element of `input` at the reader's position: its tag and its whole encoding.
fn element<'a>(input: &'a [u8], r: &mut SliceReader<'a>) -> der::Result<(Tag, &'a [u8])> {
    let start = usize::try_from(r.position())?;
    let header = Header::decode(r)?;
    r.read_slice(header.length)?;
    let end = usize::try_from(r.position())?;
    Ok((header.tag, &input[start..end]))
}

/// The elements inside the constructed element `outer` (its whole encoding).
fn children(outer: &[u8]) -> der::Result<Vec<(Tag, &[u8])>> {
    let mut r = SliceReader::new(outer)?;
    let header = Header::decode(&mut r)?;
    let value = r.read_slice(header.length)?;
    let mut inner = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !inner.is_finished() {
        out.push(element(value, &mut inner)?);
    }
    Ok(out)
}

/// The encoding of each SignerInfo of the DER ContentInfo `content_info` (a SignedData), in
/// the file's order.
pub(crate) fn raw_signer_infos(content_info: &[u8]) -> der::Result<Vec<&[u8]>> {
    let ci = children(content_info)?;
    let explicit = ci.get(1).ok_or(Tag::Sequence.value_error())?;
    let inner = children(explicit.1)?;
    let signed_data = inner.first().ok_or(Tag::Sequence.value_error())?;
    let fields = children(signed_data.1)?;
    let (tag, set) = fields.last().copied().ok_or(Tag::Set.value_error())?;
    if tag != Tag::Set {
        return Err(tag.unexpected_error(Some(Tag::Set)));
    }
    Ok(children(set)?.into_iter().map(|(_, si)| si).collect())
}

/// The signed attributes of the SignerInfo encoded in `signer_info`, as received: the
/// `[0] IMPLICIT` element with its tag octet replaced by SET (0x31); `None` when it has none.
pub(crate) fn signed_attrs_as_received(signer_info: &[u8]) -> der::Result<Option<Vec<u8>>> {
    let fields = children(signer_info)?;
    // version, sid, digestAlgorithm, then [0] IMPLICIT signedAttrs if present.
    Ok(fields.get(3).filter(|(tag, _)| tag.octet() == 0xa0).map(|(_, raw)| {
        let mut set = raw.to_vec();
        set[0] = 0x31;
        set
    }))
}

/// The attributes of an attribute SET (its whole encoding, as received), in its order: each
/// one's type, number of values and whole encoding.
pub(crate) fn attributes(set: &[u8]) -> der::Result<Vec<(ObjectIdentifier, usize, &[u8])>> {
    let mut out = Vec::new();
    for (_, attr) in children(set)? {
        let parts = children(attr)?;
        let (Some((_, oid)), Some((_, values)), 2) = (parts.first(), parts.get(1), parts.len()) else {
            return Err(Tag::Sequence.value_error());
        };
        out.push((ObjectIdentifier::from_der(oid)?, children(values)?.len(), attr));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_infos_and_attributes_in_file_order() {
        // ContentInfo { signedData, [0] SignedData { 1, {}, { data }, { si1, si2 } } }, hand
        // written; si1 has signed attributes B then A (not DER order), si2 none.
        let si1 = [
            0x30, 0x13, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00, 0xa0, 0x06, 0x30, 0x01, 0x42, 0x30, 0x01, 0x41, 0x30,
            0x00, 0x04, 0x00,
        ];
        let si2 = [0x30, 0x09, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00];
        let mut set = vec![0x31, (si1.len() + si2.len()) as u8];
        set.extend_from_slice(&si1);
        set.extend_from_slice(&si2);
        let mut body = vec![0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x02, 0x06, 0x00];
        body.extend_from_slice(&set);
        let mut sd = vec![0x30, body.len() as u8];
        sd.extend_from_slice(&body);
        let mut ci = vec![0x30, (sd.len() + 4) as u8, 0x06, 0x00, 0xa0, sd.len() as u8];
        ci.extend_from_slice(&sd);
        let found = raw_signer_infos(&ci).unwrap();
        assert_eq!(found, vec![&si1[..], &si2[..]]);
        assert_eq!(
            signed_attrs_as_received(found[0]).unwrap().unwrap(),
            [0x31, 0x06, 0x30, 0x01, 0x42, 0x30, 0x01, 0x41]
        );
        assert_eq!(signed_attrs_as_received(found[1]).unwrap(), None);
        // Truncated or not a ContentInfo: an error, never a panic.
        for cut in 0..ci.len() {
            let _ = raw_signer_infos(&ci[..cut]);
        }
        assert!(raw_signer_infos(&[0x04, 0x00]).is_err());
    }
}
