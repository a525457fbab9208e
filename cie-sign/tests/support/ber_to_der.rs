//! A test-side rewriter of BER indefinite lengths into definite ones (X.690 §8.1.3.6 to
//! §8.1.3.5) and of constructed OCTET STRINGs into primitive ones (§8.7.3 to DER §10.2),
//! keeping every element in the order it has: third-party files written in BER are read by
//! the verifier as DER until it reads BER itself. Written for the tests, independent of the
//! code under test; panics on malformed input (the corpus files are known).

/// `ber` rewritten as definite-length encodings, element order unchanged.
pub(crate) fn ber_to_der(ber: &[u8]) -> Vec<u8> {
    let (out, used) = element(ber);
    assert_eq!(used, ber.len(), "trailing bytes after the BER element");
    out
}

fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// The DER of the element at the start of `buf` and how many bytes of `buf` it took.
fn element(buf: &[u8]) -> (Vec<u8>, usize) {
    let tag = buf[0];
    assert_ne!(tag & 0x1f, 0x1f, "high tag numbers are not expected here");
    let first = buf[1];
    let (len, mut at) = match first {
        0x80 => (None, 2),
        f if f < 0x80 => (Some(usize::from(f)), 2),
        f => {
            let n = usize::from(f & 0x7f);
            (Some(buf[2..2 + n].iter().fold(0usize, |a, b| a << 8 | usize::from(*b))), 2 + n)
        }
    };
    let constructed = tag & 0x20 != 0;
    if !constructed {
        let len = len.expect("a primitive element has a definite length");
        let mut out = header(tag, len);
        out.extend_from_slice(&buf[at..at + len]);
        return (out, at + len);
    }
    let end = len.map(|l| at + l);
    let mut children = Vec::new();
    loop {
        match end {
            Some(e) if at >= e => break,
            None if buf[at] == 0 && buf[at + 1] == 0 => {
                at += 2;
                break;
            }
            _ => {}
        }
        let (child, used) = element(&buf[at..]);
        children.push(child);
        at += used;
    }
    if tag == 0x24 {
        // A constructed OCTET STRING: its primitive segments' values, joined.
        let mut value = Vec::new();
        for c in &children {
            let (_, h, _) = split(c);
            value.extend_from_slice(&c[h..]);
        }
        let mut out = header(0x04, value.len());
        out.extend_from_slice(&value);
        return (out, at);
    }
    let body: Vec<u8> = children.concat();
    let mut out = header(tag, body.len());
    out.extend_from_slice(&body);
    (out, at)
}

/// (tag, header length, content length) of a DER element.
fn split(der: &[u8]) -> (u8, usize, usize) {
    let first = der[1];
    if first < 0x80 {
        (der[0], 2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        (der[0], 2 + n, der[2..2 + n].iter().fold(0usize, |a, b| a << 8 | usize::from(*b)))
    }
}
