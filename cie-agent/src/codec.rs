//! The field primitives of the messages: fixed-size integers, length-prefixed byte strings and
//! UTF-8 strings, each bounded. A [`Cursor`] never reads past its input and a decoded message
//! must use every byte ([`Cursor::finish`]).

use zeroize::Zeroizing;

/// The longest text field (reader names, error details), in bytes.
pub(crate) const MAX_TEXT: usize = 1024;

/// Why bytes are not a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error("message truncated")]
    Truncated,
    /// Bytes left after the last field.
    #[error("bytes after the end of the message")]
    Trailing,
    /// An unknown message, error or value tag.
    #[error("unknown tag {0:#04x}")]
    UnknownTag(u8),
    /// A field over its limit.
    #[error("field over its limit")]
    TooLong,
    /// A text field that is not UTF-8.
    #[error("text field not UTF-8")]
    NotUtf8,
}

/// Reads fields from a message body.
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            t => Err(DecodeError::UnknownTag(t)),
        }
    }

    /// A byte string with a 4-byte length (bounded by the frame it came in).
    pub(crate) fn bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }

    /// A secret (PIN, PUK) with a 1-byte length, at most 32 bytes, zeroized on drop.
    pub(crate) fn secret(&mut self) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
        let n = self.u8()? as usize;
        if n > 32 {
            return Err(DecodeError::TooLong);
        }
        Ok(Zeroizing::new(self.take(n)?.to_vec()))
    }

    /// A UTF-8 string with a 2-byte length, at most [`MAX_TEXT`] bytes.
    pub(crate) fn text(&mut self) -> Result<String, DecodeError> {
        let n = self.u16()? as usize;
        if n > MAX_TEXT {
            return Err(DecodeError::TooLong);
        }
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| DecodeError::NotUtf8)
    }

    pub(crate) fn opt_text(&mut self) -> Result<Option<String>, DecodeError> {
        if self.bool()? {
            self.text().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A list count, at most `max`.
    pub(crate) fn count(&mut self, max: usize) -> Result<usize, DecodeError> {
        let n = self.u16()? as usize;
        if n > max {
            return Err(DecodeError::TooLong);
        }
        Ok(n)
    }

    /// Ends the message: no byte may be left.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing)
        }
    }
}

/// Writes fields into a message body (zeroized on drop: requests may hold a PIN).
pub(crate) struct Out(pub(crate) Zeroizing<Vec<u8>>);

impl Out {
    pub(crate) fn new(tag: u8) -> Out {
        Out(Zeroizing::new(vec![tag]))
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Out {
        self.0.push(v);
        self
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Out {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Out {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Out {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Out {
        self.u8(u8::from(v))
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Out {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(v);
        self
    }

    /// At most 32 bytes are written (longer secrets are cut: they are refused anyway).
    pub(crate) fn secret(&mut self, v: &[u8]) -> &mut Out {
        let v = &v[..v.len().min(32)];
        self.u8(v.len() as u8);
        self.0.extend_from_slice(v);
        self
    }

    /// At most [`MAX_TEXT`] bytes, cut at a character boundary.
    pub(crate) fn text(&mut self, v: &str) -> &mut Out {
        let mut end = v.len().min(MAX_TEXT);
        while !v.is_char_boundary(end) {
            end -= 1;
        }
        self.u16(end as u16);
        self.0.extend_from_slice(&v.as_bytes()[..end]);
        self
    }

    pub(crate) fn opt_text(&mut self, v: Option<&str>) -> &mut Out {
        match v {
            Some(t) => self.bool(true).text(t),
            None => self.bool(false),
        }
    }

    pub(crate) fn count(&mut self, n: usize) -> &mut Out {
        self.u16(u16::try_from(n).unwrap_or(u16::MAX))
    }
}
