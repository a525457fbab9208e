//! Checking a certificate against a CRL (RFC 5280 §5, §6.3, simplified): the CRL must be issued
//! by the certificate's issuer and signed with the issuer's key (indirect CRLs, signed by
//! another party, are not supported and reported as unverifiable; so are delta CRLs, which do
//! not list every revocation); the certificate's serial number in `revokedCertificates` gives
//! the revocation date and reason, its absence means not revoked at `thisUpdate`.

use der::asn1::ObjectIdentifier;
use der::Decode;
use x509_cert::ext::pkix::crl::CrlReason;

use crate::algorithms;
use crate::chain::Cert;
use crate::evidence::{reason_words, signed_part, Evidence, EvidenceKind, EvidenceOrigin, Status};

const OID_CRL_REASON: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const OID_DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
const OID_ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
const OID_CERTIFICATE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.29");

/// What the CRL `der` says about `cert`, issued by `issuer`; `None` when the CRL is not
/// `cert`'s issuer's (another CA's list says nothing about it).
pub(crate) fn check(der: &[u8], cert: &Cert, issuer: &Cert) -> Option<Evidence> {
    let crl = match crate::revocation::parse_crl(der) {
        Ok(c) => c,
        Err(e) => {
            return Some(Evidence::unverifiable(EvidenceKind::Crl, cert, String::new(), format!("unreadable CRL: {e}")))
        }
    };
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != cert.cert.tbs_certificate.issuer {
        return None;
    }
    let issuer_name = crate::verdict::shown(&crate::identity::name_text(&tbs.issuer));
    let bad = |why: String| Some(Evidence::unverifiable(EvidenceKind::Crl, cert, issuer_name.clone(), why));
    let Some(signed) = signed_part(der) else { return bad("the CRL cannot be read".into()) };
    let Some(sig) = crl.signature.as_bytes() else { return bad("the CRL's signature is malformed".into()) };
    match algorithms::verify(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        &crl.signature_algorithm,
        None,
        algorithms::Input::Message(&signed),
        sig,
    ) {
        Ok(true) => {}
        Ok(false) => return bad("its signature does not verify with the issuer's key".into()),
        Err(e) => return bad(format!("its signature cannot be checked: {}", e.text(crate::Language::English))),
    }
    for ext in tbs.crl_extensions.iter().flatten() {
        if ext.extn_id == OID_DELTA_CRL_INDICATOR {
            return bad("a delta CRL, which does not list every revocation".into());
        }
        if ext.critical && ext.extn_id != OID_ISSUING_DISTRIBUTION_POINT {
            return bad(format!("an unknown critical extension {}", ext.extn_id));
        }
    }
    let mut evidence = Evidence {
        kind: EvidenceKind::Crl,
        origin: EvidenceOrigin::Embedded,
        subject: cert.subject(),
        issuer: issuer_name.clone(),
        this_update: Some(tbs.this_update.to_date_time()),
        next_update: tbs.next_update.map(|t| t.to_date_time()),
        status: Status::Good,
    };
    let serial = &cert.cert.tbs_certificate.serial_number;
    for entry in tbs.revoked_certificates.iter().flatten() {
        let exts = entry.crl_entry_extensions.iter().flatten();
        if exts.clone().any(|e| e.extn_id == OID_CERTIFICATE_ISSUER) {
            return bad("an indirect CRL (entries of other issuers), not supported".into());
        }
        if &entry.serial_number != serial {
            continue;
        }
        let reason = exts
            .filter(|e| e.extn_id == OID_CRL_REASON)
            .find_map(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok());
        if reason == Some(CrlReason::RemoveFromCRL) {
            continue;
        }
        evidence.status =
            Status::Revoked { time: entry.revocation_date.to_date_time(), reason: reason.map(reason_words) };
        return Some(evidence);
    }
    Some(evidence)
}
