//! What signs: the card through a [`Session`], or any other holder of a key and certificate.

use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::Transport;

use crate::Result;

/// A signing key with its X.509 certificate. The card's [`Session`] is one (after
/// [`Session::verify_pin`]); tests and other tokens can provide their own.
pub trait Signer {
    /// The signer's certificate, DER.
    fn certificate(&mut self) -> Result<Vec<u8>>;
    /// An RSA PKCS#1 v1.5 signature over the DigestInfo of `digest` (RFC 8017 §9.2).
    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>>;
}

impl<T: Transport> Signer for Session<T> {
    fn certificate(&mut self) -> Result<Vec<u8>> {
        Ok(Session::certificate(self)?)
    }

    /// The session checks the card's signature against the certificate before returning it.
    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>> {
        Ok(Session::sign_digest(self, alg, digest)?)
    }
}
