//! `cie verify`'s verdicts (ETSI EN 319 102-1: TOTAL-PASSED exit 0, TOTAL-FAILED exit 1,
//! INDETERMINATE exit 6), its `--json` fields, the installed trust anchors
//! (`CIE_TRUST_ANCHORS`, `--no-default-ca`), content given for a signature that carries its own,
//! several files in turn (exit 1/6/0 over them, JSON Lines), a BER `.p7m` from `openssl cms -sign
//! -stream` verified and extracted (its wording in English and Italian), and outputs of `cie sign` / `cie extract` written through unpredictable temporary files.
//! Signatures are made by the simulated card through pcscd.

mod cli_util;

use std::path::{Path, PathBuf};

use cli_util::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The card's directory with `domanda.txt` signed into `domanda.txt.p7m`, and the citizen CA
/// (DER) in `anchors/citizen-ca.der`.
fn signed(card: &Card) -> (PathBuf, PathBuf, PathBuf) {
    let doc = card.path("domanda.txt");
    std::fs::write(&doc, b"Il sottoscritto Mario Rossi chiede il rilascio del certificato di residenza.\n").unwrap();
    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-q", "-i", s(&doc)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let anchors = card.path("anchors");
    std::fs::create_dir_all(&anchors).unwrap();
    let ca = anchors.join("citizen-ca.der");
    std::fs::write(&ca, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    (doc, card.path("domanda.txt.p7m"), ca)
}

/// The one JSON object `cie --json verify` prints: no error object after it.
fn one_object(r: &Run) -> &str {
    let out = r.stdout.trim();
    assert!(out.starts_with('{') && out.ends_with('}') && !out.contains('\n'), "{r:?}");
    out
}

#[test]
fn verdicts_exit_codes_and_installed_trust_anchors() {
    let card = Card::start("verdicts");
    let (_, p7m, ca) = signed(&card);
    let anchors = ca.parent().unwrap().to_path_buf();

    // The citizen CA given: TOTAL-PASSED, exit 0.
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("signature 1: VALID (TOTAL-PASSED)"), "{r:?}");
    assert!(r.stdout.contains("\nresult: TOTAL-PASSED — all 1 signature valid\n"), "{r:?}");
    assert!(
        r.stdout.contains("  claimed time: ") && r.stdout.contains("(signing time claimed by the signer, not proven)")
    );

    // Installed: CIE_TRUST_ANCHORS naming the directory or the file, no --ca.
    for installed in [&anchors, &ca] {
        let r = card.cie_env(&[("CIE_TRUST_ANCHORS", s(installed))], &["verify", s(&p7m)], "");
        assert_eq!(r.code, Some(0), "{}: {r:?}", installed.display());
        assert!(r.stdout.contains("result: TOTAL-PASSED"), "{r:?}");
    }
    // Several entries, `:`-separated; a missing default directory is fine, a listed path that
    // cannot be read is an error (exit 1) with its own hint.
    let list = format!("{}:{}", card.path("empty-dir-that-is-not-there").display(), anchors.display());
    let r = card.cie_env(&[("CIE_TRUST_ANCHORS", &list)], &["verify", s(&p7m)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("error: installed trust anchors: ") && r.stderr.contains("CIE_TRUST_ANCHORS"), "{r:?}");
    // --no-default-ca ignores them (even an unreadable one).
    let r = card.cie_env(&[("CIE_TRUST_ANCHORS", &list)], &["verify", "--no-default-ca", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    let r = card.cie_env(&[("CIE_TRUST_ANCHORS", s(&anchors))], &["verify", "--no-default-ca", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    let r = card.cie_env(
        &[("CIE_TRUST_ANCHORS", s(&anchors))],
        &["verify", "--no-default-ca", "--ca", s(&ca), s(&p7m)],
        "",
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    // ~/.config/cie/trust-anchors/ when CIE_TRUST_ANCHORS is not set; set, even empty, it
    // replaces the directories.
    let home = card.path("home");
    std::fs::create_dir_all(home.join(".config/cie/trust-anchors")).unwrap();
    std::fs::copy(&ca, home.join(".config/cie/trust-anchors/ca.der")).unwrap();
    let r = card.cie_env(
        &[("!CIE_TRUST_ANCHORS", ""), ("HOME", s(&home)), ("!XDG_CONFIG_HOME", "")],
        &["verify", s(&p7m)],
        "",
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = card.cie_env(&[("HOME", s(&home)), ("!XDG_CONFIG_HOME", "")], &["verify", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");

    // No anchor at all: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND), exit 6, and a hint that
    // says what is missing, not that the document was altered.
    let r = card.cie(&["verify", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("signature 1: NOT CONFIRMED: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{r:?}");
    assert!(
        r.stdout.contains(
            "result: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND) — the signer's identity is not confirmed by a trusted authority"
        ),
        "{r:?}"
    );
    assert!(r.stderr.contains("error: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND): "), "{r:?}");
    assert!(r.stderr.contains("--ca FILE") && !r.stderr.contains("altered"), "{r:?}");

    // A changed byte: TOTAL-FAILED (HASH_FAILURE), exit 1, trusted or not.
    let mut data = std::fs::read(&p7m).unwrap();
    let at = data.windows(9).position(|w| w == b"residenza").unwrap();
    data[at] ^= 0x20;
    let bad = card.path("bad.p7m");
    std::fs::write(&bad, data).unwrap();
    for extra in [&["--ca", s(&ca)][..], &[]] {
        let mut args = vec!["verify", s(&bad)];
        args.extend(extra);
        let r = card.cie(&args, "");
        assert_eq!(r.code, Some(1), "{r:?}");
        assert!(r.stdout.contains("signature 1: INVALID: TOTAL-FAILED (HASH_FAILURE)"), "{r:?}");
        assert!(r.stdout.contains("result: TOTAL-FAILED (HASH_FAILURE) — the signed content was altered"), "{r:?}");
        assert!(
            r.stderr.contains("hint: do not rely on this document: it or its signature was changed after"),
            "{r:?}"
        );
    }

    // A detached signature without its content: an error (exit 1) whose hint names --content.
    let lonely = card.path("lonely.p7s");
    let doc = card.path("domanda.txt");
    let r = card
        .cie(&["sign", "--format", "cades-detached", "--pin-stdin", "-q", "-i", s(&doc), "-o", s(&lonely)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = card.cie(&["verify", s(&lonely), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("hint: this tool cannot check this document; a detached signature (.p7s) needs the signed file: give it with --content FILE"), "{r:?}");
    let r = card.cie(&["verify", s(&lonely), "--ca", s(&ca), "--content", s(&doc)], "");
    assert_eq!(r.code, Some(0), "{r:?}");

    // --json: `valid` kept, the verdict added per document and per signature.
    let r = card.cie(&["--json", "verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let j = one_object(&r);
    for field in [
        r#""valid":true,"indication":"TOTAL-PASSED","sub_indication":null,"chain_checked":true,"trust_anchors":1,"modifications":[],"signatures":[{"level":"1","countersigns":null,"valid":true,"indication":"TOTAL-PASSED","sub_indication":null,"#,
        r#""signing_time_claimed":true"#,
        r#""problems":[],"problem_kinds":[]"#,
        r#""fiscal_code":"RSSMRA80A01H501U""#,
    ] {
        assert!(j.contains(field), "{field}: {j}");
    }
    let r = card.cie(&["--json", "verify", s(&p7m)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    let j = one_object(&r);
    assert!(j.contains(r#""valid":false,"indication":"INDETERMINATE","sub_indication":"NO_CERTIFICATE_CHAIN_FOUND","chain_checked":false,"trust_anchors":0"#), "{j}");
    assert!(j.contains(r#""problem_kinds":["NO_CERTIFICATE_CHAIN_FOUND"]"#), "{j}");
    let r = card.cie(&["--json", "verify", s(&bad), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let j = one_object(&r);
    assert!(j.contains(r#""indication":"TOTAL-FAILED","sub_indication":"HASH_FAILURE""#), "{j}");
    assert!(j.contains(r#""problem_kinds":["HASH_FAILURE"]"#), "{j}");
}

/// A PDF without signatures has nothing to confirm: INDETERMINATE (SIGNED_DATA_NOT_FOUND), not
/// a pass.
#[test]
fn a_pdf_without_signatures_is_indeterminate() {
    let card = Card::start("unsigned");
    let pdf = card.path("unsigned.pdf");
    std::fs::write(&pdf, pdf::classic_pdf("1.7", "Nessuna firma")).unwrap();
    let r = card.cie(&["verify", s(&pdf)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("result: INDETERMINATE (SIGNED_DATA_NOT_FOUND) — no signature to check"), "{r:?}");
    assert!(r.stderr.contains("hint: the file has no signature"), "{r:?}");
    let r = card.cie(&["--json", "verify", s(&pdf)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    let j = one_object(&r);
    assert!(j.contains(r#""indication":"INDETERMINATE","sub_indication":"SIGNED_DATA_NOT_FOUND""#), "{j}");
    assert!(j.contains(r#""signatures":[]"#), "{j}");
}

#[path = "../cie-sign/tests/common/pdf.rs"]
mod pdf;

/// Several files: each reported in the order given, an unreadable one reported and passed over,
/// a summary; exit 1 if any is TOTAL-FAILED or could not be checked, else 6 if any is
/// INDETERMINATE, else 0; `--json` one object per line; `--content` with one file only.
#[test]
fn several_files_in_turn() {
    let card = Card::start("batch");
    let (_, p7m, ca) = signed(&card);
    let copy = card.path("copia.txt.p7m");
    std::fs::copy(&p7m, &copy).unwrap();
    let mut data = std::fs::read(&p7m).unwrap();
    let at = data.windows(9).position(|w| w == b"residenza").unwrap();
    data[at] ^= 0x20;
    let bad = card.path("bad.p7m");
    std::fs::write(&bad, data).unwrap();
    let unsigned = card.path("unsigned.pdf");
    std::fs::write(&unsigned, pdf::classic_pdf("1.7", "Nessuna firma")).unwrap();
    let missing = card.path("missing.p7m");

    // Passed, failed, unreadable: exit 1, each file's verdict, the error, a summary.
    let r = card.cie(&["verify", s(&p7m), s(&bad), s(&missing), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let reports: Vec<&str> = r.stdout.split("\n\n").collect();
    assert_eq!(reports.len(), 4, "{r:?}");
    assert!(reports[0].starts_with(&format!("{}: CAdES enveloping (.p7m), 1 signature\n", p7m.display())), "{r:?}");
    assert!(reports[0].ends_with("result: TOTAL-PASSED — all 1 signature valid"), "{r:?}");
    assert!(reports[1].starts_with(&format!("{}: CAdES enveloping (.p7m)", bad.display())), "{r:?}");
    assert!(reports[1].contains("result: TOTAL-FAILED (HASH_FAILURE)"), "{r:?}");
    assert!(reports[2].starts_with(&format!("{}: No such file or directory", missing.display())), "{r:?}");
    assert!(
        reports[2]
            .ends_with("result: NOT CHECKED (error) — check that the file is a PDF or a CAdES .p7m/.p7s signature"),
        "{r:?}"
    );
    assert_eq!(
        reports[3], "summary: 3 files: 1 TOTAL-PASSED, 1 TOTAL-FAILED, 0 INDETERMINATE, 1 not checked (error)\n",
        "{r:?}"
    );
    assert_eq!(
        r.stderr,
        "error: 3 files: 1 TOTAL-PASSED, 1 TOTAL-FAILED, 0 INDETERMINATE, 1 not checked (error)\n\
         hint: see each file's report or error above\n",
        "{r:?}"
    );
    // A file that is no signature at all: named in its error, the next one still checked.
    let text = card.path("domanda.txt");
    let r = card.cie(&["verify", s(&text), s(&p7m), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.starts_with(&format!("{}: not a readable CMS signature", text.display())), "{r:?}");
    assert!(r.stdout.contains("result: TOTAL-PASSED"), "{r:?}");

    // Two passed and one INDETERMINATE: exit 6. All passed: exit 0, nothing on standard error.
    let r = card.cie(&["verify", s(&p7m), s(&unsigned), s(&copy), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert_eq!(r.stdout.matches("result: TOTAL-PASSED").count(), 2, "{r:?}");
    assert!(r.stdout.contains("result: INDETERMINATE (SIGNED_DATA_NOT_FOUND)"), "{r:?}");
    assert!(
        r.stderr.contains("error: 3 files: 2 TOTAL-PASSED, 0 TOTAL-FAILED, 1 INDETERMINATE, 0 not checked"),
        "{r:?}"
    );
    let r = card.cie(&["verify", s(&p7m), s(&copy), "--ca", s(&ca)], "");
    assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""), "{r:?}");
    assert_eq!(r.stdout.matches("result: TOTAL-PASSED").count(), 2, "{r:?}");
    // In Italian, the summary too.
    let r = card.cie_in(&[("LC_ALL", "it_IT.UTF-8")], &["verify", s(&p7m), s(&unsigned)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(
        r.stderr.contains("errore: 2 file: 0 TOTAL-PASSED, 0 TOTAL-FAILED, 2 INDETERMINATE, 0 non verificati"),
        "{r:?}"
    );

    // --json: one object per line, in order, the error object for the unreadable file.
    let r = card.cie(&["--json", "verify", s(&p7m), s(&bad), s(&unsigned), s(&missing), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let lines: Vec<serde_json::Value> =
        r.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    let field = |i: usize, k: &str| lines[i][k].as_str().unwrap_or_default().to_owned();
    assert_eq!((field(0, "file"), field(0, "indication")), (s(&p7m).to_owned(), "TOTAL-PASSED".to_owned()));
    assert_eq!((field(1, "file"), field(1, "sub_indication")), (s(&bad).to_owned(), "HASH_FAILURE".to_owned()));
    assert_eq!(field(2, "indication"), "INDETERMINATE");
    assert!(field(3, "error").starts_with(&format!("{}: No such file", missing.display())), "{r:?}");
    assert_eq!(field(3, "file"), s(&missing), "{r:?}");
    assert_eq!(lines[3]["exit_code"], 1, "{r:?}");
    assert!(lines[3]["hint"].is_string(), "{r:?}");

    // --content belongs to one detached signature: a usage error with two files.
    let r = card.cie(&["verify", s(&p7m), s(&copy), "--content", s(&text)], "");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.starts_with("error: --content gives the signed file of one detached signature"), "{r:?}");
    assert!(r.stderr.contains("Usage: cie verify"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
}

/// An enveloping signature saved as `contract.txt.p7s` next to a forged `contract.txt`: the
/// content given (explicitly or guessed from the name) is not what was signed.
#[test]
fn content_given_for_an_enveloping_signature_must_match() {
    let card = Card::start("mismatch");
    let (_, p7m, ca) = signed(&card);
    let p7s = card.path("contract.txt.p7s");
    std::fs::copy(&p7m, &p7s).unwrap();
    let forged = card.path("contract.txt");
    std::fs::write(&forged, b"Il sottoscritto Mario Rossi cede la propria casa.\n").unwrap();
    let expected = format!(
        "the content given ({}) differs from the content inside the signature: the signature does not cover it",
        s(&forged)
    );
    for args in
        [vec!["verify", s(&p7s), "--content", s(&forged), "--ca", s(&ca)], vec!["verify", s(&p7s), "--ca", s(&ca)]]
    {
        let r = card.cie(&args, "");
        assert_eq!(r.code, Some(1), "{args:?}: {r:?}");
        assert!(r.stderr.contains(&expected), "{args:?}: {r:?}");
        assert!(!r.stdout.contains("TOTAL-PASSED"), "{r:?}");
        let it = card.cie_in(&[("LANG", "it_IT.UTF-8")], &args, "");
        assert_eq!(it.code, Some(1), "{it:?}");
        assert!(it.stderr.contains("è diverso da quello contenuto nella firma: la firma non lo copre"), "{it:?}");
    }
}

/// The names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The process's umask as the tool reads it.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix("Umask:")).unwrap();
    u32::from_str_radix(line.trim(), 8).unwrap()
}

/// `cie sign` and `cie extract` never open a predictable temporary name: symbolic links
/// planted at the names older versions used (`OUT.cie-PID.tmp`, for the next process ids) are
/// left alone; the outputs are complete, with the mode a new file gets; no temporary file is
/// left after a success or a failure.
#[test]
fn outputs_are_written_through_unpredictable_temporary_files() {
    use std::os::unix::fs::PermissionsExt;
    let card = Card::start("outputs");
    let dir = card.path("out");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("domanda.txt");
    std::fs::write(&input, b"Domanda di residenza.\n").unwrap();
    let victim = card.path("victim");
    std::fs::write(&victim, b"untouched").unwrap();
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(std::process::id());
    let (p7m, extracted) = (dir.join("domanda.txt.p7m"), dir.join("estratto.txt"));
    for pid in last..last + 64 {
        for out in [&p7m, &extracted] {
            let link = PathBuf::from(format!("{}.cie-{pid}.tmp", out.display()));
            std::os::unix::fs::symlink(&victim, link).unwrap();
        }
    }
    let planted = names(&dir);

    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-q", "-i", s(&input)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = card.cie(&["extract", s(&p7m), "-o", s(&extracted)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::read(&extracted).unwrap(), std::fs::read(&input).unwrap());
    assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
    let mode = 0o666 & !umask();
    for out in [&p7m, &extracted] {
        assert_eq!(std::fs::metadata(out).unwrap().permissions().mode() & 0o777, mode, "{}", out.display());
    }
    let mut expected = planted.clone();
    expected.extend(["domanda.txt.p7m".to_owned(), "estratto.txt".to_owned()]);
    expected.sort();
    assert_eq!(names(&dir), expected, "only the outputs were added");

    // A failure after the temporary file was made (a .p7m cut short): no output, nothing left.
    let data = std::fs::read(&p7m).unwrap();
    let cut = dir.join("cut.p7m");
    std::fs::write(&cut, &data[..data.len() / 2]).unwrap();
    let failed = dir.join("failed.txt");
    let r = card.cie(&["extract", s(&cut), "-o", s(&failed)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!failed.exists());
    expected.push("cut.p7m".to_owned());
    expected.sort();
    assert_eq!(names(&dir), expected, "no temporary file left after a failure");
    // Replacing an existing output keeps it whole until the new one is complete.
    let r = card.cie(&["extract", s(&p7m), "-o", s(&extracted)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::read(&extracted).unwrap(), std::fs::read(&input).unwrap());
    assert_eq!(names(&dir), expected);
}

#[path = "../cie-sign/tests/common/update.rs"]
mod update;

/// Issue 19 item 1, as a hostile sender does it: a one-page PDF "PAY 10 EUR" signed by the
/// card, then an unsigned incremental update (written here by hand) that redefines the page's
/// content stream as "PAY 1000000 EUR". Before: "signature 1: VALID", exit 0. Now the signature
/// itself is intact (it covers its revision) and the document is TOTAL-FAILED
/// (MODIFIED_AFTER_SIGNING), exit 1, with the change named, in text, JSON and Italian.
#[test]
fn a_pdf_changed_after_signing_is_not_valid() {
    let card = Card::start("pdf-changed");
    let pdf = card.path("ordine.pdf");
    std::fs::write(&pdf, pdf::classic_pdf("1.7", "PAY 10 EUR")).unwrap();
    let signed = card.path("ordine-firmato.pdf");
    let r = card.cie(&["sign", "--format", "pades", "--pin-stdin", "-q", "-i", s(&pdf), "-o", s(&signed)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let ca = card.path("ca.der");
    std::fs::write(&ca, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let r = card.cie(&["verify", s(&signed), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(0), "the signed PDF itself: {r:?}");

    // Object 4 is the page's content stream (classic_pdf writes it fourth).
    let bytes = std::fs::read(&signed).unwrap();
    let forged =
        update::append_update(&bytes, &[(4, update::stream("BT /F1 18 Tf 72 720 Td (PAY 1000000 EUR) Tj ET"))], "");
    let changed = card.path("ordine-modificato.pdf");
    std::fs::write(&changed, &forged).unwrap();
    let r = card.cie(&["verify", s(&changed), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stdout.contains("signature 1 (field Signature1): VALID (TOTAL-PASSED)"),
        "the signed revision is intact: {r:?}"
    );
    assert!(r.stdout.contains("modified after signing: the content stream of page 1 was changed"), "{r:?}");
    assert!(r.stdout.contains("result: TOTAL-FAILED (MODIFIED_AFTER_SIGNING)"), "{r:?}");
    assert!(!r.stdout.contains("all 1 signature valid"), "{r:?}");

    let r = card.cie(&["--json", "verify", s(&changed), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    let j = one_object(&r);
    assert!(
        j.contains(r#""valid":false,"indication":"TOTAL-FAILED","sub_indication":"MODIFIED_AFTER_SIGNING""#),
        "{j}"
    );
    assert!(j.contains(r#""modifications":["the content stream of page 1 was changed"#), "{j}");

    let r = card.cie_env(&[("LC_ALL", "it_IT.UTF-8")], &["verify", s(&changed), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("TOTAL-FAILED (MODIFIED_AFTER_SIGNING)"), "{r:?}");

    // A page added instead: the same verdict, the change named.
    let added = update::append_update(
        &bytes,
        &[
            (2, "<< /Type /Pages /Kids [3 0 R 90 0 R] /Count 2 >>".to_owned()),
            (90, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 91 0 R >>".to_owned()),
            (91, update::stream("BT /F1 18 Tf 72 720 Td (PAY ALSO 5000 EUR) Tj ET")),
        ],
        "",
    );
    std::fs::write(&changed, &added).unwrap();
    let r = card.cie(&["verify", s(&changed), "--ca", s(&ca)], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("modified after signing: a page was added"), "{r:?}");
}

/// Issue 19 item 5: a 500-byte PDF whose field tree's /Kids array holds a direct dictionary
/// whose /Kids is that array again (memory grew to 1.5 GB in under a second), and a page tree
/// whose direct /Pages dictionary names its parent. `cie verify` answers (no signature:
/// INDETERMINATE, exit 6); `cie sign --format pades` refuses the cyclic page tree before the
/// PIN is asked (the PIN given on standard input is never sent).
#[test]
fn cyclic_pdf_trees_end_with_an_answer() {
    let card = Card::start("pdf-cycles");
    let kids = card.path("kids.pdf");
    std::fs::write(
        &kids,
        update::pdf_of(&[
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
            "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            "<< /T (a) /FT /Sig /Kids 4 0 R >>",
            "[<< /T (b) /Kids 4 0 R >>]",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>",
        ]),
    )
    .unwrap();
    let r = card.cie(&["verify", s(&kids)], "");
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("SIGNED_DATA_NOT_FOUND"), "{r:?}");

    let pages = card.path("pages.pdf");
    std::fs::write(
        &pages,
        update::pdf_of(&[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [<< /Type /Pages /Kids [2 0 R] /Count 1 >>] /Count 1 >>",
        ]),
    )
    .unwrap();
    let out = card.path("pages-signed.pdf");
    let r = card.cie(&["sign", "--format", "pades", "--pin-stdin", "-q", "-i", s(&pages), "-o", s(&out)], "00000000\n");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("PDF"), "{r:?}");
    assert!(!out.exists());
    // The wrong PIN above was never sent: the card still has all its tries.
    let r = card.cie(&["--json", "info"], "");
    assert!(r.stdout.contains(r#""pin_tries_left":3"#), "{r:?}");
}

/// `args` as `tool` takes them.
fn os<'a>(args: &[&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|a| std::ffi::OsStr::new(*a)).collect()
}

/// A BER `.p7m` as `openssl cms -sign -stream` writes it (indefinite lengths, 4 KiB chunks):
/// `cie verify` passes it and says BER in one wording, English and Italian, text and JSON;
/// `cie extract` writes the exact content and says BER the same way; an altered content byte is
/// TOTAL-FAILED (HASH_FAILURE); a file cut short is an error.
#[test]
fn ber_p7m_verified_and_extracted() {
    let dir = std::env::temp_dir().join(format!("cie-cli-ber-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert, data, p7m) = (dir.join("k.pem"), dir.join("c.pem"), dir.join("data.bin"), dir.join("data.bin.p7m"));
    let content: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&data, &content).unwrap();
    let (ok, _, e) = tool(
        "openssl",
        &os(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            s(&key),
            "-out",
            s(&cert),
            "-subj",
            "/CN=BER CLI",
            "-days",
            "2",
        ]),
    );
    assert!(ok, "{e}");
    let (ok, _, e) = tool(
        "openssl",
        &os(&[
            "cms",
            "-sign",
            "-stream",
            "-binary",
            "-nodetach",
            "-in",
            s(&data),
            "-signer",
            s(&cert),
            "-inkey",
            s(&key),
            "-outform",
            "DER",
            "-out",
            s(&p7m),
        ]),
    );
    assert!(ok, "{e}");
    std::fs::remove_file(&data).unwrap();
    let verify = ["verify", "--no-default-ca", "--ca", s(&cert), s(&p7m)];

    let r = cie_with_socket(None, &verify, "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout
            .contains("\n  encoding:     BER encoding (indefinite lengths or content in chunks, read as CMS allows)\n"),
        "{r:?}"
    );
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &verify, "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains(
            "\n  codifica:        codifica BER (lunghezze indefinite o contenuto a blocchi, letta come CMS consente)\n"
        ),
        "{r:?}"
    );
    let json = ["--json", "verify", "--no-default-ca", "--ca", s(&cert), s(&p7m)];
    let r = cie_with_socket(None, &json, "");
    assert!(one_object(&r).contains(r#""encoding":"BER""#), "{r:?}");

    let r = cie_with_socket(None, &["extract", s(&p7m)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(std::fs::read(&data).unwrap(), content);
    assert!(r.stdout.contains("data.bin.p7m is in BER encoding (indefinite lengths"), "{r:?}");
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &["extract", s(&p7m), "-o", s(&dir.join("it.bin"))], "");
    assert!(r.stdout.contains("data.bin.p7m è in codifica BER (lunghezze indefinite"), "{r:?}");
    let r = cie_with_socket(None, &["--json", "extract", s(&p7m), "-o", s(&dir.join("j.bin"))], "");
    assert!(r.stdout.contains(r#""bytes":20000,"level":1,"encoding":"BER""#), "{r:?}");

    // One content byte changed (found by its bytes), then the file cut short.
    let mut bytes = std::fs::read(&p7m).unwrap();
    let at = bytes.windows(64).position(|w| w == &content[9000..9064]).unwrap() + 10;
    bytes[at] ^= 0x20;
    std::fs::write(&p7m, &bytes).unwrap();
    let r = cie_with_socket(None, &verify, "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("result: TOTAL-FAILED (HASH_FAILURE)"), "{r:?}");
    std::fs::write(&p7m, &bytes[..bytes.len() - 2]).unwrap();
    let r = cie_with_socket(None, &verify, "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("not a readable CMS signature"), "{r:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
