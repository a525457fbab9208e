//! `.p7m` content extraction on hostile bytes: `cades::extract` (in memory, DER or Base64) and
//! `cades::extract_to` (streaming, DER) must agree whenever both succeed; `nested::extract_level`
//! at level 1 writes the same, and the innermost content (envelopes inside envelopes) is no
//! longer than the file. Input: the `.p7m`.
#![no_main]

use std::io::Cursor;

use cie_sign::cades;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = cades::extract(data);
    let mut out = Vec::new();
    let streamed = cades::extract_to(&mut Cursor::new(data), &mut out, &mut cie_sign::Silent);
    if let Ok(n) = &streamed {
        assert_eq!(*n, out.len() as u64, "extract_to returns the length it wrote");
        assert!(out.len() <= data.len());
    }
    if let (Ok(content), Ok(_)) = (&whole, &streamed) {
        assert_eq!(content, &out, "extract and extract_to disagree");
    }
    let mut first = Vec::new();
    if let (Ok(content), Ok((n, 1, _))) = (&whole, cie_sign::nested::extract_level(data, Some(1), &mut first)) {
        assert_eq!((content, n), (&first, first.len() as u64), "level 1 is the file's own content");
    }
    let mut inner = Vec::new();
    if let Ok((n, level, _)) = cie_sign::nested::extract_level(data, None, &mut inner) {
        assert_eq!(n, inner.len() as u64);
        assert!(level >= 1 && inner.len() <= data.len());
    }
});
