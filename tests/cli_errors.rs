//! The CLI's error paths through pcscd with the virtual card: wrong PIN with tries left,
//! blocked PIN and unblocking with the PUK, no card, no reader service, and mistakes caught
//! before any PIN try is spent. Exit codes: 2 usage, 3 wrong PIN/PUK, 4 blocked, 5 no card.

mod cli_util;

use cli_util::*;

fn run_sign(card: &Card, pin: &str) -> Run {
    let (input, out) = (readme(), card.path("sig"));
    card.cie(&["sign", "--pin-stdin", "-i", input.to_str().unwrap(), "-o", out.to_str().unwrap()], pin)
}

fn tries_left(card: &Card) -> String {
    let r = card.cie(&["info"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    r.stdout.lines().find(|l| l.starts_with("PIN:")).unwrap_or_default().to_owned()
}

#[test]
fn wrong_pin_then_blocked_then_unblocked() {
    let card = Card::start("blocked");
    let r = run_sign(&card, "00000000");
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stderr.contains("wrong PIN: 2 tries left"), "{r:?}");
    assert!(r.stderr.contains("hint: check the PIN"), "{r:?}");
    assert!(!card.path("sig").exists());
    assert_eq!(tries_left(&card), "PIN:          2 tries left");

    // The right PIN resets the counter.
    assert_eq!(run_sign(&card, TEST_PIN).code, Some(0));
    assert_eq!(tries_left(&card), "PIN:          3 tries left");

    assert_eq!(run_sign(&card, "00000000").code, Some(3));
    let r = run_sign(&card, "00000000");
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stderr.contains("wrong PIN: 1 try left") && r.stderr.contains("one more wrong try blocks it"), "{r:?}");
    assert!(r.stderr.contains("receipt the comune gave you") && r.stderr.contains("letter that came with"), "{r:?}");
    assert_eq!(tries_left(&card), "PIN:          1 try left");
    let r = run_sign(&card, "00000000");
    assert_eq!(r.code, Some(4), "{r:?}");
    assert!(r.stderr.contains("PIN blocked") && r.stderr.contains("cie pin unblock"), "{r:?}");
    // Blocked: even the right PIN is refused.
    let r = run_sign(&card, TEST_PIN);
    assert_eq!(r.code, Some(4), "{r:?}");
    assert!(tries_left(&card).contains("blocked"));
    let r = card.cie(&["--json", "info"], "");
    assert!(r.stdout.contains("\"pin_blocked\":true") && r.stdout.contains("\"pin_tries_left\":0"), "{r:?}");

    // A wrong PUK: exit 3, the PUK named.
    let r = card.cie(&["pin", "unblock", "--pin-stdin"], "11111111\n24681357\n");
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stderr.contains("wrong PUK") && r.stderr.contains("check the PUK"), "{r:?}");
    // Standard input ending early is a usage error, before the card sees the PUK.
    let r = card.cie(&["pin", "unblock", "--pin-stdin"], &format!("{TEST_PUK}\n"));
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("standard input ended before the PIN"), "{r:?}");

    let r = card.cie(&["pin", "unblock", "--pin-stdin"], &format!("{TEST_PUK}\n24681357\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("PIN unblocked"), "{r:?}");
    assert_eq!(tries_left(&card), "PIN:          3 tries left");
    assert_eq!(run_sign(&card, TEST_PIN).code, Some(3), "the old PIN is gone");
    assert_eq!(run_sign(&card, "24681357").code, Some(0));
}

#[test]
fn mistakes_cost_no_pin_try() {
    let card = Card::start("mistakes");
    // A PIN of the wrong form: usage error, no APDU spent on it.
    for bad in ["1234567", "123456789", "1234567x", ""] {
        let r = run_sign(&card, bad);
        assert_eq!(r.code, Some(2), "{bad:?}: {r:?}");
    }
    let r = run_sign(&card, "1234");
    assert!(r.stderr.contains("PIN must be exactly 8 digits"), "{r:?}");
    // A missing input file: reported before the PIN is asked.
    let r = card.cie(&["sign", "--pin-stdin", "-i", "/nonexistent/file", "-o", "/tmp/x"], "00000000");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("/nonexistent/file"), "{r:?}");
    // The PIN is never an argument.
    let r = card.cie(&["sign", "--pin", TEST_PIN, "-i", "x", "-o", "y"], "");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("never taken from the command line"), "{r:?}");
    // No terminal and no --pin-stdin: a clear usage error.
    let r = card.cie(&["cert"], "");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("--pin-stdin"), "{r:?}");
    // New PINs that differ cannot happen with --pin-stdin; a malformed new PIN is refused.
    let r = card.cie(&["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n12\n"));
    assert_eq!(r.code, Some(2), "{r:?}");
    for r in
        [card.cie(&["frobnicate"], ""), card.cie(&["sign", "-i", "x"], ""), card.cie(&["cert", "--hash", "sha1"], "")]
    {
        assert_eq!(r.code, Some(2), "{r:?}");
    }
    assert_eq!(tries_left(&card), "PIN:          3 tries left");
}

#[test]
fn no_card_and_no_reader() {
    let mut card = Card::start("nocard");
    // The empty vpcd slot.
    let r = card.cie(&["--reader", "Virtual PCD 00 01", "info"], "");
    assert_eq!(r.code, Some(5), "{r:?}");
    assert!(r.stderr.contains("no card") && r.stderr.contains("put the card on the reader"), "{r:?}");

    card.stack.remove_card().unwrap();
    let r = run_sign(&card, TEST_PIN);
    assert_eq!(r.code, Some(5), "{r:?}");
    assert!(r.stderr.contains("put the card on the reader"), "{r:?}");
    let r = card.cie(&["--json", "info"], "");
    assert_eq!(r.code, Some(5), "{r:?}");
    assert!(r.stdout.contains("\"exit_code\":5"), "{r:?}");
    card.stack.insert_card().unwrap();
    assert_eq!(run_sign(&card, TEST_PIN).code, Some(0));

    // A reader name that does not exist, and no PC/SC service at all.
    let r = card.cie(&["--reader", "Nothing 00 00", "info"], "");
    assert_eq!(r.code, Some(5), "{r:?}");
    let r = cie_with_socket(None, &["readers"], "");
    assert_eq!(r.code, Some(5), "{r:?}");
    assert!(r.stderr.contains("pcscd"), "{r:?}");
}

#[test]
fn help_pin_says_where_pin_and_puk_are() {
    let r = cie_with_socket(None, &["help", "pin"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    for text in
        ["first 4 digits are on the receipt the comune gave you", "last 4 in the letter", "cie pin unblock", "PUK"]
    {
        assert!(r.stdout.contains(text), "{text}: {r:?}");
    }
    let r = cie_with_socket(None, &["help"], "");
    assert!(r.code == Some(0) && r.stdout.contains("help [pin]"), "{r:?}");
    assert_eq!(cie_with_socket(None, &["help", "frobnicate"], "").code, Some(2));
    // A malformed PIN is rejected with the same hint.
    let card = Card::start("helppin");
    let r = run_sign(&card, "1234");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("receipt the comune gave you") && r.stderr.contains("cie help pin"), "{r:?}");
}

/// Shell completions for bash, zsh and fish name every command; `cie manpage DIR` (what `cargo
/// xtask man` and the Debian package run) writes a page per command; help on one command.
#[test]
fn completions_man_pages_and_command_help() {
    let commands = ["readers", "info", "cert", "sign", "verify", "extract", "verify-sod", "pin", "demo", "browser"];
    for shell in ["bash", "zsh", "fish"] {
        let r = cie_with_socket(None, &["completions", shell], "");
        assert_eq!(r.code, Some(0), "{r:?}");
        for c in commands.iter().chain(&["unblock", "setup", "cades-detached", "pin-stdin"]) {
            assert!(r.stdout.contains(c), "{shell}: {c} missing");
        }
    }
    assert_eq!(cie_with_socket(None, &["completions", "tcsh"], "").code, Some(2));
    let dir = std::env::temp_dir().join(format!("cie-man-{}", std::process::id()));
    let r = cie_with_socket(None, &["manpage", dir.to_str().unwrap()], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let main = std::fs::read_to_string(dir.join("cie.1")).unwrap();
    assert!(main.contains(".TH cie 1") && main.contains("never accepted on the command line"), "{main}");
    for c in commands {
        assert!(main.contains(&c.replace('-', "\\-")), "{c} missing from cie.1");
        let page = std::fs::read_to_string(dir.join(format!("cie-{c}.1"))).unwrap();
        assert!(page.contains(&format!(".TH cie-{c} 1")), "{page}");
    }
    let sign = std::fs::read_to_string(dir.join("cie-sign.1")).unwrap();
    assert!(sign.contains("cades\\-detached") && sign.contains("\\-\\-cosign"), "{sign}");
    std::fs::remove_dir_all(&dir).unwrap();
    let r = cie_with_socket(None, &["help", "sign"], "");
    assert!(r.code == Some(0) && r.stdout.contains("Usage: cie sign") && r.stdout.contains("--cosign"), "{r:?}");
}

/// Output into a pipe that closed early (`cie --help | head -1`) ends the tool quietly: no panic
/// message, killed by SIGPIPE as other Unix tools are.
#[test]
fn closed_pipe_is_no_panic() {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    // A pipe whose reading end is closed before the tool starts: every write fails with EPIPE.
    // Both ends are close-on-exec, so a child another test thread spawns meanwhile cannot keep
    // the reading end open (the tool would then write into the pipe and exit 0).
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2() writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe() just returned these descriptors; each is owned once.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cie"))
        .arg("--help")
        .stdin(Stdio::null())
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?} {stderr}");
}

/// The card pulled while `cie sign` runs: "the card was removed" (exit 5) or, when the removal
/// came first, no card (exit 5), or a finished signature (exit 0); never exit 1 with a transport
/// message.
#[test]
fn removal_during_sign_is_reported_as_removal() {
    let mut card = Card::start("removal");
    let socket = card.stack.socket_path().to_path_buf();
    let input = readme();
    let mut removed_mid_sign = 0;
    for (run, delay_ms) in [0u64, 20, 50, 100, 150, 0, 20, 50, 100, 150].into_iter().enumerate() {
        let out = card.path(&format!("sig{run}"));
        let (input, out_s) = (input.to_str().unwrap().to_owned(), out.to_str().unwrap().to_owned());
        let socket = socket.clone();
        let signer = std::thread::spawn(move || {
            cie_with_socket(
                Some(&socket),
                &["sign", "--pin-stdin", "-i", &input, "-o", &out_s],
                &format!("{TEST_PIN}\n"),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        card.stack.remove_card().unwrap();
        let r = signer.join().unwrap();
        assert!(matches!(r.code, Some(0) | Some(5)), "run {run}: {r:?}");
        assert!(!r.stderr.contains("transport failure"), "run {run}: {r:?}");
        if r.stderr.contains("the card was removed") {
            removed_mid_sign += 1;
            assert!(r.stderr.contains("put it back"), "{r:?}");
        }
        card.stack.insert_card().unwrap();
    }
    eprintln!("{removed_mid_sign} of 10 runs saw the removal in the middle of the command");
}
