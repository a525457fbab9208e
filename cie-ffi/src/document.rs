//! Document signatures through cie-sign: CAdES (`.p7m`, detached) and PAdES (PDF) signing with
//! the card, verification with an opaque report, and extraction of a `.p7m`'s content. No
//! format logic here: each function checks its arguments and calls cie-sign.

use std::ffi::{c_char, c_int};
use std::path::Path;

use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::{Chain, Report, Trust};

use crate::args;
use crate::card::{cie_card, on_card};
use crate::sign::{cie_hash, hash_alg};
use crate::status::{cie_status, guard, FfiError, CIE_ERR_DOCUMENT};

/// A document signature format for `cie_card_sign_file` and `cie_card_sign_buffer`.
pub type cie_format = c_int;

/// CAdES-BES enveloping: a `.p7m` with the content inside (ETSI EN 319 122-1 B-B).
pub const CIE_FORMAT_CADES: cie_format = 1;
/// CAdES-BES detached: the signature alone (`.p7s`).
pub const CIE_FORMAT_CADES_DETACHED: cie_format = 2;
/// PAdES B-B: the PDF with a signature appended as an incremental update (ETSI EN 319 142-1).
pub const CIE_FORMAT_PADES: cie_format = 3;

/// The certificate-path verdict of one signature in a `cie_report`.
pub type cie_chain = c_int;

/// No trust anchor was given: who issued the certificate was not checked.
pub const CIE_CHAIN_NOT_CHECKED: cie_chain = 0;
/// The certificate chains to one of the given CA certificates.
pub const CIE_CHAIN_TRUSTED: cie_chain = 1;
/// It does not (see `cie_report_problems`).
pub const CIE_CHAIN_UNTRUSTED: cie_chain = 2;

/// The result of `cie_verify_file` or `cie_verify_buffer`: one entry per signature.
pub struct cie_report {
    report: Report,
}

impl From<cie_sign::Error> for FfiError {
    fn from(e: cie_sign::Error) -> FfiError {
        match e {
            cie_sign::Error::Card(e) => e.into(),
            cie_sign::Error::Io(e) => FfiError::new(CIE_ERR_DOCUMENT, format!("file: {e}")),
            other => FfiError::new(CIE_ERR_DOCUMENT, other.to_string()),
        }
    }
}

fn format_of(format: cie_format) -> Result<cie_format, FfiError> {
    match format {
        CIE_FORMAT_CADES | CIE_FORMAT_CADES_DETACHED | CIE_FORMAT_PADES => Ok(format),
        other => Err(FfiError::bad_argument(format!("unknown document format {other}"))),
    }
}

fn io(path: &str) -> impl Fn(std::io::Error) -> FfiError + '_ {
    move |e| FfiError::new(CIE_ERR_DOCUMENT, format!("{path}: {e}"))
}

/// Signs the file `input_path` into `output_path` in `format` with `hash`. A CAdES enveloping
/// signature is streamed (the input is read twice, never held in memory: any size up to 4 GiB);
/// PAdES appends to a copy of the PDF, so earlier signatures stay valid. Needs the PIN
/// (`CIE_ERR_LOGIN_REQUIRED`); an unreadable input or a PDF that cannot be signed fails with
/// `CIE_ERR_DOCUMENT` before the card is used. The output is written to a temporary file
/// renamed into place, so a failure leaves no partial output.
///
/// # Safety
/// `card` is a live handle; `input_path` and `output_path` are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn cie_card_sign_file(
    card: *mut cie_card,
    format: cie_format,
    hash: cie_hash,
    input_path: *const c_char,
    output_path: *const c_char,
) -> cie_status {
    guard(|| {
        let format = format_of(format)?;
        let alg = hash_alg(hash)?;
        // SAFETY: forwarded contract.
        let (input, output) =
            unsafe { (args::string(input_path, "input_path")?, args::string(output_path, "output_path")?) };
        if input == output {
            return Err(FfiError::bad_argument("the output must be another file than the input"));
        }
        let mut content = std::io::BufReader::new(std::fs::File::open(input).map_err(io(input))?);
        let prepared = match format {
            CIE_FORMAT_PADES => {
                let pdf = std::fs::read(input).map_err(io(input))?;
                Some(pades::prepare(&pdf, &PadesOptions { hash: alg, ..PadesOptions::default() })?)
            }
            _ => None,
        };
        let tmp = format!("{output}.cie-{}.tmp", std::process::id());
        // SAFETY: forwarded contract.
        let result = unsafe {
            on_card(card, |c| {
                if !c.session.is_logged_in() {
                    return Err(cie_core::Error::LoginRequired.into());
                }
                let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io(output))?);
                let options = SignOptions { hash: alg, signing_time: None };
                let signed = match (format, prepared) {
                    (CIE_FORMAT_PADES, Some(p)) => {
                        let cms = cades::sign_digest_detached(&mut c.session, alg, &p.digest(alg), None)?;
                        p.finish(&cms)?
                    }
                    (CIE_FORMAT_CADES_DETACHED, _) => cades::sign_detached(&mut c.session, &options, &mut content)?,
                    _ => {
                        cades::sign_enveloping(&mut c.session, &options, &mut content, &mut out)?;
                        Vec::new()
                    }
                };
                use std::io::Write;
                out.write_all(&signed).and_then(|()| out.flush()).map_err(io(output))?;
                Ok(())
            })
        };
        match result {
            Ok(()) => std::fs::rename(&tmp, output).map_err(io(output)),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    })
}

/// Signs `data` in `format` with `hash` into the caller's buffer `out`. The exact size is only
/// known after signing, so with `out` NULL `*out_len` receives an upper bound (nothing is
/// signed); on success `*out_len` is the size written. For `CIE_FORMAT_PADES`, `data` is a PDF.
/// Needs the PIN. Memory: the whole output is built in memory (use `cie_card_sign_file` for
/// large files).
///
/// # Safety
/// `card` is a live handle; `data` has `data_len` readable bytes; `out_len` is writable; `out`
/// is NULL or has `*out_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_sign_buffer(
    card: *mut cie_card,
    format: cie_format,
    hash: cie_hash,
    data: *const u8,
    data_len: usize,
    out: *mut u8,
    out_len: *mut usize,
) -> cie_status {
    guard(|| {
        let format = format_of(format)?;
        let alg = hash_alg(hash)?;
        // SAFETY: forwarded contract.
        let data = unsafe { args::bytes(data, data_len, "data") }?;
        let prepared = match format {
            CIE_FORMAT_PADES => Some(pades::prepare(data, &PadesOptions { hash: alg, ..PadesOptions::default() })?),
            _ => None,
        };
        // SAFETY: forwarded contract.
        unsafe {
            on_card(card, |c| {
                if out_len.is_null() {
                    return Err(FfiError::bad_argument("out_len is NULL"));
                }
                if !c.session.is_logged_in() {
                    return Err(cie_core::Error::LoginRequired.into());
                }
                // Certificate, signature, attributes and DER headers fit in the certificate's
                // size plus 4 KiB; a PAdES output is the prepared file.
                let bound = match &prepared {
                    Some(p) => p.signed_ranges().iter().map(|r| r.len()).sum::<usize>() + 2 * p.capacity() + 2,
                    None => {
                        let cert = c.session.certificate()?;
                        cert.len() + 4096 + if format == CIE_FORMAT_CADES { data.len() } else { 0 }
                    }
                };
                if !args::check_room(out, out_len, bound)? {
                    return Ok(());
                }
                let options = SignOptions { hash: alg, signing_time: None };
                let signed = match (format, prepared) {
                    (CIE_FORMAT_PADES, Some(p)) => {
                        let cms = cades::sign_digest_detached(&mut c.session, alg, &p.digest(alg), None)?;
                        p.finish(&cms)?
                    }
                    (CIE_FORMAT_CADES_DETACHED, _) => cades::sign_detached(&mut c.session, &options, &mut &data[..])?,
                    _ => {
                        let mut v = Vec::with_capacity(data.len() + 4096);
                        cades::sign_enveloping(&mut c.session, &options, &mut std::io::Cursor::new(data), &mut v)?;
                        v
                    }
                };
                args::write_bytes(&signed, out, out_len)
            })
        }
    })
}

/// Trust anchors from the CA files given (PEM or DER).
///
/// # Safety
/// `ca_paths` is NULL (with `ca_count` 0) or has `ca_count` NUL-terminated strings.
unsafe fn trust_from_paths(ca_paths: *const *const c_char, ca_count: usize) -> Result<Trust, FfiError> {
    let mut trust = Trust::none();
    if ca_count == 0 {
        return Ok(trust);
    }
    if ca_paths.is_null() {
        return Err(FfiError::bad_argument("ca_paths is NULL"));
    }
    for i in 0..ca_count {
        // SAFETY: `ca_paths` has `ca_count` readable pointers per the contract.
        let path = unsafe { args::string(*ca_paths.add(i), "a CA path") }?;
        let data = std::fs::read(path).map_err(io(path))?;
        trust.add(&data).map_err(|e| FfiError::new(CIE_ERR_DOCUMENT, format!("{path}: {e}")))?;
    }
    Ok(trust)
}

/// Verifies every signature of a signed file: a PDF, or a CAdES `.p7m`/`.p7s` (a detached one
/// with its content in `content_path`, else NULL). `ca_paths` lists `ca_count` CA certificate
/// files (PEM or DER) to check the signers' chains against; with none, chains are reported as
/// `CIE_CHAIN_NOT_CHECKED`. Returns `CIE_OK` with `*report` set even when signatures are
/// invalid (ask `cie_report_all_valid`); `CIE_ERR_DOCUMENT` when the file is not a signature
/// the library can read. Free the report with `cie_report_free`.
///
/// # Safety
/// `path` is a NUL-terminated string; `content_path` is NULL or one; `ca_paths` as above;
/// `report` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_verify_file(
    path: *const c_char,
    content_path: *const c_char,
    ca_paths: *const *const c_char,
    ca_count: usize,
    report: *mut *mut cie_report,
) -> cie_status {
    guard(|| {
        if report.is_null() {
            return Err(FfiError::bad_argument("report is NULL"));
        }
        // SAFETY: forwarded contract.
        let (path, content) =
            unsafe { (args::string(path, "path")?, args::optional_string(content_path, "content_path")?) };
        // SAFETY: forwarded contract.
        let trust = unsafe { trust_from_paths(ca_paths, ca_count) }?;
        let r = cie_sign::verify_file(Path::new(path), content.map(Path::new), &trust)?;
        // SAFETY: `report` is writable (checked non-NULL above).
        unsafe { *report = Box::into_raw(Box::new(cie_report { report: r })) };
        Ok(())
    })
}

/// As `cie_verify_file`, on memory: `data` is a PDF or a `.p7m`/`.p7s`; `content` the content
/// of a detached signature (NULL otherwise); `ca` one or more CA certificates (PEM or DER, NULL
/// for none).
///
/// # Safety
/// Each pointer is NULL (with length 0) or has its length in readable bytes; `report` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn cie_verify_buffer(
    data: *const u8,
    data_len: usize,
    content: *const u8,
    content_len: usize,
    ca: *const u8,
    ca_len: usize,
    report: *mut *mut cie_report,
) -> cie_status {
    guard(|| {
        if report.is_null() {
            return Err(FfiError::bad_argument("report is NULL"));
        }
        // SAFETY: forwarded contract.
        let (data, ca) = unsafe { (args::bytes(data, data_len, "data")?, args::bytes(ca, ca_len, "ca")?) };
        let mut trust = Trust::none();
        if !ca.is_empty() {
            trust.add(ca)?;
        }
        let r = if data.starts_with(b"%PDF-") {
            pades::verify_pdf(data, &trust)?
        } else if content.is_null() {
            cie_sign::verify::verify_p7m(data, None, &trust)?
        } else {
            // SAFETY: forwarded contract.
            let mut content = unsafe { args::bytes(content, content_len, "content") }?;
            cie_sign::verify::verify_p7m(data, Some(&mut content), &trust)?
        };
        // SAFETY: `report` is writable (checked non-NULL above).
        unsafe { *report = Box::into_raw(Box::new(cie_report { report: r })) };
        Ok(())
    })
}

/// The report behind a pointer, if any.
///
/// # Safety
/// `report` is NULL or a live report.
unsafe fn report_ref<'a>(report: *const cie_report) -> Option<&'a Report> {
    // SAFETY: forwarded contract.
    unsafe { report.as_ref() }.map(|r| &r.report)
}

/// The number of signatures in the report (0 for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_count(report: *const cie_report) -> usize {
    // SAFETY: forwarded contract.
    unsafe { report_ref(report) }.map_or(0, |r| r.signatures.len())
}

/// 1 when the document has at least one signature and every one is valid, else 0.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_all_valid(report: *const cie_report) -> c_int {
    // SAFETY: forwarded contract.
    c_int::from(unsafe { report_ref(report) }.is_some_and(Report::all_valid))
}

/// 1 when signature `index` is valid (intact, well-formed, certificate valid at signing time,
/// and chaining to a given CA when CAs were given), 0 otherwise or out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_valid(report: *const cie_report, index: usize) -> c_int {
    // SAFETY: forwarded contract.
    let r = unsafe { report_ref(report) };
    c_int::from(r.and_then(|r| r.signatures.get(index)).is_some_and(|s| s.is_valid()))
}

/// The chain verdict of signature `index` (`CIE_CHAIN_*`); `CIE_CHAIN_UNTRUSTED` out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_chain(report: *const cie_report, index: usize) -> cie_chain {
    // SAFETY: forwarded contract.
    match unsafe { report_ref(report) }.and_then(|r| r.signatures.get(index)).map(|s| &s.chain) {
        Some(Chain::NotChecked) => CIE_CHAIN_NOT_CHECKED,
        Some(Chain::Trusted(_)) => CIE_CHAIN_TRUSTED,
        _ => CIE_CHAIN_UNTRUSTED,
    }
}

/// What of signature `index` a text accessor returns.
#[derive(Clone, Copy)]
enum Text {
    Signer,
    FiscalCode,
    SigningTime,
    Problems,
}

/// Writes a text item of signature `index` with the size-query convention.
///
/// # Safety
/// As the accessors.
unsafe fn report_text(
    report: *const cie_report,
    index: usize,
    what: Text,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let r = unsafe { report_ref(report) }.ok_or_else(|| FfiError::bad_argument("report is NULL"))?;
        let s = r.signatures.get(index).ok_or_else(|| FfiError::bad_argument(format!("no signature {index}")))?;
        let text = match what {
            Text::Signer => s.signer.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
            Text::FiscalCode => s.signer.as_ref().and_then(|w| w.fiscal_code.clone()).unwrap_or_default(),
            Text::SigningTime => s.signing_time.map(|t| t.to_string()).unwrap_or_default(),
            Text::Problems => {
                let mut lines: Vec<String> = s.problems.iter().map(|p| p.message.clone()).collect();
                if let Chain::Untrusted(why) = &s.chain {
                    lines.push(format!("certificate chain: {why}"));
                }
                lines.join("\n")
            }
        };
        // SAFETY: forwarded contract.
        unsafe { args::write_string(&text, buf, len) }
    })
}

/// The signer's name ("Given-name Surname") of signature `index`; empty if unknown.
///
/// # Safety
/// `report` is a live report; `len` is writable; `buf` is NULL or has `*len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_report_signer(
    report: *const cie_report,
    index: usize,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { report_text(report, index, Text::Signer, buf, len) }
}

/// The signer's fiscal code (codice fiscale) of signature `index`; empty if the certificate
/// carries none.
///
/// # Safety
/// As `cie_report_signer`.
#[no_mangle]
pub unsafe extern "C" fn cie_report_fiscal_code(
    report: *const cie_report,
    index: usize,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { report_text(report, index, Text::FiscalCode, buf, len) }
}

/// The signing time claimed by the signer of signature `index`, "YYYY-MM-DDTHH:MM:SSZ";
/// empty if none.
///
/// # Safety
/// As `cie_report_signer`.
#[no_mangle]
pub unsafe extern "C" fn cie_report_signing_time(
    report: *const cie_report,
    index: usize,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { report_text(report, index, Text::SigningTime, buf, len) }
}

/// Why signature `index` is not valid, one reason per line; empty when it is valid.
///
/// # Safety
/// As `cie_report_signer`.
#[no_mangle]
pub unsafe extern "C" fn cie_report_problems(
    report: *const cie_report,
    index: usize,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { report_text(report, index, Text::Problems, buf, len) }
}

/// Frees a report (NULL is allowed).
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[no_mangle]
pub unsafe extern "C" fn cie_report_free(report: *mut cie_report) {
    if !report.is_null() {
        // SAFETY: created by Box::into_raw in cie_verify_*, freed once per the contract.
        drop(unsafe { Box::from_raw(report) });
    }
}

/// Writes the content of the enveloping `.p7m` at `p7m_path` to `output_path` (streamed: any
/// size), without checking its signatures (use `cie_verify_file`). `CIE_ERR_DOCUMENT` for a detached or
/// unreadable signature.
///
/// # Safety
/// Both are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn cie_extract_file(p7m_path: *const c_char, output_path: *const c_char) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (input, output) =
            unsafe { (args::string(p7m_path, "p7m_path")?, args::string(output_path, "output_path")?) };
        let mut p7m = std::io::BufReader::new(std::fs::File::open(input).map_err(io(input))?);
        let mut out = std::io::BufWriter::new(std::fs::File::create(output).map_err(io(output))?);
        let streamed = cades::extract_to(&mut p7m, &mut out);
        let result = match streamed {
            Ok(_) => {
                use std::io::Write;
                out.flush().map_err(io(output))
            }
            // Not a DER .p7m (Base64 text, say): decoded in memory.
            Err(_) => {
                drop(out);
                let content = cades::extract(&std::fs::read(input).map_err(io(input))?)?;
                std::fs::write(output, content).map_err(io(output))
            }
        };
        if result.is_err() {
            let _ = std::fs::remove_file(output);
        }
        result
    })
}

/// Copies the content of the enveloping `.p7m` in `p7m` to `out` (size query with `out`
/// NULL), without checking its signatures.
///
/// # Safety
/// `p7m` has `p7m_len` readable bytes; `out_len` is writable; `out` is NULL or has `*out_len`
/// writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_extract_buffer(
    p7m: *const u8,
    p7m_len: usize,
    out: *mut u8,
    out_len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let p7m = unsafe { args::bytes(p7m, p7m_len, "p7m") }?;
        let content = cades::extract(p7m)?;
        // SAFETY: forwarded contract.
        unsafe { args::write_bytes(&content, out, out_len) }
    })
}
