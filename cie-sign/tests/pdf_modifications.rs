//! Security issue 19, PDF side: a PDF changed after signing is never valid. Each case signs a
//! document written out here (with the simulated card, or a signature dictionary written by
//! hand for DocMDP, FieldMDP and /Reason), appends an incremental update written by hand, and
//! checks the exact verdict: the signature's own (it covers the revision it signed) and the
//! document's, with the change named in `modifications`. Then hostile structures: cycles, deep
//! nesting, a thousand fields naming one signature.

mod common;

use cie_sign::pades::{self, PadesOptions};
use cie_sign::{Error, Indication, Report, SubIndication, Trust};
use cie_sim::fixtures;
use common::*;

fn citizen_ca() -> Trust {
    let mut t = Trust::none();
    t.add(fixtures::citizen_ca_certificate()).unwrap();
    t
}

/// The one-page "PAY 10 EUR" document signed once by the card (objects 1-5 written by
/// `classic_pdf`; the signature adds 6, its dictionary, and 7, its field and widget).
fn signed_once() -> Vec<u8> {
    let (_h, mut s) = card();
    let signed = pades::sign(&mut s, &classic_pdf("1.4", "PAY 10 EUR"), &PadesOptions::default()).unwrap();
    assert!(object_text(&signed, 6).contains("/Sig") && object_text(&signed, 7).contains("/Widget"));
    signed
}

fn verify(pdf: &[u8]) -> Report {
    pades::verify_pdf(pdf, &citizen_ca()).unwrap()
}

/// The signatures are intact (they cover their revision) and the document is TOTAL-FAILED /
/// MODIFIED_AFTER_SIGNING with a modification containing `change`.
fn assert_modified(r: &Report, change: &str) {
    eprintln!("MODS {:?} NOTES {:?}", r.modifications, r.signatures.iter().map(|s| &s.notes).collect::<Vec<_>>());
    assert!(!r.signatures.is_empty(), "{r:?}");
    for s in &r.signatures {
        assert_eq!(s.indication(), Indication::TotalPassed, "the signature covers its revision: {s:?}");
    }
    assert_eq!(r.indication(), Indication::TotalFailed, "{r:?}");
    assert_eq!(r.sub_indication(), Some(SubIndication::ModifiedAfterSigning), "{r:?}");
    assert!(
        r.modifications.iter().map(ToString::to_string).any(|m| m.contains(change)),
        "expected {change:?} in {:?}",
        r.modifications
    );
    assert!(!r.all_valid());
}

/// Every signature and the document TOTAL-PASSED, nothing modified.
fn assert_valid(r: &Report) {
    assert!(r.modifications.is_empty(), "{:?}", r.modifications);
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    assert!(r.all_valid(), "{r:?}");
}

const PAGE: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [7 0 R] >>";

#[test]
fn signed_once_is_valid() {
    let signed = signed_once();
    let r = verify(&signed);
    assert_valid(&r);
    assert_eq!(r.signatures.len(), 1);
}

#[test]
fn content_stream_redefined_after_signing() {
    let signed = signed_once();
    let hostile = append_update(&signed, &[(4, stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET"))], "");
    let r = verify(&hostile);
    assert_modified(&r, "the content stream of page 1 was changed (object 4)");
    assert_eq!(r.signatures[0].covers_whole_document, Some(false));

    // The same with the stream's length in another object.
    let content = "BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET";
    let hostile = append_update(
        &signed,
        &[(4, format!("<< /Length 8 0 R >>\nstream\n{content}\nendstream")), (8, content.len().to_string())],
        "",
    );
    assert_modified(&verify(&hostile), "the content stream of page 1 was changed (object 4)");

    // A new content stream object put in the page instead.
    let hostile = append_update(
        &signed,
        &[(8, stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET")), (3, PAGE.replace("4 0 R", "8 0 R"))],
        "",
    );
    let r = verify(&hostile);
    assert_modified(&r, "the content stream of page 1 was replaced (/Contents)");
    assert_modified(&r, "the content stream of page 1 was changed (object 8)");
}

#[test]
fn changed_then_signed_again() {
    // The content changed, then a second signature over the changed document: that signature
    // is valid, but the first one's revision was changed in a way it does not permit.
    let signed = signed_once();
    let changed = append_update(&signed, &[(4, stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET"))], "");
    let (_h, mut s) = card();
    let resigned = pades::sign(&mut s, &changed, &PadesOptions::default()).unwrap();
    let r = verify(&resigned);
    assert_eq!(r.signatures.len(), 2);
    assert_modified(
        &r,
        "the content stream of page 1 was changed (object 4) (after signature Signature1, in the revision signed by Signature2)",
    );
}

#[test]
fn a_new_signature_dictionary_cannot_also_be_page_content() {
    // The signed page names a content stream 9 that does not exist yet (nothing is shown).
    let base = pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 9 0 R] /Resources << /Font << /F1 5 0 R >> >> >>",
        &stream("BT /F1 18 Tf 72 720 Td (PAY 10 EUR) Tj ET"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]);
    let (_h, mut s) = card();
    let signed = pades::sign(&mut s, &base, &PadesOptions::default()).unwrap();
    assert_valid(&verify(&signed));
    // A "signature" 9 that is a stream drawing text, as the value of a new signature field.
    let content = "BT /F1 18 Tf 72 700 Td (PAY 1000000 EUR) Tj ET";
    let hostile = append_update(
        &signed,
        &[
            (9, format!("<< /Type /Sig /Length {} >>\nstream\n{content}\nendstream", content.len())),
            (10, "<< /FT /Sig /T (Signature2) /V 9 0 R >>".into()),
            (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R 10 0 R] /SigFlags 3 >> >>".into()),
        ],
        "",
    );
    let r = pades::verify_pdf(&hostile, &citizen_ca()).unwrap();
    assert!(
        r.modifications
            .iter()
            .map(ToString::to_string)
            .any(|m| m.contains("the content stream of page 1 was changed (object 9)")),
        "{r:?}"
    );
    assert_eq!(r.sub_indication(), Some(SubIndication::ModifiedAfterSigning));
}

#[test]
fn xref_stream_document_changed_after_signing() {
    // Objects in object streams, a cross-reference stream; the update appended by hand.
    let (_h, mut s) = card();
    let signed = pades::sign(&mut s, &xref_stream_pdf("1.5", "PAY 10 EUR"), &PadesOptions::default()).unwrap();
    assert_valid(&verify(&signed));
    let doc = lopdf::Document::load_mem(&signed).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let content = doc.get_page_contents(page)[0];
    let font = doc.get_dictionary(page).unwrap().get_deref(b"Resources", &doc).unwrap().as_dict().unwrap();
    let font = font.get_deref(b"Font", &doc).unwrap().as_dict().unwrap().get(b"F1").unwrap().as_reference().unwrap();
    let hostile = append_update(&signed, &[(content.0, stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET"))], "");
    assert_modified(&verify(&hostile), &format!("the content stream of page 1 was changed (object {})", content.0));
    let hostile =
        append_update(&signed, &[(font.0, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".into())], "");
    assert_modified(&verify(&hostile), &format!("a font of page 1 was changed (object {})", font.0));
}

#[test]
fn page_added_and_pages_removed() {
    let signed = signed_once();
    let added = append_update(
        &signed,
        &[
            (2, "<< /Type /Pages /Kids [3 0 R 8 0 R] /Count 2 >>".into()),
            (8, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 9 0 R >>".into()),
            (9, stream("BT /F1 18 Tf 72 720 Td (Clausola aggiuntiva) Tj ET")),
        ],
        "",
    );
    assert_modified(&verify(&added), "a page was added");

    let removed = append_update(&signed, &[(2, "<< /Type /Pages /Kids [] /Count 0 >>".into())], "");
    assert_modified(&verify(&removed), "the page tree was changed: pages removed");
}

/// The hand-signed one-page document: a signature dictionary with /Reason and /Location
/// (object 6), its field (7) on page 3, the catalogue and page updated.
fn signed_with_reason() -> Vec<u8> {
    let (_h, mut s) = card();
    let base = classic_pdf("1.4", "PAY 10 EUR");
    sign_update(
        &base,
        &mut s,
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /SigFlags 3 >> >>".into()),
            (3, PAGE.into()),
            (6, sig_dict("/Reason (Approvo il pagamento) /Location (Roma) /Name (Mario Rossi)", false)),
            (
                7,
                "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 6 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>"
                    .into(),
            ),
        ],
        "/Contents",
    )
}

#[test]
fn reason_and_signing_time_replaced_in_a_later_revision() {
    let signed = signed_with_reason();
    let r = verify(&signed);
    assert_valid(&r);
    let s = &r.signatures[0];
    assert_eq!(s.reason.as_deref(), Some("Approvo il pagamento"));
    assert_eq!((s.location.as_deref(), s.signer_name.as_deref()), (Some("Roma"), Some("Mario Rossi")));

    // The same dictionary (same /ByteRange and /Contents) written again with another /Reason.
    let dict = object_text(&signed, 6);
    let hostile = append_update(&signed, &[(6, dict.replace("Approvo il pagamento", "Rifiuto il pagamento"))], "");
    let r = verify(&hostile);
    assert_modified(&r, "the signature dictionary of field Signature1 was changed (/Reason)");
    assert_eq!(r.signatures[0].reason.as_deref(), Some("Approvo il pagamento"), "the signed revision's reason");

    // Another /M.
    let hostile = append_update(&signed, &[(6, dict.replace("D:20260301100000", "D:20250101100000"))], "");
    let r = verify(&hostile);
    assert_modified(&r, "the signature dictionary of field Signature1 was changed (/M)");
    let t = r.signatures[0].signing_time.unwrap();
    assert_eq!((t.year(), t.month()), (2026, 3), "the signed revision's /M");
}

#[test]
fn font_replaced_and_open_action_added() {
    let signed = signed_once();
    let font = append_update(&signed, &[(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".into())], "");
    assert_modified(&verify(&font), "a font of page 1 was changed (object 5)");

    let catalog = object_text(&signed, 1);
    let with_action =
        format!("{} /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>", catalog.strip_suffix(">>").unwrap());
    let hostile = append_update(&signed, &[(1, with_action)], "");
    assert_modified(&verify(&hostile), "the document catalogue was changed (/OpenAction)");
}

#[test]
fn second_signature_dss_info_and_identical_objects_are_allowed() {
    let signed = signed_once();
    let (_h, mut s) = card();
    let twice = pades::sign(&mut s, &signed, &PadesOptions::default()).unwrap();
    let r = verify(&twice);
    assert_valid(&r);
    assert_eq!(r.signatures.len(), 2);

    // A DSS with a certificate and a VRI entry, written by hand.
    let catalog = object_text(&twice, 1);
    let with_dss = format!("{} /DSS 20 0 R >>", catalog.strip_suffix(">>").unwrap());
    let dss = append_update(
        &twice,
        &[
            (1, with_dss),
            (20, "<< /Type /DSS /Certs [21 0 R] /VRI << /0123456789ABCDEF0123456789ABCDEF01234567 << /Cert [21 0 R] >> >> >>".into()),
            (21, stream("not really a certificate")),
        ],
        "",
    );
    assert_valid(&verify(&dss));

    // /Info changed: a note, not a modification.
    let info =
        append_update(&signed, &[(8, "<< /Producer (altro) /ModDate (D:20270101000000Z) >>".into())], "/Info 8 0 R");
    let r = verify(&info);
    assert_valid(&r);
    assert!(r.signatures[0].notes.iter().map(ToString::to_string).any(|n| n.contains("/Info")), "{r:?}");

    // The page, its content and font written again, identical.
    let same = append_update(
        &signed,
        &[
            (4, stream("BT /F1 18 Tf 72 720 Td (PAY 10 EUR) Tj ET")),
            (5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into()),
            (9, "<< /Unreferenced true >>".into()),
        ],
        "",
    );
    assert_valid(&verify(&same));
}

/// A one-page form with text fields Name and Amount (merged widgets 6 and 7), certified by a
/// hand-written signature (dictionary 8, field 9) whose /Reference holds `reference`.
fn certified_form(reference: &str) -> Vec<u8> {
    let base = pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] /DA (/Helv 0 Tf 0 g) >> >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R] >>",
        &stream("BT /F1 18 Tf 72 720 Td (Bonifico) Tj ET"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /V (Mario) /Rect [72 600 300 620] /P 3 0 R >>",
        "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (10) /Rect [72 560 300 580] /P 3 0 R >>",
    ]);
    let (_h, mut s) = card();
    let perms = if reference.contains("DocMDP") { "/Perms << /DocMDP 8 0 R >>" } else { "" };
    sign_update(
        &base,
        &mut s,
        &[
            (
                1,
                format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) /SigFlags 3 >> {perms} >>"),
            ),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R 9 0 R] >>".into()),
            (8, sig_dict(&format!("/Reference [{reference}]"), false)),
            (9, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 8 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>".into()),
        ],
        "/Contents",
    )
}

fn docmdp(p: u8) -> String {
    format!("<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P {p} /V /1.2 >> >>")
}

/// Amount filled in with a new value and appearance.
fn fill_amount(pdf: &[u8]) -> Vec<u8> {
    append_update(
        pdf,
        &[
            (7, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (1000000) /Rect [72 560 300 580] /P 3 0 R /AP << /N 20 0 R >> >>".into()),
            (20, "<< /Type /XObject /Subtype /Form /BBox [0 0 228 20] /Length 31 >>\nstream\nBT /Helv 12 Tf 2 5 Td (1000000) Tj ET\nendstream".replace("/Length 31", "/Length 37")),
        ],
        "",
    )
}

#[test]
fn form_filling_as_docmdp_permits() {
    let p2 = certified_form(&docmdp(2));
    assert_valid(&verify(&p2));
    assert_valid(&verify(&fill_amount(&p2)));

    // The filled form with a font for its appearance added to the form's default resources.
    let with_font = append_update(
        &fill_amount(&p2),
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) /SigFlags 3 /DR << /Font << /Helv 30 0 R >> >> >> /Perms << /DocMDP 8 0 R >> >>".into()),
            (30, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into()),
        ],
        "",
    );
    assert_valid(&verify(&with_font));

    let p1 = certified_form(&docmdp(1));
    assert_valid(&verify(&p1));
    assert_modified(&verify(&fill_amount(&p1)), "the value of form field Amount was changed");
    // P=1: not even another signature.
    let (_h, mut s) = card();
    let signed_again = pades::sign(&mut s, &p1, &PadesOptions::default()).unwrap();
    let r = verify(&signed_again);
    assert_modified(&r, "a signature was added (field Signature2)");

    // P=1 still lets validation data be added (ETSI EN 319 142-1 §5.4).
    let dss = append_update(
        &p1,
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) /SigFlags 3 >> /Perms << /DocMDP 8 0 R >> /DSS << /Certs [20 0 R] >> >>".into()),
            (20, stream("not really a certificate")),
        ],
        "",
    );
    assert_valid(&verify(&dss));

    // No DocMDP at all (an approval signature): form filling is a modification.
    let plain = certified_form("");
    assert_valid(&verify(&plain));
    assert_modified(&verify(&fill_amount(&plain)), "the value of form field Amount was changed");
}

/// A text annotation added to page 1 (object 21).
fn annotate(pdf: &[u8]) -> Vec<u8> {
    append_update(
        pdf,
        &[
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R 9 0 R 21 0 R] >>".into()),
            (21, "<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /Contents (visto) /P 3 0 R >>".into()),
        ],
        "",
    )
}

#[test]
fn annotations_as_docmdp_permits() {
    let p3 = certified_form(&docmdp(3));
    assert_valid(&verify(&annotate(&p3)));
    let p2 = certified_form(&docmdp(2));
    assert_modified(&verify(&annotate(&p2)), "an annotation was added to page 1 (/Text)");
}

#[test]
fn field_locked_by_fieldmdp() {
    let lock = "<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << /Type /TransformParams /Action /Include /Fields [(Amount)] /V /1.2 >> >>";
    let locked = certified_form(&format!("{} {lock}", docmdp(2)));
    assert_valid(&verify(&locked));
    let r = verify(&fill_amount(&locked));
    assert_modified(&r, "the value of form field Amount was changed, which signature Signature1 locks");
    // Name is not locked: filling it is permitted.
    let name = append_update(
        &locked,
        &[(
            6,
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /V (Luigi) /Rect [72 600 300 620] /P 3 0 R >>".into(),
        )],
        "",
    );
    assert_valid(&verify(&name));
}

#[test]
fn byte_range_leaving_out_another_string() {
    let (_h, mut s) = card();
    let base = classic_pdf("1.4", "PAY 10 EUR");
    let objects = [
        (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /SigFlags 3 >> >>".into()),
        (3, PAGE.into()),
        (6, sig_dict("", true)),
        (
            7,
            "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 6 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>"
                .into(),
        ),
    ];
    let hostile = sign_update(&base, &mut s, &objects, "/Decoy");
    let r = verify(&hostile);
    let sig = &r.signatures[0];
    assert_eq!(sig.indication(), Indication::TotalFailed, "{sig:?}");
    assert_eq!(sig.sub_indication(), Some(SubIndication::FormatFailure));
    assert!(sig.problems.iter().any(|p| p.message.contains("exactly the /Contents")), "{sig:?}");
    assert_eq!(r.indication(), Indication::TotalFailed);
    // The same objects with the range on /Contents: valid.
    assert_valid(&verify(&sign_update(&base, &mut s, &objects, "/Contents")));
}

/// The field tree whose /Kids array (object 4) holds a direct dictionary whose /Kids is that
/// array again.
fn kids_cycle() -> Vec<u8> {
    pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
        "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        "<< /T (a) /FT /Sig /Kids 4 0 R >>",
        "[<< /T (b) /Kids 4 0 R >>]",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>",
    ])
}

#[test]
fn kids_cycles_end_promptly() {
    let pdf = kids_cycle();
    assert!(pdf.len() < 600);
    let r = pades::verify_pdf(&pdf, &Trust::none()).unwrap();
    assert!(r.signatures.is_empty() && r.indication() == Indication::Indeterminate);
    assert!(pades::prepare(&pdf, &PadesOptions::default()).is_ok());

    // The page tree: a direct /Pages dictionary whose /Kids names its parent.
    let pages = pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [<< /Type /Pages /Kids [2 0 R] /Count 1 >>] /Count 1 >>",
    ]);
    assert!(matches!(pades::prepare(&pages, &PadesOptions::default()), Err(Error::Pdf(_))));
    assert!(pades::verify_pdf(&pages, &Trust::none()).is_ok());

    // The same cycle appended after a signature: the document is modified, not a crash.
    let signed = signed_once();
    let hostile = append_update(
        &signed,
        &[(2, "<< /Type /Pages /Kids [3 0 R << /Type /Pages /Kids [2 0 R] >>] /Count 1 >>".into())],
        "",
    );
    assert_modified(&verify(&hostile), "cannot be analysed");
    assert!(pades::prepare(&hostile, &PadesOptions::default()).is_err());
}

/// `n` - 1 more signature fields whose value is the signature dictionary of Signature1.
fn fields_naming_one_signature(signed: &[u8], n: u32) -> Vec<u8> {
    let mut objects: Vec<(u32, String)> =
        (0..n - 1).map(|i| (100 + i, format!("<< /FT /Sig /T (Copy{i}) /V 6 0 R >>"))).collect();
    let list: String = (0..n - 1).map(|i| format!(" {} 0 R", 100 + i)).collect();
    objects.push((1, format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R{list}] /SigFlags 3 >> >>")));
    append_update(signed, &objects, "")
}

#[test]
fn a_thousand_fields_naming_one_signature_are_checked_once() {
    let signed = signed_once();
    let many = fields_naming_one_signature(&signed, 1000);
    let r = verify(&many);
    assert_eq!(r.signatures.len(), 1000);
    let first = &r.signatures[0];
    for s in &r.signatures {
        // One CMS check: every report is that one, with its field's name.
        assert_eq!(
            (&s.problems, &s.notes, s.signing_time, s.hash),
            (&first.problems, &first.notes, first.signing_time, first.hash)
        );
        assert_eq!(s.signer.as_ref().map(|i| &i.name), first.signer.as_ref().map(|i| &i.name));
    }
    assert_eq!(r.signatures[999].field.as_deref(), Some("Copy998"));
    assert_modified(&r, "reuses the signature dictionary object 6");

    let too_many = fields_naming_one_signature(&signed, 1001);
    match pades::verify_pdf(&too_many, &citizen_ca()) {
        Err(Error::Limit(m)) => assert!(m.contains("1000 signature fields"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    for (open, close) in [("[", "]"), ("<< /A ", ">>")] {
        let deep = format!("{}{}", open.repeat(100_000), close.repeat(100_000));
        let pdf = pdf_of(&[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            &format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] /Deep {deep} >>"),
        ]);
        // An error or a verdict, on a test thread's small stack.
        let _ = pades::verify_pdf(&pdf, &Trust::none());
        let _ = pades::prepare(&pdf, &PadesOptions::default());

        let signed = signed_once();
        let hostile = append_update(&signed, &[(8, deep.clone()), (5, format!("<< /Type /Font /Deep {deep} >>"))], "");
        if let Ok(r) = pades::verify_pdf(&hostile, &citizen_ca()) {
            assert_eq!(r.indication(), Indication::TotalFailed, "{r:?}");
        }
    }
}

#[test]
fn revisions_and_signatures_past_their_limits_are_refused() {
    let signed = signed_once();
    // 51 empty revisions, then 51 signature fields each claiming one of them.
    let mut pdf = signed.clone();
    let mut ends = Vec::new();
    for i in 0..51 {
        pdf = append_update(&pdf, &[(200 + i, "<< >>".into())], "");
        ends.push(pdf.len());
    }
    let mut objects: Vec<(u32, String)> = ends
        .iter()
        .enumerate()
        .map(|(i, end)| {
            (
                300 + i as u32,
                format!("<< /FT /Sig /T (S{i}) /V << /ByteRange [0 10 20 {}] /Contents <00> >> >>", end - 20),
            )
        })
        .collect();
    let list: String = (0..51).map(|i| format!(" {} 0 R", 300 + i)).collect();
    objects.push((1, format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R{list}] /SigFlags 3 >> >>")));
    let many = append_update(&pdf, &objects, "");
    match pades::verify_pdf(&many, &citizen_ca()) {
        Err(Error::Limit(m)) => assert!(m.contains("50 distinct signatures"), "{m}"),
        other => panic!("{other:?}"),
    }

    // More than 1,000 revisions.
    let mut pdf = signed;
    for _ in 0..1001 {
        pdf.extend_from_slice(b"%%EOF\n");
    }
    match pades::verify_pdf(&pdf, &citizen_ca()) {
        Err(Error::Limit(m)) => assert!(m.contains("1000 revisions"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn object_stream_bombs_and_objects_parsed_again_are_refused() {
    use std::io::Write;
    // An object stream that inflates to 128 MiB: one deflate block of 1 MiB of spaces, ended
    // by a sync flush (byte-aligned, no reference before it), written 128 times.
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![b' '; 1 << 20]).unwrap();
    z.flush().unwrap();
    let block = z.get_ref().clone();
    let mut bomb = vec![0x78, 0xda];
    for _ in 0..128 {
        bomb.extend_from_slice(&block);
    }
    let mut objstm =
        format!("<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", bomb.len()).into_bytes();
    objstm.extend_from_slice(&bomb);
    objstm.extend_from_slice(b"\nendstream");
    let pdf = pdf_of_bytes(&[
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        &objstm,
    ]);
    assert!(pdf.len() < 1 << 20);
    assert!(matches!(pades::verify_pdf(&pdf, &Trust::none()), Err(Error::Limit(_))));
    assert!(matches!(pades::prepare(&pdf, &PadesOptions::default()), Err(Error::Limit(_))));

    // A cross-reference table whose 20,000 entries all name the offset of one large array.
    let array = format!("[{}]", "0 ".repeat(100_000));
    let mut pdf = pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        &array,
    ]);
    let at = pdf.windows(8).rposition(|w| w == b"\n4 0 obj").unwrap() + 1;
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n1 20000\n");
    for _ in 0..20_000 {
        pdf.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size 20001 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    assert!(matches!(pades::verify_pdf(&pdf, &Trust::none()), Err(Error::Limit(_))));
    assert!(matches!(pades::prepare(&pdf, &PadesOptions::default()), Err(Error::Limit(_))));
}

/// The catalogue of the documents with an empty signature field: `extra` entries, the form's
/// /Fields and its default resources' fonts.
fn form_catalog(extra: &str, fields: &str, fonts: &str) -> String {
    format!("<< /Type /Catalog /Pages 2 0 R {extra} /AcroForm << /Fields [{fields}] /SigFlags 3 /DR << /Font << {fonts} >> >> >> >>")
}

fn form_page(annots: &str) -> String {
    format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [{annots}] >>")
}

/// A form XObject drawing `text` with font `font` (an object of the update).
fn appearance(font: u32, text: &str) -> String {
    let content = format!("BT /F2 12 Tf 5 20 Td ({text}) Tj ET");
    format!(
        "<< /Type /XObject /Subtype /Form /BBox [0 0 200 60] /Resources << /Font << /F2 {font} 0 R >> >> /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

/// The empty signature field Signature2, a merged widget with annotation flags 4 (Print).
const EMPTY_SIG: &str =
    "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature2) /Rect [72 100 272 160] /F 4 /P 3 0 R >>";

/// A one-page document whose form has the empty signature field 6 (`field`, or its kids in
/// `extra`, objects 8 on) and a text annotation 7, the form's /DR naming font 5 /Helv, signed
/// by the card through a hand-written invisible signature Signature1 (dictionary 40, field
/// 41). `catalog_extra` goes into the catalogue, `annots` (before 7 0 R and 41 0 R) into the
/// page's /Annots.
fn with_empty_field(catalog_extra: &str, field: &str, annots: &str, extra: &[&str]) -> Vec<u8> {
    let mut objects = vec![
        form_catalog(catalog_extra, "6 0 R", "/Helv 5 0 R"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        form_page(&format!("{annots} 7 0 R")),
        stream("BT /F1 18 Tf 72 720 Td (PAY 10 EUR) Tj ET"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        field.into(),
        "<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /Contents (nota) /F 4 /P 3 0 R >>".into(),
    ];
    objects.extend(extra.iter().map(|o| o.to_string()));
    let refs: Vec<&str> = objects.iter().map(String::as_str).collect();
    let base = pdf_of(&refs);
    let (_h, mut s) = card();
    sign_update(
        &base,
        &mut s,
        &[
            (1, form_catalog(catalog_extra, "6 0 R 41 0 R", "/Helv 5 0 R")),
            (3, form_page(&format!("{annots} 7 0 R 41 0 R"))),
            (40, sig_dict("", false)),
            (41, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 40 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>".into()),
        ],
        "/Contents",
    )
}

/// Signs field Signature2 of `pdf` in an update holding `objects` and signature dictionary 42.
fn sign_field(pdf: &[u8], objects: &[(u32, String)]) -> Vec<u8> {
    let (_h, mut s) = card();
    let mut all = objects.to_vec();
    all.push((42, sig_dict("", false)));
    sign_update(pdf, &mut s, &all, "/Contents")
}

/// Signature2 (merged widget 6) signed the way Adobe Reader does it: its value, an appearance
/// (43) whose font (44) is added to the form's default resources, its flags set to 132.
fn adobe_signs_field(catalog_extra: &str, fonts: &str) -> Vec<(u32, String)> {
    vec![
        (1, form_catalog(catalog_extra, "6 0 R 41 0 R", fonts)),
        (6, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature2) /Rect [72 100 272 160] /F 132 /P 3 0 R /V 42 0 R /AP << /N 43 0 R >> >>".into()),
        (43, appearance(44, "Firmato")),
        (44, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".into()),
    ]
}

#[test]
fn signing_an_empty_field_may_add_default_resources_and_set_its_flags() {
    let signed = with_empty_field("", EMPTY_SIG, "6 0 R", &[]);
    assert_valid(&verify(&signed));
    // Adobe's way: /F 4 -> 132, a new font added to /DR for the appearance.
    let twice = sign_field(&signed, &adobe_signs_field("", "/Helv 5 0 R /F2 44 0 R"));
    let r = verify(&twice);
    assert_valid(&r);
    assert_eq!(r.signatures.len(), 2);

    // An existing /DR entry replaced while signing: refused.
    let replaced = sign_field(&signed, &adobe_signs_field("", "/Helv 44 0 R"));
    assert_modified(&verify(&replaced), "the interactive form was changed (/DR)");
    // An existing /DR entry removed while signing: refused.
    let removed = sign_field(&signed, &adobe_signs_field("", "/F2 44 0 R"));
    assert_modified(&verify(&removed), "the interactive form was changed (/DR)");
    // The font an existing /DR entry names rewritten while signing: refused.
    let mut rewritten = adobe_signs_field("", "/Helv 5 0 R /F2 44 0 R");
    rewritten.push((5, "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>".into()));
    let r = verify(&sign_field(&signed, &rewritten));
    assert!(r.modifications.iter().map(ToString::to_string).any(|m| m.contains("(object 5)")), "{:?}", r.modifications);
    // A /DR addition without a signature: refused.
    let added = append_update(
        &signed,
        &[
            (1, form_catalog("", "6 0 R 41 0 R", "/Helv 5 0 R /F2 44 0 R")),
            (44, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".into()),
        ],
        "",
    );
    assert_modified(&verify(&added), "the interactive form was changed (/DR)");

    // The flags of the signed field Signature1 changed later: refused.
    let flags = append_update(
        &signed,
        &[(
            41,
            "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 40 0 R /Rect [0 0 0 0] /F 4 /P 3 0 R >>"
                .into(),
        )],
        "",
    );
    assert_modified(&verify(&flags), "form field Signature1 was changed (/F)");
    // The flags of a text annotation changed (hidden) while Signature2 is signed: refused.
    let mut hidden = adobe_signs_field("", "/Helv 5 0 R /F2 44 0 R");
    hidden.push((7, "<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /Contents (nota) /F 2 /P 3 0 R >>".into()));
    assert_modified(&verify(&sign_field(&signed, &hidden)), "an annotation of page 1 was changed (/Text, object 7)");
}

#[test]
fn signing_an_empty_field_with_a_separate_widget() {
    // Signature2 (6) with an indirect /Kids array 8 holding widget 9.
    let field = "<< /FT /Sig /T (Signature2) /Kids 8 0 R >>";
    let widget = "<< /Type /Annot /Subtype /Widget /Parent 6 0 R /Rect [72 100 272 160] /F 4 /P 3 0 R >>";
    let signed = with_empty_field("", field, "9 0 R", &["[9 0 R]", widget]);
    assert_valid(&verify(&signed));
    let signed_widget =
        "<< /Type /Annot /Subtype /Widget /Parent 6 0 R /Rect [72 100 272 160] /F 132 /P 3 0 R /AP << /N 43 0 R >> >>";
    let objects = vec![
        (6, "<< /FT /Sig /T (Signature2) /Kids 8 0 R /V 42 0 R >>".to_owned()),
        (9, signed_widget.to_owned()),
        (43, appearance(5, "Firmato")),
    ];
    assert_valid(&verify(&sign_field(&signed, &objects)));
    // The same with the kids in a new array object.
    let mut moved = objects.clone();
    moved[0].1 = "<< /FT /Sig /T (Signature2) /Kids 45 0 R /V 42 0 R >>".into();
    moved.push((45, "[9 0 R]".into()));
    assert_valid(&verify(&sign_field(&signed, &moved)));
    // A new array that drops the signed widget for another one: refused.
    let mut dropped = moved.clone();
    dropped[3].1 = "[46 0 R]".into();
    dropped.push((46, signed_widget.replace("/Parent 6 0 R", "/Parent 6 0 R /NM (altro)")));
    assert_modified(&verify(&sign_field(&signed, &dropped)), "form field Signature2 was changed (/Kids)");

    // A new signature field whose widget is a kid in a new array object (pyHanko's
    // separate-annots-kids-indir.pdf).
    let new_field = vec![
        (1, form_catalog("", "6 0 R 41 0 R 50 0 R", "/Helv 5 0 R")),
        (3, form_page("9 0 R 7 0 R 41 0 R 52 0 R")),
        (50, "<< /FT /Sig /T (Signature3) /Kids 51 0 R /V 42 0 R >>".into()),
        (51, "[52 0 R]".into()),
        (52, "<< /Type /Annot /Subtype /Widget /Parent 50 0 R /Rect [72 200 272 260] /F 4 /P 3 0 R /AP << /N 43 0 R >> >>".into()),
        (43, appearance(5, "Firmato")),
    ];
    assert_valid(&verify(&sign_field(&signed, &new_field)));
}

#[test]
fn a_signature_appearance_shared_with_the_signed_document_is_refused() {
    // pyHanko's "sneaky" updates: the empty field's appearance dictionary 8 is also the
    // catalogue's /FooBar; signing the field gives it another appearance.
    let blank = "<< /Type /XObject /Subtype /Form /BBox [0 0 200 60] /Length 0 >>\nstream\n\nendstream";
    let field = EMPTY_SIG.replace("/F 4", "/F 4 /AP 8 0 R");
    let sneaky = with_empty_field("/FooBar 8 0 R", &field, "6 0 R", &["<< /N 9 0 R >>", blank]);
    assert_valid(&verify(&sneaky));
    let r = verify(&sign_field(&sneaky, &adobe_signs_field("/FooBar 8 0 R", "/Helv 5 0 R")));
    assert_modified(&r, "its appearance dictionary (object 8) is also used by object 1 (/FooBar)");
    // The same appearance dictionary, only the field's own: signing it is fine.
    let own = with_empty_field("", &field, "6 0 R", &["<< /N 9 0 R >>", blank]);
    assert_valid(&verify(&sign_field(&own, &adobe_signs_field("", "/Helv 5 0 R"))));
    // The appearance stream rewritten in place rather than replaced: fine when it is the
    // field's own, refused when the appearance dictionary is shared.
    let mut in_place = adobe_signs_field("", "/Helv 5 0 R");
    in_place[1].1 = in_place[1].1.replace("/AP << /N 43 0 R >>", "/AP 8 0 R");
    in_place.push((9, appearance(44, "Firmato")));
    assert_valid(&verify(&sign_field(&own, &in_place)));
    // ...but not without signing the field.
    let unsigned = append_update(&own, &[(9, appearance(5, "PAY 1000000 EUR"))], "");
    assert_modified(&verify(&unsigned), "the appearance of form field Signature2 was changed (object 9)");
    in_place[0].1 = form_catalog("/FooBar 8 0 R", "6 0 R 41 0 R", "/Helv 5 0 R");
    let r = verify(&sign_field(&sneaky, &in_place));
    assert_modified(&r, "was rewritten in place (object 9), but that object is also used by object 1 (/FooBar)");

    // The "appearance dictionary" of the empty field is the catalogue itself.
    let field = EMPTY_SIG.replace("/F 4", "/F 4 /AP 1 0 R");
    let catalogue = with_empty_field("", &field, "6 0 R", &[]);
    let r = verify(&sign_field(&catalogue, &adobe_signs_field("", "/Helv 5 0 R")));
    assert_modified(&r, "its appearance dictionary (object 1) is also used by the trailer (/Root)");
    // Its appearance stream is the page's content, rewritten in place.
    let field = EMPTY_SIG.replace("/F 4", "/F 4 /AP << /N 4 0 R >>");
    let content = with_empty_field("", &field, "6 0 R", &[]);
    let mut objects = adobe_signs_field("", "/Helv 5 0 R");
    objects[1].1 = objects[1].1.replace("/AP << /N 43 0 R >>", "/AP << /N 4 0 R >>");
    objects.push((4, stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET")));
    let r = verify(&sign_field(&content, &objects));
    assert_modified(&r, "was rewritten in place (object 4), but that object is also used by object 3 (/Contents)");
    assert_modified(&r, "the content stream of page 1 was changed (object 4)");
}

/// The form's default appearance (/AcroForm /DA) changed after an approval signature: a
/// modification on its own, but permitted in the update that adds a signature, where signing
/// applications set it (as pyHanko, which ignores /DA, and DSS, on esig/dss's files, judge).
#[test]
fn default_appearance_changes_only_with_a_new_signature() {
    let plain = certified_form("");
    assert_valid(&verify(&plain));
    let catalog = |fields: &str| {
        format!(
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{fields}] /DA (/Helv 12 Tf 0 0 1 rg) /SigFlags 3 >> >>"
        )
    };
    let da_only = append_update(&plain, &[(1, catalog("6 0 R 7 0 R 9 0 R"))], "");
    assert_modified(&verify(&da_only), "the interactive form was changed (/DA)");

    let (_h, mut s) = card();
    let with_signature = sign_update(
        &plain,
        &mut s,
        &[
            (1, catalog("6 0 R 7 0 R 9 0 R 11 0 R")),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R 9 0 R 11 0 R] >>".into()),
            (10, sig_dict("", false)),
            (11, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature2) /V 10 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>".into()),
        ],
        "/Contents",
    );
    let r = verify(&with_signature);
    assert_valid(&r);
    assert_eq!(r.signatures.len(), 2, "{r:?}");
}
