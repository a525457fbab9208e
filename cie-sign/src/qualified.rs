//! Qualified electronic signatures (eIDAS art. 3(12), ETSI TS 119 615 in outline): a signature
//! that passes through a qualified CA service of a trusted list (`tsl.rs`, usable at the
//! validation time), whose certificate states it is qualified (QcCompliance, ETSI EN 319 412-5
//! §4.2.1), has its key in a qualified signature creation device (QcSSCD §4.2.2, or the list's
//! QCWithQSCD qualification) and is for electronic signatures (QcType esign §4.2.3, or no type).
//! Anything less is named: an advanced signature, a qualified certificate without QSCD, a seal
//! certificate, a CA not on a list.

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Sequence};

use crate::chain::Cert;
use crate::trusted_service::{Criterion, QualificationElement, TrustedService, NO_QSCD_QUALIFIERS, QSCD_QUALIFIERS};
use x509_cert::ext::pkix::{CertificatePolicies, KeyUsage, KeyUsages};

const OID_QC_STATEMENTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.3");
const OID_QC_COMPLIANCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.1");
const OID_QC_SSCD: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.4");
const OID_QC_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6");
const OID_QC_ESIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.1");
const OID_QC_ESEAL: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.2");
const OID_QC_WEB: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.3");
/// Most statements read from one certificate.
const MAX_STATEMENTS: usize = 32;

/// QCStatement (RFC 3739 §3.2.6).
#[derive(Clone, Debug, Sequence)]
struct QcStatement {
    statement_id: ObjectIdentifier,
    #[asn1(optional = "true")]
    statement_info: Option<Any>,
}

/// What a certificate's QC statements say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QcStatements {
    /// id-etsi-qcs-QcCompliance: issued as a qualified certificate.
    pub compliance: bool,
    /// id-etsi-qcs-QcSSCD: the private key is in a QSCD.
    pub sscd: bool,
    /// id-etsi-qcs-QcType: `esign`, `eseal`, `web` (or the OID of another), empty when absent.
    pub types: Vec<String>,
}

impl QcStatements {
    /// The statements of `cert`'s qcStatements extension (none when it has none or it cannot
    /// be read: nothing is then claimed).
    pub fn of(cert: &Cert) -> QcStatements {
        let mut out = QcStatements::default();
        let Some(ext) = cert.cert.tbs_certificate.extensions.iter().flatten().find(|e| e.extn_id == OID_QC_STATEMENTS)
        else {
            return out;
        };
        let Ok(list) = Vec::<QcStatement>::from_der(ext.extn_value.as_bytes()) else { return out };
        for s in list.iter().take(MAX_STATEMENTS) {
            if s.statement_id == OID_QC_COMPLIANCE {
                out.compliance = true;
            } else if s.statement_id == OID_QC_SSCD {
                out.sscd = true;
            } else if s.statement_id == OID_QC_TYPE {
                let types = s.statement_info.as_ref().and_then(|i| i.decode_as::<Vec<ObjectIdentifier>>().ok());
                for t in types.unwrap_or_default().into_iter().take(8) {
                    out.types.push(match t {
                        OID_QC_ESIGN => "esign".into(),
                        OID_QC_ESEAL => "eseal".into(),
                        OID_QC_WEB => "web".into(),
                        other => other.to_string(),
                    });
                }
            }
        }
        out
    }
}

/// What the list's qualifications that select `cert` say of its key: in a QSCD (`Some(true)`),
/// not in one (`Some(false)`, which wins), or nothing (`None`).
fn list_qscd(service: &TrustedService, cert: &Cert) -> Option<bool> {
    let applying: Vec<&QualificationElement> = service.qualifications.iter().filter(|q| selects(q, cert)).collect();
    let says = |set: &[&str]| applying.iter().any(|q| q.qualifiers.iter().any(|u| set.contains(&u.as_str())));
    if says(&NO_QSCD_QUALIFIERS) {
        Some(false)
    } else if says(&QSCD_QUALIFIERS[..2]) {
        Some(true)
    } else {
        None
    }
}

/// Whether a qualification's CriteriaList selects `cert` (TS 119 612 §5.5.9.2.2).
fn selects(q: &QualificationElement, cert: &Cert) -> bool {
    let mut results = q.criteria.iter().map(|c| matches_criterion(c, cert));
    match q.assert.as_str() {
        "all" => !q.criteria.is_empty() && results.all(|r| r),
        "atLeastOne" => results.any(|r| r),
        // "none" selects by absence: an unsupported criterion would then select; not applied.
        _ => false,
    }
}

fn matches_criterion(c: &Criterion, cert: &Cert) -> bool {
    let ext = |oid: ObjectIdentifier| {
        cert.cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes().to_vec())
    };
    match c {
        Criterion::KeyUsage(bits) => {
            let Some(ku) = ext(ObjectIdentifier::new_unwrap("2.5.29.15")).and_then(|d| KeyUsage::from_der(&d).ok())
            else {
                return false;
            };
            !bits.is_empty()
                && bits.iter().all(|(name, set)| {
                    let flag = match name.as_str() {
                        "digitalSignature" => KeyUsages::DigitalSignature,
                        "nonRepudiation" | "contentCommitment" => KeyUsages::NonRepudiation,
                        "keyEncipherment" => KeyUsages::KeyEncipherment,
                        "dataEncipherment" => KeyUsages::DataEncipherment,
                        "keyAgreement" => KeyUsages::KeyAgreement,
                        "keyCertSign" => KeyUsages::KeyCertSign,
                        "crlSign" => KeyUsages::CRLSign,
                        "encipherOnly" => KeyUsages::EncipherOnly,
                        "decipherOnly" => KeyUsages::DecipherOnly,
                        _ => return false,
                    };
                    ku.0.contains(flag) == *set
                })
        }
        Criterion::PolicySet(oids) => {
            let Some(p) =
                ext(ObjectIdentifier::new_unwrap("2.5.29.32")).and_then(|d| CertificatePolicies::from_der(&d).ok())
            else {
                return false;
            };
            !oids.is_empty() && oids.iter().all(|o| p.0.iter().any(|i| i.policy_identifier.to_string() == *o))
        }
        Criterion::Unsupported => false,
    }
}

/// Whether a signature is a qualified electronic signature, and if not, what it lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Qualification {
    /// A qualified electronic signature; the trusted list's service it passed through
    /// ("service name (territory)").
    Qualified(String),
    /// The signature itself is not TOTAL-PASSED.
    NotValid,
    /// Its certificate is not issued by a qualified CA of a trusted list usable at the
    /// validation time.
    NotUnderQualifiedCa,
    /// Its certificate does not state it is qualified (no QcCompliance).
    NotQualifiedCertificate,
    /// A qualified certificate whose key is not stated to be in a QSCD: an advanced signature
    /// with a qualified certificate.
    NoQscd,
    /// A qualified certificate for another use (electronic seals, websites).
    NotForSignatures(String),
}

impl Qualification {
    /// What the certificate and the path make of a signature that passes (`service`: the
    /// trusted list's service its path reached, if any).
    pub fn assess(cert: &Cert, service: Option<&TrustedService>) -> Qualification {
        let Some(service) = service.filter(|s| s.is_ca_qc()) else { return Qualification::NotUnderQualifiedCa };
        let qc = QcStatements::of(cert);
        if !qc.compliance {
            return Qualification::NotQualifiedCertificate;
        }
        if !qc.types.is_empty() && !qc.types.iter().any(|t| t == "esign") {
            return Qualification::NotForSignatures(qc.types.join(", "));
        }
        let qscd = match list_qscd(service, cert) {
            Some(list_says) => list_says,
            None => qc.sscd,
        };
        if !qscd {
            return Qualification::NoQscd;
        }
        Qualification::Qualified(format!("{} ({})", service.name, service.territory))
    }

    /// Whether it is a qualified electronic signature.
    pub fn is_qualified(&self) -> bool {
        matches!(self, Qualification::Qualified(_))
    }

    /// Its token in JSON: `qualified`, `not_valid`, `not_under_qualified_ca`,
    /// `not_qualified_certificate`, `no_qscd`, `not_for_signatures`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Qualification::Qualified(_) => "qualified",
            Qualification::NotValid => "not_valid",
            Qualification::NotUnderQualifiedCa => "not_under_qualified_ca",
            Qualification::NotQualifiedCertificate => "not_qualified_certificate",
            Qualification::NoQscd => "no_qscd",
            Qualification::NotForSignatures(_) => "not_for_signatures",
        }
    }
}
