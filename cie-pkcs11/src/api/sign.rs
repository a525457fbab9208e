//! Signing functions (PKCS#11 2.40 §5.11): `C_SignInit`, `C_Sign`, `C_SignUpdate`,
//! `C_SignFinal` with the private key on the card (PROTOCOL.md §7: the card adds PKCS#1 v1.5
//! type-1 padding to at most k - 11 bytes; no raw RSA, no PSS). `CKM_RSA_PKCS` signs the
//! caller's DigestInfo; `CKM_SHAx_RSA_PKCS` hash on the host and build the DigestInfo. A size
//! query (NULL signature buffer) or a short buffer does not end the operation; any other error
//! does, and so does the signature.

use cie_core::sign::MAX_SIGN_INPUT;
use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::ops::{size_answer, Output, SigInput, SignOp};
use crate::session::Session;
use crate::token::Login;

impl Module {
    /// `C_SignInit` with the private key object. `has_parameter`: the mechanism came with a
    /// parameter (none is accepted).
    pub fn sign_init(
        &self,
        handle: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.start_op(
            handle,
            |ops| &mut ops.sign,
            |s| {
                let input = SigInput::new(mechanism, has_parameter)?;
                let (objects, user) = s.objects();
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
    pub fn sign(&self, handle: CK_SESSION_HANDLE, data: &[u8], capacity: Option<usize>) -> Result<Output> {
        self.with_op(
            handle,
            |ops| &mut ops.sign,
            |active, _, s| {
                let op = active.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                let input = op.input.one_part(data).and_then(|input| {
                    if input.is_empty() || input.len() > MAX_SIGN_INPUT {
                        return Err(Ckr(CKR_DATA_LEN_RANGE));
                    }
                    Ok(input)
                });
                let input = match input {
                    Ok(input) => input,
                    Err(e) => {
                        *active = None;
                        return Err(e);
                    }
                };
                let sig_len = op.sig_len;
                if let Some(answer) = size_answer(capacity, sig_len) {
                    return Ok(answer);
                }
                *active = None;
                card_sign(s, &input, sig_len)
            },
        )
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, handle: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.with_op(
            handle,
            |ops| &mut ops.sign,
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

    /// `C_SignFinal`: `capacity` as for [`Module::sign`].
    pub fn sign_final(&self, handle: CK_SESSION_HANDLE, capacity: Option<usize>) -> Result<Output> {
        self.with_op(
            handle,
            |ops| &mut ops.sign,
            |active, _, s| {
                let op = active.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                if op.input.is_empty() {
                    *active = None;
                    return Err(Ckr(CKR_DATA_LEN_RANGE));
                }
                if let Some(answer) = size_answer(capacity, op.sig_len) {
                    return Ok(answer);
                }
                let mut op = active.take().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?;
                let input = op.input.finish()?;
                card_sign(s, &input, op.sig_len)
            },
        )
    }
}

/// The card signs `input` (a DigestInfo or up to k - 11 bytes): 3 APDUs after login
/// (`Slot::sign`, which checks the answer with the certificate's key). An answer that is not
/// exactly `sig_len` bytes (the length the caller's buffer was checked against) is refused
/// here too, with `CKR_DEVICE_ERROR`.
fn card_sign(s: &Session, input: &[u8], sig_len: usize) -> Result<Output> {
    if s.login() != Login::User {
        return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
    }
    let sig = s.slot.sign(s.insertion, input)?;
    if sig.len() != sig_len {
        tracing::warn!("slot {}: the card answered {} bytes for a {sig_len}-byte signature", s.slot.id, sig.len());
        return Err(Ckr(CKR_DEVICE_ERROR));
    }
    Ok(Output::Bytes(sig))
}
