//! Per-card constants (DESIGN.md §5): what a CIE answers identically every time it is asked
//! (PROTOCOL.md §9.2: the root selection, the NIS, the chip key of EF 1004, the DH group and
//! the CA key), kept between processes so that a card seen before costs three APDU exchanges
//! to enumerate and no more than DH + DAPP + VERIFY to log in.
//!
//! The bytes are public card data; the store (the caller's) keeps them bound to the card's
//! EF.SN.ICC. They are never trusted on their own: a wrong group, CA key or chip key makes the
//! DH/DAPP handshake fail, and the session then reads them from the card again
//! (the fall-back), before any PIN is sent.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::RsaPublicKey;

use crate::dapp::CaKey;
use crate::dh::DhGroup;
use crate::error::{Error, Result};
use crate::variant::RootSelect;

/// Format tag (version 1).
const VERSION: u8 = 1;
/// No field of a CIE is anywhere near this long (moduli are at most 512 bytes).
const MAX_FIELD: usize = 2048;

/// The constants of one card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardConstants {
    /// How the root is selected (§1.2).
    pub root: RootSelect,
    /// The NIS (EF 1001), 12 digits.
    pub nis: String,
    /// The chip authentication key (EF 1004), PKCS#1 DER.
    pub chip_key_der: Vec<u8>,
    /// The DH group (§4.1).
    pub group: DhGroup,
    /// The CA key (§4.2).
    pub ca: CaKey,
}

impl CardConstants {
    /// The stored form: a version byte, the root byte, then nine length-prefixed fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION, u8::from(self.root == RootSelect::MasterFile)];
        for field in [
            self.nis.as_bytes(),
            &self.chip_key_der,
            &self.group.g,
            &self.group.p,
            &self.group.q,
            &self.ca.modulus,
            &self.ca.exponent,
            &self.ca.chr,
            &self.ca.cha,
        ] {
            // Every field is far below 64 KiB (checked again when decoding).
            out.extend_from_slice(&(field.len().min(u16::MAX as usize) as u16).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    /// Parses and checks the stored form (the same plausibility checks as when the values are
    /// read from a card: 12-digit NIS, a parsable chip key, a sane DH group and CA key).
    pub fn decode(bytes: &[u8]) -> Result<CardConstants> {
        let bad = |what: &str| Error::malformed(format!("card constants: {what}"));
        let [version, root, rest @ ..] = bytes else { return Err(bad("too short")) };
        let mut rest: &[u8] = rest;
        if *version != VERSION {
            return Err(bad("unknown version"));
        }
        let root = match root {
            0 => RootSelect::IasAid,
            1 => RootSelect::MasterFile,
            _ => return Err(bad("root selection")),
        };
        let mut fields: Vec<Vec<u8>> = Vec::with_capacity(9);
        for _ in 0..9 {
            let [hi, lo, tail @ ..] = rest else { return Err(bad("truncated")) };
            let tail: &[u8] = tail;
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            if len > MAX_FIELD || len > tail.len() {
                return Err(bad("field length"));
            }
            fields.push(tail[..len].to_vec());
            rest = &tail[len..];
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        let mut it = fields.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let nis = next();
        if nis.len() != 12 || !nis.iter().all(u8::is_ascii_digit) {
            return Err(bad("NIS"));
        }
        let chip_key_der = next();
        RsaPublicKey::from_pkcs1_der(&chip_key_der).map_err(|_| bad("chip key"))?;
        let group = DhGroup { g: next(), p: next(), q: next() };
        group.check()?;
        let ca = CaKey { modulus: next(), exponent: next(), chr: next(), cha: next() };
        if ca.modulus.len() < crate::dapp::MIN_CA_MODULUS_LEN || ca.exponent.is_empty() {
            return Err(bad("CA key"));
        }
        ca.car()?;
        ca.aid()?;
        Ok(CardConstants { root, nis: String::from_utf8_lossy(&nis).into_owned(), chip_key_der, group, ca })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_encodings_are_refused() {
        assert!(CardConstants::decode(b"").is_err());
        assert!(CardConstants::decode(&[1]).is_err());
        assert!(CardConstants::decode(&[2, 0]).is_err(), "unknown version");
        assert!(CardConstants::decode(&[1, 7]).is_err(), "bad root byte");
        // A NIS field claiming more bytes than there are.
        assert!(CardConstants::decode(&[1, 0, 0x00, 0x0C, b'1', b'2']).is_err());
        // A field longer than any card field.
        assert!(CardConstants::decode(&[1, 0, 0xFF, 0xFF]).is_err());
        // Nine empty fields: the NIS check refuses it.
        let mut empty = vec![1, 0];
        empty.extend_from_slice(&[0; 18]);
        assert!(CardConstants::decode(&empty).is_err());
        // Twelve digits then eight empty fields: the chip key check refuses it.
        let mut nis_only = vec![1, 0, 0, 12];
        nis_only.extend_from_slice(b"123456789012");
        nis_only.extend_from_slice(&[0; 16]);
        assert!(CardConstants::decode(&nis_only).is_err());
    }
}
