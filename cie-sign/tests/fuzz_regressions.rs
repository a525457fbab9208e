//! Inputs found by the document fuzz targets (fuzz/README.md, "Findings"), kept as tests: each
//! used to panic (with overflow checks, as fuzz and debug builds run) or corrupt the output.

use cie_sign::pades::{self, PadesOptions};
use cie_sign::{Error, Trust};

/// A one-page PDF whose trailer says `/Size {size}` and whose cross-reference table has the
/// extra subsection `extra` (hand-written bytes, offsets exact).
fn pdf(size: &str, extra: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(extra.replace("OFFSET", &format!("{:010}", offsets[2])).as_bytes());
    out.extend_from_slice(format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

fn options() -> PadesOptions {
    PadesOptions { reserve: 64, ..PadesOptions::default() }
}

#[test]
fn the_unmodified_pdf_prepares() {
    let prepared = pades::prepare(&pdf("4", ""), &options()).unwrap();
    assert!(prepared.capacity() >= 64);
}

/// `/Size 4294967296`: prepare numbered its objects after `u32::MAX` (lopdf's
/// `Document::add_object`: `max_id += 1` overflowed).
#[test]
fn a_trailer_size_of_2_pow_32_is_refused_not_a_panic() {
    let e = pades::prepare(&pdf("4294967296", ""), &options()).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e}");
    assert!(matches!(pades::verify_pdf(&pdf("4294967296", ""), &Trust::none()), Err(Error::Limit(_))));
}

/// A cross-reference subsection for object 4294967294: lopdf's highest object number, then
/// prepare's second new object, overflowed the same way.
#[test]
fn an_object_number_near_u32_max_is_refused_not_a_panic() {
    let bytes = pdf("4", "4294967294 1\nOFFSET 00000 n \n");
    let e = pades::prepare(&bytes, &options()).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e}");
}

/// An object stream whose Flate data decodes to 65 MiB from a 65 KB file: lopdf decoded it
/// while loading, with no limit (300 KB held 400 MB); now refused before lopdf runs.
#[test]
fn an_object_stream_decompression_bomb_is_refused() {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(b"5 0 ").unwrap();
    z.write_all(&vec![b' '; 65 << 20]).unwrap();
    let data = z.finish().unwrap();
    let mut bytes = pdf("5", "");
    let at = bytes.windows(4).position(|w| w == b"xref").unwrap();
    let stream = [
        format!("4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", data.len())
            .as_bytes(),
        &data,
        b"\nendstream\nendobj\n",
    ]
    .concat();
    bytes.splice(at..at, stream);
    let e = pades::verify_pdf(&bytes, &Trust::none()).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e}");
}

/// The guard refuses none of the real PDFs among the fuzz seeds (pyHanko's, qpdf's, ours).
#[test]
fn the_guard_lets_real_pdfs_through() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/pdf_verify");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !["pyhanko_", "qpdf_", "cie_"].iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let pdf = &data[1..]; // after the target's mode byte
        if let Err(e @ Error::Limit(_)) = pades::verify_pdf(pdf, &Trust::none()) {
            panic!("{name}: {e}");
        }
        if let Err(e @ Error::Limit(_)) = pades::prepare(pdf, &options()) {
            panic!("{name}: {e}");
        }
        seen += 1;
    }
    assert!(seen >= 10, "{seen} seeds");
}
