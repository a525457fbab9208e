//! Reading one HTTP/1.x request in the tests' small servers on the loopback (a TSA, an OCSP
//! responder, a CRL server): the request line and the body its Content-Length announces.

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

/// The request line and the body of the request on `conn` (10 s read timeout).
pub(crate) fn read_request(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the headers ended"));
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..i]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                .unwrap_or(0);
            break (i + 4, length);
        }
    };
    while data.len() < head_end + length {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&data[..head_end]).lines().next().unwrap_or_default().to_owned();
    Ok((line, data.split_off(head_end)))
}
