//! Document signatures with the Italian electronic identity card (CIE 3.0): CAdES `.p7m`
//! (ETSI EN 319 122-1, baseline B-B) and PAdES PDF (ETSI EN 319 142-1, baseline B-B) signing,
//! their verification, and the extraction of a `.p7m`'s content.
//!
//! This crate sits above cie-core's [`Session`](cie_core::session::Session), which implements
//! [`Signer`]; the protocol library itself knows nothing of document formats (DESIGN.md §2).
//!
//! ```no_run
//! use cie_core::{session::Session, Transport};
//! use cie_sign::{cades, pades, verify_file, SignOptions, PadesOptions, Silent, Trust};
//!
//! fn sign_and_check<T: Transport>(session: &mut Session<T>) -> cie_sign::Result<()> {
//!     // After session.verify_pin(&pin)?:
//!     // an enveloping CAdES .p7m, the content streamed from disk into the output.
//!     let mut input = std::fs::File::open("domanda.pdf")?;
//!     let mut output = std::fs::File::create("domanda.pdf.p7m")?;
//!     cades::sign_enveloping(session, &SignOptions::default(), &mut input, &mut output, &mut Silent)?;
//!
//!     // A PAdES signature, appended as an incremental update.
//!     let pdf = std::fs::read("modulo.pdf")?;
//!     std::fs::write("modulo-signed.pdf", pades::sign(session, &pdf, &PadesOptions::default())?)?;
//!
//!     // Verification, with the citizen CA as trust anchor.
//!     let mut trust = Trust::none();
//!     trust.add(&std::fs::read("ca.pem")?)?;
//!     let report = verify_file("modulo-signed.pdf".as_ref(), None, &trust, &mut Silent)?;
//!     for s in &report.signatures {
//!         let who = s.signer.as_ref().map(|i| i.name.as_str()).unwrap_or("?");
//!         println!("{who}: {}", if s.is_valid() { "valid" } else { "INVALID" });
//!     }
//!     assert!(report.all_valid());
//!     Ok(())
//! }
//! ```

#![forbid(unsafe_code)]

mod algorithms;
pub mod archive;
mod base64;
mod ber;
mod brainpool;
pub mod cades;
pub mod chain;
pub mod change;
mod crl;
mod digest;
mod envelope;
mod error;
mod ess;
pub mod evidence;
mod http;
pub mod identity;
pub mod nested;
mod ocsp;
pub mod online;
pub mod output;
pub mod pades;
mod pdf;
mod pdf_guard;
pub mod progress;
pub mod qualified;
pub mod reason;
pub mod revocation;
mod revocation_check;
pub mod signed_data;
mod signer;
mod signer_infos;
pub mod timestamp;
pub mod trusted_service;
pub mod tsa;
pub mod tsl;
pub mod verdict;
pub mod verify;
mod xml_c14n;
pub mod xmldsig;

use std::path::Path;

pub use cades::SignOptions;
pub use chain::{Chain, Trust};
pub use change::Modification;
pub use cie_core::sign::HashAlg;
/// The `der` crate, whose types (times, identifiers) the reports carry.
pub use der;
pub use error::{Error, Result};
pub use identity::Identity;
pub use pades::PadesOptions;
pub use progress::{Progress, ProgressReader, Silent};
pub use reason::{Language, Reason};
pub use signer::Signer;
pub use verdict::{Indication, Problem, SubIndication};
pub use verify::{AttributesForm, DocumentKind, Encoding, Report, SignatureReport};

/// An I/O error that names its file.
fn with_path(path: &Path, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Verifies a signed file: a PDF (every signature) or a `.p7m` (every signer); a detached
/// signature needs its content file in `content`. Content given for a `.p7m` that carries its
/// own must be byte for byte that content ([`Error::ContentMismatch`] otherwise). The bytes
/// read, hashed or compared are reported to `progress`.
pub fn verify_file(path: &Path, content: Option<&Path>, trust: &Trust, progress: &mut dyn Progress) -> Result<Report> {
    let open_content = |c: &Path| -> Result<std::io::BufReader<std::fs::File>> {
        Ok(std::io::BufReader::new(std::fs::File::open(c).map_err(|e| with_path(c, e))?))
    };
    let mut file = std::fs::File::open(path).map_err(|e| with_path(path, e))?;
    let mut magic = [0u8; 5];
    let n = std::io::Read::read(&mut file, &mut magic).map_err(|e| with_path(path, e))?;
    if magic[..n].starts_with(&[0x30]) {
        // A DER or BER .p7m: an enveloping one is verified streaming, whatever its size.
        std::io::Seek::rewind(&mut file).map_err(|e| with_path(path, e))?;
        let mut supplied = content.map(open_content).transpose()?;
        let supplied = supplied.as_mut().map(|r| r as &mut dyn std::io::Read);
        match verify::verify_enveloping_file_against(&mut std::io::BufReader::new(file), supplied, trust, progress) {
            Ok(Some(mut report)) => {
                let mut file = std::fs::File::open(path).map_err(|e| with_path(path, e))?;
                nested::add_inner_from_file(&mut report, &mut file, trust)?;
                return Ok(report);
            }
            // Malformed (truncated, unterminated, lengths beyond the file...): not read whole.
            Err(e) => return Err(e),
            // Detached: read it whole below.
            Ok(None) => {}
        }
    }
    // Read whole (a PDF, a detached signature, a Base64 .p7m): the file, then any content.
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(|e| with_path(p, e));
    let content_size = content.map(size).transpose()?.unwrap_or(0);
    progress.total(size(path)?.saturating_add(content_size));
    let mut data = Vec::new();
    let mut file = std::fs::File::open(path).map_err(|e| with_path(path, e))?;
    std::io::Read::read_to_end(&mut ProgressReader::new(&mut file, progress), &mut data)
        .map_err(|e| with_path(path, e))?;
    if data.starts_with(b"%PDF-") {
        return pades::verify_pdf(&data, trust);
    }
    match content {
        Some(c) => nested::verify_p7m(&data, Some(&mut ProgressReader::new(&mut open_content(c)?, progress)), trust),
        None => nested::verify_p7m(&data, None, trust),
    }
}
