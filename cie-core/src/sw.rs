//! Typed ISO 7816-4 status words (PROTOCOL.md §10.3, §6).

use std::fmt;

/// A status word `SW1 SW2` as returned by the card.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

/// What a status word means to the host (ISO 7816-4 §5.6, PROTOCOL.md §10.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwKind {
    /// `90 00`: normal completion.
    Ok,
    /// `61 xx`: more response bytes are waiting for GET RESPONSE (`00` = 256 or more).
    MoreData(u8),
    /// `6C xx`: wrong Le, re-issue with Le = xx.
    WrongLe(u8),
    /// `62 82`: end of file reached before Le bytes were read.
    EndOfFile,
    /// `63 Cx`: verification failed, x tries left.
    TriesLeft(u8),
    /// `63 00`: verification failed, no counter information.
    VerificationFailed,
    /// `67 00`: wrong length (Lc or data).
    WrongLength,
    /// `68 83`: last command of a chain expected.
    LastCommandExpected,
    /// `68 84`: command chaining not supported.
    ChainingNotSupported,
    /// `69 82`: security status not satisfied.
    SecurityStatusNotSatisfied,
    /// `69 83`: authentication method blocked (PIN/PUK blocked).
    AuthMethodBlocked,
    /// `69 85`: conditions of use not satisfied (wrong sequence).
    ConditionsNotSatisfied,
    /// `69 86`: command not allowed (no current EF).
    NoCurrentEf,
    /// `69 87`: expected secure-messaging data objects missing.
    SmObjectsMissing,
    /// `69 88`: secure-messaging data objects incorrect (bad MAC).
    SmObjectsIncorrect,
    /// `6A 80`: incorrect parameters in the data field.
    WrongData,
    /// `6A 82`: file or application not found.
    FileNotFound,
    /// `6A 86`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A 88`: referenced data not found.
    ReferenceNotFound,
    /// `6B 00`: offset outside the file.
    WrongOffset,
    /// `6D 00`: instruction not supported.
    InsNotSupported,
    /// `6E 00`: class not supported.
    ClaNotSupported,
    /// Any other status word.
    Other,
}

impl StatusWord {
    /// `90 00`.
    pub const OK: Self = Self(0x9000);
    /// `62 82`.
    pub const END_OF_FILE: Self = Self(0x6282);
    /// `63 00`.
    pub const VERIFICATION_FAILED: Self = Self(0x6300);
    /// `67 00`.
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `68 83`.
    pub const LAST_COMMAND_EXPECTED: Self = Self(0x6883);
    /// `68 84`.
    pub const CHAINING_NOT_SUPPORTED: Self = Self(0x6884);
    /// `69 82`.
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `69 83`.
    pub const AUTH_METHOD_BLOCKED: Self = Self(0x6983);
    /// `69 85`.
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `69 86`.
    pub const NO_CURRENT_EF: Self = Self(0x6986);
    /// `69 87`.
    pub const SM_OBJECTS_MISSING: Self = Self(0x6987);
    /// `69 88`.
    pub const SM_OBJECTS_INCORRECT: Self = Self(0x6988);
    /// `6A 80`.
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A 82`.
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A 86`.
    pub const INCORRECT_P1P2: Self = Self(0x6A86);
    /// `6A 88`.
    pub const REFERENCE_NOT_FOUND: Self = Self(0x6A88);
    /// `6B 00`.
    pub const WRONG_OFFSET: Self = Self(0x6B00);
    /// `6D 00`.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E 00`.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);

    /// Builds a status word from its two bytes.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        Self(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// `63 Cx` with x tries left (x is capped at 15).
    pub const fn tries_left(x: u8) -> Self {
        Self::new(0x63, 0xC0 | (x & 0x0F))
    }

    /// `61 xx`.
    pub const fn more_data(xx: u8) -> Self {
        Self::new(0x61, xx)
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// The two bytes, SW1 first.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// True for `90 00`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0x9000
    }

    /// Classifies the status word.
    pub fn kind(self) -> SwKind {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => SwKind::Ok,
            (0x61, x) => SwKind::MoreData(x),
            (0x6C, x) => SwKind::WrongLe(x),
            (0x62, 0x82) => SwKind::EndOfFile,
            (0x63, x) if x & 0xF0 == 0xC0 => SwKind::TriesLeft(x & 0x0F),
            (0x63, 0x00) => SwKind::VerificationFailed,
            (0x67, 0x00) => SwKind::WrongLength,
            (0x68, 0x83) => SwKind::LastCommandExpected,
            (0x68, 0x84) => SwKind::ChainingNotSupported,
            (0x69, 0x82) => SwKind::SecurityStatusNotSatisfied,
            (0x69, 0x83) => SwKind::AuthMethodBlocked,
            (0x69, 0x85) => SwKind::ConditionsNotSatisfied,
            (0x69, 0x86) => SwKind::NoCurrentEf,
            (0x69, 0x87) => SwKind::SmObjectsMissing,
            (0x69, 0x88) => SwKind::SmObjectsIncorrect,
            (0x6A, 0x80) => SwKind::WrongData,
            (0x6A, 0x82) => SwKind::FileNotFound,
            (0x6A, 0x86) => SwKind::IncorrectP1P2,
            (0x6A, 0x88) => SwKind::ReferenceNotFound,
            (0x6B, 0x00) => SwKind::WrongOffset,
            (0x6D, 0x00) => SwKind::InsNotSupported,
            (0x6E, 0x00) => SwKind::ClaNotSupported,
            _ => SwKind::Other,
        }
    }

    /// A short English description.
    pub fn description(self) -> &'static str {
        match self.kind() {
            SwKind::Ok => "success",
            SwKind::MoreData(_) => "more data available",
            SwKind::WrongLe(_) => "wrong Le",
            SwKind::EndOfFile => "end of file reached",
            SwKind::TriesLeft(_) => "verification failed, tries left",
            SwKind::VerificationFailed => "verification failed",
            SwKind::WrongLength => "wrong length",
            SwKind::LastCommandExpected => "last command of chain expected",
            SwKind::ChainingNotSupported => "command chaining not supported",
            SwKind::SecurityStatusNotSatisfied => "security status not satisfied",
            SwKind::AuthMethodBlocked => "authentication method blocked",
            SwKind::ConditionsNotSatisfied => "conditions of use not satisfied",
            SwKind::NoCurrentEf => "no current EF",
            SwKind::SmObjectsMissing => "secure messaging objects missing",
            SwKind::SmObjectsIncorrect => "secure messaging objects incorrect",
            SwKind::WrongData => "incorrect data",
            SwKind::FileNotFound => "file or application not found",
            SwKind::IncorrectP1P2 => "incorrect P1-P2",
            SwKind::ReferenceNotFound => "referenced data not found",
            SwKind::WrongOffset => "offset outside the file",
            SwKind::InsNotSupported => "instruction not supported",
            SwKind::ClaNotSupported => "class not supported",
            SwKind::Other => "unexpected status",
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.description())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(StatusWord::new(0x63, 0xC2).kind(), SwKind::TriesLeft(2));
        assert_eq!(StatusWord::new(0x61, 0x12).kind(), SwKind::MoreData(0x12));
        assert_eq!(StatusWord::new(0x6C, 0x08).kind(), SwKind::WrongLe(8));
        assert_eq!(StatusWord::AUTH_METHOD_BLOCKED.kind(), SwKind::AuthMethodBlocked);
        assert_eq!(StatusWord::new(0x6F, 0x00).kind(), SwKind::Other);
        assert_eq!(StatusWord::tries_left(1).to_bytes(), [0x63, 0xC1]);
        assert_eq!(StatusWord::FILE_NOT_FOUND.to_string(), "6A82 (file or application not found)");
    }
}
