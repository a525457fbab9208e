//! The fixed-width text fields of PKCS#11's information structures (`CK_INFO`, `CK_SLOT_INFO`,
//! `CK_TOKEN_INFO`): UTF-8, padded with blanks, not NUL-terminated (PKCS#11 2.40 §3.1).

/// `text` left-aligned in `N` bytes padded with spaces, cut at a character boundary.
pub(crate) fn pad<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [b' '; N];
    let mut end = text.len().min(N);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out[..end].copy_from_slice(&text.as_bytes()[..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding() {
        assert_eq!(&pad::<8>("CIE"), b"CIE     ");
        assert_eq!(&pad::<4>("abcdef"), b"abcd");
        // "è" is two bytes: never cut in the middle.
        assert_eq!(&pad::<4>("abcè"), b"abc ");
    }
}
