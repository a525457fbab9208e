//! Functions for verifying signatures (PKCS#11 2.40 §5.12): `C_VerifyInit`, `C_Verify`,
//! `C_VerifyUpdate`, `C_VerifyFinal`, in software, with the token's public key (`CKA_VERIFY`
//! true) and the mechanisms the card signs with (PKCS#1 v1.5: `CKM_RSA_PKCS` over a DigestInfo
//! of at most k - 11 bytes, `CKM_SHAx_RSA_PKCS` hashing on the host). `C_Verify` and
//! `C_VerifyFinal` always end the operation, and so does any error of `C_VerifyUpdate`.

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::ops::{SigInput, VerifyOp};

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
        self.start_op(
            handle,
            |ops| &mut ops.verify,
            |s| {
                let input = SigInput::new(mechanism, has_parameter)?;
                let (objects, user) = s.objects();
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
        let op = self.with_op(
            handle,
            |ops| &mut ops.verify,
            |active, _, _| active.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
        )?;
        let input = op.input.one_part(data)?;
        op.check(&input, signature)
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.with_op(
            handle,
            |ops| &mut ops.verify,
            |active, _, _| {
                let op = active.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                let result = op.input.update(part);
                if result.is_err() {
                    *active = None;
                }
                result
            },
        )
    }

    /// `C_VerifyFinal`. Ends the operation.
    pub fn verify_final(&self, handle: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
        let mut op = self.with_op(
            handle,
            |ops| &mut ops.verify,
            |active, _, _| active.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
        )?;
        let input = op.input.finish()?;
        op.check(&input, signature)
    }
}
