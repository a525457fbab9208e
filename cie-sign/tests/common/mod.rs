//! Signers and documents for the cie-sign tests: the simulated card in-process (the same card
//! the PC/SC tests reach through pcscd), a software key of another PKI, and PDFs written out.

#![allow(dead_code)]

use cie_core::pin::Secret;
use cie_core::session::Session;
use cie_sign::{HashAlg, Signer};
use cie_sim::card::{SimCard, SimOptions};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::transport::{SimHandle, SimTransport};
use cie_sim::Profile;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

/// A logged-in session with the simulated card.
pub fn card() -> (SimHandle, Session<SimTransport>) {
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let mut s = Session::open(handle.connect()).unwrap();
    s.verify_pin(&Secret::pin(fixtures::TEST_PIN).unwrap()).unwrap();
    (handle, s)
}

/// The test PKI's Document Signer key and certificate: another signer, under another CA
/// (the test CSCA).
pub struct SoftwareSigner {
    key: RsaPrivateKey,
    cert: Vec<u8>,
}

impl SoftwareSigner {
    pub fn document_signer() -> SoftwareSigner {
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

/// A one-page PDF of `version` with a classic cross-reference table, written out object by
/// object (ISO 32000-1 §7.5).
pub fn classic_pdf(version: &str, text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = format!("%PDF-{version}\n%\u{e2}\u{e3}\u{cf}\u{d3}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}
