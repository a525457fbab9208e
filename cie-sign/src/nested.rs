//! Signed documents inside an envelope: a `.p7m` whose content is itself a `.p7m` (the Italian
//! "busta nella busta") or a signed PDF. Each inner signature is verified and reported with its
//! level prefixed by `1/` (docs/VERIFY.md "Levels"), to a bounded depth.

use std::io::{Read, Seek, SeekFrom};

use crate::ber::Encoding;
use crate::cades::{encapsulated_content, parse_signed_data};
use crate::chain::Trust;
use crate::change::Modification;
use crate::envelope::Layout;
use crate::reason::Reason;
use crate::verdict::SubIndication;
use crate::verify::{self, Report, SignatureReport};
use crate::{Error, Result};

/// Most envelopes inside one another.
pub const MAX_ENVELOPE_DEPTH: usize = 8;
/// Largest content of a streamed `.p7m` read into memory to look for the signed document
/// inside; a larger content is verified streaming and not searched (a note says so).
pub const MAX_INNER_DOCUMENT: u64 = 256 * 1024 * 1024;

/// Whether content beginning with `head` may be a signed document: a PDF, or DER that may be
/// a CMS ContentInfo.
fn may_be_signed(head: &[u8]) -> bool {
    head.starts_with(b"%PDF-") || head.first() == Some(&0x30)
}

/// Verifies a `.p7m` held in memory as [`verify::verify_p7m`] does, then every signed
/// document inside its content, envelope in envelope.
pub fn verify_p7m(p7m: &[u8], content: Option<&mut dyn Read>, trust: &Trust) -> Result<Report> {
    verify_at(p7m, content, trust, 0)
}

fn verify_at(p7m: &[u8], content: Option<&mut dyn Read>, trust: &Trust, depth: usize) -> Result<Report> {
    let mut report = verify::verify_p7m(p7m, content, trust)?;
    let sd = parse_signed_data(p7m)?;
    if let Some(inner) = encapsulated_content(&sd)? {
        add_inner(&mut report, inner, trust, depth)?;
    }
    Ok(report)
}

/// Adds to `report` (of a streamed enveloping `.p7m`, read from `p7m`) the signatures of the
/// signed document inside its content, when it is one and not larger than
/// [`MAX_INNER_DOCUMENT`].
pub(crate) fn add_inner_from_file<R: Read + Seek>(report: &mut Report, p7m: &mut R, trust: &Trust) -> Result<()> {
    p7m.seek(SeekFrom::Start(0))?;
    let Some(layout) = crate::envelope::layout(p7m)? else { return Ok(()) };
    if !may_be_signed(&content_head(p7m, &layout, 5)?) {
        return Ok(());
    }
    if layout.content_len > MAX_INNER_DOCUMENT {
        for s in &mut report.signatures {
            s.notes.push(Reason::InnerTooLarge(MAX_INNER_DOCUMENT >> 20));
        }
        return Ok(());
    }
    let content = whole_content(p7m, &layout)?;
    add_inner(report, &content, trust, 0)
}

/// The first `n` bytes (fewer if shorter) of an enveloping `.p7m`'s content, DER or BER:
/// the walk over the content's chunks stops as soon as it has them.
fn content_head<R: Read + Seek>(p7m: &mut R, layout: &Layout, n: usize) -> Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    let walked = crate::envelope::walk_content(p7m, layout, &mut |chunk| {
        let take = chunk.len().min(n - head.len());
        head.extend_from_slice(&chunk[..take]);
        if head.len() == n {
            Err(Error::Limit(HEAD_READ.into()))
        } else {
            Ok(())
        }
    });
    match walked {
        Ok(()) => Ok(head),
        Err(Error::Limit(why)) if why == HEAD_READ && head.len() == n => Ok(head),
        Err(e) => Err(e),
    }
}

/// The marker [`content_head`] stops its walk with.
const HEAD_READ: &str = "the content's first bytes are read";

/// The whole content of an enveloping `.p7m`, DER or BER (its chunks joined), read into memory:
/// callers bound it by [`MAX_INNER_DOCUMENT`] first.
fn whole_content<R: Read + Seek>(p7m: &mut R, layout: &Layout) -> Result<Vec<u8>> {
    let mut content =
        Vec::with_capacity(usize::try_from(layout.content_len).map_err(|_| Error::Limit("content".into()))?);
    crate::envelope::copy_content(p7m, layout, &mut content, &mut |_| {})?;
    Ok(content)
}

/// Adds to `report` the signatures of `content` when it is a signed document: a CMS
/// SignedData (an envelope inside the envelope at `depth`) or a PDF with signatures; their
/// levels get the prefix `1/`, and a PDF's modifications after signing become the document's.
fn add_inner(report: &mut Report, content: &[u8], trust: &Trust, depth: usize) -> Result<()> {
    if !may_be_signed(content) {
        return Ok(());
    }
    let inner = if content.starts_with(b"%PDF-") {
        match crate::pades::verify_pdf(content, trust) {
            Ok(r) => r,
            Err(e @ Error::Limit(_)) => return Err(e),
            Err(e) => {
                // A PDF that cannot be read: the envelope's signatures still hold for its bytes.
                for s in &mut report.signatures {
                    s.notes.push(Reason::InnerPdfUnreadable(e.to_string()));
                }
                return Ok(());
            }
        }
    } else {
        if parse_signed_data(content).is_err() {
            // DER, but not a CMS signature: an ordinary content.
            return Ok(());
        }
        if depth + 1 >= MAX_ENVELOPE_DEPTH {
            return Err(Error::Limit(format!("envelopes are nested more than {MAX_ENVELOPE_DEPTH} deep")));
        }
        match verify_at(content, None, trust, depth + 1) {
            Ok(r) => r,
            Err(e @ Error::Limit(_)) => return Err(e),
            Err(e) => {
                let p =
                    crate::Problem::new(SubIndication::FormatFailure, Reason::InnerEnvelopeUnreadable(e.to_string()));
                let mut unreadable = SignatureReport::unreadable(None, p);
                unreadable.level = "1".into();
                Report::new(crate::DocumentKind::Enveloping, vec![unreadable])
            }
        }
    };
    let total = report.signatures.len() + inner.signatures.len();
    if total > verify::MAX_REPORTED_SIGNATURES {
        return Err(Error::Limit(format!(
            "the document has more than {} signatures in its envelopes",
            verify::MAX_REPORTED_SIGNATURES
        )));
    }
    for mut s in inner.signatures {
        s.level = format!("1/{}", s.level);
        report.signatures.push(s);
    }
    report.modifications.extend(inner.modifications.into_iter().map(|m| Modification { inside_envelope: true, ..m }));
    Ok(())
}

/// The content at envelope `level` (1: the file's own; `None`: the innermost) of the `.p7m`
/// `data` (DER or BER), and the level reached; `depth` envelopes are around `data`.
fn find_level(data: &[u8], level: Option<usize>, depth: usize) -> Result<(Vec<u8>, usize)> {
    let mut cursor = std::io::Cursor::new(data);
    let layout = crate::envelope::layout(&mut cursor)?
        .ok_or_else(|| Error::Unsupported("a detached signature: the content is in a separate file".into()))?;
    let content = whole_content(&mut cursor, &layout)?;
    let here = depth + 1;
    if level == Some(here) {
        return Ok((content, here));
    }
    let inner_is_envelope = content.first() == Some(&0x30)
        && parse_signed_data(&content).is_ok_and(|sd| sd.encap_content_info.econtent.is_some());
    if !inner_is_envelope {
        return match level {
            Some(wanted) => Err(Error::Unsupported(format!(
                "level {wanted} asked for, but the file has {here} envelope{}",
                if here == 1 { "" } else { "s" }
            ))),
            None => Ok((content, here)),
        };
    }
    if here >= MAX_ENVELOPE_DEPTH {
        return Err(Error::Limit(format!("envelopes are nested more than {MAX_ENVELOPE_DEPTH} deep")));
    }
    find_level(&content, level, here)
}

/// Writes the content of a `.p7m` at envelope `level` to `out` without checking signatures:
/// `Some(1)` the file's own content, `Some(n)` that of the n-th envelope from the outside,
/// `None` the innermost (the content of the last `.p7m` inside a `.p7m`). The file's own
/// content is streamed whatever its size; one holding an envelope is read into memory when it
/// is at most [`MAX_INNER_DOCUMENT`]. Returns the length written, the level reached and how the
/// file is encoded.
pub fn extract_level_to<R: Read + Seek>(
    p7m: &mut R,
    level: Option<usize>,
    out: &mut dyn std::io::Write,
    progress: &mut dyn crate::Progress,
) -> Result<(u64, usize, Encoding)> {
    if level == Some(0) {
        return Err(Error::Unsupported("levels start at 1".into()));
    }
    let start = p7m.stream_position()?;
    let layout = crate::envelope::layout(p7m)?
        .ok_or_else(|| Error::Unsupported("a detached signature: the content is in a separate file".into()))?;
    let head = content_head(p7m, &layout, 1)?;
    let may_nest = level != Some(1) && head.first() == Some(&0x30) && layout.content_len <= MAX_INNER_DOCUMENT;
    if may_nest {
        let content = whole_content(p7m, &layout)?;
        let nested = parse_signed_data(&content).is_ok_and(|sd| sd.encap_content_info.econtent.is_some());
        if nested {
            let (inner, reached) = find_level(&content, level, 1)?;
            progress.total(inner.len() as u64);
            out.write_all(&inner)?;
            progress.advance(inner.len() as u64);
            return Ok((inner.len() as u64, reached, layout.encoding));
        }
    }
    if let Some(wanted) = level.filter(|&l| l > 1) {
        return Err(Error::Unsupported(format!("level {wanted} asked for, but the file has 1 envelope")));
    }
    p7m.seek(SeekFrom::Start(start))?;
    let (length, encoding) = crate::cades::extract_encoded(p7m, out, progress)?;
    Ok((length, 1, encoding))
}

/// As [`extract_level_to`] for a `.p7m` in memory, DER or Base64.
pub fn extract_level(p7m: &[u8], level: Option<usize>, out: &mut dyn std::io::Write) -> Result<(u64, usize, Encoding)> {
    let der = crate::base64::der_or_base64(p7m);
    extract_level_to(&mut std::io::Cursor::new(der.as_ref()), level, out, &mut crate::Silent)
}
