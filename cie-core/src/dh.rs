//! Diffie-Hellman key exchange in plain (PROTOCOL.md §4.1, §4.3).
//!
//! Public values and the shared secret are fixed-length big-endian on `len(p)` bytes (the
//! official Linux middleware's minimal encoding, §11.12, is not reproduced).

use num_bigint::BigUint;
use num_traits::One;
use zeroize::{Zeroize, Zeroizing};

use crate::apdu;
use crate::commands::{self, DH_G, DH_P, DH_Q};
use crate::error::{Error, Result};
use crate::primitives;
use crate::sm::SmKeys;
use crate::tlv;
use crate::transport::Link;

/// Largest DH modulus accepted (a CIE's is 2048 bits, PROTOCOL.md §4.1).
pub const MAX_MODULUS_BITS: usize = 4096;

/// Smallest DH modulus accepted: 1024 bits. Fuzz builds only (`--cfg fuzzing`) go down to
/// 256 bits, for the simulator's fuzz card (fuzz/README.md, "Fast path").
pub const MIN_MODULUS_BITS: usize = if cfg!(fuzzing) { 256 } else { 1024 };

/// Smallest subgroup order accepted: 160 bits (fuzz builds only: 64).
pub const MIN_ORDER_BITS: usize = if cfg!(fuzzing) { 64 } else { 160 };

/// The DH domain parameters exactly as the card returned them (they are hashed in DAPP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhGroup {
    /// Generator g.
    pub g: Vec<u8>,
    /// Prime p.
    pub p: Vec<u8>,
    /// Subgroup order q.
    pub q: Vec<u8>,
}

/// Reads the DH group with three GET DATA (all generations) or one (`one_call`, first
/// Gemalto generation; §1.2, §4.1). The values are checked for plausibility.
pub fn read_group<L: Link + ?Sized>(link: &mut L, one_call: bool) -> Result<DhGroup> {
    let group = if one_call {
        let data = apdu::transmit(link, &commands::get_data_dh_parameters())?.ok("GET DATA DH parameters")?;
        let root = tlv::parse(&data)?;
        let a3 = tlv::child(tlv::child(&root, 0xBFA101)?, 0xA3)?;
        // The official host takes the children by position (§4.1); we insist on the tags.
        DhGroup {
            g: tlv::primitive(tlv::child(a3, DH_G.into())?)?.to_vec(),
            p: tlv::primitive(tlv::child(a3, DH_P.into())?)?.to_vec(),
            q: tlv::primitive(tlv::child(a3, DH_Q.into())?)?.to_vec(),
        }
    } else {
        let mut get = |tag: u8| -> Result<Vec<u8>> {
            let data = apdu::transmit(link, &commands::get_data_dh_parameter(tag))?.ok("GET DATA DH parameter")?;
            tlv::value_at(&data, &[0x70, 0xBFA101, 0xA3, tag.into()])
        };
        DhGroup { g: get(DH_G)?, p: get(DH_P)?, q: get(DH_Q)? }
    };
    group.check()?;
    Ok(group)
}

impl DhGroup {
    /// Sanity checks: p odd and of [`MIN_MODULUS_BITS`] (1024) to 4096 bits, q of at least
    /// [`MIN_ORDER_BITS`] (160) bits and below p, 1 < g < p. The upper bounds keep a hostile card
    /// from making the host compute for hours.
    pub fn check(&self) -> Result<()> {
        let p = BigUint::from_bytes_be(&self.p);
        let q = BigUint::from_bytes_be(&self.q);
        let g = BigUint::from_bytes_be(&self.g);
        if p.bits() < MIN_MODULUS_BITS
            || p.bits() > MAX_MODULUS_BITS
            || self.p.last().is_none_or(|b| b & 1 == 0)
            || q.bits() < MIN_ORDER_BITS
            || q >= p
            || g <= BigUint::one()
            || g >= p
        {
            return Err(Error::malformed("implausible DH domain parameters"));
        }
        Ok(())
    }

    /// Byte length of p: the fixed length of public values and of the shared secret.
    pub fn modulus_len(&self) -> usize {
        BigUint::from_bytes_be(&self.p).to_bytes_be().len()
    }
}

/// Left-pads the big-endian encoding of `n` to exactly `len` bytes.
pub fn to_fixed(n: &BigUint, len: usize) -> Result<Vec<u8>> {
    let mut bytes = n.to_bytes_be();
    if bytes.len() > len {
        bytes.zeroize();
        return Err(Error::malformed("value longer than its modulus"));
    }
    let mut out = vec![0u8; len - bytes.len()];
    out.extend_from_slice(&bytes);
    bytes.zeroize();
    Ok(out)
}

/// The host's ephemeral DH key pair.
pub struct DhKeyPair {
    x: Zeroizing<Vec<u8>>,
    /// y_IFD = g^x mod p, fixed length.
    pub public: Vec<u8>,
}

impl DhKeyPair {
    /// Draws x uniformly in [2, q) from the OS RNG and computes y_IFD (§4.3 steps 1-2).
    pub fn generate(group: &DhGroup) -> Result<DhKeyPair> {
        let q = BigUint::from_bytes_be(&group.q);
        let p = BigUint::from_bytes_be(&group.p);
        let g = BigUint::from_bytes_be(&group.g);
        // Draw from the significant bytes of q only: its encoding may carry leading zeros,
        // and x < q would then almost never hold.
        let len = q.bits().div_ceil(8);
        let mut buf = Zeroizing::new(vec![0u8; len]);
        let mut x = loop {
            primitives::fill_random(&mut buf);
            let x = BigUint::from_bytes_be(&buf);
            if x > BigUint::one() && x < q {
                break x;
            }
        };
        let y = primitives::modpow(&g, &x, &p);
        let public = to_fixed(&y, group.modulus_len())?;
        let x_bytes = Zeroizing::new(x.to_bytes_be());
        x.zeroize();
        Ok(DhKeyPair { x: x_bytes, public })
    }

    /// Z = y_ICC^x mod p on len(p) bytes (§4.3 step 5), after checking that y_ICC is in the
    /// subgroup of order q (1 < y < p - 1 and y^q = 1).
    pub fn shared_secret(&self, group: &DhGroup, y_icc: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let p = BigUint::from_bytes_be(&group.p);
        let q = BigUint::from_bytes_be(&group.q);
        let y = BigUint::from_bytes_be(y_icc);
        if y <= BigUint::one() || y >= &p - BigUint::one() || primitives::modpow(&y, &q, &p) != BigUint::one() {
            return Err(Error::DeviceAuthentication("the card's DH public value is invalid".into()));
        }
        let mut x = BigUint::from_bytes_be(&self.x);
        let mut z = primitives::modpow(&y, &x, &p);
        x.zeroize();
        let out = Zeroizing::new(to_fixed(&z, group.modulus_len())?);
        z.zeroize();
        Ok(out)
    }
}

/// The result of a key exchange: the session keys and both public values (hashed by DAPP).
pub struct KeyExchange {
    /// K_ENC and K_MAC.
    pub keys: SmKeys,
    /// Host public value, as sent.
    pub y_ifd: Vec<u8>,
    /// Card public value, as received.
    pub y_icc: Vec<u8>,
}

/// Runs the exchange (§4.3 steps 3-6): MSE SET KAT with y_IFD (plain chaining), GET DATA of
/// y_ICC, Z and the KDF. Secure messaging starts with the next command.
pub fn exchange<L: Link + ?Sized>(link: &mut L, group: &DhGroup) -> Result<KeyExchange> {
    let pair = DhKeyPair::generate(group)?;
    apdu::transmit(link, &commands::mse_set_kat(&pair.public))?.ok("MSE SET KAT")?;
    let answer = apdu::transmit(link, &commands::get_data_dh_public_value())?.ok("GET DATA DH public value")?;
    let y_icc = tlv::value_at(&answer, &[0xA6, 0x91])?;
    let z = pair.shared_secret(group, &y_icc)?;
    Ok(KeyExchange { keys: SmKeys::derive(&z), y_ifd: pair.public.clone(), y_icc })
}
