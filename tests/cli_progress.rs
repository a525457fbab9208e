//! Progress on standard error: on a pseudo-terminal (util-linux `script`) `cie sign`, `cie
//! verify` and `cie extract` of a 64 MiB file draw a bar with bytes, rate and time left, and the
//! card's steps a spinner; the files they write are still right (`openssl cms -verify`). With
//! standard error not a terminal the step lines are those of before and no bar is drawn; with
//! `--quiet` on a terminal nothing is. `cie verify` of several files draws a bar over the files.

mod cli_util;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use cli_util::*;

/// Large enough that a bar is drawn from the start (src/progress.rs `LONG_WORK`).
const SIZE: usize = 64 * 1024 * 1024;

/// The login step's text, as a line when standard error is not a terminal.
const LOGIN_STEP: &str = "cie: opening the secure channel and verifying the PIN...";

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 64 MiB file of varied bytes, and the simulator's citizen CA as PEM.
fn big_file_and_ca(card: &Card) -> (PathBuf, PathBuf) {
    let big = card.path("big.bin");
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect();
    std::fs::write(&big, data).unwrap();
    let der = card.path("citizen-ca.der");
    std::fs::write(&der, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let pem = card.path("citizen-ca.pem");
    let (ok, _, err) = tool(
        "openssl",
        &[os("x509"), os("-inform"), os("DER"), os("-in"), der.as_os_str(), os("-out"), pem.as_os_str()],
    );
    assert!(ok, "{err}");
    (big, pem)
}

/// `openssl cms -verify` accepts the `.p7m` with `ca` and gives back exactly `content`.
fn assert_openssl_verifies(card: &Card, p7m: &Path, ca: &Path, content: &Path) {
    let out = card.path("openssl-out");
    let (ok, _, err) = tool(
        "openssl",
        &[
            os("cms"),
            os("-verify"),
            os("-inform"),
            os("DER"),
            os("-in"),
            p7m.as_os_str(),
            os("-binary"),
            os("-CAfile"),
            ca.as_os_str(),
            os("-purpose"),
            os("any"),
            os("-out"),
            out.as_os_str(),
        ],
    );
    assert!(ok && err.contains("Verification successful"), "openssl cms -verify: {err}");
    assert!(std::fs::read(&out).unwrap() == std::fs::read(content).unwrap(), "openssl's content differs");
    std::fs::remove_file(out).unwrap();
}

/// What a drawn bar shows: bytes in MiB of a total, a rate, the time left.
fn assert_bar(out: &str, what: &str) {
    assert!(out.contains("/64.00 MiB"), "no byte count of the total for {what}:\n{out}");
    assert!(out.contains("MiB/s") || out.contains("KiB/s") || out.contains(" B/s"), "no rate for {what}:\n{out}");
    assert!(out.contains(" left "), "no time left for {what}:\n{out}");
}

/// Nothing drawn: no terminal escape, no spinner or bar glyph, no byte count.
fn assert_no_bar(out: &str, what: &str) {
    assert!(!out.contains('\u{1b}'), "terminal escapes for {what}:\n{out}");
    assert!(!out.contains("MiB"), "a byte count for {what}:\n{out}");
    let glyphs = ['█', '░', '⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];
    assert!(!out.contains(glyphs), "a bar or spinner glyph for {what}:\n{out}");
}

#[test]
fn bars_and_spinner_on_a_terminal() {
    let card = Card::start("progress-tty");
    let (big, ca) = big_file_and_ca(&card);
    let p7m = card.path("big.bin.p7m");

    // Signing: the steps as a spinner (the login step drawn, not written as a line), then the
    // bar over the two reads of the file (128 MiB).
    let (code, out) =
        on_terminal(&card, &format!("sign -f cades -i {}", s(&big)), &[("CIE PIN (8 digits): ", TEST_PIN)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(LOGIN_STEP), "no login step:\n{out}");
    assert!(!out.contains(&format!("{LOGIN_STEP}\r\n")), "the login step is a plain line:\n{out}");
    assert!(out.contains("/128.00 MiB") && out.contains("/s, ") && out.contains(" left "), "no bar:\n{out}");
    assert!(out.contains("signed big.bin") || out.contains("big.bin.p7m"), "{out}");
    assert!(!out.contains(TEST_PIN), "the PIN was echoed:\n{out}");
    assert_openssl_verifies(&card, &p7m, &ca, &big);

    // Verifying and extracting: a bar each, and the same verdict and content as ever.
    let (code, out) = on_terminal(&card, &format!("verify {} --no-default-ca --ca {}", s(&p7m), s(&ca)), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_bar(&out, "verify");
    assert!(out.contains("result: TOTAL-PASSED"), "{out}");
    let extracted = card.path("extracted.bin");
    let (code, out) = on_terminal(&card, &format!("extract {} -o {}", s(&p7m), s(&extracted)), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_bar(&out, "extract");
    assert!(std::fs::read(&extracted).unwrap() == std::fs::read(&big).unwrap(), "extracted content differs");

    // In Italian: the bar's words too.
    let (code, out) =
        on_terminal_in(&card, "it_IT.UTF-8", &format!("verify {} --no-default-ca --ca {}", s(&p7m), s(&ca)), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("/64.00 MiB") && out.contains(", ancora ") && out.contains(" verifica di "), "{out}");

    // --quiet on the terminal: neither bar nor spinner, the outcome still printed.
    let (code, out) = on_terminal(&card, &format!("--quiet verify {} --no-default-ca --ca {}", s(&p7m), s(&ca)), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_no_bar(&out, "verify --quiet");
    assert!(out.contains("result: TOTAL-PASSED"), "{out}");
    let (code, out) = on_terminal(
        &card,
        &format!("--quiet sign -f cades-detached -i {}", s(&big)),
        &[("CIE PIN (8 digits): ", TEST_PIN)],
    );
    assert_eq!(code, Some(0), "{out}");
    assert_no_bar(&out, "sign --quiet");
    assert!(!out.contains("cie: "), "a step shown with --quiet:\n{out}");
}

#[test]
fn plain_lines_without_a_terminal() {
    let card = Card::start("progress-pipe");
    let (big, ca) = big_file_and_ca(&card);
    let r = card.cie(&["sign", "-f", "cades", "--pin-stdin", "-i", s(&big)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    // Exactly the step lines of before, nothing drawn.
    let steps = format!(
        "cie: looking for a CIE in the readers...\n{LOGIN_STEP}\n\
         cie: signing {} as CAdES-BES enveloping (.p7m) with the card...\n",
        big.display()
    );
    assert_eq!(r.stderr, steps, "{r:?}");
    let p7m = card.path("big.bin.p7m");
    assert_openssl_verifies(&card, &p7m, &ca, &big);
    let r = card.cie(&["verify", s(&p7m), "--ca", s(&ca)], "");
    assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""), "{r:?}");
    assert_no_bar(&r.stdout, "verify");
    let r = card.cie(&["extract", s(&p7m), "-o", s(&card.path("out.bin"))], "");
    assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""), "{r:?}");
    assert_no_bar(&r.stdout, "extract");
}

/// `cie verify` of several files: on a terminal a bar over the files (done of all, the current
/// file named); without a terminal, or with `--quiet`, none.
#[test]
fn a_bar_over_files() {
    let card = Card::start("progress-files");
    let doc = card.path("domanda.txt");
    std::fs::write(&doc, b"Richiesta di accesso agli atti.\n").unwrap();
    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-q", "-i", s(&doc)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let p7m = card.path("domanda.txt.p7m");
    let ca = card.path("citizen-ca.der");
    std::fs::write(&ca, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let copies: Vec<PathBuf> = (1..=3)
        .map(|i| {
            let c = card.path(&format!("copia-{i}.p7m"));
            std::fs::copy(&p7m, &c).unwrap();
            c
        })
        .collect();
    let files = copies.iter().map(|c| s(c)).collect::<Vec<_>>().join(" ");
    let args = format!("verify {files} --no-default-ca --ca {}", s(&ca));

    let (code, out) = on_terminal(&card, &args, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0/3 [") && out.contains("1/3 [") && out.contains("3/3 ["), "no bar over files:\n{out}");
    assert!(out.contains("] verifying copia-3.p7m"), "the current file not named:\n{out}");
    assert_eq!(out.matches("result: TOTAL-PASSED").count(), 3, "{out}");

    let (code, out) = on_terminal(&card, &format!("--quiet {args}"), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("/3 ["), "a bar with --quiet:\n{out}");
    assert_no_bar(&out, "verify --quiet of several files");

    let mut argv = vec!["verify"];
    argv.extend(copies.iter().map(|c| s(c)));
    argv.extend(["--no-default-ca", "--ca", s(&ca)]);
    let r = card.cie(&argv, "");
    assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""), "{r:?}");
    assert!(!r.stdout.contains("/3 ["), "{r:?}");
    assert_no_bar(&r.stdout, "verify of several files to a pipe");
}
