//! `cie verify-sod`: passive authentication (PROTOCOL.md §8.2-§8.3). Without the PIN it checks
//! the NIS, both public keys and EF.DH; with `--login`/`--pin-stdin` also the card number and
//! the certificate. `--csca FILE` checks the Document Signer against a CSCA certificate.

use std::path::{Path, PathBuf};

use cie_core::sod::SodAlgorithm;
use clap::Args;
use serde::Serialize;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::i18n::Text;
use crate::output::print_json;

/// Passive authentication: check EF.SOD against the card's data
///
/// With --csca, also the Document Signer against that CSCA certificate.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct VerifySodArgs {
    /// The CSCA certificate (PEM or DER)
    #[arg(long, value_name = "FILE")]
    pub(crate) csca: Option<PathBuf>,
}

impl Run for VerifySodArgs {
    /// Verifies EF.SOD and prints what was checked.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        verify_sod(ctx, self.csca.as_deref())
    }
}

/// DER from a file holding a certificate in PEM or DER.
fn read_certificate(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    if bytes.starts_with(b"-----BEGIN") {
        let (_, der) = x509_cert::der::pem::decode_vec(&bytes)
            .map_err(|e| Failure::File(tr!(NotPemCertificate, path = path.display(), detail = e.to_string())))?;
        return Ok(der);
    }
    Ok(bytes)
}

/// `cie --json verify-sod` (docs/JSON.md).
#[derive(Serialize)]
struct SodJson {
    /// The data read from the card matches the hashes in EF.SOD (always true when printed).
    data_groups_match: bool,
    /// The Document Signer's signature over EF.SOD is valid (always true when printed).
    document_signer_signature_valid: bool,
    /// `verified` (chains to the `--csca` certificate) or `not_checked`.
    chain: &'static str,
    /// The SOD's hash and signature algorithm.
    algorithm: &'static str,
    /// The LDS version of EF.SOD.
    lds_version: u8,
    /// The data groups checked, each two hexadecimal digits.
    data_groups: Vec<String>,
    /// Whether the Document Signer was checked against `--csca`.
    csca_verified: bool,
}

/// The name of a data group in the report.
fn group_name(n: u8) -> Text {
    match n {
        0xA1 => tr!(GroupNis),
        0xA2 => tr!(GroupSerial),
        0xA3 => tr!(GroupCertificate),
        0xA4 => tr!(GroupChipKey),
        0xA5 => tr!(GroupServicesKey),
        0x1B => tr!(GroupDh),
        _ => tr!(GroupOther),
    }
}

/// Verifies EF.SOD (checking the Document Signer against `csca` if given) and prints what was
/// checked.
fn verify_sod(ctx: &Ctx, csca: Option<&Path>) -> Result<(), Failure> {
    let csca = csca.map(read_certificate).transpose()?;
    let mut s = ctx.open()?;
    if ctx.globals.login {
        ctx.login(&mut s)?;
    }
    ctx.progress.step(tr!(StepReadSod));
    let report = s.verify_sod(csca.as_deref())?;
    let algorithm = match report.algorithm {
        SodAlgorithm::Sha256Pkcs1 => "SHA-256, RSA PKCS#1 v1.5",
        SodAlgorithm::Sha512Pss => "SHA-512, RSASSA-PSS",
    };
    if ctx.globals.json {
        // Two separate verdicts: the data read from the card matches the SOD its Document Signer
        // signed, and (only with --csca) that Document Signer chains to the given CSCA.
        print_json(&SodJson {
            data_groups_match: true,
            document_signer_signature_valid: true,
            chain: if report.csca_verified { "verified" } else { "not_checked" },
            algorithm,
            lds_version: report.lds_version,
            data_groups: report.checked.iter().map(|g| format!("{g:02X}")).collect(),
            csca_verified: report.csca_verified,
        });
        return Ok(());
    }
    ctx.progress.done();
    println!("{}", tr!(SodValid, algorithm = algorithm, version = report.lds_version));
    // The names in a column as wide as the longest one (at least 30 characters).
    let names: Vec<String> = report.checked.iter().map(|g| group_name(*g).to_string()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(30);
    for (g, name) in report.checked.iter().zip(names) {
        println!("{}", tr!(SodGroup, group = format!("{g:02X}"), name = format!("{name:<width$}")));
    }
    if report.csca_verified {
        println!("{}", tr!(SodCscaVerified));
    } else {
        println!("{}", tr!(SodCscaNotChecked));
    }
    if !ctx.globals.login {
        println!("{}", tr!(SodLoginNotChecked));
    }
    Ok(())
}
