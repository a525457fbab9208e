//! Checking a certificate against an OCSP response (RFC 6960 §3.2, §4.2): the response must
//! name the certificate (its CertID: hash of the issuer's name and key, serial number), be
//! signed by the certificate's issuer or by a responder certificate the issuer issued for that
//! purpose (extended key usage id-kp-OCSPSigning, §4.2.2.2), and its status (good, revoked,
//! unknown) counts from its thisUpdate. Also the request asked of a responder (`--online`).

use cie_core::sign::HashAlg;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId,
    TbsRequest, Version,
};

use crate::algorithms;
use crate::chain::Cert;
use crate::evidence::{reason_words, seconds, signed_part, Evidence, EvidenceKind, EvidenceOrigin, Status};
use crate::verdict::shown;

/// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
const OID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
const OID_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// Certificates of a response tried as its responder.
const MAX_RESPONDER_CANDIDATES: usize = 16;

/// The BasicOCSPResponse (DER) inside an OCSPResponse (DER), or why there is none. A
/// BasicOCSPResponse given where an OCSPResponse belongs (as some CAdES-LT signers put it in
/// `RevocationInfoChoice.other`; DSS reads it) is taken as it is: it carries its own signature.
pub(crate) fn basic_of(response: &[u8]) -> Result<Vec<u8>, String> {
    let r = match OcspResponse::from_der(response) {
        Ok(r) => r,
        Err(_) if BasicOcspResponse::from_der(response).is_ok() => return Ok(response.to_vec()),
        Err(e) => return Err(format!("unreadable OCSP response: {e}")),
    };
    if r.response_status != OcspResponseStatus::Successful {
        return Err(format!("the responder answered {:?}, not a status", r.response_status));
    }
    let bytes = r.response_bytes.ok_or("a successful OCSP response without a response")?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err(format!("OCSP response of type {}, not basic", bytes.response_type));
    }
    Ok(bytes.response.as_bytes().to_vec())
}

/// The CertID of `cert` issued by `issuer` with SHA-1 (what responders expect, RFC 6960 §4.1.1;
/// it only identifies the certificate).
pub(crate) fn cert_id(cert: &Cert, issuer: &Cert) -> der::Result<CertId> {
    let alg = HashAlg::Sha1;
    Ok(CertId {
        hash_algorithm: crate::digest::algorithm_identifier(alg),
        issuer_name_hash: OctetString::new(alg.hash(&cert.cert.tbs_certificate.issuer.to_der()?))?,
        issuer_key_hash: OctetString::new(alg.hash(key_bits(issuer)))?,
        serial_number: cert.cert.tbs_certificate.serial_number.clone(),
    })
}

/// An OCSPRequest (DER) for `cert` with a nonce (RFC 6960 §4.1, §4.4.1).
pub(crate) fn request(cert: &Cert, issuer: &Cert, nonce: &[u8]) -> der::Result<Vec<u8>> {
    let nonce_ext = Extension {
        extn_id: OID_OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(OctetString::new(nonce)?.to_der()?)?,
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request { req_cert: cert_id(cert, issuer)?, single_request_extensions: None }],
            request_extensions: Some(vec![nonce_ext]),
        },
        optional_signature: None,
    }
    .to_der()
}

/// The nonce a BasicOCSPResponse (DER) carries, if any.
pub(crate) fn nonce_of(basic: &[u8]) -> Option<Vec<u8>> {
    let b = BasicOcspResponse::from_der(basic).ok()?;
    b.tbs_response_data.nonce().map(|n| n.0.as_bytes().to_vec())
}

fn key_bits(cert: &Cert) -> &[u8] {
    cert.cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes()
}

/// Whether `id` names `cert` issued by `issuer` (without the issuer's certificate: by the
/// issuer's name and the serial number only).
fn names(id: &CertId, cert: &Cert, issuer: Option<&Cert>) -> bool {
    let Some(alg) = HashAlg::from_oid(&id.hash_algorithm.oid) else { return false };
    let Ok(name) = cert.cert.tbs_certificate.issuer.to_der() else { return false };
    id.serial_number == cert.cert.tbs_certificate.serial_number
        && id.issuer_name_hash.as_bytes() == alg.hash(&name).as_slice()
        && issuer.is_none_or(|i| id.issuer_key_hash.as_bytes() == alg.hash(key_bits(i)).as_slice())
}

/// Whether `responder` may answer for certificates of `issuer` (RFC 6960 §4.2.2.2): it is the
/// issuer, or the issuer issued it (its signature verifies with the issuer's key) with the
/// extended key usage id-kp-OCSPSigning.
fn authorised(responder: &Cert, issuer: &Cert) -> bool {
    if responder.der == issuer.der
        || (responder.cert.tbs_certificate.subject == issuer.cert.tbs_certificate.subject
            && key_bits(responder) == key_bits(issuer))
    {
        return true;
    }
    if responder.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
        return false;
    }
    let ocsp_signing = responder.cert.tbs_certificate.extensions.iter().flatten().any(|e| {
        e.extn_id == OID_EXTENDED_KEY_USAGE
            && ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).is_ok_and(|u| u.0.contains(&OID_KP_OCSP_SIGNING))
    });
    let Ok(tbs) = responder.cert.tbs_certificate.to_der() else { return false };
    let Some(sig) = responder.cert.signature.as_bytes() else { return false };
    ocsp_signing
        && algorithms::verify(
            &issuer.cert.tbs_certificate.subject_public_key_info,
            &responder.cert.signature_algorithm,
            None,
            algorithms::Input::Message(&tbs),
            sig,
        ) == Ok(true)
}

/// What the BasicOCSPResponse `basic` (DER) says about `cert`, issued by `issuer`, its
/// responder's certificate taken from the response or from `pool`; `None` when it does not
/// name `cert`. Without the issuer's certificate the response is only read and its signature
/// checked: it is unverifiable, since who may answer for the issuer cannot be told.
pub(crate) fn check(basic: &[u8], cert: &Cert, issuer: Option<&Cert>, pool: &[Cert]) -> Option<Evidence> {
    let resp = match BasicOcspResponse::from_der(basic) {
        Ok(r) => r,
        Err(e) => {
            return Some(Evidence::unverifiable(
                EvidenceKind::Ocsp,
                cert,
                String::new(),
                format!("unreadable OCSP response: {e}"),
            ))
        }
    };
    let data = &resp.tbs_response_data;
    let single = data.responses.iter().find(|s| names(&s.cert_id, cert, issuer))?;
    let own: Vec<Cert> = resp.certs.iter().flatten().filter_map(|c| Cert::from_cert(c.clone()).ok()).collect();
    let candidates = own.iter().chain(pool.iter()).chain(issuer).filter(|c| match &data.responder_id {
        ResponderId::ByName(n) => &c.cert.tbs_certificate.subject == n,
        ResponderId::ByKey(h) => HashAlg::Sha1.hash(key_bits(c)).as_slice() == h.as_bytes(),
    });
    let responder_name = match &data.responder_id {
        ResponderId::ByName(n) => shown(&crate::identity::name_text(n)),
        ResponderId::ByKey(_) => String::new(),
    };
    let bad = |who: String, why: &str| Some(Evidence::unverifiable(EvidenceKind::Ocsp, cert, who, why));
    let Some(signed) = signed_part(basic) else { return bad(responder_name, "the response cannot be read") };
    let Some(sig) = resp.signature.as_bytes() else { return bad(responder_name, "its signature is malformed") };
    let mut responder = None;
    for c in candidates.take(MAX_RESPONDER_CANDIDATES) {
        let spki = &c.cert.tbs_certificate.subject_public_key_info;
        if algorithms::verify(spki, &resp.signature_algorithm, None, algorithms::Input::Message(&signed), sig)
            == Ok(true)
        {
            responder = Some(c);
            break;
        }
    }
    let Some(responder) = responder else {
        return bad(responder_name, "its signature does not verify with the responder's certificate");
    };
    let who = shown(&responder.subject());
    let Some(issuer) = issuer else {
        let mut e = Evidence::unverifiable(
            EvidenceKind::Ocsp,
            cert,
            who,
            "its signature verifies with the responder's certificate, but the issuer's certificate is not \
             available to tell whether that responder may answer for it",
        );
        e.this_update = Some(single.this_update.0.to_date_time());
        e.next_update = single.next_update.map(|t| t.0.to_date_time());
        return Some(e);
    };
    if !authorised(responder, issuer) {
        return bad(
            who,
            "its responder is neither the certificate's issuer nor a responder the issuer authorised (id-kp-OCSPSigning)",
        );
    }
    let produced = seconds(data.produced_at.0.to_date_time());
    if !responder.valid_at(produced) {
        return bad(who, "the responder's certificate was not valid when the response was produced");
    }
    let status = match single.cert_status {
        CertStatus::Good(_) => Status::Good,
        CertStatus::Revoked(info) => Status::Revoked {
            time: info.revocation_time.0.to_date_time(),
            reason: info.revocation_reason.map(reason_words),
        },
        CertStatus::Unknown(_) => Status::Unknown,
    };
    Some(Evidence {
        kind: EvidenceKind::Ocsp,
        origin: EvidenceOrigin::Embedded,
        subject: cert.subject(),
        issuer: who,
        this_update: Some(single.this_update.0.to_date_time()),
        next_update: single.next_update.map(|t| t.0.to_date_time()),
        status,
    })
}
