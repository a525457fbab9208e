//! PAdES baseline B-B signatures (ETSI EN 319 142-1 §5, §6.3; ISO 32000-1 §12.8): the signature
//! is added as an incremental update (ISO 32000-1 §7.5.6) — the original bytes are kept as
//! they are and new objects are appended — so earlier signatures stay valid:
//!
//! - a signature dictionary (/Type /Sig, /Filter /Adobe.PPKLite, /SubFilter
//!   /ETSI.CAdES.detached, /M) whose /ByteRange covers the whole file except the /Contents
//!   hex string, and whose /Contents holds a detached CAdES signature with
//!   signing-certificate-v2 (no signing-time attribute: the time is /M, §6.3);
//! - an invisible signature field (merged widget annotation) on the first page, listed in
//!   the AcroForm's /Fields with /SigFlags 3.
//!
//! [`prepare`] + [`PreparedPdf::finish`] let another signer (an HSM, OpenSSL) produce the CMS;
//! [`sign`] does both with a [`Signer`]. [`verify_pdf`] checks every signature of a PDF.

use std::collections::HashSet;
use std::time::SystemTime;

use cie_core::sign::HashAlg;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, SliceReader};
use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, StringFormat};

use crate::cades::{sign_digest_detached, OID_SIGNED_DATA};
use crate::chain::Trust;
use crate::digest::Hasher;
use crate::verdict::{Problem, SubIndication};
use crate::verify::{verify_signed_data, DocumentKind, Report, SignatureReport};
use crate::{Error, Result, Signer};

/// Bytes reserved for the CMS in /Contents by default (a CIE signature with its certificate
/// takes about 2 KiB).
pub const DEFAULT_RESERVE: usize = 16 * 1024;
/// Placeholder of each /ByteRange number until the offsets are known (10 digits, enough for
/// any offset below 10 GB).
const PLACEHOLDER: i64 = 9_999_999_999;

/// How to sign a PDF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadesOptions {
    /// The digest algorithm (SHA-256 by default).
    pub hash: HashAlg,
    /// The signing time written in /M (now by default).
    pub signing_time: Option<SystemTime>,
    /// The signature field's name (`Signature<N>` by default, N making it unique).
    pub field_name: Option<String>,
    /// Bytes reserved for the CMS.
    pub reserve: usize,
}

impl Default for PadesOptions {
    fn default() -> Self {
        PadesOptions { hash: HashAlg::Sha256, signing_time: None, field_name: None, reserve: DEFAULT_RESERVE }
    }
}

/// A PDF with its incremental update appended and the /Contents placeholder still empty.
#[derive(Clone, Debug)]
pub struct PreparedPdf {
    bytes: Vec<u8>,
    /// Offset of the `<` of /Contents.
    gap_start: usize,
    /// Offset just after its `>`.
    gap_end: usize,
}

impl PreparedPdf {
    /// The two byte ranges the signature covers: everything but the /Contents value.
    pub fn signed_ranges(&self) -> [&[u8]; 2] {
        [&self.bytes[..self.gap_start], &self.bytes[self.gap_end..]]
    }

    /// The digest of the signed ranges.
    pub fn digest(&self, alg: HashAlg) -> Vec<u8> {
        let mut h = Hasher::new(alg);
        for r in self.signed_ranges() {
            h.update(r);
        }
        h.finish()
    }

    /// Largest CMS that fits in /Contents.
    pub fn capacity(&self) -> usize {
        (self.gap_end - self.gap_start - 2) / 2
    }

    /// Writes `cms` (DER) into /Contents, zero-padded, and returns the signed PDF.
    pub fn finish(mut self, cms: &[u8]) -> Result<Vec<u8>> {
        if cms.len() > self.capacity() {
            return Err(Error::Unsupported(format!(
                "the signature ({} bytes) does not fit the {} bytes reserved",
                cms.len(),
                self.capacity()
            )));
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let start = self.gap_start + 1;
        for (i, b) in cms.iter().enumerate() {
            self.bytes[start + 2 * i] = HEX[usize::from(b >> 4)];
            self.bytes[start + 2 * i + 1] = HEX[usize::from(b & 15)];
        }
        Ok(self.bytes)
    }
}

/// A PDF date (ISO 32000-1 §7.9.4) in UTC.
fn pdf_date(t: SystemTime) -> Result<String> {
    let d = der::DateTime::from_system_time(t)?;
    Ok(format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    ))
}

/// Parses the UTC part of a PDF date `D:YYYYMMDDHHmmSS` with an offset `Z`, `+HH'mm'` or
/// `-HH'mm'` (ISO 32000-1 §7.9.4); `None` if malformed.
fn parse_pdf_date(s: &[u8]) -> Option<der::DateTime> {
    let s = std::str::from_utf8(s).ok()?.strip_prefix("D:")?;
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6).unwrap_or(1), num(6..8).unwrap_or(1));
    let (h, mi, sec) = (num(8..10).unwrap_or(0), num(10..12).unwrap_or(0), num(12..14).unwrap_or(0));
    let local = der::DateTime::new(y as u16, mo as u8, d as u8, h as u8, mi as u8, sec as u8).ok()?;
    let offset = match s.get(14..15) {
        Some(sign @ ("+" | "-")) => {
            let oh = num(15..17).unwrap_or(0);
            let om = s.get(18..20).and_then(|m| m.parse::<u64>().ok()).unwrap_or(0);
            let secs = (oh * 3600 + om * 60) as i64;
            if sign == "+" {
                secs
            } else {
                -secs
            }
        }
        _ => 0,
    };
    let utc = local.unix_duration().as_secs() as i64 - offset;
    der::DateTime::from_unix_duration(std::time::Duration::from_secs(u64::try_from(utc).ok()?)).ok()
}

/// The offset after the file's last `startxref` keyword (ISO 32000-1 §7.5.5).
fn last_startxref(pdf: &[u8]) -> Result<i64> {
    let pos = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| Error::Pdf("no startxref: not a complete PDF".into()))?;
    let digits: String = pdf[pos + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    digits.parse().map_err(|_| Error::Pdf("malformed startxref".into()))
}

/// A direct or indirect array value of `dict[key]`: its object id when indirect, and a copy.
fn array_entry(doc: &Document, dict: &Dictionary, key: &[u8]) -> Result<(Option<ObjectId>, Vec<Object>)> {
    match dict.get(key) {
        Ok(Object::Reference(id)) => Ok((Some(*id), doc.get_object(*id)?.as_array()?.clone())),
        Ok(Object::Array(a)) => Ok((None, a.clone())),
        Ok(_) => Err(Error::Pdf(format!("/{} is not an array", String::from_utf8_lossy(key)))),
        Err(_) => Ok((None, Vec::new())),
    }
}

/// Every terminal field of the AcroForm with its full name (ISO 32000-1 §12.7.3.2), its
/// inherited /FT, and its dictionary.
fn fields(doc: &Document) -> Vec<(String, Option<Vec<u8>>, Dictionary)> {
    let mut out = Vec::new();
    let Ok(root) = doc.trailer.get(b"Root").and_then(|r| doc.dereference(r)).and_then(|(_, o)| o.as_dict()) else {
        return out;
    };
    let Ok(acro) = root.get(b"AcroForm").and_then(|a| doc.dereference(a)).and_then(|(_, o)| o.as_dict()) else {
        return out;
    };
    let Ok(list) = acro.get(b"Fields").and_then(|f| doc.dereference(f)).and_then(|(_, o)| o.as_array()) else {
        return out;
    };
    let mut seen = HashSet::new();
    let mut stack: Vec<(Object, String, Option<Vec<u8>>)> =
        list.iter().rev().map(|o| (o.clone(), String::new(), None)).collect();
    while let Some((obj, parent, parent_ft)) = stack.pop() {
        if let Object::Reference(id) = obj {
            if !seen.insert(id) || seen.len() > 100_000 {
                continue;
            }
        }
        let Ok((_, o)) = doc.dereference(&obj) else { continue };
        let Ok(dict) = o.as_dict() else { continue };
        let part = dict.get(b"T").and_then(Object::as_str).map(|t| String::from_utf8_lossy(t).into_owned()).ok();
        let name = match (parent.is_empty(), part) {
            (_, None) => parent.clone(),
            (true, Some(p)) => p,
            (false, Some(p)) => format!("{parent}.{p}"),
        };
        let ft = dict.get(b"FT").and_then(Object::as_name).map(<[u8]>::to_vec).ok().or(parent_ft);
        match dict.get(b"Kids").and_then(|k| doc.dereference(k)).and_then(|(_, o)| o.as_array()) {
            Ok(kids)
                if kids
                    .iter()
                    .any(|k| doc.dereference(k).and_then(|(_, o)| o.as_dict()).is_ok_and(|d| d.has(b"T"))) =>
            {
                for k in kids.iter().rev() {
                    stack.push((k.clone(), name.clone(), ft.clone()));
                }
            }
            _ => out.push((name, ft, dict.clone())),
        }
    }
    out
}

/// Appends the signature field, its widget and the signature dictionary with empty
/// placeholders as an incremental update of `pdf`.
pub fn prepare(pdf: &[u8], options: &PadesOptions) -> Result<PreparedPdf> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(Error::Pdf("not a PDF file (no %PDF- header)".into()));
    }
    crate::pdf_guard::check(pdf).map_err(Error::Limit)?;
    let doc = Document::load_mem(pdf)?;
    if doc.trailer.has(b"Encrypt") {
        return Err(Error::Unsupported("encrypted PDFs cannot be signed here".into()));
    }
    let prev_xref = last_startxref(pdf)?;
    let root_id = doc.trailer.get(b"Root")?.as_reference()?;
    let page_id = *doc.get_pages().values().next().ok_or_else(|| Error::Pdf("the document has no page".into()))?;
    let names: HashSet<String> = fields(&doc).into_iter().map(|(n, _, _)| n).collect();
    let name = match &options.field_name {
        Some(n) if names.contains(n) => return Err(Error::Unsupported(format!("a field named {n:?} exists"))),
        Some(n) => n.clone(),
        None => (1..).map(|i| format!("Signature{i}")).find(|n| !names.contains(n)).unwrap_or_default(),
    };

    let mut catalog = doc.get_dictionary(root_id)?.clone();
    let mut page = doc.get_dictionary(page_id)?.clone();
    let (acro_id, mut acro) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (Some(*id), doc.get_dictionary(*id)?.clone()),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    let (fields_id, mut field_list) = array_entry(&doc, &acro, b"Fields")?;
    let (annots_id, mut annots) = array_entry(&doc, &page, b"Annots")?;
    let prev_size = doc.trailer.get(b"Size").and_then(Object::as_i64).unwrap_or(0);
    let max_id = doc.max_id.max(u32::try_from(prev_size.saturating_sub(1)).unwrap_or(0));
    let mut trailer = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Ok(v) = doc.trailer.get(key) {
            trailer.set(key, v.clone());
        }
    }
    trailer.set("Prev", prev_xref);

    let mut inc = IncrementalDocument::create_from(pdf.to_vec(), doc);
    let new = &mut inc.new_document;
    new.max_id = max_id;
    new.trailer = trailer;
    let now = options.signing_time.unwrap_or_else(SystemTime::now);
    let sig_id = new.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
        ("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec())),
        (
            "ByteRange",
            Object::Array(vec![Object::Integer(0), PLACEHOLDER.into(), PLACEHOLDER.into(), PLACEHOLDER.into()]),
        ),
        ("Contents", Object::String(vec![0; options.reserve], StringFormat::Hexadecimal)),
        ("M", Object::String(pdf_date(now)?.into_bytes(), StringFormat::Literal)),
    ]));
    let widget_id = new.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Widget".to_vec())),
        ("FT", Object::Name(b"Sig".to_vec())),
        ("T", Object::String(name.into_bytes(), StringFormat::Literal)),
        ("V", Object::Reference(sig_id)),
        ("Rect", Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()])),
        ("F", Object::Integer(132)), // Print | Locked
        ("P", Object::Reference(page_id)),
    ]));
    field_list.push(Object::Reference(widget_id));
    annots.push(Object::Reference(widget_id));
    match fields_id {
        Some(id) => {
            new.objects.insert(id, Object::Array(field_list));
        }
        None => acro.set("Fields", Object::Array(field_list)),
    }
    acro.set("SigFlags", 3);
    match acro_id {
        Some(id) => new.objects.insert(id, Object::Dictionary(acro)),
        None => {
            catalog.set("AcroForm", Object::Dictionary(acro));
            new.objects.insert(root_id, Object::Dictionary(catalog))
        }
    };
    match annots_id {
        Some(id) => new.objects.insert(id, Object::Array(annots)),
        None => {
            page.set("Annots", Object::Array(annots));
            new.objects.insert(page_id, Object::Dictionary(page))
        }
    };
    let mut bytes = Vec::with_capacity(pdf.len() + options.reserve * 2 + 4096);
    inc.save_to(&mut bytes)?;
    locate_placeholders(bytes, pdf.len(), options.reserve)
}

/// Finds the /ByteRange and /Contents placeholders in the appended part, writes the real
/// byte range (padded to the placeholder's width) and returns the prepared PDF.
fn locate_placeholders(mut bytes: Vec<u8>, appended_from: usize, reserve: usize) -> Result<PreparedPdf> {
    let find = |bytes: &[u8], needle: &[u8], from: usize| {
        bytes[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
    };
    let missing = || Error::Pdf("the signature placeholders were not written as expected".into());
    let br = find(&bytes, b"/ByteRange", appended_from).ok_or_else(missing)?;
    let open = find(&bytes, b"[", br).ok_or_else(missing)?;
    let close = find(&bytes, b"]", open).ok_or_else(missing)?;
    let contents = find(&bytes, b"/Contents", close).ok_or_else(missing)?;
    let gap_start = find(&bytes, b"<", contents).ok_or_else(missing)?;
    let gap_end = gap_start + 2 + 2 * reserve;
    if bytes.get(gap_end - 1) != Some(&b'>') || !bytes[gap_start + 1..gap_end - 1].iter().all(|&b| b == b'0') {
        return Err(missing());
    }
    let range = format!("0 {} {} {}", gap_start, gap_end, bytes.len() - gap_end);
    let width = close - open - 1;
    if range.len() > width {
        return Err(Error::Unsupported("the PDF is too large to sign".into()));
    }
    bytes[open + 1..close].copy_from_slice(format!("{range:width$}").as_bytes());
    Ok(PreparedPdf { bytes, gap_start, gap_end })
}

/// Signs `pdf` with `signer` as PAdES B-B (an incremental update; see the module docs).
pub fn sign(signer: &mut dyn Signer, pdf: &[u8], options: &PadesOptions) -> Result<Vec<u8>> {
    let prepared = prepare(pdf, options)?;
    let cms = sign_digest_detached(signer, options.hash, &prepared.digest(options.hash), None)?;
    prepared.finish(&cms)
}

/// Decodes the hex string `<...>` of /Contents (ISO 32000-1 §7.3.4.3).
fn hex_string(gap: &[u8]) -> Option<Vec<u8>> {
    let inner = gap.strip_prefix(b"<")?.strip_suffix(b">")?;
    let digits: Vec<u8> = inner.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    let val = |c: u8| char::from(c).to_digit(16).map(|v| v as u8);
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    for pair in digits.chunks(2) {
        let hi = val(pair[0])?;
        let lo = if pair.len() == 2 { val(pair[1])? } else { 0 };
        out.push(hi << 4 | lo);
    }
    Some(out)
}

/// Checks one signature dictionary of `pdf`.
fn check_signature(pdf: &[u8], field: String, sig: &Dictionary, trust: &Trust) -> Result<Vec<SignatureReport>> {
    let bad = |p: &str| {
        Ok(vec![SignatureReport::unreadable(Some(field.clone()), Problem::new(SubIndication::FormatFailure, p))])
    };
    let range: Option<Vec<usize>> = sig
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .ok()
        .and_then(|a| a.iter().map(|o| o.as_i64().ok().and_then(|v| usize::try_from(v).ok())).collect());
    let Some([a, b, c, d]) = range.as_deref().and_then(|r| <[usize; 4]>::try_from(r).ok()) else {
        return bad("the signature has no valid /ByteRange");
    };
    let end = c.checked_add(d).filter(|&e| e <= pdf.len());
    let Some(end) = end.filter(|_| a == 0 && b < c) else {
        return bad("the /ByteRange does not fit the file: the file was truncated or modified");
    };
    let Some(cms) = hex_string(&pdf[b..c]) else {
        return bad("the /ByteRange does not leave out exactly the /Contents string: the file was modified");
    };
    let subfilter = sig.get(b"SubFilter").and_then(Object::as_name).map(<[u8]>::to_vec).unwrap_or_default();
    let pades = subfilter == b"ETSI.CAdES.detached";
    if !pades && subfilter != b"adbe.pkcs7.detached" {
        let what = format!("SubFilter /{} is not checked by this verifier", String::from_utf8_lossy(&subfilter));
        return Ok(vec![SignatureReport::unreadable(
            Some(field.clone()),
            Problem::new(SubIndication::SigConstraintsFailure, what),
        )]);
    }
    let mut reader = SliceReader::new(&cms)?;
    let sd = match ContentInfo::decode(&mut reader) {
        Ok(ci) if ci.content_type == OID_SIGNED_DATA => match ci.content.decode_as::<SignedData>() {
            Ok(sd) => sd,
            Err(e) => return bad(&format!("the CMS signature is malformed: {e}")),
        },
        Ok(_) => return bad("/Contents is not a CMS SignedData"),
        Err(e) => return bad(&format!("/Contents is not a CMS signature: {e}")),
    };
    let claimed = sig.get(b"M").and_then(Object::as_str).ok().and_then(parse_pdf_date);
    let mut digest = |alg: HashAlg| {
        let mut h = Hasher::new(alg);
        h.update(&pdf[..b]);
        h.update(&pdf[c..end]);
        Ok(h.finish())
    };
    let mut reports = verify_signed_data(&sd, &mut digest, trust, claimed, Some(field.clone()))?;
    let whole = end == pdf.len();
    let revision_end = pdf[..end].trim_ascii_end().ends_with(b"%%EOF");
    for r in &mut reports {
        r.covers_whole_document = Some(whole);
        if sd.encap_content_info.econtent.is_some() {
            r.fail(SubIndication::FormatFailure, "the CMS carries content: a PDF signature must be detached");
        }
        if pades && !r.cades {
            r.fail(
                SubIndication::FormatFailure,
                "ETSI.CAdES.detached without signing-certificate-v2 (ETSI EN 319 142-1 §6.3)",
            );
        }
        if !whole && revision_end {
            r.notes.push("the document was extended after this signature by incremental updates".into());
        } else if !whole {
            r.fail(SubIndication::FormatFailure, "the signed bytes do not end a revision of the document");
        }
    }
    Ok(reports)
}

/// Verifies every signature of a PDF (see [`crate::verify`] for what is checked of each CMS);
/// a byte changed anywhere in a signed revision makes its signature invalid.
pub fn verify_pdf(pdf: &[u8], trust: &Trust) -> Result<Report> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(Error::Pdf("not a PDF file (no %PDF- header)".into()));
    }
    crate::pdf_guard::check(pdf).map_err(Error::Limit)?;
    let doc = Document::load_mem(pdf)?;
    let mut signatures = Vec::new();
    for (name, ft, field) in fields(&doc) {
        if ft.as_deref() != Some(b"Sig") {
            continue;
        }
        let Ok((_, v)) = field.get(b"V").and_then(|v| doc.dereference(v)) else { continue };
        let Ok(sig) = v.as_dict() else { continue };
        signatures.extend(check_signature(pdf, name, sig, trust)?);
    }
    Ok(Report::new(DocumentKind::Pdf, signatures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = parse_pdf_date(b"D:20260102030405+01'30'").unwrap();
        assert_eq!((t.year(), t.month(), t.day(), t.hour(), t.minutes()), (2026, 1, 2, 1, 34));
        assert_eq!(parse_pdf_date(b"D:20260102030405Z").unwrap().hour(), 3);
        assert!(parse_pdf_date(b"2026").is_none());
    }

    #[test]
    fn hex_strings() {
        assert_eq!(hex_string(b"<3082 0a>").unwrap(), [0x30, 0x82, 0x0a]);
        assert_eq!(hex_string(b"<3>").unwrap(), [0x30]);
        assert!(hex_string(b"<zz>").is_none());
        assert!(hex_string(b"(ab)").is_none());
    }

    #[test]
    fn startxref_is_the_last_one() {
        assert_eq!(last_startxref(b"%PDF-1.4\nstartxref\n12\n%%EOF\nstartxref\r\n345\n%%EOF\n").unwrap(), 345);
        assert!(last_startxref(b"%PDF-1.4\n").is_err());
    }
}
