//! `cie verify-sod`: passive authentication (PROTOCOL.md §8.2-§8.3). Without the PIN it checks
//! the NIS, both public keys and EF.DH; with `--login`/`--pin-stdin` also the card number and
//! the certificate. `--csca FILE` checks the Document Signer against a CSCA certificate.

use std::path::Path;

use cie_core::sod::SodAlgorithm;

use super::{file_error, Ctx};
use crate::failure::Failure;
use crate::output::Json;

/// DER from a file holding a certificate in PEM or DER.
fn read_certificate(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    if bytes.starts_with(b"-----BEGIN") {
        let (_, der) = x509_cert::der::pem::decode_vec(&bytes)
            .map_err(|e| Failure::File(format!("{}: not a PEM certificate: {e}", path.display())))?;
        return Ok(der);
    }
    Ok(bytes)
}

fn group_name(n: u8) -> &'static str {
    match n {
        0xA1 => "NIS (EF 1001)",
        0xA2 => "card number (EF 1002)",
        0xA3 => "certificate (EF 1003)",
        0xA4 => "chip public key (EF 1004)",
        0xA5 => "services public key (EF 1005)",
        0x1B => "DH parameters (EF.DH)",
        _ => "data group",
    }
}

/// Verifies EF.SOD and prints what was checked.
pub fn run(ctx: &Ctx, csca: Option<&Path>) -> Result<(), Failure> {
    let csca = csca.map(read_certificate).transpose()?;
    let mut s = ctx.open()?;
    if ctx.globals.login {
        ctx.login(&mut s)?;
    }
    ctx.progress.step("reading EF.SOD and the data it covers");
    let report = s.verify_sod(csca.as_deref())?;
    let algorithm = match report.algorithm {
        SodAlgorithm::Sha256Pkcs1 => "SHA-256, RSA PKCS#1 v1.5",
        SodAlgorithm::Sha512Pss => "SHA-512, RSASSA-PSS",
    };
    if ctx.globals.json {
        let groups = report.checked.iter().map(|g| Json::str(format!("{g:02X}"))).collect();
        // Two separate verdicts: the data read from the card matches the SOD its Document Signer
        // signed, and (only with --csca) that Document Signer chains to the given CSCA.
        let chain = if report.csca_verified { "verified" } else { "not_checked" };
        let j = Json::object([
            ("data_groups_match", Json::Bool(true)),
            ("document_signer_signature_valid", Json::Bool(true)),
            ("chain", Json::str(chain)),
            ("algorithm", Json::str(algorithm)),
            ("lds_version", Json::Int(report.lds_version.into())),
            ("data_groups", Json::Array(groups)),
            ("csca_verified", Json::Bool(report.csca_verified)),
        ]);
        println!("{j}");
        return Ok(());
    }
    println!(
        "EF.SOD is valid: its Document Signer's signature verifies ({algorithm}, LDS version {})",
        report.lds_version
    );
    for g in &report.checked {
        println!("  {g:02X} {:<30} hash matches", group_name(*g));
    }
    if report.csca_verified {
        println!("Document Signer certificate verified with the CSCA");
    } else {
        println!("Document Signer not checked against a CSCA (give one with --csca FILE)");
    }
    if !ctx.globals.login {
        println!("card number and certificate not checked (they need the PIN: add --login or --pin-stdin)");
    }
    Ok(())
}
