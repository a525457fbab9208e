//! Verification of CMS signatures (RFC 5652 §5.4, §5.6) as CAdES-BES (ETSI EN 319 122-1 §5.2):
//! for each SignerInfo, the content digest against message-digest, content-type,
//! signing-certificate(-v2) against the certificate included, the RSA signature over the signed
//! attributes, the certificate's validity at the signing time and, when trust anchors are
//! given, the path to one of them. PDF signatures reuse this through [`crate::pades`].

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, SystemTime};

use cie_core::sign::HashAlg;
use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::time::Time;

pub use crate::ber::Encoding;
use crate::cades::{encapsulated_content, parse_signed_data, read_signed_data, OID_RSA_ENCRYPTION};
use crate::chain::{self, Cert, Chain, Trust};
use crate::digest;
pub use crate::envelope::WALK_BUFFER;
use crate::ess::{
    self, IssuerSerial, SigningCertificateV2, OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_CERTIFICATE,
    OID_SIGNING_CERTIFICATE_V2, OID_SIGNING_TIME,
};
use crate::identity::{identity, Identity};
use crate::progress::{Progress, Silent};
use crate::verdict::{shown, verdict, Indication, Problem, SubIndication};
use crate::{Error, Result};

/// What was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A `.p7m` with the content inside.
    Enveloping,
    /// A detached CMS signature, checked against a separate content file.
    Detached,
    /// A PDF with PAdES (or PKCS#7) signatures.
    Pdf,
}

/// The verdict on one signature.
#[derive(Clone, Debug)]
pub struct SignatureReport {
    /// The PDF signature field's name (PDF only).
    pub field: Option<String>,
    /// The signer, from the certificate.
    pub signer: Option<Identity>,
    /// The digest algorithm.
    pub hash: Option<HashAlg>,
    /// The signing time claimed by the signer (signing-time attribute, or a PDF's /M).
    pub signing_time: Option<der::DateTime>,
    /// Whether the signature carries the CAdES signing-certificate(-v2) attribute.
    pub cades: bool,
    /// Why the signature did not pass; empty when it is TOTAL-PASSED.
    pub problems: Vec<Problem>,
    /// Observations that do not invalidate it.
    pub notes: Vec<String>,
    /// The certificate path check.
    pub chain: Chain,
    /// PDF only: whether the signature covers the whole file (no later incremental update).
    pub covers_whole_document: Option<bool>,
    /// PDF only: the signature dictionary's /Reason, as the signed revision holds it, made safe
    /// to show ([`crate::verdict::shown`]).
    pub reason: Option<String>,
    /// PDF only: /Location, likewise.
    pub location: Option<String>,
    /// PDF only: /Name (the signer's name as the signing software wrote it), likewise.
    pub signer_name: Option<String>,
    /// How the CMS signature is encoded (DER, or BER read as X.690 allows).
    pub encoding: Encoding,
}

impl SignatureReport {
    fn new(field: Option<String>) -> SignatureReport {
        SignatureReport {
            field,
            signer: None,
            hash: None,
            signing_time: None,
            cades: false,
            problems: Vec::new(),
            notes: Vec::new(),
            chain: Chain::NotChecked,
            covers_whole_document: None,
            reason: None,
            location: None,
            signer_name: None,
            encoding: Encoding::Der,
        }
    }

    /// A report for a signature that could not even be read.
    pub(crate) fn unreadable(field: Option<String>, problem: Problem) -> SignatureReport {
        let mut r = SignatureReport::new(field);
        r.problems.push(problem);
        r
    }

    /// Escapes every text of the report that may quote the document.
    fn make_printable(&mut self) {
        if let Some(f) = self.field.as_mut() {
            *f = shown(f);
        }
        if let Some(who) = self.signer.as_mut() {
            who.name = shown(&who.name);
            who.subject = shown(&who.subject);
            who.issuer = shown(&who.issuer);
            who.fiscal_code = who.fiscal_code.as_deref().map(shown);
        }
        for p in &mut self.problems {
            p.message = shown(&p.message);
        }
        for n in &mut self.notes {
            *n = shown(n);
        }
        self.chain = match &self.chain {
            Chain::Trusted(a) => Chain::Trusted(shown(a)),
            Chain::Untrusted(w) => Chain::Untrusted(shown(w)),
            Chain::NotChecked => Chain::NotChecked,
        };
    }

    /// Records a reason the signature does not pass.
    pub(crate) fn fail(&mut self, sub: SubIndication, message: impl Into<String>) {
        self.problems.push(Problem::new(sub, message));
    }

    /// The verdict on this signature (ETSI EN 319 102-1 §5.1.3).
    pub fn indication(&self) -> Indication {
        verdict(&self.problems).0
    }

    /// Why it did not pass: the sub-indication of its first problem of the worst kind.
    pub fn sub_indication(&self) -> Option<SubIndication> {
        verdict(&self.problems).1
    }

    /// TOTAL-PASSED: intact, well-formed, trusted and valid at the validation time.
    pub fn is_valid(&self) -> bool {
        self.indication() == Indication::TotalPassed
    }
}

/// The verdict on a document.
#[derive(Clone, Debug)]
pub struct Report {
    /// What kind of document.
    pub kind: DocumentKind,
    /// One entry per signature, in the document's order.
    pub signatures: Vec<SignatureReport>,
    /// PDF only: the changes after the last signed revision that the signatures do not
    /// permit, in plain words; any makes the document TOTAL-FAILED / MODIFIED_AFTER_SIGNING.
    pub modifications: Vec<String>,
}

impl Report {
    /// A report of `kind` with these signatures and no modification.
    /// A report of `kind` with these signatures and no modification. Every text that may
    /// quote the document (names, subjects, fields, problems, notes) is made safe to print
    /// ([`crate::verdict::shown`]).
    pub fn new(kind: DocumentKind, mut signatures: Vec<SignatureReport>) -> Report {
        for s in &mut signatures {
            s.make_printable();
        }
        Report { kind, signatures, modifications: Vec::new() }
    }

    /// The document's verdict: TOTAL-FAILED when it was modified after signing or a signature
    /// failed, INDETERMINATE when a signature is, or when there is no signature at all;
    /// TOTAL-PASSED when every signature passed.
    pub fn indication(&self) -> Indication {
        self.verdict().0
    }

    /// The sub-indication of the document's verdict.
    pub fn sub_indication(&self) -> Option<SubIndication> {
        self.verdict().1
    }

    fn verdict(&self) -> (Indication, Option<SubIndication>) {
        if !self.modifications.is_empty() {
            return (Indication::TotalFailed, Some(SubIndication::ModifiedAfterSigning));
        }
        if self.signatures.is_empty() {
            return (Indication::Indeterminate, Some(SubIndication::SignedDataNotFound));
        }
        let worst = self.signatures.iter().max_by_key(|s| s.indication());
        worst.map_or((Indication::TotalPassed, None), |s| (s.indication(), s.sub_indication()))
    }

    /// True when the document is TOTAL-PASSED: at least one signature, every one TOTAL-PASSED,
    /// no modification after signing.
    pub fn all_valid(&self) -> bool {
        self.indication() == Indication::TotalPassed
    }
}

/// SigningCertificate (RFC 2634 §5.4; ESSCertID with a SHA-1 hash).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV1 {
    certs: Vec<EssCertIdV1>,
    #[asn1(optional = "true")]
    policies: Option<Vec<der::asn1::Any>>,
}

/// ESSCertID (RFC 2634 §5.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV1 {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// The hash named by a SignerInfo's signature algorithm, `None` for plain rsaEncryption
/// (RFC 3370 §3.2, RFC 4055 §5); an error for algorithms not handled (PSS, ECDSA...).
fn signature_hash(oid: &ObjectIdentifier) -> std::result::Result<Option<HashAlg>, String> {
    if *oid == OID_RSA_ENCRYPTION {
        return Ok(None);
    }
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.5" => Ok(Some(HashAlg::Sha1)),
        "1.2.840.113549.1.1.14" => Ok(Some(HashAlg::Sha224)),
        "1.2.840.113549.1.1.11" => Ok(Some(HashAlg::Sha256)),
        "1.2.840.113549.1.1.12" => Ok(Some(HashAlg::Sha384)),
        "1.2.840.113549.1.1.13" => Ok(Some(HashAlg::Sha512)),
        other => Err(format!("signature algorithm {other} is not supported (RSA PKCS#1 v1.5 only)")),
    }
}

/// The certificate a SignerInfo names (RFC 5652 §5.3 sid).
fn find_certificate<'a>(certs: &'a [Cert], sid: &SignerIdentifier) -> Option<&'a Cert> {
    certs.iter().find(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            c.cert.tbs_certificate.issuer == isn.issuer && c.cert.tbs_certificate.serial_number == isn.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c.cert.tbs_certificate.extensions.iter().flatten().any(|e| {
            e.extn_id == ObjectIdentifier::new_unwrap("2.5.29.14")
                && SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok().as_ref() == Some(ski)
        }),
    })
}

/// Checks one ESSCertID(v2) against the signer's certificate.
fn check_cert_id(
    hash: HashAlg,
    cert_hash: &OctetString,
    issuer_serial: Option<&IssuerSerial>,
    cert: &Cert,
) -> std::result::Result<(), String> {
    if hash.hash(&cert.der) != cert_hash.as_bytes() {
        return Err("the signing-certificate attribute names another certificate (hash differs)".into());
    }
    if let Some(is) = issuer_serial {
        if is.serial_number != cert.cert.tbs_certificate.serial_number {
            return Err("the signing-certificate attribute names another serial number".into());
        }
    }
    Ok(())
}

/// Checks the signed attributes of `si` (RFC 5652 §5.3, §11; RFC 5035 §3) and fills in the
/// report; returns the DER the signature covers.
fn check_attributes(
    sd: &SignedData,
    si: &SignerInfo,
    cert: &Cert,
    content_digest: &[u8],
    report: &mut SignatureReport,
) -> Result<Option<Vec<u8>>> {
    let Some(attrs) = &si.signed_attrs else {
        report.notes.push("no signed attributes: a plain PKCS#7 signature, not CAdES".into());
        return Ok(None);
    };
    let mut problem = |p: String| report.fail(SubIndication::FormatFailure, p);
    match ess::single_value(attrs, OID_CONTENT_TYPE) {
        Ok(Some(v)) => match v.decode_as::<ObjectIdentifier>() {
            Ok(oid) if oid == sd.encap_content_info.econtent_type => {}
            _ => problem("the content-type attribute does not match the content".into()),
        },
        Ok(None) => problem("the content-type signed attribute is missing".into()),
        Err(e) => problem(e),
    }
    match ess::single_value(attrs, OID_MESSAGE_DIGEST) {
        Ok(Some(v)) => match v.decode_as::<OctetString>() {
            Ok(d) if d.as_bytes() == content_digest => {}
            Ok(_) => report
                .fail(SubIndication::HashFailure, "the content was modified: its digest differs from the signed one"),
            Err(_) => problem("the message-digest attribute is malformed".into()),
        },
        Ok(None) => problem("the message-digest signed attribute is missing".into()),
        Err(e) => problem(e),
    }
    match ess::single_value(attrs, OID_SIGNING_TIME) {
        Ok(Some(v)) => match Time::from_der(&v.to_der()?) {
            Ok(t) => report.signing_time = Some(t.to_date_time()),
            Err(_) => report.fail(SubIndication::FormatFailure, "the signing-time attribute is malformed"),
        },
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    match ess::single_value(attrs, OID_SIGNING_CERTIFICATE_V2) {
        Ok(Some(v)) => {
            report.cades = true;
            let checked = v.decode_as::<SigningCertificateV2>().map_err(|e| e.to_string()).and_then(|sc| {
                let id = sc.certs.first().ok_or("the signing-certificate-v2 attribute is empty")?;
                let hash = match &id.hash_algorithm {
                    None => HashAlg::Sha256,
                    Some(a) => HashAlg::from_oid(&a.oid).ok_or(format!("hash {} not supported", a.oid))?,
                };
                check_cert_id(hash, &id.cert_hash, id.issuer_serial.as_ref(), cert)
            });
            if let Err(e) = checked {
                report.fail(SubIndication::NoSigningCertificateFound, format!("signing-certificate-v2: {e}"));
            }
        }
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    match ess::single_value(attrs, OID_SIGNING_CERTIFICATE) {
        Ok(Some(v)) => {
            report.cades = true;
            let checked = v.decode_as::<SigningCertificateV1>().map_err(|e| e.to_string()).and_then(|sc| {
                let id = sc.certs.first().ok_or("the signing-certificate attribute is empty")?;
                check_cert_id(HashAlg::Sha1, &id.cert_hash, id.issuer_serial.as_ref(), cert)
            });
            if let Err(e) = checked {
                report.fail(SubIndication::NoSigningCertificateFound, format!("signing-certificate: {e}"));
            }
        }
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    if !report.cades {
        report.notes.push("no signing-certificate(-v2) attribute: a CMS signature, not CAdES-BES".into());
    }
    Ok(Some(attrs.to_der()?))
}

/// Most SignerInfos read from one signature.
pub const MAX_SIGNER_INFOS: usize = 64;
/// Most certificates read from one signature.
pub const MAX_CERTIFICATES: usize = 128;

/// Refuses a SignedData with more SignerInfos or certificates than a verification reads.
pub(crate) fn check_limits(sd: &SignedData) -> Result<()> {
    let infos = sd.signer_infos.0.len();
    if infos > MAX_SIGNER_INFOS {
        return Err(Error::Limit(format!(
            "the signature has {infos} signers; at most {MAX_SIGNER_INFOS} are verified"
        )));
    }
    let certs = sd.certificates.as_ref().map_or(0, |s| s.0.len());
    if certs > MAX_CERTIFICATES {
        return Err(Error::Limit(format!(
            "the signature carries {certs} certificates; at most {MAX_CERTIFICATES} are read"
        )));
    }
    Ok(())
}

/// The current time, the validation time of every check (no timestamp is verified yet).
fn now() -> Duration {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or(Duration::ZERO)
}

/// Verifies every SignerInfo of `sd` (RFC 5652 §5.6; ETSI EN 319 102-1 §5.2-§5.6);
/// `content_digest(alg)` hashes the signed content, called once per algorithm.
/// `claimed_time` is the signing time stated outside the CMS (a PDF's /M), shown when the
/// signature has no signing-time attribute. Certificates are checked at the current time:
/// a claimed time is a claim, not a proof (ETSI EN 319 102-1 §5.6.2.1).
pub(crate) fn verify_signed_data(
    sd: &SignedData,
    content_digest: &mut dyn FnMut(HashAlg) -> Result<Vec<u8>>,
    trust: &Trust,
    claimed_time: Option<der::DateTime>,
    field: Option<String>,
) -> Result<Vec<SignatureReport>> {
    check_limits(sd)?;
    let mut certs = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let CertificateChoices::Certificate(c) = c {
            certs.push(Cert::from_cert(c.clone())?);
        }
    }
    let mut paths = chain::Paths::new(trust, &certs, now());
    let mut digests: HashMap<HashAlg, Vec<u8>> = HashMap::new();
    let mut reports = Vec::new();
    for si in sd.signer_infos.0.iter() {
        let mut report = SignatureReport::new(field.clone());
        let Some(cert) = find_certificate(&certs, &si.sid) else {
            report.fail(
                SubIndication::NoSigningCertificateFound,
                "the signer's certificate is not included in the signature",
            );
            reports.push(report);
            continue;
        };
        report.signer = Some(identity(&cert.cert));
        let Some(alg) = HashAlg::from_oid(&si.digest_alg.oid) else {
            report.fail(
                SubIndication::CryptoConstraintsFailure,
                format!("digest algorithm {} is not supported", si.digest_alg.oid),
            );
            reports.push(report);
            continue;
        };
        report.hash = Some(alg);
        let d = match digests.get(&alg) {
            Some(d) => d.clone(),
            None => {
                let d = content_digest(alg)?;
                digests.insert(alg, d.clone());
                d
            }
        };
        let signed = check_attributes(sd, si, cert, &d, &mut report)?;
        match signature_hash(&si.signature_algorithm.oid) {
            Ok(Some(h)) if h != alg => {
                report.fail(SubIndication::FormatFailure, "signature and digest algorithms disagree")
            }
            Ok(_) => {
                let digest_info = match &signed {
                    Some(attrs) => cie_core::sign::digest_info_of(alg, attrs),
                    None => cie_core::sign::digest_info(alg, &d)?,
                };
                let ok = cie_core::certificate::public_key(&cert.der)
                    .and_then(|k| cie_core::certificate::verify_digest_info(&k, &digest_info, si.signature.as_bytes()));
                if ok.is_err() {
                    report.fail(
                        SubIndication::SigCryptoFailure,
                        "the signature does not verify with the signer's certificate",
                    );
                }
            }
            Err(e) => report.fail(SubIndication::CryptoConstraintsFailure, e),
        }
        if alg == HashAlg::Sha1 {
            report.fail(
                SubIndication::CryptoConstraintsFailureNoPoe,
                "weak algorithm: SHA-1 is no longer accepted for signatures made after 2011-01-01, \
                 and nothing proves this one is older",
            );
        }
        if report.signing_time.is_none() {
            report.signing_time = claimed_time;
        }
        let path = paths.check(cert);
        report.chain = path.chain;
        report.problems.extend(path.problems);
        report.notes.push("revocation was not checked".into());
        reports.push(report);
    }
    Ok(reports)
}

/// Compares `supplied` with the content inside the signature, chunk by chunk.
struct SameContent<'a> {
    supplied: &'a mut dyn Read,
    buf: Vec<u8>,
    differs: bool,
}

impl<'a> SameContent<'a> {
    fn new(supplied: &'a mut dyn Read) -> SameContent<'a> {
        SameContent { supplied, buf: vec![0u8; digest::CHUNK], differs: false }
    }

    /// Feeds the next chunk of the signature's content.
    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if self.differs {
            return Ok(());
        }
        let mut at = 0;
        while at < chunk.len() {
            let want = (chunk.len() - at).min(self.buf.len());
            let n = self.supplied.read(&mut self.buf[..want])?;
            if n == 0 || self.buf[..n] != chunk[at..at + n] {
                self.differs = true;
                return Ok(());
            }
            at += n;
        }
        Ok(())
    }

    /// Fails unless the supplied content ended exactly with the signature's.
    fn finish(mut self, what: &str) -> Result<()> {
        if !self.differs {
            let mut one = [0u8; 1];
            self.differs = self.supplied.read(&mut one)? != 0;
        }
        if self.differs {
            return Err(Error::ContentMismatch(format!(
                "the content given{what} differs from the content inside the signature: the signature does not cover it"
            )));
        }
        Ok(())
    }
}

/// Verifies an enveloping DER `.p7m` streaming (the content is hashed from the file, never
/// held in memory); `None` when the signature is detached.
pub fn verify_enveloping_file<R: Read + std::io::Seek>(p7m: &mut R, trust: &Trust) -> Result<Option<Report>> {
    verify_enveloping_file_against(p7m, None, trust, &mut Silent)
}

/// As [`verify_enveloping_file`]; when `supplied` content is given it must be byte for byte the
/// content inside the signature, otherwise [`Error::ContentMismatch`]. The content's bytes
/// hashed are reported to `progress` (the total: the content's length).
pub fn verify_enveloping_file_against<R: Read + std::io::Seek>(
    p7m: &mut R,
    supplied: Option<&mut dyn Read>,
    trust: &Trust,
    progress: &mut dyn Progress,
) -> Result<Option<Report>> {
    let Some(layout) = crate::envelope::layout(p7m)? else {
        return Ok(None);
    };
    let sd = parse_signed_data(&layout.without_content)?;
    check_limits(&sd)?;
    let mut hashers: Vec<(HashAlg, digest::Hasher)> = Vec::new();
    for a in sd.signer_infos.0.iter().filter_map(|s| HashAlg::from_oid(&s.digest_alg.oid)) {
        if !hashers.iter().any(|(b, _)| *b == a) {
            hashers.push((a, digest::Hasher::new(a)));
        }
    }
    let mut same = supplied.map(SameContent::new);
    progress.total(layout.content_len);
    let mut feed = |chunk: &[u8]| {
        progress.advance(chunk.len() as u64);
        for (_, h) in hashers.iter_mut() {
            h.update(chunk);
        }
        match same.as_mut() {
            Some(s) => s.feed(chunk),
            None => Ok(()),
        }
    };
    crate::envelope::walk_content(p7m, &layout, &mut feed)?;
    if let Some(s) = same {
        s.finish("")?;
    }
    let digests: HashMap<HashAlg, Vec<u8>> = hashers.into_iter().map(|(a, h)| (a, h.finish())).collect();
    let mut lookup =
        |alg: HashAlg| digests.get(&alg).cloned().ok_or_else(|| Error::Unsupported("digest algorithm".into()));
    let mut signatures = verify_signed_data(&sd, &mut lookup, trust, None, None)?;
    for s in &mut signatures {
        s.encoding = layout.encoding;
    }
    Ok(Some(Report::new(DocumentKind::Enveloping, signatures)))
}

/// Verifies a `.p7m`: enveloping, or detached with its content in `content`. Content given
/// for an enveloping signature must be byte for byte the content inside it, otherwise
/// [`Error::ContentMismatch`].
pub fn verify_p7m(p7m: &[u8], content: Option<&mut dyn Read>, trust: &Trust) -> Result<Report> {
    let (sd, encoding) = read_signed_data(p7m)?;
    check_limits(&sd)?;
    let attached = encapsulated_content(&sd)?;
    let (kind, mut signatures) = match (attached, content) {
        (Some(inside), supplied) => {
            if let Some(reader) = supplied {
                let mut same = SameContent::new(reader);
                for chunk in inside.chunks(digest::CHUNK) {
                    same.feed(chunk)?;
                }
                same.finish("")?;
            }
            let r = verify_signed_data(&sd, &mut |alg| Ok(alg.hash(inside)), trust, None, None)?;
            (DocumentKind::Enveloping, r)
        }
        (None, Some(reader)) => {
            // Hash the content once per algorithm in use, streaming.
            let mut hashers: Vec<(HashAlg, digest::Hasher)> = Vec::new();
            for a in sd.signer_infos.0.iter().filter_map(|s| HashAlg::from_oid(&s.digest_alg.oid)) {
                if !hashers.iter().any(|(b, _)| *b == a) {
                    hashers.push((a, digest::Hasher::new(a)));
                }
            }
            let mut buf = vec![0u8; digest::CHUNK];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                for (_, h) in hashers.iter_mut() {
                    h.update(&buf[..n]);
                }
            }
            let digests: HashMap<HashAlg, Vec<u8>> = hashers.into_iter().map(|(a, h)| (a, h.finish())).collect();
            let mut lookup =
                |alg: HashAlg| digests.get(&alg).cloned().ok_or_else(|| Error::Unsupported("digest algorithm".into()));
            (DocumentKind::Detached, verify_signed_data(&sd, &mut lookup, trust, None, None)?)
        }
        (None, None) => {
            return Err(Error::Unsupported(
                "a detached signature: give the signed content too (cie verify FILE.p7s --content DATA)".into(),
            ))
        }
    };
    for s in &mut signatures {
        s.encoding = encoding;
    }
    Ok(Report::new(kind, signatures))
}
