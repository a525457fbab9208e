//! `cie cert`: exports the holder's authentication certificate (PEM or DER). The card lets it
//! be read only after the PIN (PROTOCOL.md §2.2).

use std::io::{IsTerminal, Write};
use std::path::Path;

use cie_core::Error;
use x509_cert::der::pem::LineEnding;

use crate::args::CertFormat;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::holder;
use crate::output::Json;

/// PEM text of a DER certificate.
pub fn pem(der: &[u8]) -> Result<String, Failure> {
    x509_cert::der::pem::encode_string("CERTIFICATE", LineEnding::LF, der)
        .map_err(|e| Failure::Card(Error::malformed(format!("certificate: {e}"))))
}

/// Exports the certificate to `output` (standard output when `None`).
pub fn run(ctx: &Ctx, format: CertFormat, output: Option<&Path>) -> Result<(), Failure> {
    if output.is_none() && format == CertFormat::Der && !ctx.globals.json && std::io::stdout().is_terminal() {
        return Err(Failure::Usage(tr!(DerToTerminal)));
    }
    let mut s = ctx.open()?;
    ctx.login(&mut s)?;
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
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| file_error(Path::new("<stdout>"), e))?;
        }
        None => {}
    }
    if ctx.globals.json {
        let mut j = Json::object([
            ("format", Json::str(fmt)),
            ("file", Json::opt_str(output.map(|p| p.display().to_string()))),
            ("bytes", Json::Int(bytes.len() as i64)),
            ("holder", Json::str(who.json_name())),
            ("subject", Json::str(who.subject)),
        ]);
        if output.is_none() {
            j = j.with("pem", Json::str(text));
        }
        println!("{j}");
    } else if let Some(path) = output {
        let text =
            tr!(CertificateWritten, holder = who.name(), output = path.display(), format = fmt, bytes = bytes.len());
        println!("{text}");
    }
    Ok(())
}
