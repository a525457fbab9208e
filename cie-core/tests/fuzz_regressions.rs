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

/// A card answering GET DATA (DH parameters, one-call form, §4.1) with 64 full GET RESPONSE
/// segments of nested `30 7F` headers: the TLV tree parser of iso7816-tlv recursed once per
/// header with no depth limit and overflowed the stack of a 2 MiB thread (the process aborted).
/// The reader of `cie_core::tlv` stops at 16 levels and the session gets an error.
#[test]
fn deeply_nested_get_data_answer_is_an_error_not_a_stack_overflow() {
    struct NestedCard {
        segments_left: u8,
    }
    impl cie_core::transport::Link for NestedCard {
        fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, cie_core::TransportError> {
            let mut answer = [0x30u8, 0x7F].repeat(128);
            self.segments_left = self.segments_left.saturating_sub(1);
            answer.extend_from_slice(if self.segments_left > 0 { &[0x61, 0x00] } else { &[0x90, 0x00] });
            Ok(answer)
        }
    }
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| cie_core::dh::read_group(&mut NestedCard { segments_left: 64 }, true).is_err())
        .expect("spawn")
        .join();
    assert!(matches!(outcome, Ok(true)), "read_group must refuse the answer with an error");
}
