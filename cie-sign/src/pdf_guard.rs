//! A cheap linear pre-scan of a PDF, before lopdf parses it, that refuses what would make the
//! parser or the signing preparation crash or run away (found by fuzzing, fuzz/README.md):
//!
//! - object numbers beyond ISO 32000-1's limit of 8,388,607 indirect objects (Annex C.2): in a
//!   trailer's or cross-reference stream's `/Size`, a cross-reference stream's `/Index`, a
//!   cross-reference table's subsection headers, and `N G obj` / `N G R`. lopdf takes its
//!   highest object number from these, and [`crate::pades::prepare`] numbers its new objects
//!   after it: from 2^32 - 1 the number overflows (a panic with overflow checks, objects 0 and 1
//!   overwritten without);
//! - arrays and dictionaries nested more than [`MAX_DEPTH`] deep (lopdf's recursive parser
//!   stops at 100 levels today; this keeps a bound should that change);
//! - object streams and cross-reference streams (`/Type /ObjStm`, `/Type /XRef`) that decode
//!   to more than [`MAX_DECODED`] bytes in all: lopdf decodes every one while loading, with no
//!   limit, so a 300 KB file of one Flate-compressed object stream held 400 MB (a ratio of
//!   1,000 per Flate layer, and /Filter may chain layers). The filters lopdf applies
//!   (FlateDecode, LZWDecode, ASCII85Decode) are run here with that cap, and the output is
//!   counted, not kept.
//!
//! Strings, comments and stream data are skipped (a stream's data runs to the next
//! `endstream`), so binary content is not read as syntax.

/// Deepest nesting of arrays and dictionaries accepted.
pub(crate) const MAX_DEPTH: usize = 256;
/// Highest object number accepted (ISO 32000-1 Annex C.2).
pub(crate) const MAX_OBJECT_NUMBER: u64 = 8_388_607;
/// Most bytes that the object and cross-reference streams of one file may decode to, in all.
pub(crate) const MAX_DECODED: u64 = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Int(u64),
    Name(&'a [u8]),
    Keyword(&'a [u8]),
    Open,
    Close,
    Other,
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !b.is_ascii_whitespace() && b != 0 && !is_delimiter(b)
}

/// Where the literal string opening at `at` (its `(`) ends: the index after its balanced `)`
/// (backslash escapes skipped), or past the end of `pdf` when it is not closed (ISO 32000-1
/// §7.3.4.2).
pub(crate) fn literal_string_end(pdf: &[u8], at: usize) -> usize {
    let mut i = at;
    let mut level = 0usize;
    while i < pdf.len() {
        match pdf[i] {
            b'\\' => i += 1,
            b'(' => level += 1,
            b')' => {
                level = level.saturating_sub(1);
                if level == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i + 1
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Checks `pdf` (see the module documentation); the error says what was refused.
pub(crate) fn check(pdf: &[u8]) -> Result<(), String> {
    let too_high =
        |what: &str, n: u64| Err(format!("{what} {n} exceeds the PDF limit of {MAX_OBJECT_NUMBER} objects: refused"));
    let mut depth = 0usize;
    // The last three tokens, newest last.
    let mut last: [Token; 3] = [Token::Other; 3];
    // Inside `/Index [`: the integers seen so far.
    let mut index: Option<Vec<u64>> = None;
    // Where the current object's dictionary may start, and what its streams decoded to so far.
    let mut object_start = 0;
    let mut decoded = 0u64;
    let mut i = 0;
    while i < pdf.len() {
        let b = pdf[i];
        let token = match b {
            b if b.is_ascii_whitespace() || b == 0 => {
                i += 1;
                continue;
            }
            b'%' => {
                while i < pdf.len() && pdf[i] != b'\n' && pdf[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'(' => {
                i = literal_string_end(pdf, i);
                Token::Other
            }
            b'<' if pdf.get(i + 1) == Some(&b'<') => {
                i += 2;
                Token::Open
            }
            b'<' => {
                // Hexadecimal string.
                i = find(pdf, i, b">").map_or(pdf.len(), |p| p + 1);
                Token::Other
            }
            b'>' if pdf.get(i + 1) == Some(&b'>') => {
                i += 2;
                Token::Close
            }
            b'[' => {
                i += 1;
                Token::Open
            }
            b']' => {
                i += 1;
                Token::Close
            }
            b'/' => {
                let start = i + 1;
                i = start;
                while i < pdf.len() && is_regular(pdf[i]) {
                    i += 1;
                }
                Token::Name(&pdf[start..i])
            }
            _ if is_regular(b) => {
                let start = i;
                while i < pdf.len() && is_regular(pdf[i]) {
                    i += 1;
                }
                let word = &pdf[start..i];
                if word.iter().all(u8::is_ascii_digit) {
                    // Saturating: a 30-digit number is simply large.
                    Token::Int(word.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
                } else {
                    Token::Keyword(word)
                }
            }
            _ => {
                i += 1;
                Token::Other
            }
        };
        match token {
            Token::Open => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("arrays and dictionaries nested more than {MAX_DEPTH} deep: refused"));
                }
            }
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
        // `/Index [a b c d ...]`: pairs of (first object, count).
        if let Some(ints) = index.as_mut() {
            match token {
                Token::Int(n) => ints.push(n),
                Token::Open if ints.is_empty() => {}
                _ => {
                    for pair in ints.chunks_exact(2) {
                        let end = pair[0].saturating_add(pair[1]);
                        if end > MAX_OBJECT_NUMBER + 1 {
                            return too_high("a cross-reference stream /Index reaching object", end - 1);
                        }
                    }
                    index = None;
                }
            }
        }
        match (last[1], last[2], token) {
            (_, Token::Name(b"Size"), Token::Int(n)) if n > MAX_OBJECT_NUMBER + 1 => {
                return too_high("/Size", n);
            }
            (Token::Int(n), Token::Int(_), Token::Keyword(b"obj" | b"R")) if n > MAX_OBJECT_NUMBER => {
                return too_high("object number", n);
            }
            _ => {}
        }
        if let Token::Name(b"Index") = token {
            index = Some(Vec::new());
        }
        match token {
            Token::Keyword(b"obj") => object_start = i,
            Token::Keyword(b"stream") => {
                // The data runs to `endstream` (its /Length may be indirect, or wrong).
                let end = find(pdf, i, b"endstream").unwrap_or(pdf.len());
                let dict = &pdf[object_start.min(i)..i];
                if find(dict, 0, b"/ObjStm").is_some() || find(dict, 0, b"/XRef").is_some() {
                    let data = pdf[i..end].strip_prefix(b"\r").unwrap_or(&pdf[i..end]);
                    let data = data.strip_prefix(b"\n").unwrap_or(data);
                    decoded = decoded.saturating_add(decoded_len(dict, data, MAX_DECODED - decoded)?);
                }
                i = (end + b"endstream".len()).min(pdf.len());
            }
            Token::Keyword(b"xref") => i = check_xref_table(pdf, i)?,
            _ => {}
        }
        last = [last[1], last[2], token];
    }
    Ok(())
}

/// The names of a stream dictionary's /Filter (one name or an array), in decoding order.
fn filters(dict: &[u8]) -> Vec<&[u8]> {
    let Some(at) = find(dict, 0, b"/Filter") else { return Vec::new() };
    let rest = &dict[at + b"/Filter".len()..];
    let rest = &rest[rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len())..];
    let names = match rest.first() {
        Some(b'[') => &rest[1..rest.iter().position(|&b| b == b']').unwrap_or(rest.len())],
        Some(b'/') => &rest[..rest[1..].iter().position(|&b| !is_regular(b)).map_or(rest.len(), |p| p + 1)],
        _ => return Vec::new(),
    };
    names.split(|&b| b == b'/' || b.is_ascii_whitespace()).filter(|n| !n.is_empty()).collect()
}

/// What one decoding layer produced so far: its length, and its bytes when the next layer needs
/// them.
struct Output {
    len: u64,
    bytes: Option<Vec<u8>>,
    cap: u64,
}

impl Output {
    /// Adds a chunk; false past the cap.
    fn push(&mut self, chunk: &[u8]) -> bool {
        self.len = self.len.saturating_add(chunk.len() as u64);
        if let Some(b) = self.bytes.as_mut() {
            b.extend_from_slice(chunk);
        }
        self.len <= self.cap
    }
}

/// Runs a reader to its end (or its first error, as lopdf keeps what came before) into `out`;
/// false past the cap. Returns (within the cap, produced anything).
fn drain(mut r: impl std::io::Read, out: &mut Output) -> (bool, bool) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut any = false;
    while let Ok(k) = r.read(&mut buf) {
        if k == 0 {
            break;
        }
        any = true;
        if !out.push(&buf[..k]) {
            return (false, any);
        }
    }
    (true, any)
}

/// ASCII base-85 (ISO 32000-1 §7.4.3) into `out`, leniently (bad characters skipped, `~>` or
/// the end closes); false past the cap.
fn ascii85(data: &[u8], out: &mut Output) -> bool {
    let mut group = [0u8; 5];
    let mut n = 0;
    let emit = |group: &[u8; 5], n: usize, out: &mut Output| {
        let value = group.iter().fold(0u64, |v, &c| v * 85 + u64::from(c));
        let bytes = (value as u32).to_be_bytes();
        out.push(&bytes[..n - 1])
    };
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'~' => break,
            // `z`: four zero bytes (when no group is open).
            b'z' if n == 0 && !out.push(&[0; 4]) => return false,
            c @ b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    if !emit(&group, 5, out) {
                        return false;
                    }
                    n = 0;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if n > 1 {
        group[n..].fill(84);
        return emit(&group, n, out);
    }
    true
}

/// How many bytes lopdf's decoding of a stream with dictionary `dict` and data `data` yields
/// (FlateDecode, LZWDecode and ASCII85Decode, chained as /Filter says); an error past `cap`.
/// The last layer is counted only; an earlier one is held (at most `cap` bytes).
fn decoded_len(dict: &[u8], data: &[u8], cap: u64) -> Result<u64, String> {
    let over =
        || format!("an object or cross-reference stream decodes to more than {} MiB: refused", MAX_DECODED >> 20);
    let filters = filters(dict);
    let mut layer: std::borrow::Cow<[u8]> = data.into();
    let mut len = data.len() as u64;
    for (n, filter) in filters.iter().enumerate() {
        let keep = n + 1 < filters.len();
        let mut out = Output { len: 0, bytes: keep.then(Vec::new), cap };
        let within = match *filter {
            b"FlateDecode" => {
                // As lopdf: zlib, else raw deflate after the 2-byte header when zlib gave nothing.
                let (ok, any) = drain(flate2::read::ZlibDecoder::new(&layer[..]), &mut out);
                if ok && !any && layer.len() > 2 {
                    drain(flate2::read::DeflateDecoder::new(&layer[2..]), &mut out).0
                } else {
                    ok
                }
            }
            b"LZWDecode" => {
                let mut decoder = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
                let mut buf = vec![0u8; 64 * 1024];
                let mut rest = &layer[..];
                loop {
                    let r = decoder.decode_bytes(rest, &mut buf);
                    rest = &rest[r.consumed_in..];
                    if !out.push(&buf[..r.consumed_out]) {
                        break false;
                    }
                    let done = matches!(r.status, Err(_) | Ok(weezl::LzwStatus::Done));
                    if done || (r.consumed_in == 0 && r.consumed_out == 0) {
                        break true;
                    }
                }
            }
            b"ASCII85Decode" => ascii85(&layer, &mut out),
            // lopdf gives up on any other filter: nothing is decoded.
            _ => return Ok(0),
        };
        if !within {
            return Err(over());
        }
        len = out.len;
        if let Some(bytes) = out.bytes {
            layer = bytes.into();
        }
    }
    Ok(len)
}

/// Reads a cross-reference table's lines from `i` (just after `xref`): subsection headers
/// `first count` are checked, entries skipped; returns where the table ends.
fn check_xref_table(pdf: &[u8], mut i: usize) -> Result<usize, String> {
    loop {
        while i < pdf.len() && pdf[i].is_ascii_whitespace() {
            i += 1;
        }
        let end = pdf[i..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(pdf.len(), |p| p + i);
        let line = &pdf[i..end];
        let fields: Vec<&[u8]> = line.split(|b| b.is_ascii_whitespace()).filter(|f| !f.is_empty()).collect();
        let number = |f: &[u8]| {
            (!f.is_empty() && f.iter().all(u8::is_ascii_digit))
                .then(|| f.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
        };
        match fields.as_slice() {
            [first, count] => match (number(first), number(count)) {
                (Some(first), Some(count)) => {
                    let last = first.saturating_add(count);
                    if last > MAX_OBJECT_NUMBER + 1 {
                        return Err(format!(
                            "a cross-reference subsection reaching object {} exceeds the PDF limit of \
                             {MAX_OBJECT_NUMBER} objects: refused",
                            last - 1
                        ));
                    }
                }
                _ => return Ok(i),
            },
            [offset, generation, kind] if number(offset).is_some() && number(generation).is_some() => {
                if *kind != b"n" && *kind != b"f" {
                    return Ok(i);
                }
            }
            _ => return Ok(i),
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n\
        1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
        2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
        3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>\nendobj\n\
        4 0 obj\n<< /Length 12 >>\nstream\n[[[[ << (((\nendstream\nendobj\n\
        xref\n0 5\n0000000000 65535 f \n0000000015 00000 n \n0000000064 00000 n \n\
        0000000121 00000 n \n0000000200 00000 n \n\
        trailer\n<< /Size 5 /Root 1 0 R /ID [<00ff> <00ff>] /Info << /Title (a \\) [[ %) >> >>\n\
        startxref\n250\n%%EOF\n";

    #[test]
    fn an_ordinary_pdf_passes() {
        // Stream data, strings and comments are not syntax.
        check(SMALL).unwrap();
        check(b"%PDF-1.4\n% [[[[[[ << <<\n").unwrap();
        check(b"").unwrap();
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut deep = b"%PDF-1.7\n1 0 obj\n".to_vec();
        deep.extend(std::iter::repeat_n(b'[', MAX_DEPTH + 1));
        assert!(check(&deep).unwrap_err().contains("nested"));
        let mut ok = b"%PDF-1.7\n1 0 obj\n".to_vec();
        for _ in 0..100_000 {
            ok.extend_from_slice(b"[ ] << >> ");
        }
        check(&ok).unwrap();
        let dicts = b"<<".repeat(MAX_DEPTH + 1);
        assert!(check(&dicts).is_err());
        // Inside a string or a stream, brackets do not count.
        let in_string = [&b"("[..], &b"[".repeat(1000), b")"].concat();
        check(&in_string).unwrap();
        let in_stream = [&b"<< /Length 1000 >>\nstream\n"[..], &b"[".repeat(1000), b"\nendstream"].concat();
        check(&in_stream).unwrap();
    }

    /// An object stream `/Filter filter` over `data`.
    fn object_stream(filter: &str, data: &[u8]) -> Vec<u8> {
        typed_stream("ObjStm", filter, data)
    }

    fn typed_stream(ty: &str, filter: &str, data: &[u8]) -> Vec<u8> {
        let head =
            format!("%PDF-1.7\n5 0 obj\n<< /Type /{ty} /N 1 /First 4 {filter} /Length {} >>\nstream\n", data.len());
        [head.as_bytes(), data, b"\nendstream\nendobj\n"].concat()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn decompression_bombs_in_object_streams_are_refused() {
        let big = vec![b' '; (MAX_DECODED + 1) as usize];
        let small = b"5 0 << /A 1 >>".repeat(1000);
        // One Flate layer: about 1,000 to 1.
        let bomb = zlib(&big);
        assert!(bomb.len() < 100 * 1024);
        assert!(check(&object_stream("/Filter /FlateDecode", &bomb)).unwrap_err().contains("decodes"));
        check(&object_stream("/Filter /FlateDecode", &zlib(&small))).unwrap();
        // Two layers, and behind ASCII85.
        let double = zlib(&bomb);
        assert!(check(&object_stream("/Filter [/FlateDecode /FlateDecode]", &double)).is_err());
        check(&object_stream("/Filter [/FlateDecode /FlateDecode]", &zlib(&zlib(&small)))).unwrap();
        let a85 = ascii85_encode(&double);
        assert!(check(&object_stream("/Filter [/ASCII85Decode /FlateDecode /FlateDecode]", &a85)).is_err());
        check(&object_stream("/Filter [/ASCII85Decode /FlateDecode]", &ascii85_encode(&zlib(&small)))).unwrap();
        // A cross-reference stream too; an ordinary stream is not decoded (lopdf does not either).
        assert!(check(&typed_stream("XRef", "/Filter /FlateDecode", &bomb)).is_err());
        check(&typed_stream("XObject", "/Filter /FlateDecode", &bomb)).unwrap();
        // Unsupported filters and corrupt data decode to nothing.
        check(&object_stream("/Filter /RunLengthDecode", &bomb)).unwrap();
        check(&object_stream("/Filter /FlateDecode", &[0x78, 0x9c, 1, 2, 3])).unwrap();
    }

    #[test]
    fn ascii85_and_filter_names() {
        let mut out = Output { len: 0, bytes: Some(Vec::new()), cap: 100 };
        assert!(ascii85(b"87cURD]i,\"Ebo80~>", &mut out));
        assert_eq!(out.bytes.unwrap(), b"Hello World!");
        let mut out = Output { len: 0, bytes: Some(Vec::new()), cap: 100 };
        assert!(ascii85(b"z!!*-'~>", &mut out));
        assert_eq!(out.bytes.unwrap(), [0, 0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(filters(b"<< /Filter /FlateDecode /Length 3 >>"), [&b"FlateDecode"[..]]);
        assert_eq!(filters(b"<< /Filter [ /A85/Fl ] >>"), [&b"A85"[..], b"Fl"]);
        assert!(filters(b"<< /Length 3 >>").is_empty());
    }

    fn ascii85_encode(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(4) {
            let mut b = [0u8; 4];
            b[..chunk.len()].copy_from_slice(chunk);
            let mut v = u32::from_be_bytes(b);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = (v % 85) as u8 + b'!';
                v /= 85;
            }
            out.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        out.extend_from_slice(b"~>");
        out
    }

    #[test]
    fn object_numbers_beyond_the_pdf_limit_are_refused() {
        let size = |n: &str| {
            let at = SMALL.windows(7).position(|w| w == b"/Size 5").unwrap();
            [&SMALL[..at + 6], n.as_bytes(), &SMALL[at + 7..]].concat()
        };
        check(&size("8388608")).unwrap();
        assert!(check(&size("8388609")).unwrap_err().contains("/Size"));
        assert!(check(&size("4294967296")).is_err());
        assert!(check(&size("99999999999999999999999999")).is_err());
        // A cross-reference subsection, an object header, a reference.
        assert!(check(b"xref\n4294967294 1\n0000000015 00000 n \ntrailer\n<< >>").is_err());
        assert!(check(b"xref\n0 1\n0000000000 65535 f \n8388607 2\n0000000015 00000 n \n").is_err());
        check(b"xref\n0 1\n0000000000 65535 f \n8388600 2\n0000000015 00000 n \ntrailer << /Size 8 >>").unwrap();
        assert!(check(b"8388608 0 obj << >> endobj").is_err());
        assert!(check(b"<< /Pages 4294967295 0 R >>").is_err());
        check(b"8388607 0 obj << /P 8388607 0 R >> endobj").unwrap();
        // A cross-reference stream's /Index.
        assert!(check(b"<< /Type /XRef /Index [0 3 4294967290 2] /W [1 2 1] >>").is_err());
        check(b"<< /Type /XRef /Index [0 3 100 2] /Size 102 /W [1 2 1] >>").unwrap();
    }
}
