//! `.p7m` content extraction on hostile bytes: `cades::extract` (in memory, DER or Base64) and
//! `cades::extract_to` (streaming, DER) must agree whenever both succeed. Input: the `.p7m`.
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
});
