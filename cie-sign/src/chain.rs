//! Certificate checks of a verification: validity at the signing time (RFC 5280 §4.1.2.5) and
//! a path from the signer's certificate to a trust anchor the user gave (RFC 5280 §6.1,
//! simplified: names chain, each signature verifies, each issuer is a CA, every certificate is
//! valid at the signing time). Revocation is not checked.

use std::path::{Path, PathBuf};
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

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Adds the anchors of a file (PEM with one or more certificates, or DER) or of every
    /// `*.pem`, `*.crt`, `*.cer` and `*.der` file of a directory (not recursive, in name
    /// order); returns how many were added.
    pub fn add_path(&mut self, path: &Path) -> Result<usize> {
        let named = |e: std::io::Error| Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())));
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(named)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| ["pem", "crt", "cer", "der"].contains(&e.to_ascii_lowercase().as_str()))
                })
                .collect();
            files.sort();
            let mut n = 0;
            for f in files.iter().take(MAX_ANCHOR_FILES) {
                n += self.add_path(f)?;
            }
            return Ok(n);
        }
        let data = std::fs::read(path).map_err(named)?;
        self.add(&data).map_err(|e| Error::Certificate(format!("{}: {e}", path.display())))
    }

    /// The trust anchors installed for this user and system (docs/VERIFY.md, "Trust anchors"): the files and
    /// directories listed in `CIE_TRUST_ANCHORS` (separated by `:`) when it is set, even
    /// empty; otherwise `/etc/cie/trust-anchors/` and `$XDG_CONFIG_HOME/cie/trust-anchors/`
    /// (`~/.config/cie/trust-anchors/`), those that exist. A listed path that cannot be read is
    /// an error; a default directory that is missing is not.
    pub fn system() -> Result<Trust> {
        let mut trust = Trust::none();
        match std::env::var_os(TRUST_ENV) {
            Some(list) => {
                for p in std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()) {
                    trust.add_path(&p)?;
                }
            }
            None => {
                for dir in default_anchor_dirs() {
                    if dir.is_dir() {
                        trust.add_path(&dir)?;
                    }
                }
            }
        }
        Ok(trust)
    }
}

/// The environment variable that lists the trust anchors, replacing the default directories.
pub const TRUST_ENV: &str = "CIE_TRUST_ANCHORS";
/// Most files read from one anchor directory.
const MAX_ANCHOR_FILES: usize = 1000;

/// `/etc/cie/trust-anchors` and the user's `$XDG_CONFIG_HOME/cie/trust-anchors`.
pub fn default_anchor_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/etc/cie/trust-anchors")];
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config {
        dirs.push(c.join("cie").join("trust-anchors"));
    }
    dirs
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
