//! `cie sign`: has the card sign a file. `--format raw` (the default) hashes the file and writes
//! the bare RSA PKCS#1 v1.5 signature over its DigestInfo (PROTOCOL.md §7), checked against the
//! certificate before it is written; `cades`, `cades-detached` and `pades` make a signed
//! document through the cie-sign crate (CAdES `.p7m`/`.p7s`, PAdES PDF), written through a new
//! temporary file ([`crate::staged`]).
//!
//! Inputs are read and checked before the PIN is asked, so a wrong file costs no PIN try.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use cie_core::Error;
use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::verdict::shown;
use cie_sign::{HashAlg, ProgressReader};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Mistake, Run};
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::holder;
use crate::output::print_json;
use crate::pin_input::PinSource;
use crate::staged::Staged;

/// Sign FILE with the card: bare signature, CAdES .p7m/.p7s or PAdES PDF
///
/// raw (default): OUT gets the bare RSA PKCS#1 v1.5 signature (-o needed); cades: FILE.p7m
/// with FILE inside; cades-detached: FILE.p7s; pades: a signed PDF, FILE-signed.pdf (earlier
/// signatures stay valid). --cosign: FILE is a .p7m, add a signature to it (cades).
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct SignArgs {
    /// What to produce
    #[arg(short, long, value_enum, ignore_case = true, default_value = "raw", value_name = "F")]
    pub(crate) format: SignFormat,
    /// Hash algorithm: sha256, sha384, sha512, sha224, sha1
    #[arg(long, value_parser = parse_hash, default_value = "sha256", value_name = "ALG")]
    pub(crate) hash: HashAlg,
    /// FILE is a .p7m: add a signature to it (with --format cades)
    #[arg(long)]
    pub(crate) cosign: bool,
    /// Time-stamp the signature with the RFC 3161 TSA at URL (http://): CAdES-T, PAdES B-T
    #[arg(long, value_name = "URL")]
    pub(crate) timestamp: Option<String>,
    /// The file to sign (-: standard input, raw only)
    #[arg(short, long, alias = "in", value_name = "FILE")]
    pub(crate) input: String,
    /// Where to write (default: FILE.p7m, FILE.p7s, FILE-signed.pdf; -: standard output, raw)
    #[arg(short, long, alias = "out", value_name = "OUT")]
    pub(crate) output: Option<String>,
}

/// What `cie sign` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignFormat {
    /// The bare RSA PKCS#1 v1.5 signature (-o needed).
    Raw,
    /// An enveloping CAdES `.p7m` (FILE.p7m with FILE inside).
    #[value(alias = "p7m")]
    Cades,
    /// A detached CAdES signature (FILE.p7s).
    #[value(alias = "p7s")]
    CadesDetached,
    /// A PAdES-signed PDF (FILE-signed.pdf; earlier signatures stay valid).
    #[value(alias = "pdf")]
    Pades,
}

impl SignFormat {
    /// The output name when `-o` is not given: `FILE.p7m`, `FILE.p7s`, `FILE-signed.pdf`.
    fn default_output(self, input: &str) -> Option<String> {
        match self {
            SignFormat::Raw => None,
            SignFormat::Cades => Some(format!("{input}.p7m")),
            SignFormat::CadesDetached => Some(format!("{input}.p7s")),
            SignFormat::Pades => {
                let stem = input.strip_suffix(".pdf").or_else(|| input.strip_suffix(".PDF")).unwrap_or(input);
                Some(format!("{stem}-signed.pdf"))
            }
        }
    }
}

/// `--hash NAME`.
fn parse_hash(name: &str) -> Result<HashAlg, String> {
    HashAlg::from_name(name).ok_or_else(|| format!("unknown hash {name:?}: use sha256, sha384, sha512, sha224 or sha1"))
}

impl SignArgs {
    /// `-o OUT`, or the default name for the format; `None` for raw without `-o`.
    fn output(&self) -> Option<String> {
        self.output.clone().or_else(|| self.format.default_output(&self.input))
    }
}

impl Run for SignArgs {
    /// An output is needed; standard input cannot carry both the data and the PIN; documents
    /// are files; only a CAdES `.p7m` is cosigned.
    fn check(&self, ctx: &Ctx) -> Result<(), Mistake> {
        let output = self.output().ok_or_else(|| tr!(SignNeedsOutput))?;
        if self.input == "-" && ctx.globals.pin_source == PinSource::Stdin {
            return Err(tr!(StdinTwice).into());
        }
        if self.format != SignFormat::Raw && (self.input == "-" || output == "-") {
            return Err(tr!(DocumentsNeedFiles).into());
        }
        if self.cosign && self.format != SignFormat::Cades {
            return Err(tr!(CosignNeedsCades).into());
        }
        if let Some(url) = &self.timestamp {
            if self.format == SignFormat::Raw {
                return Err(tr!(TimestampNeedsDocument).into());
            }
            if !url.starts_with("http://") {
                return Err(tr!(TimestampNeedsHttp, url = shown(url)).into());
            }
        }
        Ok(())
    }

    /// Signs the input into the output, in the format asked.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        // `check` made sure there is one.
        let output = PathBuf::from(self.output().ok_or_else(|| Failure::Usage(tr!(SignNeedsOutput)))?);
        let input = PathBuf::from(&self.input);
        match self.format {
            SignFormat::Raw => sign_raw(ctx, self.hash, &input, &output),
            format => sign_document(ctx, format, self.hash, &input, &output, self.cosign, self.timestamp),
        }
    }
}

/// Hashes a file (or standard input for `-`) without loading it whole, with a bar on the
/// terminal.
fn hash_file(ctx: &Ctx, alg: HashAlg, path: &Path) -> Result<(Vec<u8>, u64), Failure> {
    let (mut reader, size): (Box<dyn Read>, _) = if path == Path::new("-") {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = File::open(path).map_err(|e| file_error(path, e))?;
        let size = file.metadata().map_err(|e| file_error(path, e))?.len();
        (Box::new(file), Some(size))
    };
    let mut bar = ctx.progress.bar(tr!(ProgressHashing, file = path.display()), size);
    alg.hash_reader(&mut ProgressReader::new(&mut reader, &mut bar)).map_err(|e| file_error(path, e))
}

/// Reads a whole file, with a bar on the terminal.
fn read_file(ctx: &Ctx, path: &Path) -> Result<Vec<u8>, Failure> {
    let mut file = File::open(path).map_err(|e| file_error(path, e))?;
    let size = file.metadata().map_err(|e| file_error(path, e))?.len();
    let mut bar = ctx.progress.bar(tr!(ProgressReading, file = path.display()), Some(size));
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    ProgressReader::new(&mut file, &mut bar).read_to_end(&mut data).map_err(|e| file_error(path, e))?;
    Ok(data)
}

/// `cie --json sign` with `--format raw` (docs/JSON.md).
#[derive(Serialize)]
struct RawSignedJson<'a> {
    /// The file signed.
    input: String,
    /// Its length.
    input_bytes: u64,
    /// The hash algorithm's name.
    hash: &'static str,
    /// The file the signature was written to.
    signature_file: String,
    /// The signature's length.
    signature_bytes: usize,
    /// Always `RSA PKCS#1 v1.5`.
    algorithm: &'static str,
    /// The certificate's subject, RFC 4514.
    signer: &'a str,
}

/// `cie --json sign` with `--format cades|cades-detached|pades` (docs/JSON.md).
#[derive(Serialize)]
struct DocumentSignedJson {
    /// The file signed.
    input: String,
    /// The signed document written.
    output: String,
    /// The format's name.
    format: &'static str,
    /// The hash algorithm's name.
    hash: &'static str,
    /// The signer's name, made safe to show.
    signer: String,
    /// The signer's fiscal code, when the certificate has one.
    fiscal_code: Option<String>,
}

/// Signs `input` into `output`: the bare signature.
fn sign_raw(ctx: &Ctx, alg: HashAlg, input: &Path, output: &Path) -> Result<(), Failure> {
    let to_stdout = output == Path::new("-");
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(Failure::Usage(tr!(SignatureToTerminal)));
    }
    if to_stdout && ctx.globals.json {
        return Err(Failure::Usage(tr!(JsonSignatureStdout)));
    }
    // Read the data first: a missing file should not cost a PIN try.
    let (digest, size) = hash_file(ctx, alg, input)?;
    let mut s = ctx.open_holder()?;
    ctx.login_holder(&mut s)?;
    ctx.progress.step(tr!(StepReadCertificate));
    let cert = s.certificate()?;
    let who = holder::holder(&cert).map_err(Error::Malformed)?;
    ctx.progress.step(tr!(StepSignDigest, hash = alg.name()));
    // The session checks the signature against the certificate's key.
    let signature = s.sign_digest(alg, &digest)?;
    ctx.progress.done();
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&signature).and_then(|()| out.flush()).map_err(|e| file_error(output, e))?;
    } else {
        std::fs::write(output, &signature).map_err(|e| file_error(output, e))?;
    }
    if ctx.globals.json {
        print_json(&RawSignedJson {
            input: input.display().to_string(),
            input_bytes: size,
            hash: alg.name(),
            signature_file: output.display().to_string(),
            signature_bytes: signature.len(),
            algorithm: "RSA PKCS#1 v1.5",
            signer: &who.subject,
        });
    } else if !to_stdout {
        let text = tr!(
            RawSigned,
            file = input.display(),
            holder = who.name(),
            bytes = signature.len(),
            hash = alg.name(),
            output = output.display()
        );
        println!("{text}");
    }
    Ok(())
}

/// The format's name in messages.
fn format_name(format: SignFormat, timestamped: bool) -> &'static str {
    match (format, timestamped) {
        (SignFormat::Raw, _) => "raw",
        (SignFormat::Cades, false) => "CAdES-BES enveloping (.p7m)",
        (SignFormat::Cades, true) => "CAdES-T enveloping (.p7m)",
        (SignFormat::CadesDetached, false) => "CAdES-BES detached",
        (SignFormat::CadesDetached, true) => "CAdES-T detached",
        (SignFormat::Pades, false) => "PAdES B-B",
        (SignFormat::Pades, true) => "PAdES B-T",
    }
}

/// Room for a TSA's token (with its certificates) in a PDF's /Contents, on top of the
/// signature's.
const TIMESTAMP_RESERVE: usize = 16 * 1024;

/// Signs `input` into `output` as a CAdES or PAdES document.
fn sign_document(
    ctx: &Ctx,
    format: SignFormat,
    hash: HashAlg,
    input: &Path,
    output: &Path,
    cosign: bool,
    timestamp: Option<String>,
) -> Result<(), Failure> {
    if input == output {
        return Err(Failure::Usage(tr!(SameOutput)));
    }
    let timestamped = timestamp.is_some();
    let format_name = |format| format_name(format, timestamped);
    let reserve = pades::DEFAULT_RESERVE + if timestamped { TIMESTAMP_RESERVE } else { 0 };
    let options = SignOptions { hash, signing_time: None, timestamp };
    // Everything that can fail on the input happens before the PIN.
    let mut content = BufReader::new(File::open(input).map_err(|e| file_error(input, e))?);
    let prepared = match format {
        SignFormat::Pades => {
            let pdf = read_file(ctx, input)?;
            Some(pades::prepare(&pdf, &PadesOptions { hash, reserve, ..PadesOptions::default() })?)
        }
        _ => None,
    };
    let existing = if cosign {
        let p7m = read_file(ctx, input)?;
        cades::parse_signed_data(&p7m)?;
        Some(p7m)
    } else {
        None
    };
    let mut s = ctx.open_holder()?;
    ctx.login_holder(&mut s)?;
    let step = || tr!(StepSignDocument, file = input.display(), format = format_name(format));
    ctx.progress.step(step());
    let (staged, mut out) = Staged::create(output)?;
    let write_error = |e| file_error(output, e);
    match (format, prepared, existing) {
        (SignFormat::Pades, Some(prepared), _) => {
            let tsa = options.timestamp.as_deref();
            let cms = cades::sign_digest_detached_timestamped(&mut s, hash, &prepared.digest(hash), None, tsa)?;
            out.write_all(&prepared.finish(&cms)?).map_err(write_error)?;
        }
        (SignFormat::Cades, _, Some(p7m)) => {
            out.write_all(&cades::cosign(&mut s, &options, &p7m, None)?).map_err(write_error)?;
        }
        (SignFormat::Cades, _, None) => {
            let mut bar = ctx.progress.bar(step(), None);
            cades::sign_enveloping(&mut s, &options, &mut content, &mut out, &mut bar)?;
        }
        (SignFormat::CadesDetached, _, _) => {
            let size = content.get_ref().metadata().map_err(|e| file_error(input, e))?.len();
            let signature =
                cades::sign_detached(&mut s, &options, &mut content, &mut ctx.progress.bar(step(), Some(size)))?;
            out.write_all(&signature).map_err(write_error)?;
        }
        _ => return Err(Failure::Usage(tr!(RawWithoutFormat))),
    }
    staged.commit(out)?;
    let cert = s.certificate()?;
    let who = cie_sign::chain::Cert::from_der(&cert).map(|c| cie_sign::identity::identity(&c.cert))?;
    ctx.progress.done();
    if ctx.globals.json {
        print_json(&DocumentSignedJson {
            input: input.display().to_string(),
            output: output.display().to_string(),
            format: format_name(format),
            hash: hash.name(),
            signer: shown(&who.name),
            fiscal_code: who.fiscal_code.as_deref().map(shown),
        });
    } else {
        let text = tr!(
            DocumentSigned,
            file = input.display(),
            holder = shown(&who.name),
            format = format_name(format),
            hash = hash.name(),
            output = output.display()
        );
        println!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_names() {
        let args = |format, input: &str, output: Option<&str>| SignArgs {
            format,
            hash: HashAlg::Sha256,
            cosign: false,
            timestamp: None,
            input: input.into(),
            output: output.map(String::from),
        };
        assert_eq!(args(SignFormat::Raw, "a", Some("b")).output().as_deref(), Some("b"));
        assert_eq!(args(SignFormat::Raw, "a", None).output(), None);
        assert_eq!(args(SignFormat::Cades, "a.pdf", None).output().as_deref(), Some("a.pdf.p7m"));
        assert_eq!(args(SignFormat::CadesDetached, "a", None).output().as_deref(), Some("a.p7s"));
        assert_eq!(args(SignFormat::Pades, "doc.pdf", None).output().as_deref(), Some("doc-signed.pdf"));
        assert_eq!(args(SignFormat::Pades, "doc.PDF", None).output().as_deref(), Some("doc-signed.pdf"));
        assert_eq!(args(SignFormat::Cades, "a.p7m", Some("b.p7m")).output().as_deref(), Some("b.p7m"));
    }
}
