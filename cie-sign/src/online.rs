//! Fetching revocation data for a certificate at verification time (`cie verify --online`,
//! off by default): its OCSP responder (authorityInfoAccess id-ad-ocsp, RFC 6960 appendix A.1:
//! a POST of `application/ocsp-request`) and, failing that, its CRL distribution point
//! (cRLDistributionPoints, a GET), `http://` addresses only (`http.rs`), each answer
//! bounded in size and time and checked exactly as embedded data is (`ocsp.rs`,
//! `crl.rs`).

use der::asn1::ObjectIdentifier;
use der::Decode;
use rand_core::{OsRng, RngCore};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};

use crate::chain::Cert;
use crate::evidence::{Evidence, Status};
use crate::http::{exchange, Url};

/// Most bytes of an OCSP response fetched.
pub const MAX_OCSP_RESPONSE: usize = 1 << 20;
/// Most bytes of a CRL fetched.
pub const MAX_CRL: usize = 16 << 20;
/// Addresses of each kind tried for one certificate.
const MAX_ADDRESSES: usize = 2;

const OID_AIA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const OID_CRL_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");

/// The `http://` OCSP responder addresses of `cert`.
pub fn ocsp_urls(cert: &Cert) -> Vec<String> {
    let mut out = Vec::new();
    for e in cert.cert.tbs_certificate.extensions.iter().flatten().filter(|e| e.extn_id == OID_AIA) {
        let Ok(aia) = AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes()) else { continue };
        for d in aia.0.iter().filter(|d| d.access_method == OID_AD_OCSP) {
            if let GeneralName::UniformResourceIdentifier(uri) = &d.access_location {
                out.push(uri.to_string());
            }
        }
    }
    out.retain(|u| u.starts_with("http://"));
    out
}

/// The `http://` CRL distribution point addresses of `cert`.
pub fn crl_urls(cert: &Cert) -> Vec<String> {
    let mut out = Vec::new();
    for e in cert.cert.tbs_certificate.extensions.iter().flatten().filter(|e| e.extn_id == OID_CRL_DP) {
        let Ok(dps) = CrlDistributionPoints::from_der(e.extn_value.as_bytes()) else { continue };
        for dp in &dps.0 {
            if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point {
                for n in names {
                    if let GeneralName::UniformResourceIdentifier(uri) = n {
                        out.push(uri.to_string());
                    }
                }
            }
        }
    }
    out.retain(|u| u.starts_with("http://"));
    out
}

/// Asks `cert`'s OCSP responder, then its CRL distribution point, for its status, until an
/// answer that concerns it can be verified; every answer that concerns it (those that cannot
/// be verified first), or why nothing could be fetched.
pub(crate) fn fetch(cert: &Cert, issuer: &Cert, pool: &[Cert]) -> Result<Vec<Evidence>, String> {
    let mut why = Vec::new();
    let mut answers = Vec::new();
    let usable = |e: &Evidence| !matches!(e.status, Status::Unverifiable(_));
    for url in ocsp_urls(cert).into_iter().take(MAX_ADDRESSES) {
        match ask_responder(&url, cert, issuer, pool) {
            Ok(e) => answers.push(e),
            Err(e) => why.push(e),
        }
        if answers.last().is_some_and(usable) {
            return Ok(answers);
        }
    }
    for url in crl_urls(cert).into_iter().take(MAX_ADDRESSES) {
        match download_crl(&url, cert, issuer) {
            Ok(e) => answers.push(e),
            Err(e) => why.push(e),
        }
        if answers.last().is_some_and(usable) {
            return Ok(answers);
        }
    }
    if !answers.is_empty() {
        return Ok(answers);
    }
    if why.is_empty() {
        why.push("the certificate names no http:// OCSP responder or CRL distribution point".into());
    }
    Err(why.join("; "))
}

fn ask_responder(url: &str, cert: &Cert, issuer: &Cert, pool: &[Cert]) -> Result<Evidence, String> {
    let shown = crate::verdict::shown(url);
    let parsed = Url::parse(url, "OCSP responder").map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 16];
    OsRng.try_fill_bytes(&mut nonce).map_err(|e| e.to_string())?;
    let request = crate::ocsp::request(cert, issuer, &nonce).map_err(|e| e.to_string())?;
    let body = exchange(
        &parsed,
        "OCSP responder",
        Some(("application/ocsp-request", "application/ocsp-response", &request)),
        MAX_OCSP_RESPONSE,
    )
    .map_err(|e| e.to_string())?;
    let basic = crate::ocsp::basic_of(&body).map_err(|e| format!("{shown}: {e}"))?;
    if let Some(n) = crate::ocsp::nonce_of(&basic) {
        if n != nonce {
            return Err(format!("{shown}: the response does not answer this request (its nonce differs)"));
        }
    }
    crate::ocsp::check(&basic, cert, Some(issuer), pool)
        .ok_or_else(|| format!("{shown}: the response does not concern the certificate"))
}

fn download_crl(url: &str, cert: &Cert, issuer: &Cert) -> Result<Evidence, String> {
    let shown = crate::verdict::shown(url);
    let parsed = Url::parse(url, "CRL distribution point").map_err(|e| e.to_string())?;
    let body = exchange(&parsed, "CRL distribution point", None, MAX_CRL).map_err(|e| e.to_string())?;
    crate::crl::check(&body, cert, issuer).ok_or_else(|| format!("{shown}: the CRL is not of the certificate's issuer"))
}
