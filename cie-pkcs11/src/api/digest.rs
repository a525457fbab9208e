//! Message digesting functions (PKCS#11 2.40 §5.10): `C_DigestInit`, `C_Digest`,
//! `C_DigestUpdate`, `C_DigestKey`, `C_DigestFinal` with SHA-1, SHA-224, SHA-256, SHA-384 and
//! SHA-512, in software: the card is not involved. A size query (NULL buffer) or a short
//! buffer leaves the operation active; every other error, and every result, ends it.

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::mechanism::digest_hash;
use crate::module::Module;
use crate::ops::{size_answer, DigestOp, OperationKind, Output};

impl Module {
    /// `C_DigestInit`. `has_parameter`: the mechanism came with a parameter (none is accepted).
    pub fn digest_init(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
    ) -> Result<()> {
        self.start_op(
            handle,
            |ops| &mut ops.digest,
            |_| {
                let alg = digest_hash(mechanism).ok_or(Ckr(CKR_MECHANISM_INVALID))?;
                if has_parameter {
                    return Err(Ckr(CKR_MECHANISM_PARAM_INVALID));
                }
                Ok(DigestOp::new(alg))
            },
        )
    }

    /// `C_Digest`: `capacity` is the output buffer's size, `None` for a size query.
    pub fn digest(&self, handle: CK_SESSION_HANDLE, data: &[u8], capacity: Option<usize>) -> Result<Output> {
        self.with_op(
            handle,
            |ops| &mut ops.digest,
            |active, _, _| {
                let op = active.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                if op.multi_part {
                    *active = None;
                    return Err(Ckr(CKR_OPERATION_ACTIVE));
                }
                if let Some(answer) = size_answer(capacity, op.output_len()) {
                    return Ok(answer);
                }
                let mut op = active.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                op.update(data);
                Ok(Output::Bytes(op.finish()))
            },
        )
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.with_op(
            handle,
            |ops| &mut ops.digest,
            |active, _, _| {
                active.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?.update(part);
                Ok(())
            },
        )
    }

    /// `C_DigestKey`: the token's keys are RSA keys, not secret keys, so none can be digested
    /// (`CKR_KEY_INDIGESTIBLE`); an unknown handle is `CKR_KEY_HANDLE_INVALID`. Either error
    /// ends the operation.
    pub fn digest_key(&self, handle: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.with_op(
            handle,
            |ops| &mut ops.digest,
            |active, _, _| match active {
                Some(_) => Ok(()),
                None => Err(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
            },
        )?;
        let known = self.with_object(handle, key, |_, _| ()).is_ok();
        self.end_operation(handle, OperationKind::Digest);
        Err(Ckr(if known { CKR_KEY_INDIGESTIBLE } else { CKR_KEY_HANDLE_INVALID }))
    }

    /// `C_DigestFinal`: `capacity` as for [`Module::digest`].
    pub fn digest_final(&self, handle: CK_SESSION_HANDLE, capacity: Option<usize>) -> Result<Output> {
        self.with_op(
            handle,
            |ops| &mut ops.digest,
            |active, _, _| {
                let op = active.as_ref().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                if let Some(answer) = size_answer(capacity, op.output_len()) {
                    return Ok(answer);
                }
                let op = active.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                Ok(Output::Bytes(op.finish()))
            },
        )
    }
}
