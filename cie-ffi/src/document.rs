//! Document signatures through cie-sign: CAdES (`.p7m`, detached) and PAdES (PDF) signing with
//! the card, verification with an opaque report carrying ETSI EN 319 102-1 verdicts, and
//! extraction of a `.p7m`'s content. No format logic here: each function checks its arguments
//! and calls cie-sign.

use std::ffi::{c_char, c_int};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use cie_agent::ClientError;
use cie_core::sign::HashAlg;
use cie_core::TransportError;
use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::verdict::shown;
use cie_sign::{Chain, Indication, Language, Report, Signer, SubIndication, Trust};

use crate::args;
use crate::backend::{Backend, CardResult};
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

/// An ETSI EN 319 102-1 verdict (§5.1.3), of a signature or of a whole document.
pub type cie_indication = c_int;

/// Intact, well-formed, chaining to a trust anchor, every certificate valid now.
pub const CIE_INDICATION_TOTAL_PASSED: cie_indication = 0;
/// Altered, cryptographically wrong, malformed, or (PDF) modified after signing.
pub const CIE_INDICATION_TOTAL_FAILED: cie_indication = 1;
/// Not confirmed, though nothing says it was altered: no trusted chain, a certificate out of
/// its validity, an unsupported or weak algorithm, no signature at all. Also the answer for a
/// NULL report or a signature index out of range.
pub const CIE_INDICATION_INDETERMINATE: cie_indication = 2;

/// The result of `cie_verify_file` or `cie_verify_buffer`: one entry per signature.
pub struct cie_report {
    report: Report,
}

impl From<cie_sign::Error> for FfiError {
    fn from(e: cie_sign::Error) -> FfiError {
        match e {
            cie_sign::Error::Card(e) => e.into(),
            cie_sign::Error::Io(e) => FfiError::new(CIE_ERR_DOCUMENT, format!("file: {}", shown(&e.to_string()))),
            cie_sign::Error::ContentMismatch(d) => FfiError::new(
                CIE_ERR_DOCUMENT,
                format!(
                    "the content given differs from the content inside the signature: the signature does not cover it ({})",
                    shown(&d)
                ),
            ),
            other => FfiError::new(CIE_ERR_DOCUMENT, shown(&other.to_string())),
        }
    }
}

fn indication_code(i: Indication) -> cie_indication {
    match i {
        Indication::TotalPassed => CIE_INDICATION_TOTAL_PASSED,
        Indication::TotalFailed => CIE_INDICATION_TOTAL_FAILED,
        Indication::Indeterminate => CIE_INDICATION_INDETERMINATE,
    }
}

/// A handle's card as cie-sign's [`Signer`]: the document is built in this process and only its
/// DigestInfo goes to the card (through the card agent when the handle uses it). An agent
/// failure is kept aside, so that it is reported as `CIE_ERR_AGENT` rather than as the card's.
struct CardSigner<'a> {
    card: &'a mut Backend,
    agent_failure: Option<ClientError>,
}

impl<'a> CardSigner<'a> {
    fn new(card: &'a mut Backend) -> CardSigner<'a> {
        CardSigner { card, agent_failure: None }
    }

    fn lift<T>(&mut self, result: CardResult<T>) -> cie_sign::Result<T> {
        result.map_err(|e| match e {
            ClientError::Card(e) => cie_sign::Error::Card(e),
            other => {
                let e = cie_sign::Error::Card(TransportError::Other(other.to_string()).into());
                self.agent_failure = Some(other);
                e
            }
        })
    }

    /// The status of a failed signature: the agent's failure when there was one.
    fn failure(&mut self, e: cie_sign::Error) -> FfiError {
        match self.agent_failure.take() {
            Some(agent) => agent.into(),
            None => e.into(),
        }
    }
}

impl Signer for CardSigner<'_> {
    fn certificate(&mut self) -> cie_sign::Result<Vec<u8>> {
        let result = self.card.certificate();
        self.lift(result)
    }

    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> cie_sign::Result<Vec<u8>> {
        let digest_info = cie_core::sign::digest_info(alg, digest)?;
        let result = self.card.sign_digest_info(&digest_info);
        self.lift(result)
    }
}

/// An output written through a new temporary file ([`cie_sign::output::Staged`]).
struct Staged(cie_sign::output::Staged, PathBuf);

impl Staged {
    fn create(output: &str) -> Result<(Staged, BufWriter<File>), FfiError> {
        let output = Path::new(output);
        let (staged, out) = cie_sign::output::Staged::create(output).map_err(|e| io_path(output, e))?;
        Ok((Staged(staged, output.to_path_buf()), out))
    }

    fn commit(self, out: BufWriter<File>) -> Result<(), FfiError> {
        self.0.commit(out).map_err(|e| io_path(&self.1, e))
    }
}

fn io_path(path: &Path, e: std::io::Error) -> FfiError {
    FfiError::new(CIE_ERR_DOCUMENT, format!("{}: {e}", path.display()))
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
/// `CIE_ERR_DOCUMENT` before the card is used. The output is written to a new temporary file
/// with an unpredictable name in the output's directory (never following a link planted
/// there), mode 0600 until it is complete, then renamed into place: a failure leaves no
/// partial output.
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
        let mut content = std::io::BufReader::new(File::open(input).map_err(io(input))?);
        let prepared = match format {
            CIE_FORMAT_PADES => {
                let pdf = std::fs::read(input).map_err(io(input))?;
                Some(pades::prepare(&pdf, &PadesOptions { hash: alg, ..PadesOptions::default() })?)
            }
            _ => None,
        };
        // SAFETY: forwarded contract.
        unsafe {
            on_card(card, |c| {
                if !c.card.is_logged_in() {
                    return Err(cie_core::Error::LoginRequired.into());
                }
                let (staged, mut out) = Staged::create(output)?;
                let options = SignOptions { hash: alg, signing_time: None, timestamp: None };
                let mut signer = CardSigner::new(&mut c.card);
                let signed = match (format, prepared) {
                    (CIE_FORMAT_PADES, Some(p)) => {
                        let cms = cades::sign_digest_detached(&mut signer, alg, &p.digest(alg), None)
                            .map_err(|e| signer.failure(e))?;
                        p.finish(&cms)?
                    }
                    (CIE_FORMAT_CADES_DETACHED, _) => {
                        cades::sign_detached(&mut signer, &options, &mut content, &mut cie_sign::Silent)
                            .map_err(|e| signer.failure(e))?
                    }
                    _ => {
                        cades::sign_enveloping(&mut signer, &options, &mut content, &mut out, &mut cie_sign::Silent)
                            .map_err(|e| signer.failure(e))?;
                        Vec::new()
                    }
                };
                out.write_all(&signed).map_err(io(output))?;
                staged.commit(out)
            })
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
                if !c.card.is_logged_in() {
                    return Err(cie_core::Error::LoginRequired.into());
                }
                // Certificate, signature, attributes and DER headers fit in the certificate's
                // size plus 4 KiB; a PAdES output is the prepared file.
                let bound = match &prepared {
                    Some(p) => p.signed_ranges().iter().map(|r| r.len()).sum::<usize>() + 2 * p.capacity() + 2,
                    None => {
                        let cert = c.card.certificate()?;
                        cert.len() + 4096 + if format == CIE_FORMAT_CADES { data.len() } else { 0 }
                    }
                };
                if !args::check_room(out, out_len, bound)? {
                    return Ok(());
                }
                let options = SignOptions { hash: alg, signing_time: None, timestamp: None };
                let mut signer = CardSigner::new(&mut c.card);
                let signed = match (format, prepared) {
                    (CIE_FORMAT_PADES, Some(p)) => {
                        let cms = cades::sign_digest_detached(&mut signer, alg, &p.digest(alg), None)
                            .map_err(|e| signer.failure(e))?;
                        p.finish(&cms)?
                    }
                    (CIE_FORMAT_CADES_DETACHED, _) => {
                        cades::sign_detached(&mut signer, &options, &mut &data[..], &mut cie_sign::Silent)
                            .map_err(|e| signer.failure(e))?
                    }
                    _ => {
                        let mut v = Vec::with_capacity(data.len() + 4096);
                        cades::sign_enveloping(
                            &mut signer,
                            &options,
                            &mut std::io::Cursor::new(data),
                            &mut v,
                            &mut cie_sign::Silent,
                        )
                        .map_err(|e| signer.failure(e))?;
                        v
                    }
                };
                args::write_bytes(&signed, out, out_len)
            })
        }
    })
}

/// The installed trust anchors (`CIE_TRUST_ANCHORS`, else `/etc/cie/trust-anchors/` and
/// `~/.config/cie/trust-anchors/`).
fn system_trust() -> Result<Trust, FfiError> {
    Trust::system().map_err(|e| FfiError::new(CIE_ERR_DOCUMENT, format!("trust anchors: {}", shown(&e.to_string()))))
}

/// The installed trust anchors plus the CA files given (PEM or DER).
///
/// # Safety
/// `ca_paths` is NULL (with `ca_count` 0) or has `ca_count` NUL-terminated strings.
unsafe fn trust_from_paths(ca_paths: *const *const c_char, ca_count: usize) -> Result<Trust, FfiError> {
    if ca_count > 0 && ca_paths.is_null() {
        return Err(FfiError::bad_argument("ca_paths is NULL"));
    }
    let mut trust = system_trust()?;
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
/// with its content in `content_path`, else NULL). The signers' chains are checked against
/// the installed trust anchors (the files and directories listed in the environment variable
/// `CIE_TRUST_ANCHORS`, separated by `:`, when it is set, even empty; otherwise
/// `/etc/cie/trust-anchors/` and `~/.config/cie/trust-anchors/`: `*.pem`, `*.crt`, `*.cer`,
/// `*.der` files) plus the `ca_count` CA certificate files (PEM or DER) in `ca_paths`; with no
/// anchor at all, chains are `CIE_CHAIN_NOT_CHECKED` and the signatures INDETERMINATE.
/// Validation is at the current time, or the time a trusted timestamp proves; the revocation
/// data the signature carries is checked, nothing is fetched online. Returns `CIE_OK` with
/// `*report` set whatever the verdict (ask `cie_report_indication`); `CIE_ERR_DOCUMENT` when
/// the file is not a signature the library can read, when an installed anchor cannot be read,
/// or when `content_path` is given for a signature that carries a different content. Free the
/// report with `cie_report_free`.
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
        let r = cie_sign::verify_file(Path::new(path), content.map(Path::new), &trust, &mut cie_sign::Silent)?;
        // SAFETY: `report` is writable (checked non-NULL above).
        unsafe { *report = Box::into_raw(Box::new(cie_report { report: r })) };
        Ok(())
    })
}

/// As `cie_verify_file`, on memory: `data` is a PDF or a `.p7m`/`.p7s`; `content` the content
/// of a detached signature (NULL otherwise); `ca` one or more CA certificates (PEM or DER, NULL
/// for none), trusted in addition to the installed trust anchors (as `cie_verify_file`).
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
        let mut trust = system_trust()?;
        if !ca.is_empty() {
            trust.add(ca)?;
        }
        let r = if data.starts_with(b"%PDF-") {
            pades::verify_pdf(data, &trust)?
        } else if content.is_null() {
            cie_sign::nested::verify_p7m(data, None, &trust)?
        } else {
            // SAFETY: forwarded contract.
            let mut content = unsafe { args::bytes(content, content_len, "content") }?;
            cie_sign::nested::verify_p7m(data, Some(&mut content), &trust)?
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

/// 1 when the document is TOTAL-PASSED (`cie_report_indication` is
/// `CIE_INDICATION_TOTAL_PASSED`: at least one signature, every one TOTAL-PASSED, no
/// modification after signing), else 0 (also for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_all_valid(report: *const cie_report) -> c_int {
    // SAFETY: forwarded contract.
    c_int::from(unsafe { report_ref(report) }.is_some_and(Report::all_valid))
}

/// The document's verdict (`CIE_INDICATION_*`): TOTAL-FAILED when it was modified after
/// signing or a signature failed, INDETERMINATE when a signature is not confirmed or there is
/// none, TOTAL-PASSED when every signature passed. `CIE_INDICATION_INDETERMINATE` for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_indication(report: *const cie_report) -> cie_indication {
    // SAFETY: forwarded contract.
    unsafe { report_ref(report) }.map_or(CIE_INDICATION_INDETERMINATE, |r| indication_code(r.indication()))
}

/// The verdict of signature `index` (`CIE_INDICATION_*`); `CIE_INDICATION_INDETERMINATE` for
/// NULL or an index out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn cie_report_signature_indication(report: *const cie_report, index: usize) -> cie_indication {
    // SAFETY: forwarded contract.
    let r = unsafe { report_ref(report) };
    r.and_then(|r| r.signatures.get(index)).map_or(CIE_INDICATION_INDETERMINATE, |s| indication_code(s.indication()))
}

/// 1 when signature `index` is TOTAL-PASSED (intact, well-formed, chaining to a trust anchor,
/// every certificate valid now), 0 otherwise or out of range.
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
    Problems(Language),
    Notes(Language),
    SubIndication,
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
    // SAFETY: forwarded contract.
    guard(|| unsafe { report_text_checked(report, index, what, buf, len) })
}

/// [`report_text`] inside a guard already.
///
/// # Safety
/// As the accessors.
unsafe fn report_text_checked(
    report: *const cie_report,
    index: usize,
    what: Text,
    buf: *mut c_char,
    len: *mut usize,
) -> Result<(), FfiError> {
    // SAFETY: forwarded contract.
    let r = unsafe { report_ref(report) }.ok_or_else(|| FfiError::bad_argument("report is NULL"))?;
    // SIZE_MAX: the document's.
    if let (Text::SubIndication, usize::MAX) = (what, index) {
        let token = r.sub_indication().map(SubIndication::as_str).unwrap_or_default();
        // SAFETY: forwarded contract.
        return unsafe { args::write_string(token, buf, len) };
    }
    let s = r.signatures.get(index).ok_or_else(|| FfiError::bad_argument(format!("no signature {index}")))?;
    let text = match what {
        Text::Signer => s.signer.as_ref().map(|w| shown(&w.name)).unwrap_or_default(),
        Text::FiscalCode => s.signer.as_ref().and_then(|w| w.fiscal_code.as_deref().map(shown)).unwrap_or_default(),
        Text::SigningTime => s.signing_time.map(|t| t.to_string()).unwrap_or_default(),
        Text::Notes(lang) => s.notes.iter().map(|n| shown(&n.text(lang))).collect::<Vec<_>>().join("\n"),
        Text::Problems(lang) => {
            let mut lines: Vec<String> = s.problems.iter().map(|p| p.text(lang)).collect();
            let chain_problem = s.problems.iter().any(|p| {
                matches!(p.sub, SubIndication::NoCertificateChainFound | SubIndication::CertificateChainGeneralFailure)
            });
            if let (Chain::Untrusted(why), false) = (&s.chain, chain_problem) {
                lines.push(shown(&why.text(lang)));
            }
            lines.join("\n")
        }
        Text::SubIndication => s.sub_indication().map(SubIndication::as_str).unwrap_or_default().to_owned(),
    };
    // SAFETY: forwarded contract.
    unsafe { args::write_string(&text, buf, len) }
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
/// empty if none. A claim, not a proof: nothing but the signer vouches for it.
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
    unsafe { report_text(report, index, Text::Problems(Language::English), buf, len) }
}

/// The language `language` names: `"it"` (or a locale such as `"it_IT.UTF-8"`) is Italian,
/// anything else, and NULL, English.
///
/// # Safety
/// `language` is NULL or a NUL-terminated string.
unsafe fn language_of(language: *const c_char) -> Result<Language, FfiError> {
    // SAFETY: forwarded contract.
    let tag = unsafe { args::optional_string(language, "language") }?;
    Ok(tag.map_or(Language::English, Language::of_tag))
}

/// As `cie_report_problems`, in `language`: `"it"` for Italian, `"en"` (or NULL) for English.
/// Each reason names its cause in words (an algorithm by its name, a certificate by its
/// subject, dates), as `cie verify` shows it.
///
/// # Safety
/// As `cie_report_signer`; `language` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn cie_report_problems_in(
    report: *const cie_report,
    index: usize,
    language: *const c_char,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let lang = unsafe { language_of(language) }?;
        // SAFETY: forwarded contract.
        unsafe { report_text_checked(report, index, Text::Problems(lang), buf, len) }
    })
}

/// What was noticed about signature `index` that does not invalidate it (revocation data
/// found, incremental updates after it, a plain PKCS#7 signature...), one per line, in
/// `language` (`"it"` or `"en"`, NULL: English); empty if nothing.
///
/// # Safety
/// As `cie_report_problems_in`.
#[no_mangle]
pub unsafe extern "C" fn cie_report_notes(
    report: *const cie_report,
    index: usize,
    language: *const c_char,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let lang = unsafe { language_of(language) }?;
        // SAFETY: forwarded contract.
        unsafe { report_text_checked(report, index, Text::Notes(lang), buf, len) }
    })
}

/// The ETSI EN 319 102-1 sub-indication saying why signature `index` did not pass
/// (`HASH_FAILURE`, `NO_CERTIFICATE_CHAIN_FOUND`, `OUT_OF_BOUNDS_NO_POE`,
/// `MODIFIED_AFTER_SIGNING`...), or the document's with `index` `SIZE_MAX`; empty when it is
/// TOTAL-PASSED. `CIE_ERR_BAD_ARGUMENT` for NULL or an index
/// out of range.
///
/// # Safety
/// As `cie_report_signer`.
#[no_mangle]
pub unsafe extern "C" fn cie_report_sub_indication(
    report: *const cie_report,
    index: usize,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { report_text(report, index, Text::SubIndication, buf, len) }
}

/// The changes made to a PDF after its last signed revision that the signatures do not
/// permit (they make the document TOTAL-FAILED, `MODIFIED_AFTER_SIGNING`), one per line;
/// empty when there is none. `CIE_ERR_BAD_ARGUMENT` for NULL.
///
/// # Safety
/// `report` is a live report; `len` is writable; `buf` is NULL or has `*len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_report_modifications(
    report: *const cie_report,
    buf: *mut c_char,
    len: *mut usize,
) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let r = unsafe { report_ref(report) }.ok_or_else(|| FfiError::bad_argument("report is NULL"))?;
        let lines: Vec<String> = r.modifications.iter().map(|m| shown(&m.to_string())).collect();
        // SAFETY: forwarded contract.
        unsafe { args::write_string(&lines.join("\n"), buf, len) }
    })
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
/// unreadable signature. Written as `cie_card_sign_file` writes: a new temporary file with an
/// unpredictable name, renamed into place when complete.
///
/// # Safety
/// Both are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn cie_extract_file(p7m_path: *const c_char, output_path: *const c_char) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (input, output) =
            unsafe { (args::string(p7m_path, "p7m_path")?, args::string(output_path, "output_path")?) };
        let mut p7m = std::io::BufReader::new(File::open(input).map_err(io(input))?);
        let (staged, mut out) = Staged::create(output)?;
        if cades::extract_to(&mut p7m, &mut out, &mut cie_sign::Silent).is_ok() {
            return staged.commit(out);
        }
        // Not a DER .p7m (Base64 text, say): decoded in memory, into a fresh temporary file.
        drop((staged, out));
        let content = cades::extract(&std::fs::read(input).map_err(io(input))?)?;
        let (staged, mut out) = Staged::create(output)?;
        out.write_all(&content).map_err(io(output))?;
        staged.commit(out)
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
