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
use lopdf::{Document, LoadOptions, Object, ObjectId};

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

/// Loads `bytes` within bounds; with `digest_streams`, every stream's bytes (object streams
/// excepted, and streams whose length the loader completes later) are replaced by their
/// SHA-256 digest, which keeps comparisons of streams exact and memory small.
pub(crate) fn load(bytes: &[u8], digest_streams: bool) -> Result<Document> {
    let bounds = Bounds {
        nodes: bytes.len().saturating_mul(NODES_PER_BYTE).saturating_add(NODES_ALLOWANCE),
        inflated: MAX_INFLATED.max(bytes.len().saturating_mul(2)),
        digest: digest_streams,
    };
    let before = BOUNDS.with(|b| b.replace(Some(bounds)));
    let options = LoadOptions { filter: Some(filter), ..Default::default() };
    let loaded = panic::catch_unwind(AssertUnwindSafe(|| Document::load_mem_with_options(bytes, options)));
    BOUNDS.with(|b| b.set(before));
    match loaded {
        Ok(doc) => Ok(doc?),
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
