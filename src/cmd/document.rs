//! `cie sign --format cades|cades-detached|pades`, `cie verify` and `cie extract`: document
//! signatures through the cie-sign crate (CAdES `.p7m`, PAdES PDF).
//!
//! Inputs are read and checked before the PIN is asked, so a wrong file costs no PIN try;
//! outputs are written to a new temporary file with an unpredictable name, renamed into place,
//! so a failure leaves no half-written document and no link planted in the directory is
//! followed.
//!
//! `cie verify` prints the ETSI EN 319 102-1 verdict of each signature and of the document
//! (docs/VERIFY.md); everything quoted from a document goes through [`shown`] first.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::verdict::shown;
use cie_sign::{Chain, HashAlg, Indication, Report, SignatureReport, SubIndication, Trust};

use crate::args::SignFormat;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::i18n::Text;
use crate::output::Json;
use crate::staged::Staged;

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
    let (staged, mut out) = Staged::create(output)?;
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
    staged.commit(out)?;
    let cert = s.certificate()?;
    let who = cie_sign::chain::Cert::from_der(&cert).map(|c| cie_sign::identity::identity(&c.cert))?;
    if ctx.globals.json {
        let j = Json::object([
            ("input", Json::str(input.display().to_string())),
            ("output", Json::str(output.display().to_string())),
            ("format", Json::str(format_name(format))),
            ("hash", Json::str(hash.name())),
            ("signer", Json::str(shown(&who.name))),
            ("fiscal_code", Json::opt_str(who.fiscal_code.as_deref().map(shown))),
        ]);
        println!("{j}");
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
fn reason(sub: Option<SubIndication>, modifications: &[String]) -> Text {
    match sub {
        Some(SubIndication::FormatFailure) => tr!(ReasonFormat),
        Some(SubIndication::HashFailure) => tr!(ReasonHash),
        Some(SubIndication::SigCryptoFailure) => tr!(ReasonSigCrypto),
        Some(SubIndication::ModifiedAfterSigning) => {
            let list: Vec<String> = modifications.iter().map(|m| shown(m)).collect();
            tr!(ReasonModified, modifications = list.join("; "))
        }
        Some(SubIndication::NoSigningCertificateFound) => tr!(ReasonNoSigningCertificate),
        Some(SubIndication::NoCertificateChainFound) => tr!(ReasonNoChain),
        Some(SubIndication::CertificateChainGeneralFailure) => tr!(ReasonChainFailure),
        Some(SubIndication::OutOfBoundsNoPoe) => tr!(ReasonOutOfBounds),
        Some(SubIndication::NotYetValid) => tr!(ReasonNotYetValid),
        Some(SubIndication::CryptoConstraintsFailure) => tr!(ReasonUnsupportedAlgorithm),
        Some(SubIndication::CryptoConstraintsFailureNoPoe) => tr!(ReasonWeakAlgorithm),
        Some(SubIndication::SignedDataNotFound) => tr!(ReasonNoSignature),
        _ => tr!(ReasonOther),
    }
}

/// The report of one signature, a line each (the notes and problems cie-sign finds stay in
/// English).
fn signature_lines(i: usize, s: &SignatureReport) -> Vec<Text> {
    let index = i + 1;
    let verdict = verdict_words(s.indication(), s.sub_indication());
    let heading = match &s.field {
        Some(field) => tr!(SignatureFieldHeading, index = index, field = shown(field), verdict = verdict),
        None => tr!(SignatureHeading, index = index, verdict = verdict),
    };
    let mut lines = vec![heading];
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
    }
    if let Some(h) = s.hash {
        lines.push(if s.cades { tr!(FormatCadesLine, hash = h.name()) } else { tr!(FormatCmsLine, hash = h.name()) });
    }
    lines.push(match &s.chain {
        Chain::NotChecked => tr!(ChainNotChecked),
        Chain::Trusted(anchor) => tr!(ChainTrusted, anchor = shown(anchor)),
        Chain::Untrusted(why) => tr!(ChainUntrusted, reason = shown(why)),
    });
    match s.covers_whole_document {
        Some(true) => lines.push(tr!(CoverageWhole)),
        Some(false) => lines.push(tr!(CoverageRevision)),
        None => {}
    }
    lines.extend(s.notes.iter().map(|n| tr!(NoteLine, note = shown(n))));
    lines.extend(s.problems.iter().map(|p| tr!(ProblemLine, problem = shown(&p.message))));
    lines
}

/// What `kind` of document, in the report's words.
fn kind_name(report: &Report) -> &'static str {
    match report.kind {
        cie_sign::DocumentKind::Enveloping => "CAdES enveloping (.p7m)",
        cie_sign::DocumentKind::Detached => "CAdES detached",
        cie_sign::DocumentKind::Pdf => "PDF",
    }
}

/// The text report of `file`: its signatures, the modifications after signing, the result.
fn report_lines(file: &Path, report: &Report, trust: &Trust) -> Vec<Text> {
    let n = report.signatures.len();
    let mut lines = vec![tr!(VerifyHeader, file = file.display(), kind = kind_name(report), count = n)];
    for (i, s) in report.signatures.iter().enumerate() {
        lines.extend(signature_lines(i, s));
    }
    lines.extend(report.modifications.iter().map(|m| tr!(ModificationLine, modification = shown(m))));
    if trust.is_empty() && n > 0 {
        lines.push(tr!(ChainsNotChecked));
    }
    let sub = report.sub_indication();
    lines.push(match report.indication() {
        Indication::TotalPassed => tr!(ResultPassed, count = n),
        other => tr!(
            ResultNotPassed,
            indication = other.as_str(),
            sub = token(sub),
            reason = reason(sub, &report.modifications)
        ),
    });
    lines
}

/// The `--json` report of `file`.
fn report_json(file: &Path, report: &Report, trust: &Trust) -> Json {
    Json::object([
        ("file", Json::str(file.display().to_string())),
        ("kind", Json::str(kind_name(report))),
        ("valid", Json::Bool(report.all_valid())),
        ("indication", Json::str(report.indication().as_str())),
        ("sub_indication", Json::opt_str(report.sub_indication().map(|s| s.as_str()))),
        ("chain_checked", Json::Bool(!trust.is_empty())),
        ("trust_anchors", Json::Int(trust.len().try_into().unwrap_or(i64::MAX))),
        ("modifications", shown_list(report.modifications.iter())),
        ("signatures", Json::Array(report.signatures.iter().map(signature_json).collect())),
    ])
}

/// Strings quoted from the document, made safe to show.
fn shown_list<'a>(items: impl Iterator<Item = &'a String>) -> Json {
    Json::Array(items.map(|m| Json::str(shown(m))).collect())
}

fn signature_json(s: &SignatureReport) -> Json {
    let chain = match &s.chain {
        Chain::NotChecked => Json::object([("status", Json::str("not_checked"))]),
        Chain::Trusted(a) => Json::object([("status", Json::str("trusted")), ("anchor", Json::str(shown(a)))]),
        Chain::Untrusted(w) => Json::object([("status", Json::str("untrusted")), ("reason", Json::str(shown(w)))]),
    };
    let who = s.signer.as_ref();
    let safe = |v: Option<&String>| Json::opt_str(v.map(|v| shown(v)));
    Json::object([
        ("valid", Json::Bool(s.is_valid())),
        ("indication", Json::str(s.indication().as_str())),
        ("sub_indication", Json::opt_str(s.sub_indication().map(|i| i.as_str()))),
        ("field", safe(s.field.as_ref())),
        ("signer", safe(who.map(|w| &w.name))),
        ("fiscal_code", safe(who.and_then(|w| w.fiscal_code.as_ref()))),
        ("subject", safe(who.map(|w| &w.subject))),
        ("issuer", safe(who.map(|w| &w.issuer))),
        ("signing_time", Json::opt_str(s.signing_time.map(|t| t.to_string()))),
        ("signing_time_claimed", Json::Bool(true)),
        ("reason", safe(s.reason.as_ref())),
        ("location", safe(s.location.as_ref())),
        ("pdf_signer_name", safe(s.signer_name.as_ref())),
        ("hash", Json::opt_str(s.hash.map(|h| h.name()))),
        ("cades", Json::Bool(s.cades)),
        ("chain", chain),
        ("covers_whole_document", s.covers_whole_document.map_or(Json::Null, Json::Bool)),
        ("notes", shown_list(s.notes.iter())),
        ("problems", shown_list(s.problems.iter().map(|p| &p.message))),
        ("problem_kinds", Json::Array(s.problems.iter().map(|p| Json::str(p.sub.as_str())).collect())),
    ])
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

/// Verifies every signature of `file` against the installed trust anchors (unless
/// `installed_anchors` is false) and `ca`; succeeds only if the document is TOTAL-PASSED
/// (TOTAL-FAILED: [`Failure::Invalid`], exit 1; INDETERMINATE: [`Failure::Indeterminate`],
/// exit 6).
pub fn verify(
    ctx: &Ctx,
    file: &Path,
    ca: &[PathBuf],
    installed_anchors: bool,
    content: Option<&Path>,
) -> Result<(), Failure> {
    let trust = trust_anchors(ca, installed_anchors)?;
    // A detached signature next to its content: `doc.p7s` signs `doc`.
    let guessed = match content {
        Some(_) => None,
        None => {
            let name = file.to_string_lossy();
            [".p7s", ".P7S"].iter().find_map(|ext| name.strip_suffix(ext)).map(PathBuf::from).filter(|p| p.is_file())
        }
    };
    let given = content.or(guessed.as_deref());
    let report: Report = cie_sign::verify_file(file, given, &trust).map_err(|e| match (e, given) {
        (cie_sign::Error::ContentMismatch(_), Some(c)) => Failure::Document(tr!(ContentDiffers, file = c.display())),
        // A detached signature without its content, an encrypted PDF...
        (cie_sign::Error::Unsupported(d), _) => Failure::Document(tr!(DocumentUnsupported, detail = shown(&d))),
        (e, _) => e.into(),
    })?;
    if ctx.globals.json {
        println!("{}", report_json(file, &report, &trust));
    } else {
        for line in report_lines(file, &report, &trust) {
            println!("{line}");
        }
    }
    let (indication, sub) = (report.indication(), report.sub_indication());
    let why = reason(sub, &report.modifications);
    let error = || tr!(VerdictError, indication = indication.as_str(), sub = token(sub), reason = why.clone());
    match indication {
        Indication::TotalPassed => Ok(()),
        Indication::TotalFailed => Err(Failure::Invalid(error(), sub)),
        Indication::Indeterminate => Err(Failure::Indeterminate(error(), sub)),
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
    let (staged, mut out) = Staged::create(output)?;
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
    staged.commit(out)?;
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

#[cfg(test)]
mod tests {
    use cie_sign::verify::DocumentKind;
    use cie_sign::{Identity, Problem};

    use super::*;
    use crate::i18n::Lang;

    fn signature(problems: Vec<Problem>) -> SignatureReport {
        SignatureReport {
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
            notes: vec!["line one\nforged: line".into()],
            chain: Chain::Trusted("CN=CA".into()),
            covers_whole_document: Some(false),
            reason: Some("Approvazione\u{1b}]0;x\u{7}".into()),
            location: None,
            signer_name: None,
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
        report.modifications = vec!["page 1 content changed".into(), "new annotation\u{2028}x".into()];
        let file = Path::new("modulo.pdf");
        let en = render(&report_lines(file, &report, &trust), Lang::En);
        assert!(en.contains("signature 1 (field Firma\\u{202e}1): VALID (TOTAL-PASSED)\n"), "{en}");
        assert!(en.contains("  signer:       MARIO\\u{001b}[2J ROSSI\n"), "{en}");
        assert!(en.contains("  note:         line one\\u{000a}forged: line\n"), "{en}");
        assert!(en.contains("\nmodified after signing: page 1 content changed\n"), "{en}");
        assert!(en.contains("\nmodified after signing: new annotation\\u{2028}x\n"), "{en}");
        assert!(
            en.ends_with(
                "result: TOTAL-FAILED (MODIFIED_AFTER_SIGNING) — the document was modified after signing: \
                 page 1 content changed; new annotation\\u{2028}x\n"
            ),
            "{en}"
        );
        let it = render(&report_lines(file, &report, &trust), Lang::It);
        assert!(it.contains("\nmodificato dopo la firma: page 1 content changed\n"), "{it}");
        assert!(it.contains(
            "esito: TOTAL-FAILED (MODIFIED_AFTER_SIGNING) — il documento è stato modificato dopo la firma: "
        ));
        let json = report_json(file, &report, &trust).to_string();
        assert!(
            json.contains(r#""valid":false,"indication":"TOTAL-FAILED","sub_indication":"MODIFIED_AFTER_SIGNING""#),
            "{json}"
        );
        assert!(json.contains(r#""modifications":["page 1 content changed","new annotation\\u{2028}x"]"#), "{json}");
        assert!(json.contains(r#""signer":"MARIO\\u{001b}[2J ROSSI""#), "{json}");
    }

    /// A signature's verdict in its heading, the worst one in the result, problems with kinds.
    #[test]
    fn worst_signature_decides() {
        let failed = signature(vec![Problem::new(SubIndication::SigCryptoFailure, "bad signature value")]);
        let weak = signature(vec![Problem::new(SubIndication::CryptoConstraintsFailureNoPoe, "SHA-1")]);
        let report = Report::new(DocumentKind::Enveloping, vec![weak.clone(), failed]);
        let en = render(&report_lines(Path::new("x.p7m"), &report, &Trust::none()), Lang::En);
        assert!(en.contains("signature 1 (field Firma\\u{202e}1): NOT CONFIRMED: INDETERMINATE (CRYPTO_CONSTRAINTS_FAILURE_NO_POE)\n"), "{en}");
        assert!(
            en.contains("signature 2 (field Firma\\u{202e}1): INVALID: TOTAL-FAILED (SIG_CRYPTO_FAILURE)\n"),
            "{en}"
        );
        assert!(en.contains("  PROBLEM:      bad signature value\n"), "{en}");
        assert!(en.ends_with("result: TOTAL-FAILED (SIG_CRYPTO_FAILURE) — a signature value does not verify with the signer's key: the signature or its signed attributes were altered\n"), "{en}");
        let report = Report::new(DocumentKind::Enveloping, vec![weak]);
        let it = render(&report_lines(Path::new("x.p7m"), &report, &Trust::none()), Lang::It);
        assert!(it.ends_with("esito: INDETERMINATE (CRYPTO_CONSTRAINTS_FAILURE_NO_POE) — una firma usa un algoritmo non più considerato sicuro (come SHA-1) e nulla prova che sia stata apposta prima\n"), "{it}");
        let json = report_json(Path::new("x.p7m"), &report, &Trust::none()).to_string();
        assert!(
            json.contains(r#""problems":["SHA-1"],"problem_kinds":["CRYPTO_CONSTRAINTS_FAILURE_NO_POE"]"#),
            "{json}"
        );
        assert!(json.contains(r#""chain_checked":false,"trust_anchors":0"#), "{json}");
    }
}
