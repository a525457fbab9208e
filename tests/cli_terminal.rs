//! PIN entry on a terminal: `cie` prompts on a pseudo-terminal (util-linux `script`), the typed
//! PIN is not echoed, and `pin change` asks the new PIN twice and refuses a mismatch.

mod cli_util;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_util::*;

/// `cie ARGS` on a pseudo-terminal; answers each prompt in `answers` once it appears.
fn on_terminal(card: &Card, args: &str, answers: &[(&str, &str)]) -> (Option<i32>, String) {
    let cmdline = format!("{} {args}", env!("CARGO_BIN_EXE_cie"));
    let mut child: Child = Command::new("timeout")
        .args(["120", "script", "-qec", &cmdline, "/dev/null"])
        .env("LC_ALL", "C")
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for (answered, (prompt, answer)) in answers.iter().enumerate() {
        // Wait for this prompt (counting earlier occurrences of the same text).
        let occurrences = answers[..answered].iter().filter(|(p, _)| p == prompt).count() + 1;
        while seen.matches(prompt).count() < occurrences {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("prompt {prompt:?} never appeared; output so far:\n{seen}"),
            }
        }
        stdin.write_all(format!("{answer}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    // Keep stdin open until the tool is done (script exits when its input ends).
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        while let Ok(chunk) = rx.try_recv() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(Instant::now() < deadline, "cie did not finish:\n{seen}");
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    reader.join().unwrap();
    while let Ok(chunk) = rx.try_recv() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status.code(), seen)
}

#[test]
fn pin_prompt_without_echo() {
    let card = Card::start("tty");
    let (code, out) = on_terminal(&card, "info --login", &[("CIE PIN (8 digits): ", TEST_PIN)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("card number:  {TEST_SERIAL}")), "{out}");
    assert!(!out.contains(TEST_PIN), "the PIN was echoed:\n{out}");

    // The new PIN twice; a mismatch changes nothing (usage error, exit 2).
    let (code, out) = on_terminal(
        &card,
        "pin change",
        &[
            ("current PIN (8 digits): ", TEST_PIN),
            ("new PIN (8 digits): ", "11223344"),
            ("new PIN again: ", "11223355"),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("the two new PINs differ"), "{out}");
    let (code, out) = on_terminal(
        &card,
        "pin change",
        &[
            ("current PIN (8 digits): ", TEST_PIN),
            ("new PIN (8 digits): ", "11223344"),
            ("new PIN again: ", "11223344"),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PIN changed") && !out.contains("11223344"), "{out}");
    let r = card.cie(&["info", "--pin-stdin"], "11223344");
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn last_pin_try_needs_confirmation_on_the_terminal() {
    let card = Card::start("lasttry");
    for _ in 0..2 {
        let r = card.cie(&["info", "--pin-stdin"], "00000000\n");
        assert_eq!(r.code, Some(3), "{r:?}");
    }
    // One try left: declining sends nothing to the card.
    let question = "one try left: a wrong PIN blocks the card; continue? [y/N] ";
    let (code, out) = on_terminal(&card, "info --login", &[(question, "n")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the PIN was not tried"), "{out}");
    assert!(!out.contains("CIE PIN (8 digits): "), "no PIN asked:\n{out}");
    let r = card.cie(&["info"], "");
    assert!(r.stdout.contains("PIN:          1 try left"), "{r:?}");
    // Accepting asks the PIN (with where to find it); the right one resets the count.
    let (code, out) = on_terminal(&card, "info --login", &[(question, "y"), ("CIE PIN (8 digits): ", TEST_PIN)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("receipt the comune gave you"), "{out}");
    let r = card.cie(&["info"], "");
    assert!(r.stdout.contains("PIN:          3 tries left"), "{r:?}");
    // --pin-stdin never asks.
    for _ in 0..2 {
        assert_eq!(card.cie(&["info", "--pin-stdin"], "00000000\n").code, Some(3));
    }
    let r = card.cie(&["info", "--pin-stdin"], &format!("{TEST_PIN}\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
}
