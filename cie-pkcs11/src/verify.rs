//! Signature verification in software: `C_VerifyInit`, `C_Verify`, `C_VerifyUpdate`,
//! `C_VerifyFinal` with the token's public key (`CKA_VERIFY` true) and the mechanisms the card
//! signs with (PKCS#1 v1.5: `CKM_RSA_PKCS` over a DigestInfo of at most k - 11 bytes,
//! `CKM_SHAx_RSA_PKCS` hashing on the host). PKCS#11 2.40 (functions for verifying signatures): `C_Verify` and
//! `C_VerifyFinal` always end the operation, and so does any error of `C_VerifyUpdate`.

use cie_core::sign::MAX_SIGN_INPUT;
use cryptoki_sys::*;
use rsa::{Pkcs1v15Sign, RsaPublicKey};

use crate::error::{Ckr, Result};
use crate::module::{lock, Module};
use crate::sign::SigInput;

/// An active verification of a session.
pub(crate) struct VerifyOp {
    input: SigInput,
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
        self.signature_init(
            handle,
            mechanism,
            has_parameter,
            |ops| &mut ops.verify,
            |input, objects, user| {
                let objects = objects.ok_or(Ckr(CKR_KEY_HANDLE_INVALID))?;
                if key == objects.private_key.handle && user {
                    return Err(Ckr(CKR_KEY_FUNCTION_NOT_PERMITTED));
                }
                if key != objects.public_key.handle {
                    return Err(Ckr(CKR_KEY_HANDLE_INVALID));
                }
                Ok(VerifyOp { input, key: objects.key.clone(), sig_len: objects.modulus_len })
            },
        )
    }

    /// `C_Verify`: `CKR_OK` for a valid signature, `CKR_SIGNATURE_INVALID` or
    /// `CKR_SIGNATURE_LEN_RANGE` otherwise. Ends the operation.
    pub fn verify(&self, handle: CK_SESSION_HANDLE, data: &[u8], signature: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let op = lock(&s.ops).verify.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let input = op.input.one_part(data)?;
        op.check(&input, signature)
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.verify.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let result = op.input.update(part);
        if result.is_err() {
            ops.verify = None;
        }
        result
    }

    /// `C_VerifyFinal`. Ends the operation.
    pub fn verify_final(&self, handle: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut op = lock(&s.ops).verify.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        let input = op.input.finish()?;
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
