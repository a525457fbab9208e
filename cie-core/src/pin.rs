//! PIN and PUK (PROTOCOL.md §6): validation before any APDU, and what the card's answers to
//! VERIFY and CHANGE REFERENCE DATA mean (the commands themselves are built by `commands`).
//!
//! [`Pin`] and [`Puk`] are distinct types, so passing one where the other is expected does not
//! compile; the sealed [`Secret`] trait is what they have in common (validation, digits,
//! card reference).

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Credential, Error, Result};
use crate::sw::{StatusWord, SwKind};

/// Reference of the user PIN (P2 of VERIFY and friends).
pub const PIN_REF: u8 = 0x81;
/// Reference of the PUK.
pub const PUK_REF: u8 = 0x82;
/// Length of PIN and PUK.
pub const SECRET_LEN: usize = 8;

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
}
