//! An answer to reset given by the user (`cie-sim --atr HEX`, [`crate::stack::StackOptions::atr`],
//! [`crate::SimCard::with_atr`]), so that any ATR can be presented with any profile
//! (PROTOCOL.md §1.1: real readers build a pseudo-ATR for contactless cards).
//!
//! Checked only as far as a reader needs: hexadecimal digits, TS `3B` or `3F` (ISO 7816-3
//! §8.1), 2 to 33 bytes. T0, the interface bytes and TCK are not checked, so that entries
//! recorded without their TCK (as some of pcsc-tools' list are) can be presented as they are.

use std::fmt;
use std::str::FromStr;

/// The longest ATR ISO 7816-3 allows (§8.2.1: TS and at most 32 further bytes).
pub const MAX_ATR_LEN: usize = 33;

/// An ATR of 2 to [`MAX_ATR_LEN`] bytes starting with TS `3B` or `3F`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Atr(Vec<u8>);

/// Why an ATR was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtrError {
    /// A character that is not a hexadecimal digit or a separator (its position, 0-based).
    #[error("not a hexadecimal digit at position {0}")]
    NotHex(usize),
    /// An odd number of hexadecimal digits.
    #[error("odd number of hexadecimal digits")]
    OddDigits,
    /// Fewer than 2 or more than [`MAX_ATR_LEN`] bytes (the length).
    #[error("length {0}: an ATR has 2 to 33 bytes")]
    Length(usize),
    /// TS is neither `3B` (direct convention) nor `3F` (inverse).
    #[error("TS is {0:02X}: an ATR starts with 3B or 3F")]
    Ts(u8),
}

impl Atr {
    /// The ATR `bytes`, checked (see the module documentation).
    pub fn new(bytes: &[u8]) -> Result<Atr, AtrError> {
        if !(2..=MAX_ATR_LEN).contains(&bytes.len()) {
            return Err(AtrError::Length(bytes.len()));
        }
        if !matches!(bytes[0], 0x3B | 0x3F) {
            return Err(AtrError::Ts(bytes[0]));
        }
        Ok(Atr(bytes.to_vec()))
    }

    /// Parses hexadecimal, with spaces, colons or dashes between bytes allowed
    /// (`"3B 80 80 01 01"`, `"3b:80:80:01:01"`, `"3B80800101"`).
    pub fn from_hex(text: &str) -> Result<Atr, AtrError> {
        let mut digits = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            match c {
                ' ' | ':' | '-' | '\t' => {}
                c => digits.push(c.to_digit(16).ok_or(AtrError::NotHex(i))? as u8),
            }
        }
        if digits.len() % 2 != 0 {
            return Err(AtrError::OddDigits);
        }
        let bytes: Vec<u8> = digits.chunks(2).map(|d| d[0] << 4 | d[1]).collect();
        Atr::new(&bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for Atr {
    type Err = AtrError;

    fn from_str(s: &str) -> Result<Atr, AtrError> {
        Atr::from_hex(s)
    }
}

/// Upper-case hexadecimal bytes separated by spaces, as pcsc-tools writes them.
impl fmt::Display for Atr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Atr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atr({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms_are_accepted() {
        let want = [0x3B, 0x80, 0x80, 0x01, 0x01];
        for text in ["3B 80 80 01 01", "3b:80:80:01:01", "3B80800101", " 3B-80-80-01-01 "] {
            assert_eq!(Atr::from_hex(text).unwrap().as_bytes(), want, "{text}");
        }
        let atr: Atr = "3F 00".parse().unwrap();
        assert_eq!(atr.to_string(), "3F 00");
        assert_eq!(Atr::new(&want).unwrap().to_string(), "3B 80 80 01 01");
    }

    #[test]
    fn bad_input_is_refused_with_its_reason() {
        assert_eq!(Atr::from_hex("3B 8G"), Err(AtrError::NotHex(4)));
        assert_eq!(Atr::from_hex("3B é0"), Err(AtrError::NotHex(3)));
        assert_eq!(Atr::from_hex("3B 8"), Err(AtrError::OddDigits));
        assert_eq!(Atr::from_hex(""), Err(AtrError::Length(0)));
        assert_eq!(Atr::from_hex("3B"), Err(AtrError::Length(1)));
        assert_eq!(Atr::from_hex(&"3B".repeat(34)), Err(AtrError::Length(34)));
        assert!(Atr::from_hex(&"3B".repeat(33)).is_ok());
        assert_eq!(Atr::from_hex("00 80"), Err(AtrError::Ts(0x00)));
        assert_eq!(Atr::from_hex("3B 8G").unwrap_err().to_string(), "not a hexadecimal digit at position 4");
        assert_eq!(Atr::from_hex("3B").unwrap_err().to_string(), "length 1: an ATR has 2 to 33 bytes");
    }
}
