//! The module's error type: a PKCS#11 return value (`CK_RV`), and the one mapping from
//! cie-core errors to it (DESIGN.md §6: the precise code, never a blanket CKR_GENERAL_ERROR).

use cie_core::{Error, TransportError};
use cryptoki_sys::*;

/// A PKCS#11 error: a `CK_RV` other than `CKR_OK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ckr(pub CK_RV);

/// Result of the module's safe functions.
pub type Result<T, E = Ckr> = std::result::Result<T, E>;

impl Ckr {
    /// The raw value.
    pub fn rv(self) -> CK_RV {
        self.0
    }

    /// The constant's name, for logs.
    pub fn name(self) -> &'static str {
        rv_name(self.0)
    }
}

impl std::fmt::Display for Ckr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:X})", self.name(), self.0)
    }
}

impl From<TransportError> for Ckr {
    fn from(e: TransportError) -> Ckr {
        Ckr(match e {
            TransportError::CardRemoved => CKR_DEVICE_REMOVED,
            TransportError::NoCard => CKR_TOKEN_NOT_PRESENT,
            // The reader or the whole service gone: the token is no longer reachable.
            TransportError::ReaderUnavailable(_) | TransportError::ServiceUnavailable(_) => CKR_DEVICE_REMOVED,
            _ => CKR_DEVICE_ERROR,
        })
    }
}

impl From<Error> for Ckr {
    fn from(e: Error) -> Ckr {
        Ckr::from(&e)
    }
}

impl From<&Error> for Ckr {
    fn from(e: &Error) -> Ckr {
        match e {
            Error::Transport(t) => Ckr::from(t.clone()),
            Error::WrongCredential { .. } => Ckr(CKR_PIN_INCORRECT),
            Error::Blocked(_) => Ckr(CKR_PIN_LOCKED),
            Error::InvalidCredentialFormat(_) => Ckr(CKR_PIN_LEN_RANGE),
            Error::LoginRequired => Ckr(CKR_USER_NOT_LOGGED_IN),
            Error::NotCie(_) => Ckr(CKR_TOKEN_NOT_RECOGNIZED),
            Error::InvalidArgument(_) => Ckr(CKR_ARGUMENTS_BAD),
            // The session's own state, not the caller's arguments nor the card.
            Error::NoSecureChannel => Ckr(CKR_FUNCTION_FAILED),
            Error::Card { .. }
            | Error::SecureMessaging(_)
            | Error::Malformed(_)
            | Error::DeviceAuthentication(_)
            | Error::CardSignature(_)
            | Error::PassiveAuthentication(_) => Ckr(CKR_DEVICE_ERROR),
            _ => Ckr(CKR_DEVICE_ERROR),
        }
    }
}

/// True when `e` means the card is gone (removed, or no card any more).
pub(crate) fn is_removal(e: &Error) -> bool {
    matches!(e, Error::Transport(TransportError::CardRemoved | TransportError::NoCard))
}

/// The name of a `CK_RV` constant (for logs and test messages).
pub fn rv_name(rv: CK_RV) -> &'static str {
    macro_rules! names {
        ($($c:ident),* $(,)?) => {
            match rv {
                $(x if x == $c => stringify!($c),)*
                _ => "CKR_(unknown)",
            }
        };
    }
    names!(
        CKR_OK,
        CKR_CANCEL,
        CKR_HOST_MEMORY,
        CKR_SLOT_ID_INVALID,
        CKR_GENERAL_ERROR,
        CKR_FUNCTION_FAILED,
        CKR_ARGUMENTS_BAD,
        CKR_NO_EVENT,
        CKR_NEED_TO_CREATE_THREADS,
        CKR_CANT_LOCK,
        CKR_ATTRIBUTE_READ_ONLY,
        CKR_ATTRIBUTE_SENSITIVE,
        CKR_ATTRIBUTE_TYPE_INVALID,
        CKR_ATTRIBUTE_VALUE_INVALID,
        CKR_ACTION_PROHIBITED,
        CKR_DATA_INVALID,
        CKR_DATA_LEN_RANGE,
        CKR_DEVICE_ERROR,
        CKR_DEVICE_MEMORY,
        CKR_DEVICE_REMOVED,
        CKR_FUNCTION_CANCELED,
        CKR_FUNCTION_NOT_PARALLEL,
        CKR_FUNCTION_NOT_SUPPORTED,
        CKR_KEY_HANDLE_INVALID,
        CKR_KEY_SIZE_RANGE,
        CKR_KEY_TYPE_INCONSISTENT,
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        CKR_MECHANISM_INVALID,
        CKR_MECHANISM_PARAM_INVALID,
        CKR_OBJECT_HANDLE_INVALID,
        CKR_OPERATION_ACTIVE,
        CKR_OPERATION_NOT_INITIALIZED,
        CKR_PIN_INCORRECT,
        CKR_PIN_INVALID,
        CKR_PIN_LEN_RANGE,
        CKR_PIN_EXPIRED,
        CKR_PIN_LOCKED,
        CKR_SESSION_CLOSED,
        CKR_SESSION_COUNT,
        CKR_SESSION_HANDLE_INVALID,
        CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        CKR_SESSION_READ_ONLY,
        CKR_SESSION_EXISTS,
        CKR_SESSION_READ_ONLY_EXISTS,
        CKR_SESSION_READ_WRITE_SO_EXISTS,
        CKR_SIGNATURE_INVALID,
        CKR_SIGNATURE_LEN_RANGE,
        CKR_TEMPLATE_INCOMPLETE,
        CKR_TEMPLATE_INCONSISTENT,
        CKR_TOKEN_NOT_PRESENT,
        CKR_TOKEN_NOT_RECOGNIZED,
        CKR_TOKEN_WRITE_PROTECTED,
        CKR_USER_ALREADY_LOGGED_IN,
        CKR_USER_NOT_LOGGED_IN,
        CKR_USER_PIN_NOT_INITIALIZED,
        CKR_USER_TYPE_INVALID,
        CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        CKR_USER_TOO_MANY_TYPES,
        CKR_RANDOM_SEED_NOT_SUPPORTED,
        CKR_RANDOM_NO_RNG,
        CKR_BUFFER_TOO_SMALL,
        CKR_SAVED_STATE_INVALID,
        CKR_INFORMATION_SENSITIVE,
        CKR_STATE_UNSAVEABLE,
        CKR_CRYPTOKI_NOT_INITIALIZED,
        CKR_CRYPTOKI_ALREADY_INITIALIZED,
        CKR_MUTEX_BAD,
        CKR_MUTEX_NOT_LOCKED,
        CKR_FUNCTION_REJECTED,
        CKR_OPERATION_CANCEL_FAILED,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cie_core::{Credential, SignatureError, StatusWord};

    #[test]
    fn maps_core_errors_precisely() {
        let cases: Vec<(Error, CK_RV)> = vec![
            (Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }, CKR_PIN_INCORRECT),
            (Error::Blocked(Credential::Pin), CKR_PIN_LOCKED),
            (Error::InvalidCredentialFormat(Credential::Pin), CKR_PIN_LEN_RANGE),
            (Error::LoginRequired, CKR_USER_NOT_LOGGED_IN),
            (Error::NotCie("x".into()), CKR_TOKEN_NOT_RECOGNIZED),
            (Error::Transport(TransportError::CardRemoved), CKR_DEVICE_REMOVED),
            (Error::Transport(TransportError::NoCard), CKR_TOKEN_NOT_PRESENT),
            (Error::card("X", StatusWord::FILE_NOT_FOUND), CKR_DEVICE_ERROR),
            (SignatureError::WrongLength { expected: 256, got: 257 }.into(), CKR_DEVICE_ERROR),
            (SignatureError::DoesNotVerify.into(), CKR_DEVICE_ERROR),
            (Error::NoSecureChannel, CKR_FUNCTION_FAILED),
            (Error::InvalidArgument("x".into()), CKR_ARGUMENTS_BAD),
        ];
        for (e, rv) in cases {
            assert_eq!(Ckr::from(&e).rv(), rv, "{e}");
        }
        assert!(is_removal(&Error::Transport(TransportError::CardRemoved)));
        assert!(!is_removal(&Error::LoginRequired));
        assert_eq!(rv_name(CKR_PIN_LOCKED), "CKR_PIN_LOCKED");
    }
}
