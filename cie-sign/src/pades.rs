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
//! [`sign`] does both with a [`Signer`]. [`verify_pdf`] checks every signature of a PDF against
//! the revision it covers, and what was changed after the signed revisions (see
//! `crate::pdf::diff`); both walk the document within the limits below.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use cie_core::sign::HashAlg;
use cms::content_info::ContentInfo;
use der::{Decode, Encode, SliceReader};
use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, StringFormat};

use crate::ber::Encoding;
use crate::cades::{sign_digest_detached, OID_SIGNED_DATA};
use crate::chain::Trust;
use crate::change::{Change, Modification};
use crate::digest::Hasher;
use crate::pdf::diff;
pub use crate::pdf::load::MAX_INFLATED;
use crate::pdf::revisions::{self, SignatureDict, SignatureField};
pub use crate::pdf::revisions::{MAX_REVISIONS, MAX_SIGNATURES, MAX_SIGNATURE_FIELDS};
use crate::pdf::walk;
pub use crate::pdf::walk::{MAX_DEPTH, MAX_FIELDS, MAX_NAME, MAX_NODES};
use crate::reason::Reason;
use crate::revocation_check::Sources;
use crate::signed_data::decode_signed_data;
use crate::timestamp::TimestampKind;
use crate::verdict::{self, Problem, SubIndication};
use crate::verify::{verify_signed_data_with, verify_token, DocumentKind, Report, SignatureReport};
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
    der::DateTime::from_unix_duration(Duration::from_secs(u64::try_from(utc).ok()?)).ok()
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

/// Appends the signature field, its widget and the signature dictionary with empty
/// placeholders as an incremental update of `pdf`.
pub fn prepare(pdf: &[u8], options: &PadesOptions) -> Result<PreparedPdf> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(Error::Pdf("not a PDF file (no %PDF- header)".into()));
    }
    crate::pdf_guard::check(pdf).map_err(Error::Limit)?;
    let doc = crate::pdf::load::load(pdf, false)?;
    if doc.trailer.has(b"Encrypt") {
        return Err(Error::Unsupported("encrypted PDFs cannot be signed here".into()));
    }
    let prev_xref = last_startxref(pdf)?;
    let root_id = doc.trailer.get(b"Root")?.as_reference()?;
    let page_id = *walk::page_tree(&doc)?.pages.first().ok_or_else(|| Error::Pdf("the document has no page".into()))?;
    let names: HashSet<String> = walk::fields(&doc)?.into_iter().map(|f| f.name).collect();
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

/// What one distinct /ByteRange yields: its reports and, when it was found in its revision,
/// its signature dictionary.
struct Checked {
    reports: Vec<SignatureReport>,
    dict: Option<SignatureDict>,
}

fn unreadable(field: &str, problem: Reason) -> Checked {
    let p = Problem::new(SubIndication::FormatFailure, problem);
    Checked { reports: vec![SignatureReport::unreadable(Some(field.to_owned()), p)], dict: None }
}

/// Checks the signature of `field` whose /ByteRange is `range` in the revision `rev` that range
/// covers: its dictionary is read there, the range's gap must be exactly its /Contents.
/// `proven`: a time a later document timestamp proves the signature existed at.
fn check_signature(
    pdf: &[u8],
    rev: &Document,
    field: &SignatureField,
    range: [usize; 4],
    trust: &Trust,
    dss: &Sources,
    proven: Option<Duration>,
) -> Result<Checked> {
    let name = field.name.as_str();
    let Some(sig) = revisions::signature_in_revision(rev, name, field.sig_id, range)? else {
        return Ok(unreadable(name, Reason::SignatureDictionaryOutsideRevision));
    };
    let [_, b, c, d] = range;
    let end = c + d;
    let cms = match revisions::check_gap(pdf, rev, sig.holder, range, sig.contents.as_deref()) {
        Ok(cms) => cms,
        Err(_) => return Ok(unreadable(name, Reason::ByteRangeGap)),
    };
    let hash_range = |alg: HashAlg| {
        let mut h = Hasher::new(alg);
        h.update(&pdf[..b]);
        h.update(&pdf[c..end]);
        h.finish()
    };
    if sig.subfilter == b"ETSI.RFC3161" {
        // A document timestamp (ETSI EN 319 142-1 §5.4): /Contents is a token over the range,
        // in DER or in BER (indefinite lengths, as some TSAs write it) made DER, like a signature.
        let token = match ContentInfo::decode(&mut SliceReader::new(&cms)?) {
            Ok(ci) => ci.to_der()?,
            Err(e) => match crate::ber::to_der(&cms) {
                Ok((der, _, Encoding::Ber)) => der,
                _ => return Ok(unreadable(name, Reason::ContentsNotTimestamp(e.to_string()))),
            },
        };
        let t = verify_token(&token, &mut { hash_range }, trust, TimestampKind::Document, &[dss])?;
        let mut r = SignatureReport::of_document_timestamp(Some(name.to_owned()), t);
        r.covers_whole_document = Some(end == pdf.len());
        return Ok(Checked { reports: vec![r], dict: Some(sig) });
    }
    let pades = sig.subfilter == b"ETSI.CAdES.detached";
    if !pades && sig.subfilter != b"adbe.pkcs7.detached" {
        let sub = verdict::shown(&String::from_utf8_lossy(&sig.subfilter));
        let p = Problem::new(SubIndication::SigConstraintsFailure, Reason::SubFilterNotChecked(sub));
        return Ok(Checked { reports: vec![SignatureReport::unreadable(Some(name.to_owned()), p)], dict: Some(sig) });
    }
    // DER, or BER made DER. What follows the CMS in /Contents (the zeros that pad it, or bytes
    // a signing application left in its buffer, as in esig/dss's DSS-2155 file) is not read,
    // by the DER path as by the BER one: it lies in the /ByteRange's gap, outside what is
    // signed, and pdfsig, pyHanko and DSS ignore it too (docs/VERIFY.md "Tolerance").
    let (cms, encoding) = match ContentInfo::decode(&mut SliceReader::new(&cms)?) {
        Ok(_) => (cms, Encoding::Der),
        Err(_) => match crate::ber::to_der(&cms) {
            Ok((der, _, Encoding::Ber)) => (der, Encoding::Ber),
            _ => (cms, Encoding::Der),
        },
    };
    let mut reader = SliceReader::new(&cms)?;
    let sd = match ContentInfo::decode(&mut reader) {
        Ok(ci) if ci.content_type == OID_SIGNED_DATA => match decode_signed_data(&ci.content) {
            Ok((sd, _)) => sd,
            Err(e) => return Ok(unreadable(name, Reason::CmsMalformed(e.to_string()))),
        },
        Ok(_) => return Ok(unreadable(name, Reason::ContentsNotSignedData)),
        Err(e) => return Ok(unreadable(name, Reason::ContentsNotCms(e.to_string()))),
    };
    let claimed = sig.m.as_deref().and_then(parse_pdf_date);
    let mut digest = |alg: HashAlg| Ok(hash_range(alg));
    let field_name = Some(name.to_owned());
    let mut reports = verify_signed_data_with(&sd, &cms, &mut digest, trust, claimed, field_name, dss, proven)?;
    let whole = end == pdf.len();
    for r in &mut reports {
        r.encoding = encoding;
        r.covers_whole_document = Some(whole);
        r.reason = sig.reason.as_deref().map(verdict::shown);
        r.location = sig.location.as_deref().map(verdict::shown);
        r.signer_name = sig.name.as_deref().map(verdict::shown);
        if sd.encap_content_info.econtent.is_some() {
            r.fail(SubIndication::FormatFailure, Reason::PdfSignatureWithContent);
        }
        if pades && !r.cades {
            r.fail(SubIndication::FormatFailure, Reason::PadesWithoutSigningCertificate);
        }
        if !whole {
            r.notes.push(Reason::ExtendedAfterSignature);
        }
    }
    Ok(Checked { reports, dict: Some(sig) })
}

/// The rules the signatures over the revisions up to `end` set for later changes.
fn rules_after(signed: &[(usize, String, SignatureDict)], end: usize) -> diff::Rules {
    let mut rules = diff::Rules { level: diff::Level::Signatures, locks: Vec::new() };
    let mut docmdp: Option<diff::Level> = None;
    for (_, field, sig) in signed.iter().filter(|(e, _, _)| *e <= end) {
        if let Some(l) = sig.level() {
            docmdp = Some(docmdp.map_or(l, |m| m.min(l)));
        }
        if let Some(lock) = &sig.lock {
            rules.locks.push((verdict::shown(field), lock.clone()));
        }
    }
    if let Some(l) = docmdp {
        rules.level = l;
    }
    rules
}

/// The difference analysis; a later revision whose structure cannot be walked (a cycle in
/// its page tree, a tree past the limits) is itself a modification.
fn analyse(old: &Document, new: &Document, rules: &diff::Rules) -> Result<diff::Outcome> {
    match diff::analyse(old, new, rules) {
        Ok(o) => Ok(o),
        Err(Error::Pdf(m) | Error::Limit(m)) => {
            Ok(diff::Outcome { modifications: vec![Change::Unanalysable(m)], notes: Vec::new() })
        }
        Err(e) => Err(e),
    }
}

/// Signatures that did not pass, in revisions a later document timestamp covers and proves
/// (TOTAL-PASSED): checked again at the time it proves (ETSI EN 319 102-1 §5.6.2.1; PAdES
/// B-LTA), so that a certificate that has expired since no longer stands in their way.
fn prove_with_document_timestamps(
    pdf: &[u8],
    fields: &[SignatureField],
    by_end: &BTreeMap<usize, Vec<([usize; 4], usize)>>,
    results: &mut HashMap<[usize; 4], Checked>,
    trust: &Trust,
    dss: &Sources,
) -> Result<()> {
    // (where the timestamp's range starts, the time it proves), for the trusted ones.
    let proofs: Vec<(usize, Duration)> = results
        .iter()
        .filter_map(|(range, c)| {
            let r = c.reports.first().filter(|r| r.document_timestamp)?;
            let t = r.timestamps.first().filter(|t| t.proves_existence())?;
            Some((range[1], t.time?.unix_duration()))
        })
        .collect();
    if proofs.is_empty() {
        return Ok(());
    }
    for (&end, ranges) in by_end {
        let Some(at) = proofs.iter().filter(|(start, _)| end <= *start).map(|(_, t)| *t).min() else { continue };
        let redo: Vec<([usize; 4], usize)> = ranges
            .iter()
            .filter(|(range, _)| {
                results.get(range).is_some_and(|c| c.reports.iter().any(|r| !r.document_timestamp && !r.is_valid()))
            })
            .copied()
            .collect();
        if redo.is_empty() {
            continue;
        }
        let rev = revisions::load(&pdf[..end])?.doc;
        for (range, i) in redo {
            let checked = check_signature(pdf, &rev, &fields[i], range, trust, dss, Some(at))?;
            if let Some(old) = results.get_mut(&range) {
                old.reports = checked.reports;
            }
        }
    }
    Ok(())
}

/// The objects defined twice after `signed_end` in a file read from a scan: with its table
/// damaged, nothing says which definition a reader takes, so each is a modification (a reader
/// that took the other would show another document).
fn redefined_after(redefined: &[(u32, usize, usize)], signed_end: usize) -> Vec<Modification> {
    let mut numbers: Vec<u32> = redefined.iter().filter(|(_, a, _)| *a >= signed_end).map(|(n, _, _)| *n).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.into_iter().map(|n| Change::RedefinedObject(n).into()).collect()
}

/// Verifies every signature of a PDF (see [`crate::verify`] for what is checked of each CMS)
/// and what was changed after the signed revisions:
///
/// - each signature is checked against the revision it covers (ISO 32000-1 §7.5.6,
///   §12.8.1): its dictionary (/ByteRange, /Contents, /SubFilter, /M, /Reason, /Location,
///   /Name) is read there, and the /ByteRange's gap must be exactly its /Contents;
/// - every later revision is compared with the signed one before it; changes the signatures
///   do not permit (ISO 32000-2 §12.8.2.2-4: by default only signatures and validation data,
///   form filling and annotations as DocMDP and FieldMDP allow) are listed in
///   [`Report::modifications`], which makes the document TOTAL-FAILED / MODIFIED_AFTER_SIGNING.
///
/// Hostile files are bounded: at most [`MAX_SIGNATURE_FIELDS`] signature fields,
/// [`MAX_SIGNATURES`] distinct signatures and [`MAX_REVISIONS`] revisions, trees at most
/// [`walk::MAX_DEPTH`] deep and [`walk::MAX_NODES`] large, or [`Error::Limit`]; each distinct
/// /ByteRange is hashed once, whatever the number of fields naming it.
pub fn verify_pdf(pdf: &[u8], trust: &Trust) -> Result<Report> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(Error::Pdf("not a PDF file (no %PDF- header)".into()));
    }
    crate::pdf_guard::check(pdf).map_err(Error::Limit)?;
    revisions::count_revisions(pdf)?;
    // The final revision is read twice (here, then for the last comparison) so that at most
    // two revisions are held at once.
    let (fields, has_dss) = {
        let last = revisions::load(pdf)?;
        (revisions::signature_fields(&last.doc)?, crate::pdf::dss::present(&last.doc))
    };
    // The document security store's streams, read from the file loaded with its streams'
    // bytes (the revisions are loaded with their digests), only when there is one.
    let dss = if has_dss {
        let store = match crate::pdf::load::load(pdf, false) {
            Ok(full) => crate::pdf::dss::read(&full),
            Err(e) => crate::pdf::dss::Dss { skipped: vec![format!("/DSS: {e}")], ..Default::default() },
        };
        Sources::of_store(&store.crls, &store.ocsps, &store.certs, &store.skipped)
    } else {
        Sources::default()
    };

    // The distinct byte ranges that fit the file and end a revision, by where they end.
    let mut results: HashMap<[usize; 4], Checked> = HashMap::new();
    let mut by_end: BTreeMap<usize, Vec<([usize; 4], usize)>> = BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(range @ [a, b, c, d]) = f.range else { continue };
        if results.contains_key(&range) || by_end.values().flatten().any(|(r, _)| *r == range) {
            continue;
        }
        let end = c.checked_add(d).filter(|&e| e <= pdf.len() && a == 0 && b < c);
        let Some(end) = end else {
            results.insert(range, unreadable(&f.name, Reason::ByteRangeOutsideFile));
            continue;
        };
        if !pdf[..end].trim_ascii_end().ends_with(b"%%EOF") {
            results.insert(range, unreadable(&f.name, Reason::SignedBytesNotRevision));
            continue;
        }
        if by_end.values().map(Vec::len).sum::<usize>() == MAX_SIGNATURES {
            return Err(Error::Limit(format!("the document has more than {MAX_SIGNATURES} distinct signatures")));
        }
        by_end.entry(end).or_default().push((range, i));
    }

    // Each signed revision in turn, compared with the previous one; then the final file.
    let mut signed: Vec<(usize, String, SignatureDict)> = Vec::new();
    let mut modifications = Vec::new();
    let mut notes: Vec<(usize, Reason)> = Vec::new();
    let mut prev: Option<(usize, Document)> = None;
    for (&end, ranges) in &by_end {
        let rev = match revisions::load(&pdf[..end]) {
            Ok(loaded) => {
                if loaded.rebuilt {
                    notes.push((end, Reason::CrossReferenceRebuiltSigned));
                }
                if let Some((prev_end, _)) = &prev {
                    modifications.extend(redefined_after(&loaded.redefined, *prev_end));
                }
                loaded.doc
            }
            Err(e) => {
                for &(range, i) in ranges {
                    results.insert(range, unreadable(&fields[i].name, Reason::RevisionUnreadable(e.to_string())));
                }
                continue;
            }
        };
        let rev_doc = &rev;
        for &(range, i) in ranges {
            let mut checked = check_signature(pdf, rev_doc, &fields[i], range, trust, &dss, None)?;
            if let Some(dict) = checked.dict.take() {
                signed.push((end, fields[i].name.clone(), dict));
            }
            results.insert(range, checked);
        }
        if let Some((prev_end, old)) = &prev {
            let after: Vec<&str> =
                signed.iter().filter(|(e, _, _)| e == prev_end).map(|(_, n, _)| n.as_str()).collect();
            let before: Vec<&str> = signed.iter().filter(|(e, _, _)| *e == end).map(|(_, n, _)| n.as_str()).collect();
            let outcome = analyse(old, rev_doc, &rules_after(&signed, *prev_end))?;
            let between = Some((after.join(", "), before.join(", ")));
            modifications.extend(outcome.modifications.into_iter().map(|change| Modification {
                change,
                between: between.clone(),
                inside_envelope: false,
            }));
            notes.extend(outcome.notes.into_iter().map(|n| (*prev_end, n)));
        }
        prev = Some((end, rev));
    }
    if let Some((prev_end, prev_doc)) = prev.as_ref().filter(|(e, _)| *e < pdf.len()) {
        let last = revisions::load(pdf)?;
        if last.rebuilt {
            notes.push((*prev_end, Reason::CrossReferenceRebuiltLater));
        }
        modifications.extend(redefined_after(&last.redefined, *prev_end));
        let outcome = analyse(prev_doc, &last.doc, &rules_after(&signed, *prev_end))?;
        modifications.extend(outcome.modifications.into_iter().map(Modification::from));
        notes.extend(outcome.notes.into_iter().map(|n| (*prev_end, n)));
    }
    if let Some((prev_end, _)) = &prev {
        let tail = &pdf[*prev_end..];
        if !tail.is_empty() && !tail.windows(5).any(|w| w == b"%%EOF") && !tail.trim_ascii().is_empty() {
            notes.push((*prev_end, Reason::TrailingBytes));
        }
    }
    drop(prev);
    prove_with_document_timestamps(pdf, &fields, &by_end, &mut results, trust, &dss)?;

    let ends: HashMap<[usize; 4], usize> =
        by_end.iter().flat_map(|(e, rs)| rs.iter().map(move |(r, _)| (*r, *e))).collect();
    // The field whose signature dictionary was checked for each range.
    let checked_field: HashMap<[usize; 4], usize> =
        by_end.values().flat_map(|rs| rs.iter().map(|(r, i)| (*r, *i))).collect();
    let mut signatures = Vec::new();
    // Signature n is the n-th field with a value; its countersignatures n.1, n.1.1...
    let mut n = 0usize;
    for (idx, f) in fields.iter().enumerate() {
        let Some(range) = f.range else {
            n += 1;
            let mut r = SignatureReport::unreadable(
                Some(f.name.clone()),
                Problem::new(SubIndication::FormatFailure, Reason::NoByteRange),
            );
            r.level = n.to_string();
            signatures.push(r);
            continue;
        };
        let Some(checked) = results.get(&range) else { continue };
        n += 1;
        // Another signature dictionary naming the same /ByteRange: the range's gap is the
        // checked dictionary's /Contents, never this one's (esig/dss's DSS-917 file).
        let other = checked_field
            .get(&range)
            .is_some_and(|&j| j != idx && (f.sig_id.is_none() || fields[j].sig_id != f.sig_id));
        if other {
            let mut r = SignatureReport::unreadable(
                Some(f.name.clone()),
                Problem::new(SubIndication::FormatFailure, Reason::ByteRangeOfAnother),
            );
            r.level = n.to_string();
            signatures.push(r);
            continue;
        }
        for r in &checked.reports {
            let mut r = r.clone();
            r.level = match r.level.split_once('.') {
                Some((_, rest)) => format!("{n}.{rest}"),
                None => n.to_string(),
            };
            r.field = Some(f.name.clone());
            if let Some(end) = ends.get(&range) {
                r.notes.extend(notes.iter().filter(|(e, _)| e == end).map(|(_, n)| n.clone()));
            }
            signatures.push(r);
        }
    }
    let mut report = Report::new(DocumentKind::Pdf, signatures);
    report.modifications = modifications;
    Ok(report)
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
        use crate::pdf::revisions::hex_string;
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
