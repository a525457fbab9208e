//! The host's one BER-TLV reader (ISO/IEC 7816-4 §5.2, ITU-T X.690 §8.1.2-§8.1.3), for every
//! data object a card sends: GET DATA answers (PROTOCOL.md §4.1-§4.3), secure-messaging objects
//! (§5.2, §5.4), EF.SOD and its certificates (§8.3), and the trim of DER files (§2.5 step 3).
//!
//! [`read`] takes one object off the front of the input and hands back the bytes after it, so the
//! caller knows exactly what was consumed; [`read_all`] splits an input made of whole objects;
//! [`parse`] builds the tree of a GET DATA answer. Objects borrow from the input, every failure is
//! a [`TlvError`], and nothing here panics or allocates beyond the input's size, whatever the
//! bytes.
//!
//! The tag field is checked by the `iso7816-tlv` crate ([`Tag`]): one to three bytes, first byte
//! not `00`, continuation bits consistent. Its `Tlv::parse` (0.4) is not used for the rest:
//! * it reads the indefinite length `80` as a length of 0 instead of refusing it;
//! * it does not keep a constructed object's children inside the parent's length (it adds up
//!   their re-encoded sizes), so a child written with a longer length field than needed
//!   (`81 02` for 2) makes it read past the parent's end and still succeed;
//! * it recurses into nested objects without a limit: a 60 KB answer of nested `30 7F` overflows
//!   a 2 MiB thread stack, which aborts the process;
//! * it copies every value and keeps no offsets, while the MACs of §5.2/§5.4 and the signature of
//!   §8.3 cover the bytes exactly as sent.
//!
//! So the length field is read here: the short form, or `81`..`84` then 1 to 4 bytes (callers may
//! allow fewer, see [`read_limited`]); the indefinite form and longer fields are refused, and the
//! value must fit in the input. Lengths longer than needed (`81 05`) are valid BER and accepted.
//! [`parse`] nests at most [`MAX_DEPTH`] levels. (`Tag::iso7816_compliant` is avoided too: in
//! 0.4.4 it indexes out of bounds on three-byte tags.)

use iso7816_tlv::ber::Tag;

use crate::error::{Error, Result};

/// Most bytes a long-form length field may have after its first byte (`84 xx xx xx xx`).
pub const MAX_LENGTH_BYTES: u8 = 4;

/// Most levels of nesting [`parse`] accepts (GET DATA answers have four, §4.1).
pub const MAX_DEPTH: usize = 16;

/// Most bytes of a tag field (ISO/IEC 7816-4 §5.2.2.1: longer tags are reserved).
const MAX_TAG_BYTES: usize = 3;

/// Why bytes are not a BER-TLV object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// No byte at all where an object should start.
    #[error("empty input where a data object should start")]
    Empty,
    /// The input ends inside the tag field.
    #[error("tag field cut short")]
    TruncatedTag,
    /// A tag of more than three bytes, or the tag `00`.
    #[error("invalid tag field")]
    InvalidTag,
    /// The input ends inside the length field.
    #[error("length field cut short")]
    TruncatedLength,
    /// The indefinite length `80` (X.690 §8.1.3.6), which no card object uses.
    #[error("indefinite length 80")]
    IndefiniteLength,
    /// A long-form length with more bytes than the caller allows.
    #[error("length field of {bytes} bytes, at most {max} allowed")]
    LengthTooLong {
        /// Bytes announced after the first length byte.
        bytes: u8,
        /// The caller's limit.
        max: u8,
    },
    /// The value announced is longer than what is left of the input.
    #[error("value of {len} bytes, {available} left")]
    TruncatedValue {
        /// The announced value length.
        len: usize,
        /// Bytes left after the length field.
        available: usize,
    },
    /// More than [`MAX_DEPTH`] nested constructed objects.
    #[error("more than {MAX_DEPTH} levels of nesting")]
    TooDeep,
}

impl From<TlvError> for Error {
    fn from(e: TlvError) -> Self {
        Error::malformed(format!("BER-TLV: {e}"))
    }
}

/// One data object, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    tag: u32,
    raw: &'a [u8],
    value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The tag bytes as a big-endian number (`5F 20` is `0x5F20`).
    pub fn tag(&self) -> u32 {
        self.tag
    }

    /// Whether the tag says constructed (bit 6 of its first byte): the value is itself BER-TLV.
    pub fn is_constructed(&self) -> bool {
        self.raw[0] & 0x20 != 0
    }

    /// The value field.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The whole encoding: tag, length and value fields.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
}

/// Reads one object at the start of `data` with a length field of up to [`MAX_LENGTH_BYTES`]
/// bytes after its first; returns it and the bytes after it.
pub fn read(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    read_limited(data, MAX_LENGTH_BYTES)
}

/// [`read`] with at most `max_length_bytes` bytes after a long-form length's first byte
/// (secure messaging allows two, PROTOCOL.md §5.2 step 7).
pub fn read_limited(data: &[u8], max_length_bytes: u8) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, tag_len) = tag_field(data)?;
    let first = *data.get(tag_len).ok_or(TlvError::TruncatedLength)?;
    let mut pos = tag_len + 1;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let (n, max) = (first & 0x7F, max_length_bytes.min(MAX_LENGTH_BYTES));
        if n == 0 {
            return Err(TlvError::IndefiniteLength);
        }
        if n > max {
            return Err(TlvError::LengthTooLong { bytes: n, max });
        }
        let bytes = data.get(pos..pos + usize::from(n)).ok_or(TlvError::TruncatedLength)?;
        pos += usize::from(n);
        bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let available = data.len() - pos;
    if len > available {
        return Err(TlvError::TruncatedValue { len, available });
    }
    let (raw, rest) = data.split_at(pos + len);
    Ok((Tlv { tag, raw, value: &raw[pos..] }, rest))
}

/// The tag field at the start of `data`: its number and its size. The field is delimited here
/// (the crate's reader is private) and checked by [`Tag`].
fn tag_field(data: &[u8]) -> Result<(u32, usize), TlvError> {
    let first = *data.first().ok_or(TlvError::Empty)?;
    let mut len = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(len).ok_or(TlvError::TruncatedTag)?;
            len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if len == MAX_TAG_BYTES {
                return Err(TlvError::InvalidTag);
            }
        }
    }
    let number = data[..len].iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Tag::try_from(number).map_err(|_| TlvError::InvalidTag)?;
    Ok((number, len))
}

/// Splits `data`, which must consist of whole objects, into them (in order).
pub fn read_all(data: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut rest = data;
    // `collect` stops at the first error.
    std::iter::from_fn(|| {
        (!rest.is_empty()).then(|| {
            read(rest).map(|(tlv, after)| {
                rest = after;
                tlv
            })
        })
    })
    .collect()
}

/// A data object with the objects inside it when it is constructed (the tree of a GET DATA
/// answer, PROTOCOL.md §4.1-§4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    tlv: Tlv<'a>,
    children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    /// The object itself.
    pub fn tlv(&self) -> Tlv<'a> {
        self.tlv
    }

    fn build(tlv: Tlv<'a>, depth: usize) -> Result<Self, TlvError> {
        if depth > MAX_DEPTH {
            return Err(TlvError::TooDeep);
        }
        let children = if tlv.is_constructed() {
            read_all(tlv.value)?.into_iter().map(|c| Node::build(c, depth + 1)).collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Node { tlv, children })
    }
}

/// Parses the object at the start of `data` and, down to [`MAX_DEPTH`] levels, every constructed
/// object inside it, each of which must consist of whole objects. Bytes after the first object
/// are ignored.
pub fn parse(data: &[u8]) -> Result<Node<'_>> {
    let (tlv, _) = read(data)?;
    Ok(Node::build(tlv, 1)?)
}

/// The first direct child of a constructed object with tag `t`.
pub fn child<'n, 'a>(node: &'n Node<'a>, t: u32) -> Result<&'n Node<'a>> {
    children(node)?
        .iter()
        .find(|c| c.tlv.tag == t)
        .ok_or_else(|| Error::malformed(format!("tag {t:X} missing in {:X}", node.tlv.tag)))
}

/// The children of a constructed object, in order.
pub fn children<'n, 'a>(node: &'n Node<'a>) -> Result<&'n [Node<'a>]> {
    if node.tlv.is_constructed() {
        Ok(&node.children)
    } else {
        Err(Error::malformed(format!("tag {:X} is not constructed", node.tlv.tag)))
    }
}

/// The value of a primitive object.
pub fn primitive<'a>(node: &Node<'a>) -> Result<&'a [u8]> {
    if node.tlv.is_constructed() {
        Err(Error::malformed(format!("tag {:X} is not primitive", node.tlv.tag)))
    } else {
        Ok(node.tlv.value)
    }
}

/// Follows `path` (the outermost tag first, which must be the tag of `data`'s object) and
/// returns the value of the primitive object at its end.
pub fn value_at(data: &[u8], path: &[u32]) -> Result<Vec<u8>> {
    let root = parse(data)?;
    let (first, rest) = path.split_first().ok_or_else(|| Error::malformed("empty TLV path"))?;
    if root.tlv.tag != *first {
        return Err(Error::malformed(format!("expected tag {first:X}, found {:X}", root.tlv.tag)));
    }
    let mut cur = &root;
    for t in rest {
        cur = child(cur, *t)?;
    }
    Ok(primitive(cur)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object of tag `04` with a `header` length field and `n` value bytes, then `90 00`.
    fn long(header: &[u8], n: usize) -> Vec<u8> {
        let mut v = vec![0x04];
        v.extend_from_slice(header);
        v.resize(v.len() + n, 0x5A);
        v.extend_from_slice(&[0x90, 0x00]);
        v
    }

    #[test]
    fn empty_input_and_zero_length_values() {
        assert_eq!(read(&[]), Err(TlvError::Empty));
        assert_eq!(read_all(&[]), Ok(vec![]));
        let (t, rest) = read(&[0x04, 0x00]).unwrap();
        assert_eq!((t.tag(), t.value(), t.raw(), rest), (0x04, &[][..], &[0x04, 0x00][..], &[][..]));
        let node = parse(&[0xA3, 0x00]).unwrap();
        assert_eq!(children(&node).unwrap(), &[]);
    }

    #[test]
    fn truncated_fields_and_values() {
        assert_eq!(read(&[0x04]), Err(TlvError::TruncatedLength));
        assert_eq!(read(&[0x04, 0x82, 0x01]), Err(TlvError::TruncatedLength));
        assert_eq!(read(&[0x04, 0x03, 0xAA, 0xBB]), Err(TlvError::TruncatedValue { len: 3, available: 2 }));
        // A length beyond the input, up to 4 GiB: refused without allocating anything.
        assert_eq!(read(&[0x04, 0x82, 0x01, 0x00, 0xAA]), Err(TlvError::TruncatedValue { len: 256, available: 1 }));
        assert_eq!(
            read(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA]),
            Err(TlvError::TruncatedValue { len: 0xFFFF_FFFF, available: 1 })
        );
        assert_eq!(read(&[0x5F]), Err(TlvError::TruncatedTag));
        assert_eq!(read(&[0xBF, 0xA1]), Err(TlvError::TruncatedTag));
    }

    #[test]
    fn long_form_lengths_of_one_to_four_bytes() {
        for (header, n) in [
            (&[0x81, 0x80][..], 0x80),
            (&[0x82, 0x01, 0x00], 0x100),
            (&[0x83, 0x01, 0x00, 0x00], 0x1_0000),
            (&[0x84, 0x00, 0x01, 0x00, 0x01], 0x1_0001),
            // Longer than needed is valid BER (secure messaging always accepted it).
            (&[0x81, 0x02], 2),
            (&[0x82, 0x00, 0x00], 0),
        ] {
            let data = long(header, n);
            let (t, rest) = read(&data).unwrap();
            assert_eq!(t.value().len(), n);
            assert_eq!(t.raw().len(), 1 + header.len() + n);
            assert_eq!(rest, [0x90, 0x00]);
        }
        // Callers may allow fewer length bytes: secure messaging stops at `82`.
        assert!(read_limited(&long(&[0x82, 0x01, 0x00], 0x100), 2).is_ok());
        assert_eq!(
            read_limited(&long(&[0x83, 0x00, 0x00, 0x05], 5), 2),
            Err(TlvError::LengthTooLong { bytes: 3, max: 2 })
        );
    }

    #[test]
    fn too_many_length_bytes_and_indefinite_length_are_refused() {
        assert_eq!(
            read(&[0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA]),
            Err(TlvError::LengthTooLong { bytes: 5, max: 4 })
        );
        assert_eq!(read(&[0x04, 0xFF]), Err(TlvError::LengthTooLong { bytes: 0x7F, max: 4 }));
        assert_eq!(read(&[0x30, 0x80, 0x04, 0x00, 0x00, 0x00]), Err(TlvError::IndefiniteLength));
        assert_eq!(read(&[0x04, 0x80]), Err(TlvError::IndefiniteLength));
        // Also inside a constructed object.
        assert!(parse(&[0x70, 0x04, 0xA3, 0x80, 0x00, 0x00]).is_err());
    }

    #[test]
    fn multi_byte_tags() {
        let (t, _) = read(&[0x5F, 0x20, 0x02, 0xAA, 0xBB]).unwrap();
        assert_eq!((t.tag(), t.is_constructed(), t.value()), (0x5F20, false, &[0xAA, 0xBB][..]));
        let (t, _) = read(&[0xBF, 0xA1, 0x01, 0x00]).unwrap();
        assert_eq!((t.tag(), t.is_constructed()), (0xBFA101, true));
        // Four tag bytes, and the tag 00, are refused.
        assert_eq!(read(&[0x5F, 0x81, 0x81, 0x01, 0x00]), Err(TlvError::InvalidTag));
        assert_eq!(read(&[0x1F, 0x81, 0x81, 0x81, 0x01, 0x00]), Err(TlvError::InvalidTag));
        assert_eq!(read(&[0x00, 0x00]), Err(TlvError::InvalidTag));
    }

    #[test]
    fn trailing_bytes_are_handed_back_exactly() {
        let data = [0x87, 0x01, 0xAA, 0x8E, 0x00, 0x99];
        let (t, rest) = read(&data).unwrap();
        assert_eq!((t.raw(), t.value(), rest), (&data[..3], &data[2..3], &data[3..]));
        // A sequence must end on an object boundary.
        assert_eq!(read_all(&data), Err(TlvError::TruncatedLength));
        assert_eq!(read_all(&data[..5]).unwrap().len(), 2);
        // The tree of an answer ignores what follows its first object.
        assert_eq!(value_at(&[0xA6, 0x03, 0x91, 0x01, 0x07, 0x90, 0x00], &[0xA6, 0x91]).unwrap(), [0x07]);
    }

    #[test]
    fn children_stay_inside_their_parent() {
        // A child running past the end of its parent.
        assert!(parse(&[0x70, 0x02, 0x81, 0x03, 0xAA, 0xBB, 0xCC]).is_err());
        // A child with a longer length field than needed, which iso7816-tlv 0.4 reads past the
        // parent's end (see the module documentation): the parent's value ends inside `01`.
        assert!(parse(&[0x70, 0x06, 0x81, 0x81, 0x02, 0xAA, 0xBB, 0x01, 0x00]).is_err());
        let node = parse(&[0x70, 0x07, 0x81, 0x81, 0x02, 0xAA, 0xBB, 0x01, 0x00]).unwrap();
        assert_eq!(children(&node).unwrap().len(), 2);
        assert_eq!(primitive(child(&node, 0x81).unwrap()).unwrap(), [0xAA, 0xBB]);
        assert!(primitive(&node).is_err());
        assert!(children(child(&node, 0x01).unwrap()).is_err());
    }

    /// `levels` objects `30` nested with exact lengths around `04 00`.
    fn nested(levels: usize) -> Vec<u8> {
        let header = |len: usize| match len {
            0..=0x7F => vec![0x30, len as u8],
            0x80..=0xFF => vec![0x30, 0x81, len as u8],
            _ => vec![0x30, 0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8],
        };
        // Sizes from the innermost object outwards; the headers are then written outermost first.
        let mut size = 2;
        let mut headers = Vec::new();
        for _ in 1..levels {
            let h = header(size);
            size += h.len();
            headers.push(h);
        }
        let mut v: Vec<u8> = headers.into_iter().rev().flatten().collect();
        v.extend_from_slice(&[0x04, 0x00]);
        v
    }

    #[test]
    fn nesting_is_bounded() {
        assert_eq!(nested(3), [0x30, 0x04, 0x30, 0x02, 0x04, 0x00]);
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        let e = parse(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(e.to_string().contains("nesting"), "{e}");
        // The flat reader does not descend: one level at a time.
        assert!(read(&nested(MAX_DEPTH + 1)).is_ok());
        // Deep answers are refused at the limit, on this 2 MiB test thread too; so are the 60 KB
        // of `30 7F` that overflow the stack of iso7816-tlv's parser.
        assert!(parse(&nested(30_000)).is_err());
        assert!(parse(&[0x30, 0x7F].repeat(30_000)).is_err());
    }

    #[test]
    fn paths_and_trim() {
        let q = [0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x99, 0x00];
        assert_eq!(value_at(&q, &[0x70, 0xBFA101, 0xA3, 0x99]).unwrap(), Vec::<u8>::new());
        let y = [0xA6, 0x04, 0x91, 0x02, 0xAB, 0xCD];
        assert_eq!(value_at(&y, &[0xA6, 0x91]).unwrap(), [0xAB, 0xCD]);
        assert!(value_at(&y, &[0x70, 0x91]).is_err());
        assert!(value_at(&y[..4], &[0xA6, 0x91]).is_err());
    }
}
