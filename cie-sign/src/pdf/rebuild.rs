//! Rebuilding a damaged cross-reference table (ISO 32000-1 §7.5.4, §7.5.8) from the objects in
//! the file, as PDF viewers do (poppler's and pdf.js's reconstruction, pyHanko's non-strict
//! reader): a linear scan finds every `N G obj` header at the start of a line (stream data is
//! skipped to its `endstream`) and every `trailer` dictionary; the last definition of an
//! object in the file is taken, an object inside an object stream counting at the stream's
//! place. [`with_table`] appends a table naming those offsets to a copy of the file, so that
//! lopdf loads it with the same bounds as any file ([`super::load`]); [`finish`] then lets a
//! later object stream win over an earlier plain definition and picks the trailer.

use std::collections::{BTreeMap, HashMap, VecDeque};

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, Object, ObjectId, ObjectStream};

use crate::pdf_guard::MAX_OBJECT_NUMBER;
use crate::{Error, Result};

/// Longest trailer dictionary read (a trailer holds a few references and two identifiers).
const MAX_TRAILER: usize = 64 * 1024;
/// Most trailer dictionaries kept, the last ones of the file.
const MAX_TRAILERS: usize = 64;

/// What the scan of a file found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// For each object number, its last header in the file: (generation, offset).
    pub objects: BTreeMap<u32, (u16, usize)>,
    /// The `trailer` dictionaries: (offset of the keyword, start of `<<`, end after `>>`).
    trailers: Vec<(usize, usize, usize)>,
    /// Objects defined more than once: (number, offset of the last definition but one, offset
    /// of the last); an object inside an object stream counts at the stream's offset.
    pub redefined: Vec<(u32, usize, usize)>,
}

/// Where the rebuilt table takes an object from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A plain object at this offset.
    Plain(usize),
    /// Inside the object stream of this number.
    Stream(u32),
}

/// Scans `pdf` for object headers and trailers, in one pass; the ends of the last
/// [`MAX_TRAILERS`] trailer dictionaries are then found, each within [`MAX_TRAILER`] bytes.
/// Memory: one entry per object number found, whatever the number of definitions.
pub(crate) fn scan(pdf: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut previous: HashMap<u32, usize> = HashMap::new();
    let mut opens: VecDeque<(usize, usize)> = VecDeque::new();
    let mut i = 0;
    while i < pdf.len() {
        let end = pdf[i..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(pdf.len(), |p| i + p);
        let line = &pdf[i..end];
        let lead = line.iter().take_while(|&&b| matches!(b, b' ' | b'\t' | b'\x0c' | 0)).count();
        // An update's first object may follow the previous revision's `%%EOF` on the same line
        // (esig/dss's TEST2_signed_with_zero_policy_hash.pdf): its table points there.
        let (text, at) = match line[lead..].strip_prefix(b"%%EOF") {
            Some(rest) => {
                let sp = rest.iter().take_while(|&&b| matches!(b, b' ' | b'\t' | b'\x0c' | 0)).count();
                (&rest[sp..], i + lead + 5 + sp)
            }
            None => (&line[lead..], i + lead),
        };
        if let Some((num, gen)) = header(text) {
            if let Some((_, earlier)) = out.objects.insert(num, (gen, at)) {
                previous.insert(num, earlier);
            }
        } else if text.starts_with(b"trailer") {
            let after = i + lead + 7;
            let open = pdf.get(after..).and_then(|rest| {
                let ws = rest.iter().take(64).take_while(|b| b.is_ascii_whitespace()).count();
                rest.get(ws..)?.starts_with(b"<<").then_some(after + ws)
            });
            if let Some(open) = open {
                if opens.len() == MAX_TRAILERS {
                    opens.pop_front();
                }
                opens.push_back((i + lead, open));
            }
        }
        let mut next = end;
        if opens_stream(line) {
            // Stream data may hold anything: resume after its `endstream`.
            next = find(pdf, end, b"endstream").map_or(pdf.len(), |p| p + 9);
        }
        i = next + 1;
        if pdf.get(next) == Some(&b'\r') && pdf.get(next + 1) == Some(&b'\n') {
            i += 1;
        }
    }
    out.trailers = opens.into_iter().filter_map(|(k, o)| dict_end(pdf, o).map(|c| (k, o, c))).collect();
    out.redefined = previous.into_iter().filter_map(|(n, p)| Some((n, p, out.objects.get(&n)?.1))).collect();
    out.redefined.sort_unstable();
    out
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// `N G obj` at the start of `text`, `N` within the PDF limit.
pub(crate) fn header(text: &[u8]) -> Option<(u32, u16)> {
    let digits = |t: &[u8]| t.iter().take_while(|b| b.is_ascii_digit()).count();
    let spaces = |t: &[u8]| t.iter().take_while(|&&b| matches!(b, b' ' | b'\t' | 0)).count();
    let n = digits(text);
    if n == 0 || n > 7 {
        return None;
    }
    let rest = &text[n..];
    let s1 = spaces(rest);
    let rest = &rest[s1..];
    let g = digits(rest);
    if s1 == 0 || g == 0 || g > 5 {
        return None;
    }
    let gen_rest = &rest[g..];
    let s2 = spaces(gen_rest);
    let after = gen_rest[s2..].strip_prefix(b"obj")?;
    if s2 == 0 || after.first().is_some_and(|&b| !b.is_ascii_whitespace() && !b"<[(/%".contains(&b)) {
        return None;
    }
    let num: u32 = std::str::from_utf8(&text[..n]).ok()?.parse().ok()?;
    let gen: u16 = std::str::from_utf8(&rest[..g]).ok()?.parse().ok()?;
    (num > 0 && u64::from(num) <= MAX_OBJECT_NUMBER).then_some((num, gen))
}

/// A line that ends with the `stream` keyword (not `endstream`), after a delimiter or a space.
fn opens_stream(line: &[u8]) -> bool {
    let t = line.trim_ascii_end();
    let Some(before) = t.strip_suffix(b"stream") else { return false };
    match before.last() {
        None => true,
        Some(&b) => b.is_ascii_whitespace() || b == b'>',
    }
}

/// The end (after `>>`) of the dictionary opening at `open`, within [`MAX_TRAILER`] bytes.
fn dict_end(pdf: &[u8], open: usize) -> Option<usize> {
    let limit = pdf.len().min(open.saturating_add(MAX_TRAILER));
    let mut depth = 0usize;
    let mut j = open;
    while j < limit {
        match (pdf[j], pdf.get(j + 1)) {
            (b'<', Some(b'<')) => {
                depth += 1;
                j += 2;
            }
            (b'>', Some(b'>')) => {
                depth = depth.checked_sub(1)?;
                j += 2;
                if depth == 0 {
                    return Some(j);
                }
            }
            (b'<', _) => j = find(&pdf[..limit], j, b">")? + 1,
            (b'(', _) => j = crate::pdf_guard::literal_string_end(&pdf[..limit], j),
            (b'%', _) => {
                while j < limit && pdf[j] != b'\n' && pdf[j] != b'\r' {
                    j += 1;
                }
            }
            _ => j += 1,
        }
    }
    None
}

/// A copy of `pdf` followed by each trailer dictionary as an object (numbered after the
/// file's) and a cross-reference table naming every object the scan found, then `startxref`
/// and `%%EOF`: what lopdf loads in place of the damaged file. Also returns the numbers given
/// to the trailers, with the offset of their keyword. Linear in the file's size: one
/// subsection per run of consecutive numbers.
pub(crate) fn with_table(pdf: &[u8], scan: &Scan) -> (Vec<u8>, Vec<(u32, usize)>) {
    let mut out = Vec::with_capacity(pdf.len() + scan.objects.len() * 24 + 1024);
    out.extend_from_slice(pdf);
    out.push(b'\n');
    let mut entries: BTreeMap<u32, (u16, usize)> = scan.objects.clone();
    let mut next = scan.objects.keys().next_back().map_or(1, |&n| n + 1);
    let mut holders = Vec::new();
    for &(keyword, open, close) in &scan.trailers {
        entries.insert(next, (0, out.len()));
        out.extend_from_slice(format!("{next} 0 obj\n").as_bytes());
        out.extend_from_slice(&pdf[open..close]);
        out.extend_from_slice(b"\nendobj\n");
        holders.push((next, keyword));
        next += 1;
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\n");
    let list: Vec<(u32, (u16, usize))> = entries.into_iter().collect();
    for run in list.chunk_by(|a, b| b.0 == a.0 + 1) {
        out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
        for (_, (gen, offset)) in run {
            out.extend_from_slice(format!("{offset:010} {gen:05} n\r\n").as_bytes());
        }
    }
    out.extend_from_slice(format!("trailer\n<< /Size {next} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    (out, holders)
}

/// Completes a document lopdf loaded from [`with_table`]'s copy: an object stream later in
/// the file than an object's plain definition gives that object (and the table says so); the
/// trailer is the last one whose /Root is a dictionary (a `trailer` dictionary or a
/// cross-reference stream's), without its /Prev and /XRefStm, or failing that a /Root naming
/// the last catalogue in the file. Returns where each object was taken from.
/// Object stream members also defined elsewhere are added to `redefined`.
pub(crate) fn finish(
    doc: &mut Document,
    scan: &Scan,
    holders: &[(u32, usize)],
    redefined: &mut Vec<(u32, usize, usize)>,
) -> Result<HashMap<u32, Source>> {
    let mut sources: HashMap<u32, Source> = scan.objects.iter().map(|(&n, &(_, o))| (n, Source::Plain(o))).collect();
    let mut containers: Vec<(usize, ObjectId)> = scan
        .objects
        .iter()
        .filter(
            |(n, (g, _))| matches!(doc.objects.get(&(**n, *g)), Some(Object::Stream(s)) if s.dict.has_type(b"ObjStm")),
        )
        .map(|(&n, &(g, o))| (o, (n, g)))
        .collect();
    containers.sort_unstable();
    let mut member_at: HashMap<u32, usize> = HashMap::new();
    for (pos, id) in containers {
        let Some(Object::Stream(s)) = doc.objects.get(&id) else { continue };
        let Ok(members) = ObjectStream::new(&mut s.clone()) else { continue };
        for ((n, _), obj) in members.objects {
            let plain = scan.objects.get(&n).map(|&(_, o)| o);
            if let Some(other) = plain.or_else(|| member_at.get(&n).copied()) {
                redefined.push((n, other.min(pos), other.max(pos)));
            }
            if plain.is_some_and(|p| p > pos) || member_at.get(&n).is_some_and(|&p| p > pos) || n == id.0 {
                continue;
            }
            if let Some(&(g, _)) = scan.objects.get(&n) {
                doc.objects.remove(&(n, g));
            }
            doc.objects.insert((n, 0), obj);
            doc.reference_table.insert(n, XrefEntry::Compressed { container: id.0, index: 0 });
            sources.insert(n, Source::Stream(id.0));
            member_at.insert(n, pos);
        }
    }

    // Trailer candidates, last in the file first.
    let mut candidates: Vec<(usize, Dictionary)> = Vec::new();
    for &(n, keyword) in holders {
        doc.reference_table.entries.remove(&n);
        if let Some(Object::Dictionary(d)) = doc.objects.remove(&(n, 0)) {
            candidates.push((keyword, d));
        }
    }
    for (&n, &(g, o)) in &scan.objects {
        if let Some(Object::Stream(s)) = doc.objects.get(&(n, g)) {
            if s.dict.has_type(b"XRef") && sources.get(&n) == Some(&Source::Plain(o)) {
                candidates.push((o, s.dict.clone()));
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let is_dict = |doc: &Document, d: &Dictionary| {
        d.get(b"Root").and_then(Object::as_reference).is_ok_and(|r| doc.get_dictionary(r).is_ok())
    };
    let chosen = candidates.into_iter().map(|(_, d)| d).find(|d| is_dict(doc, d));
    let mut trailer = match chosen {
        Some(d) => d,
        None => {
            let catalog = scan
                .objects
                .iter()
                .filter(|(n, (g, _))| doc.get_dictionary((**n, *g)).is_ok_and(|d| d.has_type(b"Catalog")))
                .max_by_key(|(_, (_, o))| *o)
                .map(|(&n, &(g, _))| (n, g))
                .ok_or_else(|| Error::Pdf("no trailer and no document catalogue found".into()))?;
            Dictionary::from_iter(vec![("Root", Object::Reference(catalog))])
        }
    };
    if trailer.has(b"Encrypt") {
        return Err(Error::Unsupported(
            "an encrypted PDF whose cross-reference table is damaged cannot be read".into(),
        ));
    }
    let mut kept = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Some(v) = trailer.remove(key) {
            kept.set(key, v);
        }
    }
    let max = scan.objects.keys().chain(member_at.keys()).max().copied().unwrap_or(0);
    kept.set("Size", i64::from(max) + 1);
    doc.trailer = kept;
    doc.max_id = max;
    doc.reference_table.size = max + 1;
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_lines_and_streams() {
        assert_eq!(header(b"12 0 obj"), Some((12, 0)));
        assert_eq!(header(b"12 3 obj<<"), Some((12, 3)));
        assert_eq!(header(b"12 0 object"), None);
        assert_eq!(header(b"12 0 R"), None);
        assert_eq!(header(b"0 0 obj"), None);
        assert_eq!(header(b"8388608 0 obj"), None);
        let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n2 0 obj<< /Length 9 >>stream\n3 0 obj\nendstream\nendobj\r\n 4 0 obj\r(x)\rendobj\ntrailer\n<< /Root 1 0 R /ID [<ab> <cd>] /X (a>>b) >>\nstartxref\n0\n%%EOF\n";
        let s = scan(pdf);
        assert_eq!(s.objects.keys().copied().collect::<Vec<_>>(), vec![1, 2, 4]);
        assert_eq!(s.objects[&4].1, pdf.windows(7).position(|w| w == b"4 0 obj").unwrap());
        // An update's first object right after the previous `%%EOF`, on its line.
        let glued = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF5 0 obj\r\n<<>>\r\nendobj\r\n";
        let g = scan(glued);
        assert_eq!(g.objects[&5].1, glued.windows(7).position(|w| w == b"5 0 obj").unwrap());
        let (_, open, close) = s.trailers[0];
        assert_eq!(&pdf[open..close], b"<< /Root 1 0 R /ID [<ab> <cd>] /X (a>>b) >>");
    }

    #[test]
    fn unterminated_trailers_and_streams_end() {
        let mut pdf = b"%PDF-1.4\ntrailer\n<< /Root 1 0 R".to_vec();
        pdf.extend(std::iter::repeat_n(b'<', 100_000));
        assert!(scan(&pdf).trailers.is_empty());
        assert!(scan(b"1 0 obj\n<<>>stream\n2 0 obj").objects.len() == 1);
    }
}
