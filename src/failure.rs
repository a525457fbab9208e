//! Why a command failed: the exit code scripts see and the advice people read.

use cie_core::{Credential, Error, TransportError};

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// From the card or the protocol library.
    Card(Error),
    /// A mistake on the command line or in what was typed (exit 2).
    Usage(String),
    /// A file could not be read or written (exit 1).
    File(String),
    /// A document or signature could not be read or made (exit 1).
    Document(String),
    /// Verification found a signature that is not valid (exit 1); the report was printed.
    Invalid(String),
    /// The user declined to go on (exit 1); nothing was sent to the card.
    Cancelled(String),
}

impl From<cie_sign::Error> for Failure {
    fn from(e: cie_sign::Error) -> Failure {
        match e {
            cie_sign::Error::Card(e) => Failure::Card(e),
            other => Failure::Document(other.to_string()),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Card(e)
    }
}

impl From<TransportError> for Failure {
    fn from(e: TransportError) -> Failure {
        Failure::Card(e.into())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Card(e) => write!(f, "{e}"),
            Failure::Usage(m)
            | Failure::File(m)
            | Failure::Document(m)
            | Failure::Invalid(m)
            | Failure::Cancelled(m) => f.write_str(m),
        }
    }
}

impl Failure {
    /// Exit codes, distinct for the cases scripts care about: 1 other, 2 usage, 3 wrong PIN or
    /// PUK, 4 PIN or PUK blocked, 5 no reader or no card.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::File(_) | Failure::Document(_) | Failure::Invalid(_) | Failure::Cancelled(_) => 1,
            Failure::Card(e) => match e {
                Error::WrongCredential { .. } => 3,
                Error::Blocked(_) => 4,
                Error::Transport(
                    TransportError::NoCard
                    | TransportError::ReaderUnavailable(_)
                    | TransportError::ServiceUnavailable(_)
                    | TransportError::CardRemoved,
                ) => 5,
                Error::InvalidCredentialFormat(_) | Error::InvalidArgument(_) => 2,
                _ => 1,
            },
        }
    }

    /// What to do next.
    pub fn advice(&self) -> &'static str {
        let Failure::Card(e) = self else {
            return match self {
                Failure::Usage(_) => "see cie --help",
                Failure::Document(_) => "check that the file is a PDF or a CAdES .p7m/.p7s signature",
                Failure::Invalid(_) => "do not rely on this document: it was altered or not signed as it claims",
                Failure::Cancelled(_) => "run the command again when you are sure of the PIN (cie help pin)",
                _ => "check the file name and permissions",
            };
        };
        match e {
            Error::WrongCredential { credential: Credential::Pin, tries_left: Some(1) } => {
                concat!("check the PIN (8 digits: ", crate::secret_origin!(), "); one more wrong try blocks it")
            }
            Error::WrongCredential { credential: Credential::Pin, .. } => {
                concat!("check the PIN (8 digits: ", crate::secret_origin!(), ") and try again")
            }
            Error::WrongCredential { credential: Credential::Puk, .. } => {
                concat!("check the PUK (8 digits: ", crate::secret_origin!(), ") and try again")
            }
            Error::Blocked(Credential::Pin) => "unblock the PIN with the PUK: cie pin unblock",
            Error::Blocked(Credential::Puk) => {
                "the PUK is blocked too: the card can no longer be unblocked; ask the issuing municipality for a new one"
            }
            Error::InvalidCredentialFormat(_) => {
                concat!("PIN and PUK have 8 digits each: ", crate::secret_origin!(), " (cie help pin)")
            }
            Error::LoginRequired => "this needs the PIN",
            Error::Transport(TransportError::NoCard) => "put the card on the reader and try again",
            Error::Transport(TransportError::ReaderUnavailable(_)) => {
                "connect a reader and check that the PC/SC service (pcscd) is running; cie readers lists them"
            }
            Error::Transport(TransportError::ServiceUnavailable(_)) => {
                "start the smart-card service: sudo systemctl start pcscd (Debian/Ubuntu package pcscd)"
            }
            Error::Transport(TransportError::CardRemoved) => "the card was removed: put it back and try again",
            Error::Transport(TransportError::CardReset) => {
                "another application reset the card during the operation: try again"
            }
            Error::Transport(TransportError::Busy) => "another application holds the card: close it and try again",
            Error::NotCie(_) => "the card in the reader is not a CIE 3.0; use --reader to pick another reader",
            Error::PassiveAuthentication(_) => {
                "the card's data is not vouched for by its EF.SOD (or not by this CSCA): do not trust this card"
            }
            Error::Transport(_) => {
                "check that the reader is connected and the card lies still on it, then try again"
            }
            Error::Card { .. }
            | Error::SecureMessaging(_)
            | Error::Malformed(_)
            | Error::DeviceAuthentication(_) => {
                "take the card off the reader, put it back and try again; if this keeps happening \
                 with a working reader, the card may be damaged: ask your comune"
            }
            _ => "try again; if this keeps happening, report it with the output of cie info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let wrong = Failure::from(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) });
        assert_eq!(wrong.exit_code(), 3);
        assert_eq!(Failure::from(Error::Blocked(Credential::Pin)).exit_code(), 4);
        assert_eq!(Failure::from(TransportError::NoCard).exit_code(), 5);
        assert_eq!(Failure::from(TransportError::ReaderUnavailable("x".into())).exit_code(), 5);
        assert_eq!(Failure::Usage("x".into()).exit_code(), 2);
        assert_eq!(Failure::File("x".into()).exit_code(), 1);
        assert_eq!(Failure::from(Error::NotCie("x".into())).exit_code(), 1);
        // A session state error: not a usage error (2), and reported as a bug to report.
        assert_eq!(Failure::from(Error::NoSecureChannel).exit_code(), 1);
        assert!(Failure::from(Error::NoSecureChannel).advice().contains("report it"));
        assert!(Failure::from(Error::Blocked(Credential::Pin)).advice().contains("cie pin unblock"));
    }
}
