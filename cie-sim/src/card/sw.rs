//! The card's status words (ISO 7816-4 §5.6, the list of PROTOCOL.md §10.3 and §6), its own
//! small type: the simulator does not share the host's status-word code.

/// A status word `SW1 SW2` the card answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StatusWord([u8; 2]);

impl StatusWord {
    /// `90 00`: normal completion.
    pub(crate) const OK: Self = Self([0x90, 0x00]);
    /// `62 82`: end of file reached before Le bytes (§2.5).
    pub(crate) const END_OF_FILE: Self = Self([0x62, 0x82]);
    /// `63 00`: verification failed without counter (bad terminal signature, §10.3).
    pub(crate) const VERIFICATION_FAILED: Self = Self([0x63, 0x00]);
    /// `67 00`: wrong length.
    pub(crate) const WRONG_LENGTH: Self = Self([0x67, 0x00]);
    /// `68 84`: command chaining not supported.
    pub(crate) const CHAINING_NOT_SUPPORTED: Self = Self([0x68, 0x84]);
    /// `69 82`: security status not satisfied.
    pub(crate) const SECURITY_STATUS_NOT_SATISFIED: Self = Self([0x69, 0x82]);
    /// `69 83`: PIN or PUK blocked (§6).
    pub(crate) const AUTH_METHOD_BLOCKED: Self = Self([0x69, 0x83]);
    /// `69 85`: conditions of use not satisfied (wrong sequence).
    pub(crate) const CONDITIONS_NOT_SATISFIED: Self = Self([0x69, 0x85]);
    /// `69 86`: no current EF.
    pub(crate) const NO_CURRENT_EF: Self = Self([0x69, 0x86]);
    /// `69 87`: expected secure-messaging objects missing (§5.5).
    pub(crate) const SM_OBJECTS_MISSING: Self = Self([0x69, 0x87]);
    /// `69 88`: secure-messaging objects incorrect (§5.5).
    pub(crate) const SM_OBJECTS_INCORRECT: Self = Self([0x69, 0x88]);
    /// `6A 80`: incorrect data field.
    pub(crate) const WRONG_DATA: Self = Self([0x6A, 0x80]);
    /// `6A 82`: file or application not found.
    pub(crate) const FILE_NOT_FOUND: Self = Self([0x6A, 0x82]);
    /// `6A 86`: incorrect P1-P2.
    pub(crate) const INCORRECT_P1P2: Self = Self([0x6A, 0x86]);
    /// `6A 88`: referenced data not found.
    pub(crate) const REFERENCE_NOT_FOUND: Self = Self([0x6A, 0x88]);
    /// `6B 00`: offset outside the file.
    pub(crate) const WRONG_OFFSET: Self = Self([0x6B, 0x00]);
    /// `6D 00`: instruction not supported.
    pub(crate) const INS_NOT_SUPPORTED: Self = Self([0x6D, 0x00]);
    /// `6E 00`: class not supported.
    pub(crate) const CLA_NOT_SUPPORTED: Self = Self([0x6E, 0x00]);

    /// `63 Cx`: verification failed, x tries left (x capped at 15; §6).
    pub(crate) const fn tries_left(x: u8) -> Self {
        Self([0x63, 0xC0 | (x & 0x0F)])
    }

    /// `61 xx`: xx more bytes for GET RESPONSE (`00` = 256 or more, §10.3).
    pub(crate) const fn more_data(xx: u8) -> Self {
        Self([0x61, xx])
    }

    /// SW1.
    pub(crate) const fn sw1(self) -> u8 {
        self.0[0]
    }

    /// SW2.
    pub(crate) const fn sw2(self) -> u8 {
        self.0[1]
    }

    /// The two bytes, SW1 first.
    pub(crate) const fn to_bytes(self) -> [u8; 2] {
        self.0
    }
}
