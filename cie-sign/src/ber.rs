//! BER as CMS allows it (RFC 5652 §1.1: SignedData may be BER): definite lengths in any number
//! of octets (X.690 §8.1.3.5), indefinite lengths closed by end-of-contents (§8.1.3.6, §8.1.5),
//! and OCTET STRINGs sent as constructed chunks (§8.7.3). [`header`] reads one identifier and
//! length from any byte source; [`to_der`] turns an element held in memory into DER (what the
//! `der`/`cms` crates read), within [`MAX_DEPTH`] levels. Everything malformed is an
//! [`Error::Cms`]: a truncated element, a missing end-of-contents, a length beyond its parent.

use crate::{Error, Result};

/// Deepest nesting read, constructed OCTET STRING chunks included (CMS needs about 12).
pub(crate) const MAX_DEPTH: usize = 32;

/// How a CMS signature is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// DER (X.690 §10): what `cie sign` writes.
    #[default]
    Der,
    /// BER with indefinite lengths, chunked OCTET STRINGs or long-form lengths (X.690 §8), as
    /// many signing applications and `openssl cms -sign -stream` write.
    Ber,
}

impl Encoding {
    /// `DER` or `BER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Der => "DER",
            Encoding::Ber => "BER",
        }
    }
}

/// Identifier octet of an OCTET STRING, primitive and constructed.
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OCTET_STRING_CONSTRUCTED: u8 = 0x24;

/// One identifier and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The identifier octet (low tag numbers only).
    pub tag: u8,
    /// The length; `None` for an indefinite length.
    pub len: Option<u64>,
    /// The header's own size in bytes.
    pub size: u64,
    /// Whether the length is in its shortest form (as DER requires).
    pub minimal: bool,
}

impl Header {
    /// Whether the element is constructed (X.690 §8.1.2.5).
    pub(crate) fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Whether this is end-of-contents (X.690 §8.1.5).
    pub(crate) fn is_end(&self) -> bool {
        self.tag == 0 && self.len == Some(0)
    }
}

fn malformed(what: &str) -> Error {
    Error::Cms(format!("malformed BER: {what}"))
}

/// Reads one header, `read` filling each buffer it is given whole (or failing).
pub(crate) fn header(read: &mut dyn FnMut(&mut [u8]) -> Result<()>) -> Result<Header> {
    let mut two = [0u8; 2];
    read(&mut two)?;
    let (tag, first) = (two[0], two[1]);
    if tag & 0x1f == 0x1f {
        return Err(malformed("high tag numbers are not used by CMS"));
    }
    if tag == 0 && first != 0 {
        return Err(malformed("end-of-contents with a length"));
    }
    if first < 0x80 {
        return Ok(Header { tag, len: Some(u64::from(first)), size: 2, minimal: true });
    }
    let n = usize::from(first & 0x7f);
    if n == 0 {
        if tag & 0x20 == 0 {
            return Err(malformed("an indefinite length on a primitive element"));
        }
        return Ok(Header { tag, len: None, size: 2, minimal: false });
    }
    if n > 8 {
        return Err(malformed("a length of more than 8 octets"));
    }
    let mut bytes = [0u8; 8];
    read(&mut bytes[8 - n..])?;
    let len = u64::from_be_bytes(bytes);
    let minimal = len >= 0x80 && bytes[8 - n] != 0;
    Ok(Header { tag, len: Some(len), size: 2 + n as u64, minimal })
}

/// The header of the element at the start of `input`.
pub(crate) fn header_in(input: &[u8]) -> Result<Header> {
    let mut at = 0usize;
    header(&mut |buf: &mut [u8]| {
        let end =
            at.checked_add(buf.len()).filter(|&e| e <= input.len()).ok_or_else(|| malformed("truncated header"))?;
        buf.copy_from_slice(&input[at..end]);
        at = end;
        Ok(())
    })
}

/// The DER identifier and length octets (X.690 §10.1).
pub(crate) fn der_header(tag: u8, len: u64) -> Vec<u8> {
    let mut out = vec![tag];
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

/// Converts the first BER element of `input` to DER; returns it with the number of bytes of
/// `input` it took, and whether it was not DER already.
pub(crate) fn to_der(input: &[u8]) -> Result<(Vec<u8>, usize, Encoding)> {
    let mut ber = false;
    let (value, used) = element(input, 0, &mut ber)?;
    Ok((value, used, if ber { Encoding::Ber } else { Encoding::Der }))
}

/// One element at the start of `input` as DER, and its encoded size in `input`.
fn element(input: &[u8], depth: usize, ber: &mut bool) -> Result<(Vec<u8>, usize)> {
    if depth > MAX_DEPTH {
        return Err(malformed(&format!("nested more than {MAX_DEPTH} levels deep")));
    }
    let h = header_in(input)?;
    if h.is_end() {
        return Err(malformed("an end-of-contents where an element was expected"));
    }
    let start = h.size as usize;
    if !h.minimal && h.len.is_some() {
        *ber = true;
    }
    if !h.constructed() {
        let len = h.len.ok_or_else(|| malformed("primitive without a length"))?;
        let end = end_of(start, len, input.len())?;
        let mut out = der_header(h.tag, len);
        out.extend_from_slice(&input[start..end]);
        return Ok((out, end));
    }
    // The children: up to the definite length, or up to end-of-contents.
    let limit = match h.len {
        Some(len) => end_of(start, len, input.len())?,
        None => {
            *ber = true;
            input.len()
        }
    };
    let string = h.tag == OCTET_STRING_CONSTRUCTED;
    if string {
        *ber = true;
    } else if h.tag & 0xc0 == 0 && matches!(h.tag & 0x1f, 3 | 12 | 18..=30) {
        return Err(malformed("constructed BIT STRING or character string (not used by CMS)"));
    }
    let mut body = Vec::new();
    let mut at = start;
    loop {
        if h.len.is_some() && at == limit {
            break;
        }
        let rest = &input[at..limit];
        if h.len.is_none() && header_in(rest)?.is_end() {
            at += 2;
            break;
        }
        let (child, used) = element(rest, depth + 1, ber)?;
        if string {
            // X.690 §8.7.3.2: the chunks are OCTET STRINGs, their contents concatenated.
            let ch = header_in(&child)?;
            if ch.tag != OCTET_STRING {
                return Err(malformed("a chunk of an OCTET STRING that is not an OCTET STRING"));
            }
            body.extend_from_slice(&child[ch.size as usize..]);
        } else {
            body.extend_from_slice(&child);
        }
        at += used;
    }
    let tag = if string { OCTET_STRING } else { h.tag };
    let mut out = der_header(tag, body.len() as u64);
    out.extend_from_slice(&body);
    Ok((out, at))
}

/// `start + len`, if it is within `size`.
fn end_of(start: usize, len: u64, size: usize) -> Result<usize> {
    usize::try_from(len)
        .ok()
        .and_then(|l| start.checked_add(l))
        .filter(|&e| e <= size)
        .ok_or_else(|| malformed("a length beyond the end of its container"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(input: &[u8]) -> Result<(Vec<u8>, usize, Encoding)> {
        to_der(input)
    }

    #[test]
    fn der_stays_as_it_is() {
        let v = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x41];
        assert_eq!(der(&v).unwrap(), (v.to_vec(), 8, Encoding::Der));
    }

    /// X.690 §8.1.3.6 and §8.7.3: the examples of an indefinite SEQUENCE and a chunked
    /// OCTET STRING, written out.
    #[test]
    fn indefinite_lengths_and_chunks() {
        // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "AB", "C" } } EOC
        let ber = [0x30, 0x80, 0x24, 0x80, 0x04, 0x02, 0x41, 0x42, 0x04, 0x01, 0x43, 0x00, 0x00, 0x00, 0x00, 0xEE];
        let (out, used, enc) = der(&ber).unwrap();
        assert_eq!(out, [0x30, 0x05, 0x04, 0x03, 0x41, 0x42, 0x43]);
        assert_eq!((used, enc), (15, Encoding::Ber));
        // Nested chunks with definite lengths, and a long-form length that DER would shorten.
        let ber = [0x24, 0x08, 0x24, 0x03, 0x04, 0x01, 0x41, 0x04, 0x81, 0x00];
        assert_eq!(der(&ber).unwrap(), (vec![0x04, 0x01, 0x41], 10, Encoding::Ber));
        let ber = [0x02, 0x81, 0x01, 0x07];
        assert_eq!(der(&ber).unwrap(), (vec![0x02, 0x01, 0x07], 4, Encoding::Ber));
    }

    #[test]
    fn malformed_ber_is_refused() {
        let cases: &[(&str, &[u8])] = &[
            ("no end-of-contents", &[0x30, 0x80, 0x02, 0x01, 0x05]),
            ("end-of-contents cut", &[0x30, 0x80, 0x02, 0x01, 0x05, 0x00]),
            ("truncated content", &[0x04, 0x05, 0x41]),
            ("length beyond the parent", &[0x30, 0x03, 0x04, 0x05, 0x41, 0x41, 0x41, 0x41, 0x41]),
            ("child past the definite end", &[0x30, 0x02, 0x02, 0x01, 0x05]),
            ("indefinite primitive", &[0x04, 0x80, 0x41, 0x00, 0x00]),
            ("end-of-contents with a length", &[0x30, 0x80, 0x00, 0x01, 0x00]),
            ("bare end-of-contents", &[0x00, 0x00]),
            ("chunk of another type", &[0x24, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]),
            ("constructed BIT STRING", &[0x23, 0x80, 0x03, 0x01, 0x00, 0x00, 0x00]),
            ("nine length octets", &[0x04, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("length of u64::MAX", &[0x04, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            ("high tag number", &[0x1f, 0x81, 0x00, 0x00]),
            ("empty", &[]),
        ];
        for (what, bytes) in cases {
            let e = der(bytes).unwrap_err();
            assert!(matches!(e, Error::Cms(_)), "{what}: {e}");
        }
    }

    #[test]
    fn depth_bombs_are_refused() {
        // 40 nested indefinite OCTET STRING chunks around one byte, then their 40 EOCs.
        let mut bomb = Vec::new();
        for _ in 0..40 {
            bomb.extend_from_slice(&[0x24, 0x80]);
        }
        bomb.extend_from_slice(&[0x04, 0x01, 0x41]);
        for _ in 0..40 {
            bomb.extend_from_slice(&[0x00, 0x00]);
        }
        assert!(der(&bomb).unwrap_err().to_string().contains("levels deep"));
        // The same at a depth that is allowed: read.
        let mut ok = vec![0x24, 0x80, 0x24, 0x80, 0x04, 0x01, 0x41, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(der(&ok).unwrap().0, [0x04, 0x01, 0x41]);
        ok.truncate(9);
        assert!(der(&ok).is_err(), "the outer end-of-contents is missing");
    }
}
