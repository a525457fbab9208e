//! The revisions of an incrementally updated PDF (ISO 32000-1 §7.5.6) and the signature
//! dictionaries (§12.8.1) as the revision each signature covers holds them: what a signature
//! says about itself (/ByteRange, /Contents, /SubFilter, /M, /Reason, /Location, /Name, its
//! DocMDP and FieldMDP transforms, §12.8.2.2-4) is read there, never from a later update.

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::diff::{Level, Lock};
use super::walk::{self, array_of, dict_of};
use crate::{Error, Result};

/// Most signature fields (terminal fields of type /Sig with a value) a document may have.
pub const MAX_SIGNATURE_FIELDS: usize = 1_000;
/// Most distinct signatures (distinct /ByteRange values) a document may have: each one hashes
/// and parses its revision.
pub const MAX_SIGNATURES: usize = 50;
/// Most revisions (end-of-file markers) a document may have.
pub const MAX_REVISIONS: usize = 1_000;

/// Loads a revision for verification (ISO 32000-1 §7.5.6) within bounds, every stream's bytes
/// replaced by their digest, its cross-reference table rebuilt when damaged
/// ([`super::load::load_tolerant`]): comparing two streams still compares their bytes, and
/// three revisions in memory cost little more than their dictionaries.
pub(crate) fn load(bytes: &[u8]) -> Result<super::load::Loaded> {
    super::load::load_tolerant(bytes, true)
}

/// A signature field of the final revision and the /ByteRange its value shows there.
#[derive(Debug)]
pub(crate) struct SignatureField {
    /// The field's full name.
    pub name: String,
    /// The signature dictionary's id when indirect.
    pub sig_id: Option<ObjectId>,
    /// The /ByteRange, when it is four non-negative integers.
    pub range: Option<[usize; 4]>,
}

/// The /ByteRange of a signature dictionary.
pub(crate) fn byte_range(sig: &Dictionary) -> Option<[usize; 4]> {
    let r: Option<Vec<usize>> = sig
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .ok()?
        .iter()
        .map(|o| o.as_i64().ok().and_then(|v| usize::try_from(v).ok()))
        .collect();
    <[usize; 4]>::try_from(r?).ok()
}

/// The terminal signature fields that have a value (a signature dictionary), in document order;
/// more than [`MAX_SIGNATURE_FIELDS`] is [`Error::Limit`].
pub(crate) fn signature_fields(doc: &Document) -> Result<Vec<SignatureField>> {
    let mut out = Vec::new();
    for f in walk::fields(doc)? {
        if !f.terminal || !f.is_signature() {
            continue;
        }
        let Some((sig_id, sig)) = f.dict.get(b"V").ok().and_then(|v| dict_of(doc, v)) else { continue };
        if out.len() == MAX_SIGNATURE_FIELDS {
            return Err(Error::Limit(format!("the document has more than {MAX_SIGNATURE_FIELDS} signature fields")));
        }
        out.push(SignatureField { name: f.name, sig_id, range: byte_range(sig) });
    }
    Ok(out)
}

/// The number of end-of-file markers, that is of revisions; more than [`MAX_REVISIONS`] is
/// [`Error::Limit`].
pub(crate) fn count_revisions(pdf: &[u8]) -> Result<usize> {
    let n = pdf.windows(5).filter(|w| w == b"%%EOF").count();
    if n > MAX_REVISIONS {
        return Err(Error::Limit(format!("the document has more than {MAX_REVISIONS} revisions")));
    }
    Ok(n)
}

/// A signature dictionary read from the revision its /ByteRange covers.
#[derive(Debug, Default)]
pub(crate) struct SignatureDict {
    /// The id of the indirect object whose bytes hold /Contents (the dictionary's, or the
    /// field's when the dictionary is direct).
    pub holder: Option<ObjectId>,
    /// /Contents, as parsed.
    pub contents: Option<Vec<u8>>,
    /// /SubFilter.
    pub subfilter: Vec<u8>,
    /// /M, raw.
    pub m: Option<Vec<u8>>,
    /// /Reason, /Location, /Name as text (not yet escaped).
    pub reason: Option<String>,
    /// /Location.
    pub location: Option<String>,
    /// /Name.
    pub name: Option<String>,
    /// The DocMDP transform's /P (§12.8.2.2), 2 when the transform gives none.
    pub docmdp: Option<i64>,
    /// The FieldMDP transform's fields (§12.8.2.4).
    pub lock: Option<Lock>,
}

impl SignatureDict {
    /// What the certification signature's DocMDP permits after this signature.
    pub(crate) fn level(&self) -> Option<Level> {
        self.docmdp.map(Level::from_p)
    }
}

/// The signature dictionary of field `name` in `rev`, or failing that of object `id`, whose
/// /ByteRange is `range`.
pub(crate) fn signature_in_revision(
    rev: &Document,
    name: &str,
    id: Option<ObjectId>,
    range: [usize; 4],
) -> Result<Option<SignatureDict>> {
    for f in walk::fields(rev)? {
        if !f.terminal || !f.is_signature() || f.name != name {
            continue;
        }
        let Some((sig_id, sig)) = f.dict.get(b"V").ok().and_then(|v| dict_of(rev, v)) else { continue };
        if byte_range(sig) == Some(range) {
            let mut out = read(rev, sig, sig_id.or(f.id));
            if out.lock.is_none() {
                out.lock = walk::get_dict(rev, f.dict, b"Lock").and_then(|l| lock(rev, l));
            }
            return Ok(Some(out));
        }
    }
    let by_id = id.and_then(|i| rev.objects.get(&i).map(|o| (i, o)));
    if let Some((i, Object::Dictionary(sig))) = by_id {
        if byte_range(sig) == Some(range) {
            return Ok(Some(read(rev, sig, Some(i))));
        }
    }
    Ok(None)
}

/// A PDF text string (ISO 32000-1 §7.9.2.2): UTF-16BE or UTF-8 with their byte order marks,
/// otherwise PDFDocEncoding (read as Latin-1, which it matches for printable text).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(u16s) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = u16s.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(utf8) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(utf8).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn read(doc: &Document, sig: &Dictionary, holder: Option<ObjectId>) -> SignatureDict {
    let text = |k: &[u8]| sig.get(k).and_then(Object::as_str).ok().map(text_string);
    let mut out = SignatureDict {
        holder,
        contents: sig.get(b"Contents").and_then(Object::as_str).ok().map(<[u8]>::to_vec),
        subfilter: sig.get(b"SubFilter").and_then(Object::as_name).map(<[u8]>::to_vec).unwrap_or_default(),
        m: sig.get(b"M").and_then(Object::as_str).ok().map(<[u8]>::to_vec),
        reason: text(b"Reason"),
        location: text(b"Location"),
        name: text(b"Name"),
        ..Default::default()
    };
    let refs = sig.get(b"Reference").ok().and_then(|r| array_of(doc, r)).map(|(_, a)| a).unwrap_or(&[]);
    for r in refs.iter().take(16) {
        let Some((_, r)) = dict_of(doc, r) else { continue };
        let params = walk::get_dict(doc, r, b"TransformParams");
        match r.get(b"TransformMethod").and_then(Object::as_name) {
            Ok(b"DocMDP") => {
                let p = params.and_then(|p| p.get(b"P").and_then(Object::as_i64).ok()).unwrap_or(2);
                out.docmdp = Some(out.docmdp.map_or(p, |q| q.min(p)));
            }
            Ok(b"FieldMDP") => out.lock = params.and_then(|p| lock(doc, p)),
            _ => {}
        }
    }
    out
}

/// A FieldMDP transform's parameters or a signature field's /Lock (ISO 32000-1 §12.7.4.5,
/// §12.8.2.4): /Action /All, /Include or /Exclude with /Fields.
pub(crate) fn lock(doc: &Document, params: &Dictionary) -> Option<Lock> {
    let names = || -> Vec<String> {
        let list = params.get(b"Fields").ok().and_then(|f| array_of(doc, f)).map(|(_, a)| a).unwrap_or(&[]);
        list.iter().take(10_000).filter_map(|o| o.as_str().ok()).map(text_string).collect()
    };
    match params.get(b"Action").and_then(Object::as_name).ok()? {
        b"All" => Some(Lock::All),
        b"Include" => Some(Lock::Include(names())),
        b"Exclude" => Some(Lock::Exclude(names())),
        _ => None,
    }
}

/// Checks that the gap of `range` is exactly the /Contents hex string of the signature
/// dictionary held by object `holder` in revision `rev`: inside that object's bytes, after the
/// /Contents key, `<` ... `>`, decoding to the parsed /Contents. Returns the decoded value.
pub(crate) fn check_gap(
    pdf: &[u8],
    rev: &Document,
    holder: Option<ObjectId>,
    range: [usize; 4],
    contents: Option<&[u8]>,
) -> std::result::Result<Vec<u8>, &'static str> {
    let [_, b, c, _] = range;
    const NOT_CONTENTS: &str = "the /ByteRange does not leave out exactly the /Contents string of its signature dictionary: the file was modified";
    let gap = pdf.get(b..c).ok_or(NOT_CONTENTS)?;
    let decoded = hex_string(gap).ok_or(NOT_CONTENTS)?;
    if contents != Some(&decoded[..]) || !pdf[..b].trim_ascii_end().ends_with(b"/Contents") {
        return Err(NOT_CONTENTS);
    }
    let id = holder.ok_or(NOT_CONTENTS)?;
    let offset = match rev.reference_table.get(id.0) {
        Some(XrefEntry::Normal { offset, generation }) if *generation == id.1 => *offset as usize,
        _ => return Err(NOT_CONTENTS),
    };
    let head = format!("{} {} obj", id.0, id.1);
    let inside = pdf.get(offset..b).is_some_and(|before| {
        before.trim_ascii_start().starts_with(head.as_bytes()) && !before.windows(6).any(|w| w == b"endobj")
    });
    if !inside {
        return Err(NOT_CONTENTS);
    }
    Ok(decoded)
}

/// Decodes the hex string `<...>` (ISO 32000-1 §7.3.4.3).
pub(crate) fn hex_string(gap: &[u8]) -> Option<Vec<u8>> {
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
