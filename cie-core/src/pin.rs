//! PIN and PUK (PROTOCOL.md §6): validation before any APDU, and the commands that use them.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::apdu::Command;
use crate::error::{Credential, Error, Result};
use crate::sw::{StatusWord, SwKind};

/// Reference of the user PIN (P2 of VERIFY and friends).
pub const PIN_REF: u8 = 0x81;
/// Reference of the PUK.
pub const PUK_REF: u8 = 0x82;
/// Length of PIN and PUK.
pub const SECRET_LEN: usize = 8;

/// An 8-digit secret (PIN or PUK), validated on construction and zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    digits: [u8; SECRET_LEN],
    #[zeroize(skip)]
    kind: Credential,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(********)", self.kind)
    }
}

impl Secret {
    /// Validates `value`: exactly 8 ASCII digits, nothing else (no whitespace trimming).
    pub fn new(kind: Credential, value: &[u8]) -> Result<Secret> {
        if value.len() != SECRET_LEN || !value.iter().all(u8::is_ascii_digit) {
            return Err(Error::InvalidCredentialFormat(kind));
        }
        let mut digits = [0u8; SECRET_LEN];
        digits.copy_from_slice(value);
        Ok(Secret { digits, kind })
    }

    /// A user PIN.
    pub fn pin(value: impl AsRef<[u8]>) -> Result<Secret> {
        Secret::new(Credential::Pin, value.as_ref())
    }

    /// A PUK.
    pub fn puk(value: impl AsRef<[u8]>) -> Result<Secret> {
        Secret::new(Credential::Puk, value.as_ref())
    }

    /// PIN or PUK.
    pub fn kind(&self) -> Credential {
        self.kind
    }

    /// The card reference of this secret.
    pub fn reference(&self) -> u8 {
        match self.kind {
            Credential::Pin => PIN_REF,
            Credential::Puk => PUK_REF,
        }
    }

    /// The ASCII digits (for building a command; the command zeroizes its copy on drop).
    pub fn digits(&self) -> &[u8; SECRET_LEN] {
        &self.digits
    }
}

/// Alias for a validated user PIN.
pub type Pin = Secret;
/// Alias for a validated PUK.
pub type Puk = Secret;

/// VERIFY `00 20 00 <ref> 08 <digits>` (§6).
pub fn verify_command(secret: &Secret) -> Command {
    Command::new(0x00, 0x20, 0x00, secret.reference()).with_data(secret.digits().to_vec())
}

/// VERIFY with no data: asks the tries left without spending one (§6, IAS-ECC).
pub fn status_command(reference: u8) -> Command {
    Command::new(0x00, 0x20, 0x00, reference)
}

/// CHANGE REFERENCE DATA `00 24 00 81 10 <old> <new>` (§6).
pub fn change_command(old: &Secret, new: &Secret) -> Command {
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(old.digits());
    data.extend_from_slice(new.digits());
    Command::new(0x00, 0x24, 0x00, PIN_REF).with_data(data)
}

/// RESET RETRY COUNTER with a new PIN `00 2C 02 81 08 <new>` (§6; PUK already verified).
pub fn unblock_command(new_pin: &Secret) -> Command {
    Command::new(0x00, 0x2C, 0x02, PIN_REF).with_data(new_pin.digits().to_vec())
}

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
        assert!(Secret::pin("12345678").is_ok());
        for bad in ["1234567", "123456789", "1234567a", " 2345678", "", "１２３４５６７８"] {
            assert!(matches!(Secret::pin(bad), Err(Error::InvalidCredentialFormat(Credential::Pin))), "{bad:?}");
        }
        assert_eq!(format!("{:?}", Secret::pin("12345678").unwrap()), "PIN(********)");
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
    fn commands() {
        let pin = Secret::pin("12345678").unwrap();
        let c = verify_command(&pin);
        assert_eq!(c.to_bytes().unwrap(), b"\x00\x20\x00\x81\x0812345678");
        let puk = Secret::puk("87654321").unwrap();
        assert_eq!(verify_command(&puk).p2, 0x82);
        assert_eq!(change_command(&pin, &pin).data.len(), 16);
        assert_eq!(unblock_command(&pin).to_bytes().unwrap()[..5], [0x00, 0x2C, 0x02, 0x81, 0x08]);
    }
}
