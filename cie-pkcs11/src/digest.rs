//! Message digests in software: `C_DigestInit`, `C_Digest`, `C_DigestUpdate`, `C_DigestKey`,
//! `C_DigestFinal` with SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 (PKCS#11 2.40, message digesting functions).
//! The card is not involved. A size query (NULL buffer) or a short buffer leaves the
//! operation active; every other error, and every result, ends it.

use cie_core::sign::HashAlg;
use cryptoki_sys::*;
use sha2::digest::DynDigest;

use crate::error::{Ckr, Result};
use crate::module::{lock, Module};

/// The digest mechanisms, in `C_GetMechanismList` order.
pub const MECHANISMS: [CK_MECHANISM_TYPE; 5] = [CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512];

/// The hash of a digest mechanism.
fn alg_of(mechanism: CK_MECHANISM_TYPE) -> Option<HashAlg> {
    match mechanism {
        CKM_SHA_1 => Some(HashAlg::Sha1),
        CKM_SHA224 => Some(HashAlg::Sha224),
        CKM_SHA256 => Some(HashAlg::Sha256),
        CKM_SHA384 => Some(HashAlg::Sha384),
        CKM_SHA512 => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// An active digest operation of a session.
pub(crate) struct DigestOp {
    hasher: Box<dyn DynDigest + Send>,
    /// `C_DigestUpdate` was called.
    multi_part: bool,
}

/// What `C_Digest`/`C_DigestFinal` hand back.
#[derive(Debug, PartialEq, Eq)]
pub enum DigestOutput {
    /// Size query: the digest length (operation still active).
    Length(usize),
    /// The buffer is too small for this length (`CKR_BUFFER_TOO_SMALL`; operation still active).
    TooSmall(usize),
    /// The digest (operation finished).
    Digest(Vec<u8>),
}

/// The size-query answer, or `None` when the digest fits in `capacity`.
fn size_answer(capacity: Option<usize>, len: usize) -> Option<DigestOutput> {
    match capacity {
        None => Some(DigestOutput::Length(len)),
        Some(c) if c < len => Some(DigestOutput::TooSmall(len)),
        Some(_) => None,
    }
}

impl Module {
    /// `C_DigestInit`. `has_parameter`: the mechanism came with a parameter (none is accepted).
    pub fn digest_init(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
    ) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        if ops.digest.is_some() {
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        let alg = alg_of(mechanism).ok_or(Ckr(CKR_MECHANISM_INVALID))?;
        if has_parameter {
            return Err(Ckr(CKR_MECHANISM_PARAM_INVALID));
        }
        ops.digest = Some(DigestOp { hasher: alg.hasher(), multi_part: false });
        Ok(())
    }

    /// `C_Digest`: `capacity` is the output buffer's size, `None` for a size query.
    pub fn digest(&self, handle: CK_SESSION_HANDLE, data: &[u8], capacity: Option<usize>) -> Result<DigestOutput> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.digest.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        if op.multi_part {
            ops.digest = None;
            return Err(Ckr(CKR_OPERATION_ACTIVE));
        }
        if let Some(answer) = size_answer(capacity, op.hasher.output_size()) {
            return Ok(answer);
        }
        let Some(mut op) = ops.digest.take() else {
            return Err(Ckr(CKR_OPERATION_NOT_INITIALIZED));
        };
        op.hasher.update(data);
        Ok(DigestOutput::Digest(op.hasher.finalize().to_vec()))
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.digest.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        op.multi_part = true;
        op.hasher.update(part);
        Ok(())
    }

    /// `C_DigestKey`: the token's keys are RSA keys, not secret keys, so none can be digested
    /// (`CKR_KEY_INDIGESTIBLE`); an unknown handle is `CKR_KEY_HANDLE_INVALID`. Either error
    /// ends the operation.
    pub fn digest_key(&self, handle: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        if lock(&s.ops).digest.is_none() {
            return Err(Ckr(CKR_OPERATION_NOT_INITIALIZED));
        }
        let known = self.with_object(handle, key, |_| ()).is_ok();
        lock(&s.ops).digest = None;
        Err(Ckr(if known { CKR_KEY_INDIGESTIBLE } else { CKR_KEY_HANDLE_INVALID }))
    }

    /// `C_DigestFinal`: `capacity` as for [`Module::digest`].
    pub fn digest_final(&self, handle: CK_SESSION_HANDLE, capacity: Option<usize>) -> Result<DigestOutput> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        let op = ops.digest.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
        if let Some(answer) = size_answer(capacity, op.hasher.output_size()) {
            return Ok(answer);
        }
        let Some(op) = ops.digest.take() else {
            return Err(Ckr(CKR_OPERATION_NOT_INITIALIZED));
        };
        Ok(DigestOutput::Digest(op.hasher.finalize().to_vec()))
    }

    /// Ends the session's digest operation, if any (an error in a digest call, PKCS#11 2.40
    /// "message digesting functions", also when the C shim refused the arguments).
    pub fn digest_abort(&self, handle: CK_SESSION_HANDLE) {
        if let Ok(inst) = self.instance() {
            if let Some(s) = lock(&inst.sessions).get(&handle).cloned() {
                lock(&s.ops).digest = None;
            }
        }
    }
}
