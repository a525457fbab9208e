//! Signing in a session (PROTOCOL.md §7.1): MSE SET AT and INTERNAL AUTHENTICATE with the
//! holder's key `81`, every answer checked with the certificate's key before it is returned;
//! and the PIN-less key `83` signature over the NIS that keys a per-card cache (§8.4).

use super::Session;
use crate::certificate;
use crate::commands;
use crate::error::{Error, Result};
use crate::sign::{self, HashAlg, MAX_SIGN_INPUT};
use crate::transport::Transport;

impl<T: Transport> Session<T> {
    /// Gives the session the holder's certificate from a trusted copy (a cache keyed by this
    /// card, DESIGN.md §5), so that signatures can be checked without reading EF 1003. Only
    /// its public key is kept: [`Session::certificate`] still reads the card.
    pub fn use_certificate_key(&mut self, certificate_der: &[u8]) -> Result<()> {
        self.state.card.certificate_key = Some(certificate::public_key(certificate_der)?);
        Ok(())
    }

    /// True when the session knows the public key of the holder's signing key (from the card's
    /// certificate or from [`Session::use_certificate_key`]); no card access.
    pub fn knows_signing_key(&self) -> bool {
        self.state.card.certificate_key.is_some()
    }

    /// Signs a DigestInfo (or any data of at most 245 bytes) with the holder's key: the card
    /// adds PKCS#1 v1.5 type-1 padding (§7.1). After login this costs 3 APDU exchanges (plus
    /// the certificate read the first time, when its key is not known yet).
    ///
    /// Every answer is checked before it is returned: it must be exactly as long as the
    /// modulus and verify with the certificate's key, else [`Error::CardSignature`].
    pub fn sign_digest_info(&mut self, digest_info: &[u8]) -> Result<Vec<u8>> {
        if digest_info.is_empty() || digest_info.len() > MAX_SIGN_INPUT {
            return Err(Error::InvalidArgument(format!(
                "the card signs 1 to {MAX_SIGN_INPUT} bytes, got {}",
                digest_info.len()
            )));
        }
        if self.state.credentials.pin.is_none() && !self.state.credentials.pin_verified {
            return Err(Error::LoginRequired);
        }
        self.run_with_recovery(|st, link| {
            st.ensure_user(link)?;
            if st.card.certificate_key.is_none() {
                // Never hand on a signature that was not checked: learn the key first.
                st.read_certificate(link)?;
            }
            st.secure(link, &commands::mse_set_at_signature(commands::SIGNATURE_KEY))?.ok("MSE SET AT (signature)")?;
            let sig = st
                .secure(link, &commands::internal_authenticate(digest_info))?
                .ok("INTERNAL AUTHENTICATE (signature)")?;
            let key = st.card.certificate_key.as_ref().ok_or_else(|| Error::malformed("no certificate key"))?;
            certificate::verify_digest_info(key, digest_info, &sig)?;
            Ok(sig)
        })
    }

    /// Hashes `data` and signs its DigestInfo.
    pub fn sign(&mut self, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest_info(&sign::digest_info_of(alg, data))
    }

    /// Signs a digest computed by the caller.
    pub fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest_info(&sign::digest_info(alg, digest)?)
    }

    /// The card's deterministic signature with key `83` over the ASCII NIS (§7.1, §8.4): no
    /// PIN needed, the same value every time for the same card, so it can key a per-card cache
    /// that is useless without the card. Cached per session.
    pub fn card_binding_signature(&mut self) -> Result<Vec<u8>> {
        if let Some(s) = &self.state.card.binding_signature {
            return Ok(s.clone());
        }
        let sig = self.run_with_recovery(|st, link| {
            st.ensure_selected(link)?;
            let nis = st.card.nis.as_bytes().to_vec();
            let mut x = st.exchanger(link);
            x.send(&commands::mse_set_at_signature(commands::SERVICES_KEY))?.ok("MSE SET AT (key 83)")?;
            x.send(&commands::internal_authenticate(nis))?.ok("INTERNAL AUTHENTICATE (key 83)")
        })?;
        self.state.card.binding_signature = Some(sig.clone());
        Ok(sig)
    }
}
