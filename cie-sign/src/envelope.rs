//! Enveloping `.p7m` files of any size, streamed: writing DER headers whose lengths exceed what
//! the `der` crate encodes (its `Length` stops at 256 MiB), and walking an existing `.p7m`'s
//! outer headers to find the content without reading it into memory (X.690 §8.1.2-§8.1.3,
//! definite lengths only; RFC 5652 §3, §5.1, §5.2). Everything that is not the content (the
//! certificates and SignerInfos) is handed to the `cms`/`der` crates.

use std::io::{Read, Seek, SeekFrom, Write};

use der::{Encode, Tag};

use crate::ess::OID_SIGNED_DATA;
use crate::{Error, Result};

/// Largest DER element other than the content that is read into memory (certificates and
/// SignerInfos, digest algorithms).
const MAX_METADATA: u64 = 16 * 1024 * 1024;

/// The identifier and length octets of a definite-length element (X.690 §8.1.2, §8.1.3.3-5).
pub(crate) fn header(tag: Tag, len: u64) -> Vec<u8> {
    let mut out = vec![tag.octet()];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// Reads one identifier and length (low tag numbers, definite lengths); returns the identifier
/// octet, the length and the header's size.
fn read_header(r: &mut dyn Read) -> Result<(u8, u64, u64)> {
    let mut two = [0u8; 2];
    r.read_exact(&mut two)?;
    let (tag, first) = (two[0], two[1]);
    if tag & 0x1f == 0x1f {
        return Err(Error::Cms("high tag numbers are not expected in a .p7m's outer structure".into()));
    }
    if first < 0x80 {
        return Ok((tag, u64::from(first), 2));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 {
        return Err(Error::Cms("BER indefinite lengths are not read: the .p7m is not DER".into()));
    }
    if n > 8 {
        return Err(Error::Cms("length too large".into()));
    }
    let mut bytes = [0u8; 8];
    r.read_exact(&mut bytes[8 - n..])?;
    Ok((tag, u64::from_be_bytes(bytes), 2 + n as u64))
}

/// Reads a whole element of at most [`MAX_METADATA`] bytes, header included.
fn read_element(r: &mut dyn Read, expected_tag: u8, what: &str) -> Result<Vec<u8>> {
    let (tag, len, _) = read_header(r)?;
    if tag != expected_tag {
        return Err(Error::Cms(format!("{what}: unexpected tag {tag:#04x}")));
    }
    if len > MAX_METADATA {
        return Err(Error::Cms(format!("{what} is too large")));
    }
    let mut out = header_from_octet(tag, len);
    let start = out.len();
    out.resize(start + len as usize, 0);
    r.read_exact(&mut out[start..])?;
    Ok(out)
}

fn header_from_octet(tag: u8, len: u64) -> Vec<u8> {
    let mut h = header(Tag::Null, len);
    h[0] = tag;
    h
}

fn expect(tag: u8, expected: u8, what: &str) -> Result<()> {
    if tag == expected {
        Ok(())
    } else {
        Err(Error::Cms(format!("{what}: unexpected tag {tag:#04x}")))
    }
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const EXPLICIT_0: u8 = 0xa0;

/// Where an enveloping `.p7m`'s content lies, and the `.p7m` without it.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Offset of the content's first byte in the file.
    pub content_offset: u64,
    /// The content's length.
    pub content_len: u64,
    /// The ContentInfo with the same SignedData minus its eContent (DER, small).
    pub without_content: Vec<u8>,
}

/// Walks the outer structure of a DER `.p7m`: `None` when the signature is detached (no
/// eContent). The reader ends anywhere.
pub(crate) fn layout<R: Read + Seek>(r: &mut R) -> Result<Option<Layout>> {
    let start = r.stream_position()?;
    let (tag, ci_len, ci_hdr) = read_header(r)?;
    expect(tag, SEQUENCE, "ContentInfo")?;
    let oid = read_element(r, OID, "contentType")?;
    if oid != OID_SIGNED_DATA.to_der()? {
        return Err(Error::Cms("the content type is not signedData".into()));
    }
    let (tag, _, _) = read_header(r)?;
    expect(tag, EXPLICIT_0, "ContentInfo content")?;
    let (tag, sd_len, _) = read_header(r)?;
    expect(tag, SEQUENCE, "SignedData")?;
    let sd_start = r.stream_position()?;
    let version = read_element(r, INTEGER, "version")?;
    let algs = read_element(r, SET, "digestAlgorithms")?;
    let (tag, encap_len, _) = read_header(r)?;
    expect(tag, SEQUENCE, "encapContentInfo")?;
    let encap_start = r.stream_position()?;
    let econtent_type = read_element(r, OID, "eContentType")?;
    if r.stream_position()? - encap_start == encap_len {
        return Ok(None);
    }
    let (tag, _, _) = read_header(r)?;
    expect(tag, EXPLICIT_0, "eContent")?;
    let (tag, content_len, _) = read_header(r)?;
    if tag != OCTET_STRING {
        return Err(Error::Cms(format!("eContent is not a primitive OCTET STRING (tag {tag:#04x}): not DER")));
    }
    let content_offset = r.stream_position()?;
    let overflow = || Error::Cms("length overflow".into());
    let encap_end = encap_start.checked_add(encap_len).ok_or_else(overflow)?;
    let sd_end = sd_start.checked_add(sd_len).ok_or_else(overflow)?;
    let ci_end = start.checked_add(ci_hdr).and_then(|v| v.checked_add(ci_len)).ok_or_else(overflow)?;
    if content_offset.checked_add(content_len) != Some(encap_end) || encap_end > sd_end || ci_end < sd_end {
        return Err(Error::Cms("the .p7m's lengths do not nest".into()));
    }
    let rest_len = sd_end - encap_end;
    if rest_len > MAX_METADATA {
        return Err(Error::Cms("the certificates and signer infos are too large".into()));
    }
    r.seek(SeekFrom::Start(encap_end))?;
    let mut rest = vec![0u8; rest_len as usize];
    r.read_exact(&mut rest)?;

    let mut encap = header(Tag::Sequence, econtent_type.len() as u64);
    encap.extend_from_slice(&econtent_type);
    let body_len = (version.len() + algs.len() + encap.len() + rest.len()) as u64;
    let mut sd = header(Tag::Sequence, body_len);
    for part in [&version, &algs, &encap, &rest] {
        sd.extend_from_slice(part);
    }
    let mut explicit = header(Tag::ContextSpecific { constructed: true, number: der::TagNumber::N0 }, sd.len() as u64);
    explicit.extend_from_slice(&sd);
    let mut ci = header(Tag::Sequence, (oid.len() + explicit.len()) as u64);
    ci.extend_from_slice(&oid);
    ci.extend_from_slice(&explicit);
    Ok(Some(Layout { content_offset, content_len, without_content: ci }))
}

/// Copies `len` bytes from `r` at `offset` to `out`, feeding each chunk to `each`.
pub(crate) fn copy_range<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    len: u64,
    out: &mut dyn Write,
    each: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; crate::digest::CHUNK];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        r.read_exact(&mut buf[..want])?;
        each(&buf[..want]);
        out.write_all(&buf[..want])?;
        left -= want as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_beyond_der_crate_limits() {
        // X.690 §8.1.3.5: long form with the minimum number of length octets.
        assert_eq!(header(Tag::OctetString, 5), [0x04, 0x05]);
        assert_eq!(header(Tag::OctetString, 0x80), [0x04, 0x81, 0x80]);
        assert_eq!(header(Tag::Sequence, 0x1_0000_0000), [0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00]);
        let mut r = std::io::Cursor::new(vec![0x04, 0x84, 0x40, 0x00, 0x00, 0x00]);
        assert_eq!(read_header(&mut r).unwrap(), (0x04, 0x4000_0000, 6));
        // Indefinite length (BER), and a truncated header.
        assert!(read_header(&mut std::io::Cursor::new(vec![0x30, 0x80])).is_err());
        assert!(read_header(&mut std::io::Cursor::new(vec![0x30, 0x82, 0x01])).is_err());
    }

    /// A `.p7m` whose outer lengths are `len` (ContentInfo), `sd` (SignedData) and `encap`
    /// (encapContentInfo), around a 1-byte content, hand-written.
    fn p7m_with_lengths(ci: &[u8], sd: &[u8], encap: &[u8]) -> Vec<u8> {
        let mut v = vec![0x30];
        v.extend_from_slice(ci);
        v.extend_from_slice(&[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]);
        v.extend_from_slice(&[0xA0, 0x19, 0x30]);
        v.extend_from_slice(sd);
        v.extend_from_slice(&[0x02, 0x01, 0x01, 0x31, 0x00, 0x30]);
        v.extend_from_slice(encap);
        v.extend_from_slice(&[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]);
        v.extend_from_slice(&[0xA0, 0x03, 0x04, 0x01, 0x41]);
        v
    }

    #[test]
    fn lengths_overflowing_u64_are_errors() {
        let max = [0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        // Well-formed lengths: the layout is found.
        let ok = p7m_with_lengths(&[0x28], &[0x17], &[0x10]);
        let found = layout(&mut std::io::Cursor::new(&ok)).unwrap().unwrap();
        assert_eq!((found.content_offset, found.content_len), (ok.len() as u64 - 1, 1));
        // Each of the three lengths at u64::MAX: offset + length overflows (a panic with
        // overflow checks, a wrapped comparison without).
        for bytes in [
            p7m_with_lengths(&max, &[0x17], &[0x10]),
            p7m_with_lengths(&[0x28], &max, &[0x10]),
            p7m_with_lengths(&[0x28], &[0x17], &max),
            p7m_with_lengths(&max, &max, &max),
        ] {
            let e = layout(&mut std::io::Cursor::new(&bytes)).unwrap_err();
            assert!(matches!(e, Error::Cms(_)), "{e}");
        }
        // A ContentInfo that starts late in the stream: start + header + length overflows too.
        let mut late = std::io::Cursor::new([vec![0; 16], p7m_with_lengths(&max, &[0x17], &[0x10])].concat());
        late.set_position(16);
        assert!(layout(&mut late).is_err());
    }
}
