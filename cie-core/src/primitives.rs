//! Randomness and modular exponentiation for the key exchange and device authentication
//! (PROTOCOL.md §4.3, §4.4): the OS generator and plain `modpow`.
//!
//! Fuzz builds only (`--cfg fuzzing`, set by cargo-fuzz for every crate; fuzz/README.md, "Fast
//! path") differ: the random bytes are a repeatable stream that restarts whenever a
//! session opens, and the results of the exponentiations are remembered for
//! the process, so that a fuzz run that repeats an earlier run's handshake does not pay for it
//! again. Nothing of that is compiled into other builds: `cfg!(fuzzing)` is a compile-time
//! constant, and `tests` below check that a normal build draws fresh random bytes.

use num_bigint::BigUint;
use rand_core::{OsRng, RngCore};

/// Fills `buf` with random bytes: the OS generator (a repeatable stream in fuzz builds).
pub(crate) fn fill_random(buf: &mut [u8]) {
    if cfg!(fuzzing) {
        fuzz::fill(buf);
    } else {
        OsRng.fill_bytes(buf);
    }
}

/// Called when a session opens: restarts the repeatable stream of fuzz builds (nothing in other
/// builds).
pub(crate) fn session_opened() {
    if cfg!(fuzzing) {
        fuzz::restart();
    }
}

/// `base^exp mod m` (remembered in fuzz builds).
pub(crate) fn modpow(base: &BigUint, exp: &BigUint, m: &BigUint) -> BigUint {
    if cfg!(fuzzing) {
        fuzz::modpow(base, exp, m)
    } else {
        base.modpow(exp, m)
    }
}

/// What fuzz builds use; compiled everywhere (so that it stays checked), called only when
/// `cfg!(fuzzing)`.
mod fuzz {
    use std::sync::{Mutex, MutexGuard};

    use num_bigint::BigUint;
    use sha2::{Digest, Sha256};

    /// Blocks drawn since the stream restarted.
    static STREAM: Mutex<u64> = Mutex::new(0);

    /// Remembered exponentiations: (base, exponent, modulus) and the result.
    type Entries = Vec<([Vec<u8>; 3], BigUint)>;
    static RESULTS: Mutex<Entries> = Mutex::new(Vec::new());

    /// How many results are remembered (one handshake needs a handful).
    const ENTRIES: usize = 64;

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn restart() {
        *lock(&STREAM) = 0;
    }

    /// SHA-256("cie-core fuzz stream" || block number), block after block.
    pub(super) fn fill(buf: &mut [u8]) {
        let mut n = lock(&STREAM);
        for chunk in buf.chunks_mut(32) {
            let block = Sha256::new().chain_update(b"cie-core fuzz stream").chain_update(n.to_be_bytes()).finalize();
            *n += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }

    pub(super) fn modpow(base: &BigUint, exp: &BigUint, m: &BigUint) -> BigUint {
        let key = [base.to_bytes_be(), exp.to_bytes_be(), m.to_bytes_be()];
        if let Some((_, r)) = lock(&RESULTS).iter().find(|(k, _)| *k == key) {
            return r.clone();
        }
        let r = base.modpow(exp, m);
        let mut results = lock(&RESULTS);
        if results.len() >= ENTRIES {
            results.remove(0);
        }
        results.push((key, r.clone()));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_build_draws_fresh_random_bytes() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        fill_random(&mut a);
        session_opened();
        fill_random(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn exponentiation() {
        let (b, e, m) = (BigUint::from(4u32), BigUint::from(13u32), BigUint::from(497u32));
        assert_eq!(modpow(&b, &e, &m), BigUint::from(445u32));
        // The fuzz builds' helpers, exercised here so that they stay correct.
        assert_eq!(fuzz::modpow(&b, &e, &m), BigUint::from(445u32));
        assert_eq!(fuzz::modpow(&b, &e, &m), BigUint::from(445u32));
        let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
        fuzz::restart();
        fuzz::fill(&mut x);
        fuzz::restart();
        fuzz::fill(&mut y);
        assert_eq!(x, y);
        fuzz::fill(&mut y);
        assert_ne!(x, y);
    }
}
