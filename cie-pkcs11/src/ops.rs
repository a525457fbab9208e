//! The four operations a session can have active, one of each kind (PKCS#11 2.40 §5.7 object
//! search, §5.10 digesting, §5.11 signing, §5.12 verifying), as pure state: what they have
//! collected so far and what they check, without the card. Signing and digesting hand back one
//! [`Output`], and one size answer decides when a caller's buffer is only asked about or too
//! small (PKCS#11 2.40 §5.2).

use std::collections::VecDeque;

use cie_core::sign::{digest_info, HashAlg, MAX_SIGN_INPUT};
use cryptoki_sys::*;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::digest::DynDigest;
use zeroize::Zeroizing;

use crate::error::{Ckr, Result};
use crate::mechanism::{signature_hash, SIGNATURE_MECHANISMS};

/// The active operations of a session.
#[derive(Default)]
pub(crate) struct Operations {
    /// `C_FindObjectsInit` .. `C_FindObjectsFinal`.
    pub(crate) find: Option<FindOp>,
    /// `C_SignInit` .. `C_Sign`/`C_SignFinal`.
    pub(crate) sign: Option<SignOp>,
    /// `C_VerifyInit` .. `C_Verify`/`C_VerifyFinal`.
    pub(crate) verify: Option<VerifyOp>,
    /// `C_DigestInit` .. `C_Digest`/`C_DigestFinal`.
    pub(crate) digest: Option<DigestOp>,
}

/// The kinds of operation, to end one by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OperationKind {
    /// `C_FindObjectsInit` .. `C_FindObjectsFinal`.
    Find,
    /// `C_SignInit` .. `C_Sign`/`C_SignFinal`.
    Sign,
    /// `C_VerifyInit` .. `C_Verify`/`C_VerifyFinal`.
    Verify,
    /// `C_DigestInit` .. `C_Digest`/`C_DigestFinal`.
    Digest,
}

impl Operations {
    /// Ends the operation of `kind`, if one is active.
    pub(crate) fn end(&mut self, kind: OperationKind) {
        match kind {
            OperationKind::Find => self.find = None,
            OperationKind::Sign => self.sign = None,
            OperationKind::Verify => self.verify = None,
            OperationKind::Digest => self.digest = None,
        }
    }
}

/// What `C_Sign`/`C_SignFinal` and `C_Digest`/`C_DigestFinal` hand back.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Size query: the output length (operation still active).
    Length(usize),
    /// The buffer is too small for this length (`CKR_BUFFER_TOO_SMALL`; operation still active).
    TooSmall(usize),
    /// The signature or digest (operation finished).
    Bytes(Vec<u8>),
}

/// The answer to a size query (`capacity` None) or a too-small buffer, which leave the
/// operation active (PKCS#11 2.40 §5.2); `None` when an output of `len` bytes fits.
pub(crate) fn size_answer(capacity: Option<usize>, len: usize) -> Option<Output> {
    match capacity {
        None => Some(Output::Length(len)),
        Some(c) if c < len => Some(Output::TooSmall(len)),
        Some(_) => None,
    }
}

/// An active `C_FindObjects` search: the matching handles not yet returned.
#[derive(Debug, Default)]
pub(crate) struct FindOp {
    pending: VecDeque<CK_OBJECT_HANDLE>,
}

impl FindOp {
    /// A search that found `handles`.
    pub(crate) fn new(handles: VecDeque<CK_OBJECT_HANDLE>) -> FindOp {
        FindOp { pending: handles }
    }

    /// Up to `max` more handles (`C_FindObjects`).
    pub(crate) fn next(&mut self, max: usize) -> Vec<CK_OBJECT_HANDLE> {
        let n = max.min(self.pending.len());
        self.pending.drain(..n).collect()
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
    /// The input of `mechanism` as `C_SignInit` and `C_VerifyInit` check it: one of the
    /// signature mechanisms, without a parameter (`has_parameter`: the caller gave one).
    pub(crate) fn new(mechanism: CK_MECHANISM_TYPE, has_parameter: bool) -> Result<Self> {
        if !SIGNATURE_MECHANISMS.contains(&mechanism) {
            return Err(Ckr(CKR_MECHANISM_INVALID));
        }
        if has_parameter {
            return Err(Ckr(CKR_MECHANISM_PARAM_INVALID));
        }
        Ok(SigInput {
            hash: signature_hash(mechanism).map(|alg| (alg, alg.hasher())),
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
    pub(crate) fn is_empty(&self) -> bool {
        self.hash.is_none() && self.data.is_empty()
    }
}

/// An active signature operation of a session (the card signs at the end).
pub(crate) struct SignOp {
    /// What is signed.
    pub(crate) input: SigInput,
    /// Signature length (the key's modulus length).
    pub(crate) sig_len: usize,
}

/// An active verification of a session (in software, with the token's public key).
pub(crate) struct VerifyOp {
    /// What the signature is checked over.
    pub(crate) input: SigInput,
    /// The token's public key.
    pub(crate) key: RsaPublicKey,
    /// The modulus length: the only valid signature length.
    pub(crate) sig_len: usize,
}

impl VerifyOp {
    /// Checks `signature` over the DigestInfo (or raw CKM_RSA_PKCS input) `input`:
    /// `CKR_SIGNATURE_LEN_RANGE`, `CKR_DATA_LEN_RANGE` or `CKR_SIGNATURE_INVALID` when it fails.
    pub(crate) fn check(&self, input: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() != self.sig_len {
            return Err(Ckr(CKR_SIGNATURE_LEN_RANGE));
        }
        if input.is_empty() || input.len() > MAX_SIGN_INPUT {
            return Err(Ckr(CKR_DATA_LEN_RANGE));
        }
        self.key.verify(Pkcs1v15Sign::new_unprefixed(), input, signature).map_err(|_| Ckr(CKR_SIGNATURE_INVALID))
    }
}

/// An active digest operation of a session.
pub(crate) struct DigestOp {
    hasher: Box<dyn DynDigest + Send>,
    /// `C_DigestUpdate` was called.
    pub(crate) multi_part: bool,
}

impl DigestOp {
    /// A digest with `alg`.
    pub(crate) fn new(alg: HashAlg) -> DigestOp {
        DigestOp { hasher: alg.hasher(), multi_part: false }
    }

    /// The digest's length.
    pub(crate) fn output_len(&self) -> usize {
        self.hasher.output_size()
    }

    /// One more part (`C_DigestUpdate`).
    pub(crate) fn update(&mut self, part: &[u8]) {
        self.multi_part = true;
        self.hasher.update(part);
    }

    /// The digest of everything given.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.hasher.finalize().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_answers_keep_the_operation() {
        assert_eq!(size_answer(None, 256), Some(Output::Length(256)));
        assert_eq!(size_answer(Some(255), 256), Some(Output::TooSmall(256)));
        assert_eq!(size_answer(Some(256), 256), None);
    }

    #[test]
    fn signature_input_rules() {
        assert_eq!(SigInput::new(CKM_RSA_PKCS_PSS, false).err(), Some(Ckr(CKR_MECHANISM_INVALID)));
        assert_eq!(SigInput::new(CKM_RSA_PKCS, true).err(), Some(Ckr(CKR_MECHANISM_PARAM_INVALID)));
        let mut raw = SigInput::new(CKM_RSA_PKCS, false).unwrap();
        assert!(raw.is_empty());
        raw.update(&[1; 200]).unwrap();
        assert_eq!(raw.update(&[1; 46]), Err(Ckr(CKR_DATA_LEN_RANGE)), "at most k - 11 = 245 bytes");
        assert_eq!(raw.one_part(b"x").err(), Some(Ckr(CKR_OPERATION_ACTIVE)), "after an update");
        assert_eq!(raw.finish().unwrap().len(), 200);
        let hashed = SigInput::new(CKM_SHA256_RSA_PKCS, false).unwrap();
        assert!(!hashed.is_empty());
        // The DigestInfo of SHA-256: 19 bytes of prefix and 32 of hash.
        assert_eq!(hashed.one_part(b"abc").unwrap().len(), 51);
    }

    #[test]
    fn find_returns_each_handle_once() {
        let mut find = FindOp::new([1, 2, 3].into());
        assert_eq!(find.next(2), vec![1, 2]);
        assert_eq!(find.next(2), vec![3]);
        assert!(find.next(2).is_empty());
    }

    #[test]
    fn ending_one_kind_leaves_the_others() {
        let mut ops = Operations {
            find: Some(FindOp::default()),
            digest: Some(DigestOp::new(HashAlg::Sha256)),
            ..Operations::default()
        };
        ops.end(OperationKind::Digest);
        assert!(ops.digest.is_none() && ops.find.is_some());
        ops.end(OperationKind::Find);
        assert!(ops.find.is_none());
    }
}
