//! PIN and PUK (PROTOCOL.md §6): validation before any APDU, and what the card's answers to
//! VERIFY, CHANGE REFERENCE DATA and the GET DATA of the tries left mean (the commands
//! themselves are built by `commands`).
//!
//! [`Pin`] and [`Puk`] are distinct types, so passing one where the other is expected does not
//! compile; the sealed [`Secret`] trait is what they have in common (validation, digits,
//! card reference).

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Credential, Error, Result};
use crate::sw::{StatusWord, SwKind};
use crate::tlv;

/// Reference of the user PIN (P2 of VERIFY and friends).
pub const PIN_REF: u8 = 0x81;
/// Reference of the PUK.
pub const PUK_REF: u8 = 0x82;
/// Length of PIN and PUK.
pub const SECRET_LEN: usize = 8;
/// Most tries a PIN or PUK counter may announce: what `63 Cx` can express (PIN 3, PUK 10, §6).
pub const MAX_TRIES: u8 = 15;

/// IAS-ECC class of a CHV (PIN-like) security data object (OpenSC `iasecc-sdo.h`
/// `IASECC_SDO_CLASS_CHV`).
const CHV_CLASS: u8 = 0x01;
/// Tag of the data object control parameters (DOCP) of a security data object.
pub const DOCP: u8 = 0xA0;
/// DOCP tag of the maximum number of tries.
const TRIES_MAXIMUM: u32 = 0x9A;
/// DOCP tag of the tries remaining.
const TRIES_REMAINING: u32 = 0x9B;

/// The identifier of the CHV security data object of the PIN or PUK `reference` (§6):
/// `BF`, the class `01` with the reference's "local" bit `80`, the reference number; so
/// PIN `81` → `BF 81 01`, PUK `82` → `BF 81 02`.
pub fn chv_sdo(reference: u8) -> [u8; 3] {
    [0xBF, CHV_CLASS | (reference & 0x80), reference & 0x1F]
}

/// The counters of a PIN or PUK as the DOCP of its CHV object states them (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tries {
    /// The counter when full (`9A`), when the card says it.
    pub maximum: Option<u8>,
    /// The tries left (`9B`): 0 means blocked.
    pub remaining: u8,
}

/// Reads the answer to GET DATA of the DOCP of `reference`'s CHV object (§6):
/// `[70 L] BF 81 <n> L A0 L { ... 9A 01 <max> ... 9B 01 <left> ... }`, the template `70`
/// optional, other DOCP objects (`80`, `A1`, `9C`, ...) skipped. Refused: another object, bytes
/// after it, `9B` missing or not one byte, more tries left than the maximum or than
/// [`MAX_TRIES`].
pub fn parse_tries(reference: u8, answer: &[u8]) -> Result<Tries> {
    let (_, rest) = tlv::read(answer)?;
    if !rest.is_empty() {
        return Err(Error::malformed("bytes after the PIN counters"));
    }
    let root = tlv::parse(answer)?;
    let sdo_tag = chv_sdo(reference).iter().fold(0u32, |t, b| t << 8 | u32::from(*b));
    let sdo = match root.tlv().tag() {
        0x70 => tlv::child(&root, sdo_tag)?,
        t if t == sdo_tag => &root,
        t => return Err(Error::malformed(format!("PIN counters: expected tag {sdo_tag:X}, found {t:X}"))),
    };
    let docp = tlv::child(sdo, DOCP.into())?;
    let one_byte = |tag: u32| -> Result<Option<u8>> {
        match tlv::children(docp)?.iter().find(|c| c.tlv().tag() == tag) {
            None => Ok(None),
            Some(node) => match tlv::primitive(node)? {
                [n] => Ok(Some(*n)),
                _ => Err(Error::malformed(format!("PIN counters: tag {tag:X} is not one byte"))),
            },
        }
    };
    let maximum = one_byte(TRIES_MAXIMUM)?;
    let remaining = one_byte(TRIES_REMAINING)?.ok_or_else(|| Error::malformed("PIN counters: tries left missing"))?;
    if remaining > maximum.unwrap_or(MAX_TRIES) || maximum.is_some_and(|m| m > MAX_TRIES) {
        return Err(Error::malformed("PIN counters out of range"));
    }
    Ok(Tries { maximum, remaining })
}

/// Exactly 8 ASCII digits, zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
struct Digits([u8; SECRET_LEN]);

impl Digits {
    /// Validates `value`: exactly 8 ASCII digits, nothing else (no whitespace trimming).
    fn parse(kind: Credential, value: &[u8]) -> Result<Digits> {
        if value.len() != SECRET_LEN || !value.iter().all(u8::is_ascii_digit) {
            return Err(Error::InvalidCredentialFormat(kind));
        }
        let mut digits = [0u8; SECRET_LEN];
        digits.copy_from_slice(value);
        Ok(Digits(digits))
    }
}

mod sealed {
    /// Only [`super::Pin`] and [`super::Puk`] are secrets.
    pub trait Sealed {}
}

/// What a [`Pin`] and a [`Puk`] have in common: 8 validated digits and a card reference (§6).
pub trait Secret: sealed::Sealed + Clone + Sized {
    /// PIN or PUK (for error messages and status mapping).
    const KIND: Credential;
    /// The card reference of this secret (P2 of VERIFY).
    const REFERENCE: u8;
    /// Validates `value`: exactly 8 ASCII digits, nothing else (no whitespace trimming).
    fn parse(value: &[u8]) -> Result<Self>;
    /// The ASCII digits (for building a command; the command zeroizes its copy on drop).
    fn digits(&self) -> &[u8; SECRET_LEN];
}

/// A validated user PIN (reference `81`), zeroized on drop.
///
/// A PIN goes where a PIN is expected:
///
/// ```
/// # use cie_core::pin::Pin;
/// # fn login(s: &mut cie_core::session::Session<Box<dyn cie_core::Transport>>) -> cie_core::Result<()> {
/// s.verify_pin(&Pin::new("12345678")?)
/// # }
/// ```
///
/// and a PUK there does not compile:
///
/// ```compile_fail
/// # use cie_core::pin::Puk;
/// # fn login(s: &mut cie_core::session::Session<Box<dyn cie_core::Transport>>) -> cie_core::Result<()> {
/// s.verify_pin(&Puk::new("12345678")?)
/// # }
/// ```
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Pin(Digits);

/// A validated PUK (reference `82`), zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Puk(Digits);

macro_rules! secret_type {
    ($ty:ident, $kind:expr, $reference:expr) => {
        impl $ty {
            /// Validates `value`: exactly 8 ASCII digits, nothing else (no whitespace trimming).
            pub fn new(value: impl AsRef<[u8]>) -> Result<$ty> {
                <$ty as Secret>::parse(value.as_ref())
            }
        }

        impl sealed::Sealed for $ty {}

        impl Secret for $ty {
            const KIND: Credential = $kind;
            const REFERENCE: u8 = $reference;

            fn parse(value: &[u8]) -> Result<$ty> {
                Digits::parse($kind, value).map($ty)
            }

            fn digits(&self) -> &[u8; SECRET_LEN] {
                &self.0 .0
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(********)", $kind)
            }
        }
    };
}

secret_type!(Pin, Credential::Pin, PIN_REF);
secret_type!(Puk, Credential::Puk, PUK_REF);

/// Maps the status word of a VERIFY/CHANGE for `credential` (§6): `90 00` ok, `63 Cx` wrong
/// with x tries left (`63 C0` = now blocked), `63 00`/`67 00` wrong, `69 83` blocked.
pub fn check_status(credential: Credential, command: &'static str, sw: StatusWord) -> Result<()> {
    match sw.kind() {
        SwKind::Ok => Ok(()),
        SwKind::TriesLeft(0) | SwKind::AuthMethodBlocked => Err(Error::Blocked(credential)),
        SwKind::TriesLeft(n) => Err(Error::WrongCredential { credential, tries_left: Some(n) }),
        SwKind::VerificationFailed | SwKind::WrongLength => {
            Err(Error::WrongCredential { credential, tries_left: None })
        }
        _ => Err(Error::card(command, sw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Pin::new("12345678").is_ok());
        for bad in ["1234567", "123456789", "1234567a", " 2345678", "", "１２３４５６７８"] {
            assert!(matches!(Pin::new(bad), Err(Error::InvalidCredentialFormat(Credential::Pin))), "{bad:?}");
            assert!(matches!(Puk::new(bad), Err(Error::InvalidCredentialFormat(Credential::Puk))), "{bad:?}");
        }
        assert_eq!(format!("{:?}", Pin::new("12345678").unwrap()), "PIN(********)");
        assert_eq!(format!("{:?}", Puk::new("12345678").unwrap()), "PUK(********)");
        assert_eq!((Pin::KIND, Puk::KIND), (Credential::Pin, Credential::Puk));
    }

    #[test]
    fn statuses() {
        assert!(check_status(Credential::Pin, "VERIFY", StatusWord::OK).is_ok());
        assert!(matches!(
            check_status(Credential::Pin, "VERIFY", StatusWord::tries_left(2)),
            Err(Error::WrongCredential { tries_left: Some(2), .. })
        ));
        assert!(matches!(
            check_status(Credential::Puk, "VERIFY", StatusWord::tries_left(0)),
            Err(Error::Blocked(Credential::Puk))
        ));
        assert!(matches!(
            check_status(Credential::Pin, "VERIFY", StatusWord::AUTH_METHOD_BLOCKED),
            Err(Error::Blocked(Credential::Pin))
        ));
        assert!(matches!(check_status(Credential::Pin, "VERIFY", StatusWord::FILE_NOT_FOUND), Err(Error::Card { .. })));
    }

    #[test]
    fn chv_objects() {
        // OpenSC iasecc-sdo.h: class CHV 01, local bit 80; PIN 81 and PUK 82 are local.
        assert_eq!(chv_sdo(PIN_REF), [0xBF, 0x81, 0x01]);
        assert_eq!(chv_sdo(PUK_REF), [0xBF, 0x81, 0x02]);
        assert_eq!(chv_sdo(0x01), [0xBF, 0x01, 0x01]);
    }

    #[test]
    fn tries_answers() {
        // Written out by hand: 70 { BF 81 01 { A0 { 9A 01 03, 9B 01 02 } } }.
        let answer = [0x70, 0x0C, 0xBF, 0x81, 0x01, 0x08, 0xA0, 0x06, 0x9A, 0x01, 0x03, 0x9B, 0x01, 0x02];
        assert_eq!(parse_tries(PIN_REF, &answer).unwrap(), Tries { maximum: Some(3), remaining: 2 });
        // Without the template 70, with other DOCP objects around, 9B before 9A.
        let answer = [
            0xBF, 0x81, 0x02, 0x0F, 0xA0, 0x0D, 0x80, 0x01, 0x08, 0x9B, 0x01, 0x0A, 0x9A, 0x01, 0x0A, 0xA1, 0x02, 0x8C,
            0x00,
        ];
        assert_eq!(parse_tries(PUK_REF, &answer).unwrap(), Tries { maximum: Some(10), remaining: 10 });
        // Blocked, no maximum given.
        let answer = [0xBF, 0x81, 0x01, 0x05, 0xA0, 0x03, 0x9B, 0x01, 0x00];
        assert_eq!(parse_tries(PIN_REF, &answer).unwrap(), Tries { maximum: None, remaining: 0 });
    }

    #[test]
    fn hostile_tries_answers() {
        let bad: &[&[u8]] = &[
            &[],
            &[0x70],
            &[0x70, 0x00],
            // The PUK's object where the PIN's was asked for.
            &[0x70, 0x09, 0xBF, 0x81, 0x02, 0x05, 0xA0, 0x03, 0x9B, 0x01, 0x02],
            // No DOCP; 9B outside it.
            &[0xBF, 0x81, 0x01, 0x03, 0x9B, 0x01, 0x02],
            // 9B missing.
            &[0xBF, 0x81, 0x01, 0x05, 0xA0, 0x03, 0x9A, 0x01, 0x03],
            // 9B of two bytes, of none.
            &[0xBF, 0x81, 0x01, 0x06, 0xA0, 0x04, 0x9B, 0x02, 0x00, 0x02],
            &[0xBF, 0x81, 0x01, 0x04, 0xA0, 0x02, 0x9B, 0x00],
            // More left than the maximum; a maximum above 15; 16 left without a maximum.
            &[0xBF, 0x81, 0x01, 0x08, 0xA0, 0x06, 0x9A, 0x01, 0x03, 0x9B, 0x01, 0x04],
            &[0xBF, 0x81, 0x01, 0x08, 0xA0, 0x06, 0x9A, 0x01, 0x10, 0x9B, 0x01, 0x02],
            &[0xBF, 0x81, 0x01, 0x05, 0xA0, 0x03, 0x9B, 0x01, 0x10],
            // Lengths past the end, bytes after the object.
            &[0xBF, 0x81, 0x01, 0x09, 0xA0, 0x03, 0x9B, 0x01, 0x02],
            &[0xBF, 0x81, 0x01, 0x05, 0xA0, 0x04, 0x9B, 0x01, 0x02],
            &[0xBF, 0x81, 0x01, 0x05, 0xA0, 0x03, 0x9B, 0x01, 0x02, 0x90, 0x00],
            // DOCP not constructed (tag 80 in its place).
            &[0xBF, 0x81, 0x01, 0x05, 0x80, 0x03, 0x9B, 0x01, 0x02],
        ];
        for answer in bad {
            assert!(matches!(parse_tries(PIN_REF, answer), Err(Error::Malformed(_))), "{answer:02X?}");
        }
    }
}
