//! `cie verify`: checks every signature of a CAdES `.p7m`/`.p7s` or a PDF through the cie-sign
//! crate and prints the ETSI EN 319 102-1 verdict of each signature and of the document
//! (docs/VERIFY.md); everything quoted from a document goes through [`shown`] first.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cie_sign::qualified::Qualification;
use cie_sign::timestamp::{TimestampKind, TimestampReport};
use cie_sign::verdict::shown;
use cie_sign::{AttributesForm, Chain, Indication, Report, SignatureReport, SubIndication, Trust};
use clap::Args;
use serde::Serialize;

use super::{Mistake, Run};
use crate::batch::{self, Entry};
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::i18n::Text;
use crate::output::print_json;

/// Check every signature of a .p7m/.p7s or PDF, or of many files
///
/// Integrity, signed attributes, the certificate chain to a trusted CA (those installed in
/// /etc/cie/trust-anchors/ and ~/.config/cie/trust-anchors/, or listed in
/// CIE_TRUST_ANCHORS, plus each --ca) and the certificates' validity now. Each signature and
/// the document get an ETSI EN 319 102-1 verdict. Exit 0: TOTAL-PASSED (every signature
/// valid and trusted); 1: TOTAL-FAILED (altered, malformed, modified after signing); 6:
/// INDETERMINATE (not confirmed: untrusted, expired or revoked certificate, unsupported
/// algorithm, no signature). The revocation data the signature carries is checked; --online
/// also asks the signer certificate's OCSP responder or CRL distribution point. See
/// docs/VERIFY.md.
///
/// Several files, or a DIRECTORY (every file under it, subdirectories included, in sorted
/// order; links to directories are not followed), are checked in parallel, one per core, and
/// reported in the order given: a compact block each (each signature's verdict and signer, the
/// result; verify a file alone for every detail), then a summary; with --json the full object
/// of each file, one line each (JSON Lines). A file that cannot be read or is not a signature
/// is reported as not checked and the next one follows. A file whose detached signature
/// FILE.p7s is in the same list is checked with it, not alone. The worst result wins: exit 1
/// if any file is TOTAL-FAILED or could not be checked, else 6 if any is INDETERMINATE, else 0.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct VerifyArgs {
    /// The signed files, or directories of them
    #[arg(required = true, value_name = "FILE|DIR")]
    pub(crate) files: Vec<PathBuf>,
    /// A trusted CA certificate (PEM or DER), repeatable; added to the installed ones
    #[arg(long, value_name = "CERT")]
    pub(crate) ca: Vec<PathBuf>,
    /// Ignore the installed trust anchors (CIE_TRUST_ANCHORS, /etc/cie/trust-anchors/,
    /// ~/.config/cie/trust-anchors/) and the configured trusted lists (CIE_TRUSTED_LISTS,
    /// /etc/cie/tsl/, ~/.config/cie/tsl/): trust only the --ca certificates and --tsl lists
    #[arg(long)]
    pub(crate) no_default_ca: bool,
    /// The signed file of a detached signature (one FILE only, not a directory)
    #[arg(long, value_name = "DATA")]
    pub(crate) content: Option<PathBuf>,
    /// Ask the signer certificate's OCSP responder (or CRL distribution point) when the
    /// signature carries no revocation data for it (http:// only)
    #[arg(long)]
    pub(crate) online: bool,
    /// An EU trusted list (ETSI TS 119 612 XML: a national list, or the EU list of lists and
    /// the national lists it points to), repeatable: its qualified CAs become trust anchors
    /// and each signature is said qualified or not; added to the lists configured in
    /// ~/.config/cie/tsl/ and /etc/cie/tsl/ (docs/VERIFY.md)
    #[arg(long, value_name = "FILE")]
    pub(crate) tsl: Vec<PathBuf>,
    /// A certificate (PEM or DER) trusted to sign the --tsl lists, repeatable; a national list
    /// may instead be signed by a certificate a given list of lists names for it
    #[arg(long, value_name = "CERT")]
    pub(crate) tsl_signer: Vec<PathBuf>,
}

impl Run for VerifyArgs {
    /// `--content` belongs to one signature: not with several files nor a directory.
    fn check(&self, _ctx: &Ctx) -> Result<(), Mistake> {
        if self.content.is_some() && (self.files.len() > 1 || self.files.iter().any(|f| f.is_dir())) {
            return Err(tr!(VerifyContentOneFile).into());
        }
        Ok(())
    }

    /// Verifies each file's signatures and prints its report.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let mut trust = trust_anchors(&self.ca, !self.no_default_ca)?;
        trusted_lists(&mut trust, &self.tsl, &self.tsl_signer, !self.no_default_ca)?;
        trust.set_online_revocation(self.online);
        let (entries, any_dir) =
            batch::expand(&self.files).map_err(|_| Failure::File(tr!(VerifyTooManyFiles, max = batch::MAX_FILES)))?;
        match entries.as_slice() {
            [Entry::File(file)] if !any_dir => {
                let mut bar = ctx.progress.bar(tr!(ProgressVerifying, file = file.display()), None);
                let report = check(file, &trust, self.content.as_deref(), &mut bar)?;
                drop(bar);
                print_report(ctx, file, self.content.as_deref(), &report, &trust);
                verdict(&report)
            }
            entries => verify_all(ctx, entries, &trust),
        }
    }
}

/// What checking one entry of a batch gave.
enum Outcome {
    /// The file's report.
    Report(Report),
    /// It could not be checked.
    Error(Failure),
    /// The file is the content of this detached signature, in the same batch: checked with it.
    ContentOf(PathBuf),
}

/// The path an entry of the batch names.
fn entry_path(entry: &Entry) -> &Path {
    match entry {
        Entry::File(p) | Entry::Unlisted(p, _) | Entry::Empty(p) | Entry::TooDeep(p) => p,
    }
}

/// Checks one entry of a batch (on a worker thread); `listed` are the batch's files.
fn check_entry(entry: &Entry, listed: &HashSet<&Path>, trust: &Trust) -> Outcome {
    let file = match entry {
        Entry::File(f) => f,
        Entry::Unlisted(dir, e) => {
            return Outcome::Error(Failure::File(tr!(FileError, path = shown_path(dir), detail = e.to_string())))
        }
        Entry::Empty(dir) => return Outcome::Error(Failure::File(tr!(VerifyEmptyDirectory, dir = shown_path(dir)))),
        Entry::TooDeep(dir) => {
            return Outcome::Error(Failure::File(tr!(VerifyTooDeep, dir = shown_path(dir), max = batch::MAX_DEPTH)))
        }
    };
    let mut signature = file.as_os_str().to_owned();
    for ext in [".p7s", ".P7S"] {
        signature.push(ext);
        if listed.contains(Path::new(&signature)) {
            return Outcome::ContentOf(PathBuf::from(signature));
        }
        signature = file.as_os_str().to_owned();
    }
    match check(file, trust, None, &mut cie_sign::Silent) {
        Ok(report) => Outcome::Report(report),
        Err(e) => Outcome::Error(e),
    }
}

/// What a file of a batch that met a bug in this tool gets.
const INTERNAL_ERROR: &str = "internal error while checking this file (a bug in cie: please report it)";

/// A path made safe to print: what a terminal would obey is escaped.
fn shown_path(path: &Path) -> String {
    shown(&path.display().to_string())
}

/// `cie --json verify` of several files: a file that could not be checked.
#[derive(Serialize)]
struct FileErrorJson {
    /// The file (or directory).
    file: String,
    /// The message, in English.
    error: String,
    /// What to do, in English.
    hint: String,
    /// The exit code the file alone would give.
    exit_code: u8,
}

/// `cie --json verify` of several files: the content of a detached signature of the batch.
#[derive(Serialize)]
struct ContentOfJson {
    /// The file.
    file: String,
    /// The detached signature it was checked with.
    content_of: String,
}

/// Verifies the `entries` in parallel ([`batch::in_order`], a bar over the files on a
/// terminal) and reports each in their order as for one file, or its error as `main` would;
/// then the summary. Exit 1 if any is TOTAL-FAILED or could not be checked, else 6 if any is
/// INDETERMINATE, else 0.
fn verify_all(ctx: &Ctx, entries: &[Entry], trust: &Trust) -> Result<(), Failure> {
    let listed: HashSet<&Path> =
        entries.iter().filter_map(|e| if let Entry::File(f) = e { Some(f.as_path()) } else { None }).collect();
    let bar = ctx.progress.files(entries.len());
    let json = ctx.globals.json;
    // The name alone: a long path would crowd the count out of the line.
    let start = |entry: &Entry| {
        let path = entry_path(entry);
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        bar.start(tr!(ProgressVerifying, file = shown(&name)));
    };
    // The trusted lists are the whole batch's: said once, before the files.
    if !json && !trust.trusted_lists().is_empty() {
        bar.suspend(|| {
            for l in trust.trusted_lists() {
                println!("{}", list_line(l));
            }
            println!();
        });
    }
    if let Some(first) = entries.first() {
        start(first);
    }
    let (mut failed, mut indeterminate, mut errors, mut contents) = (0usize, 0usize, 0usize, 0usize);
    let mut blocks = 0usize;
    // A blank line between the text blocks on standard output.
    let mut block = |print: &dyn Fn()| {
        if blocks > 0 && !json {
            println!();
        }
        blocks += 1;
        print();
    };
    batch::in_order(
        entries,
        |entry| {
            // A bug met on one file (a panic in a parser) is that file's error, not the end of
            // the batch; nothing is shared but the read-only trust anchors.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_entry(entry, &listed, trust)))
                .unwrap_or_else(|_| Outcome::Error(Failure::Document(tr!(DocumentError, detail = INTERNAL_ERROR))))
        },
        |i, outcome| {
            let file = entry_path(&entries[i]);
            bar.suspend(|| match outcome {
                Outcome::Report(report) => {
                    block(&|| {
                        if json {
                            print_json(&report_json(file, &report, trust));
                        } else {
                            for line in compact_lines(file, &report) {
                                println!("{line}");
                            }
                        }
                    });
                    match verdict(&report) {
                        Ok(()) => {}
                        Err(Failure::Indeterminate(..)) => indeterminate += 1,
                        Err(_) => failed += 1,
                    }
                }
                Outcome::ContentOf(signature) => {
                    contents += 1;
                    block(&|| {
                        if json {
                            print_json(&ContentOfJson {
                                file: file.display().to_string(),
                                content_of: signature.display().to_string(),
                            });
                        } else {
                            let (file, signature) = (shown_path(file), shown_path(&signature));
                            println!("{}", tr!(VerifyDetachedContent, file = file, signature = signature));
                        }
                    });
                }
                Outcome::Error(failure) => {
                    errors += 1;
                    // The file's name first, once: a read error gives it already.
                    let failure = match failure {
                        Failure::Document(t) if !t.english().starts_with(&format!("{}: ", file.display())) => {
                            Failure::Document(tr!(VerifyFileError, file = shown_path(file), message = t))
                        }
                        other => other,
                    };
                    let (message, advice) = (failure.message(), failure.advice());
                    if json {
                        eprintln!("{}", tr!(ErrorLine, message = message.clone()));
                        eprintln!("{}", tr!(HintLine, hint = advice.clone()));
                        print_json(&FileErrorJson {
                            file: file.display().to_string(),
                            error: message.english(),
                            hint: advice.english(),
                            exit_code: failure.exit_code(),
                        });
                    } else {
                        // In the order of the files, with the reports: the message names it.
                        block(&|| {
                            println!("{message}");
                            println!("{}", tr!(VerifyNotChecked, hint = advice.clone()));
                        });
                    }
                }
            });
            bar.done_one();
            if let Some(next) = entries.get(i + 1) {
                start(next);
            }
        },
    );
    drop(bar);
    let count = entries.len() - contents;
    let passed = count - failed - indeterminate - errors;
    let summary = || {
        tr!(
            VerifySummary,
            count = count,
            passed = passed,
            failed = failed,
            indeterminate = indeterminate,
            errors = errors
        )
    };
    if !json {
        block(&|| println!("{}", tr!(VerifySummaryLine, summary = summary())));
    }
    if failed + errors > 0 {
        Err(Failure::Invalid(summary(), None))
    } else if indeterminate > 0 {
        Err(Failure::Indeterminate(summary(), None))
    } else {
        Ok(())
    }
}

/// Verifies every signature of `file` against `trust`, `progress` told of the bytes read.
fn check(
    file: &Path,
    trust: &Trust,
    content: Option<&Path>,
    progress: &mut dyn cie_sign::Progress,
) -> Result<Report, Failure> {
    // A detached signature next to its content: `doc.p7s` signs `doc`.
    let guessed = match content {
        Some(_) => None,
        None => {
            let name = file.to_string_lossy();
            [".p7s", ".P7S"].iter().find_map(|ext| name.strip_suffix(ext)).map(PathBuf::from).filter(|p| p.is_file())
        }
    };
    let detached_content = content.or(guessed.as_deref());
    cie_sign::verify_file(file, detached_content, trust, progress).map_err(|e| match (e, detached_content) {
        (cie_sign::Error::ContentMismatch(_), Some(c)) => Failure::Document(tr!(ContentDiffers, file = c.display())),
        // A detached signature without its content, an encrypted PDF...
        (cie_sign::Error::Unsupported(d), _) => {
            Failure::Document(tr!(DocumentUnsupported, detail = shown(&cie_sign::reason::without_offsets(&d))))
        }
        (e, _) => e.into(),
    })
}

/// Prints the report of `file` (a detached signature of `content`, when given): text, or its
/// JSON object with `--json`.
fn print_report(ctx: &Ctx, file: &Path, content: Option<&Path>, report: &Report, trust: &Trust) {
    if ctx.globals.json {
        print_json(&report_json(file, report, trust));
    } else {
        let mut lines = report_lines(file, report, trust);
        if let Some(what) = signed_content(file, content, report) {
            lines.insert(1, what);
        }
        for line in lines {
            println!("{line}");
        }
    }
}

/// The document's verdict: Ok if TOTAL-PASSED, else [`Failure::Invalid`] (TOTAL-FAILED, exit 1)
/// or [`Failure::Indeterminate`] (exit 6).
fn verdict(report: &Report) -> Result<(), Failure> {
    let (indication, sub) = (report.indication(), report.sub_indication());
    let why = reason(sub, &report.modifications);
    let error = || tr!(VerdictError, indication = indication.as_str(), sub = token(sub), reason = why.clone());
    match indication {
        Indication::TotalPassed => Ok(()),
        Indication::TotalFailed => Err(Failure::Invalid(error(), sub)),
        Indication::Indeterminate => Err(Failure::Indeterminate(error(), sub)),
    }
}

/// The ETSI token of a sub-indication, `-` for none.
fn token(sub: Option<SubIndication>) -> &'static str {
    sub.map_or("-", |s| s.as_str())
}

/// "VALID (TOTAL-PASSED)", "INVALID: TOTAL-FAILED (HASH_FAILURE)"...
fn verdict_words(indication: Indication, sub: Option<SubIndication>) -> Text {
    match indication {
        Indication::TotalPassed => tr!(VerdictPassed),
        Indication::TotalFailed => tr!(VerdictFailed, sub = token(sub)),
        Indication::Indeterminate => tr!(VerdictIndeterminate, sub = token(sub)),
    }
}

/// Why a document did not pass, in plain words (the sub-indication's meaning).
fn reason(sub: Option<SubIndication>, modifications: &[cie_sign::Modification]) -> Text {
    match sub {
        Some(SubIndication::FormatFailure) => tr!(ReasonFormat),
        Some(SubIndication::HashFailure) => tr!(ReasonHash),
        Some(SubIndication::SigCryptoFailure) => tr!(ReasonSigCrypto),
        Some(SubIndication::ModifiedAfterSigning) => {
            let list = modifications.iter().map(|m| tr!(ModificationItem, modification = m));
            let first = list.reduce(|a, b| tr!(ModificationList, first = a, next = b));
            tr!(ReasonModified, modifications = first.unwrap_or_else(|| tr!(ReasonOther)))
        }
        Some(SubIndication::NoSigningCertificateFound) => tr!(ReasonNoSigningCertificate),
        Some(SubIndication::NoCertificateChainFound) => tr!(ReasonNoChain),
        Some(SubIndication::CertificateChainGeneralFailure) => tr!(ReasonChainFailure),
        Some(SubIndication::OutOfBoundsNoPoe) => tr!(ReasonOutOfBounds),
        Some(SubIndication::NotYetValid) => tr!(ReasonNotYetValid),
        Some(SubIndication::CryptoConstraintsFailure) => tr!(ReasonUnsupportedAlgorithm),
        Some(SubIndication::CryptoConstraintsFailureNoPoe) => tr!(ReasonWeakAlgorithm),
        Some(SubIndication::SignedDataNotFound) => tr!(ReasonNoSignature),
        Some(SubIndication::Revoked) => tr!(ReasonRevoked),
        Some(SubIndication::RevokedNoPoe) => tr!(ReasonRevokedNoPoe),
        Some(SubIndication::RevokedCaNoPoe) => tr!(ReasonRevokedCaNoPoe),
        _ => tr!(ReasonOther),
    }
}

/// The report of one signature, a line each (the notes and problems cie-sign finds told in the
/// language of the environment).
fn signature_lines(s: &SignatureReport) -> Vec<Text> {
    let mut lines = vec![signature_heading(s)];
    if let Some(who) = &s.signer {
        let code = who.fiscal_code.as_deref().map_or_else(|| tr!(NoFiscalCode).to_string(), shown);
        lines.push(tr!(SignerLine, name = shown(&who.name)));
        lines.push(tr!(FiscalCodeLine, code = code));
        lines.push(tr!(SubjectLine, subject = shown(&who.subject)));
        lines.push(tr!(IssuerLine, issuer = shown(&who.issuer)));
    }
    if let Some(t) = &s.signer_name {
        lines.push(tr!(PdfNameLine, text = shown(t)));
    }
    if let Some(t) = &s.reason {
        lines.push(tr!(ReasonLine, text = shown(t)));
    }
    if let Some(t) = &s.location {
        lines.push(tr!(LocationLine, text = shown(t)));
    }
    if let Some(t) = s.signing_time {
        lines.push(tr!(SigningTimeLine, time = t.to_string()));
    } else if s.timestamps.is_empty() {
        lines.push(tr!(NoTimeLine));
    }
    for t in &s.timestamps {
        let time = t.time.map_or_else(|| "?".to_owned(), |t| t.to_string());
        let tsa = t.tsa.as_ref().map_or_else(|| "?".to_owned(), |w| shown(&w.name));
        let archive = t.kind == TimestampKind::Archive;
        lines.push(if t.proves_existence() && t.kind == TimestampKind::Document {
            tr!(DocumentTimestampProofLine, time = time, tsa = tsa)
        } else if t.proves_existence() && archive {
            tr!(ArchiveTimestampProofLine, time = time, tsa = tsa)
        } else if t.proves_existence() {
            tr!(TimestampProofLine, time = time, tsa = tsa)
        } else {
            let verdict = match t.sub_indication() {
                Some(sub) => format!("{} ({})", t.indication().as_str(), sub.as_str()),
                None => t.indication().as_str().to_owned(),
            };
            if archive {
                tr!(ArchiveTimestampNoProofLine, time = time, tsa = tsa, verdict = verdict)
            } else {
                tr!(TimestampNoProofLine, time = time, tsa = tsa, verdict = verdict)
            }
        });
        // Why a timestamp proves nothing, in words: its first problem of the worst kind.
        if !t.proves_existence() {
            let worst = t.problems.iter().find(|p| p.sub.indication() == t.indication());
            lines.extend(worst.map(|p| tr!(TimestampProblemLine, problem = &*p.reason)));
        }
    }
    if let Some(h) = s.hash {
        lines.push(if s.cades { tr!(FormatCadesLine, hash = h.name()) } else { tr!(FormatCmsLine, hash = h.name()) });
    }
    match s.signed_attributes {
        Some(AttributesForm::AsReceived) => lines.push(tr!(AttributesAsReceivedLine)),
        Some(AttributesForm::DerSorted) => lines.push(tr!(AttributesDerSortedLine)),
        None => {}
    }
    if s.encoding == cie_sign::Encoding::Ber {
        lines.push(tr!(EncodingBerLine));
    }
    lines.push(match &s.chain {
        Chain::NotChecked => tr!(ChainNotChecked),
        Chain::Trusted(anchor) => tr!(ChainTrusted, anchor = shown(anchor)),
        Chain::Untrusted(why) => tr!(ChainUntrusted, reason = why),
    });
    if let Some(q) = s.qualification() {
        lines.push(qualification_line(&q));
    }
    match s.covers_whole_document {
        Some(true) => lines.push(tr!(CoverageWhole)),
        Some(false) => lines.push(tr!(CoverageRevision)),
        None => {}
    }
    lines.extend(s.notes.iter().map(|n| tr!(NoteLine, note = n)));
    lines.extend(s.problems.iter().map(|p| tr!(ProblemLine, problem = &*p.reason)));
    lines
}

/// A signature's first line: its level, its field or the signature it countersigns, its verdict.
fn signature_heading(s: &SignatureReport) -> Text {
    let index = shown(&s.level);
    let verdict = verdict_words(s.indication(), s.sub_indication());
    match (s.countersigns(), &s.field) {
        (_, Some(field)) if s.document_timestamp => {
            tr!(DocumentTimestampHeading, index = index, field = shown(field), verdict = verdict)
        }
        (Some(parent), _) => tr!(CountersignatureHeading, index = index, parent = shown(parent), verdict = verdict),
        (None, Some(field)) => tr!(SignatureFieldHeading, index = index, field = shown(field), verdict = verdict),
        (None, None) => tr!(SignatureHeading, index = index, verdict = verdict),
    }
}

/// The compact report of `file` in a batch: its header, each signature's heading, signer and
/// (with trusted lists) qualification, the modifications after signing, the result (`cie
/// verify FILE` alone gives every detail).
fn compact_lines(file: &Path, report: &Report) -> Vec<Text> {
    let n = report.signatures.len();
    let mut lines = vec![tr!(VerifyHeader, file = shown_path(file), kind = kind_name(report), count = n)];
    for s in &report.signatures {
        lines.push(signature_heading(s));
        if let Some(who) = &s.signer {
            lines.push(tr!(SignerLine, name = shown(&who.name)));
        }
        if let Some(q) = s.qualification() {
            lines.push(qualification_line(&q));
        }
    }
    lines.extend(report.modifications.iter().map(|m| tr!(ModificationLine, modification = m)));
    lines.push(result_line(report));
    lines
}

/// The last line of a report: the document's verdict and, unless it passed, why.
fn result_line(report: &Report) -> Text {
    let sub = report.sub_indication();
    match report.indication() {
        Indication::TotalPassed => tr!(ResultPassed, count = report.signatures.len()),
        other => tr!(
            ResultNotPassed,
            indication = other.as_str(),
            sub = token(sub),
            reason = reason(sub, &report.modifications)
        ),
    }
}

/// What `kind` of document, in the report's words.
fn kind_name(report: &Report) -> &'static str {
    match report.kind {
        cie_sign::DocumentKind::Enveloping => "CAdES enveloping (.p7m)",
        cie_sign::DocumentKind::Detached => "CAdES detached",
        cie_sign::DocumentKind::Pdf => "PDF",
    }
}

/// What was signed, for a `.p7m` or a detached signature: the content's file name (the
/// envelope's name without `.p7m`, the content given or the signature's name without `.p7s`).
fn signed_content(file: &Path, content: Option<&Path>, report: &Report) -> Option<Text> {
    let name = |p: &Path| p.file_name().map(|n| shown(&n.to_string_lossy()));
    let without = |exts: [&str; 2]| {
        let n = name(file)?;
        exts.iter().find_map(|e| n.strip_suffix(e).map(str::to_owned)).filter(|n| !n.is_empty())
    };
    match report.kind {
        cie_sign::DocumentKind::Enveloping => {
            let inner = without([".p7m", ".P7M"]).unwrap_or_else(|| tr!(UnnamedContent).to_string());
            Some(tr!(SignedContentInside, name = inner))
        }
        cie_sign::DocumentKind::Detached => {
            let named = content.and_then(name).or_else(|| without([".p7s", ".P7S"]))?;
            Some(tr!(SignedContentDetached, name = named))
        }
        cie_sign::DocumentKind::Pdf => None,
    }
}

/// The text report of `file`: its signatures, the modifications after signing, the result.
fn report_lines(file: &Path, report: &Report, trust: &Trust) -> Vec<Text> {
    let n = report.signatures.len();
    let mut lines = vec![tr!(VerifyHeader, file = shown_path(file), kind = kind_name(report), count = n)];
    lines.extend(trust.trusted_lists().iter().map(list_line));
    for s in &report.signatures {
        lines.extend(signature_lines(s));
    }
    lines.extend(report.modifications.iter().map(|m| tr!(ModificationLine, modification = m)));
    if trust.is_empty() && n > 0 {
        lines.push(tr!(ChainsNotChecked));
    }
    lines.push(result_line(report));
    lines
}

/// `cie --json verify` (docs/VERIFY.md, docs/JSON.md).
#[derive(Serialize)]
struct ReportJson {
    /// The file checked.
    file: String,
    /// The kind of document.
    kind: &'static str,
    /// Whether every signature is valid (TOTAL-PASSED).
    valid: bool,
    /// The document's ETSI indication.
    indication: &'static str,
    /// The document's ETSI sub-indication.
    sub_indication: Option<&'static str>,
    /// Whether any trust anchor was configured.
    chain_checked: bool,
    /// How many trust anchors were configured.
    trust_anchors: usize,
    /// Changes made to a PDF after it was signed, made safe to show.
    modifications: Vec<String>,
    /// Each signature's verdict.
    signatures: Vec<SignatureJson>,
    /// The trusted lists given and what became of each.
    trusted_lists: Vec<TrustedListJson>,
}

/// One signature in [`ReportJson`]; every text quoted from the document goes through [`shown`].
#[derive(Serialize)]
struct SignatureJson {
    /// Where it is: `1`, `1.1` (a countersignature of 1), `1/2` (docs/VERIFY.md).
    level: String,
    /// The level of the signature it countersigns; null when it is not a countersignature.
    countersigns: Option<String>,
    /// Whether it is TOTAL-PASSED.
    valid: bool,
    /// Its ETSI indication.
    indication: &'static str,
    /// Its ETSI sub-indication.
    sub_indication: Option<&'static str>,
    /// The PDF signature field's name.
    field: Option<String>,
    /// The signer's name.
    signer: Option<String>,
    /// The signer's fiscal code.
    fiscal_code: Option<String>,
    /// The signer certificate's subject.
    subject: Option<String>,
    /// The signer certificate's issuer.
    issuer: Option<String>,
    /// The signing time the signer claims.
    signing_time: Option<String>,
    /// Always `true`: the signing time is the signer's claim, not a timestamp.
    signing_time_claimed: bool,
    /// The PDF signature's reason.
    reason: Option<String>,
    /// The PDF signature's location.
    location: Option<String>,
    /// The name in the PDF signature dictionary.
    pdf_signer_name: Option<String>,
    /// The hash algorithm's name.
    hash: Option<&'static str>,
    /// Whether it carries the CAdES signing-certificate attribute.
    cades: bool,
    /// The encoding of the signed attributes that verified: `as_received` or `der_sorted`.
    signed_attributes: Option<&'static str>,
    /// `DER` or `BER`: how the CMS signature is encoded.
    encoding: &'static str,
    /// The certificate chain's status.
    chain: ChainJson,
    /// Whether a PDF signature covers the whole file.
    covers_whole_document: Option<bool>,
    /// Notes about the signature.
    notes: Vec<String>,
    /// Why it did not pass, in words.
    problems: Vec<String>,
    /// Why it did not pass, as ETSI sub-indications (one per problem).
    problem_kinds: Vec<&'static str>,
    /// Its timestamps (RFC 3161), each verified.
    timestamps: Vec<TimestampJson>,
    /// A PDF document timestamp (its verdict and signer are the timestamp's and the TSA).
    document_timestamp: bool,
    /// The revocation data about its certificates, each piece checked.
    revocation: Vec<RevocationJson>,
    /// With trusted lists: `qualified` (a qualified electronic signature) or what it lacks;
    /// null without trusted lists.
    qualification: Option<&'static str>,
    /// When qualified: the trusted list's service its certificate was issued under.
    qualified_service: Option<String>,
}

/// One trusted list in [`ReportJson`].
#[derive(Serialize)]
struct TrustedListJson {
    /// The list's file name.
    file: String,
    /// Its scheme territory, when readable.
    territory: Option<String>,
    /// Whether it is the EU list of lists.
    list_of_lists: bool,
    /// Whether it is used.
    used: bool,
    /// How many qualified CA certificates it added as trust anchors.
    anchors: usize,
    /// Why it is not used.
    problem: Option<String>,
}

/// One piece of revocation data in [`SignatureJson`] (docs/JSON.md).
#[derive(Serialize)]
struct RevocationJson {
    /// `ocsp` or `crl`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `embedded` (carried by the signature) or `online` (fetched with --online).
    origin: &'static str,
    /// The certificate it is about (subject).
    certificate: String,
    /// Who signed it: the OCSP responder or the CRL issuer (subject).
    issuer: String,
    /// `good`, `revoked`, `unknown` or `unverifiable` (never used).
    status: &'static str,
    /// Its thisUpdate.
    this_update: Option<String>,
    /// Its nextUpdate.
    next_update: Option<String>,
    /// When revoked: the revocation time.
    revocation_time: Option<String>,
    /// When revoked: the reason in words, if stated.
    revocation_reason: Option<&'static str>,
    /// When unverifiable: why.
    problem: Option<String>,
}

/// One timestamp in [`SignatureJson`].
#[derive(Serialize)]
struct TimestampJson {
    /// What it time-stamps: `signature`, `document` or `archive`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The time it states (RFC 3339), when readable.
    time: Option<String>,
    /// The TSA's name, from its certificate.
    tsa: Option<String>,
    /// Its verdict.
    indication: &'static str,
    /// Its sub-indication.
    sub_indication: Option<&'static str>,
    /// Whether it proves the signature existed at `time` (intact, TSA trusted and valid).
    proof_of_existence: bool,
    /// The TSA certificate's chain.
    chain: ChainJson,
    /// Why it did not pass, in words.
    problems: Vec<String>,
    /// The revocation data about the TSA's certificates, each piece checked.
    revocation: Vec<RevocationJson>,
}

/// A signature's chain in [`SignatureJson`]: `{"status":"not_checked"}`,
/// `{"status":"trusted","anchor":...}` or `{"status":"untrusted","reason":...}`.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum ChainJson {
    /// No trust anchor was configured.
    NotChecked,
    /// Chains to this anchor.
    Trusted {
        /// The anchor's subject.
        anchor: String,
    },
    /// Chains to no anchor.
    Untrusted {
        /// Why.
        reason: String,
    },
}

/// The `--json` report of `file`.
fn report_json(file: &Path, report: &Report, trust: &Trust) -> ReportJson {
    ReportJson {
        file: file.display().to_string(),
        kind: kind_name(report),
        valid: report.all_valid(),
        indication: report.indication().as_str(),
        sub_indication: report.sub_indication().map(|s| s.as_str()),
        chain_checked: !trust.is_empty(),
        trust_anchors: trust.len(),
        modifications: report.modifications.iter().map(|m| shown(&m.to_string())).collect(),
        signatures: report.signatures.iter().map(signature_json).collect(),
        trusted_lists: trust
            .trusted_lists()
            .iter()
            .map(|l| TrustedListJson {
                file: shown(&l.name),
                territory: l.territory.as_deref().map(shown),
                list_of_lists: l.is_lotl,
                used: l.refused.is_none(),
                anchors: l.anchors,
                problem: l.refused.as_ref().map(|r| shown(&r.to_string())),
            })
            .collect(),
    }
}

/// Strings quoted from the document, made safe to show.
fn shown_list<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    items.map(|m| shown(m)).collect()
}

fn signature_json(s: &SignatureReport) -> SignatureJson {
    let chain = chain_json(&s.chain);
    let who = s.signer.as_ref();
    let safe = |v: Option<&String>| v.map(|v| shown(v));
    SignatureJson {
        level: shown(&s.level),
        countersigns: s.countersigns().map(shown),
        valid: s.is_valid(),
        indication: s.indication().as_str(),
        sub_indication: s.sub_indication().map(|i| i.as_str()),
        field: safe(s.field.as_ref()),
        signer: safe(who.map(|w| &w.name)),
        fiscal_code: safe(who.and_then(|w| w.fiscal_code.as_ref())),
        subject: safe(who.map(|w| &w.subject)),
        issuer: safe(who.map(|w| &w.issuer)),
        signing_time: s.signing_time.map(|t| t.to_string()),
        signing_time_claimed: true,
        reason: safe(s.reason.as_ref()),
        location: safe(s.location.as_ref()),
        pdf_signer_name: safe(s.signer_name.as_ref()),
        hash: s.hash.map(|h| h.name()),
        cades: s.cades,
        signed_attributes: s.signed_attributes.map(AttributesForm::as_str),
        encoding: s.encoding.as_str(),
        chain,
        covers_whole_document: s.covers_whole_document,
        notes: s.notes.iter().map(|n| shown(&n.to_string())).collect(),
        problems: shown_list(s.problems.iter().map(|p| &p.message)),
        problem_kinds: s.problems.iter().map(|p| p.sub.as_str()).collect(),
        timestamps: s.timestamps.iter().map(timestamp_json).collect(),
        document_timestamp: s.document_timestamp,
        revocation: s.revocation.iter().map(revocation_json).collect(),
        qualification: s.qualification().map(|q| q.as_str()),
        qualified_service: match s.qualification() {
            Some(Qualification::Qualified(service)) => Some(shown(&service)),
            _ => None,
        },
    }
}

/// A signature's qualification line (docs/VERIFY.md "Trusted lists").
fn qualification_line(q: &Qualification) -> Text {
    match q {
        Qualification::Qualified(service) => tr!(QualifiedYes, service = shown(service)),
        Qualification::NotValid => tr!(QualifiedNotValid),
        Qualification::NotUnderQualifiedCa => tr!(QualifiedNoCa),
        Qualification::NotQualifiedCertificate => tr!(QualifiedNoQc),
        Qualification::NoQscd => tr!(QualifiedNoQscd),
        Qualification::NotForSignatures(kind) => tr!(QualifiedNotEsign, kind = shown(kind)),
    }
}

/// What became of a trusted list, one line.
fn list_line(l: &cie_sign::trusted_service::ListOutcome) -> Text {
    let territory = l.territory.as_deref().map_or_else(|| "?".to_owned(), shown);
    match &l.refused {
        None => tr!(TslUsed, file = shown(&l.name), territory = territory, anchors = l.anchors),
        Some(why) => tr!(TslRefused, file = shown(&l.name), territory = territory, reason = why),
    }
}

/// Adds the trusted lists to `trust`: the configured ones (`tsl::configured`) unless
/// `installed` is false, plus each `--tsl`, signed by a `--tsl-signer` (or named by a list of
/// lists); each list's outcome is kept in `trust` for the report.
fn trusted_lists(trust: &mut Trust, files: &[PathBuf], signers: &[PathBuf], installed: bool) -> Result<(), Failure> {
    let mut given = Trust::none();
    for path in signers {
        let data = std::fs::read(path).map_err(|e| file_error(path, e))?;
        given.add(&data).map_err(|e| Failure::File(tr!(FileError, path = path.display(), detail = e.to_string())))?;
    }
    let mut sources = if installed {
        cie_sign::tsl::configured()
            .map_err(|e| Failure::File(tr!(TrustAnchorsError, detail = shown(&e.to_string()))))?
    } else {
        Vec::new()
    };
    for path in files {
        let source = cie_sign::tsl::source(path, given.anchors().to_vec())
            .map_err(|e| Failure::File(tr!(FileError, path = path.display(), detail = e.to_string())))?;
        sources.push(source);
    }
    if !sources.is_empty() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        cie_sign::tsl::add_lists(trust, &sources, now);
    }
    Ok(())
}

fn revocation_json(e: &cie_sign::verify::Evidence) -> RevocationJson {
    use cie_sign::verify::RevocationStatus;
    let (revocation_time, revocation_reason, problem) = match &e.status {
        RevocationStatus::Revoked { time, reason } => (Some(time.to_string()), *reason, None),
        RevocationStatus::Unverifiable(why) => (None, None, Some(shown(why))),
        _ => (None, None, None),
    };
    RevocationJson {
        kind: e.kind.as_str(),
        origin: e.origin.as_str(),
        certificate: shown(&e.subject),
        issuer: shown(&e.issuer),
        status: e.status.as_str(),
        this_update: e.this_update.map(|t| t.to_string()),
        next_update: e.next_update.map(|t| t.to_string()),
        revocation_time,
        revocation_reason,
        problem,
    }
}

fn chain_json(chain: &Chain) -> ChainJson {
    match chain {
        Chain::NotChecked => ChainJson::NotChecked,
        Chain::Trusted(a) => ChainJson::Trusted { anchor: shown(a) },
        Chain::Untrusted(w) => ChainJson::Untrusted { reason: shown(&w.to_string()) },
    }
}

fn timestamp_json(t: &TimestampReport) -> TimestampJson {
    TimestampJson {
        kind: t.kind.as_str(),
        time: t.time.map(|t| t.to_string()),
        tsa: t.tsa.as_ref().map(|w| shown(&w.name)),
        indication: t.indication().as_str(),
        sub_indication: t.sub_indication().map(|i| i.as_str()),
        proof_of_existence: t.proves_existence(),
        chain: chain_json(&t.chain),
        problems: shown_list(t.problems.iter().map(|p| &p.message)),
        revocation: t.revocation.iter().map(revocation_json).collect(),
    }
}

/// The trust anchors: the installed ones (`Trust::system`) unless `installed` is false, plus
/// each `--ca`.
fn trust_anchors(ca: &[PathBuf], installed: bool) -> Result<Trust, Failure> {
    let mut trust = if installed {
        Trust::system().map_err(|e| Failure::File(tr!(TrustAnchorsError, detail = shown(&e.to_string()))))?
    } else {
        Trust::none()
    };
    for path in ca {
        let data = std::fs::read(path).map_err(|e| file_error(path, e))?;
        trust.add(&data).map_err(|e| Failure::File(tr!(FileError, path = path.display(), detail = e.to_string())))?;
    }
    Ok(trust)
}

#[cfg(test)]
mod tests {
    use cie_sign::change::Change;
    use cie_sign::verify::DocumentKind;
    use cie_sign::{HashAlg, Identity, Problem, Reason};

    use super::*;
    use crate::i18n::Lang;
    use crate::output::json_line;

    fn signature(problems: Vec<Problem>) -> SignatureReport {
        SignatureReport {
            level: "1".into(),
            field: Some("Firma\u{202e}1".into()),
            signer: Some(Identity {
                name: "MARIO\u{1b}[2J ROSSI".into(),
                fiscal_code: Some("RSSMRA80A01H501U".into()),
                subject: "CN=MARIO ROSSI".into(),
                issuer: "CN=CA".into(),
            }),
            hash: Some(HashAlg::Sha256),
            signing_time: None,
            cades: true,
            problems,
            notes: vec![Reason::SubFilterNotChecked("line one\nforged: line".into())],
            chain: Chain::Trusted("CN=CA".into()),
            covers_whole_document: Some(false),
            reason: Some("Approvazione\u{1b}]0;x\u{7}".into()),
            location: None,
            signer_name: None,
            signed_attributes: Some(AttributesForm::DerSorted),
            encoding: cie_sign::Encoding::Ber,
            timestamps: vec![TimestampReport {
                kind: TimestampKind::Signature,
                time: cie_sign::der::DateTime::new(2024, 3, 1, 12, 0, 0).ok(),
                tsa: Some(Identity {
                    name: "TSA\u{1b}[31m 1".into(),
                    fiscal_code: None,
                    subject: "CN=TSA".into(),
                    issuer: "CN=TSA CA".into(),
                }),
                chain: Chain::Trusted("CN=TSA CA".into()),
                problems: Vec::new(),
                revocation: Vec::new(),
                notes: Vec::new(),
            }],
            document_timestamp: false,
            revocation: vec![cie_sign::verify::Evidence {
                kind: cie_sign::verify::EvidenceKind::Ocsp,
                origin: cie_sign::verify::EvidenceOrigin::Online,
                subject: "CN=MARIO ROSSI".into(),
                issuer: "CN=OCSP\u{1b}[1m".into(),
                this_update: cie_sign::der::DateTime::new(2024, 3, 1, 12, 0, 0).ok(),
                next_update: None,
                status: cie_sign::verify::RevocationStatus::Revoked {
                    time: cie_sign::der::DateTime::new(2024, 2, 1, 0, 0, 0).unwrap(),
                    reason: Some("key compromise"),
                },
            }],
            qualified_basis: None,
        }
    }

    fn render(lines: &[Text], lang: Lang) -> String {
        lines.iter().map(|l| l.render(lang) + "\n").collect()
    }

    /// Modifications after signing: each on its own line, in the result, TOTAL-FAILED; the
    /// hint does not blame an untrusted chain; what the document says is escaped.
    #[test]
    fn modifications_and_escaping_in_both_languages() {
        let mut trust = Trust::none();
        trust.add(cie_sim::fixtures::citizen_ca_certificate()).unwrap();
        let mut report = Report::new(DocumentKind::Pdf, vec![signature(vec![])]);
        report.modifications =
            vec![Change::PageContentReplaced(1).into(), Change::AnnotationAdded(1, "Text\u{2028}x".into()).into()];
        let file = Path::new("modulo.pdf");
        let en = render(&report_lines(file, &report, &trust), Lang::En);
        assert!(en.contains("signature 1 (field Firma\\u{202e}1): VALID (TOTAL-PASSED)\n"), "{en}");
        assert!(en.contains("  signer:       MARIO\\u{001b}[2J ROSSI\n"), "{en}");
        assert!(en.contains("  note:         SubFilter /line one\\u{000a}forged: line is not checked"), "{en}");
        assert!(en.contains("\n  encoding:     BER encoding (indefinite lengths or content in chunks"), "{en}");
        assert!(
            en.contains("\nmodified after signing: the content stream of page 1 was replaced (/Contents)\n"),
            "{en}"
        );
        assert!(en.contains("\nmodified after signing: an annotation was added to page 1 (/Text\\u{2028}x)\n"), "{en}");
        assert!(
            en.ends_with(
                "result: TOTAL-FAILED (MODIFIED_AFTER_SIGNING) — the document was modified after signing: \
                 the content stream of page 1 was replaced (/Contents); an annotation was added to page 1 \
                 (/Text\\u{2028}x)\n"
            ),
            "{en}"
        );
        let it = render(&report_lines(file, &report, &trust), Lang::It);
        assert!(
            it.contains("\nmodificato dopo la firma: il contenuto della pagina 1 è stato sostituito (/Contents)\n"),
            "{it}"
        );
        assert!(it.contains("\n  codifica:        codifica BER (lunghezze indefinite"), "{it}");
        assert!(it.contains(
            "esito: TOTAL-FAILED (MODIFIED_AFTER_SIGNING) — il documento è stato modificato dopo la firma: il \
             contenuto della pagina 1 è stato sostituito (/Contents); è stata aggiunta un'annotazione alla pagina 1"
        ));
        let json = json_line(&report_json(file, &report, &trust));
        assert!(
            json.contains(r#""valid":false,"indication":"TOTAL-FAILED","sub_indication":"MODIFIED_AFTER_SIGNING""#),
            "{json}"
        );
        assert!(
            json.contains(r#""modifications":["the content stream of page 1 was replaced (/Contents)","an annotation was added to page 1 (/Text\\u{2028}x)"]"#),
            "{json}"
        );
        assert!(json.contains(r#""signer":"MARIO\\u{001b}[2J ROSSI""#), "{json}");
        assert!(json.contains(r#""encoding":"BER""#), "{json}");
        // The timestamp: its time and TSA (escaped), a proof of existence.
        assert!(
            en.contains("\n  timestamp:    2024-03-01T12:00:00Z by \"TSA\\u{001b}[31m 1\" (verified: proves the signature existed then"),
            "{en}"
        );
        assert!(it.contains("\n  marca temporale: 2024-03-01T12:00:00Z di \"TSA\\u{001b}[31m 1\" (verificata"), "{it}");
        assert!(
            json.contains(r#""timestamps":[{"type":"signature","time":"2024-03-01T12:00:00Z","tsa":"TSA\\u{001b}[31m 1","indication":"TOTAL-PASSED","sub_indication":null,"proof_of_existence":true,"chain":{"status":"trusted","anchor":"CN=TSA CA"},"problems":[],"revocation":[]}]"#),
            "{json}"
        );
        // The revocation data, its issuer's name escaped.
        assert!(
            json.contains(r#""revocation":[{"type":"ocsp","origin":"online","certificate":"CN=MARIO ROSSI","issuer":"CN=OCSP\\u{001b}[1m","status":"revoked","this_update":"2024-03-01T12:00:00Z","next_update":null,"revocation_time":"2024-02-01T00:00:00Z","revocation_reason":"key compromise","problem":null}]"#),
            "{json}"
        );
    }

    /// A signature's verdict in its heading, the worst one in the result, problems with kinds.
    #[test]
    fn worst_signature_decides() {
        let mut failed = signature(vec![Problem::new(SubIndication::SigCryptoFailure, Reason::SignatureInvalid)]);
        failed.level = "2".into();
        let weak = signature(vec![Problem::new(SubIndication::CryptoConstraintsFailureNoPoe, Reason::Sha1Signature)]);
        let report = Report::new(DocumentKind::Enveloping, vec![weak.clone(), failed]);
        let en = render(&report_lines(Path::new("x.p7m"), &report, &Trust::none()), Lang::En);
        assert!(en.contains("signature 1 (field Firma\\u{202e}1): NOT CONFIRMED: INDETERMINATE (CRYPTO_CONSTRAINTS_FAILURE_NO_POE)\n"), "{en}");
        assert!(
            en.contains("signature 2 (field Firma\\u{202e}1): INVALID: TOTAL-FAILED (SIG_CRYPTO_FAILURE)\n"),
            "{en}"
        );
        assert!(en.contains("  PROBLEM:      the signature does not verify with the signer's certificate\n"), "{en}");
        assert!(en.ends_with("result: TOTAL-FAILED (SIG_CRYPTO_FAILURE) — a signature value does not verify with the signer's key: the signature or its signed attributes were altered\n"), "{en}");
        let report = Report::new(DocumentKind::Enveloping, vec![weak]);
        let it = render(&report_lines(Path::new("x.p7m"), &report, &Trust::none()), Lang::It);
        assert!(
            it.contains("algoritmo debole: SHA-1 non è più accettato per le firme apposte dopo il 1° gennaio 2011"),
            "{it}"
        );
        assert!(it.ends_with("esito: INDETERMINATE (CRYPTO_CONSTRAINTS_FAILURE_NO_POE) — una firma usa un algoritmo non più considerato sicuro (come SHA-1 o MD5) e nulla prova che sia stata apposta prima\n"), "{it}");
        let json = json_line(&report_json(Path::new("x.p7m"), &report, &Trust::none()));
        assert!(
            json.contains(r#""problems":["weak algorithm: SHA-1 is no longer accepted for signatures made after 2011-01-01, and nothing proves this one is older"],"problem_kinds":["CRYPTO_CONSTRAINTS_FAILURE_NO_POE"]"#),
            "{json}"
        );
        assert!(json.contains(r#""chain_checked":false,"trust_anchors":0"#), "{json}");
    }
}
