//! Certificate checks of a verification: a path from the signer's certificate to a trust
//! anchor (RFC 5280 §6.1, simplified: names chain, each signature verifies, each issuer is a
//! CA), every certificate valid at the validation time (RFC 5280 §4.1.2.5; the current time
//! until a verified timestamp proves an earlier existence), and the anchors themselves: given
//! by the user or installed (docs/VERIFY.md, "Trust anchors"). Revocation is weighed after
//! the path (`revocation_check.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cie_core::sign::HashAlg;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::Certificate;

use crate::algorithms::{self, AlgError};
use crate::reason::{CertificateRole, Reason};
use crate::trusted_service::{ListOutcome, TrustedService};
use crate::verdict::{shown, Problem, SubIndication};
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
        crate::identity::name_text(&self.cert.tbs_certificate.subject)
    }

    /// The name a person reads: the subject's common name, or the whole subject without one.
    pub fn name(&self) -> String {
        name_of(&self.cert.tbs_certificate.subject)
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
    /// The qualified CA services of the trusted lists used (`tsl.rs`): anchors only at a time
    /// their status was a positive one.
    services: Vec<(Cert, TrustedService)>,
    /// The trusted lists given, used or not.
    lists: Vec<ListOutcome>,
    /// Whether revocation data is fetched online when the signature carries none.
    online: bool,
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

    /// Asks, or stops asking, each signer's certificate's OCSP responder or CRL distribution
    /// point at verification when the signature carries no usable revocation data for it
    /// (`cie verify --online`; off by default).
    pub fn set_online_revocation(&mut self, online: bool) {
        self.online = online;
    }

    /// Whether revocation data is fetched online ([`Trust::set_online_revocation`]).
    pub fn online_revocation(&self) -> bool {
        self.online
    }

    /// Whether no anchor was given (neither a certificate nor a trusted list's service).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty() && self.services.is_empty()
    }

    /// How many anchors there are (certificates and trusted lists' services).
    pub fn len(&self) -> usize {
        self.anchors.len() + self.services.len()
    }

    /// Whether trusted lists were used (their services added): signatures are then assessed
    /// as qualified or not.
    pub fn has_trusted_lists(&self) -> bool {
        !self.services.is_empty() || !self.lists.is_empty()
    }

    /// Records what became of a trusted list (`tsl::add_lists`), even when none of its
    /// services was added: reports then say why no signature is qualified.
    pub fn add_list_outcome(&mut self, outcome: ListOutcome) {
        self.lists.push(outcome);
    }

    /// The trusted lists given and what became of each.
    pub fn trusted_lists(&self) -> &[ListOutcome] {
        &self.lists
    }

    /// The anchor certificates given or installed (not those of trusted lists).
    pub fn anchors(&self) -> &[Cert] {
        &self.anchors
    }

    /// Adds a qualified CA service of a trusted list, its certificate an anchor whenever its
    /// status at the validation time is a positive one (`tsl::add_lists` calls it).
    pub fn add_service(&mut self, cert: Cert, service: TrustedService) {
        self.services.push((cert, service));
    }

    /// The anchors at `at`: the certificates, and the services usable then.
    fn anchors_at(&self, at: Duration) -> Vec<&Cert> {
        let listed = self.services.iter().filter(|(_, s)| s.usable_at(at)).map(|(c, _)| c);
        self.anchors.iter().chain(listed).collect()
    }

    /// The trusted list's service of the anchor `cert`, usable at `at`, if it is one.
    fn service_of(&self, cert: &Cert, at: Duration) -> Option<TrustedService> {
        self.services.iter().find(|(c, s)| c.der == cert.der && s.usable_at(at)).map(|(_, s)| s.clone())
    }

    /// Why a path stops at `issuer` when it names a trusted list's service not usable at `at`
    /// (withdrawn then, or not yet granted).
    fn withdrawn_service(&self, issuer: &x509_cert::name::Name, at: Duration) -> Option<Reason> {
        self.services.iter().find(|(c, s)| c.cert.tbs_certificate.subject == *issuer && !s.usable_at(at)).map(
            |(_, s)| Reason::ServiceNotUsable {
                service: s.name.clone(),
                provider: s.provider.clone(),
                territory: s.territory.clone(),
                status: s.status_at(at).map(|st| st.name().to_owned()),
            },
        )
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
    /// No trust anchor was configured: no path could be trusted (the signature is
    /// INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND).
    NotChecked,
    /// The certificate chains to this anchor (its subject).
    Trusted(String),
    /// It does not, and why ([`Reason::text`] tells it in a language).
    Untrusted(Reason),
}

impl Chain {
    /// The same outcome with its texts escaped for printing ([`shown`]).
    pub(crate) fn shown(&self) -> Chain {
        match self {
            Chain::Trusted(a) => Chain::Trusted(shown(a)),
            Chain::Untrusted(w) => Chain::Untrusted(w.clone()),
            Chain::NotChecked => Chain::NotChecked,
        }
    }
}

/// The result of [`Paths::check`]: the path's outcome, and every reason the path does not
/// make the signature pass (also for a trusted path: a certificate out of its validity, a
/// weak algorithm).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathCheck {
    /// The path's outcome.
    pub chain: Chain,
    /// Why it does not pass; empty when the path is trusted and every certificate is valid.
    pub problems: Vec<Problem>,
    /// When the anchor is a trusted list's qualified CA service: that service.
    pub service: Option<TrustedService>,
}

/// Certificates an issuer's name may match that are tried, at each step of a path.
const MAX_CANDIDATES: usize = 4;

/// How a certificate's signature by a candidate issuer checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Link {
    /// It verifies.
    Verified,
    /// It does not.
    Broken,
    /// The algorithm is not one this verifier checks.
    Unsupported(AlgError),
}

/// Path building for the signers of one signature (RFC 5280 §6.1, simplified: names chain,
/// each signature verifies, each issuer is a CA, every certificate is valid at the validation
/// time). Each (certificate, issuer) signature is verified at most once, and each leaf's path
/// built once, however many SignerInfos name it.
pub struct Paths<'a> {
    trust: &'a Trust,
    /// The trust's anchors at `at`.
    anchors: Vec<&'a Cert>,
    pool: &'a [Cert],
    at: Duration,
    /// `at` is a time a timestamp proves, not the current time.
    proven: bool,
    links: HashMap<(Vec<u8>, Vec<u8>), Link>,
    done: HashMap<Vec<u8>, PathCheck>,
}

impl<'a> Paths<'a> {
    /// Paths through `pool` (the certificates a signature carries) to `trust`'s anchors, every
    /// certificate checked at `at` (seconds since the Unix epoch).
    pub fn new(trust: &'a Trust, pool: &'a [Cert], at: Duration) -> Paths<'a> {
        Paths {
            trust,
            anchors: trust.anchors_at(at),
            pool,
            at,
            proven: false,
            links: HashMap::new(),
            done: HashMap::new(),
        }
    }

    /// The same paths checked at `at`, a time a verified timestamp proves the signature existed
    /// (ETSI EN 319 102-1 §5.6.2.1: the validation moves to that time).
    pub fn at_proven_time(&self, at: Duration) -> Paths<'a> {
        Paths {
            trust: self.trust,
            anchors: self.trust.anchors_at(at),
            pool: self.pool,
            at,
            proven: true,
            links: HashMap::new(),
            done: HashMap::new(),
        }
    }

    /// The trust anchors the paths lead to.
    pub fn trust(&self) -> &'a Trust {
        self.trust
    }

    /// The certificates the signature carries.
    pub(crate) fn pool(&self) -> &'a [Cert] {
        self.pool
    }

    /// The certificate (an anchor's or the signature's) whose key verifies `cert`'s signature
    /// and whose subject is `cert`'s issuer; `cert` itself when it is self-signed.
    pub(crate) fn issuer_of(&mut self, cert: &Cert) -> Option<Cert> {
        let issuer_name = cert.cert.tbs_certificate.issuer.clone();
        let named = |c: &&Cert| c.cert.tbs_certificate.subject == issuer_name;
        let candidates: Vec<Cert> = self
            .anchors
            .iter()
            .copied()
            .filter(named)
            .take(MAX_CANDIDATES)
            .chain(self.pool.iter().filter(named).take(MAX_CANDIDATES))
            .cloned()
            .collect();
        candidates.into_iter().find(|c| self.link(cert, c) == Link::Verified)
    }

    /// How `issuer`'s key verifies `cert`'s signature, memoised.
    fn link(&mut self, cert: &Cert, issuer: &Cert) -> Link {
        let key = (cert.der.clone(), issuer.der.clone());
        if let Some(l) = self.links.get(&key) {
            return l.clone();
        }
        let l = match signed_by(cert, issuer) {
            Ok(true) => Link::Verified,
            Ok(false) => Link::Broken,
            Err(alg) => Link::Unsupported(alg),
        };
        self.links.insert(key, l.clone());
        l
    }

    /// Checks the path from `leaf`, once per leaf.
    pub fn check(&mut self, leaf: &Cert) -> PathCheck {
        if let Some(done) = self.done.get(&leaf.der) {
            return done.clone();
        }
        let result = self.build(leaf);
        self.done.insert(leaf.der.clone(), result.clone());
        result
    }

    fn build(&mut self, leaf: &Cert) -> PathCheck {
        let mut problems = Vec::new();
        validity(leaf, self.at, self.proven, CertificateRole::Signer, &mut problems);
        let mut current = leaf.clone();
        for _ in 0..MAX_DEPTH {
            if self.anchors.iter().any(|a| a.der == current.der) {
                let service = self.trust.service_of(&current, self.at);
                return PathCheck { chain: Chain::Trusted(shown(&current.subject())), problems, service };
            }
            let issuer_name = current.cert.tbs_certificate.issuer.clone();
            let named = |c: &&Cert| c.cert.tbs_certificate.subject == issuer_name && c.der != current.der;
            let anchors: Vec<Cert> = self.anchors.iter().copied().filter(named).take(MAX_CANDIDATES).cloned().collect();
            let inner: Vec<Cert> = self.pool.iter().filter(named).take(MAX_CANDIDATES).cloned().collect();
            let mut broken: Option<Problem> = None;
            let mut found = None;
            for (candidate, is_anchor) in anchors.iter().map(|a| (a, true)).chain(inner.iter().map(|c| (c, false))) {
                match self.link(&current, candidate) {
                    Link::Verified => {
                        found = Some((candidate.clone(), is_anchor));
                        break;
                    }
                    Link::Broken => {
                        broken = Some(Problem::new(
                            SubIndication::CertificateChainGeneralFailure,
                            Reason::CertificateSignatureInvalid { subject: current.name(), issuer: candidate.name() },
                        ))
                    }
                    Link::Unsupported(e) => {
                        let sub = match e {
                            AlgError::Weak(_) => SubIndication::CryptoConstraintsFailureNoPoe,
                            AlgError::Unsupported(_) => SubIndication::CryptoConstraintsFailure,
                            AlgError::Key(_) | AlgError::Format(_) | AlgError::HashMismatch(..) => {
                                SubIndication::FormatFailure
                            }
                        };
                        broken = Some(Problem::new(
                            sub,
                            Reason::CertificateSignatureUnchecked { subject: current.name(), cause: e },
                        ))
                    }
                }
            }
            let Some((issuer, is_anchor)) = found else {
                return self.no_path(&current, broken, problems);
            };
            if weak_signature(&current) && !is_self_issued(&current) {
                problems.push(Problem::new(
                    SubIndication::CryptoConstraintsFailureNoPoe,
                    Reason::CertificateSha1(current.name()),
                ));
            }
            if is_anchor {
                validity(&issuer, self.at, self.proven, CertificateRole::Anchor, &mut problems);
                let service = self.trust.service_of(&issuer, self.at);
                return PathCheck { chain: Chain::Trusted(shown(&issuer.subject())), problems, service };
            }
            if !issuer.is_ca() {
                let why = Reason::NotCa(issuer.name());
                problems.push(Problem::new(SubIndication::CertificateChainGeneralFailure, why.clone()));
                return PathCheck { chain: Chain::Untrusted(why), problems, service: None };
            }
            validity(&issuer, self.at, self.proven, CertificateRole::Ca, &mut problems);
            current = issuer;
        }
        let why = Reason::ChainTooLong;
        problems.push(Problem::new(SubIndication::CertificateChainGeneralFailure, why.clone()));
        PathCheck { chain: Chain::Untrusted(why), problems, service: None }
    }

    /// The outcome when no issuer of `current` verifies it.
    fn no_path(&mut self, current: &Cert, broken: Option<Problem>, mut problems: Vec<Problem>) -> PathCheck {
        if let Some(p) = broken {
            let why = (*p.reason).clone();
            problems.push(p);
            return PathCheck { chain: Chain::Untrusted(why), problems, service: None };
        }
        if is_self_issued(current) && self.link(current, current) == Link::Broken {
            let why = Reason::SelfSignedInvalid(current.name());
            problems.push(Problem::new(SubIndication::CertificateChainGeneralFailure, why.clone()));
            return PathCheck { chain: Chain::Untrusted(why), problems, service: None };
        }
        if self.trust.is_empty() {
            problems.push(Problem::new(SubIndication::NoCertificateChainFound, Reason::NoTrustAnchors));
            return PathCheck { chain: Chain::NotChecked, problems, service: None };
        }
        let why = if let Some(w) = self.trust.withdrawn_service(&current.cert.tbs_certificate.issuer, self.at) {
            w
        } else if is_self_issued(current) {
            Reason::SelfSignedUntrusted(current.name())
        } else {
            Reason::IssuerUntrusted(name_of(&current.cert.tbs_certificate.issuer))
        };
        problems.push(Problem::new(SubIndication::NoCertificateChainFound, why.clone()));
        PathCheck { chain: Chain::Untrusted(why), problems, service: None }
    }
}

/// The common name of `name` (X.520 commonName), or the whole name without one.
fn name_of(name: &x509_cert::name::Name) -> String {
    const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    crate::identity::attribute(name, COMMON_NAME).unwrap_or_else(|| crate::identity::name_text(name))
}

/// Whether `cert` names itself as its issuer.
fn is_self_issued(cert: &Cert) -> bool {
    cert.cert.tbs_certificate.issuer == cert.cert.tbs_certificate.subject
}

/// Whether `cert` is signed with SHA-1.
fn weak_signature(cert: &Cert) -> bool {
    algorithms::named_hash(&cert.cert.signature_algorithm) == Ok(Some(HashAlg::Sha1))
}

/// Adds a problem when `cert` is not valid at `at` (RFC 5280 §4.1.2.5): expired, without
/// proof that the signature existed before (OUT_OF_BOUNDS_NO_POE), or not yet valid.
/// `proven`: `at` is the time a verified timestamp proves, not the current time.
fn validity(cert: &Cert, at: Duration, proven: bool, role: CertificateRole, problems: &mut Vec<Problem>) {
    let v = &cert.cert.tbs_certificate.validity;
    let subject = cert.name();
    if at > v.not_after.to_unix_duration() {
        let date = v.not_after.to_string();
        problems.push(Problem::new(SubIndication::OutOfBoundsNoPoe, Reason::Expired { role, subject, date, proven }));
    } else if at < v.not_before.to_unix_duration() {
        let date = v.not_before.to_string();
        problems.push(Problem::new(SubIndication::NotYetValid, Reason::NotYetValid { role, subject, date }));
    }
}

/// Whether `issuer`'s key verifies `cert`'s signature; `Err` says why it could not be checked
/// (a weak or unsupported algorithm, a key that cannot be loaded), in words.
fn signed_by(cert: &Cert, issuer: &Cert) -> std::result::Result<bool, AlgError> {
    let Ok(tbs) = cert.cert.tbs_certificate.to_der() else { return Ok(false) };
    let Some(sig) = cert.cert.signature.as_bytes() else { return Ok(false) };
    algorithms::verify(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        &cert.cert.signature_algorithm,
        None,
        algorithms::Input::Message(&tbs),
        sig,
    )
}
