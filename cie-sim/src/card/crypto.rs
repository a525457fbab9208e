//! Raw RSA and fixed-length integer encoding as the card computes them (PROTOCOL.md §4.4, §7.1).
//! Every function checks its inputs instead of panicking (a zero modulus, a value not below the
//! modulus).

use std::sync::Mutex;

use num_bigint::{BigInt, BigUint, Sign};
use num_traits::Zero;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

/// Big-endian encoding of `x` left-padded with zeros to `len` bytes; `None` if it does not fit.
pub(crate) fn to_fixed(x: &BigUint, len: usize) -> Option<Vec<u8>> {
    let bytes = x.to_bytes_be();
    let bytes: &[u8] = if x.is_zero() { &[] } else { &bytes };
    if bytes.len() > len {
        return None;
    }
    let mut out = vec![0u8; len - bytes.len()];
    out.extend_from_slice(bytes);
    Some(out)
}

/// Byte length of a modulus (leading zeros do not count).
pub(crate) fn modulus_len(n: &BigUint) -> usize {
    n.bits().div_ceil(8)
}

/// How many results [`remembered`] keeps.
const MEMO_ENTRIES: usize = 64;

/// Fuzz builds only (`--cfg fuzzing`, fuzz/README.md "Fast path"): the result of a deterministic
/// operation named by `id` (an RSA key's public parts and the input; for DH, the card's x too:
/// fuzz cards hold test keys only), computed by `compute` the first time and then remembered for
/// the process, so that a fuzz run replaying an earlier run's handshake, certificate or
/// signature does not pay the exponentiation again. Other builds always compute.
pub(crate) fn remembered(id: &[&[u8]], compute: impl FnOnce() -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    if !cfg!(fuzzing) {
        return compute();
    }
    type Entries = Vec<(Vec<u8>, Option<Vec<u8>>)>;
    static MEMO: Mutex<Entries> = Mutex::new(Vec::new());
    let key: Vec<u8> =
        id.iter().flat_map(|part| (part.len() as u64).to_be_bytes().into_iter().chain(part.iter().copied())).collect();
    let lock = || MEMO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, out)) = lock().iter().find(|(k, _)| *k == key) {
        return out.clone();
    }
    let out = compute();
    let mut memo = lock();
    if memo.len() >= MEMO_ENTRIES {
        memo.remove(0);
    }
    memo.push((key, out.clone()));
    out
}

/// `input^e mod n` with the result encoded on len(n) bytes. `None` when n is zero or the input
/// is not below n. Deterministic: [`remembered`] in fuzz builds.
pub(crate) fn rsa_public(n: &BigUint, e: &BigUint, input: &[u8]) -> Option<Vec<u8>> {
    remembered(&[b"public", &n.to_bytes_be(), &e.to_bytes_be(), input], || rsa_public_uncached(n, e, input))
}

fn rsa_public_uncached(n: &BigUint, e: &BigUint, input: &[u8]) -> Option<Vec<u8>> {
    if n.is_zero() {
        return None;
    }
    let m = BigUint::from_bytes_be(input);
    if &m >= n {
        return None;
    }
    to_fixed(&m.modpow(e, n), modulus_len(n))
}

/// The raw private-key operation `input^d mod n` (CRT when the key has two primes), encoded on
/// k = len(n) bytes. `None` when the input is not below n.
pub(crate) fn rsa_private(key: &RsaPrivateKey, input: &[u8]) -> Option<Vec<u8>> {
    let n = key.n();
    if n.is_zero() {
        return None;
    }
    let m = Zeroizing::new(BigUint::from_bytes_be(input));
    if &*m >= n {
        return None;
    }
    let s = match (key.primes(), key.dp(), key.dq(), key.qinv()) {
        ([p, q], Some(dp), Some(dq), Some(qinv)) if !p.is_zero() && !q.is_zero() => {
            // m1 = m^dp mod p, m2 = m^dq mod q, h = qinv (m1 - m2) mod p, s = m2 + h q.
            let m1 = Zeroizing::new(BigInt::from_biguint(Sign::Plus, m.modpow(dp, p)));
            let m2 = Zeroizing::new(m.modpow(dq, q));
            let p_int = BigInt::from_biguint(Sign::Plus, p.clone());
            let diff = Zeroizing::new(&*m1 - BigInt::from_biguint(Sign::Plus, (*m2).clone()));
            let mut h = Zeroizing::new((qinv * &*diff) % &p_int);
            if h.sign() == Sign::Minus {
                *h += &p_int;
            }
            let h = Zeroizing::new(h.to_biguint().unwrap_or_default());
            &*m2 + &*h * q
        }
        _ => m.modpow(key.d(), n),
    };
    to_fixed(&s, modulus_len(n))
}

/// Constant-time equality of two byte strings (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn fixed_length_encoding() {
        assert_eq!(to_fixed(&BigUint::from(0x0102u32), 4).unwrap(), [0, 0, 1, 2]);
        assert_eq!(to_fixed(&BigUint::zero(), 2).unwrap(), [0, 0]);
        assert!(to_fixed(&BigUint::from(0x010203u32), 2).is_none());
    }

    #[test]
    fn private_then_public_round_trips_with_and_without_crt() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = RsaPrivateKey::new(&mut rng, 512).unwrap();
        let msg = [0x42u8; 40];
        let s = rsa_private(&key, &msg).unwrap();
        assert_eq!(s.len(), 64);
        let m = rsa_public(key.n(), key.e(), &s).unwrap();
        assert_eq!(&m[24..], &msg);
        assert!(m[..24].iter().all(|&b| b == 0));
        // Without precomputed CRT values, the plain exponent gives the same signature.
        let mut plain = key.clone();
        plain.clear_precomputed();
        assert_eq!(rsa_private(&plain, &msg).unwrap(), s);
        // Inputs not below the modulus are refused.
        assert!(rsa_private(&key, &[0xFF; 64]).is_none());
        assert!(rsa_public(key.n(), key.e(), &[0xFF; 64]).is_none());
        assert!(rsa_public(&BigUint::zero(), key.e(), &[1]).is_none());
    }

    #[test]
    fn only_fuzz_builds_remember() {
        let mut calls = 0;
        for _ in 0..2 {
            let out = remembered(&[b"test", &[1, 2, 3]], || {
                calls += 1;
                Some(vec![calls])
            });
            assert_eq!(out, Some(vec![if cfg!(fuzzing) { 1 } else { calls }]));
        }
        assert_eq!(calls, if cfg!(fuzzing) { 1 } else { 2 });
    }

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"12345678", b"12345678"));
        assert!(!ct_eq(b"12345678", b"12345679"));
        assert!(!ct_eq(b"1234567", b"12345678"));
    }
}
