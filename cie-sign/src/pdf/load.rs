//! Loading a PDF with lopdf within bounds (ISO 32000-1 §7.5.7 object streams, §7.5.4 the
//! cross-reference table): lopdf parses every object the cross-reference sections name and
//! inflates every object stream, so a small hostile file could make it parse one large object
//! once per entry naming its offset, or inflate a small stream into gigabytes. Each object lopdf
//! parses passes through a filter that counts its nodes against a budget proportional to the
//! input, and an object stream is inflated here first, counting bytes without keeping them,
//! against [`MAX_INFLATED`]; past either bound the load stops with [`Error::Limit`].

use std::cell::Cell;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};

use cie_core::sign::HashAlg;
use lopdf::xref::XrefEntry;
use lopdf::{Document, LoadOptions, Object, ObjectId};

use super::rebuild::{self, Source};
use crate::{Error, Result};

/// Most bytes all the object streams of a file may inflate to (or twice the file's size, when
/// larger).
pub const MAX_INFLATED: usize = 64 << 20;
/// Nodes (objects, array items, dictionary values) lopdf may build per input byte (of the file
/// and of its inflated object streams), plus a fixed allowance: a well-formed file describes
/// fewer nodes than it has bytes.
const NODES_PER_BYTE: usize = 2;
const NODES_ALLOWANCE: usize = 1_000_000;

#[derive(Clone, Copy)]
struct Bounds {
    nodes: usize,
    inflated: usize,
    digest: bool,
}

thread_local! {
    static BOUNDS: Cell<Option<Bounds>> = const { Cell::new(None) };
}

/// The payload that stops a load past its bounds (never shown: caught in [`load`]).
struct Exceeded(&'static str);

/// Loads `bytes` within bounds, as its cross-reference table says; with `digest_streams`,
/// every stream's bytes (object streams excepted, and streams whose length the loader
/// completes later) are replaced by their SHA-256 digest, which keeps comparisons of streams
/// exact and memory small.
pub(crate) fn load(bytes: &[u8], digest_streams: bool) -> Result<Document> {
    bounded(bytes.len(), digest_streams, || Ok(Document::load_mem_with_options(bytes, options())?))
}

/// A document loaded by [`load_tolerant`], and whether its table had to be rebuilt.
pub(crate) struct Loaded {
    /// The document.
    pub doc: Document,
    /// The cross-reference table was damaged and rebuilt from the objects in the file.
    pub rebuilt: bool,
    /// When read from a scan: the objects the file defines more than once (number, offsets
    /// of two definitions), between which only a table could choose.
    pub redefined: Vec<(u32, usize, usize)>,
}

/// Loads `bytes` as [`load`] does, but when the cross-reference table cannot be read or does
/// not lead to the objects it names (a wrong `startxref`, offsets shifted by bytes added or
/// removed, a missing table), or the file is a hybrid-reference one (a `/XRefStm` that lopdf
/// reads only in part), rebuilds it from the objects in the file ([`super::rebuild`]) within
/// the same bounds. The file is refused when the entries of its table that do lead to their
/// object name another definition than the rebuilt table (two readings of one file), and when
/// no table can be read at all but objects come from object streams.
pub(crate) fn load_tolerant(bytes: &[u8], digest_streams: bool) -> Result<Loaded> {
    let first = load(bytes, digest_streams);
    let hybrid = bytes.windows(8).any(|w| w == b"/XRefStm");
    let table = match first {
        Err(e @ Error::Limit(_)) => return Err(e),
        Ok(doc) if !hybrid && intact(bytes, &doc) => return Ok(Loaded { doc, rebuilt: false, redefined: Vec::new() }),
        other => other,
    };
    let damaged = !matches!(&table, Ok(doc) if intact(bytes, doc));
    // What the table says of the objects it does lead to; the document itself is dropped
    // before the second reading, so that two are never held at once.
    let (claims, first_error) = match table {
        Ok(doc) => (Some(claims(bytes, &doc)), None),
        Err(e) => (None, Some(e)),
    };
    let scan = rebuild::scan(bytes);
    let mut redefined = scan.redefined.clone();
    let rebuilt = bounded(bytes.len(), digest_streams, || {
        if scan.objects.is_empty() {
            return Err(Error::Pdf("no object found".into()));
        }
        let (copy, holders) = rebuild::with_table(bytes, &scan);
        let mut doc = Document::load_mem_with_options(&copy, options())?;
        let sources = rebuild::finish(&mut doc, &scan, &holders, &mut redefined)?;
        Ok((doc, sources))
    });
    let (doc, sources) = match rebuilt {
        Ok(r) => r,
        Err(e @ Error::Limit(_)) => return Err(e),
        Err(e) => {
            return match first_error {
                None => Ok(Loaded { doc: load(bytes, digest_streams)?, rebuilt: false, redefined: Vec::new() }),
                Some(first) => {
                    let first = if let Error::Pdf(m) = first { m } else { first.to_string() };
                    Err(Error::Pdf(format!("{first}; the cross-reference table could not be rebuilt either: {e}")))
                }
            };
        }
    };
    if first_error.is_some() && sources.values().any(|s| matches!(s, Source::Stream(_))) {
        return Err(Error::Pdf(
            "the cross-reference table cannot be read, and without it the order between the file's object streams \
             and its other objects is a guess: refused (poppler and pyHanko do not read such files either)"
                .into(),
        ));
    }
    let two_ways = claims.iter().flatten().find(|(n, source)| sources.get(n) != Some(source));
    if let Some((n, _)) = two_ways {
        return Err(Error::Pdf(format!(
            "object {n} is one object for the cross-reference table and another for the objects in the file: \
             the file can be read in two ways, refused"
        )));
    }
    Ok(Loaded { doc, rebuilt: damaged, redefined })
}

/// Every normal entry of the table leads to its object (its offset holds that object's header,
/// and lopdf read it), and every compressed entry gave its object.
/// The encryption dictionary, which lopdf takes out of the objects (and its reference out of
/// the trailer) once it has decrypted the file, only has to be where its entry says: in a file
/// that was encrypted, one entry may lead to an object lopdf no longer holds.
fn intact(bytes: &[u8], doc: &Document) -> bool {
    let mut dropped = 0;
    let all = doc.reference_table.entries.iter().all(|(&n, e)| match *e {
        XrefEntry::Normal { offset, generation } => {
            if at_offset(bytes, offset, (n, generation)).is_none() {
                return false;
            }
            if !doc.objects.contains_key(&(n, generation)) {
                dropped += 1;
            }
            true
        }
        XrefEntry::Compressed { .. } => doc.objects.contains_key(&(n, 0)),
        _ => true,
    });
    all && (dropped == 0 || (dropped == 1 && doc.was_encrypted()))
}

/// Where the header of object `id` starts when `offset` (whitespace skipped) holds it.
fn at_offset(bytes: &[u8], offset: u32, id: ObjectId) -> Option<usize> {
    let start = usize::try_from(offset).ok()?;
    let at = bytes.get(start..)?;
    let skip = at.iter().take_while(|b| b.is_ascii_whitespace()).count();
    // A header is short: its first bytes are enough (and keep this constant per entry).
    let head = &at[skip..at.len().min(skip + 32)];
    (rebuild::header(head) == Some(id)).then_some(start + skip)
}

/// The objects whose table entry leads to them (a normal entry whose offset holds their very
/// header, or a compressed entry lopdf read), with where the table takes them from.
fn claims(bytes: &[u8], table: &Document) -> Vec<(u32, Source)> {
    let claim = |(&n, e): (&u32, &XrefEntry)| match *e {
        XrefEntry::Normal { offset, generation } => {
            at_offset(bytes, offset, (n, generation)).map(|at| (n, Source::Plain(at)))
        }
        XrefEntry::Compressed { container, .. } => {
            table.objects.contains_key(&(n, 0)).then_some((n, Source::Stream(container)))
        }
        _ => None,
    };
    table.reference_table.entries.iter().filter_map(claim).collect()
}

fn options() -> LoadOptions {
    LoadOptions { filter: Some(filter), ..Default::default() }
}

/// Runs `load` with the node and inflation budgets of an input of `len` bytes.
fn bounded<T>(len: usize, digest: bool, load: impl FnOnce() -> Result<T>) -> Result<T> {
    let bounds = Bounds {
        nodes: len.saturating_mul(NODES_PER_BYTE).saturating_add(NODES_ALLOWANCE),
        inflated: MAX_INFLATED.max(len.saturating_mul(2)),
        digest,
    };
    let before = BOUNDS.with(|b| b.replace(Some(bounds)));
    let loaded = panic::catch_unwind(AssertUnwindSafe(load));
    BOUNDS.with(|b| b.set(before));
    match loaded {
        Ok(r) => r,
        Err(payload) => match payload.downcast::<Exceeded>() {
            Ok(e) => Err(Error::Limit(e.0.into())),
            Err(other) => panic::resume_unwind(other),
        },
    }
}

/// Stops the load (without running the panic hook: nothing is printed).
fn stop(why: &'static str) -> ! {
    panic::resume_unwind(Box::new(Exceeded(why)))
}

fn filter(id: ObjectId, obj: &mut Object) -> Option<(ObjectId, Object)> {
    let Some(mut b) = BOUNDS.with(Cell::get) else { return Some((id, obj.clone())) };
    b.nodes = b.nodes.checked_sub(nodes(obj)).unwrap_or_else(|| {
        stop("the document's objects are larger than its size allows (objects parsed more than once)")
    });
    if let Object::Stream(s) = obj {
        if s.dict.has_type(b"ObjStm") {
            let inflated = inflated_size(&s.dict, &s.content, b.inflated)
                .unwrap_or_else(|| stop("an object stream inflates beyond the bound on object streams"));
            b.inflated -= inflated;
            b.nodes = b.nodes.saturating_add(inflated.saturating_mul(NODES_PER_BYTE));
        } else if b.digest && !s.content.is_empty() {
            s.content = HashAlg::Sha256.hash(&s.content);
        }
    }
    BOUNDS.with(|c| c.set(Some(b)));
    Some((id, obj.clone()))
}

/// The nodes of an object, counted without recursion.
fn nodes(obj: &Object) -> usize {
    let mut n = 0;
    let mut stack = vec![obj];
    while let Some(o) = stack.pop() {
        n += 1;
        match o {
            Object::Array(a) => stack.extend(a.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    n
}

/// The inflated size of an object stream's bytes when at most `left`; `None` past it, or for
/// a filter other than none or one /FlateDecode (what writers use for object streams).
fn inflated_size(dict: &lopdf::Dictionary, content: &[u8], left: usize) -> Option<usize> {
    let filters: Vec<&[u8]> = match dict.get(b"Filter") {
        Err(_) => Vec::new(),
        Ok(Object::Name(n)) => vec![n.as_slice()],
        Ok(Object::Array(a)) => a.iter().filter_map(|f| f.as_name().ok()).collect(),
        Ok(_) => return None,
    };
    match filters.as_slice() {
        [] => (content.len() <= left).then_some(content.len()),
        [b"FlateDecode"] => {
            let limit = u64::try_from(left).ok()?.saturating_add(1);
            let mut inflater = flate2::read::ZlibDecoder::new(content).take(limit);
            let n = std::io::copy(&mut inflater, &mut std::io::sink()).ok()?;
            usize::try_from(n).ok().filter(|&n| n <= left)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflation_is_bounded() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b' '; 1 << 20]).unwrap();
        let bomb = z.finish().unwrap();
        let mut dict = lopdf::Dictionary::new();
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        assert_eq!(inflated_size(&dict, &bomb, 1 << 20), Some(1 << 20));
        assert_eq!(inflated_size(&dict, &bomb, (1 << 20) - 1), None);
        dict.set("Filter", Object::Name(b"LZWDecode".to_vec()));
        assert_eq!(inflated_size(&dict, &bomb, 1 << 30), None);
    }
}
