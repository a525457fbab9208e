//! What the module asks of a card once connected: the [`CardOps`] a slot runs under its I/O
//! lock. Implemented by cie-core's session over a transport of this process (the in-process
//! path) and by the card agent's client (`backend::AgentCard`, DESIGN.md §8), so that a slot
//! behaves the same whichever one serves it.

use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::transport::Counting;
use cie_core::{Result, Transport};

/// The card operations of one connection (one card insertion).
pub trait CardOps: Send {
    /// The card's NIS.
    fn nis(&self) -> &str;
    /// The chip maker of the card's generation.
    fn manufacturer(&self) -> String;
    /// VERIFY of the user PIN.
    fn verify_pin(&mut self, pin: &Pin) -> Result<()>;
    /// VERIFY of the PUK (SO login).
    fn verify_puk(&mut self, puk: &Puk) -> Result<()>;
    /// Unblocks the PIN with the PUK and sets `new`.
    fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<()>;
    /// Changes the PIN.
    fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()>;
    /// Forgets this connection's login (no APDU).
    fn logout(&mut self);
    /// A PKCS#1 v1.5 signature of `input`, checked against the certificate's key.
    fn sign_digest_info(&mut self, input: &[u8]) -> Result<Vec<u8>>;
    /// The holder's certificate (DER).
    fn certificate(&mut self) -> Result<Vec<u8>>;
    /// The key-83 answer that keys the certificate cache (DESIGN.md §5).
    fn card_binding_signature(&mut self) -> Result<Vec<u8>>;
    /// Checks the card's signatures with the key of `certificate_der` from now on.
    fn use_certificate_key(&mut self, certificate_der: &[u8]) -> Result<()>;
    /// True when the certificate that checks signatures was read from this card.
    fn has_own_certificate(&self) -> bool;
    /// The PIN tries left as the card last reported them.
    fn pin_tries_left(&self) -> Option<u8>;
    /// Card constants confirmed by a secure channel and not stored yet, with the card's
    /// serial number (the cache's key).
    fn constants_to_store(&mut self) -> Option<(Vec<u8>, Vec<u8>)>;
    /// True when the process that serves this card is gone (the card agent stopped or was
    /// killed, DESIGN.md §8): the slot then treats its token as removed and reinserted.
    fn is_lost(&self) -> bool {
        false
    }
}

/// The in-process path: cie-core's session over this process's transport.
impl CardOps for Session<Counting<Box<dyn Transport>>> {
    fn nis(&self) -> &str {
        Session::nis(self)
    }
    fn manufacturer(&self) -> String {
        self.generation().manufacturer().to_owned()
    }
    fn verify_pin(&mut self, pin: &Pin) -> Result<()> {
        Session::verify_pin(self, pin)
    }
    fn verify_puk(&mut self, puk: &Puk) -> Result<()> {
        Session::verify_puk(self, puk)
    }
    fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<()> {
        Session::unblock_pin(self, puk, new)
    }
    fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()> {
        Session::change_pin(self, old, new)
    }
    fn logout(&mut self) {
        Session::logout(self)
    }
    fn sign_digest_info(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        Session::sign_digest_info(self, input)
    }
    fn certificate(&mut self) -> Result<Vec<u8>> {
        Session::certificate(self)
    }
    fn card_binding_signature(&mut self) -> Result<Vec<u8>> {
        Session::card_binding_signature(self)
    }
    fn use_certificate_key(&mut self, certificate_der: &[u8]) -> Result<()> {
        Session::use_certificate_key(self, certificate_der)
    }
    fn has_own_certificate(&self) -> bool {
        self.cached_certificate().is_some()
    }
    fn pin_tries_left(&self) -> Option<u8> {
        Session::pin_tries_left(self)
    }
    fn constants_to_store(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        let bytes = Session::constants_to_store(self)?;
        Some((self.sn_icc().to_vec(), bytes))
    }
}
