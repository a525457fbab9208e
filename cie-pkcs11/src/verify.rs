//! Signature verification in software: `C_VerifyInit`, `C_Verify`, `C_VerifyUpdate`,
//! `C_VerifyFinal` with the token's public key (`CKA_VERIFY` true) and the mechanisms the card
//! signs with (PKCS#1 v1.5: `CKM_RSA_PKCS` over a DigestInfo of at most k - 11 bytes,
//! `CKM_SHAx_RSA_PKCS` hashing on the host). PKCS#11 2.40 (functions for verifying signatures): `C_Verify` and
//! `C_VerifyFinal` always end the operation, and so does any error of `C_VerifyUpdate`.

use cie_core::sign::{digest_info, HashAlg, MAX_SIGN_INPUT};
use cryptoki_sys::*;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::digest::DynDigest;
use zeroize::Zeroizing;

use crate::error::{Ckr, Result};
use crate::module::{lock, Module};
use crate::sign::{hash_of, MECHANISMS};

/// An active verification of a session.
pub(crate) struct VerifyOp {
    /// `None`: CKM_RSA_PKCS.
    hash: Option<(HashAlg, Box<dyn DynDigest + Send>)>,
    /// CKM_RSA_PKCS input collected so far.
    data: Zeroizing<Vec<u8>>,
    /// `C_VerifyUpdate` was called.
    multi_part: bool,
    key: RsaPublicKey,
    /// The modulus length: the only valid signature length.
    sig_len: usize,
}

impl VerifyOp {
    /// Checks `signature` over the DigestInfo (or raw CKM_RSA_PKCS input) `input`.
    fn check(&self, input: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() != self.sig_len {
            return Err(Ckr(CKR_SIGNATURE_LEN_RANGE));
        }
        if input.is_empty() || input.len() > MAX_SIGN_INPUT {
            return Err(Ckr(CKR_DATA_LEN_RANGE));
        }
        self.key.verify(Pkcs1v15Sign::new_unprefixed(), input, signature).map_err(|_| Ckr(CKR_SIGNATURE_INVALID))
    }
}

impl Module {
    /// `C_VerifyInit` with the public key object. `has_parameter`: the mechanism came with a
    /// parameter (none is accepted).
    pub fn verify_init(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        if ops.verify.is_some() {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        if !MECHANISMS.contains(&mechanism) {
            return Err(Ckr(CKR_MECHANISM_INVALID));
        }
        if has_parameter {
            return Err(Ckr(CKR_MECHANISM_PARAM_INVALID));
        }
        let (objects, user) = Module::objects_of(&inst, &s);
        let objects = objects.ok_or(Ckr(CKR_KEY_HANDLE_INVALID))?;
        if key == objects.private_key.handle && user {
            return Err(Ckr(CKR_KEY_FUNCTION_NOT_PERMITTED));
        }
        if key != objects.public_key.handle {
            return Err(Ckr(CKR_KEY_HANDLE_INVALID));
        }
        ops.verify = Some(VerifyOp {
            hash: hash_of(mechanism).map(|alg| (alg, alg.hasher())),
            data: Zeroizing::new(Vec::new()),
            multi_part: false,
            key: objects.key.clone(),
            sig_len: objects.modulus_len,
        });
        Ok(())
    }

    /// `C_Verify`: `CKR_OK` for a valid signature, `CKR_SIGNATURE_INVALID` or
    /// `CKR_SIGNATURE_LEN_RANGE` otherwise. Ends the operation.
    pub fn verify(&self, handle: CK_SESSION_HANDLE, data: &[u8], signature: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let op = lock(&s.ops).verify.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        if op.multi_part {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        let input = match &op.hash {
            Some((alg, _)) => Zeroizing::new(digest_info(*alg, &alg.hash(data)).map_err(|_| Ckr(CKR_GENERAL_ERROR))?),
            None => Zeroizing::new(data.to_vec()),
        };
        op.check(&input, signature)
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.verify.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        op.multi_part = true;
        match &mut op.hash {
            Some((_, h)) => h.update(part),
            None => {
                if op.data.len() + part.len() > MAX_SIGN_INPUT {
                    ops.verify = None;
                    return Err(Ckr(CKR_DATA_LEN_RANGE));
                }
                op.data.extend_from_slice(part);
            }
        }
        Ok(())
    }

    /// `C_VerifyFinal`. Ends the operation.
    pub fn verify_final(&self, handle: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut op = lock(&s.ops).verify.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let input = match op.hash.take() {
            Some((alg, h)) => Zeroizing::new(digest_info(alg, &h.finalize()).map_err(|_| Ckr(CKR_GENERAL_ERROR))?),
            None => std::mem::take(&mut op.data),
        };
        op.check(&input, signature)
    }

    /// Ends the session's verification, if any (the C shim refused the arguments).
    pub fn verify_abort(&self, handle: CK_SESSION_HANDLE) {
        if let Ok(inst) = self.instance() {
            if let Some(s) = lock(&inst.sessions).get(&handle).cloned() {
                lock(&s.ops).verify = None;
            }
        }
    }
}
