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

use crate::algorithms;
use crate::archive::{self, ArchiveContent, ContentFeed, HashIndex, Imprints, RawAttribute, RawSignerInfo};
pub use crate::ber::Encoding;
use crate::cades::{encapsulated_content, parse_signed_data, read_signed_data};
use crate::chain::{self, Cert, Chain, Trust};
use crate::change::Modification;
use crate::digest;
pub use crate::envelope::WALK_BUFFER;
use crate::ess::{
    self, IssuerSerial, SigningCertificateV2, OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_CERTIFICATE,
    OID_SIGNING_CERTIFICATE_V2, OID_SIGNING_TIME,
};
pub use crate::evidence::{Evidence, EvidenceKind, EvidenceOrigin, Status as RevocationStatus};
use crate::identity::{identity, Identity};
use crate::progress::{Progress, Silent};
use crate::qualified::Qualification;
use crate::reason::{HashIndexProblem, Reason};
use crate::revocation_check::{check_path, Sources, Weighing};
use crate::timestamp::{
    is_tsa_certificate, TimestampKind, TimestampReport, TstInfo, MAX_TIMESTAMPS, OID_CT_TSTINFO,
    OID_SIGNATURE_TIME_STAMP,
};
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
    /// Where the signature is (docs/VERIFY.md "Levels"): `1`, `2` for the signers of the
    /// document, `1.1` for a countersignature of signature 1, `1/2` for signature 2 of the
    /// signed document inside the envelope.
    pub level: String,
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
    /// Observations that do not invalidate it ([`Reason::text`] tells each in a language).
    pub notes: Vec<Reason>,
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
    /// The encoding of the signed attributes the signature value verified on; `None` when
    /// there are none or it did not verify.
    pub signed_attributes: Option<AttributesForm>,
    /// How the CMS signature is encoded (DER, or BER read as X.690 allows).
    pub encoding: Encoding,
    /// The signature's timestamps (RFC 3161 tokens in its unsigned attributes), each verified;
    /// for a PDF document timestamp, the timestamp itself.
    pub timestamps: Vec<TimestampReport>,
    /// PDF only: this is a document timestamp (/SubFilter /ETSI.RFC3161), not a signature; its
    /// verdict is the timestamp's, its signer the TSA.
    pub document_timestamp: bool,
    /// The revocation data about the signer's certificate and its CAs, each piece checked
    /// (docs/VERIFY.md "Revocation").
    pub revocation: Vec<Evidence>,
    /// What the signer's certificate and the trusted lists make of the signature if it passes
    /// (docs/VERIFY.md "Trusted lists"); `None` when no trusted list is used. Read it through
    /// [`SignatureReport::qualification`], which also weighs the verdict.
    pub qualified_basis: Option<Qualification>,
}

impl SignatureReport {
    fn new(field: Option<String>) -> SignatureReport {
        SignatureReport {
            level: "1".into(),
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
            signed_attributes: None,
            encoding: Encoding::Der,
            timestamps: Vec::new(),
            document_timestamp: false,
            revocation: Vec::new(),
            qualified_basis: None,
        }
    }

    /// The report of a PDF document timestamp (its verdict, TSA and chain are the token's).
    pub(crate) fn of_document_timestamp(field: Option<String>, t: TimestampReport) -> SignatureReport {
        let mut r = SignatureReport::new(field);
        r.document_timestamp = true;
        r.signer = t.tsa.clone();
        r.chain = t.chain.clone();
        r.problems = t.problems.clone();
        r.timestamps.push(t);
        r
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
            who.make_printable();
        }
        for p in &mut self.problems {
            p.message = shown(&p.message);
        }
        for t in &mut self.timestamps {
            t.make_printable();
        }
        for e in &mut self.revocation {
            e.make_printable();
        }
        self.chain = self.chain.shown();
    }

    /// Records a reason the signature does not pass.
    pub(crate) fn fail(&mut self, sub: SubIndication, reason: Reason) {
        self.problems.push(Problem::new(sub, reason));
    }

    /// The level of the signature this one countersigns, `None` unless it is a countersignature.
    pub fn countersigns(&self) -> Option<&str> {
        let own = self.level.rsplit('/').next().unwrap_or(&self.level);
        own.contains('.').then(|| self.level.rsplit_once('.').map_or("", |(parent, _)| parent))
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

    /// Whether it is a qualified electronic signature (only when TOTAL-PASSED), and if not
    /// what it lacks; `None` when no trusted list is used.
    pub fn qualification(&self) -> Option<Qualification> {
        let basis = self.qualified_basis.clone()?;
        Some(if self.is_valid() { basis } else { Qualification::NotValid })
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
    /// permit ([`Modification::text`] tells each in a language); any makes the document
    /// TOTAL-FAILED / MODIFIED_AFTER_SIGNING.
    pub modifications: Vec<Modification>,
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
    v2: bool,
) -> std::result::Result<(), Reason> {
    if hash.hash(&cert.der) != cert_hash.as_bytes() {
        return Err(Reason::SigningCertificateOther { v2 });
    }
    if let Some(is) = issuer_serial {
        if is.serial_number != cert.cert.tbs_certificate.serial_number {
            return Err(Reason::SigningCertificateOtherSerial { v2 });
        }
    }
    Ok(())
}

/// Checks the signed attributes of `si` (RFC 5652 §5.3, §11; RFC 5035 §3) and fills in the
/// report; returns the DER the signature covers.
fn check_attributes(
    content_type: Option<&ObjectIdentifier>,
    si: &SignerInfo,
    cert: &Cert,
    content_digest: &[u8],
    report: &mut SignatureReport,
) -> Result<Option<Vec<u8>>> {
    let Some(attrs) = &si.signed_attrs else {
        report.notes.push(Reason::NoSignedAttributes);
        return Ok(None);
    };
    let mut problem = |p: Reason| report.fail(SubIndication::FormatFailure, p);
    match (ess::single_value(attrs, OID_CONTENT_TYPE), content_type) {
        (Ok(Some(v)), Some(expected)) => match v.decode_as::<ObjectIdentifier>() {
            Ok(oid) if oid == *expected => {}
            _ => problem(Reason::ContentTypeMismatch),
        },
        (Ok(None), Some(_)) => problem(Reason::ContentTypeMissing),
        (Ok(Some(_)), None) => problem(Reason::ContentTypeInCountersignature),
        (Ok(None), None) => {}
        (Err(e), _) => problem(e),
    }
    match ess::single_value(attrs, OID_MESSAGE_DIGEST) {
        Ok(Some(v)) => match v.decode_as::<OctetString>() {
            Ok(d) if d.as_bytes() == content_digest => {}
            Ok(_) => report.fail(SubIndication::HashFailure, Reason::ContentAltered),
            Err(_) => problem(Reason::MessageDigestMalformed),
        },
        Ok(None) => problem(Reason::MessageDigestMissing),
        Err(e) => problem(e),
    }
    match ess::single_value(attrs, OID_SIGNING_TIME) {
        Ok(Some(v)) => {
            match Time::from_der(&v.to_der()?).map(|t| t.to_date_time()).or_else(|_| utc_time_with_offset(v)) {
                Ok(t) => report.signing_time = Some(t),
                Err(_) => report.fail(SubIndication::FormatFailure, Reason::SigningTimeMalformed),
            }
        }
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    match ess::single_value(attrs, OID_SIGNING_CERTIFICATE_V2) {
        Ok(Some(v)) => {
            report.cades = true;
            let v2 = true;
            let checked = v.decode_as::<SigningCertificateV2>().map_err(|_| Reason::SigningCertificateMalformed { v2 });
            let checked = checked.and_then(|sc| {
                let id = sc.certs.first().ok_or(Reason::SigningCertificateEmpty { v2 })?;
                let hash = match &id.hash_algorithm {
                    None => HashAlg::Sha256,
                    Some(a) => HashAlg::from_oid(&a.oid).ok_or_else(|| {
                        Reason::SigningCertificateHash(
                            algorithms::weak_digest(&a.oid)
                                .unwrap_or_else(|| crate::reason::Algorithm::UnknownDigest(a.oid.to_string())),
                        )
                    })?,
                };
                check_cert_id(hash, &id.cert_hash, id.issuer_serial.as_ref(), cert, v2)
            });
            if let Err(e) = checked {
                report.fail(SubIndication::NoSigningCertificateFound, e);
            }
        }
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    match ess::single_value(attrs, OID_SIGNING_CERTIFICATE) {
        Ok(Some(v)) => {
            report.cades = true;
            let v2 = false;
            let checked = v.decode_as::<SigningCertificateV1>().map_err(|_| Reason::SigningCertificateMalformed { v2 });
            let checked = checked.and_then(|sc| {
                let id = sc.certs.first().ok_or(Reason::SigningCertificateEmpty { v2 })?;
                check_cert_id(HashAlg::Sha1, &id.cert_hash, id.issuer_serial.as_ref(), cert, v2)
            });
            if let Err(e) = checked {
                report.fail(SubIndication::NoSigningCertificateFound, e);
            }
        }
        Ok(None) => {}
        Err(e) => report.fail(SubIndication::FormatFailure, e),
    }
    if !report.cades {
        report.notes.push(Reason::NotCades);
    }
    Ok(Some(attrs.to_der()?))
}

/// The signed attributes RFC 5652 §11 and RFC 5035 §3 want at most once in a SignerInfo.
const SINGLE_SIGNED_ATTRIBUTES: [(ObjectIdentifier, &str); 5] = [
    (OID_CONTENT_TYPE, "content-type"),
    (OID_MESSAGE_DIGEST, "message-digest"),
    (OID_SIGNING_TIME, "signing-time"),
    (OID_SIGNING_CERTIFICATE, "signing-certificate"),
    (OID_SIGNING_CERTIFICATE_V2, "signing-certificate-v2"),
];

/// id-aa-ets-contentTimestamp (ETSI EN 319 122-1 §5.2.8), named in notes.
const OID_CONTENT_TIME_STAMP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.20");

/// Checks the signed attributes as received (`raw`, a SET) for attributes written more than
/// once: one RFC 5652 §11 wants single fails the signature (the decoded form holds it once, so
/// this is where a copy is seen); an identical copy of another (esig/dss's copied content
/// timestamp, read by DSS and OpenSSL) is noted, the signature covering both as written.
fn repeated_signed_attributes(raw: &[u8], report: &mut SignatureReport) {
    let Ok(attrs) = crate::signer_infos::attributes(raw) else { return };
    for (oid, name) in SINGLE_SIGNED_ATTRIBUTES {
        let n = attrs.iter().filter(|(o, _, _)| *o == oid).count();
        let values: usize = attrs.iter().filter(|(o, _, _)| *o == oid).map(|(_, v, _)| v).sum();
        if n > 1 || values > 1 {
            report.fail(SubIndication::FormatFailure, Reason::SignedAttributeRepeated(name.to_string()));
        }
    }
    for (i, (oid, _, der)) in attrs.iter().enumerate() {
        let copies = attrs.iter().filter(|(_, _, d)| d == der).count();
        let first = attrs.iter().position(|(_, _, d)| d == der) == Some(i);
        if copies > 1 && first && !SINGLE_SIGNED_ATTRIBUTES.iter().any(|(o, _)| o == oid) {
            let name = if *oid == OID_CONTENT_TIME_STAMP { "content-time-stamp".to_owned() } else { oid.to_string() };
            report.notes.push(Reason::SignedAttributeCopies { name, copies });
        }
    }
}

/// A UTCTime with a time-zone offset, `YYMMDDhhmm[ss](+|-)hhmm` (X.680 §47.3 allows it in BER,
/// DER wants `Z`; Go's and older Java signers write it, OpenSSL reads it), as UTC. The
/// signing time is the signer's claim whatever its form, so this only lets it be shown.
fn utc_time_with_offset(v: &der::asn1::Any) -> std::result::Result<der::DateTime, ()> {
    if der::Tagged::tag(v) != der::Tag::UtcTime {
        return Err(());
    }
    let t = v.value();
    let (local, zone) = match t.len() {
        15 => (&t[..10], &t[10..]),
        17 => (&t[..12], &t[12..]),
        _ => return Err(()),
    };
    if !local.iter().all(u8::is_ascii_digit) || !zone[1..].iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    let n = |b: &[u8]| b.iter().fold(0u64, |a, d| a * 10 + u64::from(d - b'0'));
    let year = n(&local[..2]);
    let year = if year < 50 { 2000 + year } else { 1900 + year };
    let seconds = if local.len() == 12 { n(&local[10..12]) } else { 0 };
    let at = der::DateTime::new(
        year as u16,
        n(&local[2..4]) as u8,
        n(&local[4..6]) as u8,
        n(&local[6..8]) as u8,
        n(&local[8..10]) as u8,
        seconds as u8,
    )
    .map_err(|_| ())?;
    let offset = Duration::from_secs(n(&zone[1..3]) * 3600 + n(&zone[3..5]) * 60);
    let utc = match zone[0] {
        b'+' => at.unix_duration().checked_sub(offset),
        b'-' => at.unix_duration().checked_add(offset),
        _ => None,
    };
    utc.and_then(|d| der::DateTime::from_unix_duration(d).ok()).ok_or(())
}

/// Most SignerInfos read from one signature.
pub const MAX_SIGNER_INFOS: usize = 64;
/// Most certificates read from one signature.
pub const MAX_CERTIFICATES: usize = 128;
/// Most countersignatures nested in one another (RFC 5652 §11.4).
pub const MAX_COUNTERSIGNATURE_DEPTH: usize = 8;
/// Most signatures reported for one CMS signature: SignerInfos and their countersignatures.
pub const MAX_REPORTED_SIGNATURES: usize = 256;

/// id-countersignature (RFC 5652 §11.4).
const OID_COUNTERSIGNATURE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.6");

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

/// Which encoding of the signed attributes the signature value verified on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributesForm {
    /// The bytes as they appear in the file, the `[0]` tag read as SET (RFC 5652 §5.4): what
    /// OpenSSL and DSS check.
    AsReceived,
    /// The attributes re-encoded in DER order (X.690 §11.6), tried only when the bytes as
    /// received do not verify; the attributes are the same, only their order differs.
    DerSorted,
}

impl AttributesForm {
    /// `as_received` or `der_sorted`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributesForm::AsReceived => "as_received",
            AttributesForm::DerSorted => "der_sorted",
        }
    }
}

/// Verifies every SignerInfo of `sd` (RFC 5652 §5.6; ETSI EN 319 102-1 §5.2-§5.6);
/// `content_digest(alg)` hashes the signed content, called once per algorithm. `raw` is the
/// ContentInfo `sd` was decoded from: the SignerInfos are taken from it in the file's order,
/// each with its signed attributes as received (the `der` crate sorts every SET OF it
/// decodes).
/// `claimed_time` is the signing time stated outside the CMS (a PDF's /M), shown when the
/// signature has no signing-time attribute. Certificates are checked at the current time:
/// a claimed time is a claim, not a proof (ETSI EN 319 102-1 §5.6.2.1).
pub(crate) fn verify_signed_data(
    sd: &SignedData,
    raw: &[u8],
    content_digest: &mut dyn FnMut(HashAlg) -> Result<Vec<u8>>,
    trust: &Trust,
    claimed_time: Option<der::DateTime>,
    field: Option<String>,
    archive: &ArchiveContent,
) -> Result<Vec<SignatureReport>> {
    let context = Context { timestamps: Some(None), beside: None, archive: Some(archive), at: None };
    signed_data_reports(sd, raw, content_digest, trust, claimed_time, field, &context)
}

/// [`verify_signed_data`] with revocation data found beside the signature (a PDF's document
/// security store) and, when a later PDF document timestamp proves the signatures existed at
/// `proven`, validation at that time unless a signature timestamp of their own proves an
/// earlier one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_signed_data_with(
    sd: &SignedData,
    raw: &[u8],
    content_digest: &mut dyn FnMut(HashAlg) -> Result<Vec<u8>>,
    trust: &Trust,
    claimed_time: Option<der::DateTime>,
    field: Option<String>,
    beside: &Sources,
    proven: Option<Duration>,
) -> Result<Vec<SignatureReport>> {
    let context = Context { timestamps: Some(proven), beside: Some(beside), archive: None, at: None };
    signed_data_reports(sd, raw, content_digest, trust, claimed_time, field, &context)
}

/// How a SignedData is verified besides its own bytes.
struct Context<'a> {
    /// `None` inside a timestamp token (a TSA's own signature is checked at the current time,
    /// its timestamps are not read and its revocation not checked), otherwise the signers'
    /// timestamps are verified, with a time proven from elsewhere if there is one.
    timestamps: Option<Option<Duration>>,
    /// Revocation data found outside the SignedData.
    beside: Option<&'a Sources>,
    /// The content's hashes for archive time-stamps (`None`: they cannot be checked here).
    archive: Option<&'a ArchiveContent>,
    /// The validation time when it is not the current one: a time a later archive time-stamp
    /// proves the token existed.
    at: Option<Duration>,
}

/// [`verify_signed_data`] in `context`.
fn signed_data_reports(
    sd: &SignedData,
    raw: &[u8],
    content_digest: &mut dyn FnMut(HashAlg) -> Result<Vec<u8>>,
    trust: &Trust,
    claimed_time: Option<der::DateTime>,
    field: Option<String>,
    context: &Context<'_>,
) -> Result<Vec<SignatureReport>> {
    let (timestamps, beside) = (context.timestamps, context.beside);
    check_limits(sd)?;
    let mut certs = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let CertificateChoices::Certificate(c) = c {
            certs.push(Cert::from_cert(c.clone())?);
        }
    }
    let current = chain::Paths::new(trust, &certs, now());
    let mut paths = match context.at {
        Some(at) => current.at_proven_time(at),
        None => current,
    };
    let validation = archive::validation_fields(raw).unwrap_or_default();
    let sources = if timestamps.is_some() { Sources::of_signed_data(raw) } else { Sources::default() };
    let mut layers = vec![&sources];
    layers.extend(beside);
    let mut digests: HashMap<HashAlg, Vec<u8>> = HashMap::new();
    let mut reports = Vec::new();
    for (i, (si, raw_attrs, raw_si)) in signer_infos(sd, raw).into_iter().enumerate() {
        let mut report = SignatureReport::new(field.clone());
        report.level = (i + 1).to_string();
        let d = match HashAlg::from_oid(&si.digest_alg.oid) {
            Some(alg) => match digests.get(&alg) {
                Some(d) => Some(d.clone()),
                None => {
                    let d = content_digest(alg)?;
                    digests.insert(alg, d.clone());
                    Some(d)
                }
            },
            None => None,
        };
        let what = Signed {
            content_type: Some(&sd.encap_content_info.econtent_type),
            digest: d.as_deref(),
            timestamps,
            revocation: &layers,
            archive: context.archive.zip(raw_si.as_ref()).map(|(content, signer)| Imprints {
                content,
                validation: &validation,
                signer,
            }),
        };
        verify_signer(&si, raw_attrs.as_deref(), &what, &certs, &mut paths, &mut report)?;
        if report.signing_time.is_none() {
            report.signing_time = claimed_time;
        }
        let level = report.level.clone();
        reports.push(report);
        let mut nested = Countersignatures {
            certs: &certs,
            paths: &mut paths,
            field: &field,
            reports: &mut reports,
            sources: &layers,
        };
        nested.verify(&si, &level, 1)?;
    }
    Ok(reports)
}

/// The countersignatures of the SignerInfos of one SignedData, verified against its
/// certificates and reported after the signature they countersign.
struct Countersignatures<'a, 'b> {
    certs: &'a [Cert],
    paths: &'a mut chain::Paths<'b>,
    field: &'a Option<String>,
    reports: &'a mut Vec<SignatureReport>,
    sources: &'a [&'a Sources],
}

impl Countersignatures<'_, '_> {
    /// Verifies each countersignature of `parent` (at `level`), depth first, `depth` being
    /// theirs (RFC 5652 §11.4: each signs the parent's signature value).
    fn verify(&mut self, parent: &SignerInfo, level: &str, depth: usize) -> Result<()> {
        let values = parent.unsigned_attrs.iter().flat_map(|a| a.iter()).filter(|a| a.oid == OID_COUNTERSIGNATURE);
        for (k, value) in values.flat_map(|a| a.values.iter()).enumerate() {
            if depth > MAX_COUNTERSIGNATURE_DEPTH {
                return Err(Error::Limit(format!(
                    "countersignatures are nested more than {MAX_COUNTERSIGNATURE_DEPTH} deep"
                )));
            }
            if self.reports.len() >= MAX_REPORTED_SIGNATURES {
                return Err(Error::Limit(format!(
                    "the signature has more than {MAX_REPORTED_SIGNATURES} signatures and countersignatures"
                )));
            }
            let mut report = SignatureReport::new(self.field.clone());
            report.level = format!("{level}.{}", k + 1);
            let bytes = value.to_der()?;
            let si = match SignerInfo::from_der(&bytes) {
                Ok(si) => si,
                Err(e) => {
                    report.fail(SubIndication::FormatFailure, Reason::CountersignatureUnreadable(e.to_string()));
                    self.reports.push(report);
                    continue;
                }
            };
            let raw_attrs = crate::signer_infos::signed_attrs_as_received(&bytes).ok().flatten();
            let digest = HashAlg::from_oid(&si.digest_alg.oid).map(|a| a.hash(parent.signature.as_bytes()));
            let what = Signed {
                content_type: None,
                digest: digest.as_deref(),
                timestamps: Some(None),
                revocation: self.sources,
                archive: None,
            };
            verify_signer(&si, raw_attrs.as_deref(), &what, self.certs, self.paths, &mut report)?;
            let own = report.level.clone();
            self.reports.push(report);
            self.verify(&si, &own, depth + 1)?;
        }
        Ok(())
    }
}

/// The SignerInfos of `sd` with their signed attributes as received, in the order of `raw`
/// (the ContentInfo `sd` was decoded from); when `raw` cannot be walked, those of `sd`, with
/// only their DER-sorted attributes.
/// Each comes with the SignerInfo as in the file when it can be read so.
fn signer_infos(sd: &SignedData, raw: &[u8]) -> Vec<(SignerInfo, Option<Vec<u8>>, Option<RawSignerInfo>)> {
    let list = crate::signer_infos::raw_signer_infos(raw).unwrap_or_default();
    let from_raw = list
        .iter()
        .map(|bytes| {
            let si = SignerInfo::from_der(bytes).ok()?;
            let attrs = crate::signer_infos::signed_attrs_as_received(bytes).ok()?;
            Some((si, attrs, RawSignerInfo::from_der(bytes).ok()))
        })
        .collect::<Option<Vec<_>>>();
    match from_raw {
        Some(list) if list.len() == sd.signer_infos.0.len() => list,
        // One the crate reads only once rewritten (an attribute written twice): the
        // SignerInfo as decoded, with its encoding in the file (signed attributes as received,
        // unsigned ones for the archive time-stamps) found by its signature value.
        _ => sd
            .signer_infos
            .0
            .iter()
            .map(|si| {
                let value = si.signature.to_der().unwrap_or_default();
                let found = list.iter().find_map(|bytes| {
                    let raw = RawSignerInfo::from_der(bytes).ok()?;
                    (!value.is_empty() && raw.signed_fields.ends_with(&value)).then_some((bytes, raw))
                });
                match found {
                    Some((bytes, raw)) => {
                        let attrs = crate::signer_infos::signed_attrs_as_received(bytes).ok().flatten();
                        (si.clone(), attrs, Some(raw))
                    }
                    None => (si.clone(), None, None),
                }
            })
            .collect(),
    }
}

/// What a SignerInfo signs.
struct Signed<'a> {
    /// The content type the content-type attribute must name; `None` for a countersignature,
    /// whose signed attributes must not have one (RFC 5652 §11.4).
    content_type: Option<&'a ObjectIdentifier>,
    /// The digest of what is signed with the SignerInfo's digest algorithm; `None` when that
    /// algorithm is not supported.
    digest: Option<&'a [u8]>,
    /// Whether the SignerInfo's signature timestamps are verified and its certificates'
    /// revocation checked (not for a TSA's own: `None`), with a time proven from elsewhere.
    timestamps: Option<Option<Duration>>,
    /// The revocation data the SignedData carries, and what was found beside it.
    revocation: &'a [&'a Sources],
    /// What the SignerInfo's archive time-stamps cover, when they can be checked.
    archive: Option<Imprints<'a>>,
}

/// Verifies one SignerInfo `si` (whose signed attributes as received are `raw_attrs`) over
/// `what`, filling in `report`: signer, attributes, signature value, algorithms and path.
fn verify_signer(
    si: &SignerInfo,
    raw_attrs: Option<&[u8]>,
    what: &Signed<'_>,
    certs: &[Cert],
    paths: &mut chain::Paths<'_>,
    report: &mut SignatureReport,
) -> Result<()> {
    let Some(cert) = find_certificate(certs, &si.sid) else {
        report.fail(SubIndication::NoSigningCertificateFound, Reason::SignerCertificateMissing);
        return Ok(());
    };
    report.signer = Some(identity(&cert.cert));
    let (Some(alg), Some(d)) = (HashAlg::from_oid(&si.digest_alg.oid), what.digest) else {
        match algorithms::weak_digest(&si.digest_alg.oid) {
            Some(weak) => report.fail(
                SubIndication::CryptoConstraintsFailureNoPoe,
                Reason::Algorithm(algorithms::AlgError::Weak(weak)),
            ),
            None => report.fail(SubIndication::CryptoConstraintsFailure, unsupported_digest(&si.digest_alg.oid)),
        }
        return Ok(());
    };
    report.hash = Some(alg);
    if let Some(raw) = raw_attrs {
        repeated_signed_attributes(raw, report);
    }
    let signed = check_attributes(what.content_type, si, cert, d, report)?;
    let spki = &cert.cert.tbs_certificate.subject_public_key_info;
    let verifies = |input: algorithms::Input<'_>| {
        algorithms::verify(spki, &si.signature_algorithm, Some(alg), input, si.signature.as_bytes())
    };
    let outcome = match &signed {
        Some(sorted) => {
            // The bytes as received first (RFC 5652 §5.4), the DER-sorted form only when they
            // differ and the first does not verify.
            let mut forms = Vec::new();
            if let Some(raw) = raw_attrs {
                forms.push((AttributesForm::AsReceived, raw));
            }
            if raw_attrs != Some(sorted.as_slice()) {
                forms.push((AttributesForm::DerSorted, sorted.as_slice()));
            }
            let mut outcome = Ok(false);
            for (form, bytes) in forms {
                outcome = verifies(algorithms::Input::Message(bytes));
                if outcome != Ok(false) {
                    report.signed_attributes = outcome.as_ref().is_ok_and(|v| *v).then_some(form);
                    break;
                }
            }
            outcome
        }
        None => verifies(algorithms::Input::Digest(d)),
    };
    match outcome {
        Ok(true) => {
            if report.signed_attributes == Some(AttributesForm::DerSorted) {
                report.notes.push(Reason::AttributesVerifiedSorted);
            }
        }
        Ok(false) => report.fail(SubIndication::SigCryptoFailure, Reason::SignatureInvalid),
        Err(e) => {
            let sub = match e {
                algorithms::AlgError::Weak(_) => SubIndication::CryptoConstraintsFailureNoPoe,
                algorithms::AlgError::Unsupported(_) => SubIndication::CryptoConstraintsFailure,
                _ => SubIndication::FormatFailure,
            };
            report.fail(sub, Reason::Algorithm(e))
        }
    }
    if alg == HashAlg::Sha1 {
        report.fail(SubIndication::CryptoConstraintsFailureNoPoe, Reason::Sha1Signature);
    }
    let own_sources = Sources::of_attributes(si);
    let proven = match what.timestamps {
        Some(outer) => {
            let mut layers = what.revocation.to_vec();
            layers.push(&own_sources);
            let own = signature_timestamps(si, what.archive.as_ref(), paths.trust(), &layers, report)?;
            match (own, outer) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        None => None,
    };
    let path = match proven {
        Some(at) => paths.at_proven_time(at).check(cert),
        None => paths.check(cert),
    };
    report.chain = path.chain;
    report.problems.extend(path.problems);
    if paths.trust().has_trusted_lists() {
        report.qualified_basis = Some(Qualification::assess(cert, path.service.as_ref()));
    }
    if what.timestamps.is_some() {
        let own = own_sources;
        let w = Weighing {
            at: proven.unwrap_or_else(now),
            proven: proven.is_some(),
            claimed: report.signing_time,
            tsa: false,
        };
        let online = paths.trust().online_revocation();
        let mut layers = what.revocation.to_vec();
        layers.push(&own);
        let (evidence, problems, notes) = check_path(cert, paths, &layers, online, &w);
        report.revocation = evidence;
        report.problems.extend(problems);
        report.notes.extend(notes);
    } else {
        report.notes.push(Reason::RevocationNotChecked);
    }
    Ok(())
}

/// One timestamp of a SignerInfo waiting for its verification.
struct Pending {
    kind: TimestampKind,
    /// The token (a ContentInfo).
    token: Vec<u8>,
    /// The attribute it is a value of, as in the file (archive time-stamps need it).
    attribute: Option<usize>,
    /// Its TSTInfo, if readable.
    info: Option<TstInfo>,
}

/// Verifies the timestamps of `si` (ETSI EN 319 102-1 §5.4, §5.6.2.1) into `report`: its
/// signature time-stamps (RFC 3161 tokens in id-aa-signatureTimeStampToken, each over its
/// signature value) and its archive time-stamps (v2 and v3, [`crate::archive`], over
/// `archive`'s data). The latest first: a verified archive time-stamp proves what it covers
/// existed at its time, so the earlier timestamps it covers are validated at that time rather
/// than now. A broken one fails the signature; the earliest time proven for the signature is
/// returned.
/// `revocation`: the revocation data of the signature, for the TSAs' certificates.
fn signature_timestamps(
    si: &SignerInfo,
    archive: Option<&Imprints<'_>>,
    trust: &Trust,
    revocation: &[&Sources],
    report: &mut SignatureReport,
) -> Result<Option<Duration>> {
    let raw_unsigned: Option<&[RawAttribute]> = archive.map(|a| a.signer.unsigned.as_slice());
    let mut pending: Vec<Pending> = Vec::new();
    let mut add = |kind: TimestampKind, token: Vec<u8>, attribute: Option<usize>| -> Result<()> {
        if pending.len() >= MAX_TIMESTAMPS {
            return Err(Error::Limit(format!("a signature carries more than {MAX_TIMESTAMPS} timestamps")));
        }
        let info = archive::token_info(&token);
        pending.push(Pending { kind, token, attribute, info });
        Ok(())
    };
    let kind_of = |oid: &ObjectIdentifier| {
        if *oid == OID_SIGNATURE_TIME_STAMP {
            Some(TimestampKind::Signature)
        } else if archive::is_archive(oid) {
            Some(TimestampKind::Archive)
        } else {
            None
        }
    };
    match raw_unsigned {
        Some(attrs) => {
            for (i, a) in attrs.iter().enumerate() {
                if let Some(kind) = kind_of(&a.oid) {
                    for v in &a.values {
                        add(kind, v.clone(), Some(i))?;
                    }
                }
            }
        }
        None => {
            for a in si.unsigned_attrs.iter().flat_map(|a| a.iter()) {
                if let Some(kind) = kind_of(&a.oid) {
                    for v in a.values.iter() {
                        add(kind, v.to_der()?, None)?;
                    }
                }
            }
        }
    }
    // The latest first (unreadable ones, with no time, before all; at the same second, archive
    // time-stamps before what they may cover).
    let mut order: Vec<usize> = (0..pending.len()).collect();
    order.sort_by_key(|&i| {
        let time = pending[i].info.as_ref().map(|t| t.gen_time.unix_duration());
        (std::cmp::Reverse(time), pending[i].kind != TimestampKind::Archive)
    });
    let mut done: Vec<Option<TimestampReport>> = vec![None; pending.len()];
    // (index, time, hash index) of the archive time-stamps verified so far that prove their time.
    let mut proofs: Vec<(usize, Duration, Option<HashIndex>)> = Vec::new();
    let mut proven: Option<Duration> = None;
    for &i in &order {
        let p = &pending[i];
        // The earliest time a verified later archive time-stamp proves this one existed at.
        let covered_at = proofs
            .iter()
            .filter(|(j, t, index)| {
                let own = p.info.as_ref().map(|x| x.gen_time.unix_duration());
                *j != i
                    && match (index, p.attribute.zip(raw_unsigned)) {
                        // v3: what its hash index lists.
                        (Some(index), Some((k, attrs))) => attrs.get(k).is_some_and(|a| index.covers(a)),
                        (Some(_), None) => false,
                        // v2: every unsigned attribute but the archive time-stamps not older.
                        (None, _) => p.kind != TimestampKind::Archive || own.is_some_and(|o| o < *t),
                    }
            })
            .map(|(_, t, _)| *t)
            .min();
        let signature = si.signature.as_bytes();
        let (t, index) = match p.kind {
            TimestampKind::Archive => {
                let checked = archive_timestamp(p, archive, trust, covered_at, revocation)?;
                if checked.0.indication() == Indication::TotalFailed {
                    let why = checked.0.problems.iter().find(|p| p.sub.indication() == Indication::TotalFailed);
                    let sub = why.map_or(SubIndication::FormatFailure, |p| p.sub);
                    let cause = why.map_or(Reason::TimestampWithoutTstInfo, |p| (*p.reason).clone());
                    report.fail(sub, Reason::ArchiveTimestampBroken(Box::new(cause)));
                }
                checked
            }
            _ => {
                let t = verify_token_at(
                    &p.token,
                    &mut |alg| alg.hash(signature),
                    trust,
                    TimestampKind::Signature,
                    covered_at,
                    revocation,
                )?;
                if t.indication() == Indication::TotalFailed {
                    let why = t.problems.iter().find(|p| p.sub.indication() == Indication::TotalFailed);
                    let sub = why.map_or(SubIndication::FormatFailure, |p| p.sub);
                    let cause = why.map_or(Reason::TimestampWithoutTstInfo, |p| (*p.reason).clone());
                    report.fail(sub, Reason::TimestampBroken(Box::new(cause)));
                }
                (t, None)
            }
        };
        if t.proves_existence() {
            if let Some(at) = t.time.map(|d| d.unix_duration()) {
                proven = Some(proven.map_or(at, |p| p.min(at)));
                if p.kind == TimestampKind::Archive {
                    proofs.push((i, at, index));
                }
            }
        }
        done[i] = Some(t);
    }
    report.timestamps.extend(done.into_iter().flatten());
    Ok(proven)
}

/// Verifies the archive time-stamp `p` (validated at `at`, or now) over what `archive` gives;
/// with its ats-hash-index when it is a v3.
fn archive_timestamp(
    p: &Pending,
    archive: Option<&Imprints<'_>>,
    trust: &Trust,
    at: Option<Duration>,
    revocation: &[&Sources],
) -> Result<(TimestampReport, Option<HashIndex>)> {
    let unchecked = || {
        let mut t = TimestampReport::new(TimestampKind::Archive);
        t.time = p.info.as_ref().map(|i| i.gen_time);
        t.problems.push(Problem::new(SubIndication::SignedDataNotFound, Reason::ArchiveTimestampNotChecked));
        t
    };
    let (Some(imprints), Some(at_index)) = (archive, p.attribute) else {
        return Ok((unchecked(), None));
    };
    let Some(attr) = imprints.signer.unsigned.get(at_index) else {
        return Ok((unchecked(), None));
    };
    let imprint = p.info.as_ref().map(|i| i.imprint.clone()).unwrap_or_default();
    if attr.oid == archive::OID_ARCHIVE_TIME_STAMP_V2 {
        let time = |a: &RawAttribute| a.values.first().and_then(|v| archive::token_info(v)).map(|i| i.gen_time);
        let mut digest = |alg: HashAlg| {
            let candidates = imprints.v2(alg, at_index, &time).unwrap_or_default();
            candidates.iter().find(|c| **c == imprint).or(candidates.first()).cloned().unwrap_or_default()
        };
        return Ok((verify_token_at(&p.token, &mut digest, trust, TimestampKind::Archive, at, revocation)?, None));
    }
    // v3: the ats-hash-index(-v3) is an unsigned attribute of the token's SignerInfo.
    let index = read_signed_data(&p.token).ok().and_then(|(sd, _)| {
        let si = sd.signer_infos.0.iter().next()?.clone();
        si.unsigned_attrs.iter().flat_map(|a| a.iter()).find_map(|a| {
            (a.oid == archive::OID_ATS_HASH_INDEX_V3 || a.oid == archive::OID_ATS_HASH_INDEX)
                .then(|| a.values.get(0).map(|v| v.to_der()))
                .flatten()
        })
    });
    let index = match index {
        Some(Ok(der)) => HashIndex::from_der(&der),
        _ => Err(HashIndexProblem::Absent),
    };
    let index = match index {
        Ok(i) => i,
        Err(e) => {
            let mut t = verify_token_at(&p.token, &mut |_| Vec::new(), trust, TimestampKind::Archive, at, revocation)?;
            t.problems.retain(|p| p.sub != SubIndication::HashFailure);
            t.problems.push(Problem::new(SubIndication::FormatFailure, Reason::ArchiveHashIndex(e)));
            return Ok((t, None));
        }
    };
    let mut digest = |alg: HashAlg| imprints.v3(alg, &index).unwrap_or_default();
    let mut t = verify_token_at(&p.token, &mut digest, trust, TimestampKind::Archive, at, revocation)?;
    // As DSS's default policy (AtsHashIndex: WARN): what the index lists and is gone does not
    // touch what the imprint proves (the content, the signature), only what the time-stamp
    // archives; said, not failed.
    if let Some(why) = index.missing(imprints.validation, &imprints.signer.unsigned) {
        t.notes.push(Reason::ArchiveHashIndex(why));
    }
    Ok((t, Some(index)))
}

/// Verifies one RFC 3161 token (a ContentInfo, DER or BER) over `data` (RFC 3161 §2.4.2): the
/// TSTInfo's imprint, the TSA's signature as any CMS signature (at the current time), and that
/// the TSA certificate is one (§2.3). An unreadable token is a failed report, not an error.
pub(crate) fn verify_token(
    token: &[u8],
    digest_of: &mut dyn FnMut(HashAlg) -> Vec<u8>,
    trust: &Trust,
    kind: TimestampKind,
    revocation: &[&Sources],
) -> Result<TimestampReport> {
    verify_token_at(token, digest_of, trust, kind, None, revocation)
}

/// [`verify_token`] with the TSA's certificates checked at `at` when a later archive
/// time-stamp proves the token existed then (`None`: now). The TSA's certificate and its CAs
/// are checked for revocation at the token's time with `revocation` (the data of the
/// signature it belongs to, a PDF's store), the token's own and, when the trust allows it,
/// online.
fn verify_token_at(
    token: &[u8],
    digest_of: &mut dyn FnMut(HashAlg) -> Vec<u8>,
    trust: &Trust,
    kind: TimestampKind,
    at: Option<Duration>,
    revocation: &[&Sources],
) -> Result<TimestampReport> {
    let mut t = TimestampReport::new(kind);
    let format = |t: &mut TimestampReport, r: Reason| t.problems.push(Problem::new(SubIndication::FormatFailure, r));
    let (sd, _) = match read_signed_data(token) {
        Ok(x) => x,
        Err(e) => {
            format(&mut t, Reason::TimestampUnreadable(e.to_string()));
            return Ok(t);
        }
    };
    if sd.encap_content_info.econtent_type != OID_CT_TSTINFO {
        format(&mut t, Reason::TimestampNotTstInfo);
        return Ok(t);
    }
    let info_der = match encapsulated_content(&sd) {
        Ok(Some(c)) => c.to_vec(),
        _ => {
            format(&mut t, Reason::TimestampWithoutTstInfo);
            return Ok(t);
        }
    };
    let info = match TstInfo::from_der(&info_der) {
        Ok(i) => i,
        Err(e) => {
            format(&mut t, e);
            return Ok(t);
        }
    };
    t.time = Some(info.gen_time);
    if let Err(p) = info.check_imprint_digest(digest_of) {
        t.problems.push(p);
    }
    if sd.signer_infos.0.len() != 1 {
        format(&mut t, Reason::TimestampSigners(sd.signer_infos.0.len()));
        return Ok(t);
    }
    let raw = match crate::ber::to_der(&crate::base64::der_or_base64(token)) {
        Ok((der, _, _)) => der.to_vec(),
        Err(_) => token.to_vec(),
    };
    let mut digest = |alg: HashAlg| Ok(alg.hash(&info_der));
    let context = Context { timestamps: None, beside: None, archive: None, at };
    let tsa = signed_data_reports(&sd, &raw, &mut digest, trust, None, None, &context)?;
    if let Some(r) = tsa.into_iter().next() {
        t.tsa = r.signer;
        t.chain = r.chain;
        t.problems.extend(r.problems);
    }
    let certs: Vec<Cert> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Cert::from_cert(c.clone()).ok(),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let Some(token_si) = sd.signer_infos.0.iter().next() else { return Ok(t) };
    if let Some(cert) = find_certificate(&certs, &token_si.sid) {
        if let Err(e) = is_tsa_certificate(&cert.cert) {
            t.problems.push(Problem::new(SubIndication::CertificateChainGeneralFailure, e));
        }
        if let Some(time) = t.time {
            let own = Sources::of_signed_data(&raw);
            let attributes = Sources::of_attributes(token_si);
            let mut layers = revocation.to_vec();
            layers.extend([&own, &attributes]);
            let mut paths = chain::Paths::new(trust, &certs, at.unwrap_or_else(now));
            let w = Weighing { at: time.unix_duration(), proven: false, claimed: None, tsa: true };
            let (evidence, problems, notes) = check_path(cert, &mut paths, &layers, trust.online_revocation(), &w);
            t.revocation = evidence;
            t.problems.extend(problems);
            t.notes = notes;
        }
    }
    Ok(t)
}

/// Why a SignerInfo's digest algorithm is not supported: a signature algorithm given in its
/// place (RSA with a hash, as some signing applications write it, esig/dss's
/// PAdESInvalidDigestAlgorithmTest), or an identifier this verifier does not know.
fn unsupported_digest(oid: &ObjectIdentifier) -> Reason {
    match HashAlg::ALL.into_iter().find(|h| h.rsa_pkcs1_oid() == *oid) {
        Some(h) => Reason::DigestGivenAsSignatureAlgorithm(crate::reason::hash_name(h)),
        None => Reason::Algorithm(algorithms::AlgError::Unsupported(algorithms::unsupported_digest(oid))),
    }
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
    let mut archived = ContentFeed::new(&sd, Some(layout.content_len));
    let mut feed = |chunk: &[u8]| {
        progress.advance(chunk.len() as u64);
        for (_, h) in hashers.iter_mut() {
            h.update(chunk);
        }
        archived.update(chunk);
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
    let archive = archived.finish();
    let mut signatures = verify_signed_data(&sd, &layout.without_content, &mut lookup, trust, None, None, &archive)?;
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
    let mut raw = crate::base64::der_or_base64(p7m);
    if encoding == Encoding::Ber {
        // The signer infos as received, in the DER the BER was converted to (order kept).
        raw = crate::ber::to_der(&raw)?.0.into();
    }
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
            let mut archived = ContentFeed::new(&sd, Some(inside.len() as u64));
            archived.update(inside);
            let archive = archived.finish();
            let r = verify_signed_data(&sd, &raw, &mut |alg| Ok(alg.hash(inside)), trust, None, None, &archive)?;
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
            let mut archived = ContentFeed::new(&sd, None);
            let mut buf = vec![0u8; digest::CHUNK];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                for (_, h) in hashers.iter_mut() {
                    h.update(&buf[..n]);
                }
                archived.update(&buf[..n]);
            }
            let archive = archived.finish();
            let digests: HashMap<HashAlg, Vec<u8>> = hashers.into_iter().map(|(a, h)| (a, h.finish())).collect();
            let mut lookup =
                |alg: HashAlg| digests.get(&alg).cloned().ok_or_else(|| Error::Unsupported("digest algorithm".into()));
            (DocumentKind::Detached, verify_signed_data(&sd, &raw, &mut lookup, trust, None, None, &archive)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// UTCTimes with an offset, written by hand (X.680 §47.3): to UTC; anything else refused.
    #[test]
    fn utc_times_with_an_offset() {
        let t = |text: &[u8]| utc_time_with_offset(&der::asn1::Any::new(der::Tag::UtcTime, text.to_vec()).unwrap());
        assert_eq!(t(b"150506002448-0400").unwrap().to_string(), "2015-05-06T04:24:48Z");
        assert_eq!(t(b"1505060024+0130").unwrap().to_string(), "2015-05-05T22:54:00Z");
        assert_eq!(t(b"491231230000-0200").unwrap().to_string(), "2050-01-01T01:00:00Z");
        for bad in [
            &b"150506002448Z"[..],
            b"150506002448*0400",
            b"15050600244-0400",
            b"1505060024480400",
            b"151306002448-0400",
        ] {
            assert!(t(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let other = der::asn1::Any::new(der::Tag::GeneralizedTime, b"20150506002448-0400".to_vec()).unwrap();
        assert!(utc_time_with_offset(&other).is_err());
    }
}
