//! ECDSA verification on the brainpool curves brainpoolP256r1, brainpoolP384r1 and
//! brainpoolP512r1 (RFC 5639 §3.4, §3.6, §3.7), which no maintained RustCrypto crate of the
//! `ecdsa` 0.16 generation verifies on all three. Verification only: every value handled is
//! public, so the arithmetic is plain big-integer arithmetic (Jacobian coordinates, one
//! inversion at the end), not constant time. Every input is checked before use: the public
//! point's length, prefix, coordinates below p and equation; the signature's DER encoding and
//! 1 <= r, s < n; nothing here panics on any input.

use der::asn1::UintRef;
use der::{Decode, Sequence};
use rsa::BigUint;

/// One of the three brainpool "r1" curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    /// brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7).
    P256r1,
    /// brainpoolP384r1 (1.3.36.3.3.2.8.1.1.11).
    P384r1,
    /// brainpoolP512r1 (1.3.36.3.3.2.8.1.1.13).
    P512r1,
}

/// Why a public key is not a point of the curve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// Not 04||X||Y or 02/03||X of the curve's size.
    Encoding,
    /// A coordinate not below the field prime.
    Coordinate,
    /// The coordinates do not satisfy the curve's equation.
    NotOnCurve,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyError::Encoding => "the point is not encoded as 04||X||Y (or 02/03||X) of the curve's size",
            KeyError::Coordinate => "a coordinate of the point is not below the field's prime",
            KeyError::NotOnCurve => "the point is not on the curve",
        })
    }
}

/// The curve's domain parameters, as hexadecimal strings (RFC 5639 §3).
struct Hex {
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

impl Curve {
    /// The curve named by its object identifier (dotted), if it is one of the three.
    pub(crate) fn from_oid(oid: &str) -> Option<Curve> {
        match oid {
            "1.3.36.3.3.2.8.1.1.7" => Some(Curve::P256r1),
            "1.3.36.3.3.2.8.1.1.11" => Some(Curve::P384r1),
            "1.3.36.3.3.2.8.1.1.13" => Some(Curve::P512r1),
            _ => None,
        }
    }

    /// The curve's name ("brainpoolP256r1").
    pub(crate) fn name(self) -> &'static str {
        match self {
            Curve::P256r1 => "brainpoolP256r1",
            Curve::P384r1 => "brainpoolP384r1",
            Curve::P512r1 => "brainpoolP512r1",
        }
    }

    /// The size in bytes of a field element (and of the order).
    fn size(self) -> usize {
        match self {
            Curve::P256r1 => 32,
            Curve::P384r1 => 48,
            Curve::P512r1 => 64,
        }
    }

    fn hex(self) -> Hex {
        match self {
            Curve::P256r1 => Hex {
                p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
                a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
                b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
                gx: "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
                gy: "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
                n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
            },
            Curve::P384r1 => Hex {
                p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
                a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
                b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
                gx: "1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
                gy: "8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
                n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565",
            },
            Curve::P512r1 => Hex {
                p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
                a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
                b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
                gx: "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
                gy: "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
                n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
            },
        }
    }

    fn params(self) -> Params {
        let h = self.hex();
        let big = |s: &str| BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default();
        Params { p: big(h.p), a: big(h.a), b: big(h.b), gx: big(h.gx), gy: big(h.gy), n: big(h.n), size: self.size() }
    }
}

/// Domain parameters as integers.
struct Params {
    p: BigUint,
    a: BigUint,
    b: BigUint,
    gx: BigUint,
    gy: BigUint,
    n: BigUint,
    size: usize,
}

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity.
#[derive(Clone)]
struct Jacobian {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

/// ECDSA-Sig-Value (RFC 5480, SEC 1 C.5).
#[derive(Sequence)]
struct SigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

impl Params {
    fn add(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a + b) % &self.p
    }
    /// a - b mod p, for a, b < p.
    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        ((a + &self.p) - b) % &self.p
    }
    fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }
    fn small(&self, k: u32, a: &BigUint) -> BigUint {
        (a * BigUint::from(k)) % &self.p
    }

    /// y² = x³ + ax + b's right side.
    fn rhs(&self, x: &BigUint) -> BigUint {
        let x3 = self.mul(&self.mul(x, x), x);
        self.add(&self.add(&x3, &self.mul(&self.a, x)), &self.b)
    }

    /// The public point of a SEC 1 encoding, checked to be on the curve (the brainpool curves'
    /// cofactor is 1: a point on the curve other than infinity, which has no such encoding, is
    /// in the group).
    fn point(&self, bytes: &[u8]) -> Result<Jacobian, KeyError> {
        let size = self.size;
        let (x, y) = match bytes.first() {
            Some(4) if bytes.len() == 1 + 2 * size => {
                let x = BigUint::from_bytes_be(bytes.get(1..1 + size).ok_or(KeyError::Encoding)?);
                let y = BigUint::from_bytes_be(bytes.get(1 + size..).ok_or(KeyError::Encoding)?);
                if x >= self.p || y >= self.p {
                    return Err(KeyError::Coordinate);
                }
                if self.mul(&y, &y) != self.rhs(&x) {
                    return Err(KeyError::NotOnCurve);
                }
                (x, y)
            }
            Some(prefix @ (2 | 3)) if bytes.len() == 1 + size => {
                let x = BigUint::from_bytes_be(bytes.get(1..).ok_or(KeyError::Encoding)?);
                if x >= self.p {
                    return Err(KeyError::Coordinate);
                }
                // p ≡ 3 (mod 4) on the three curves: a square root is c^((p+1)/4).
                let c = self.rhs(&x);
                let root = c.modpow(&((&self.p + BigUint::from(1u32)) >> 2usize), &self.p);
                if self.mul(&root, &root) != c {
                    return Err(KeyError::NotOnCurve);
                }
                let odd = root.to_bytes_be().last().is_some_and(|b| b & 1 == 1);
                let y = if odd == (*prefix == 3) { root } else { self.sub(&BigUint::default(), &root) };
                (x, y)
            }
            _ => return Err(KeyError::Encoding),
        };
        Ok(Jacobian { x, y, z: BigUint::from(1u32) })
    }

    fn double(&self, q: &Jacobian) -> Jacobian {
        if is_zero(&q.z) || is_zero(&q.y) {
            return infinity();
        }
        let xx = self.mul(&q.x, &q.x);
        let yy = self.mul(&q.y, &q.y);
        let yyyy = self.mul(&yy, &yy);
        let zz = self.mul(&q.z, &q.z);
        let s = self.small(4, &self.mul(&q.x, &yy));
        let m = self.add(&self.small(3, &xx), &self.mul(&self.a, &self.mul(&zz, &zz)));
        let x = self.sub(&self.mul(&m, &m), &self.small(2, &s));
        let y = self.sub(&self.mul(&m, &self.sub(&s, &x)), &self.small(8, &yyyy));
        let z = self.small(2, &self.mul(&q.y, &q.z));
        Jacobian { x, y, z }
    }

    fn sum(&self, a: &Jacobian, b: &Jacobian) -> Jacobian {
        if is_zero(&a.z) {
            return b.clone();
        }
        if is_zero(&b.z) {
            return a.clone();
        }
        let z1z1 = self.mul(&a.z, &a.z);
        let z2z2 = self.mul(&b.z, &b.z);
        let u1 = self.mul(&a.x, &z2z2);
        let u2 = self.mul(&b.x, &z1z1);
        let s1 = self.mul(&a.y, &self.mul(&b.z, &z2z2));
        let s2 = self.mul(&b.y, &self.mul(&a.z, &z1z1));
        if u1 == u2 {
            return if s1 == s2 { self.double(a) } else { infinity() };
        }
        let h = self.sub(&u2, &u1);
        let r = self.sub(&s2, &s1);
        let hh = self.mul(&h, &h);
        let hhh = self.mul(&hh, &h);
        let v = self.mul(&u1, &hh);
        let x = self.sub(&self.sub(&self.mul(&r, &r), &hhh), &self.small(2, &v));
        let y = self.sub(&self.mul(&r, &self.sub(&v, &x)), &self.mul(&s1, &hhh));
        let z = self.mul(&h, &self.mul(&a.z, &b.z));
        Jacobian { x, y, z }
    }

    /// u1·G + u2·Q (Shamir's trick), u1 and u2 below n.
    fn combination(&self, u1: &BigUint, g: &Jacobian, u2: &BigUint, q: &Jacobian) -> Jacobian {
        let both = self.sum(g, q);
        let (b1, b2) = (fixed(u1, self.size), fixed(u2, self.size));
        let mut acc = infinity();
        for (x1, x2) in b1.iter().zip(b2.iter()) {
            for bit in (0..8).rev() {
                acc = self.double(&acc);
                match ((x1 >> bit) & 1, (x2 >> bit) & 1) {
                    (1, 1) => acc = self.sum(&acc, &both),
                    (1, 0) => acc = self.sum(&acc, g),
                    (0, 1) => acc = self.sum(&acc, q),
                    _ => {}
                }
            }
        }
        acc
    }
}

fn is_zero(v: &BigUint) -> bool {
    v.bits() == 0
}

fn infinity() -> Jacobian {
    Jacobian { x: BigUint::from(1u32), y: BigUint::from(1u32), z: BigUint::default() }
}

/// `v` (below 2^(8·size)) as exactly `size` big-endian bytes.
fn fixed(v: &BigUint, size: usize) -> Vec<u8> {
    let b = v.to_bytes_be();
    let mut out = vec![0u8; size.saturating_sub(b.len())];
    out.extend_from_slice(b.get(b.len().saturating_sub(size)..).unwrap_or_default());
    out
}

/// Checks the DER ECDSA-Sig-Value `signature` over `digest` with the SEC 1 public point
/// `point` on `curve`. `Err`: the key is not a point of the curve; `Ok(false)`: the signature
/// is malformed, r or s is out of [1, n-1], or it does not verify.
pub(crate) fn verify_prehash(curve: Curve, point: &[u8], digest: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
    let c = curve.params();
    let q = c.point(point)?;
    let Ok(sig) = SigValue::from_der(signature) else { return Ok(false) };
    let r = BigUint::from_bytes_be(sig.r.as_bytes());
    let s = BigUint::from_bytes_be(sig.s.as_bytes());
    if is_zero(&r) || is_zero(&s) || r >= c.n || s >= c.n {
        return Ok(false);
    }
    // e: the digest's leftmost bits, as many as n has (SEC 1 §4.1.4 step 5).
    let nbits = c.n.bits();
    let mut e = BigUint::from_bytes_be(digest);
    let dbits = digest.len().saturating_mul(8);
    if dbits > nbits {
        e >>= dbits - nbits;
    }
    // n is prime: s⁻¹ = s^(n-2) mod n.
    let two = BigUint::from(2u32);
    let w = s.modpow(&(&c.n - &two), &c.n);
    let u1 = (e * &w) % &c.n;
    let u2 = (&r * &w) % &c.n;
    let g = Jacobian { x: c.gx.clone(), y: c.gy.clone(), z: BigUint::from(1u32) };
    let sum = c.combination(&u1, &g, &u2, &q);
    if is_zero(&sum.z) {
        return Ok(false);
    }
    let zinv = sum.z.modpow(&(&c.p - &two), &c.p);
    let x = c.mul(&sum.x, &c.mul(&zinv, &zinv));
    Ok(x % &c.n == r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator of each curve is on the curve and has order n (n·G = infinity).
    #[test]
    fn domain_parameters_are_consistent() {
        for curve in [Curve::P256r1, Curve::P384r1, Curve::P512r1] {
            let c = curve.params();
            assert_eq!(c.n.bits(), curve.size() * 8);
            let mut g = vec![4u8];
            g.extend(fixed(&c.gx, c.size));
            g.extend(fixed(&c.gy, c.size));
            let pg = c.point(&g).unwrap();
            let zero = BigUint::default();
            let inf = c.combination(&(&c.n - BigUint::from(1u32)), &pg, &BigUint::from(1u32), &pg);
            assert!(is_zero(&inf.z), "{}", curve.name());
            assert!(c.combination(&zero, &pg, &BigUint::from(1u32), &pg).z != zero);
            // The compressed form decodes to the same point.
            let mut comp = vec![2 + (c.gy.to_bytes_be().last().unwrap() & 1)];
            comp.extend(fixed(&c.gx, c.size));
            let pc = c.point(&comp).unwrap();
            assert!(pc.y == pg.y);
        }
    }

    /// Hostile keys and signatures: errors, never panics.
    #[test]
    fn hostile_inputs_are_refused() {
        for curve in [Curve::P256r1, Curve::P384r1, Curve::P512r1] {
            let size = curve.size();
            assert_eq!(verify_prehash(curve, &[], &[0; 32], &[]), Err(KeyError::Encoding));
            assert_eq!(verify_prehash(curve, &[0], &[0; 32], &[]), Err(KeyError::Encoding));
            assert_eq!(verify_prehash(curve, &vec![4; 2 * size], &[0; 32], &[]), Err(KeyError::Encoding));
            assert_eq!(verify_prehash(curve, &vec![0xff; 1 + 2 * size], &[], &[]), Err(KeyError::Encoding));
            let mut big = vec![4u8];
            big.extend(vec![0xff; 2 * size]);
            assert_eq!(verify_prehash(curve, &big, &[], &[]), Err(KeyError::Coordinate));
            let mut off = vec![4u8];
            off.extend(vec![1; 2 * size]);
            assert_eq!(verify_prehash(curve, &off, &[], &[]), Err(KeyError::NotOnCurve));
            // Malformed signatures with a valid key (the generator): not verifying, no panic.
            let c = curve.params();
            let mut g = vec![4u8];
            g.extend(fixed(&c.gx, size));
            g.extend(fixed(&c.gy, size));
            let n = fixed(&c.n, size);
            let bad: [&[u8]; 7] = [
                &[],
                &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00],
                &[0x30, 0x06, 0x02, 0x01, 0xff, 0x02, 0x01, 0x01],
                &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
                &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01],
                &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01],
                &[0x02, 0x01, 0x01],
            ];
            for sig in bad {
                assert_eq!(verify_prehash(curve, &g, &[0xab; 64], sig), Ok(false), "{sig:02x?}");
            }
            let mut huge = vec![0x30, 0x82, 0x01, 0x08, 0x02, 0x82, 0x01, 0x01, 0x00];
            huge.extend(vec![0xff; 256]);
            huge.extend([0x02, 0x01, 0x01]);
            assert_eq!(verify_prehash(curve, &g, &[0xab; 64], &huge), Ok(false));
            // r = s = 1 and r = 1, s = n - 1: in range, do not verify.
            let mut one = vec![0u8; size];
            one[size - 1] = 1;
            let mut nm1 = n.clone();
            nm1[size - 1] -= 1;
            for (r, s) in [(&one, &one), (&one, &nm1)] {
                let int = |v: &[u8]| {
                    let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
                    let mut o = if v[0] & 0x80 != 0 { vec![0] } else { vec![] };
                    o.extend(v);
                    let mut t = vec![0x02, o.len() as u8];
                    t.extend(o);
                    t
                };
                let mut body = int(r);
                body.extend(int(s));
                let mut sig = if body.len() < 0x80 { vec![0x30] } else { vec![0x30, 0x81] };
                sig.push(body.len() as u8);
                sig.extend(body);
                assert!(SigValue::from_der(&sig).is_ok());
                assert_eq!(verify_prehash(curve, &g, &[0xab; 64], &sig), Ok(false));
            }
        }
    }
}
