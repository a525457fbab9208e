//! INTERNAL AUTHENTICATE (PROTOCOL.md §7.1, §4.4.2): dispatches on the security environment
//! set by MSE SET `41 A4`. Algorithm `02` is a PKCS#1 v1.5 block-type-1 signature of the
//! caller's data (at most k − 11 bytes) with key `81` (SM + PIN verified in this session) or key
//! `83` (plain or SM, no PIN; deterministic); key `82` with `9B` is the DAPP answer
//! ([`SimCard::dapp_internal_authenticate`]).

use super::apdu::Command;
use super::consts::{ALG_DH_DAPP, ALG_RSA_PKCS1};
use super::sw::StatusWord;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

use super::crypto::{remembered, rsa_private};
use super::{CardResult, Reply, SimCard};

/// `00 01 FF … FF 00 || data` on k bytes; `None` when data is longer than k − 11.
fn pkcs1_type1(data: &[u8], k: usize) -> Option<Vec<u8>> {
    let pad = k.checked_sub(data.len() + 3).filter(|&n| n >= 8)?;
    let mut m = Vec::with_capacity(k);
    m.extend_from_slice(&[0x00, 0x01]);
    m.resize(2 + pad, 0xFF);
    m.push(0x00);
    m.extend_from_slice(data);
    Some(m)
}

/// PKCS#1 v1.5 signatures are deterministic: remembered in fuzz builds, named by the public key
/// and the data ([`remembered`]).
fn sign_pkcs1(key: &RsaPrivateKey, data: &[u8]) -> CardResult {
    let m = pkcs1_type1(data, key.size()).ok_or(StatusWord::WRONG_LENGTH)?;
    let id: [&[u8]; 4] = [b"pkcs1", &key.n().to_bytes_be(), &key.e().to_bytes_be(), data];
    let sig = remembered(&id, || rsa_private(key, &m)).ok_or(StatusWord::WRONG_LENGTH)?;
    Ok(Reply::ok(sig))
}

impl SimCard {
    /// INTERNAL AUTHENTICATE `00 88 00 00` + data (§7.1, §4.4.2 step 7).
    pub(super) fn internal_authenticate(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if (cmd.p1, cmd.p2) != (0, 0) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        match self.v.se.int {
            Some((0x82, ALG_DH_DAPP)) => self.dapp_internal_authenticate(cmd, sm),
            Some((0x81, ALG_RSA_PKCS1)) => {
                if !(sm && self.v.terminal && self.v.pin_ok) {
                    return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
                }
                let mut reply = sign_pkcs1(&self.image.key_sign, &cmd.data)?;
                reply.data = self.sign_fault.get().apply(reply.data);
                Ok(reply)
            }
            Some((0x83, ALG_RSA_PKCS1)) => sign_pkcs1(&self.image.key_servizi, &cmd.data),
            _ => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_type_1_padding() {
        let m = pkcs1_type1(&[0xAA; 3], 16).unwrap();
        assert_eq!(m, [0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0xAA, 0xAA, 0xAA]);
        assert_eq!(pkcs1_type1(&[0; 245], 256).unwrap().len(), 256);
        assert!(pkcs1_type1(&[0; 246], 256).is_none());
        assert_eq!(pkcs1_type1(&[], 256).unwrap()[255], 0);
    }
}
