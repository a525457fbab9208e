//! Frames on the agent's socket: a 4-byte big-endian length, then that many bytes, at most
//! [`MAX_FRAME`]. A length over the maximum is refused before anything is allocated.

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

/// The hard maximum of a frame's body (64 KiB): the largest legitimate request is a document
/// digest or a PIN change, the largest reply a certificate or a status listing.
pub const MAX_FRAME: usize = 64 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection cleanly between two frames.
    #[error("connection closed")]
    Closed,
    /// Nothing arrived before the stream's read timeout (between two frames: not an error).
    #[error("no frame yet")]
    Idle,
    /// The announced length is over [`MAX_FRAME`].
    #[error("frame of {0} bytes is over the 64 KiB limit")]
    TooLong(u32),
    /// The connection ended or failed inside a frame, or a deadline passed.
    #[error("frame read: {0}")]
    Io(#[from] io::Error),
}

/// Reads one frame. The body is zeroized when dropped (it may hold a PIN).
pub fn read_frame(reader: &mut impl Read) -> Result<Zeroizing<Vec<u8>>, FrameError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < header.len() {
        match reader.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if got == 0 && matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(FrameError::Idle)
            }
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(header);
    if len as usize > MAX_FRAME {
        return Err(FrameError::TooLong(len));
    }
    let mut body = Zeroizing::new(vec![0u8; len as usize]);
    reader.read_exact(&mut body)?;
    Ok(body)
}

/// Writes one frame (header and body in one write). A body over [`MAX_FRAME`] is an error.
pub fn write_frame(writer: &mut impl Write, body: &[u8]) -> io::Result<()> {
    if body.len() > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "frame over the 64 KiB limit"));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(4 + body.len()));
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    writer.write_all(&out)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_limits() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"abc").unwrap();
        assert_eq!(buf, [0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(&read_frame(&mut &buf[..]).unwrap()[..], b"abc");
        assert!(matches!(read_frame(&mut &[][..]), Err(FrameError::Closed)));
        assert!(matches!(read_frame(&mut &[0u8, 0][..]), Err(FrameError::Io(_))));
        assert!(matches!(read_frame(&mut &[0u8, 0, 0, 5, 1][..]), Err(FrameError::Io(_))));
        let over = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert!(matches!(read_frame(&mut &over[..]), Err(FrameError::TooLong(_))));
        assert!(write_frame(&mut Vec::new(), &vec![0; MAX_FRAME + 1]).is_err());
        let mut max = Vec::new();
        write_frame(&mut max, &vec![7; MAX_FRAME]).unwrap();
        assert_eq!(read_frame(&mut &max[..]).unwrap().len(), MAX_FRAME);
    }
}
