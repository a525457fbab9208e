//! Certificate checks of a verification: validity at the signing time (RFC 5280 §4.1.2.5) and
//! a path from the signer's certificate to a trust anchor the user gave (RFC 5280 §6.1,
//! simplified: names chain, each signature verifies, each issuer is a CA, every certificate is
//! valid at the signing time). Revocation is not checked.

use std::time::Duration;

use cie_core::sign::HashAlg;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::Certificate;

use crate::{Error, Result};

const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// Longest chain followed.
const MAX_DEPTH: usize = 8;

/// A certificate with its DER.
#[derive(Clone, Debug)]
pub struct Cert {
    /// DER bytes.
    pub der: Vec<u8>,
    /// Parsed.
    pub cert: Certificate,
}

impl Cert {
    /// Parses DER.
    pub fn from_der(der: &[u8]) -> Result<Cert> {
        let cert = Certificate::from_der(der).map_err(|e| Error::Certificate(e.to_string()))?;
        Ok(Cert { der: cert.to_der()?, cert })
    }

    /// From a parsed certificate.
    pub fn from_cert(cert: Certificate) -> Result<Cert> {
        Ok(Cert { der: cert.to_der()?, cert })
    }

    /// The subject, RFC 4514.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// Whether the certificate is valid at `t` (seconds since the Unix epoch).
    pub fn valid_at(&self, t: Duration) -> bool {
        let v = &self.cert.tbs_certificate.validity;
        v.not_before.to_unix_duration() <= t && t <= v.not_after.to_unix_duration()
    }

    /// Whether basicConstraints says this is a CA (RFC 5280 §4.2.1.9).
    fn is_ca(&self) -> bool {
        self.cert.tbs_certificate.extensions.iter().flatten().any(|e| {
            e.extn_id == OID_BASIC_CONSTRAINTS
                && BasicConstraints::from_der(e.extn_value.as_bytes()).map(|b| b.ca).unwrap_or(false)
        })
    }
}

/// Trust anchors: the CA certificates the user trusts (`--ca FILE`).
#[derive(Clone, Debug, Default)]
pub struct Trust {
    anchors: Vec<Cert>,
}

impl Trust {
    /// No anchors: chains are not checked (and reports say so).
    pub fn none() -> Trust {
        Trust::default()
    }

    /// Adds the certificates of a PEM (one or more) or DER file; returns how many.
    pub fn add(&mut self, data: &[u8]) -> Result<usize> {
        let certs = if data.starts_with(b"-----") || data.windows(11).any(|w| w == b"-----BEGIN ") {
            Certificate::load_pem_chain(data).map_err(|e| Error::Certificate(format!("PEM: {e}")))?
        } else {
            vec![Certificate::from_der(data).map_err(|e| Error::Certificate(format!("DER: {e}")))?]
        };
        let n = certs.len();
        for c in certs {
            self.anchors.push(Cert::from_cert(c)?);
        }
        Ok(n)
    }

    /// Whether no anchor was given.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// The outcome of the path check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chain {
    /// No trust anchor was given: the chain was not checked.
    NotChecked,
    /// The certificate chains to this anchor (its subject).
    Trusted(String),
    /// It does not, and why.
    Untrusted(String),
}

/// Whether `issuer`'s key verifies `cert`'s signature.
fn signed_by(cert: &Cert, issuer: &Cert) -> std::result::Result<(), String> {
    let alg = HashAlg::from_rsa_pkcs1_oid(&cert.cert.signature_algorithm.oid)
        .ok_or_else(|| format!("signature algorithm {} not supported", cert.cert.signature_algorithm.oid))?;
    let tbs = cert.cert.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let sig = cert.cert.signature.as_bytes().ok_or("signature is not a whole number of bytes")?;
    cie_core::certificate::verify(&issuer.der, alg, &tbs, sig)
        .map_err(|_| format!("the signature of \"{}\" by \"{}\" does not verify", cert.subject(), issuer.subject()))
}

/// Follows issuers from `leaf` through `intermediates` (the certificates in the signature) to
/// one of `trust`'s anchors, every certificate valid at `at`.
pub fn check(leaf: &Cert, intermediates: &[Cert], trust: &Trust, at: Duration) -> Chain {
    if trust.is_empty() {
        return Chain::NotChecked;
    }
    let mut current = leaf.clone();
    for _ in 0..MAX_DEPTH {
        if trust.anchors.iter().any(|a| a.der == current.der) {
            return Chain::Trusted(current.subject());
        }
        let issuer_name = &current.cert.tbs_certificate.issuer;
        let named = |c: &&Cert| &c.cert.tbs_certificate.subject == issuer_name;
        let mut last_error = None;
        for anchor in trust.anchors.iter().filter(named) {
            match signed_by(&current, anchor) {
                Ok(()) if !anchor.valid_at(at) => {
                    last_error =
                        Some(format!("the CA certificate \"{}\" is not valid at the signing time", anchor.subject()))
                }
                Ok(()) => return Chain::Trusted(anchor.subject()),
                Err(e) => last_error = Some(e),
            }
        }
        if let Some(e) = last_error {
            return Chain::Untrusted(e);
        }
        let next = intermediates.iter().filter(named).find(|c| c.der != current.der && signed_by(&current, c).is_ok());
        match next {
            None => {
                return Chain::Untrusted(format!(
                    "no path to the given CA certificates: issuer \"{issuer_name}\" is not among them"
                ))
            }
            Some(c) if !c.is_ca() => return Chain::Untrusted(format!("\"{}\" is not a CA certificate", c.subject())),
            Some(c) if !c.valid_at(at) => {
                return Chain::Untrusted(format!("\"{}\" is not valid at the signing time", c.subject()))
            }
            Some(c) => current = c.clone(),
        }
    }
    Chain::Untrusted("certificate chain too long".into())
}
