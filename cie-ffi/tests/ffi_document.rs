//! The document functions' argument checks and errors, without a card: bytes that are not a
//! signature (written out by hand), NULL pointers, unknown formats, and the report accessors on
//! NULL.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use cie::*;

fn last_error() -> String {
    // SAFETY: the library returns a valid NUL-terminated string.
    unsafe { CStr::from_ptr(cie_last_error()) }.to_string_lossy().into_owned()
}

#[test]
fn unreadable_documents_are_document_errors() {
    let mut report: *mut cie_report = null_mut();
    // A PDF header and nothing else; a DER SEQUENCE holding a NULL; Base64 of nothing useful.
    for bad in [&b"%PDF-1.7\n"[..], &[0x30, 0x02, 0x05, 0x00], b"bm90IGEgcDdt"] {
        // SAFETY: valid buffers and out-pointer.
        let st = unsafe { cie_verify_buffer(bad.as_ptr(), bad.len(), null(), 0, null(), 0, &mut report) };
        assert_eq!(st, CIE_ERR_DOCUMENT, "{bad:?}");
        assert!(report.is_null());
        assert!(!last_error().is_empty());
        let mut len = 0usize;
        // SAFETY: valid buffers.
        let st = unsafe { cie_extract_buffer(bad.as_ptr(), bad.len(), null_mut(), &mut len) };
        assert_eq!(st, CIE_ERR_DOCUMENT);
    }
    // A CA that is not a certificate.
    let pdf = b"%PDF-1.7\n";
    let ca = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    // SAFETY: valid buffers.
    let st = unsafe { cie_verify_buffer(pdf.as_ptr(), pdf.len(), null(), 0, ca.as_ptr(), ca.len(), &mut report) };
    assert_eq!(st, CIE_ERR_DOCUMENT);
    // A missing file.
    let path = c"/nonexistent/x.p7m";
    // SAFETY: valid strings and out-pointer.
    let st = unsafe { cie_verify_file(path.as_ptr(), null(), null(), 0, &mut report) };
    assert_eq!(st, CIE_ERR_DOCUMENT);
    assert!(last_error().contains("/nonexistent/x.p7m"), "{}", last_error());
}

#[test]
fn bad_arguments() {
    let data = b"x";
    // SAFETY: NULL out-pointer is rejected before use.
    let st = unsafe { cie_verify_buffer(data.as_ptr(), 1, null(), 0, null(), 0, null_mut()) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    let mut report: *mut cie_report = null_mut();
    // SAFETY: NULL data with a length is rejected.
    let st = unsafe { cie_verify_buffer(null(), 5, null(), 0, null(), 0, &mut report) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    // SAFETY: a CA count without the array is rejected.
    let st = unsafe { cie_verify_file(c"x.pdf".as_ptr(), null(), null(), 2, &mut report) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    // SAFETY: NULL card, unknown format and hash are rejected before any card work.
    unsafe {
        let (i, o) = (c"in".as_ptr(), c"out".as_ptr());
        assert_eq!(cie_card_sign_file(null_mut(), 9, CIE_HASH_SHA256, i, o), CIE_ERR_BAD_ARGUMENT);
        assert_eq!(cie_card_sign_file(null_mut(), CIE_FORMAT_PADES, 0, i, o), CIE_ERR_BAD_ARGUMENT);
        assert_eq!(cie_card_sign_file(null_mut(), CIE_FORMAT_CADES, CIE_HASH_SHA256, i, i), CIE_ERR_BAD_ARGUMENT);
        let mut len = 0usize;
        let st =
            cie_card_sign_buffer(null_mut(), CIE_FORMAT_CADES, CIE_HASH_SHA256, data.as_ptr(), 1, null_mut(), &mut len);
        assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
        assert!(last_error().contains("card"), "{}", last_error());
    }
    // SAFETY: NULL reports are answered without dereferencing.
    unsafe {
        assert_eq!(cie_report_count(null()), 0);
        assert_eq!(cie_report_all_valid(null()), 0);
        assert_eq!(cie_report_valid(null(), 0), 0);
        assert_eq!(cie_report_chain(null(), 0), CIE_CHAIN_UNTRUSTED);
        let mut len = 0usize;
        assert_eq!(cie_report_signer(null(), 0, null_mut(), &mut len), CIE_ERR_BAD_ARGUMENT);
        cie_report_free(null_mut());
        assert_eq!(
            CStr::from_ptr(cie_status_string(CIE_ERR_DOCUMENT)).to_str().unwrap(),
            "unreadable document or signature"
        );
    }
}
