//! The PIN commands of `cie` as the card sees them, through pcscd with the virtual card and the
//! APDU trace of `CIE_LOG=debug` (PROTOCOL.md §6): `cie info` and `cie doctor` read the tries
//! left with GET DATA (no VERIFY) after 0, 1, 2 and 3 wrong PINs; `cie pin change` sends VERIFY
//! then CHANGE REFERENCE DATA (a wrong current PIN: the VERIFY alone); `cie pin unblock` sends
//! VERIFY of the PUK then RESET RETRY COUNTER.

mod cli_util;

use cli_util::*;

/// The command headers (`CLA INS P1 P2`) of the trace on standard error, in order.
fn commands(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("=> ").map(|(_, apdu)| apdu.split(' ').take(4).collect::<Vec<_>>().join(" ")))
        .collect()
}

/// The PIN-related commands of a trace: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER
/// and GET DATA of a CHV object's counters can only be told by their headers under secure
/// messaging, so GET DATA (`CB`) after the key exchange is kept too.
fn pin_commands(stderr: &str) -> Vec<String> {
    commands(stderr)
        .into_iter()
        .filter(|c| {
            c.starts_with("0C 20") || c.starts_with("0C 24") || c.starts_with("0C 2C") || c.starts_with("0C CB")
        })
        .collect()
}

const DEBUG: [(&str, &str); 1] = [("CIE_LOG", "debug")];

#[test]
fn info_and_doctor_read_the_tries_with_get_data() {
    let card = Card::start("tries");
    for (spent, line, finding) in [
        (0, "PIN:          3 tries left", "PIN 3 tries left, PUK 10 tries left"),
        (1, "PIN:          2 tries left", "PIN 2 tries left, PUK 10 tries left"),
        (2, "PIN:          1 try left", "PIN 1 try left, PUK 10 tries left"),
        (3, "PIN:          blocked", "PIN blocked, PUK 10 tries left"),
    ] {
        let r = card.cie_env(&DEBUG, &["info"], "");
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(r.stdout.contains(line), "after {spent} wrong PINs: {r:?}");
        assert_eq!(pin_commands(&r.stderr), ["0C CB 3F FF"], "one GET DATA, no VERIFY: {}", r.stderr);
        let r = card.cie(&["doctor"], "");
        assert!(r.stdout.contains(finding), "after {spent} wrong PINs: {r:?}");
        if spent < 3 {
            // A wrong PIN: exit 3, the third one blocks (exit 4).
            let r = card.cie(&["info", "--pin-stdin"], "00000000");
            assert_eq!(r.code, Some(if spent == 2 { 4 } else { 3 }), "{r:?}");
        }
    }
    // Still blocked: asking spent nothing.
    let r = card.cie(&["--json", "info"], "");
    assert!(r.stdout.contains("\"pin_blocked\":true"), "{r:?}");
}

#[test]
fn change_is_verify_then_change_and_unblock_verify_puk_then_reset() {
    let card = Card::start("sequence");
    // A wrong current PIN: the VERIFY alone, one try spent and told.
    let r = card.cie_env(&DEBUG, &["pin", "change", "--pin-stdin"], "99999999\n11223344\n");
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stderr.contains("2 tries left"), "{r:?}");
    assert_eq!(pin_commands(&r.stderr), ["0C 20 00 81"], "{}", r.stderr);
    // The right one: VERIFY then CHANGE REFERENCE DATA in the same channel.
    let r = card.cie_env(&DEBUG, &["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n11223344\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(pin_commands(&r.stderr), ["0C 20 00 81", "0C 24 00 81"], "{}", r.stderr);
    let r = card.cie(&["info"], "");
    assert!(r.stdout.contains("PIN:          3 tries left"), "{r:?}");
    // The trace never shows a PIN.
    assert!(!r.stderr.contains("3131323233333434"), "{r:?}");
    // Unblock: VERIFY of the PUK then RESET RETRY COUNTER with the new PIN.
    let r = card.cie_env(&DEBUG, &["pin", "unblock", "--pin-stdin"], &format!("{TEST_PUK}\n55556666\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(pin_commands(&r.stderr), ["0C 20 00 82", "0C 2C 02 81"], "{}", r.stderr);
    let r = card.cie(&["info", "--pin-stdin"], "55556666");
    assert_eq!(r.code, Some(0), "{r:?}");
}
