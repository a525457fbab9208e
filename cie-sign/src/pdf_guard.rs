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
//!   stops at 100 levels today; this keeps a bound should that change).
//!
//! Strings, comments and stream data are skipped (a stream's data runs to the next
//! `endstream`), so binary content is not read as syntax.

/// Deepest nesting of arrays and dictionaries accepted.
pub const MAX_DEPTH: usize = 256;
/// Highest object number accepted (ISO 32000-1 Annex C.2).
pub const MAX_OBJECT_NUMBER: u64 = 8_388_607;

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

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Checks `pdf` (see the module documentation); the error says what was refused.
pub fn check(pdf: &[u8]) -> Result<(), String> {
    let too_high =
        |what: &str, n: u64| Err(format!("{what} {n} exceeds the PDF limit of {MAX_OBJECT_NUMBER} objects: refused"));
    let mut depth = 0usize;
    // The last three tokens, newest last.
    let mut last: [Token; 3] = [Token::Other; 3];
    // Inside `/Index [`: the integers seen so far.
    let mut index: Option<Vec<u64>> = None;
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
                // Literal string: balanced parentheses, backslash escapes.
                let mut level = 0usize;
                while i < pdf.len() {
                    match pdf[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
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
            Token::Keyword(b"stream") => {
                // The data runs to `endstream` (its /Length may be indirect, or wrong).
                i = find(pdf, i, b"endstream").map_or(pdf.len(), |p| p + b"endstream".len());
            }
            Token::Keyword(b"xref") => i = check_xref_table(pdf, i)?,
            _ => {}
        }
        last = [last[1], last[2], token];
    }
    Ok(())
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
