//! The evidence corpus (issue 23): every third-party signed file of `tests/corpus/{esig-dss,
//! italian,endesive,go-pkcs7,mbedtls}/` and the signed PDFs of pyHanko's source distribution
//! (`tests/corpus/pyhanko/MANIFEST`), each verified by `cie_sign::verify_file` without trust
//! anchors and by the reference verifiers on the same bytes: `openssl cms -verify -noverify` for
//! CMS (and `-nosigs -out` for the content it extracts), poppler's `pdfsig -nocert` and pyHanko
//! (its Python API, no revocation checking, no trust) for PDFs. Only integrity is compared: is
//! every signature intact, nothing TOTAL-FAILED (hash, signature value, format, changes after
//! signing)? Trust is out of scope: no file is TOTAL-PASSED without anchors. Every disagreement
//! is listed with its reason in the MANIFESTs, and the test asserts that the list is exactly the
//! disagreements found. A panic or a verification over 10 s fails the test.
//!
//! The same verdicts are also compared with what each file's own project expects of it (the
//! MANIFESTs' "origin expects" column, read by fixed rules; a file with no stated verdict does not
//! count): intact means no signature TOTAL-FAILED (nothing TOTAL-FAILED when the origin judges
//! the document: changes after signing, coverage), broken or not valid means some finding beyond
//! the missing trust anchor. Those disagreements are listed with their reason in
//! `tests/corpus/ORIGIN`, exactly, and the test requires at least 95 % agreement on the files the
//! origin calls intact.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cie_sign::{nested, verify_file, Indication, Report, Silent, Trust};

/// What a verifier says of a file's integrity, with a short reason when it is not intact.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Integrity {
    Intact,
    Broken(String),
}

impl Integrity {
    fn intact(&self) -> bool {
        *self == Integrity::Intact
    }
}

/// One file of a MANIFEST.
struct Entry {
    /// The file's name as its MANIFEST gives it, with its content's when it has one (its key in
    /// the disagreement list).
    name: String,
    path: PathBuf,
    content: Option<PathBuf>,
    /// The disagreements the MANIFEST lists: reference → reason.
    listed: BTreeMap<String, String>,
    /// What the file's own project expects of it (the MANIFEST's "origin expects" column).
    origin: String,
}

/// What a file's own project says of it, read from the MANIFEST's "origin expects" words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expectation {
    /// The origin calls the signatures (or the document) intact; false: broken, altered, refused.
    intact: bool,
    /// The origin judges the whole document (changes after signing, coverage), not only the
    /// signatures' integrity.
    document: bool,
}

/// Reads the origin's verdict from its words; `None` where the origin states none (a file only
/// used by a test, a check overridden, a parse without verification). Words no rule knows fail
/// the test, so that a new MANIFEST line is classified on purpose.
fn expectation(words: &str) -> Option<Expectation> {
    // The test's name, before the first ": ", is not part of the verdict.
    let verdict = words.split_once(": ").map_or(words, |(_, v)| v).to_lowercase();
    let has = |any: &[&str]| any.iter().any(|w| verdict.contains(w));
    if has(&["no verdict", "not named", "used by", "overridden", "not checked", "nothing to verify"])
        || words.to_lowercase().starts_with("parse pass")
        || words.to_lowercase().starts_with("only signed data parse pass")
        || verdict.starts_with("parsed,")
    {
        return None;
    }
    let document = has(&["modification", "changes permitted", "coverage", "placeholder"]);
    let broken = has(&[
        "not intact",
        "not valid",
        "not a valid",
        "not permitted",
        "bottom line false",
        "refused",
        "fail",
        "tampered",
        "exception",
        "indeterminate",
    ]);
    let intact = has(&[
        "intact",
        "valid",
        "verifies",
        "pass",
        "read whole",
        "as the reference",
        "converted to der",
        "invoice read",
    ]);
    match (broken, intact) {
        (true, _) => Some(Expectation { intact: false, document }),
        (false, true) => Some(Expectation { intact: true, document }),
        (false, false) => panic!("MANIFEST: no rule reads this origin verdict: {words}"),
    }
}

/// Our verdict on the signatures alone: an error, no signature, or a TOTAL-FAILED signature is
/// not intact (changes after signing, a document-level finding, do not count here).
fn signatures_intact(result: &Result<Report, String>) -> bool {
    matches!(result, Ok(r) if !r.signatures.is_empty()
        && r.signatures.iter().all(|s| s.indication() != Indication::TotalFailed))
}

/// Our verdict has a finding beyond the missing trust anchor (this test gives none): a signature
/// TOTAL-FAILED or INDETERMINATE for another reason (weak algorithm, expired certificate, no
/// signing certificate ...), a change after signing, an error, or no signature at all.
fn any_finding(result: &Result<Report, String>) -> bool {
    let untrusted_only = |s: &cie_sign::SignatureReport| {
        s.problems.iter().all(|p| p.sub == cie_sign::SubIndication::NoCertificateChainFound)
    };
    match result {
        Ok(r) => {
            r.signatures.is_empty()
                || r.indication() == Indication::TotalFailed
                || !r.signatures.iter().all(untrusted_only)
        }
        Err(_) => true,
    }
}

/// The disagreements with the files' own projects, listed in `tests/corpus/ORIGIN` as
/// `name | reason` lines.
fn origin_listed() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus().join("ORIGIN")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, why) = l.split_once(" | ").unwrap_or_else(|| panic!("ORIGIN: `name | reason` expected: {l}"));
            (name.trim().to_string(), why.trim().to_string())
        })
        .collect()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The unpacked pyHanko source distribution (`cargo xtask test` fetches it).
fn pyhanko_sdist() -> PathBuf {
    let dir = std::env::var_os("CIE_PYHANKO_SDIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/third-party/pyhanko-0.38.0"));
    assert!(
        dir.join("pyhanko_testing_commons").is_dir(),
        "{} missing: run `cargo xtask test` (it fetches pyHanko's source distribution, SHA-256 checked)",
        dir.display()
    );
    dir
}

/// The Python of pyHanko's virtual environment (`cargo xtask test` installs it).
fn pyhanko_python() -> PathBuf {
    let pyhanko = std::env::var_os("CIE_PYHANKO")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyhanko-venv/bin/pyhanko"));
    let python = pyhanko.with_file_name("python");
    assert!(python.exists(), "{} missing: run `cargo xtask test` (it installs pyHanko)", python.display());
    python
}

/// Reads `dir/MANIFEST`; the files are in `base` (the directory itself, or pyHanko's sdist).
fn manifest(dir: &str, base: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus().join(dir).join("MANIFEST")).unwrap();
    let mut entries = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split(" | ").map(str::trim).collect();
        assert_eq!(cols.len(), 8, "{dir}/MANIFEST: 8 columns expected: {line}");
        let mut listed = BTreeMap::new();
        if cols[7] != "-" {
            for item in cols[7].split("; ") {
                let (reference, reason) = item
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{dir}/MANIFEST: `reference: reason` expected: {item}"));
                listed.insert(reference.to_string(), reason.to_string());
            }
        }
        let path = base.join(cols[0]);
        assert!(path.is_file(), "{dir}/MANIFEST: {} missing", path.display());
        let content = (cols[1] != "-").then(|| base.join(cols[1]));
        // A file checked with two contents is two entries, named with their content.
        let name = match cols[1] {
            "-" => format!("{dir}/{}", cols[0]),
            c => format!("{dir}/{} + {c}", cols[0]),
        };
        entries.push(Entry { name, path, content, listed, origin: cols[6].to_string() });
    }
    entries
}

/// Our verdict's integrity part: an error, no signature, or any TOTAL-FAILED is not intact.
fn integrity(result: &Result<Report, String>) -> Integrity {
    match result {
        Err(e) => Integrity::Broken(format!("error: {e}")),
        Ok(r) if r.signatures.is_empty() => Integrity::Broken("no signature".into()),
        Ok(r) => {
            let failed = |p: &&cie_sign::Problem| p.sub.indication() == Indication::TotalFailed;
            if let Some(s) = r.signatures.iter().find(|s| s.indication() == Indication::TotalFailed) {
                let why =
                    s.problems.iter().find(failed).map(|p| format!("{} {}", p.sub, p.message)).unwrap_or_default();
                Integrity::Broken(format!("signature {}: {why}", s.level))
            } else if r.indication() == Indication::TotalFailed {
                Integrity::Broken(format!(
                    "modified: {}",
                    r.modifications.first().map_or(String::new(), ToString::to_string)
                ))
            } else {
                Integrity::Intact
            }
        }
    }
}

/// `cie_sign::verify_file` without anchors, in a thread: a panic or more than 10 s is an error
/// of the verifier (`Err(Some(..))`), reported by the test.
fn ours(entry: &Entry) -> Result<Result<Report, String>, String> {
    let (tx, rx) = mpsc::channel();
    let (path, content) = (entry.path.clone(), entry.content.clone());
    let handle = std::thread::spawn(move || {
        let r = verify_file(&path, content.as_deref(), &Trust::none(), &mut Silent).map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(r) => {
            let _ = handle.join();
            Ok(r)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err("hang: no verdict within 10 s".into()),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let payload = handle.join().err();
            let message = payload.as_ref().and_then(|p| {
                p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            });
            Err(format!("panic: {}", message.unwrap_or_default()))
        }
    }
}

/// The file's DER: itself, or its Base64 decoded, PEM armour and line ends left out (FatturaPA
/// invoices travel in all three forms).
fn der_of(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.first() == Some(&0x30) {
        return bytes;
    }
    let armoured = String::from_utf8_lossy(&bytes);
    let body: String = armoured.lines().filter(|l| !l.starts_with("-----")).collect();
    let text: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    <base64ct::Base64 as base64ct::Encoding>::decode_vec(std::str::from_utf8(&text).unwrap_or("")).unwrap_or(bytes)
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The first line of a tool's complaint, for the summary.
fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(120).collect()
}

/// `openssl cms -verify -noverify -binary` on the file's DER (with its detached content).
fn openssl_verify(der: &Path, content: Option<&Path>, scratch: &Path) -> Integrity {
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in"]).arg(der);
    if let Some(c) = content {
        cmd.arg("-content").arg(c);
    }
    cmd.arg("-out").arg(scratch.join("openssl-verified"));
    match run(&mut cmd) {
        (true, _) => Integrity::Intact,
        (false, text) => Integrity::Broken(first_line(&text)),
    }
}

/// The content `openssl cms -verify -noverify -nosigs -out` extracts, or its complaint.
fn openssl_content(der: &Path, scratch: &Path) -> Result<Vec<u8>, String> {
    let out = scratch.join("openssl-content");
    let _ = std::fs::remove_file(&out);
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify", "-noverify", "-nosigs", "-binary", "-inform", "DER", "-in"])
        .arg(der)
        .arg("-out")
        .arg(&out);
    match run(&mut cmd) {
        (true, _) => Ok(std::fs::read(&out).unwrap()),
        (false, text) => Err(first_line(&text)),
    }
}

/// What pdfsig says of a signature it does not check (document timestamps, /SubFilters it
/// does not know): no verdict, so the signature does not count.
const PDFSIG_ABSTAINS: &str = "Signature has not yet been verified.";

/// `pdfsig -nocert`: intact when it finds signatures and says of each it checks "Signature is
/// Valid."; `None` when it checks none (pdfsig does not look at what changed after a signed
/// revision).
fn pdfsig(path: &Path) -> Option<Integrity> {
    let (_, text) = run(Command::new("pdfsig").arg("-nocert").arg(path));
    let all: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("- Signature Validation: ")).collect();
    if all.is_empty() {
        return Some(Integrity::Broken(format!("no signature validated: {}", first_line(&text))));
    }
    let mut checked = all.into_iter().filter(|v| *v != PDFSIG_ABSTAINS).peekable();
    checked.peek()?;
    match checked.find(|v| *v != "Signature is Valid.") {
        Some(bad) => Some(Integrity::Broken(bad.to_string())),
        None => Some(Integrity::Intact),
    }
}

/// pyHanko on every PDF, in one process: intact when every embedded signature (and document
/// timestamp) is intact and cryptographically valid, covers a whole revision, and what follows
/// it is permitted (its difference analysis). No trust, no fetching.
const PYHANKO_SCRIPT: &str = r#"
import logging, sys
logging.disable(logging.CRITICAL)
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

def judge(path):
    with open(path, "rb") as f:
        r = PdfFileReader(f, strict=False)
        if r.encrypted:
            r.decrypt("")
        sigs = r.embedded_signatures
        if not sigs:
            return "BROKEN\tno signature"
        for s in sigs:
            vc = ValidationContext(allow_fetching=False)
            if s.sig_object.get("/Type") == "/DocTimeStamp":
                st = validate_pdf_timestamp(s, validation_context=vc)
            else:
                st = validate_pdf_signature(s, signer_validation_context=vc)
            if not (st.intact and st.valid):
                return "BROKEN\t%s: intact=%s valid=%s" % (s.field_name, st.intact, st.valid)
            cov = getattr(st, "coverage", None)
            if cov is not None and cov.name not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
                return "BROKEN\t%s: coverage %s" % (s.field_name, cov.name)
            if getattr(st, "docmdp_ok", None) is False:
                return "BROKEN\t%s: changes not permitted (%s)" % (s.field_name, getattr(st, "modification_level", None))
        return "INTACT\t"

for path in sys.stdin.read().splitlines():
    try:
        verdict = judge(path)
    except Exception as e:
        verdict = "BROKEN\t%s: %s" % (type(e).__name__, str(e).splitlines()[0][:100] if str(e) else "")
    print(path + "\t" + verdict, flush=True)
"#;

fn pyhanko(pdfs: &[&Path]) -> BTreeMap<PathBuf, Integrity> {
    let mut child = Command::new(pyhanko_python())
        .arg("-c")
        .arg(PYHANKO_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run pyHanko's python");
    let list: String = pdfs.iter().map(|p| format!("{}\n", p.display())).collect();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), list.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pyHanko's script failed");
    let mut verdicts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.splitn(3, '\t');
        let (path, verdict, why) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""), cols.next().unwrap_or(""));
        let integrity = if verdict == "INTACT" { Integrity::Intact } else { Integrity::Broken(why.to_string()) };
        verdicts.insert(PathBuf::from(path), integrity);
    }
    assert_eq!(verdicts.len(), pdfs.len(), "pyHanko judged every PDF");
    verdicts
}

#[test]
fn third_party_files_get_the_references_integrity_verdict() {
    let sdist = pyhanko_sdist();
    let mut entries = Vec::new();
    for dir in ["esig-dss", "italian", "endesive", "go-pkcs7", "mbedtls"] {
        entries.extend(manifest(dir, &corpus().join(dir)));
    }
    entries.extend(manifest("pyhanko", &sdist));
    let scratch = std::env::temp_dir().join(format!("cie-sign-agreement-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();

    let is_pdf = |e: &Entry| std::fs::read(&e.path).is_ok_and(|b| b.starts_with(b"%PDF-"));
    let pdfs: Vec<&Path> = entries.iter().filter(|e| is_pdf(e)).map(|e| e.path.as_path()).collect();
    let pyhanko_verdicts = pyhanko(&pdfs);

    let mut failures = Vec::new(); // panics, hangs, TOTAL-PASSED without anchors
    let mut found: BTreeMap<(String, String), String> = BTreeMap::new(); // (file, reference) → what differs
    let mut agreeing_files = 0;
    let mut extracted = 0; // enveloping files whose content we extract exactly as OpenSSL
    let mut neither_extracts = 0;
    // reference → (files it judged, files where it agrees with us)
    let mut per_reference: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut we_pass_they_fail = BTreeSet::new();
    let (mut cms_files, mut pdf_files, mut pdfsig_abstentions) = (0, 0, 0);
    // The files' own projects: (intact judged, agreeing), (broken judged, agreeing), disagreements.
    let (mut origin_intact, mut origin_broken) = ((0, 0), (0, 0));
    let mut origin_found: BTreeMap<String, String> = BTreeMap::new();
    for entry in &entries {
        let result = match ours(entry) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", entry.name));
                continue;
            }
        };
        if let Ok(r) = &result {
            if r.indication() == Indication::TotalPassed || r.signatures.iter().any(|s| s.is_valid()) {
                failures.push(format!("{}: TOTAL-PASSED without trust anchors", entry.name));
            }
        }
        let mine = integrity(&result);
        if let Some(expected) = expectation(&entry.origin) {
            // Intact: no signature (or, for a document verdict, nothing) TOTAL-FAILED. Broken or
            // not valid: some finding beyond the missing anchor. INDETERMINATE fits both.
            let agrees = match (expected.intact, expected.document) {
                (true, true) => mine.intact(),
                (true, false) => signatures_intact(&result),
                (false, _) => any_finding(&result),
            };
            let tally = if expected.intact { &mut origin_intact } else { &mut origin_broken };
            tally.0 += 1;
            tally.1 += usize::from(agrees);
            if !agrees {
                let what = match &result {
                    Ok(r) => format!("{} {:?}", r.indication(), r.sub_indication()),
                    Err(e) => e.clone(),
                };
                origin_found.insert(entry.name.clone(), format!("origin {expected:?}, ours {what}"));
            }
        }
        let mut references: Vec<(&str, Integrity)> = Vec::new();
        let mut abstained = false;
        let mut extraction = None;
        if is_pdf(entry) {
            pdf_files += 1;
            match pdfsig(&entry.path) {
                Some(verdict) => references.push(("pdfsig", verdict)),
                None => abstained = true,
            }
            references.push(("pyhanko", pyhanko_verdicts[&entry.path].clone()));
        } else {
            cms_files += 1;
            let der = scratch.join("input.der");
            std::fs::write(&der, der_of(&entry.path)).unwrap();
            references.push(("openssl", openssl_verify(&der, entry.content.as_deref(), &scratch)));
            if entry.content.is_none() {
                // The content the file carries, as OpenSSL and as we extract it.
                let mut out = Vec::new();
                let bytes = std::fs::read(&entry.path).unwrap();
                let ours = nested::extract_level(&bytes, Some(1), &mut out).map(|_| out).map_err(|e| e.to_string());
                let theirs = openssl_content(&der, &scratch);
                let same = match (&ours, &theirs) {
                    (Ok(a), Ok(b)) => {
                        extracted += usize::from(a == b);
                        a == b
                    }
                    (Err(_), Err(_)) => {
                        neither_extracts += 1;
                        true
                    }
                    _ => false,
                };
                if !same {
                    let show = |r: &Result<Vec<u8>, String>| match r {
                        Ok(b) => format!("{} bytes", b.len()),
                        Err(e) => e.clone(),
                    };
                    extraction = Some(format!("ours {}, openssl {}", show(&ours), show(&theirs)));
                }
            }
        }
        let mut agrees = true;
        for (reference, theirs) in references {
            let tally = per_reference.entry(reference).or_default();
            tally.0 += 1;
            tally.1 += usize::from(theirs.intact() == mine.intact());
            if mine.intact() && !theirs.intact() {
                we_pass_they_fail.insert(format!("{} ({reference})", entry.name));
            }
            if theirs.intact() != mine.intact() {
                agrees = false;
                found.insert(
                    (entry.name.clone(), reference.to_string()),
                    format!("ours {mine:?}, {reference} {theirs:?}"),
                );
            }
        }
        if let Some(diff) = extraction {
            agrees = false;
            found.insert((entry.name.clone(), "openssl-content".to_string()), diff);
        }
        agreeing_files += usize::from(agrees);
        pdfsig_abstentions += usize::from(abstained);
    }
    let _ = std::fs::remove_dir_all(&scratch);

    // The summary: counts and the listed disagreements by reference and reason.
    let listed: BTreeMap<(String, String), String> = entries
        .iter()
        .flat_map(|e| e.listed.iter().map(|(r, why)| ((e.name.clone(), r.clone()), why.clone())))
        .collect();
    let mut by_reason: BTreeMap<(String, String), usize> = BTreeMap::new();
    for ((_, reference), why) in &listed {
        *by_reason.entry((reference.clone(), why.clone())).or_default() += 1;
    }
    let total = entries.len();
    let distinct: BTreeSet<&PathBuf> = entries.iter().map(|e| &e.path).collect();
    println!("evidence corpus: {} files, {total} checks ({cms_files} CMS, {pdf_files} PDF)", distinct.len());
    println!(
        "agree with every reference: {agreeing_files} ({:.1} %); disagreements listed: {}",
        100.0 * agreeing_files as f64 / total as f64,
        listed.len()
    );
    println!(
        "content extracted exactly as `openssl cms -verify -nosigs -out` does: {extracted} files; \
         neither extracts: {neither_extracts}"
    );
    for (reference, (judged, agree)) in &per_reference {
        println!(
            "  {reference}: agrees on {agree} of {judged} files ({:.1} %)",
            100.0 * *agree as f64 / *judged as f64
        );
    }
    println!(
        "a reference finds a signature broken that we do not (never TOTAL-PASSED here, at worst INDETERMINATE): {}",
        we_pass_they_fail.len()
    );
    for f in &we_pass_they_fail {
        println!("  {f}");
    }
    let judged = origin_intact.0 + origin_broken.0;
    println!(
        "the files' own projects: {judged} files with a stated verdict, we agree on {} ({:.1} %); \
         of the {} they call intact we agree on {} ({:.1} %), of the {} they call broken on {}",
        origin_intact.1 + origin_broken.1,
        100.0 * (origin_intact.1 + origin_broken.1) as f64 / judged as f64,
        origin_intact.0,
        origin_intact.1,
        100.0 * origin_intact.1 as f64 / origin_intact.0 as f64,
        origin_broken.0,
        origin_broken.1
    );
    println!("pdfsig checked no signature of {pdfsig_abstentions} PDFs (\"{PDFSIG_ABSTAINS}\"): pyHanko alone is their reference");
    for ((reference, why), n) in &by_reason {
        println!("  {n:3} {reference}: {why}");
    }

    assert!(failures.is_empty(), "verifier failures:\n{}", failures.join("\n"));
    let unlisted: Vec<String> = found
        .iter()
        .filter(|(k, _)| !listed.contains_key(*k))
        .map(|((f, r), d)| format!("{f} | {r}: {d}").chars().take(400).collect())
        .collect();
    let stale: Vec<String> =
        listed.keys().filter(|k| !found.contains_key(*k)).map(|(f, r)| format!("{f} | {r}")).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "disagreements not listed in the MANIFESTs:\n{}\nlisted but not found:\n{}",
        unlisted.join("\n"),
        stale.join("\n")
    );
    let origin_listed = origin_listed();
    let origin_unlisted: Vec<String> = origin_found
        .iter()
        .filter(|(name, _)| !origin_listed.contains_key(*name))
        .map(|(name, what)| format!("{name} | {what}"))
        .collect();
    let origin_stale: Vec<&String> = origin_listed.keys().filter(|name| !origin_found.contains_key(*name)).collect();
    assert!(
        origin_unlisted.is_empty() && origin_stale.is_empty(),
        "disagreements with the files' own projects not listed in tests/corpus/ORIGIN:\n{}\nlisted but not found:\n{:?}",
        origin_unlisted.join("\n"),
        origin_stale
    );
    assert!(
        origin_intact.1 * 100 >= origin_intact.0 * 95,
        "agreement with the files' own projects on the files they call intact: {} of {}",
        origin_intact.1,
        origin_intact.0
    );
    assert!(distinct.len() >= 200, "the corpus holds at least 200 files: {}", distinct.len());
    let files_listed: BTreeSet<&String> = listed.keys().map(|(f, _)| f).collect();
    assert_eq!(files_listed.len(), total - agreeing_files);
}

/// esig/dss's DSS-917 file: the second signature dictionary's /ByteRange was replaced by the
/// first one's, so its gap holds the first signature's /Contents. The second signature must
/// fail (pdfsig: "Digest Mismatch"; DSS917CorruptedTest: one signature not valid), not be
/// reported as a copy of the first.
#[test]
fn a_signature_naming_another_ones_byte_range_fails() {
    let path = corpus().join("esig-dss/pades-hello_signed_INCSAVE_signed_EDITED.pdf");
    let r = verify_file(&path, None, &Trust::none(), &mut Silent).unwrap();
    assert_eq!(r.signatures.len(), 2, "{r:?}");
    assert_ne!(r.signatures[0].indication(), Indication::TotalFailed, "{:?}", r.signatures[0].problems);
    assert_eq!(r.signatures[1].indication(), Indication::TotalFailed, "{:?}", r.signatures[1].problems);
    assert_eq!(r.signatures[1].sub_indication(), Some(cie_sign::SubIndication::FormatFailure));
    assert!(r.signatures[1].problems[0].message.contains("another signature's"), "{:?}", r.signatures[1].problems);
    assert_eq!(r.indication(), Indication::TotalFailed);
}
