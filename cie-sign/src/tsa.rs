//! Asking a Time-Stamping Authority for a token (RFC 3161 §2.4.1 request, §2.4.2 response,
//! §3.4 over HTTP). Plain HTTP only, as RFC 3161 §3.4 describes it: the token is signed by the
//! TSA, so transport security adds nothing to what is checked here and at verification (the
//! imprint, the nonce, the TSA's signature and certificate); public TSAs serve `http://`.
//!
//! Every byte of the answer is hostile: the response is read within [`MAX_RESPONSE`] and
//! [`TIMEOUT`], and the token is accepted only when it is over the data given (imprint) and
//! answers this request (nonce).

use cie_core::sign::HashAlg;
use cms::content_info::ContentInfo;
use der::asn1::{Any, AnyRef, Int, OctetString};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use rand_core::{OsRng, RngCore};
use spki::AlgorithmIdentifierOwned;

use crate::http::Url;
use crate::signed_data::decode_signed_data;
use crate::timestamp::TstInfo;
use crate::{Error, Result};

/// Most bytes read from a TSA (headers and token: a token with its certificates is a few KiB).
pub const MAX_RESPONSE: usize = 1 << 20;
/// How long connecting, sending and each read may take.
pub const TIMEOUT: std::time::Duration = crate::http::TIMEOUT;

/// TimeStampReq (RFC 3161 §2.4.1), without policy and extensions.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    cert_req: bool,
}

/// MessageImprint (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// Asks the TSA at `url` for a token over `data` hashed with `alg` (the imprint), with a fresh
/// nonce and the TSA's certificate included; returns the token (a ContentInfo, DER) once its
/// TSTInfo is checked to be over that imprint and to carry that nonce. The token's signature is
/// checked whenever the signature it is added to is verified.
pub fn request_token(url: &str, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>> {
    let url = Url::parse(url, "TSA")?;
    let imprint = alg.hash(data);
    let mut nonce = [0u8; 8];
    OsRng.try_fill_bytes(&mut nonce).map_err(std::io::Error::other)?;
    nonce[0] &= 0x7F;
    nonce[0] |= 0x01;
    let request = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: crate::digest::algorithm_identifier(alg),
            hashed_message: OctetString::new(imprint.clone())?,
        },
        nonce: Some(Int::new(&nonce)?),
        cert_req: true,
    }
    .to_der()?;
    let body = crate::http::exchange(
        &url,
        "TSA",
        Some(("application/timestamp-query", "application/timestamp-reply", &request)),
        MAX_RESPONSE,
    )?;
    token_from_reply(&body, &imprint, &nonce)
}

/// The token of a TSA's reply (a DER TimeStampResp, RFC 3161 §2.4.2) to a request over
/// `imprint` with `nonce`: granted, a ContentInfo whose TSTInfo carries that imprint and nonce.
pub fn token_from_reply(reply: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<Vec<u8>> {
    let token = token_of(reply)?;
    check_token(&token, imprint, nonce)?;
    Ok(token)
}

/// The token of a TimeStampResp (RFC 3161 §2.4.2) granted (status 0 or 1).
fn token_of(resp: &[u8]) -> Result<Vec<u8>> {
    let bad = |e: der::Error| Error::Cms(format!("the TSA's answer is not a TimeStampResp: {e}"));
    let mut reader = SliceReader::new(resp).map_err(bad)?;
    let (status, token) = reader
        .sequence(|r| {
            let status = r.sequence(|s| {
                let code = Int::decode(s)?;
                while !s.is_finished() {
                    AnyRef::decode(s)?;
                }
                Ok(code)
            })?;
            let token = if r.is_finished() { None } else { Some(Any::decode(r)?) };
            Ok((status, token))
        })
        .map_err(bad)?;
    let status = match status.as_bytes() {
        [b] => *b,
        _ => 0xFF,
    };
    if status > 1 {
        return Err(Error::Cms(format!(
            "the TSA refused the request (PKIStatus {status}: {})",
            match status {
                2 => "rejection",
                3 => "waiting",
                4 => "revocation warning",
                5 => "revocation notification",
                _ => "unknown",
            }
        )));
    }
    let token = token.ok_or_else(|| Error::Cms("the TSA granted the request but sent no token".into()))?;
    if token.tag() != Tag::Sequence {
        return Err(Error::Cms("the TSA's token is not a ContentInfo".into()));
    }
    Ok(token.to_der()?)
}

/// Checks that `token` is over `imprint` and answers `nonce` (RFC 3161 §2.4.2).
fn check_token(token: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<()> {
    let ci = ContentInfo::from_der(token).map_err(|e| Error::Cms(format!("the TSA's token: {e}")))?;
    let (sd, _) = decode_signed_data(&ci.content)?;
    let info = match &sd.encap_content_info.econtent {
        Some(any) if any.tag() == Tag::OctetString => any.value(),
        _ => return Err(Error::Cms("the TSA's token carries no TSTInfo".into())),
    };
    let info_parsed = TstInfo::from_der(info).map_err(|r| Error::Cms(r.to_string()))?;
    if info_parsed.imprint != imprint {
        return Err(Error::Cms("the TSA's token is over other data (its imprint differs)".into()));
    }
    if info_parsed.nonce.as_deref() != Some(nonce) {
        return Err(Error::Cms("the TSA's token does not answer this request (its nonce differs)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_garbage_are_errors() {
        // TimeStampResp { PKIStatusInfo { 2 (rejection) } }, written by hand.
        let rejected = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02];
        assert!(matches!(token_of(&rejected), Err(Error::Cms(m)) if m.contains("rejection")));
        // Granted but no token.
        let empty = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert!(token_of(&empty).is_err());
        // Not DER at all.
        assert!(token_of(b"<html>").is_err());
    }
}
