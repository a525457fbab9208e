//! Minimal BER-TLV reading and writing for the card's command parsing and response building
//! (tags of 1 to 3 bytes, definite lengths up to `82 xx xx`; PROTOCOL.md §4.1, §4.2, §4.4.1).
//! Every parser returns `None` on malformed input; nothing here can panic.

/// One data object: its tag bytes (1..=3) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The tag as an integer (`5F 20` → `0x5F20`).
    pub tag: u32,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Reads one data object from the start of `bytes`; returns it and the rest.
pub(crate) fn read(bytes: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&first, mut rest) = bytes.split_first()?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        // Multi-byte tag: subsequent bytes while bit 8 is set, at most 3 bytes in all.
        for i in 0..2 {
            let (&b, r) = rest.split_first()?;
            rest = r;
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
            if i == 1 {
                return None;
            }
        }
    }
    let (&l0, r) = rest.split_first()?;
    rest = r;
    let len = match l0 {
        0..=0x7F => usize::from(l0),
        0x81 => {
            let (&l, r) = rest.split_first()?;
            rest = r;
            usize::from(l)
        }
        0x82 => {
            let (&hi, r) = rest.split_first()?;
            let (&lo, r) = r.split_first()?;
            rest = r;
            (usize::from(hi) << 8) | usize::from(lo)
        }
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    Some((Tlv { tag, value }, rest))
}

/// Reads a whole sequence of data objects; `None` if any is malformed.
pub(crate) fn read_all(mut bytes: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (t, rest) = read(bytes)?;
        out.push(t);
        bytes = rest;
    }
    Some(out)
}

/// Appends a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        let len = len.min(0xFFFF);
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// Encodes one data object with the given tag bytes.
pub(crate) fn encode(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tag.len() + 3 + value.len());
    out.extend_from_slice(tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// The size of the header (tag byte + DER length) of a one-byte-tag object of `len` value bytes.
pub(crate) fn header_len(len: usize) -> usize {
    match len {
        0..=0x7F => 2,
        0x80..=0xFF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_and_lengths() {
        let (t, rest) = read(&[0x5F, 0x20, 0x02, 1, 2, 0xAA]).unwrap();
        assert_eq!(t, Tlv { tag: 0x5F20, value: &[1, 2] });
        assert_eq!(rest, [0xAA]);
        let (t, _) = read(&[0xBF, 0xA1, 0x01, 0x01, 7]).unwrap();
        assert_eq!(t.tag, 0xBFA101);
        let mut long = vec![0x91, 0x82, 0x01, 0x00];
        long.extend(vec![9; 256]);
        assert_eq!(read(&long).unwrap().0.value.len(), 256);
        let mut mid = vec![0x87, 0x81, 0x80];
        mid.extend(vec![9; 0x80]);
        assert_eq!(read(&mid).unwrap().0.value.len(), 0x80);
    }

    #[test]
    fn rejects_malformed() {
        assert!(read(&[]).is_none());
        assert!(read(&[0x80]).is_none());
        assert!(read(&[0x80, 0x02, 1]).is_none());
        assert!(read(&[0x80, 0x83, 0, 0, 1]).is_none());
        assert!(read(&[0x5F]).is_none());
        assert!(read(&[0x5F, 0x80, 0x80, 0x01, 0x00]).is_none());
        assert!(read_all(&[0x80, 0x01, 0x9B, 0x83]).is_none());
    }

    #[test]
    fn encodes_der_lengths() {
        assert_eq!(encode(&[0x99], &[1; 2]), [0x99, 2, 1, 1]);
        assert_eq!(encode(&[0x97], &[0; 200])[..3], [0x97, 0x81, 200]);
        assert_eq!(encode(&[0x7F, 0x49], &[0; 300])[..5], [0x7F, 0x49, 0x82, 0x01, 0x2C]);
        for n in [0, 0x7F, 0x80, 0xFF, 0x100] {
            let mut v = Vec::new();
            push_len(&mut v, n);
            assert_eq!(v.len() + 1, header_len(n));
        }
    }
}
