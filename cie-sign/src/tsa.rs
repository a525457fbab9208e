//! Asking a Time-Stamping Authority for a token (RFC 3161 §2.4.1 request, §2.4.2 response,
//! §3.4 over HTTP). Plain HTTP only, as RFC 3161 §3.4 describes it: the token is signed by the
//! TSA, so transport security adds nothing to what is checked here and at verification (the
//! imprint, the nonce, the TSA's signature and certificate); public TSAs serve `http://`.
//!
//! Every byte of the answer is hostile: the response is read within [`MAX_RESPONSE`] and
//! [`TIMEOUT`], and the token is accepted only when it is over the data given (imprint) and
//! answers this request (nonce).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use cie_core::sign::HashAlg;
use cms::content_info::ContentInfo;
use der::asn1::{Any, AnyRef, Int, OctetString};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use rand_core::{OsRng, RngCore};
use spki::AlgorithmIdentifierOwned;

use crate::signed_data::decode_signed_data;
use crate::timestamp::TstInfo;
use crate::{Error, Result};

/// Most bytes read from a TSA (headers and token: a token with its certificates is a few KiB).
pub const MAX_RESPONSE: usize = 1 << 20;
/// How long connecting, sending and each read may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

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

/// A parsed `http://host[:port]/path` address.
struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        Error::Unsupported(format!(
            "the TSA address {url:?} is not an http:// address (RFC 3161 over HTTP; the token itself is signed)"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| Error::Unsupported(format!("bad port in {url:?}")))?),
        None => (authority, 80),
    };
    let clean = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'@');
    if !clean(host) || !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Unsupported(format!("the TSA address {url:?} is not a plain http://host/path")));
    }
    Ok(Url { host: host.to_owned(), port, path: path.to_owned() })
}

/// Asks the TSA at `url` for a token over `data` hashed with `alg` (the imprint), with a fresh
/// nonce and the TSA's certificate included; returns the token (a ContentInfo, DER) once its
/// TSTInfo is checked to be over that imprint and to carry that nonce. The token's signature is
/// checked whenever the signature it is added to is verified.
pub fn request_token(url: &str, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>> {
    let url = parse_url(url)?;
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
    let body = post(&url, &request)?;
    token_from_reply(&body, &imprint, &nonce)
}

/// The token of a TSA's reply (a DER TimeStampResp, RFC 3161 §2.4.2) to a request over
/// `imprint` with `nonce`: granted, a ContentInfo whose TSTInfo carries that imprint and nonce.
pub fn token_from_reply(reply: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<Vec<u8>> {
    let token = token_of(reply)?;
    check_token(&token, imprint, nonce)?;
    Ok(token)
}

/// One HTTP/1.0 POST (no chunked answers, the connection closes after it); the body of a
/// `200` answer.
fn post(url: &Url, body: &[u8]) -> Result<Vec<u8>> {
    let tsa_error = |what: String| Error::Io(std::io::Error::other(format!("TSA {}: {what}", url.host)));
    let addrs = (url.host.as_str(), url.port).to_socket_addrs().map_err(|e| tsa_error(e.to_string()))?;
    let mut last = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| tsa_error(last.map_or("no address".into(), |e| e.to_string())))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let host = if url.port == 80 { url.host.clone() } else { format!("{}:{}", url.host, url.port) };
    let head = format!(
        "POST {} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/timestamp-query\r\nAccept: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        url.path,
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.take(MAX_RESPONSE as u64 + 1).read_to_end(&mut answer).map_err(|e| tsa_error(e.to_string()))?;
    if answer.len() > MAX_RESPONSE {
        return Err(tsa_error(format!("the answer is larger than {MAX_RESPONSE} bytes")));
    }
    let split =
        answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| tsa_error("not an HTTP answer".into()))?;
    let status_line = answer[..split].split(|&b| b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line);
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(tsa_error(format!("HTTP status {}", crate::verdict::shown(status.trim()))));
    }
    Ok(answer[split + 4..].to_vec())
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
    let info_parsed = TstInfo::from_der(info).map_err(Error::Cms)?;
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
    fn only_plain_http_addresses() {
        let u = parse_url("http://127.0.0.1:8080/tsr").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("127.0.0.1", 8080, "/tsr"));
        let u = parse_url("http://timestamp.example").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        for bad in
            ["https://tsa.example/", "ftp://x/", "http://", "http://a b/", "http://user@host/", "http://h:99999/"]
        {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

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
