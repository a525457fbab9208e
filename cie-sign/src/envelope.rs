//! Enveloping `.p7m` files of any size, streamed: writing DER headers whose lengths exceed what
//! the `der` crate encodes (its `Length` stops at 256 MiB), and walking an existing `.p7m`'s
//! structure, DER or BER ([`crate::ber`]: indefinite lengths, the content in OCTET STRING
//! chunks), to find the content without reading it into memory (RFC 5652 §3, §5.1, §5.2).
//! Everything that is not the content (the certificates and SignerInfos) is made DER and handed
//! to the `cms`/`der` crates.

use std::io::{Read, Seek, SeekFrom, Write};

use der::{Encode, Tag};

use crate::ber::{self, Encoding, Header};
use crate::ess::OID_SIGNED_DATA;
use crate::{Error, Result};

/// Largest DER element other than the content that is read into memory (certificates and
/// SignerInfos, digest algorithms).
const MAX_METADATA: u64 = 16 * 1024 * 1024;

/// The identifier and length octets of a definite-length element (X.690 §8.1.2, §8.1.3.3-5).
pub(crate) fn header(tag: Tag, len: u64) -> Vec<u8> {
    ber::der_header(tag.octet(), len)
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const EXPLICIT_0: u8 = 0xa0;

fn unexpected(what: &str, tag: u8) -> Error {
    Error::Cms(format!("{what}: unexpected tag {tag:#04x}"))
}

fn expect(h: &Header, expected: u8, what: &str) -> Result<()> {
    if h.tag == expected {
        Ok(())
    } else {
        Err(unexpected(what, h.tag))
    }
}

/// What receives the content, a buffer at a time.
type ContentSink<'f> = dyn FnMut(&[u8]) -> Result<()> + 'f;

/// Size of the buffer a `.p7m` is walked with: the most of its content held in memory at once.
pub const WALK_BUFFER: usize = 64 * 1024;

/// A forward reader over a `.p7m` with its own fixed buffer: knows its position and the file's
/// size (no length may reach beyond it) and skips within the buffer, so that the chunks of a
/// BER OCTET STRING cost no system call each.
pub(crate) struct Walker<'a, R> {
    r: &'a mut R,
    buf: Vec<u8>,
    at: usize,
    filled: usize,
    pos: u64,
    size: u64,
    /// Whether anything read so far was not DER.
    ber: bool,
}

impl<'a, R: Read + Seek> Walker<'a, R> {
    /// A walker from `r`'s current position.
    pub(crate) fn new(r: &'a mut R) -> Result<Walker<'a, R>> {
        let pos = r.stream_position()?;
        let size = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(pos))?;
        Ok(Walker { r, buf: vec![0; WALK_BUFFER], at: 0, filled: 0, pos, size, ber: false })
    }

    fn truncated() -> Error {
        Error::Cms("truncated: the file ends inside the signature".into())
    }

    /// Refills the empty buffer; fails at the end of the file.
    fn refill(&mut self) -> Result<()> {
        self.at = 0;
        self.filled = 0;
        let n = loop {
            match self.r.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            return Err(Self::truncated());
        }
        self.filled = n;
        Ok(())
    }

    /// Hands the next `n` bytes to `each`, a buffer at a time.
    fn feed(&mut self, mut n: u64, each: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        if n > self.size.saturating_sub(self.pos) {
            return Err(Self::truncated());
        }
        while n > 0 {
            if self.at == self.filled {
                self.refill()?;
            }
            let k = usize::try_from(n).unwrap_or(usize::MAX).min(self.filled - self.at);
            each(&self.buf[self.at..self.at + k])?;
            self.at += k;
            self.pos += k as u64;
            n -= k as u64;
        }
        Ok(())
    }

    fn read_exact(&mut self, out: &mut [u8]) -> Result<()> {
        let mut done = 0;
        self.feed(out.len() as u64, &mut |chunk| {
            out[done..done + chunk.len()].copy_from_slice(chunk);
            done += chunk.len();
            Ok(())
        })
    }

    /// Skips `n` bytes, within the file.
    fn skip(&mut self, n: u64) -> Result<()> {
        if n > self.size.saturating_sub(self.pos) {
            return Err(Self::truncated());
        }
        if n <= (self.filled - self.at) as u64 {
            self.at += n as usize;
        } else {
            self.r.seek(SeekFrom::Start(self.pos + n))?;
            (self.at, self.filled) = (0, 0);
        }
        self.pos += n;
        Ok(())
    }

    /// Goes back (or forth) to `pos`.
    fn seek(&mut self, pos: u64) -> Result<()> {
        self.r.seek(SeekFrom::Start(pos))?;
        (self.at, self.filled, self.pos) = (0, 0, pos);
        Ok(())
    }

    /// The next header; a definite length must fit in what is left of the file.
    fn header(&mut self) -> Result<Header> {
        let h = ber::header(&mut |b| self.read_exact(b))?;
        if h.len.is_some_and(|l| l > self.size - self.pos) {
            return Err(Error::Cms("a length beyond the end of the file".into()));
        }
        self.ber |= !h.minimal;
        Ok(h)
    }

    /// Ends an element whose contents began at `start`: its end-of-contents when its length is
    /// indefinite, else the position must be exactly its end.
    fn close(&mut self, h: &Header, start: u64, what: &str) -> Result<()> {
        match h.len {
            None => {
                let end = self.header()?;
                if !end.is_end() {
                    return Err(Error::Cms(format!("{what}: more elements than expected before its end-of-contents")));
                }
            }
            Some(len) if start.checked_add(len) != Some(self.pos) => {
                return Err(Error::Cms(format!("{what}: the lengths do not nest")));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The raw bytes of one element whose header `h` was just read (its header re-written),
    /// appended to `out` within [`MAX_METADATA`] and [`ber::MAX_DEPTH`].
    fn raw(&mut self, h: &Header, depth: usize, out: &mut Vec<u8>) -> Result<()> {
        if depth > ber::MAX_DEPTH {
            return Err(Error::Cms(format!("malformed BER: nested more than {} levels deep", ber::MAX_DEPTH)));
        }
        let too_large = || Error::Limit("the certificates and signer infos are too large".into());
        match h.len {
            Some(len) => {
                out.extend_from_slice(&ber::der_header(h.tag, len));
                if (out.len() as u64).saturating_add(len) > MAX_METADATA {
                    return Err(too_large());
                }
                let at = out.len();
                out.resize(at + len as usize, 0);
                self.read_exact(&mut out[at..])
            }
            None => {
                out.extend_from_slice(&[h.tag, 0x80]);
                loop {
                    let child = self.header()?;
                    if child.is_end() {
                        out.extend_from_slice(&[0, 0]);
                        return Ok(());
                    }
                    self.raw(&child, depth + 1, out)?;
                    if out.len() as u64 > MAX_METADATA {
                        return Err(too_large());
                    }
                }
            }
        }
    }

    /// One whole element (not the content), as DER.
    fn element(&mut self, expected_tag: Option<u8>, what: &str) -> Result<Vec<u8>> {
        let h = self.header()?;
        self.element_after(&h, expected_tag, what)
    }

    fn element_after(&mut self, h: &Header, expected_tag: Option<u8>, what: &str) -> Result<Vec<u8>> {
        if let Some(t) = expected_tag {
            expect(h, t, what)?;
        }
        let mut raw = Vec::new();
        self.raw(h, 0, &mut raw)?;
        let (der, _, encoding) = ber::to_der(&raw)?;
        self.ber |= encoding == Encoding::Ber;
        Ok(der)
    }

    /// Walks an OCTET STRING whose header `h` was just read, primitive or in chunks (nested at
    /// most [`ber::MAX_DEPTH`] deep), handing its contents to `each` (skipping them when
    /// `each` is `None`); returns the contents' length.
    fn octets(&mut self, h: &Header, depth: usize, each: &mut Option<&mut ContentSink<'_>>) -> Result<u64> {
        if depth > ber::MAX_DEPTH {
            return Err(Error::Cms(format!("malformed BER: chunks nested more than {} levels deep", ber::MAX_DEPTH)));
        }
        match h.tag {
            ber::OCTET_STRING => {
                let len = h.len.ok_or_else(|| Error::Cms("malformed BER: primitive without a length".into()))?;
                match each {
                    Some(f) => self.feed(len, &mut **f)?,
                    None => self.skip(len)?,
                }
                Ok(len)
            }
            ber::OCTET_STRING_CONSTRUCTED => {
                self.ber = true;
                let start = self.pos;
                let end = h.len.map(|l| start + l);
                let mut total = 0u64;
                loop {
                    if end == Some(self.pos) {
                        return Ok(total);
                    }
                    let child = self.header()?;
                    if child.is_end() && end.is_none() {
                        return Ok(total);
                    }
                    if let (Some(e), Some(l)) = (end, child.len) {
                        if l > e.saturating_sub(self.pos) {
                            return Err(Error::Cms("eContent: a chunk beyond the end of its OCTET STRING".into()));
                        }
                    }
                    let n = self.octets(&child, depth + 1, each)?;
                    total = total.checked_add(n).ok_or_else(|| Error::Cms("length overflow".into()))?;
                    if end.is_some_and(|e| self.pos > e) {
                        return Err(Error::Cms("eContent: a chunk beyond the end of its OCTET STRING".into()));
                    }
                }
            }
            other => Err(unexpected("eContent chunk (not an OCTET STRING)", other)),
        }
    }
}

/// Where an enveloping `.p7m`'s content lies, and the `.p7m` without it.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Offset in the file of the eContent's OCTET STRING header (primitive or constructed).
    pub econtent_offset: u64,
    /// The content's length.
    pub content_len: u64,
    /// The ContentInfo with the same SignedData minus its eContent (DER, small).
    pub without_content: Vec<u8>,
    /// How the `.p7m` is encoded.
    pub encoding: Encoding,
}

/// Walks the whole structure of a `.p7m`, DER or BER (RFC 5652 §3, §5.1, §5.2), skipping the
/// content: `None` when the signature is detached (no eContent). Every length is checked
/// against its container and the file, every indefinite length must end with end-of-contents.
/// The reader ends anywhere.
pub(crate) fn layout<R: Read + Seek>(r: &mut R) -> Result<Option<Layout>> {
    let mut w = Walker::new(r)?;
    let ci = w.header()?;
    expect(&ci, SEQUENCE, "ContentInfo")?;
    let ci_start = w.pos;
    let oid = w.element(Some(OID), "contentType")?;
    if oid != OID_SIGNED_DATA.to_der()? {
        return Err(Error::Cms("the content type is not signedData".into()));
    }
    let explicit = w.header()?;
    expect(&explicit, EXPLICIT_0, "ContentInfo content")?;
    let explicit_start = w.pos;
    let sd = w.header()?;
    expect(&sd, SEQUENCE, "SignedData")?;
    let sd_start = w.pos;
    let version = w.element(Some(INTEGER), "version")?;
    let algs = w.element(Some(SET), "digestAlgorithms")?;
    let encap = w.header()?;
    expect(&encap, SEQUENCE, "encapContentInfo")?;
    let encap_start = w.pos;
    let econtent_type = w.element(Some(OID), "eContentType")?;
    if encap.len.is_some_and(|l| encap_start + l == w.pos) {
        return Ok(None);
    }
    let wrapper = w.header()?;
    if wrapper.is_end() && encap.len.is_none() {
        return Ok(None);
    }
    expect(&wrapper, EXPLICIT_0, "eContent")?;
    let wrapper_start = w.pos;
    let econtent_offset = w.pos;
    let octets = w.header()?;
    let content_len = w.octets(&octets, 0, &mut None)?;
    w.close(&wrapper, wrapper_start, "eContent")?;
    w.close(&encap, encap_start, "encapContentInfo")?;

    // The certificates, CRLs and SignerInfos, each as DER.
    let mut rest = Vec::new();
    loop {
        if sd.len.is_some_and(|l| sd_start + l <= w.pos) {
            break;
        }
        let h = w.header()?;
        if h.is_end() && sd.len.is_none() {
            break;
        }
        rest.extend_from_slice(&w.element_after(&h, None, "SignedData")?);
        if rest.len() as u64 > MAX_METADATA {
            return Err(Error::Limit("the certificates and signer infos are too large".into()));
        }
    }
    if sd.len.is_some() {
        w.close(&sd, sd_start, "SignedData")?;
    }
    w.close(&explicit, explicit_start, "ContentInfo content")?;
    w.close(&ci, ci_start, "ContentInfo")?;
    w.ber |= [&ci, &explicit, &sd, &encap, &wrapper, &octets].iter().any(|h| h.len.is_none());

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
    let encoding = if w.ber { Encoding::Ber } else { Encoding::Der };
    Ok(Some(Layout { econtent_offset, content_len, without_content: ci, encoding }))
}

/// Hands the content of the `.p7m` whose [`Layout`] is `layout` to `each`, a buffer at a time
/// (at most [`WALK_BUFFER`] bytes in memory), walking its chunks again.
pub(crate) fn walk_content<R: Read + Seek>(
    r: &mut R,
    layout: &Layout,
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut w = Walker::new(r)?;
    w.seek(layout.econtent_offset)?;
    let octets = w.header()?;
    let n = w.octets(&octets, 0, &mut Some(each))?;
    if n != layout.content_len {
        return Err(Error::Cms("the content changed while it was read".into()));
    }
    Ok(())
}

/// Copies the content of the `.p7m` whose [`Layout`] is `layout` to `out`, feeding each chunk to `each`.
pub(crate) fn copy_content<R: Read + Seek>(
    r: &mut R,
    layout: &Layout,
    out: &mut dyn Write,
    each: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    walk_content(r, layout, &mut |chunk| {
        each(chunk);
        out.write_all(chunk)?;
        Ok(())
    })
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
        let h = ber::header_in(&[0x04, 0x84, 0x40, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!((h.tag, h.len, h.size, h.minimal), (0x04, Some(0x4000_0000), 6, true));
        // Indefinite length (BER), and a truncated header.
        assert_eq!(ber::header_in(&[0x30, 0x80]).unwrap().len, None);
        assert!(ber::header_in(&[0x30, 0x82, 0x01]).is_err());
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
        let ok = p7m_with_lengths(&[0x26], &[0x17], &[0x10]);
        let found = layout(&mut std::io::Cursor::new(&ok)).unwrap().unwrap();
        assert_eq!((found.econtent_offset, found.content_len), (ok.len() as u64 - 3, 1));
        assert_eq!(found.encoding, Encoding::Der);
        // Each of the three lengths at u64::MAX: offset + length overflows (a panic with
        // overflow checks, a wrapped comparison without).
        for bytes in [
            p7m_with_lengths(&max, &[0x17], &[0x10]),
            p7m_with_lengths(&[0x26], &max, &[0x10]),
            p7m_with_lengths(&[0x26], &[0x17], &max),
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

    /// The same `.p7m` in BER, written by hand: indefinite ContentInfo, [0], SignedData,
    /// encapContentInfo and eContent [0], the content "ABC" in two chunks of a constructed
    /// OCTET STRING, then an (empty) SignerInfos SET; `tail` replaces the closing bytes.
    fn ber_p7m(tail: &[u8]) -> Vec<u8> {
        let mut v = vec![0x30, 0x80];
        v.extend_from_slice(&[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]);
        v.extend_from_slice(&[0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x80]);
        v.extend_from_slice(&[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]);
        v.extend_from_slice(&[0xA0, 0x80, 0x24, 0x80, 0x04, 0x02, 0x41, 0x42, 0x04, 0x01, 0x43]);
        v.extend_from_slice(tail);
        v
    }

    /// Closes the chunks, eContent [0], encapContentInfo; SignerInfos; SignedData, [0], ContentInfo.
    const BER_TAIL: [u8; 16] = [0, 0, 0, 0, 0, 0, 0x31, 0x00, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b];

    fn content_of(p7m: &[u8]) -> Result<(Vec<u8>, Encoding)> {
        let mut r = std::io::Cursor::new(p7m);
        let l = layout(&mut r)?.ok_or_else(|| Error::Cms("detached".into()))?;
        let mut out = Vec::new();
        copy_content(&mut r, &l, &mut out, &mut |_| {})?;
        assert_eq!(out.len() as u64, l.content_len);
        Ok((out, l.encoding))
    }

    #[test]
    fn ber_layout_is_walked() {
        let (content, encoding) = content_of(&ber_p7m(&BER_TAIL)).unwrap();
        assert_eq!((content.as_slice(), encoding), (&b"ABC"[..], Encoding::Ber));
        let mut r = std::io::Cursor::new(ber_p7m(&BER_TAIL));
        let l = layout(&mut r).unwrap().unwrap();
        // The SignedData without its content, as DER.
        let sd = [
            0x30, 0x23, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0, 0x16, 0x30, 0x14, 0x02,
            0x01, 0x01, 0x31, 0x00, 0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01, 0x31,
            0x00,
        ];
        assert_eq!(l.without_content, sd[..sd.len()]);
        // A detached BER signature: no eContent, the encapContentInfo closed at once.
        let mut detached = ber_p7m(&[]);
        detached.truncate(detached.len() - 11);
        detached.extend_from_slice(&[0, 0, 0x31, 0x00, 0, 0, 0, 0, 0, 0]);
        assert!(layout(&mut std::io::Cursor::new(&detached)).unwrap().is_none());
    }

    #[test]
    fn malformed_ber_layouts_are_refused() {
        let bad: Vec<(&str, Vec<u8>)> = vec![
            ("truncated in a chunk", ber_p7m(&[])[..44].to_vec()),
            ("no end-of-contents after the chunks", ber_p7m(&[0x31, 0x00])),
            ("file ends before the last end-of-contents", ber_p7m(&BER_TAIL[..12])),
            ("a chunk that is not an OCTET STRING", ber_p7m(&[0x02, 0x01, 0x00, 0, 0, 0, 0, 0, 0])),
            ("a chunk longer than the file", ber_p7m(&[0x04, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x41])),
            ("an extra element in eContent [0]", ber_p7m(&[0, 0, 0x05, 0x00, 0, 0, 0, 0])),
            (
                "a chunk longer than its definite parent",
                ber_p7m(&[0x24, 0x03, 0x04, 0x05, 0x41, 0x41, 0x41, 0x41, 0x41]),
            ),
            ("garbage instead of end-of-contents", ber_p7m(&[0, 0, 0, 0, 0, 0, 0x31, 0x00, 0, 0, 0, 0, 0, 0x01])),
        ];
        for (what, bytes) in bad {
            let e = content_of(&bytes).unwrap_err();
            assert!(matches!(e, Error::Cms(_)), "{what}: {e}");
        }
        // Chunks nested deeper than ber::MAX_DEPTH.
        let mut deep = ber_p7m(&[]);
        deep.truncate(deep.len() - 7);
        for _ in 0..40 {
            deep.extend_from_slice(&[0x24, 0x80]);
        }
        deep.extend_from_slice(&[0x04, 0x01, 0x41]);
        deep.extend_from_slice(&[0; 80]);
        deep.extend_from_slice(&BER_TAIL[4..]);
        assert!(content_of(&deep).unwrap_err().to_string().contains("levels deep"));
    }
}
