//! cie-core's [`Error`] on the wire, variant for variant, so that a front end maps an error
//! from the agent to exactly the code it gives for the same error in-process.

use cie_core::error::{Credential, SignatureError, SmError};
use cie_core::{Error, StatusWord, TransportError};

use crate::codec::{Cursor, DecodeError, Out};

/// The command names cie-core puts in [`Error::Card`] (a `&'static str`): a decoded name is
/// one of these, anything else reads as `"card command"`.
const CARD_COMMANDS: &[&str] = &[
    "CHANGE REFERENCE DATA",
    "READ BINARY",
    "RESET RETRY COUNTER",
    "VERIFY",
    "VERIFY (status)",
    "GET DATA CA key",
    "GET DATA DH parameter",
    "GET DATA DH parameters",
    "GET DATA DH public value",
    "INTERNAL AUTHENTICATE (key 83)",
    "INTERNAL AUTHENTICATE (signature)",
    "MSE SET AT (key 83)",
    "MSE SET AT (signature)",
    "MSE SET KAT",
    "SELECT EF",
    "SELECT root",
];

fn credential_tag(c: Credential) -> u8 {
    match c {
        Credential::Pin => 0,
        Credential::Puk => 1,
    }
}

fn credential(cur: &mut Cursor<'_>) -> Result<Credential, DecodeError> {
    match cur.u8()? {
        0 => Ok(Credential::Pin),
        1 => Ok(Credential::Puk),
        t => Err(DecodeError::UnknownTag(t)),
    }
}

/// Appends `e` to `out`.
pub(crate) fn encode_error(out: &mut Out, e: &Error) {
    match e {
        Error::Transport(t) => {
            out.u8(1);
            match t {
                TransportError::CardReset => out.u8(0),
                TransportError::CardRemoved => out.u8(1),
                TransportError::NoCard => out.u8(2),
                TransportError::ReaderUnavailable(s) => out.u8(3).text(s),
                TransportError::Busy => out.u8(4),
                TransportError::ServiceUnavailable(s) => out.u8(5).text(s),
                TransportError::Other(s) => out.u8(6).text(s),
                other => out.u8(6).text(&other.to_string()),
            };
        }
        Error::Card { command, sw } => {
            out.u8(2).text(command).u16(sw.0);
        }
        Error::SecureMessaging(sm) => {
            out.u8(3);
            match sm {
                SmError::MissingObject => out.u8(0),
                SmError::BadMac => out.u8(1),
                SmError::BadPadding => out.u8(2),
                SmError::Malformed => out.u8(3),
                SmError::Layout => out.u8(4),
                SmError::Rejected(sw) => out.u8(5).u16(sw.0),
                _ => out.u8(3),
            };
        }
        Error::WrongCredential { credential, tries_left } => {
            out.u8(4).u8(credential_tag(*credential));
            match tries_left {
                Some(n) => out.bool(true).u8(*n),
                None => out.bool(false),
            };
        }
        Error::Blocked(c) => {
            out.u8(5).u8(credential_tag(*c));
        }
        Error::InvalidCredentialFormat(c) => {
            out.u8(6).u8(credential_tag(*c));
        }
        Error::LoginRequired => {
            out.u8(7);
        }
        Error::NotCie(s) => {
            out.u8(8).text(s);
        }
        Error::Malformed(s) => {
            out.u8(9).text(s);
        }
        Error::InvalidArgument(s) => {
            out.u8(10).text(s);
        }
        Error::NoSecureChannel => {
            out.u8(11);
        }
        Error::DeviceAuthentication(s) => {
            out.u8(12).text(s);
        }
        Error::CardSignature(SignatureError::WrongLength { expected, got }) => {
            out.u8(13).u8(0).u32(*expected as u32).u32(*got as u32);
        }
        Error::CardSignature(_) => {
            out.u8(13).u8(1);
        }
        Error::PassiveAuthentication(s) => {
            out.u8(14).text(s);
        }
        // A variant added to cie-core after this table: its text, as malformed data.
        other => {
            out.u8(9).text(&other.to_string());
        }
    }
}

/// Reads an error written by [`encode_error`].
pub(crate) fn decode_error(cur: &mut Cursor<'_>) -> Result<Error, DecodeError> {
    Ok(match cur.u8()? {
        1 => Error::Transport(match cur.u8()? {
            0 => TransportError::CardReset,
            1 => TransportError::CardRemoved,
            2 => TransportError::NoCard,
            3 => TransportError::ReaderUnavailable(cur.text()?),
            4 => TransportError::Busy,
            5 => TransportError::ServiceUnavailable(cur.text()?),
            6 => TransportError::Other(cur.text()?),
            t => return Err(DecodeError::UnknownTag(t)),
        }),
        2 => {
            let name = cur.text()?;
            let command = CARD_COMMANDS.iter().copied().find(|c| *c == name).unwrap_or("card command");
            Error::card(command, StatusWord(cur.u16()?))
        }
        3 => Error::SecureMessaging(match cur.u8()? {
            0 => SmError::MissingObject,
            1 => SmError::BadMac,
            2 => SmError::BadPadding,
            3 => SmError::Malformed,
            4 => SmError::Layout,
            5 => SmError::Rejected(StatusWord(cur.u16()?)),
            t => return Err(DecodeError::UnknownTag(t)),
        }),
        4 => {
            let credential = credential(cur)?;
            let tries_left = if cur.bool()? { Some(cur.u8()?) } else { None };
            Error::WrongCredential { credential, tries_left }
        }
        5 => Error::Blocked(credential(cur)?),
        6 => Error::InvalidCredentialFormat(credential(cur)?),
        7 => Error::LoginRequired,
        8 => Error::NotCie(cur.text()?),
        9 => Error::Malformed(cur.text()?),
        10 => Error::InvalidArgument(cur.text()?),
        11 => Error::NoSecureChannel,
        12 => Error::DeviceAuthentication(cur.text()?),
        13 => Error::CardSignature(match cur.u8()? {
            0 => SignatureError::WrongLength { expected: cur.u32()? as usize, got: cur.u32()? as usize },
            1 => SignatureError::DoesNotVerify,
            t => return Err(DecodeError::UnknownTag(t)),
        }),
        14 => Error::PassiveAuthentication(cur.text()?),
        t => return Err(DecodeError::UnknownTag(t)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(e: Error) {
        let mut out = Out::new(0);
        encode_error(&mut out, &e);
        let mut cur = Cursor::new(&out.0[1..]);
        let back = decode_error(&mut cur).unwrap();
        cur.finish().unwrap();
        assert_eq!(format!("{back:?}"), format!("{e:?}"));
    }

    #[test]
    fn every_variant_round_trips() {
        for t in [
            TransportError::CardReset,
            TransportError::CardRemoved,
            TransportError::NoCard,
            TransportError::ReaderUnavailable("r".into()),
            TransportError::Busy,
            TransportError::ServiceUnavailable("s".into()),
            TransportError::Other("o".into()),
        ] {
            round_trip(Error::Transport(t));
        }
        for c in CARD_COMMANDS {
            round_trip(Error::card(c, StatusWord(0x6A82)));
        }
        for sm in [
            SmError::MissingObject,
            SmError::BadMac,
            SmError::BadPadding,
            SmError::Malformed,
            SmError::Layout,
            SmError::Rejected(StatusWord(0x6987)),
        ] {
            round_trip(Error::SecureMessaging(sm));
        }
        for c in [Credential::Pin, Credential::Puk] {
            round_trip(Error::WrongCredential { credential: c, tries_left: Some(2) });
            round_trip(Error::WrongCredential { credential: c, tries_left: None });
            round_trip(Error::Blocked(c));
            round_trip(Error::InvalidCredentialFormat(c));
        }
        round_trip(Error::LoginRequired);
        round_trip(Error::NotCie("x".into()));
        round_trip(Error::Malformed("m".into()));
        round_trip(Error::InvalidArgument("a".into()));
        round_trip(Error::NoSecureChannel);
        round_trip(Error::DeviceAuthentication("d".into()));
        round_trip(Error::CardSignature(SignatureError::WrongLength { expected: 256, got: 3 }));
        round_trip(Error::CardSignature(SignatureError::DoesNotVerify));
        round_trip(Error::PassiveAuthentication("p".into()));
    }
}
