//! The error type of every cie-core operation.

use crate::sw::StatusWord;
use crate::transport::TransportError;

/// Which secret a PIN-family error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// The user PIN (reference `81`).
    Pin,
    /// The PUK (reference `82`).
    Puk,
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::Pin => "PIN",
            Credential::Puk => "PUK",
        })
    }
}

/// Secure-messaging failures (PROTOCOL.md §5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// The response carried no MAC object (DO8E) or no status object (DO99).
    #[error("secure-messaging data object missing")]
    MissingObject,
    /// The MAC in DO8E does not match.
    #[error("secure-messaging MAC mismatch")]
    BadMac,
    /// Padding of decrypted data is not ISO 7816-4 method 2.
    #[error("bad secure-messaging padding")]
    BadPadding,
    /// A data object could not be parsed, or its length is not the one PROTOCOL.md §5 fixes.
    #[error("malformed secure-messaging object")]
    Malformed,
    /// The data objects are not in the exact layout of PROTOCOL.md §5.2 / §5.4: an unknown or
    /// repeated tag, objects out of order, or anything after DO8E.
    #[error("secure-messaging objects out of layout")]
    Layout,
    /// The card rejected our secure-messaging objects (`69 87` / `69 88`).
    #[error("card rejected secure messaging ({0})")]
    Rejected(StatusWord),
}

/// Why a signature the card returned was refused (PROTOCOL.md §7.1): it is never handed on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The answer is not exactly as long as the key's modulus.
    #[error("the card answered {got} bytes for a {expected}-byte signature")]
    WrongLength {
        /// The modulus length of the signing key, in bytes.
        expected: usize,
        /// The length of the card's answer.
        got: usize,
    },
    /// The answer does not verify with the public key of the card's certificate.
    #[error("the card's signature does not verify with the certificate's key")]
    DoesNotVerify,
}

/// Errors of cie-core. New variants may be added in minor releases (`#[non_exhaustive]`):
/// match the ones you act on and keep a fallback arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport (reader, PC/SC, simulator link) failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card answered an unexpected status word.
    #[error("{command}: card answered {sw}")]
    Card {
        /// The command that failed.
        command: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// Secure messaging failed; the channel is closed and will be re-established.
    #[error("secure messaging: {0}")]
    SecureMessaging(#[from] SmError),
    /// The PIN or PUK was wrong.
    #[error("wrong {credential}{}", tries_left.map(|n| format!(": {}", tries_text(n))).unwrap_or_default())]
    WrongCredential {
        /// PIN or PUK.
        credential: Credential,
        /// Tries left, when the card said (`63 Cx`).
        tries_left: Option<u8>,
    },
    /// The PIN or PUK is blocked (`69 83`, or no tries left).
    #[error("{0} blocked")]
    Blocked(Credential),
    /// A PIN or PUK that is not exactly 8 ASCII digits; rejected before any APDU.
    #[error("{0} must be exactly 8 digits")]
    InvalidCredentialFormat(Credential),
    /// The operation needs the PIN to be verified first.
    #[error("PIN verification required")]
    LoginRequired,
    /// The card in the reader is not a CIE 3.0.
    #[error("not a CIE: {0}")]
    NotCie(String),
    /// Data read from the card is malformed.
    #[error("malformed card data: {0}")]
    Malformed(String),
    /// A caller-supplied argument is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A command that must travel under secure messaging (PROTOCOL.md §5) found no secure
    /// channel open: a state error of the session, not the caller's argument nor the card.
    #[error("no secure channel is open for a command that needs secure messaging")]
    NoSecureChannel,
    /// Device authentication (DH + DAPP, PROTOCOL.md §4) failed.
    #[error("device authentication failed: {0}")]
    DeviceAuthentication(String),
    /// The card's signature was refused (wrong length, or it does not verify).
    #[error("bad signature from the card: {0}")]
    CardSignature(#[from] SignatureError),
    /// Passive authentication of EF.SOD (PROTOCOL.md §8.3) failed.
    #[error("passive authentication failed: {0}")]
    PassiveAuthentication(String),
}

impl Error {
    /// Builds a [`Error::Card`] error.
    pub fn card(command: &'static str, sw: StatusWord) -> Self {
        Error::Card { command, sw }
    }

    /// Builds a [`Error::Malformed`] error.
    pub fn malformed(what: impl Into<String>) -> Self {
        Error::Malformed(what.into())
    }

    /// True when the card was removed from the reader.
    pub fn is_card_removed(&self) -> bool {
        matches!(self, Error::Transport(TransportError::CardRemoved))
    }

    /// True when the smart-card service (pcscd) is not running or stopped during the call.
    pub fn is_service_unavailable(&self) -> bool {
        matches!(self, Error::Transport(TransportError::ServiceUnavailable(_)))
    }
}

/// "1 try left", "2 tries left".
pub fn tries_text(n: u8) -> String {
    format!("{n} {} left", if n == 1 { "try" } else { "tries" })
}

/// Result alias for cie-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
