//! The document functions' argument checks and errors, without a card: bytes that are not a
//! signature (written out by hand), NULL pointers, unknown formats, and the report accessors on
//! NULL. Then, with the in-process simulated card: the ETSI verdicts through the accessors
//! (`cie_report_indication`, `cie_report_signature_indication`, `cie_report_sub_indication`,
//! `cie_report_modifications`), the installed trust anchors (`CIE_TRUST_ANCHORS`) and outputs
//! written under unpredictable temporary names.

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};

use cie::*;
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};

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
        assert_eq!(cie_report_indication(null()), CIE_INDICATION_INDETERMINATE);
        assert_eq!(cie_report_signature_indication(null(), 0), CIE_INDICATION_INDETERMINATE);
        let mut len = 0usize;
        assert_eq!(cie_report_signer(null(), 0, null_mut(), &mut len), CIE_ERR_BAD_ARGUMENT);
        assert_eq!(cie_report_sub_indication(null(), usize::MAX, null_mut(), &mut len), CIE_ERR_BAD_ARGUMENT);
        assert_eq!(cie_report_modifications(null(), null_mut(), &mut len), CIE_ERR_BAD_ARGUMENT);
        cie_report_free(null_mut());
        assert_eq!(
            CStr::from_ptr(cie_status_string(CIE_ERR_DOCUMENT)).to_str().unwrap(),
            "unreadable document or signature"
        );
    }
}

/// The in-process simulated card, logged in.
struct Card {
    _handle: SimHandle,
    card: *mut cie_card,
}

impl Drop for Card {
    fn drop(&mut self) {
        // SAFETY: a live handle, freed once.
        unsafe { cie_card_free(self.card) };
    }
}

fn logged_in_card() -> Card {
    let sim = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(sim);
    let card = Box::into_raw(cie_card::from_transport(Box::new(handle.connect())).unwrap());
    let pin = CString::new(fixtures::TEST_PIN).unwrap();
    let mut tries = 0;
    // SAFETY: a live handle and valid strings.
    assert_eq!(unsafe { cie_card_verify_pin(card, pin.as_ptr(), &mut tries) }, CIE_OK);
    Card { _handle: handle, card }
}

fn cades(card: &Card, data: &[u8]) -> Vec<u8> {
    sign_buffer(card, CIE_FORMAT_CADES, data)
}

/// A report from `cie_verify_buffer`.
struct Verified(*mut cie_report);

impl Drop for Verified {
    fn drop(&mut self) {
        // SAFETY: a report not yet freed.
        unsafe { cie_report_free(self.0) };
    }
}

fn verify_buffer(data: &[u8], ca: &[u8]) -> Verified {
    let mut report = null_mut();
    // SAFETY: valid buffers and out-pointer.
    let st = unsafe { cie_verify_buffer(data.as_ptr(), data.len(), null(), 0, ca.as_ptr(), ca.len(), &mut report) };
    assert_eq!(st, CIE_OK, "{}", last_error());
    Verified(report)
}

fn text(f: impl Fn(*mut c_char, *mut usize) -> cie_status) -> String {
    let mut len = 0usize;
    assert_eq!(f(null_mut(), &mut len), CIE_OK, "{}", last_error());
    let mut buf = vec![0u8; len];
    assert_eq!(f(buf.as_mut_ptr().cast(), &mut len), CIE_OK);
    CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap().to_owned()
}

fn sub_indication(r: &Verified, index: usize) -> String {
    // SAFETY: a live report; buffers per the size-query convention.
    text(|buf, len| unsafe { cie_report_sub_indication(r.0, index, buf, len) })
}

/// (document indication, signature 0's, all_valid, valid(0), document sub-indication,
/// signature 0's sub-indication).
fn verdicts(r: &Verified) -> (cie_indication, cie_indication, i32, i32, String, String) {
    // SAFETY: a live report.
    unsafe {
        (
            cie_report_indication(r.0),
            cie_report_signature_indication(r.0, 0),
            cie_report_all_valid(r.0),
            cie_report_valid(r.0, 0),
            sub_indication(r, usize::MAX),
            sub_indication(r, 0),
        )
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cie-ffi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The verdicts of a card's signature: with the citizen CA given or installed, TOTAL-PASSED;
/// without any anchor, INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND); a changed byte, TOTAL-FAILED
/// (HASH_FAILURE). Every anchor-dependent check is in this one test: it sets
/// `CIE_TRUST_ANCHORS` for the process.
#[test]
fn verdicts_follow_the_trust_anchors_and_the_content() {
    let dir = temp_dir("verdicts");
    let ca = fixtures::citizen_ca_certificate();
    let anchors = dir.join("anchors");
    std::fs::create_dir(&anchors).unwrap();
    std::fs::write(anchors.join("citizen-ca.der"), ca).unwrap();
    let card = logged_in_card();
    let content = b"Il sottoscritto Mario Rossi dichiara quanto segue.";
    let p7m = cades(&card, content);

    // No installed anchor: the CA given confirms the signer; without it, nothing does.
    std::env::set_var("CIE_TRUST_ANCHORS", "");
    let passed = (CIE_INDICATION_TOTAL_PASSED, CIE_INDICATION_TOTAL_PASSED, 1, 1, String::new(), String::new());
    assert_eq!(verdicts(&verify_buffer(&p7m, ca)), passed);
    let untrusted = verify_buffer(&p7m, &[]);
    let chain = "NO_CERTIFICATE_CHAIN_FOUND".to_owned();
    let indeterminate = (CIE_INDICATION_INDETERMINATE, CIE_INDICATION_INDETERMINATE, 0, 0, chain.clone(), chain);
    assert_eq!(verdicts(&untrusted), indeterminate);
    // SAFETY: a live report.
    unsafe {
        assert_eq!(cie_report_chain(untrusted.0, 0), CIE_CHAIN_NOT_CHECKED);
        assert_eq!(cie_report_signature_indication(untrusted.0, 1), CIE_INDICATION_INDETERMINATE);
        let mut len = 0usize;
        assert_eq!(cie_report_sub_indication(untrusted.0, 1, null_mut(), &mut len), CIE_ERR_BAD_ARGUMENT);
        assert_eq!(text(|b, l| cie_report_modifications(untrusted.0, b, l)), "");
    }

    // Installed anchors: a directory, or the file itself, in CIE_TRUST_ANCHORS.
    std::env::set_var("CIE_TRUST_ANCHORS", &anchors);
    assert_eq!(verdicts(&verify_buffer(&p7m, &[])), passed);
    std::env::set_var("CIE_TRUST_ANCHORS", anchors.join("citizen-ca.der"));
    let path = CString::new(dir.join("signed.p7m").to_str().unwrap()).unwrap();
    std::fs::write(dir.join("signed.p7m"), &p7m).unwrap();
    let mut report = null_mut();
    // SAFETY: valid strings and out-pointer; no CA files.
    assert_eq!(unsafe { cie_verify_file(path.as_ptr(), null(), null(), 0, &mut report) }, CIE_OK);
    assert_eq!(verdicts(&Verified(report)), passed);
    // An installed anchor that cannot be read is an error, not a silent "no anchor".
    std::env::set_var("CIE_TRUST_ANCHORS", dir.join("missing.pem"));
    let mut report = null_mut();
    // SAFETY: valid buffers and out-pointer.
    let st = unsafe { cie_verify_buffer(p7m.as_ptr(), p7m.len(), null(), 0, null(), 0, &mut report) };
    assert_eq!(st, CIE_ERR_DOCUMENT);
    assert!(last_error().contains("missing.pem"), "{}", last_error());

    // A changed byte of the content: TOTAL-FAILED, trusted or not.
    std::env::set_var("CIE_TRUST_ANCHORS", "");
    let mut tampered = p7m.clone();
    let at = tampered.windows(7).position(|w| w == b"dichiar").unwrap();
    tampered[at] ^= 0x20;
    for anchors in [ca, &[]] {
        let (doc, sig, all, valid, doc_sub, sig_sub) = verdicts(&verify_buffer(&tampered, anchors));
        assert_eq!((doc, sig, all, valid), (CIE_INDICATION_TOTAL_FAILED, CIE_INDICATION_TOTAL_FAILED, 0, 0));
        assert_eq!((doc_sub.as_str(), sig_sub.as_str()), ("HASH_FAILURE", "HASH_FAILURE"));
    }
    // Its cause in words, in the language asked for (issue 23 item 9).
    let r = verify_buffer(&tampered, ca);
    // SAFETY: a live report; NUL-terminated languages; buffers per the size-query convention.
    let (en, it, default, notes) = unsafe {
        (
            text(|b, l| cie_report_problems_in(r.0, 0, c"en".as_ptr(), b, l)),
            text(|b, l| cie_report_problems_in(r.0, 0, c"it_IT.UTF-8".as_ptr(), b, l)),
            text(|b, l| cie_report_problems(r.0, 0, b, l)),
            text(|b, l| cie_report_notes(r.0, 0, c"it".as_ptr(), b, l)),
        )
    };
    assert!(en.contains("the content was modified after signing"), "{en}");
    assert!(it.contains("documento modificato dopo la firma"), "{it}");
    assert_eq!(default, en);
    assert!(notes.contains("revoca"), "{notes}");

    // Issue 19 item 1 through the C ABI: a PDF signed by the card, then an unsigned
    // incremental update (written here) that redefines its page's content stream. The
    // signature stays intact; the document is TOTAL-FAILED / MODIFIED_AFTER_SIGNING.
    let pdf = sign_buffer(&card, CIE_FORMAT_PADES, &pdf::classic_pdf("1.7", "PAY 10 EUR"));
    let r = verify_buffer(&pdf, ca);
    assert_eq!(verdicts(&r), passed);
    let forged =
        update::append_update(&pdf, &[(4, update::stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET"))], "");
    let r = verify_buffer(&forged, ca);
    let (doc, sig, all, valid, doc_sub, sig_sub) = verdicts(&r);
    assert_eq!((doc, sig, all, valid), (CIE_INDICATION_TOTAL_FAILED, CIE_INDICATION_TOTAL_PASSED, 0, 1));
    assert_eq!((doc_sub.as_str(), sig_sub.as_str()), ("MODIFIED_AFTER_SIGNING", ""));
    // SAFETY: a live report; buffers per the size-query convention.
    let changes = text(|b, l| unsafe { cie_report_modifications(r.0, b, l) });
    assert!(changes.starts_with("the content stream of page 1 was changed"), "{changes}");
    cyclic_pdf_trees_answer_through_the_c_abi();
    let _ = std::fs::remove_dir_all(&dir);
}

// cie-sign's test generators, whose items are `pub` for cie-sign's own tests.
#[allow(unreachable_pub)]
#[path = "../../cie-sign/tests/common/pdf.rs"]
mod pdf;
#[allow(unreachable_pub)]
#[path = "../../cie-sign/tests/common/update.rs"]
mod update;

/// `data` signed by the card in `format`.
fn sign_buffer(card: &Card, format: cie_format, data: &[u8]) -> Vec<u8> {
    let mut len = 0usize;
    // SAFETY: valid buffers; size query first.
    unsafe {
        let st =
            cie_card_sign_buffer(card.card, format, CIE_HASH_SHA256, data.as_ptr(), data.len(), null_mut(), &mut len);
        assert_eq!(st, CIE_OK, "{}", last_error());
        let mut out = vec![0u8; len];
        let st = cie_card_sign_buffer(
            card.card,
            format,
            CIE_HASH_SHA256,
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            &mut len,
        );
        assert_eq!(st, CIE_OK, "{}", last_error());
        out.truncate(len);
        out
    }
}

/// `cie_card_sign_file` and `cie_extract_file` write through a fresh temporary file: a link
/// planted at the name older versions used is left alone, and nothing is left behind after a
/// success or a failure.
#[test]
fn outputs_are_written_through_unpredictable_temporary_files() {
    let dir = temp_dir("outputs");
    let card = logged_in_card();
    let input = dir.join("domanda.txt");
    std::fs::write(&input, b"Domanda di residenza.").unwrap();
    let output = dir.join("domanda.txt.p7m");
    let victim = dir.join("victim");
    std::fs::write(&victim, b"untouched").unwrap();
    let old_name = dir.join(format!("domanda.txt.p7m.cie-{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &old_name).unwrap();
    let c = |p: &std::path::Path| CString::new(p.to_str().unwrap()).unwrap();

    // SAFETY: a live, logged-in handle and valid strings.
    let st = unsafe {
        cie_card_sign_file(card.card, CIE_FORMAT_CADES, CIE_HASH_SHA256, c(&input).as_ptr(), c(&output).as_ptr())
    };
    assert_eq!(st, CIE_OK, "{}", last_error());
    assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
    assert!(std::fs::symlink_metadata(&old_name).unwrap().file_type().is_symlink());
    let extracted = dir.join("extracted.txt");
    // SAFETY: valid strings.
    assert_eq!(unsafe { cie_extract_file(c(&output).as_ptr(), c(&extracted).as_ptr()) }, CIE_OK);
    assert_eq!(std::fs::read(&extracted).unwrap(), std::fs::read(&input).unwrap());
    // Not a .p7m: an error, and no output nor temporary file.
    let bad_output = dir.join("bad.txt");
    // SAFETY: valid strings.
    assert_eq!(unsafe { cie_extract_file(c(&input).as_ptr(), c(&bad_output).as_ptr()) }, CIE_ERR_DOCUMENT);
    assert!(!bad_output.exists());
    // An unreadable input fails before the card.
    let missing = dir.join("missing.txt");
    // SAFETY: a live handle and valid strings.
    let st = unsafe {
        cie_card_sign_file(card.card, CIE_FORMAT_CADES, CIE_HASH_SHA256, c(&missing).as_ptr(), c(&bad_output).as_ptr())
    };
    assert_eq!(st, CIE_ERR_DOCUMENT);
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let old = old_name.file_name().unwrap().to_string_lossy().into_owned();
    let mut expected = vec!["domanda.txt", "domanda.txt.p7m", "extracted.txt", old.as_str(), "victim"];
    expected.sort();
    assert_eq!(names, expected, "no temporary file left");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 19 item 5 through the C ABI: the field tree whose /Kids array holds a direct
/// dictionary whose /Kids is that array again (it grew the host process's memory until the
/// allocator aborted), and a page tree naming its parent: `cie_verify_buffer` answers (no
/// signature: INDETERMINATE) and `cie_card_sign_buffer` refuses the cyclic page tree, before
/// any card operation. Called by the test that owns `CIE_TRUST_ANCHORS`.
fn cyclic_pdf_trees_answer_through_the_c_abi() {
    let kids = update::pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
        "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        "<< /T (a) /FT /Sig /Kids 4 0 R >>",
        "[<< /T (b) /Kids 4 0 R >>]",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>",
    ]);
    let ca = fixtures::citizen_ca_certificate();
    let r = verify_buffer(&kids, ca);
    // SAFETY: a live report.
    unsafe {
        assert_eq!(cie_report_count(r.0), 0);
        assert_eq!(cie_report_indication(r.0), CIE_INDICATION_INDETERMINATE);
    }
    assert_eq!(sub_indication(&r, usize::MAX), "SIGNED_DATA_NOT_FOUND");

    let pages = update::pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [<< /Type /Pages /Kids [2 0 R] /Count 1 >>] /Count 1 >>",
    ]);
    let card = logged_in_card();
    let mut len = 0usize;
    // SAFETY: valid buffers; a size query.
    let st = unsafe {
        cie_card_sign_buffer(
            card.card,
            CIE_FORMAT_PADES,
            CIE_HASH_SHA256,
            pages.as_ptr(),
            pages.len(),
            null_mut(),
            &mut len,
        )
    };
    assert_eq!(st, CIE_ERR_DOCUMENT, "{}", last_error());
    assert!(last_error().contains("page"), "{}", last_error());
}
