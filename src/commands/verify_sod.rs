//! `cie verify-sod`: passive authentication (PROTOCOL.md §8.2-§8.3.2). On a card: without the
//! PIN it checks the NIS, both public keys and EF.DH; with `--login`/`--pin-stdin` also the card
//! number and the certificate. Offline (`--sod FILE`): a dumped EF.SOD and the data groups given
//! with `--dg TAG=FILE`. Either way the Document Signer must chain to a CSCA: the Italian ones
//! built in plus `/etc/cie/csca` and `$XDG_CONFIG_HOME/cie/csca`, or only those of `--csca`.

use std::path::{Path, PathBuf};

use cie_core::csca::CscaSet;
use cie_core::sod::{self, hash_label, Chain, DataGroup, SodReport};
use cie_sign::verdict::shown;
use clap::Args;
use serde::Serialize;

use super::{Mistake, Run};
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::i18n::Text;
use crate::output::print_json;

/// Passive authentication: check EF.SOD and its Document Signer
///
/// On the card in the reader, or with --sod on a dumped EF.SOD file. The Document Signer must
/// have been issued by a CSCA: by default the Italian CSCA certificates built into cie and
/// those in /etc/cie/csca and $XDG_CONFIG_HOME/cie/csca; with --csca only those given.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct VerifySodArgs {
    /// Trust only these CSCA certificates: a file (PEM or DER) or a directory of them (repeatable)
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) csca: Vec<PathBuf>,
    /// Check this dumped EF.SOD file instead of a card
    #[arg(long, value_name = "FILE")]
    pub(crate) sod: Option<PathBuf>,
    /// With --sod: a data group's file, TAG=FILE; TAG is the DG number as EF.SOD lists it (A1..A5,
    /// 1B; DG1..DG16 for the travel-document application) or the CIE file id (1001..1005, D004)
    /// (repeatable)
    #[arg(long, value_name = "TAG=FILE")]
    pub(crate) dg: Vec<String>,
}

impl Run for VerifySodArgs {
    fn check(&self, _ctx: &Ctx) -> Result<(), Mistake> {
        if self.sod.is_none() && !self.dg.is_empty() {
            return Err(tr!(SodDgNeedsSod).into());
        }
        for dg in &self.dg {
            parse_dg(dg)?;
        }
        Ok(())
    }

    /// Verifies EF.SOD and prints what was checked.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let trust = trust_set(&self.csca)?;
        let (report, source) = match &self.sod {
            Some(path) => (offline(path, &self.dg, &trust)?, Source::File),
            None => (on_card(ctx, &trust)?, Source::Card),
        };
        print_report(ctx, &report, source);
        match &report.chain {
            Chain::Untrusted(why) => Err(Failure::Indeterminate(tr!(SodUntrusted, detail = shown(why)), None)),
            _ => Ok(()),
        }
    }
}

/// Where EF.SOD came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Card,
    File,
}

/// The DG number of a `--dg` tag (docs/GUIDA.md, README): two hex digits as EF.SOD lists them
/// (`A1`..`A5`, `1B`), `DG1`..`DG16`, or a CIE file id (`1001`..`1005`, `D004`).
fn dg_number(tag: &str) -> Option<u8> {
    let upper = tag.to_ascii_uppercase();
    if let Some(n) = upper.strip_prefix("DG") {
        return n.parse::<u8>().ok().filter(|n| (1..=16).contains(n));
    }
    match upper.as_str() {
        "1001" => Some(0xA1),
        "1002" => Some(0xA2),
        "1003" => Some(0xA3),
        "1004" => Some(0xA4),
        "1005" => Some(0xA5),
        "D004" => Some(0x1B),
        t if t.len() == 2 => u8::from_str_radix(t, 16).ok(),
        _ => None,
    }
}

/// `TAG=FILE` of `--dg`.
fn parse_dg(value: &str) -> Result<(u8, PathBuf), Mistake> {
    let bad = || Mistake::from(tr!(SodBadDg, value = shown(value)));
    let (tag, file) = value.split_once('=').ok_or_else(bad)?;
    let number = dg_number(tag).ok_or_else(bad)?;
    if file.is_empty() {
        return Err(bad());
    }
    Ok((number, PathBuf::from(file)))
}

/// The trust set: only the `--csca` files and directories, else the default one.
fn trust_set(csca: &[PathBuf]) -> Result<CscaSet, Failure> {
    let csca_error = |e: cie_core::Error| Failure::File(tr!(CscaError, detail = shown(&e.to_string())));
    if csca.is_empty() {
        return CscaSet::system().map_err(csca_error);
    }
    let mut set = CscaSet::new();
    for path in csca {
        set.add_path(path).map_err(csca_error)?;
    }
    Ok(set)
}

/// The largest EF.SOD or data-group file read (cards have at most a few kilobytes).
const MAX_FILE: u64 = 1 << 20;

/// A file's content, at most [`MAX_FILE`] bytes.
fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(|e| file_error(path, e))?;
    if bytes.len() as u64 > MAX_FILE {
        let detail = format!("larger than {MAX_FILE} bytes");
        return Err(Failure::File(tr!(FileError, path = path.display(), detail = detail)));
    }
    Ok(bytes)
}

/// Checks a dumped EF.SOD and the data groups given.
fn offline(path: &Path, dgs: &[String], trust: &CscaSet) -> Result<SodReport, Failure> {
    let sod = read_file(path)?;
    let mut files = Vec::with_capacity(dgs.len());
    for dg in dgs {
        let (number, file) = parse_dg(dg).map_err(|m| Failure::Usage(m.message))?;
        files.push((number, read_file(&file)?));
    }
    let mut groups = Vec::with_capacity(files.len());
    for ((number, content), dg) in files.iter().zip(dgs) {
        let content = sod::group_content(*number, content)
            .map_err(|e| Failure::File(tr!(FileError, path = shown(dg), detail = e.to_string())))?;
        groups.push(DataGroup { number: *number, content });
    }
    let der = sod::der_trim(&sod)
        .map_err(|e| Failure::File(tr!(FileError, path = path.display(), detail = e.to_string())))?;
    Ok(sod::verify_sod(der, &groups, trust)?)
}

/// Passive authentication of the card in the reader, in this process or by the user's card
/// agent (which checks the card; the Document Signer's chain is checked here, against `trust`).
fn on_card(ctx: &Ctx, trust: &CscaSet) -> Result<SodReport, Failure> {
    let mut s = ctx.open_holder()?;
    if ctx.globals.login {
        ctx.login_holder(&mut s)?;
    }
    ctx.progress.step(tr!(StepReadSod));
    let report = s.verify_sod(trust)?;
    ctx.progress.done();
    Ok(report)
}

/// `cie --json verify-sod` (docs/JSON.md).
#[derive(Serialize)]
struct SodJson {
    /// `card` or `file`.
    source: &'static str,
    /// The data groups checked match the hashes in EF.SOD (always true when printed).
    data_groups_match: bool,
    /// The Document Signer's signature over EF.SOD is valid (always true when printed).
    document_signer_signature_valid: bool,
    /// `trusted`, `untrusted` or `not_checked`.
    chain: &'static str,
    /// The hashes and signature, in words.
    algorithm: String,
    /// The hash of the data groups (`SHA-256`, `SHA-512`).
    digest: String,
    /// The Document Signer's signature algorithm over EF.SOD.
    signature: String,
    /// The LDS version of EF.SOD.
    lds_version: u8,
    /// `ldsVersionInfo` (LDS version 1 only).
    lds_version_info: Option<VersionInfoJson>,
    /// The data groups EF.SOD lists, in its order, two hexadecimal digits each.
    listed: Vec<String>,
    /// The data groups checked, two hexadecimal digits each.
    data_groups: Vec<String>,
    /// The CSCA that issued the Document Signer (trusted chains only).
    csca: Option<CscaJson>,
    /// Why the chain is not trusted (untrusted chains only).
    untrusted_reason: Option<String>,
    /// A CSCA vouches for the Document Signer.
    csca_verified: bool,
    /// The chip signed a fresh challenge with the key EF.SOD vouches for (card only).
    chip_authenticated: bool,
}

/// `ldsVersionInfo` in JSON.
#[derive(Serialize)]
struct VersionInfoJson {
    lds_version: String,
    unicode_version: String,
}

/// The anchoring CSCA in JSON.
#[derive(Serialize)]
struct CscaJson {
    subject: String,
    sha256: String,
    signature: String,
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

/// `SHA-256 hashes, sha1WithRSAEncryption`.
fn algorithm(report: &SodReport) -> String {
    format!("{} hashes, {}", hash_label(report.digest), report.signature)
}

/// `0` or `1 (0108, 040000)`.
fn version(report: &SodReport) -> String {
    match &report.lds_version_info {
        Some(i) => format!("{} ({}, {})", report.lds_version, i.lds_version, i.unicode_version),
        None => report.lds_version.to_string(),
    }
}

/// Prints the report: text, or its JSON object with `--json`.
fn print_report(ctx: &Ctx, report: &SodReport, source: Source) {
    let hex = |groups: &[u8]| groups.iter().map(|g| format!("{g:02X}")).collect::<Vec<_>>();
    if ctx.globals.json {
        let (chain, csca, untrusted_reason) = match &report.chain {
            Chain::Trusted { anchor, signature } => (
                "trusted",
                Some(CscaJson {
                    subject: anchor.subject().to_string(),
                    sha256: anchor.fingerprint_hex(),
                    signature: signature.to_string(),
                }),
                None,
            ),
            Chain::Untrusted(why) => ("untrusted", None, Some(why.clone())),
            _ => ("not_checked", None, None),
        };
        print_json(&SodJson {
            source: if source == Source::Card { "card" } else { "file" },
            data_groups_match: true,
            document_signer_signature_valid: true,
            chain,
            algorithm: algorithm(report),
            digest: hash_label(report.digest),
            signature: report.signature.to_string(),
            lds_version: report.lds_version,
            lds_version_info: report.lds_version_info.as_ref().map(|i| VersionInfoJson {
                lds_version: i.lds_version.clone(),
                unicode_version: i.unicode_version.clone(),
            }),
            listed: hex(&report.listed),
            data_groups: hex(&report.checked),
            csca,
            untrusted_reason,
            csca_verified: report.trusted(),
            chip_authenticated: report.chip_authenticated,
        });
        return;
    }
    println!("{}", tr!(SodValid, algorithm = algorithm(report), version = version(report)));
    // The names in a column as wide as the longest one (at least 30 characters).
    let names: Vec<String> = report.checked.iter().map(|g| group_name(*g).to_string()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(30);
    for (g, name) in report.checked.iter().zip(names) {
        println!("{}", tr!(SodGroup, group = format!("{g:02X}"), name = format!("{name:<width$}")));
    }
    if source == Source::File && report.checked.is_empty() {
        println!("{}", tr!(SodNoGroupGiven));
    }
    match &report.chain {
        Chain::Trusted { anchor, signature } => {
            println!("{}", tr!(SodCscaTrusted, subject = shown(anchor.subject())));
            println!(
                "{}",
                tr!(SodCscaFingerprint, fingerprint = anchor.fingerprint_hex(), algorithm = signature.to_string())
            );
        }
        Chain::Untrusted(_) => {}
        _ => println!("{}", tr!(SodCscaNotChecked)),
    }
    if report.chip_authenticated {
        println!("{}", tr!(SodChipAuthenticated));
    }
    if source == Source::Card && !ctx.globals.login {
        println!("{}", tr!(SodLoginNotChecked));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dg_tags_by_number_and_by_file_id() {
        // PROTOCOL.md §8.2: A1..A5 = EF 1001..1005, 1B = EF.DH (D004).
        for (tag, n) in [
            ("A1", 0xA1),
            ("a5", 0xA5),
            ("1B", 0x1B),
            ("1001", 0xA1),
            ("1005", 0xA5),
            ("d004", 0x1B),
            ("DG1", 1),
            ("dg14", 14),
        ] {
            assert_eq!(dg_number(tag), Some(n), "{tag}");
        }
        for tag in ["", "A", "DG0", "DG17", "1006", "XYZ", "A1A"] {
            assert_eq!(dg_number(tag), None, "{tag}");
        }
        assert_eq!(parse_dg("A5=/tmp/kpub").unwrap(), (0xA5, PathBuf::from("/tmp/kpub")));
        assert!(parse_dg("A5").is_err());
        assert!(parse_dg("A5=").is_err());
        assert!(parse_dg("ZZ=file").is_err());
    }
}
