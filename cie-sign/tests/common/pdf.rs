//! Test PDFs written out object by object (ISO 32000-1 §7.5), and re-saved by lopdf with
//! object and cross-reference streams. Shared with the CLI tests.

#![allow(dead_code)]

/// A one-page PDF of `version` with a classic cross-reference table, written out object by
/// object (ISO 32000-1 §7.5).
pub(crate) fn classic_pdf(version: &str, text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = format!("%PDF-{version}\n%\u{e2}\u{e3}\u{cf}\u{d3}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

/// The same document re-saved with object streams and a cross-reference stream (PDF 1.5+).
pub(crate) fn xref_stream_pdf(version: &str, text: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&classic_pdf(version, text)).unwrap();
    let mut out = Vec::new();
    doc.save_modern(&mut out).unwrap();
    assert!(out.windows(10).any(|w| w == b"/Type/XRef" || w == b"/Type /XRe"), "no cross-reference stream");
    out
}
