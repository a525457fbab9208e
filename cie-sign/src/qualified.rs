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
use crate::trusted_service::TrustedService;

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
        let qscd = match service.qscd() {
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
