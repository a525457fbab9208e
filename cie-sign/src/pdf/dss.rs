//! A PDF's document security store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): the
//! catalog's /DSS dictionary, whose /CRLs, /OCSPs and /Certs arrays hold streams of DER CRLs,
//! OCSP responses and certificates, which PAdES-LT and LTA files add for validation. Read
//! within bounds: at most [`MAX_ENTRIES`] streams per array, each at most [`MAX_STREAM`] bytes
//! once decoded (no filter, or FlateDecode; other filters are skipped), [`MAX_TOTAL`] in all.

use std::io::Read;

use lopdf::{Document, Object};

use crate::pdf::walk;

/// Most streams read from each array of the store.
pub(crate) const MAX_ENTRIES: usize = 256;
/// Most bytes one stream of the store may decode to.
pub(crate) const MAX_STREAM: usize = 16 << 20;
/// Most bytes the store's streams may decode to in all.
pub(crate) const MAX_TOTAL: usize = 64 << 20;

/// The contents of a document security store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dss {
    /// CRLs (DER).
    pub(crate) crls: Vec<Vec<u8>>,
    /// OCSP responses (DER).
    pub(crate) ocsps: Vec<Vec<u8>>,
    /// Certificates (DER).
    pub(crate) certs: Vec<Vec<u8>>,
    /// What could not be read, in words.
    pub(crate) skipped: Vec<String>,
}

/// Whether `doc`'s catalog has a /DSS dictionary.
pub(crate) fn present(doc: &Document) -> bool {
    walk::catalog(doc).and_then(|(_, catalog)| walk::get_dict(doc, catalog, b"DSS")).is_some()
}

/// The document security store of `doc` (empty when it has none), `doc` loaded with its
/// streams' bytes.
pub(crate) fn read(doc: &Document) -> Dss {
    let mut dss = Dss::default();
    let Some((_, catalog)) = walk::catalog(doc) else { return dss };
    let Some(store) = walk::get_dict(doc, catalog, b"DSS") else { return dss };
    let mut total = 0usize;
    for (key, list) in [(&b"CRLs"[..], 0), (b"OCSPs", 1), (b"Certs", 2)] {
        let Ok(obj) = store.get(key) else { continue };
        let Some((_, items)) = walk::array_of(doc, obj) else { continue };
        for item in items.iter().take(MAX_ENTRIES) {
            match stream_bytes(doc, item, MAX_STREAM.min(MAX_TOTAL - total)) {
                Ok(bytes) => {
                    total += bytes.len();
                    match list {
                        0 => dss.crls.push(bytes),
                        1 => dss.ocsps.push(bytes),
                        _ => dss.certs.push(bytes),
                    }
                }
                Err(why) => dss.skipped.push(format!("/DSS /{}: {why}", String::from_utf8_lossy(key))),
            }
        }
    }
    dss
}

/// The decoded bytes of the stream `obj` refers to, at most `max`.
fn stream_bytes(doc: &Document, obj: &Object, max: usize) -> Result<Vec<u8>, String> {
    let stream = match walk::resolve(doc, obj) {
        Some((_, Object::Stream(s))) => s,
        _ => return Err("an entry is not a stream".into()),
    };
    let filters = match stream.dict.get(b"Filter") {
        Err(_) => Vec::new(),
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec)).collect(),
        Ok(_) => return Err("a stream's /Filter is malformed".into()),
    };
    let out = match filters.as_slice() {
        [] => stream.content.clone(),
        [f] if f == b"FlateDecode" => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(stream.content.as_slice())
                .take(max as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("a stream cannot be inflated: {e}"))?;
            out
        }
        _ => return Err("a stream's filter is not supported here (only FlateDecode)".into()),
    };
    if out.len() > max {
        return Err(format!("a stream is larger than {max} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{dictionary, Stream};
    use std::io::Write;

    #[test]
    fn store_streams_are_read_within_bounds() {
        let mut doc = Document::with_version("1.7");
        let plain = doc.add_object(Stream::new(dictionary! {}, vec![0x30, 0x00]));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&[0x30, 0x03, 0x02, 0x01, 0x05]).unwrap();
        let inflated = doc.add_object(Stream::new(dictionary! { "Filter" => "FlateDecode" }, z.finish().unwrap()));
        // 17 MiB of zeros in 17 KiB: refused once MAX_STREAM bytes are out.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; MAX_STREAM + (1 << 20)]).unwrap();
        let bomb = doc.add_object(Stream::new(dictionary! { "Filter" => "FlateDecode" }, z.finish().unwrap()));
        let other = doc.add_object(Stream::new(dictionary! { "Filter" => "LZWDecode" }, vec![1, 2, 3]));
        let not_a_stream = doc.add_object(Object::Integer(7));
        let dss = doc.add_object(dictionary! {
            "OCSPs" => vec![plain.into(), bomb.into(), not_a_stream.into()],
            "CRLs" => vec![inflated.into(), other.into()],
        });
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "DSS" => dss });
        doc.trailer.set("Root", catalog);
        assert!(present(&doc));
        let read = read(&doc);
        assert_eq!(read.ocsps, vec![vec![0x30, 0x00]]);
        assert_eq!(read.crls, vec![vec![0x30, 0x03, 0x02, 0x01, 0x05]]);
        assert_eq!(read.skipped.len(), 3, "{:?}", read.skipped);
        assert!(read.skipped.iter().any(|s| s.contains("larger than")));
        assert!(!present(&Document::with_version("1.7")));
    }
}
