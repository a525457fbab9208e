//! What one piece of revocation data says about one certificate, once checked: the types the
//! CRL (`crl.rs`) and OCSP (`ocsp.rs`) checks fill in and reports carry.

use std::time::Duration;

use x509_cert::ext::pkix::crl::CrlReason;

use crate::chain::Cert;
use crate::reason::{CertificateRole, Reason, Revocation, RevocationSource};

/// The kind of revocation data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// An OCSP response (RFC 6960).
    Ocsp,
    /// A certificate revocation list (RFC 5280 §5).
    Crl,
}

impl EvidenceKind {
    /// `ocsp` or `crl`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Ocsp => "ocsp",
            EvidenceKind::Crl => "crl",
        }
    }

    /// "OCSP response" or "CRL".
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKind::Ocsp => "OCSP response",
            EvidenceKind::Crl => "CRL",
        }
    }
}

/// Where the revocation data came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceOrigin {
    /// Carried by the signature: the SignedData's `crls` field, the CAdES revocation-values
    /// attribute, a PDF's document security store.
    Embedded,
    /// Fetched at verification (`--online`): the certificate's OCSP responder or CRL
    /// distribution point.
    Online,
}

impl EvidenceOrigin {
    /// `embedded` or `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceOrigin::Embedded => "embedded",
            EvidenceOrigin::Online => "online",
        }
    }
}

/// What checked revocation data says about the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not revoked when the data was issued (OCSP `good`, or not on the CRL).
    Good,
    /// Revoked at `time` (seconds since the Unix epoch, and as a date), for `reason` when
    /// one is given (RFC 5280 §5.3.1, in words).
    Revoked {
        /// When, as the issuer states it.
        time: der::DateTime,
        /// Why, in words (`key compromise`...), when stated.
        reason: Option<&'static str>,
    },
    /// The OCSP responder does not know the certificate.
    Unknown,
    /// The data concerns the certificate but cannot be trusted, and why: its signature does
    /// not verify, its signer is not entitled to answer for the certificate's issuer, it is
    /// dated in the future, it cannot be read. Never acted upon.
    Unverifiable(String),
}

impl Status {
    /// `good`, `revoked`, `unknown` or `unverifiable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Good => "good",
            Status::Revoked { .. } => "revoked",
            Status::Unknown => "unknown",
            Status::Unverifiable(_) => "unverifiable",
        }
    }
}

/// One piece of revocation data about one certificate, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// OCSP response or CRL.
    pub kind: EvidenceKind,
    /// Carried by the signature or fetched.
    pub origin: EvidenceOrigin,
    /// The certificate it is about (its subject).
    pub subject: String,
    /// Who signed it: the OCSP responder's or the CRL issuer's subject (empty when unknown).
    pub issuer: String,
    /// When the status it gives was known to be correct (OCSP thisUpdate, CRL thisUpdate).
    pub this_update: Option<der::DateTime>,
    /// When newer information will be available, if stated.
    pub next_update: Option<der::DateTime>,
    /// What it says, once checked.
    pub status: Status,
}

impl Evidence {
    /// Escapes what quotes the document: the names, why it cannot be used.
    pub(crate) fn make_printable(&mut self) {
        self.subject = crate::verdict::shown(&self.subject);
        self.issuer = crate::verdict::shown(&self.issuer);
        if let Status::Unverifiable(why) = &mut self.status {
            *why = crate::verdict::shown(why);
        }
    }

    /// Evidence of `kind` about `cert` that cannot be trusted, and why.
    pub(crate) fn unverifiable(kind: EvidenceKind, cert: &Cert, issuer: String, why: impl Into<String>) -> Evidence {
        Evidence {
            kind,
            origin: EvidenceOrigin::Embedded,
            subject: cert.subject(),
            issuer,
            this_update: None,
            next_update: None,
            status: Status::Unverifiable(why.into()),
        }
    }

    /// One line a person reads, in English: "good per the OCSP response of X of
    /// 2024-01-01T00:00:00Z" ([`Evidence::note`] in other languages).
    pub fn describe(&self) -> String {
        self.note().to_string()
    }

    /// What it says, as a reason to note ([`Reason::text`] tells it in a language).
    pub fn note(&self) -> Reason {
        let (subject, source) = (self.subject.clone(), Box::new(self.source()));
        match &self.status {
            Status::Good => Reason::RevocationGood { subject, source },
            Status::Revoked { time, reason } => Reason::Revoked {
                role: CertificateRole::Signer,
                subject,
                time: *time,
                reason: *reason,
                source,
                weight: Revocation::Told,
            },
            Status::Unknown => Reason::RevocationUnknown { subject, source },
            Status::Unverifiable(why) => Reason::RevocationUnverifiable { subject, source, detail: why.clone() },
        }
    }

    /// The piece of data, as reasons name it.
    pub fn source(&self) -> RevocationSource {
        RevocationSource {
            ocsp: self.kind == EvidenceKind::Ocsp,
            issuer: self.issuer.clone(),
            this_update: self.this_update,
            online: self.origin == EvidenceOrigin::Online,
        }
    }
}

/// The words for a CRLReason (RFC 5280 §5.3.1).
pub(crate) fn reason_words(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "key compromise",
        CrlReason::CaCompromise => "CA compromise",
        CrlReason::AffiliationChanged => "affiliation changed",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessation of operation",
        CrlReason::CertificateHold => "certificate on hold",
        CrlReason::RemoveFromCRL => "removed from the CRL",
        CrlReason::PrivilegeWithdrawn => "privilege withdrawn",
        CrlReason::AaCompromise => "attribute authority compromise",
    }
}

/// Seconds since the Unix epoch of a date.
pub(crate) fn seconds(t: der::DateTime) -> Duration {
    t.unix_duration()
}

/// The DER of the first element of the SEQUENCE `der` (the signed part of a CRL or an OCSP
/// response, exactly as it is in the file: the signature is over these bytes).
pub(crate) fn signed_part(der: &[u8]) -> Option<Vec<u8>> {
    use der::{Decode, Encode, Reader, SliceReader};
    let outer = der::asn1::AnyRef::from_der(der).ok()?;
    let mut r = SliceReader::new(outer.value()).ok()?;
    let first = r.decode::<der::asn1::AnyRef<'_>>().ok()?;
    first.to_der().ok()
}
