//! Base64 `.p7m` files: some tools write the DER as Base64 (RFC 4648 §4), with or without PEM
//! lines. Decoded here so that such files verify and extract like DER ones, by `base64ct`
//! (RustCrypto's Base64, already in the tree through `der`'s PEM support); this file only
//! drops the PEM lines and the line breaks.

use base64ct::{Base64, Encoding};

/// `data` itself when it looks like DER (a SEQUENCE), else its Base64 decoding when it is
/// Base64 text of DER, else `data` unchanged (the DER parser then reports the error).
pub(crate) fn der_or_base64(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if data.first() == Some(&0x30) {
        return data.into();
    }
    let text: Vec<u8> = data
        .split(|&b| b == b'\n')
        .filter(|line| !line.starts_with(b"-----"))
        .flatten()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    match Base64::decode_vec(&String::from_utf8_lossy(&text)) {
        Ok(d) if d.first() == Some(&0x30) => d.into(),
        _ => data.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64_of_der() {
        // A DER SEQUENCE {} is "MAA=" in Base64.
        assert_eq!(&*der_or_base64(b"-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"), &[0x30, 0x00]);
        assert_eq!(&*der_or_base64(b"MAA=\r\n"), &[0x30, 0x00]);
        assert_eq!(&*der_or_base64(&[0x30, 0x00]), &[0x30, 0x00]);
        assert_eq!(&*der_or_base64(b"not base64!"), b"not base64!");
    }

    #[test]
    fn decodes_wrapped_lines() {
        // SEQUENCE { 00 01 .. 2F } (50 bytes): 68 Base64 characters, wrapped at 64 as PEM does.
        let der: Vec<u8> = [0x30, 0x30].into_iter().chain(0..48).collect();
        let wrapped = "MDAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywt\nLi8=";
        assert_eq!(&*der_or_base64(wrapped.as_bytes()), der);
        assert_eq!(&*der_or_base64(wrapped.replace('\n', "\r\n").as_bytes()), der);
        let pem = format!("-----BEGIN CMS-----\r\n{wrapped}\r\n-----END CMS-----\r\n");
        assert_eq!(&*der_or_base64(pem.as_bytes()), der);
        // Base64 of something that is not DER, or broken Base64: left as it is.
        assert_eq!(&*der_or_base64(b"AAAA"), b"AAAA");
        assert_eq!(&*der_or_base64(b"MDAA\xff"), b"MDAA\xff");
    }
}
