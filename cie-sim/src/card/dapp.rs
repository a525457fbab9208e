//! Device authentication with privacy protection, card side (PROTOCOL.md §4.4): MSE SET (all
//! templates), PSO VERIFY CERTIFICATE, GET CHALLENGE, EXTERNAL AUTHENTICATE, and the chip's
//! INTERNAL AUTHENTICATE with key `82` followed by the SSC change of §4.4.3.

use super::apdu::Command;
use super::consts::{ALG_CERT_VERIFY, ALG_DH_DAPP, ALG_RSA_PKCS1, CPI, TERMINAL_CERT_OID};
use super::sm::Ssc;
use super::sw::StatusWord;
use crate::profile::Profile;
use num_bigint::BigUint;
use rand_chacha::rand_core::RngCore;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use super::crypto::{ct_eq, modulus_len, remembered, rsa_private, rsa_public};
use super::state::{After, TmpKey};
use super::tlv;
use super::{CardResult, Reply, SimCard};

/// Most terminal keys remembered at once (one is enough for every real flow).
const MAX_TMP_KEYS: usize = 4;
/// `63 00`: verification failed (bad terminal signature, §10.3 [inferred]).
const VERIFICATION_FAILED: StatusWord = StatusWord::VERIFICATION_FAILED;

/// The single-byte value of an MSE SET data object.
fn byte_of(objects: &[tlv::Tlv<'_>], tag: u32) -> Result<Option<u8>, StatusWord> {
    match objects.iter().find(|o| o.tag == tag) {
        None => Ok(None),
        Some(o) => match o.value {
            [b] => Ok(Some(*b)),
            _ => Err(StatusWord::WRONG_DATA),
        },
    }
}

impl SimCard {
    /// MSE SET (§4.3, §4.4.2, §7.1): `41 A6` KAT (DH), `81 B6` DST (CA key `84`, alg `41`; or
    /// the terminal key by CHR, IAS-ECC's form, refused by STM chips), `81 A4` AT for external
    /// authentication (terminal key by CHR), `41 A4` AT for internal
    /// authentication (key `82` alg `9B`, key `81`/`83` alg `02`).
    pub(super) fn mse_set(&mut self, cmd: &Command, sm: bool) -> CardResult {
        let objects = tlv::read_all(&cmd.data).ok_or(StatusWord::WRONG_DATA)?;
        match (cmd.p1, cmd.p2) {
            (0x41, 0xA6) => self.mse_set_kat(&objects),
            (0x81, 0xB6) if objects.iter().any(|o| o.tag == 0x83 && o.value.len() == 12) => {
                // IAS-ECC 7.2.6.1 step 4 selects the verified terminal key by its CHR in a DST;
                // STMicroelectronics chips accept only the AT form `81 A4` (what every official
                // host sends), so the STM profiles refuse this one (PROTOCOL.md §4.4.2).
                if matches!(self.profile, Profile::Stm | Profile::Stm2 | Profile::Stm3) {
                    return Err(StatusWord::WRONG_DATA);
                }
                self.select_terminal_key(&objects, sm)
            }
            (0x81, 0xB6) => {
                if !sm {
                    return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
                }
                let alg = byte_of(&objects, 0x80)?;
                let key = byte_of(&objects, 0x83)?.ok_or(StatusWord::WRONG_DATA)?;
                if alg.is_some_and(|a| a != ALG_CERT_VERIFY) {
                    return Err(StatusWord::WRONG_DATA);
                }
                if key != 0x84 {
                    return Err(StatusWord::REFERENCE_NOT_FOUND);
                }
                self.v.se.dst_ca = true;
                Ok(Reply::done())
            }
            (0x81, 0xA4) => self.select_terminal_key(&objects, sm),
            (0x41, 0xA4) => {
                let key = byte_of(&objects, 0x84)?.ok_or(StatusWord::WRONG_DATA)?;
                let alg = byte_of(&objects, 0x80)?.ok_or(StatusWord::WRONG_DATA)?;
                match (key, alg) {
                    (0x82, ALG_DH_DAPP) => {
                        if !(sm && self.v.terminal) {
                            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
                        }
                    }
                    // Key 81's conditions (SM + PIN) are checked by INTERNAL AUTHENTICATE.
                    (0x81 | 0x83, ALG_RSA_PKCS1) => {}
                    (0x81..=0x83, _) => return Err(StatusWord::WRONG_DATA),
                    _ => return Err(StatusWord::REFERENCE_NOT_FOUND),
                }
                self.v.se.int = Some((key, alg));
                Ok(Reply::done())
            }
            _ => Err(StatusWord::INCORRECT_P1P2),
        }
    }

    /// Selects a verified terminal key by its CHR (`83 0C <CHR>`) for EXTERNAL AUTHENTICATE
    /// (§4.4.2 step 3): under SM only, and only a key PSO VERIFY CERTIFICATE has stored.
    fn select_terminal_key(&mut self, objects: &[tlv::Tlv<'_>], sm: bool) -> CardResult {
        if !sm {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let chr = objects.iter().find(|o| o.tag == 0x83).ok_or(StatusWord::WRONG_DATA)?;
        let chr: [u8; 12] = chr.value.try_into().map_err(|_| StatusWord::REFERENCE_NOT_FOUND)?;
        if !self.v.tmp_keys.iter().any(|k| k.chr == chr) {
            return Err(StatusWord::REFERENCE_NOT_FOUND);
        }
        self.v.se.ext_chr = Some(chr);
        Ok(Reply::done())
    }

    /// PSO VERIFY CERTIFICATE `00 2A 00 AE` (§4.4.1, card verification): recover M with the CA
    /// key `84`, check `6A … BC`, the hash of the body, CPI, CAR (in the body and in DO42), CHA
    /// prefix and OID; keep the terminal's public key bound to its CHR.
    pub(super) fn verify_certificate(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if (cmd.p1, cmd.p2) != (0x00, 0xAE) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        if !sm {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if !self.v.se.dst_ca {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let key = self.check_certificate(&cmd.data).ok_or(StatusWord::WRONG_DATA)?;
        self.v.tmp_keys.retain(|k| k.chr != key.chr);
        if self.v.tmp_keys.len() >= MAX_TMP_KEYS {
            self.v.tmp_keys.remove(0);
        }
        self.v.tmp_keys.push(key);
        Ok(Reply::done())
    }

    fn check_certificate(&self, data: &[u8]) -> Option<TmpKey> {
        let (cert, rest) = tlv::read(data)?;
        if cert.tag != 0x7F21 || !rest.is_empty() {
            return None;
        }
        let parts = tlv::read_all(cert.value)?;
        let field = |tag| parts.iter().find(|p| p.tag == tag).map(|p| p.value);
        let (sig, remainder, car_do) = (field(0x5F37)?, field(0x5F38)?, field(0x42)?);

        let n_ca = BigUint::from_bytes_be(&self.image.ca_modulus);
        let e_ca = BigUint::from_bytes_be(&self.image.ca_exponent);
        let m = rsa_public(&n_ca, &e_ca, sig)?;
        let k = m.len();
        if k < 34 + 41 || m[0] != 0x6A || m[k - 1] != 0xBC {
            return None;
        }
        let mut body = m[1..k - 33].to_vec();
        body.extend_from_slice(remainder);
        if !ct_eq(&Sha256::digest(&body), &m[k - 33..k - 1]) {
            return None;
        }
        let car = self.image.ca_chr.get(4..12)?;
        let ca_aid = self.image.ca_cha.get(..6)?;
        // Body: CPI(1) CAR(8) CHR(12) CHA(7) OID(9) modulus exponent(4) (§4.4.1).
        if body.len() < 37 + 1 + 4
            || body[0] != CPI
            || body[1..9] != *car
            || car_do != car
            || body[21..27] != *ca_aid
            || body[28..37] != TERMINAL_CERT_OID
        {
            return None;
        }
        let chr: [u8; 12] = body[9..21].try_into().ok()?;
        let split = body.len() - 4;
        let n = BigUint::from_bytes_be(&body[37..split]);
        let e = BigUint::from_bytes_be(&body[split..]);
        if modulus_len(&n) < 64 {
            return None;
        }
        Some(TmpKey { chr, n, e })
    }

    /// GET CHALLENGE `00 84 00 00 08` (§4.4.2 step 4): 8 random bytes, remembered for one
    /// EXTERNAL AUTHENTICATE.
    pub(super) fn get_challenge(&mut self, cmd: &Command) -> CardResult {
        if (cmd.p1, cmd.p2) != (0, 0) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        if !cmd.data.is_empty() || cmd.le != Some(8) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let mut rnd = [0u8; 8];
        self.rng.fill_bytes(&mut rnd);
        self.v.challenge = Some(rnd);
        Ok(Reply::ok(rnd.to_vec()))
    }

    /// EXTERNAL AUTHENTICATE `00 82 00 00` + SN.IFD || SIG_IFD (§4.4.2 step 5): the signature
    /// must recover `6A || PRND || h || BC` under the terminal key selected by MSE SET `81 A4`,
    /// with h = SHA-256(PRND || y_IFD || SN.IFD || RND.ICC || y_ICC || g || p || q) computed from
    /// the card's own copies. Any attempt consumes the challenge.
    pub(super) fn external_authenticate(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if (cmd.p1, cmd.p2) != (0, 0) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        let challenge = self.v.challenge.take();
        if !sm {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let chr = self.v.se.ext_chr.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let key = self.v.tmp_keys.iter().find(|k| k.chr == chr).ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let rnd_icc = challenge.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let (Some(y_ifd), Some(y_icc)) = (&self.v.dh.y_ifd, &self.v.dh.y_icc) else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let k = modulus_len(&key.n);
        if cmd.data.len() != 8 + k {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (sn_ifd, sig) = cmd.data.split_at(8);
        if sn_ifd != &chr[4..] {
            return Err(VERIFICATION_FAILED);
        }
        let x = rsa_public(&key.n, &key.e, sig).ok_or(VERIFICATION_FAILED)?;
        if k < 34 || x[0] != 0x6A || x[k - 1] != 0xBC {
            return Err(VERIFICATION_FAILED);
        }
        let img = &self.image;
        let mut h = Sha256::new();
        h.update(&x[1..k - 33]);
        h.update(y_ifd);
        h.update(sn_ifd);
        h.update(rnd_icc);
        h.update(y_icc);
        h.update(&img.dh_g);
        h.update(&img.dh_p);
        h.update(&img.dh_q);
        if !ct_eq(&h.finalize(), &x[k - 33..k - 1]) {
            return Err(VERIFICATION_FAILED);
        }
        self.v.terminal = true;
        self.v.dapp_rnd_icc = Some(rnd_icc);
        Ok(Reply::done())
    }

    /// INTERNAL AUTHENTICATE with key `82`, algorithm `9B` (§4.4.2 step 7): answers
    /// SN.ICC || SIG_ICC with SN.ICC = EF.SN.ICC[4..12) and
    /// SIG_ICC = (6A || PRND2 || h2 || BC)^d mod n, h2 = SHA-256(PRND2 || y_ICC || SN.ICC ||
    /// RND.IFD || y_IFD || g || p || q); then, after this protected response,
    /// SSC := RND.ICC[4..8) || RND.IFD[4..8) (§4.4.3).
    pub(super) fn dapp_internal_authenticate(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if !(sm && self.v.terminal) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let rnd_ifd: [u8; 8] = cmd.data.as_slice().try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
        let rnd_icc = self.v.dapp_rnd_icc.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let (Some(y_ifd), Some(y_icc)) = (&self.v.dh.y_ifd, &self.v.dh.y_icc) else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let img = &self.image;
        let mut sn_icc = [0u8; 8];
        for (dst, src) in sn_icc.iter_mut().zip(img.sn_icc.iter().skip(4)) {
            *dst = *src;
        }
        let k = img.key_dapp.size();
        if k < 34 + 1 {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let mut prnd2 = vec![0u8; k - 34];
        self.rng.fill_bytes(&mut prnd2);
        let mut h = Sha256::new();
        h.update(&prnd2);
        h.update(y_icc);
        h.update(sn_icc);
        h.update(rnd_ifd);
        h.update(y_ifd);
        h.update(&img.dh_g);
        h.update(&img.dh_p);
        h.update(&img.dh_q);
        let mut m = Vec::with_capacity(k);
        m.push(0x6A);
        m.extend_from_slice(&prnd2);
        m.extend_from_slice(&h.finalize());
        m.push(0xBC);
        let key = &img.key_dapp;
        let id: [&[u8]; 4] = [b"dapp", &key.n().to_bytes_be(), &key.e().to_bytes_be(), &m];
        let sig = remembered(&id, || rsa_private(key, &m)).ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let mut out = sn_icc.to_vec();
        out.extend_from_slice(&sig);
        self.v.after = Some(After::SetSsc(Ssc::after_dapp(&rnd_icc, &rnd_ifd)));
        Ok(Reply::ok(out))
    }
}
