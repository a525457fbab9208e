//! The one HTTP client of the crate: an HTTP/1.0 GET or POST over a plain TCP connection (no
//! chunked answers, the connection closes after it), bounded in size and time, for a TSA
//! (RFC 3161 §3.4), an OCSP responder (RFC 6960 appendix A) and a CRL distribution point
//! (RFC 5280 §4.2.1.13). Plain `http://` only: what travels is signed by its issuer (a token,
//! an OCSP response, a CRL) and checked as such, so transport security adds nothing, and these
//! services publish `http://` addresses (an `https://` one would need the very revocation
//! checking it serves).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::{Error, Result};

/// How long connecting, sending and each read may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// How long a whole answer may take to arrive.
pub(crate) const TOTAL: Duration = Duration::from_secs(60);

/// A parsed `http://host[:port]/path` address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) path: String,
}

impl Url {
    /// Parses `url`, an address of a `what` ("TSA", "OCSP responder"...).
    pub(crate) fn parse(url: &str, what: &str) -> Result<Url> {
        let shown = crate::verdict::shown(url);
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Error::Unsupported(format!(
                "the {what} address {shown:?} is not an http:// address (what it serves is signed and checked)"
            ))
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| Error::Unsupported(format!("bad port in {shown:?}")))?),
            None => (authority, 80),
        };
        let clean = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'@');
        if !clean(host) || !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Unsupported(format!("the {what} address {shown:?} is not a plain http://host/path")));
        }
        Ok(Url { host: host.to_owned(), port, path: path.to_owned() })
    }
}

/// One HTTP/1.0 exchange with `url` (a `what`): a POST of `body` (content type, accepted type,
/// bytes) or, without one, a GET; the body of a `200` answer, at most `max` bytes.
pub(crate) fn exchange(url: &Url, what: &str, body: Option<(&str, &str, &[u8])>, max: usize) -> Result<Vec<u8>> {
    exchange_within(url, what, body, max, TOTAL)
}

/// [`exchange`], the whole answer within `total`.
fn exchange_within(
    url: &Url,
    what: &str,
    body: Option<(&str, &str, &[u8])>,
    max: usize,
    total: Duration,
) -> Result<Vec<u8>> {
    let error = |why: String| Error::Io(std::io::Error::other(format!("{what} {}: {why}", url.host)));
    let addrs = (url.host.as_str(), url.port).to_socket_addrs().map_err(|e| error(e.to_string()))?;
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
    let mut stream = stream.ok_or_else(|| error(last.map_or("no address".into(), |e| e.to_string())))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let host = if url.port == 80 { url.host.clone() } else { format!("{}:{}", url.host, url.port) };
    let head = match body {
        Some((content_type, accept, bytes)) => format!(
            "POST {} HTTP/1.0\r\nHost: {host}\r\nContent-Type: {content_type}\r\nAccept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            url.path,
            bytes.len()
        ),
        None => format!("GET {} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n", url.path),
    };
    // One write: a server that answers as soon as it has read the request may close before a
    // second one.
    let mut request = head.into_bytes();
    if let Some((_, _, bytes)) = body {
        request.extend_from_slice(bytes);
    }
    stream.write_all(&request)?;
    let limit = max.saturating_add(16 * 1024);
    let mut answer = Vec::new();
    // One deadline for the whole answer: a server sending a byte now and then cannot keep us
    // past it (each read's own timeout alone would allow that).
    let deadline = std::time::Instant::now() + total;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(error(format!("no complete answer within {} s", total.as_secs())));
        }
        stream.set_read_timeout(Some(left.min(TIMEOUT)))?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A read timeout: the deadline's (that read was given what was left of it), or a
            // server silent for a whole read.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Err(error(if left <= TIMEOUT {
                    format!("no complete answer within {} s", total.as_secs())
                } else {
                    format!("no answer for {} s", left.min(TIMEOUT).as_secs())
                }));
            }
            Err(e) => return Err(error(e.to_string())),
        };
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.len() > limit {
            return Err(error(format!("the answer is larger than {max} bytes")));
        }
    }
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| error("not an HTTP answer".into()))?;
    let status_line = answer[..split].split(|&b| b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line);
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(error(format!("HTTP status {}", crate::verdict::shown(status.trim()))));
    }
    let content = &answer[split + 4..];
    if content.len() > max {
        return Err(error(format!("the answer is larger than {max} bytes")));
    }
    Ok(content.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_addresses() {
        let u = Url::parse("http://127.0.0.1:8080/tsr", "TSA").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("127.0.0.1", 8080, "/tsr"));
        let u = Url::parse("http://timestamp.example", "TSA").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        for bad in
            ["https://tsa.example/", "ftp://x/", "http://", "http://a b/", "http://user@host/", "http://h:99999/"]
        {
            assert!(Url::parse(bad, "TSA").is_err(), "{bad}");
        }
    }

    /// A server that sends its answer a byte at a time, slower than the deadline allows: an
    /// error once the deadline passes, not a read that lasts as long as the server wants.
    #[test]
    fn a_slow_answer_stops_at_the_deadline() {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/x", listener.local_addr().unwrap()), "test").unwrap();
        let server = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            for _ in 0..40 {
                if c.write_all(b"H").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let e = exchange_within(&url, "test", None, 1024, Duration::from_secs(1)).unwrap_err();
        assert!(e.to_string().contains("no complete answer within 1 s"), "{e}");
        server.join().unwrap();
    }
}
