//! Signers and documents for the cie-sign tests: the simulated card in-process (the same card
//! the PC/SC tests reach through pcscd), a software key of another PKI, and PDFs written out.

#![allow(dead_code)]

use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_sign::{HashAlg, Signer};
use cie_sim::card::{SimCard, SimOptions};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::transport::{SimHandle, SimTransport};
use cie_sim::Profile;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

/// A logged-in session with the simulated card.
pub(crate) fn card() -> (SimHandle, Session<SimTransport>) {
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let mut s = Session::open(handle.connect()).unwrap();
    s.verify_pin(&Pin::new(fixtures::TEST_PIN).unwrap()).unwrap();
    (handle, s)
}

/// The test PKI's Document Signer key and certificate: another signer, under another CA
/// (the test CSCA).
pub(crate) struct SoftwareSigner {
    key: RsaPrivateKey,
    cert: Vec<u8>,
}

impl SoftwareSigner {
    pub(crate) fn document_signer() -> SoftwareSigner {
        SoftwareSigner { key: fixtures::document_signer_key(), cert: fixtures::document_signer_certificate().to_vec() }
    }
}

impl Signer for SoftwareSigner {
    fn certificate(&mut self) -> cie_sign::Result<Vec<u8>> {
        Ok(self.cert.clone())
    }

    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> cie_sign::Result<Vec<u8>> {
        let di = cie_core::sign::digest_info(alg, digest)?;
        Ok(self.key.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap())
    }
}

#[path = "pdf.rs"]
mod pdf;
#[allow(unused_imports)]
pub(crate) use pdf::*;

#[path = "update.rs"]
mod update;
#[allow(unused_imports)]
pub(crate) use update::*;
