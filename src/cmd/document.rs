//! `cie sign --format cades|cades-detached|pades`, `cie verify` and `cie extract`: document
//! signatures through the cie-sign crate (CAdES `.p7m`, PAdES PDF).
//!
//! Inputs are read and checked before the PIN is asked, so a wrong file costs no PIN try;
//! outputs are written to a temporary file renamed into place, so a failure leaves no
//! half-written document.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::{Chain, HashAlg, Report, SignatureReport, Trust};

use super::{file_error, Ctx};
use crate::args::SignFormat;
use crate::failure::Failure;
use crate::output::Json;

/// A temporary file next to `output`, renamed onto it by [`Staged::commit`] and removed if
/// dropped before.
struct Staged {
    tmp: PathBuf,
    output: PathBuf,
    committed: bool,
}

impl Staged {
    fn new(output: &Path) -> Staged {
        let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(format!(".cie-{}.tmp", std::process::id()));
        Staged { tmp: output.with_file_name(name), output: output.to_path_buf(), committed: false }
    }

    fn create(&self) -> Result<BufWriter<File>, Failure> {
        Ok(BufWriter::new(File::create(&self.tmp).map_err(|e| file_error(&self.output, e))?))
    }

    fn commit(mut self) -> Result<(), Failure> {
        std::fs::rename(&self.tmp, &self.output).map_err(|e| file_error(&self.output, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn format_name(format: SignFormat) -> &'static str {
    match format {
        SignFormat::Raw => "raw",
        SignFormat::Cades => "CAdES-BES enveloping (.p7m)",
        SignFormat::CadesDetached => "CAdES-BES detached",
        SignFormat::Pades => "PAdES B-B",
    }
}

/// Signs `input` into `output` as a CAdES or PAdES document.
pub fn sign(
    ctx: &Ctx,
    format: SignFormat,
    hash: HashAlg,
    input: &Path,
    output: &Path,
    cosign: bool,
) -> Result<(), Failure> {
    if input == output {
        return Err(Failure::Usage(tr!(SameOutput)));
    }
    let options = SignOptions { hash, signing_time: None };
    // Everything that can fail on the input happens before the PIN.
    let mut content = BufReader::new(File::open(input).map_err(|e| file_error(input, e))?);
    let prepared = match format {
        SignFormat::Pades => {
            let pdf = std::fs::read(input).map_err(|e| file_error(input, e))?;
            Some(pades::prepare(&pdf, &PadesOptions { hash, ..PadesOptions::default() })?)
        }
        _ => None,
    };
    let existing = if cosign {
        let p7m = std::fs::read(input).map_err(|e| file_error(input, e))?;
        cades::parse_signed_data(&p7m)?;
        Some(p7m)
    } else {
        None
    };
    let mut s = ctx.open()?;
    ctx.login(&mut s)?;
    ctx.progress.step(tr!(StepSignDocument, file = input.display(), format = format_name(format)));
    let staged = Staged::new(output);
    let mut out = staged.create()?;
    let write_error = |e| file_error(output, e);
    match (format, prepared, existing) {
        (SignFormat::Pades, Some(prepared), _) => {
            let cms = cades::sign_digest_detached(&mut s, hash, &prepared.digest(hash), None)?;
            out.write_all(&prepared.finish(&cms)?).map_err(write_error)?;
        }
        (SignFormat::Cades, _, Some(p7m)) => {
            out.write_all(&cades::cosign(&mut s, &options, &p7m, None)?).map_err(write_error)?;
        }
        (SignFormat::Cades, _, None) => {
            cades::sign_enveloping(&mut s, &options, &mut content, &mut out)?;
        }
        (SignFormat::CadesDetached, _, _) => {
            out.write_all(&cades::sign_detached(&mut s, &options, &mut content)?).map_err(write_error)?;
        }
        _ => return Err(Failure::Usage(tr!(RawWithoutFormat))),
    }
    out.flush().map_err(write_error)?;
    drop(out);
    staged.commit()?;
    let cert = s.certificate()?;
    let who = cie_sign::chain::Cert::from_der(&cert).map(|c| cie_sign::identity::identity(&c.cert))?;
    if ctx.globals.json {
        let j = Json::object([
            ("input", Json::str(input.display().to_string())),
            ("output", Json::str(output.display().to_string())),
            ("format", Json::str(format_name(format))),
            ("hash", Json::str(hash.name())),
            ("signer", Json::str(who.name)),
            ("fiscal_code", Json::opt_str(who.fiscal_code)),
        ]);
        println!("{j}");
    } else {
        let text = tr!(
            DocumentSigned,
            file = input.display(),
            holder = who.name,
            format = format_name(format),
            hash = hash.name(),
            output = output.display()
        );
        println!("{text}");
    }
    Ok(())
}

/// The report of one signature, a line each (the notes and problems cie-sign finds stay in
/// English).
fn print_signature(i: usize, s: &SignatureReport) {
    let index = i + 1;
    let heading = match (&s.field, s.is_valid()) {
        (Some(field), true) => tr!(SignatureFieldValid, index = index, field = field),
        (Some(field), false) => tr!(SignatureFieldInvalid, index = index, field = field),
        (None, true) => tr!(SignatureValid, index = index),
        (None, false) => tr!(SignatureInvalid, index = index),
    };
    let mut lines = vec![heading];
    if let Some(who) = &s.signer {
        let code = who.fiscal_code.clone().unwrap_or_else(|| tr!(NoFiscalCode).to_string());
        lines.push(tr!(SignerLine, name = &who.name));
        lines.push(tr!(FiscalCodeLine, code = code));
        lines.push(tr!(SubjectLine, subject = &who.subject));
        lines.push(tr!(IssuerLine, issuer = &who.issuer));
    }
    if let Some(t) = s.signing_time {
        lines.push(tr!(SigningTimeLine, time = t.to_string()));
    }
    if let Some(h) = s.hash {
        lines.push(if s.cades { tr!(FormatCadesLine, hash = h.name()) } else { tr!(FormatCmsLine, hash = h.name()) });
    }
    lines.push(match &s.chain {
        Chain::NotChecked => tr!(ChainNotChecked),
        Chain::Trusted(anchor) => tr!(ChainTrusted, anchor = anchor),
        Chain::Untrusted(why) => tr!(ChainUntrusted, reason = why),
    });
    match s.covers_whole_document {
        Some(true) => lines.push(tr!(CoverageWhole)),
        Some(false) => lines.push(tr!(CoverageRevision)),
        None => {}
    }
    lines.extend(s.notes.iter().map(|n| tr!(NoteLine, note = n)));
    lines.extend(s.problems.iter().map(|p| tr!(ProblemLine, problem = &p.message)));
    for line in lines {
        println!("{line}");
    }
}

fn signature_json(s: &SignatureReport) -> Json {
    let chain = match &s.chain {
        Chain::NotChecked => Json::object([("status", Json::str("not_checked"))]),
        Chain::Trusted(a) => Json::object([("status", Json::str("trusted")), ("anchor", Json::str(a.clone()))]),
        Chain::Untrusted(w) => Json::object([("status", Json::str("untrusted")), ("reason", Json::str(w.clone()))]),
    };
    let who = s.signer.as_ref();
    Json::object([
        ("valid", Json::Bool(s.is_valid())),
        ("field", Json::opt_str(s.field.clone())),
        ("signer", Json::opt_str(who.map(|w| w.name.clone()))),
        ("fiscal_code", Json::opt_str(who.and_then(|w| w.fiscal_code.clone()))),
        ("subject", Json::opt_str(who.map(|w| w.subject.clone()))),
        ("issuer", Json::opt_str(who.map(|w| w.issuer.clone()))),
        ("signing_time", Json::opt_str(s.signing_time.map(|t| t.to_string()))),
        ("hash", Json::opt_str(s.hash.map(|h| h.name()))),
        ("cades", Json::Bool(s.cades)),
        ("chain", chain),
        ("covers_whole_document", s.covers_whole_document.map_or(Json::Null, Json::Bool)),
        ("notes", Json::Array(s.notes.iter().map(|n| Json::str(n.clone())).collect())),
        ("problems", Json::Array(s.problems.iter().map(|p| Json::str(p.message.clone())).collect())),
    ])
}

/// Verifies every signature of `file`; succeeds only if all are valid.
pub fn verify(ctx: &Ctx, file: &Path, ca: &[PathBuf], content: Option<&Path>) -> Result<(), Failure> {
    let mut trust = Trust::none();
    for path in ca {
        let data = std::fs::read(path).map_err(|e| file_error(path, e))?;
        trust.add(&data).map_err(|e| Failure::File(tr!(FileError, path = path.display(), detail = e.to_string())))?;
    }
    // A detached signature next to its content: `doc.p7s` signs `doc`.
    let guessed = match content {
        Some(_) => None,
        None => {
            let name = file.to_string_lossy();
            [".p7s", ".P7S"].iter().find_map(|ext| name.strip_suffix(ext)).map(PathBuf::from).filter(|p| p.is_file())
        }
    };
    let report: Report = cie_sign::verify_file(file, content.or(guessed.as_deref()), &trust)?;
    let valid = report.all_valid();
    let n = report.signatures.len();
    let bad = report.signatures.iter().filter(|s| !s.is_valid()).count();
    let kind = match report.kind {
        cie_sign::DocumentKind::Enveloping => "CAdES enveloping (.p7m)",
        cie_sign::DocumentKind::Detached => "CAdES detached",
        cie_sign::DocumentKind::Pdf => "PDF",
    };
    if ctx.globals.json {
        let j = Json::object([
            ("file", Json::str(file.display().to_string())),
            ("kind", Json::str(kind)),
            ("valid", Json::Bool(valid)),
            ("chain_checked", Json::Bool(!trust.is_empty())),
            ("signatures", Json::Array(report.signatures.iter().map(signature_json).collect())),
        ]);
        println!("{j}");
    } else {
        println!("{}", tr!(VerifyHeader, file = file.display(), kind = kind, count = n));
        for (i, s) in report.signatures.iter().enumerate() {
            print_signature(i, s);
        }
        if trust.is_empty() && n > 0 {
            println!("{}", tr!(ChainsNotChecked));
        }
    }
    match (n, valid) {
        (0, _) => Err(Failure::Invalid(tr!(NoSignatures, file = file.display()))),
        (_, true) => {
            if !ctx.globals.json {
                println!("{}", tr!(AllValid, count = n));
            }
            Ok(())
        }
        _ => Err(Failure::Invalid(tr!(SomeInvalid, bad = bad, count = n))),
    }
}

/// Writes the content of a `.p7m` to `output` (the signatures are not checked: use verify).
pub fn extract(ctx: &Ctx, file: &Path, output: &Path) -> Result<(), Failure> {
    if file == output {
        return Err(Failure::Usage(tr!(SameOutput)));
    }
    let mut input = BufReader::new(File::open(file).map_err(|e| file_error(file, e))?);
    let mut first = [0u8; 1];
    let der = std::io::Read::read(&mut input, &mut first).map_err(|e| file_error(file, e))? == 1 && first[0] == 0x30;
    let staged = Staged::new(output);
    let mut out = staged.create()?;
    let length = if der {
        // DER: streamed, whatever the size.
        std::io::Seek::rewind(&mut input).map_err(|e| file_error(file, e))?;
        cades::extract_to(&mut input, &mut out)?
    } else {
        // Base64 text of a .p7m: decoded in memory.
        let content = cades::extract(&std::fs::read(file).map_err(|e| file_error(file, e))?)?;
        out.write_all(&content).map_err(|e| file_error(output, e))?;
        content.len() as u64
    };
    out.flush().map_err(|e| file_error(output, e))?;
    drop(out);
    staged.commit()?;
    if ctx.globals.json {
        let j = Json::object([
            ("file", Json::str(file.display().to_string())),
            ("output", Json::str(output.display().to_string())),
            ("bytes", Json::Int(length.try_into().unwrap_or(i64::MAX))),
        ]);
        println!("{j}");
    } else {
        println!("{}", tr!(Extracted, file = file.display(), bytes = length, output = output.display()));
    }
    Ok(())
}
