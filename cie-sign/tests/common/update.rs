//! Incremental updates written out by hand (ISO 32000-1 §7.5.6): objects appended after a
//! signed PDF with a classic cross-reference section and a trailer whose /Prev points back,
//! and signatures whose dictionary the test writes itself (DocMDP, FieldMDP, /Reason...).

#![allow(dead_code)]

use cie_sign::{cades, HashAlg, Signer};

/// The offset of the last occurrence of `needle`.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The digits after the last `key` (e.g. `startxref`, `/Size`).
fn number_after(pdf: &[u8], key: &[u8]) -> Option<u64> {
    let at = rfind(pdf, key)? + key.len();
    let digits: String = pdf[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    digits.parse().ok()
}

/// The text of the last `/Key N G R` reference in the file (the trailer's or the xref
/// stream's), e.g. `/Root 1 0 R`.
fn last_reference(pdf: &[u8], key: &str) -> Option<String> {
    let key = format!("/{key} ");
    let at = rfind(pdf, key.as_bytes())?;
    let rest = &pdf[at..];
    let end = rest[key.len()..].iter().position(|&b| b == b'R')? + key.len();
    Some(String::from_utf8_lossy(&rest[..=end]).into_owned())
}

/// A one-revision PDF of these objects (object i+1 is `objects[i]`), classic cross-reference
/// table, /Root 1 0 R.
pub(crate) fn pdf_of(objects: &[&str]) -> Vec<u8> {
    let objects: Vec<&[u8]> = objects.iter().map(|o| o.as_bytes()).collect();
    pdf_of_bytes(&objects)
}

/// [`pdf_of`] with objects that are not text (binary streams).
pub(crate) fn pdf_of_bytes(objects: &[&[u8]]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(o);
        pdf.extend_from_slice(b"\nendobj\n");
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

/// A stream object's text.
pub(crate) fn stream(content: &str) -> String {
    format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len())
}

/// `pdf` with an incremental update appended: `objects` (id, text), a cross-reference section
/// with one subsection per object, and a trailer carrying the last /Root and /Info over (unless
/// `trailer_extra` sets /Info), /Size and /Prev.
pub(crate) fn append_update(pdf: &[u8], objects: &[(u32, String)], trailer_extra: &str) -> Vec<u8> {
    let prev = number_after(pdf, b"startxref").expect("startxref");
    let size = number_after(pdf, b"/Size")
        .unwrap_or(0)
        .max(objects.iter().map(|(id, _)| u64::from(*id) + 1).max().unwrap_or(0));
    let root = last_reference(pdf, "Root").expect("/Root");
    let info = if trailer_extra.contains("/Info") { None } else { last_reference(pdf, "Info") };
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets = Vec::new();
    for (id, text) in objects {
        offsets.push((*id, out.len()));
        out.extend_from_slice(format!("{id} 0 obj\n{text}\nendobj\n").as_bytes());
    }
    offsets.sort();
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (id, off) in offsets {
        out.extend_from_slice(format!("{id} 1\n{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} {root} {} {trailer_extra} /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n",
            info.unwrap_or_default()
        )
        .as_bytes(),
    );
    out
}

/// Bytes reserved for the CMS in hand-written signature dictionaries.
const RESERVE: usize = 8192;

/// The text of a signature dictionary with placeholders, and `extra` entries (/Reason,
/// /Reference...). `decoy` adds a second hex string of the same size after /Contents.
pub(crate) fn sig_dict(extra: &str, decoy: bool) -> String {
    let zeros = "0".repeat(2 * RESERVE);
    let decoy = if decoy { format!(" /Decoy <{zeros}>") } else { String::new() };
    format!(
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0000000000 0000000000 0000000000] /Contents <{zeros}>{decoy} /M (D:20260301100000+01'00') {extra} >>"
    )
}

/// Appends an update holding `objects` (one of them a [`sig_dict`]), then signs it: writes the
/// /ByteRange leaving out the hex string after `gap_key` (`/Contents`, or `/Decoy` for a
/// range that leaves out another string), hashes the rest with SHA-256 and writes the CMS of
/// `signer` into that string.
pub(crate) fn sign_update(pdf: &[u8], signer: &mut dyn Signer, objects: &[(u32, String)], gap_key: &str) -> Vec<u8> {
    let mut out = append_update(pdf, objects, "");
    let from = pdf.len();
    let find =
        |hay: &[u8], needle: &[u8], at: usize| hay[at..].windows(needle.len()).position(|w| w == needle).unwrap() + at;
    let br = find(&out, b"/ByteRange [", from) + b"/ByteRange [".len();
    let close = find(&out, b"]", br);
    let key = find(&out, gap_key.as_bytes(), br);
    let gap_start = find(&out, b"<", key);
    let gap_end = find(&out, b">", gap_start) + 1;
    let range = format!("0 {gap_start} {gap_end} {}", out.len() - gap_end);
    let width = close - br;
    out[br..close].copy_from_slice(format!("{range:width$}").as_bytes());
    let mut data = out[..gap_start].to_vec();
    data.extend_from_slice(&out[gap_end..]);
    let digest = HashAlg::Sha256.hash(&data);
    let cms = cades::sign_digest_detached(signer, HashAlg::Sha256, &digest, None).unwrap();
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    out[gap_start + 1..gap_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    out
}

/// The text of object `id` as the file's last revision writing it holds it (between
/// `id 0 obj` and `endobj`).
pub(crate) fn object_text(pdf: &[u8], id: u32) -> String {
    let head = format!("\n{id} 0 obj");
    let at = rfind(pdf, head.as_bytes()).expect("object present") + head.len();
    let end = pdf[at..].windows(6).position(|w| w == b"endobj").unwrap() + at;
    String::from_utf8_lossy(&pdf[at..end]).trim().to_owned()
}
