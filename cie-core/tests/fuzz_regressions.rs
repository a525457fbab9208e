//! Regression tests for what fuzzing found (`cargo xtask fuzz`; inputs under fuzz/seeds/).

use std::sync::mpsc;
use std::time::Duration;

use cie_core::dh::{DhGroup, DhKeyPair, MAX_MODULUS_BITS};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;

fn group() -> DhGroup {
    let i = fixtures::card_image(SodProfile::Sha256Pkcs1);
    DhGroup { g: i.dh_g, p: i.dh_p, q: i.dh_q }
}

/// Runs `f` on another thread; false if it has not finished after `secs` seconds.
fn finishes(secs: u64, f: impl FnOnce() + Send + 'static) -> bool {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(secs)).is_ok()
}

/// apdu_tlv (fuzz/seeds/apdu_tlv/dh_q_zero_padded): a card that sends q with 300 leading zero
/// bytes made key generation draw x from 332 random bytes until x < q, which never happens:
/// the host hung in C_Login.
#[test]
fn zero_padded_q_does_not_hang_key_generation() {
    let mut g = group();
    let mut padded = vec![0u8; 300];
    padded.extend_from_slice(&g.q);
    g.q = padded;
    g.check().unwrap();
    let done = finishes(30, move || {
        let pair = DhKeyPair::generate(&g).unwrap();
        assert_eq!(pair.public.len(), 256);
    });
    assert!(done, "key generation did not end");
}

/// A hostile card's oversized group is refused before any exponentiation.
#[test]
fn oversized_or_inconsistent_groups_are_refused() {
    let good = group();
    good.check().unwrap();
    let mut big = good.clone();
    big.p = vec![0xFF; MAX_MODULUS_BITS / 8 + 1];
    assert!(big.check().is_err(), "p above 4096 bits");
    let mut q_over_p = good.clone();
    q_over_p.q = good.p.clone();
    assert!(q_over_p.check().is_err(), "q must be below p");
}
