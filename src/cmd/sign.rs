//! `cie sign`: hashes a file and has the card sign it (RSA PKCS#1 v1.5 over a DigestInfo,
//! PROTOCOL.md §7); the signature is checked against the certificate before it is written.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use cie_core::sign::HashAlg;
use cie_core::Error;

use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::holder;
use crate::output::Json;

/// Hashes a file (or standard input for `-`) without loading it whole.
fn hash_file(alg: HashAlg, path: &Path) -> Result<(Vec<u8>, u64), Failure> {
    let mut reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| file_error(path, e))?)
    };
    alg.hash_reader(&mut reader).map_err(|e| file_error(path, e))
}

/// Signs `input` into `output`.
pub fn run(ctx: &Ctx, alg: HashAlg, input: &Path, output: &Path) -> Result<(), Failure> {
    let to_stdout = output == Path::new("-");
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(Failure::Usage(tr!(SignatureToTerminal)));
    }
    if to_stdout && ctx.globals.json {
        return Err(Failure::Usage(tr!(JsonSignatureStdout)));
    }
    // Read the data first: a missing file should not cost a PIN try.
    let (digest, size) = hash_file(alg, input)?;
    let mut s = ctx.open()?;
    ctx.login(&mut s)?;
    ctx.progress.step(tr!(StepReadCertificate));
    let cert = s.certificate()?;
    let who = holder::holder(&cert).map_err(Error::Malformed)?;
    ctx.progress.step(tr!(StepSignDigest, hash = alg.name()));
    // The session checks the signature against the certificate's key.
    let signature = s.sign_digest(alg, &digest)?;
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&signature).and_then(|()| out.flush()).map_err(|e| file_error(output, e))?;
    } else {
        std::fs::write(output, &signature).map_err(|e| file_error(output, e))?;
    }
    if ctx.globals.json {
        let j = Json::object([
            ("input", Json::str(input.display().to_string())),
            ("input_bytes", Json::Int(size.try_into().unwrap_or(i64::MAX))),
            ("hash", Json::str(alg.name())),
            ("signature_file", Json::str(output.display().to_string())),
            ("signature_bytes", Json::Int(signature.len() as i64)),
            ("algorithm", Json::str("RSA PKCS#1 v1.5")),
            ("signer", Json::str(who.subject)),
        ]);
        println!("{j}");
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
