//! GET DATA of the security data objects (DH domain parameters §4.1, CA key `84` §4.2, the
//! card's DH public value §4.3) and the DH key exchange: MSE SET `41 A6` stores y_IFD, GET DATA
//! `A6/91` computes y_ICC, Z and the session keys and switches secure messaging on.

use super::apdu::Command;
use super::consts::ALG_DH_DAPP;
use super::sm::{SmKeys, Ssc};
use super::sw::StatusWord;
use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand_chacha::rand_core::RngCore;
use zeroize::Zeroizing;

use super::crypto::{remembered, to_fixed};
use super::state::{After, SmSession};
use super::tlv;
use super::{CardResult, Reply, SimCard};

/// Header lists of GET DATA `00 CB 3F FF` (data field after `4D L`), §4.1-§4.3.
const HL_G: [u8; 10] = [0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x97, 0x00];
const HL_P: [u8; 10] = [0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x98, 0x00];
const HL_Q: [u8; 10] = [0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x99, 0x00];
const HL_DH_ALL: [u8; 8] = [0x70, 0x06, 0xBF, 0xA1, 0x01, 0x02, 0xA3, 0x80];
const HL_CA_KEY: [u8; 9] = [0x70, 0x07, 0xBF, 0xA0, 0x04, 0x03, 0x7F, 0x49, 0x80];
const HL_Y_ICC: [u8; 4] = [0xA6, 0x02, 0x91, 0x00];
/// The DOCP (`A0`) of the CHV objects of the PIN (`BF 81 01`) and PUK (`BF 81 02`), §6.
const HL_PIN_DOCP: [u8; 8] = [0x70, 0x06, 0xBF, 0x81, 0x01, 0x02, 0xA0, 0x80];
const HL_PUK_DOCP: [u8; 8] = [0x70, 0x06, 0xBF, 0x81, 0x02, 0x02, 0xA0, 0x80];

/// SDO tags.
const SDO_DH: [u8; 3] = [0xBF, 0xA1, 0x01];
const SDO_CA: [u8; 3] = [0xBF, 0xA0, 0x04];

/// `70 { BF A1 01 { A3 { inner } } }`.
fn dh_template(inner: &[u8]) -> Vec<u8> {
    tlv::encode(&[0x70], &tlv::encode(&SDO_DH, &tlv::encode(&[0xA3], inner)))
}

impl SimCard {
    /// GET DATA `00 CB 3F FF` with an extended header list `4D` (§4.1, §4.2, §4.3). Allowed in
    /// plain and under SM, from the MF or DF_CIE; the PIN and PUK counters (§6) under SM after
    /// device authentication only.
    pub(super) fn get_data(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        let (hl, rest) = tlv::read(&cmd.data).ok_or(StatusWord::WRONG_DATA)?;
        if hl.tag != 0x4D || !rest.is_empty() {
            return Err(StatusWord::WRONG_DATA);
        }
        let img = &self.image;
        let data = match hl.value {
            v if v == HL_G => dh_template(&tlv::encode(&[0x97], &img.dh_g)),
            v if v == HL_P => dh_template(&tlv::encode(&[0x98], &img.dh_p)),
            v if v == HL_Q => dh_template(&tlv::encode(&[0x99], &img.dh_q)),
            v if v == HL_DH_ALL && self.profile.dh_params_one_call() => {
                let mut inner = tlv::encode(&[0x97], &img.dh_g);
                inner.extend_from_slice(&tlv::encode(&[0x98], &img.dh_p));
                inner.extend_from_slice(&tlv::encode(&[0x99], &img.dh_q));
                dh_template(&inner)
            }
            v if v == HL_CA_KEY => {
                // Children in the order 81, 82, 5F20, 5F4C (§4.2).
                let mut key = tlv::encode(&[0x81], &img.ca_modulus);
                key.extend_from_slice(&tlv::encode(&[0x82], &img.ca_exponent));
                key.extend_from_slice(&tlv::encode(&[0x5F, 0x20], &img.ca_chr));
                key.extend_from_slice(&tlv::encode(&[0x5F, 0x4C], &img.ca_cha));
                tlv::encode(&[0x70], &tlv::encode(&SDO_CA, &tlv::encode(&[0x7F, 0x49], &key)))
            }
            v if v == HL_Y_ICC => return self.finish_dh(),
            v if v == HL_PIN_DOCP => return self.chv_counters(true, sm),
            v if v == HL_PUK_DOCP => return self.chv_counters(false, sm),
            _ => return Err(StatusWord::REFERENCE_NOT_FOUND),
        };
        Ok(Reply::ok(data))
    }

    /// MSE SET `41 A6` (KAT, §4.3 step 3): `80 01 9B`, `83 01 81`, `91 L y_IFD`. Starts a new key
    /// exchange: the current SM session (if any) ends after this answer, with every status bound
    /// to it.
    pub(super) fn mse_set_kat(&mut self, objects: &[tlv::Tlv<'_>]) -> CardResult {
        let mut alg = None;
        let mut key_ref = None;
        let mut y = None;
        for o in objects {
            match o.tag {
                0x80 => alg = Some(o.value),
                0x83 => key_ref = Some(o.value),
                0x91 => y = Some(o.value),
                _ => return Err(StatusWord::WRONG_DATA),
            }
        }
        if alg.is_some_and(|a| a != [ALG_DH_DAPP]) {
            return Err(StatusWord::WRONG_DATA);
        }
        if key_ref.is_some_and(|k| k != [0x81]) {
            return Err(StatusWord::REFERENCE_NOT_FOUND);
        }
        let y = y.ok_or(StatusWord::WRONG_DATA)?;
        let p = BigUint::from_bytes_be(&self.image.dh_p);
        let y_int = BigUint::from_bytes_be(y);
        // 1 < y < p - 1, at most len(p) bytes.
        if y.len() > self.image.dh_p.len() || y_int <= BigUint::one() || y_int.clone() + 1u32 >= p {
            return Err(StatusWord::WRONG_DATA);
        }
        self.v.clear_session_state();
        self.v.dh.y_ifd = Some(y.to_vec());
        self.v.after = Some(After::CloseSm);
        Ok(Reply::done())
    }

    /// GET DATA `A6/91` (§4.3 step 4, card side): random x_ICC (as long as q: 256 bits), y_ICC = g^x mod p,
    /// Z = y_IFD^x mod p, K_ENC/K_MAC from Z, SSC = 1, secure messaging on. The answer
    /// `A6 82 01 04 91 82 01 00 <y_ICC>` is sent in the form the command came in (plain in every
    /// official flow).
    fn finish_dh(&mut self) -> CardResult {
        let y_ifd = self.v.dh.y_ifd.clone().ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let len = self.image.dh_p.len();
        let p = BigUint::from_bytes_be(&self.image.dh_p);
        let g = BigUint::from_bytes_be(&self.image.dh_g);
        if p.is_zero() {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        // As many random bytes as q has (32 for a CIE's 256-bit q).
        let x_len = self.image.dh_q.len().clamp(1, 32);
        let x = loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            let bytes = &mut bytes[..x_len];
            self.rng.fill_bytes(bytes);
            let x = Zeroizing::new(BigUint::from_bytes_be(bytes));
            if !x.is_zero() {
                break x;
            }
        };
        // Deterministic given x: remembered in fuzz builds (which keep test keys only).
        let x_bytes = Zeroizing::new(x.to_bytes_be());
        let power = |base: &[u8]| {
            let (p_bytes, base_int) = (p.to_bytes_be(), BigUint::from_bytes_be(base));
            remembered(&[b"dh", &p_bytes, base, &x_bytes], || to_fixed(&base_int.modpow(&x, &p), len))
        };
        let y_icc = power(&g.to_bytes_be()).ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let z = Zeroizing::new(power(&y_ifd).ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?);
        let keys = SmKeys::derive(&z);
        // A new exchange: nothing of an earlier session survives.
        self.v.clear_session_state();
        self.v.dh.y_ifd = Some(y_ifd);
        self.v.dh.y_icc = Some(y_icc.clone());
        self.v.after = Some(After::OpenSm(SmSession { keys, ssc: Ssc::INITIAL }));
        Ok(Reply::ok(tlv::encode(&[0xA6], &tlv::encode(&[0x91], &y_icc))))
    }
}
