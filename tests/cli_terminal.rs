//! PIN entry on a terminal: `cie` prompts on a pseudo-terminal (util-linux `script`), the typed
//! PIN is not echoed, and `pin change` asks the new PIN twice and refuses a mismatch.

mod cli_util;

use cli_util::*;

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
