//! `cie sign` through pcscd with the card pulled before every APDU of the run (the simulator
//! leaves the i-th APDU unanswered and drops its vpcd connection): each case exits with status
//! 5 and says the card was removed, writes no signature, keeps the PIN counter (reported by the
//! simulator at the removal) and takes bounded time; after reinsertion `cie sign` works and
//! openssl verifies its signature.

mod cli_util;

use std::time::{Duration, Instant};

use cli_util::*;

#[test]
fn sign_with_the_card_pulled_before_every_apdu() {
    let mut card = Card::start("faults");
    let cert = card.path("cert.pem");
    let r = card.cie(&["cert", "--pem", "--pin-stdin", "-q", "-o", cert.to_str().unwrap()], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    let readme = readme();
    let sign = |card: &Card, sig: &std::path::Path| {
        card.cie(&["sign", "--pin-stdin", "-q", "-i", readme.to_str().unwrap(), "-o", sig.to_str().unwrap()], TEST_PIN)
    };
    let mut i = 1;
    loop {
        let sig = card.path(&format!("case{i}.sig"));
        let removals = card.stack.removals();
        card.stack.remove_card_before_apdu(i).unwrap();
        let started = Instant::now();
        let r = sign(&card, &sig);
        assert!(started.elapsed() < Duration::from_secs(30), "case {i}: took {:?}", started.elapsed());
        if r.code == Some(0) {
            // The run needed fewer APDUs: nothing was pulled.
            card.stack.cancel_scheduled_removal().unwrap();
            assert_eq!(card.stack.removals(), removals);
            assert!(openssl_verifies(&card.dir, &cert, "sha256", &readme, &sig), "case {i}");
            break;
        }
        assert_eq!(r.code, Some(5), "card pulled before APDU {i}: {r:?}");
        assert!(r.stderr.contains("removed") || r.stderr.contains("no card"), "case {i}: {r:?}");
        assert!(!sig.exists(), "case {i}: no signature file");
        card.stack.wait_removed(removals).unwrap();
        assert_eq!(card.stack.pin_tries_at_last_removal(), Some(3), "case {i}: PIN counter intact");
        // pcscd notices the empty reader at its next poll; then the card goes back in.
        std::thread::sleep(Duration::from_millis(900));
        card.stack.insert_card().unwrap();
        let again = card.path(&format!("case{i}.again.sig"));
        let r = sign(&card, &again);
        assert_eq!(r.code, Some(0), "case {i}: after reinsertion: {r:?}");
        assert!(openssl_verifies(&card.dir, &cert, "sha256", &readme, &again), "case {i}");
        i += 1;
    }
    eprintln!("cie sign: card pulled before each of its {} APDUs", i - 1);
    assert!(i > 10, "a `cie sign` run sends many APDUs");
}
