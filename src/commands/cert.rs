//! `cie cert`: exports the holder's authentication certificate (PEM or DER). The card lets it
//! be read only after the PIN (PROTOCOL.md §2.2).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use cie_core::Error;
use clap::Args;
use serde::Serialize;
use x509_cert::der::pem::LineEnding;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::holder;
use crate::output::print_json;

/// Export the holder's certificate (PEM by default; needs the PIN)
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct CertArgs {
    /// PEM (the default)
    #[arg(long, conflicts_with = "der")]
    pub(crate) pem: bool,
    /// Binary DER
    #[arg(long)]
    pub(crate) der: bool,
    /// Where to write it (default, or -: standard output)
    #[arg(short, long, alias = "out", value_name = "FILE")]
    pub(crate) output: Option<String>,
}

/// Certificate output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertFormat {
    /// Base64 with BEGIN/END lines.
    Pem,
    /// Binary DER.
    Der,
}

impl CertArgs {
    /// `--der`, or PEM.
    fn format(&self) -> CertFormat {
        if self.der {
            CertFormat::Der
        } else {
            CertFormat::Pem
        }
    }

    /// `-o FILE`; `None` for standard output (no `-o`, or `-o -`).
    fn output_file(&self) -> Option<PathBuf> {
        self.output.as_deref().filter(|o| *o != "-").map(PathBuf::from)
    }
}

impl Run for CertArgs {
    /// Exports the certificate to the output file or standard output.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        export(ctx, self.format(), self.output_file().as_deref())
    }
}

/// `cie --json cert` (docs/JSON.md).
#[derive(Serialize)]
struct CertJson<'a> {
    /// `pem` or `der`.
    format: &'static str,
    /// The file written, `None` for standard output.
    file: Option<String>,
    /// The length of what was written (or would be, for standard output).
    bytes: usize,
    /// The holder's name.
    holder: String,
    /// The certificate's subject, RFC 4514.
    subject: &'a str,
    /// The certificate in PEM, only when no file was given (the key is then present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pem: Option<&'a str>,
}

/// PEM text of a DER certificate.
fn pem(der: &[u8]) -> Result<String, Failure> {
    x509_cert::der::pem::encode_string("CERTIFICATE", LineEnding::LF, der)
        .map_err(|e| Failure::Card(Error::malformed(format!("certificate: {e}"))))
}

/// Exports the certificate to `output` (standard output when `None`).
fn export(ctx: &Ctx, format: CertFormat, output: Option<&Path>) -> Result<(), Failure> {
    if output.is_none() && format == CertFormat::Der && !ctx.globals.json && std::io::stdout().is_terminal() {
        return Err(Failure::Usage(tr!(DerToTerminal)));
    }
    let mut s = ctx.open_holder()?;
    ctx.login_holder(&mut s)?;
    ctx.progress.step(tr!(StepReadCertificate));
    let der = s.certificate()?;
    let who = holder::holder(&der).map_err(Error::Malformed)?;
    let text = pem(&der)?;
    let bytes: &[u8] = match format {
        CertFormat::Pem => text.as_bytes(),
        CertFormat::Der => &der,
    };
    let fmt = match format {
        CertFormat::Pem => "pem",
        CertFormat::Der => "der",
    };
    match output {
        Some(path) => std::fs::write(path, bytes).map_err(|e| file_error(path, e))?,
        None if !ctx.globals.json => {
            ctx.progress.done();
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| file_error(Path::new("<stdout>"), e))?;
        }
        None => {}
    }
    if ctx.globals.json {
        print_json(&CertJson {
            format: fmt,
            file: output.map(|p| p.display().to_string()),
            bytes: bytes.len(),
            holder: who.json_name(),
            subject: &who.subject,
            pem: output.is_none().then_some(text.as_str()),
        });
    } else if let Some(path) = output {
        ctx.progress.done();
        let text =
            tr!(CertificateWritten, holder = who.name(), output = path.display(), format = fmt, bytes = bytes.len());
        println!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_output() {
        let args = |der, output: Option<&str>| CertArgs { pem: false, der, output: output.map(String::from) };
        assert_eq!(args(true, Some("c.der")).format(), CertFormat::Der);
        assert_eq!(args(true, Some("c.der")).output_file(), Some(PathBuf::from("c.der")));
        assert_eq!(args(false, None).format(), CertFormat::Pem);
        assert_eq!(args(false, None).output_file(), None);
        assert_eq!(args(false, Some("-")).output_file(), None, "-: standard output");
    }
}
