//! Signing: `C_SignInit`, `C_Sign`, `C_SignUpdate`, `C_SignFinal` and the mechanisms
//! (PROTOCOL.md §7: the card adds PKCS#1 v1.5 type-1 padding to at most k - 11 bytes; no raw
//! RSA, no PSS). `CKM_RSA_PKCS` signs the caller's DigestInfo; `CKM_SHAx_RSA_PKCS` hash on the
//! host and build the DigestInfo. A size query (NULL signature buffer) or a short buffer does
//! not end the operation.

use cie_core::sign::{digest_info, HashAlg, MAX_SIGN_INPUT};
use cryptoki_sys::*;
use sha2::digest::DynDigest;
use zeroize::Zeroizing;

use std::sync::Arc;

use crate::error::{Ckr, Result};
use crate::module::{lock, Login, Module};
use crate::object::ObjectSet;
use crate::session::Ops;

/// The mechanisms of the token, in `C_GetMechanismList` order.
pub const MECHANISMS: [CK_MECHANISM_TYPE; 6] = [
    CKM_RSA_PKCS,
    CKM_SHA1_RSA_PKCS,
    CKM_SHA224_RSA_PKCS,
    CKM_SHA256_RSA_PKCS,
    CKM_SHA384_RSA_PKCS,
    CKM_SHA512_RSA_PKCS,
];

/// Key size of every CIE 3.0 holder key, in bits.
pub const KEY_BITS: CK_ULONG = 2048;

/// `C_GetMechanismInfo` for a supported mechanism: 2048-bit keys; signatures on the card,
/// verification in software ([`crate::verify`]); the digests of [`crate::digest`].
pub fn mechanism_info(mechanism: CK_MECHANISM_TYPE) -> Option<CK_MECHANISM_INFO> {
    if crate::digest::MECHANISMS.contains(&mechanism) {
        return Some(CK_MECHANISM_INFO { ulMinKeySize: 0, ulMaxKeySize: 0, flags: CKF_DIGEST });
    }
    MECHANISMS.contains(&mechanism).then_some(CK_MECHANISM_INFO {
        ulMinKeySize: KEY_BITS,
        ulMaxKeySize: KEY_BITS,
        flags: CKF_SIGN | CKF_VERIFY | CKF_HW,
    })
}

/// Every mechanism of the token, in `C_GetMechanismList` order: the signature mechanisms,
/// then the digests.
pub fn all_mechanisms() -> Vec<CK_MECHANISM_TYPE> {
    MECHANISMS.iter().chain(crate::digest::MECHANISMS.iter()).copied().collect()
}

/// The hash of a `CKM_SHAx_RSA_PKCS` mechanism; `None` for `CKM_RSA_PKCS`.
pub(crate) fn hash_of(mechanism: CK_MECHANISM_TYPE) -> Option<HashAlg> {
    match mechanism {
        CKM_SHA1_RSA_PKCS => Some(HashAlg::Sha1),
        CKM_SHA224_RSA_PKCS => Some(HashAlg::Sha224),
        CKM_SHA256_RSA_PKCS => Some(HashAlg::Sha256),
        CKM_SHA384_RSA_PKCS => Some(HashAlg::Sha384),
        CKM_SHA512_RSA_PKCS => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// What a signature mechanism takes in, signing and verifying alike: a running hash
/// (`CKM_SHAx_RSA_PKCS`) or the raw `CKM_RSA_PKCS` input, at most [`MAX_SIGN_INPUT`] bytes.
pub(crate) struct SigInput {
    /// `None`: CKM_RSA_PKCS.
    hash: Option<(HashAlg, Box<dyn DynDigest + Send>)>,
    /// CKM_RSA_PKCS input collected so far.
    data: Zeroizing<Vec<u8>>,
    /// `C_SignUpdate` or `C_VerifyUpdate` was called.
    multi_part: bool,
}

impl SigInput {
    /// The input of `mechanism` as `C_SignInit` and `C_VerifyInit` check it: one of
    /// [`MECHANISMS`], without a parameter (`has_parameter`: the caller gave one).
    fn new(mechanism: CK_MECHANISM_TYPE, has_parameter: bool) -> Result<Self> {
        if !MECHANISMS.contains(&mechanism) {
            return Err(Ckr(CKR_MECHANISM_INVALID));
        }
        if has_parameter {
            return Err(Ckr(CKR_MECHANISM_PARAM_INVALID));
        }
        Ok(SigInput {
            hash: hash_of(mechanism).map(|alg| (alg, alg.hasher())),
            data: Zeroizing::new(Vec::new()),
            multi_part: false,
        })
    }

    /// One more part (`C_SignUpdate`, `C_VerifyUpdate`): hashed, or collected up to
    /// [`MAX_SIGN_INPUT`] bytes (`CKR_DATA_LEN_RANGE` beyond; the caller ends the operation).
    pub(crate) fn update(&mut self, part: &[u8]) -> Result<()> {
        self.multi_part = true;
        match &mut self.hash {
            Some((_, h)) => h.update(part),
            None => {
                if self.data.len() + part.len() > MAX_SIGN_INPUT {
                    return Err(Ckr(CKR_DATA_LEN_RANGE));
                }
                self.data.extend_from_slice(part);
            }
        }
        Ok(())
    }

    /// The input of a single-part call (`C_Sign`, `C_Verify`): the DigestInfo of `data`'s hash,
    /// or `data` itself; `CKR_OPERATION_ACTIVE` after an update.
    pub(crate) fn one_part(&self, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if self.multi_part {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        match &self.hash {
            Some((alg, _)) => {
                Ok(Zeroizing::new(digest_info(*alg, &alg.hash(data)).map_err(|_| Ckr(CKR_GENERAL_ERROR))?))
            }
            None => Ok(Zeroizing::new(data.to_vec())),
        }
    }

    /// The input of a multi-part call (`C_SignFinal`, `C_VerifyFinal`): the DigestInfo of the
    /// hashed parts, or the collected data (taken out of `self`).
    pub(crate) fn finish(&mut self) -> Result<Zeroizing<Vec<u8>>> {
        match self.hash.take() {
            Some((alg, h)) => Ok(Zeroizing::new(digest_info(alg, &h.finalize()).map_err(|_| Ckr(CKR_GENERAL_ERROR))?)),
            None => Ok(std::mem::take(&mut self.data)),
        }
    }

    /// `CKM_RSA_PKCS` with nothing collected.
    fn is_empty(&self) -> bool {
        self.hash.is_none() && self.data.is_empty()
    }
}

/// An active signature operation of a session.
pub(crate) struct SignOp {
    input: SigInput,
    /// Signature length.
    sig_len: usize,
}

/// What `C_Sign`/`C_SignFinal` hand back.
#[derive(Debug, PartialEq, Eq)]
pub enum SignOutput {
    /// Size query: the signature length (operation still active).
    Length(usize),
    /// The buffer is too small for this length (`CKR_BUFFER_TOO_SMALL`; operation still active).
    TooSmall(usize),
    /// The signature (operation finished).
    Signature(Vec<u8>),
}

impl Module {
    /// What `C_SignInit` and `C_VerifyInit` share: a live session in which the operation `slot`
    /// picks is not active, the mechanism's [`SigInput`], then the session's objects and whether
    /// the user is logged in, for `start` to check the key and make the operation.
    pub(crate) fn signature_init<T>(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
        slot: fn(&mut Ops) -> &mut Option<T>,
        start: impl FnOnce(SigInput, Option<Arc<ObjectSet>>, bool) -> Result<T>,
    ) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        if slot(&mut ops).is_some() {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        let input = SigInput::new(mechanism, has_parameter)?;
        let (objects, user) = Module::objects_of(&inst, &s);
        *slot(&mut ops) = Some(start(input, objects, user)?);
        Ok(())
    }

    /// `C_SignInit` with the private key object. `has_parameter`: the mechanism came with a
    /// parameter (none is accepted).
    pub fn sign_init(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.signature_init(
            handle,
            mechanism,
            has_parameter,
            |ops| &mut ops.sign,
            |input, objects, user| {
                let objects = objects.ok_or(Ckr(if user { CKR_KEY_HANDLE_INVALID } else { CKR_USER_NOT_LOGGED_IN }))?;
                if key == objects.private_key.handle {
                    if !user {
                        return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
                    }
                } else if key == objects.public_key.handle {
                    return Err(Ckr(CKR_KEY_FUNCTION_NOT_PERMITTED));
                } else {
                    return Err(Ckr(CKR_KEY_HANDLE_INVALID));
                }
                Ok(SignOp { input, sig_len: objects.modulus_len })
            },
        )
    }

    /// `C_Sign`: `capacity` is the signature buffer's size, `None` for a size query.
    pub fn sign(&self, handle: CK_SESSION_HANDLE, data: &[u8], capacity: Option<usize>) -> Result<SignOutput> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.sign.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let input = op.input.one_part(data).and_then(|input| {
            if input.is_empty() || input.len() > MAX_SIGN_INPUT {
                return Err(Ckr(CKR_DATA_LEN_RANGE));
            }
            Ok(input)
        });
        let input = match input {
            Ok(input) => input,
            Err(e) => {
                ops.sign = None;
                return Err(e);
            }
        };
        let sig_len = op.sig_len;
        if let Some(answer) = size_answer(capacity, sig_len) {
            return Ok(answer);
        }
        ops.sign = None;
        self.card_sign(&inst, &s, &input, sig_len)
    }

    /// Ends the session's signing operation, if any: PKCS#11 2.40 §5.11, a `C_Sign` or
    /// `C_SignFinal` that fails with anything but `CKR_BUFFER_TOO_SMALL`, and any failed
    /// `C_SignUpdate`, end the operation (also when the C shim refused the arguments).
    pub fn sign_abort(&self, handle: CK_SESSION_HANDLE) {
        if let Ok(inst) = self.instance() {
            if let Some(s) = lock(&inst.sessions).get(&handle).cloned() {
                lock(&s.ops).sign = None;
            }
        }
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.sign.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let result = op.input.update(part);
        if result.is_err() {
            ops.sign = None;
        }
        result
    }

    /// `C_SignFinal`: `capacity` as for [`Module::sign`].
    pub fn sign_final(&self, handle: CK_SESSION_HANDLE, capacity: Option<usize>) -> Result<SignOutput> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.sign.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        if op.input.is_empty() {
            ops.sign = None;
            return Err(Ckr(CKR_DATA_LEN_RANGE));
        }
        if let Some(answer) = size_answer(capacity, op.sig_len) {
            return Ok(answer);
        }
        let Some(mut op) = ops.sign.take() else {
            return Err(Ckr(CKR_OPERATION_NOT_INITIALIZED));
        };
        let input = op.input.finish()?;
        self.card_sign(&inst, &s, &input, op.sig_len)
    }

    /// The card signs `input` (a DigestInfo or up to k - 11 bytes): 3 APDUs after login.
    /// cie-core verifies the answer with the certificate's key; an answer that is not exactly
    /// `sig_len` bytes (the length the caller's buffer was checked against) is refused here
    /// too, with `CKR_DEVICE_ERROR`.
    fn card_sign(
        &self,
        inst: &crate::module::Instance,
        s: &crate::session::SessionObj,
        input: &[u8],
        sig_len: usize,
    ) -> Result<SignOutput> {
        if inst.login_state(s) != Login::User {
            return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
        }
        let sig = inst.with_card(&s.slot, s.epoch, |conn| conn.card.sign_digest_info(input))?;
        if sig.len() != sig_len {
            tracing::warn!("slot {}: the card answered {} bytes for a {sig_len}-byte signature", s.slot.id, sig.len());
            return Err(Ckr(CKR_DEVICE_ERROR));
        }
        Ok(SignOutput::Signature(sig))
    }
}

/// The answer to a size query (`capacity` None) or a too-small buffer, which leave the signing
/// operation active (PKCS#11 2.40 §5.2); `None` when the signature fits.
fn size_answer(capacity: Option<usize>, sig_len: usize) -> Option<SignOutput> {
    match capacity {
        None => Some(SignOutput::Length(sig_len)),
        Some(c) if c < sig_len => Some(SignOutput::TooSmall(sig_len)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms() {
        for m in MECHANISMS {
            let info = mechanism_info(m).unwrap();
            assert_eq!(
                (info.ulMinKeySize, info.ulMaxKeySize, info.flags),
                (2048, 2048, CKF_SIGN | CKF_VERIFY | CKF_HW)
            );
        }
        assert_eq!(mechanism_info(CKM_SHA256).map(|i| i.flags), Some(CKF_DIGEST));
        assert_eq!(all_mechanisms().len(), 11);
        assert!(mechanism_info(CKM_RSA_PKCS_PSS).is_none());
        assert!(mechanism_info(CKM_RSA_X_509).is_none());
        assert_eq!(hash_of(CKM_SHA384_RSA_PKCS), Some(HashAlg::Sha384));
        assert_eq!(hash_of(CKM_RSA_PKCS), None);
    }
}
