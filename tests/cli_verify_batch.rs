//! `cie verify FILE|DIR...` on many files, through the real binary: third-party signatures of
//! the corpus (cie-sign/tests/corpus/*/MANIFEST) with their expected verdicts, a copy of one
//! altered by a byte flipped by hand, a signature made by OpenSSL that passes, a file that is no
//! signature, a dangling link and an empty directory, in a directory tree. Checks the order
//! (sorted paths in a directory, the order given otherwise), one result per file, JSON Lines,
//! the summary, the exit status (1 over 6 over 0), the Italian output, the pairing of a detached
//! signature with its content, `--content` refused with several files or a directory, and a
//! hostile file name escaped; the archive time-stamps of a DSS file shown, and a copy with a byte
//! of one changed by hand failing. No card is needed.

mod cli_util;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli_util::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cie-sign/tests/corpus").join(rel)
}

/// `cie ARGS` in English, no PC/SC service, no installed trust anchor.
fn cie(args: &[&str]) -> Run {
    cie_with_socket(None, args, "")
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().expect("openssl (xtask/src/packages.rs)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, and `signed.p7m`: a CAdES signature of a short text made by `openssl cms -sign -cades`
/// with a certificate that CA issued (TOTAL-PASSED with `--ca ca.pem`); both in `work`.
fn openssl_signature(work: &Dir) -> (PathBuf, PathBuf) {
    let w = |n: &str| work.join(n).to_str().unwrap().to_owned();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &w("ca.key"),
        "-out",
        &w("ca.pem"),
        "-days",
        "3650",
        "-subj",
        "/CN=Batch Test CA/O=cie tests/C=IT",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &w("signer.key"),
        "-out",
        &w("signer.csr"),
        "-subj",
        "/CN=MARIO ROSSI/SN=ROSSI/GN=MARIO/C=IT",
    ]);
    std::fs::write(work.join("ext.cnf"), "keyUsage=critical,nonRepudiation,digitalSignature\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &w("signer.csr"),
        "-CA",
        &w("ca.pem"),
        "-CAkey",
        &w("ca.key"),
        "-CAcreateserial",
        "-out",
        &w("signer.pem"),
        "-days",
        "3650",
        "-extfile",
        &w("ext.cnf"),
    ]);
    std::fs::write(work.join("lettera.txt"), b"Gentile ufficio, allego la domanda firmata.\n").unwrap();
    openssl(&[
        "cms",
        "-sign",
        "-cades",
        "-binary",
        "-nodetach",
        "-md",
        "sha256",
        "-in",
        &w("lettera.txt"),
        "-signer",
        &w("signer.pem"),
        "-inkey",
        &w("signer.key"),
        "-outform",
        "DER",
        "-out",
        &w("signed.p7m"),
    ]);
    (work.join("ca.pem"), work.join("signed.p7m"))
}

/// `data` with the first byte of `marker` (which must occur once) changed by hand.
fn flipped(data: &[u8], marker: &[u8]) -> Vec<u8> {
    let at = data.windows(marker.len()).position(|w| w == marker).expect("marker in the file");
    assert_eq!(data.windows(marker.len()).filter(|w| *w == marker).count(), 1);
    let mut out = data.to_vec();
    out[at] ^= 0x20;
    out
}

/// What a file of the batch must give: a verdict (`indication`) or an error / content line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Indication(&'static str),
    Error,
    ContentOf,
}

#[test]
fn a_directory_of_third_party_files() {
    let work = Dir::new("cie-batch", "work");
    let (ca, signed) = openssl_signature(&work);
    let dir = Dir::new("cie-batch", "dir");
    let sub = dir.join("sottocartella");
    std::fs::create_dir_all(&sub).unwrap();
    // The corpus's files whose origin (DSS, and OpenSSL here) finds them intact: with expired
    // certificates and no trusted chain, INDETERMINATE (cie-sign/tests/corpus/*/MANIFEST).
    let intact = [
        ("ber/dss-Signature-15-CBp-LT-2.p7m", "b-cbp-lt.p7m"),
        ("ber/dss-Signature-C-CZ_SIX-1.p7m", "c-cz.p7m"),
        ("ber/dss-counterSig.p7m", "d-countersig.p7m"),
        ("ber/dss-wrongContentHints.p7m", "sottocartella/e-hints.p7m"),
        ("dss/DER_reordered_prova.txt.p7m", "f-reordered.p7m"),
        ("dss/detached_with_counter_sig.p7s", "g-detached.p7s"),
        ("dss/detached_with_counter_sig", "g-detached"),
    ];
    for (from, to) in intact {
        std::fs::copy(corpus(from), dir.join(to)).unwrap();
    }
    // The same LT signature with its content "toBeSigned" changed to "ToBeSigned" by hand.
    let original = std::fs::read(corpus("ber/dss-Signature-15-CBp-LT-2.p7m")).unwrap();
    std::fs::write(dir.join("a-altered.p7m"), flipped(&original, b"toBeSigned")).unwrap();
    std::fs::copy(&signed, dir.join("h-openssl.p7m")).unwrap();
    std::fs::write(dir.join("i-leggimi.txt"), b"Questa cartella contiene documenti firmati.\n").unwrap();
    std::os::unix::fs::symlink(dir.join("non-esiste.p7m"), dir.join("j-collegamento.p7m")).unwrap();
    // Sorted paths: the tree's order, the subdirectory's files where its name falls.
    let expected: Vec<(&str, Expect)> = vec![
        ("a-altered.p7m", Expect::Indication("TOTAL-FAILED")),
        ("b-cbp-lt.p7m", Expect::Indication("INDETERMINATE")),
        ("c-cz.p7m", Expect::Indication("INDETERMINATE")),
        ("d-countersig.p7m", Expect::Indication("INDETERMINATE")),
        ("f-reordered.p7m", Expect::Indication("INDETERMINATE")),
        ("g-detached", Expect::ContentOf),
        ("g-detached.p7s", Expect::Indication("INDETERMINATE")),
        ("h-openssl.p7m", Expect::Indication("TOTAL-PASSED")),
        ("i-leggimi.txt", Expect::Error),
        ("j-collegamento.p7m", Expect::Error),
        ("sottocartella/e-hints.p7m", Expect::Indication("INDETERMINATE")),
    ];
    let args = ["verify", "--no-default-ca", "--ca", s(&ca), s(&dir.0)];

    // Text: one block per file in sorted order, then the summary; exit 1 (one TOTAL-FAILED and
    // two not checked). The same output every time, whatever thread finishes first.
    let r = cie(&args);
    assert_eq!(r.code, Some(1), "{r:?}");
    let blocks: Vec<&str> = r.stdout.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), expected.len() + 1, "{r:?}");
    for ((name, expect), block) in expected.iter().zip(&blocks) {
        let path = dir.join(name);
        assert!(block.starts_with(&format!("{}: ", path.display())), "{name}: {block}");
        let last = block.lines().last().unwrap();
        match expect {
            Expect::Indication("TOTAL-PASSED") => assert_eq!(last, "result: TOTAL-PASSED — all 1 signature valid"),
            Expect::Indication(i) => assert!(last.starts_with(&format!("result: {i} (")), "{name}: {block}"),
            Expect::Error => assert!(last.starts_with("result: NOT CHECKED (error) — "), "{name}: {block}"),
            Expect::ContentOf => assert!(
                block.contains(&format!("the signed content of the detached signature {}.p7s", path.display())),
                "{block}"
            ),
        }
    }
    assert!(blocks[0].contains("result: TOTAL-FAILED (HASH_FAILURE)"), "{}", blocks[0]);
    assert!(blocks[7].contains("  signer:       MARIO ROSSI\n"), "{}", blocks[7]);
    assert!(blocks[8].contains("not a readable CMS signature"), "{}", blocks[8]);
    assert!(blocks[9].contains("No such file or directory"), "{}", blocks[9]);
    let summary = "10 files: 1 TOTAL-PASSED, 1 TOTAL-FAILED, 6 INDETERMINATE, 2 not checked (error)";
    assert_eq!(blocks[expected.len()], format!("summary: {summary}"), "{r:?}");
    assert_eq!(r.stderr, format!("error: {summary}\nhint: see each file's report or error above\n"), "{r:?}");
    assert_eq!(cie(&args).stdout, r.stdout, "a second run in another order");

    // JSON Lines: one object per file, in the same order, each naming its file.
    let mut json_args = vec!["--json"];
    json_args.extend(args);
    let r = cie(&json_args);
    assert_eq!(r.code, Some(1), "{r:?}");
    let lines: Vec<serde_json::Value> =
        r.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(lines.len(), expected.len(), "{r:?}");
    for ((name, expect), line) in expected.iter().zip(&lines) {
        let path = dir.join(name);
        assert_eq!(line["file"], s(&path), "{line}");
        match expect {
            Expect::Indication(i) => {
                assert_eq!(line["indication"], *i, "{line}");
                assert_eq!(line["valid"], *i == "TOTAL-PASSED", "{line}");
                assert!(line["signatures"].as_array().is_some_and(|a| !a.is_empty()), "{line}");
            }
            Expect::Error => {
                assert_eq!(line["exit_code"], 1, "{line}");
                assert!(line["error"].as_str().unwrap().starts_with(s(&path)), "{line}");
                assert!(line["hint"].is_string(), "{line}");
            }
            Expect::ContentOf => assert_eq!(line["content_of"], format!("{}.p7s", path.display()), "{line}"),
        }
    }
    assert_eq!(lines[0]["sub_indication"], "HASH_FAILURE");
    // The countersignature of the detached signature is reported as level 1.1.
    assert_eq!(lines[6]["signatures"][1]["level"], "1.1", "{}", lines[6]);

    // Italian: the same files, the same order, the words in Italian.
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &args, "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("esito: TOTAL-FAILED (HASH_FAILURE) — "), "{r:?}");
    assert!(r.stdout.contains("esito: NON VERIFICATO (errore) — controlla che il file sia"), "{r:?}");
    assert!(r.stdout.contains(&format!(
        "{}: il contenuto firmato della firma separata {}.p7s, verificato con essa",
        dir.join("g-detached").display(),
        dir.join("g-detached").display()
    )));
    assert!(
        r.stdout.ends_with(
            "\n\nriepilogo: 10 file: 1 TOTAL-PASSED, 1 TOTAL-FAILED, 6 INDETERMINATE, 2 non verificati (errore)\n"
        ),
        "{r:?}"
    );
    assert!(r.stderr.starts_with("errore: 10 file: "), "{r:?}");
}

/// Files named on the command line keep their order; the exit status is the worst verdict's
/// (1 over 6 over 0); an empty directory is reported; `--content` belongs to one file.
#[test]
fn files_in_the_order_given_and_exit_status() {
    let work = Dir::new("cie-batch", "order");
    let (ca, signed) = openssl_signature(&work);
    let copy = work.join("z-copia.p7m");
    std::fs::copy(&signed, &copy).unwrap();
    let lt = corpus("ber/dss-Signature-15-CBp-LT-2.p7m");
    let altered = work.join("alterato.p7m");
    std::fs::write(&altered, flipped(&std::fs::read(&signed).unwrap(), b"Gentile")).unwrap();
    let verify = |files: &[&Path]| {
        let mut args = vec!["--json", "verify", "--no-default-ca", "--ca", s(&ca)];
        args.extend(files.iter().map(|f| s(f)));
        let r = cie(&args);
        let order: Vec<String> = r
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["file"].as_str().unwrap().to_owned())
            .collect();
        (r.code, order)
    };
    // All passed: 0; the given order, not sorted.
    let (code, order) = verify(&[&copy, &signed]);
    assert_eq!((code, order), (Some(0), vec![s(&copy).to_owned(), s(&signed).to_owned()]));
    // Passed and INDETERMINATE: 6.
    assert_eq!(verify(&[&copy, &lt, &signed]).0, Some(6));
    // An altered copy: 1, whatever else.
    let (code, order) = verify(&[&lt, &altered, &signed]);
    assert_eq!((code, order.len()), (Some(1), 3));
    let r = cie(&["verify", "--no-default-ca", "--ca", s(&ca), s(&altered), s(&signed)]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("result: TOTAL-FAILED (HASH_FAILURE)"), "{r:?}");
    assert!(r
        .stdout
        .ends_with("\n\nsummary: 2 files: 1 TOTAL-PASSED, 1 TOTAL-FAILED, 0 INDETERMINATE, 0 not checked (error)\n"));

    // A directory with nothing in it: reported, exit 1; as a batch even alone.
    let empty = work.join("vuota");
    std::fs::create_dir_all(&empty).unwrap();
    let r = cie(&["verify", "--no-default-ca", s(&empty)]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.starts_with(&format!("{}: no file to verify in this directory\n", empty.display())), "{r:?}");

    // --content: fine for one detached signature, a usage error with a directory or two files.
    let p7s = corpus("dss/detached_with_counter_sig.p7s");
    let content = corpus("dss/detached_with_counter_sig");
    let r = cie(&["verify", "--no-default-ca", s(&p7s), "--content", s(&content)]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("CAdES detached, 2 signatures"), "{r:?}");
    for args in [vec![s(&work.0)], vec![s(&p7s), s(&signed)]] {
        let mut argv = vec!["verify", "--content", s(&content)];
        argv.extend(args);
        let r = cie(&argv);
        assert_eq!(r.code, Some(2), "{r:?}");
        assert!(r.stderr.contains("verify a single FILE with it, not a directory"), "{r:?}");
    }
}

/// A file name with terminal control characters is escaped in the text output and exact in
/// the JSON (serde_json escapes it).
#[test]
fn hostile_file_names_are_escaped() {
    let work = Dir::new("cie-batch", "names");
    let (ca, signed) = openssl_signature(&work);
    let dir = Dir::new("cie-batch", "names-dir");
    let hostile = dir.join("a\u{1b}[2J\u{202e}.p7m");
    std::fs::copy(&signed, &hostile).unwrap();
    std::fs::copy(&signed, dir.join("b.p7m")).unwrap();
    let r = cie(&["verify", "--no-default-ca", "--ca", s(&ca), s(&dir.0)]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{202e}'), "{r:?}");
    assert!(r.stdout.contains("a\\u{001b}[2J\\u{202e}.p7m: CAdES enveloping (.p7m), 1 signature"), "{r:?}");
    let r = cie(&["--json", "verify", "--no-default-ca", "--ca", s(&ca), s(&dir.0)]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let first: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["file"], s(&hostile));
    assert!(!r.stdout.contains('\u{1b}'), "{r:?}");
}

#[test]
fn archive_timestamps_are_shown_and_an_altered_one_fails() {
    // DSS's CAdESDoubleLTA.p7m: two archive time-stamps (v3) after a signature time-stamp; the
    // TSAs' certificates have expired, so none is a proof of the time.
    let file = corpus("esig-dss/cades-CAdESDoubleLTA.p7m");
    let r = cie(&["verify", "--no-default-ca", s(&file)]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert_eq!(r.stdout.matches("  archive timestamp: 2019-05-28T15:23:5").count(), 2, "{r:?}");
    assert!(r.stdout.contains("(INDETERMINATE (OUT_OF_BOUNDS_NO_POE): not a proof of the time)"), "{r:?}");
    let r = cie(&["--json", "verify", "--no-default-ca", s(&file)]);
    assert_eq!(r.stdout.matches(r#"{"type":"archive","time":"2019-05-28T15:23:5"#).count(), 2, "{r:?}");
    assert_eq!(r.stdout.matches(r#"{"type":"signature","time":"2019-05-28T15:23:51Z""#).count(), 1, "{r:?}");
    // Its first ats-hash-index (OID 0.4.0.1733.2.5, inside the first archive token, outside
    // what the TSA signs) with its last byte flipped by hand: TOTAL-FAILED with the reason.
    let mut bytes = std::fs::read(&file).unwrap();
    let oid = [0x06, 0x06, 0x04, 0x00, 0x8D, 0x45, 0x02, 0x05];
    let at = bytes.windows(oid.len()).position(|w| w == oid).unwrap() + oid.len();
    // SET { SEQUENCE ... } with a long-form length: the last byte of the SET.
    let (len, header) = match bytes[at + 1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let k = usize::from(n & 0x7F);
            (bytes[at + 2..at + 2 + k].iter().fold(0, |a, b| a << 8 | usize::from(*b)), 2 + k)
        }
    };
    bytes[at + header + len - 1] ^= 0x01;
    let work = Dir::new("cie-batch", "archive");
    let altered = work.join("altered.p7m");
    std::fs::write(&altered, bytes).unwrap();
    let r = cie(&["verify", "--no-default-ca", s(&altered)]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("the archive timestamp does not match"), "{r:?}");
}
