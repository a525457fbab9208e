//! A card that is not a CIE: what a citizen puts on the reader by mistake (a health card, a
//! bank card), for tests of how hosts tell it from a CIE. It has an ATR of its own, matching no
//! CIE generation's (PROTOCOL.md §1.1), and a bare ISO 7816-4 file system: the MF selects, and
//! nothing else exists, so the IAS and CIE application selections (§1.2, §2.1) and every file
//! selection answer `6A 82`.

use super::apdu::Command;
use super::sw::StatusWord;

/// The answer to GET RESPONSE, as nothing is ever pending: `69 85`.
const NOTHING_PENDING: StatusWord = StatusWord::CONDITIONS_NOT_SATISFIED;
/// `68 82`: secure messaging not supported (ISO 7816-4 §5.6).
const SM_NOT_SUPPORTED: [u8; 2] = [0x68, 0x82];
/// ISO 7816-4 INS of SELECT.
const SELECT: u8 = 0xA4;
/// ISO 7816-4 INS of READ BINARY.
const READ_BINARY: u8 = 0xB0;
/// ISO 7816-4 INS of GET RESPONSE.
const GET_RESPONSE: u8 = 0xC0;
/// The MF's file identifier (ISO 7816-4 §7.1.1).
const MF: [u8; 2] = [0x3F, 0x00];

/// The ATR, written by hand in the form PC/SC contactless readers give an ISO 14443-4 card
/// (PC/SC part 3): `3B 88 80 01`, then eight historical bytes, then TCK. T0 = `88` (TD1
/// follows, eight historical bytes), TD1 = `80` (T=0, TD2 follows), TD2 = `01` (T=1). The
/// historical bytes are compact-TLV (category `80`): card capabilities `73 A1 80 11`, status
/// `82 90 00`. TCK = `D8` makes T0 .. TCK XOR to zero. None of the official middleware's CIE
/// patterns is in it, contiguous or as a multiset (the tests check).
pub const FOREIGN_ATR: [u8; 13] = [0x3B, 0x88, 0x80, 0x01, 0x80, 0x73, 0xA1, 0x80, 0x11, 0x82, 0x90, 0x00, 0xD8];

/// A card that is not a CIE (see the module documentation): its answers depend only on the
/// command (the MF is the only file, so it is always the current one).
#[derive(Clone, Debug, Default)]
pub struct ForeignCard {
    commands: u64,
}

impl ForeignCard {
    /// A freshly powered card.
    pub fn new() -> ForeignCard {
        ForeignCard::default()
    }

    /// Its answer to reset, [`FOREIGN_ATR`].
    pub fn atr(&self) -> &[u8] {
        &FOREIGN_ATR
    }

    /// Power-on or warm reset: nothing to clear (the MF stays the current file).
    pub fn reset(&mut self) {}

    /// How many APDUs [`ForeignCard::process`] has answered since the card was created.
    pub fn commands_processed(&self) -> u64 {
        self.commands
    }

    /// Processes one command APDU and returns `response data || SW1 SW2`. Never panics,
    /// whatever the input.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.commands = self.commands.saturating_add(1);
        let cmd = match Command::parse(apdu) {
            Ok(cmd) => cmd,
            Err(sw) => return sw.to_bytes().to_vec(),
        };
        match cmd.cla {
            0x00 => {}
            cla if cla & 0x0C != 0 => return SM_NOT_SUPPORTED.to_vec(),
            cla if cla & 0x10 != 0 => return StatusWord::CHAINING_NOT_SUPPORTED.to_bytes().to_vec(),
            _ => return StatusWord::CLA_NOT_SUPPORTED.to_bytes().to_vec(),
        }
        let sw = match cmd.ins {
            SELECT => self.select(&cmd),
            READ_BINARY if cmd.p1 & 0x80 != 0 => StatusWord::FILE_NOT_FOUND,
            READ_BINARY => StatusWord::NO_CURRENT_EF,
            GET_RESPONSE => NOTHING_PENDING,
            _ => StatusWord::INS_NOT_SUPPORTED,
        };
        sw.to_bytes().to_vec()
    }

    /// SELECT: the MF (`00 A4 00 xx` without data or with `3F 00`) is found, nothing else.
    fn select(&self, cmd: &Command) -> StatusWord {
        if cmd.p1 == 0x00 && (cmd.data.is_empty() || cmd.data == MF) {
            StatusWord::OK
        } else {
            StatusWord::FILE_NOT_FOUND
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::consts::{CIE_AID, IAS_AID};

    fn select_by_name(aid: &[u8]) -> Vec<u8> {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x0C, aid.len() as u8];
        apdu.extend_from_slice(aid);
        apdu
    }

    #[test]
    fn the_cie_applications_are_not_found() {
        let mut card = ForeignCard::new();
        assert_eq!(card.process(&select_by_name(&IAS_AID)), [0x6A, 0x82]);
        assert_eq!(card.process(&select_by_name(&CIE_AID)), [0x6A, 0x82]);
        // The MF selects; EF.SN.ICC (D003) under it does not exist.
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x69, 0x86]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x81, 0x00, 0x00]), [0x6A, 0x82]);
        assert_eq!(card.commands_processed(), 7);
    }

    #[test]
    fn other_commands_are_refused_without_panicking() {
        let mut card = ForeignCard::new();
        assert_eq!(card.process(&[0x00, 0x20, 0x00, 0x81, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]), [0x6D, 0x00]);
        assert_eq!(card.process(&[0x0C, 0xA4, 0x04, 0x0C, 0x01, 0xA0]), [0x68, 0x82]);
        assert_eq!(card.process(&[0x10, 0x2A, 0x00, 0xBE, 0x01, 0x00]), [0x68, 0x84]);
        assert_eq!(card.process(&[0x80, 0xCA, 0x00, 0x00]), [0x6E, 0x00]);
        assert_eq!(card.process(&[0x00, 0xC0, 0x00, 0x00, 0x00]), [0x69, 0x85]);
        assert_eq!(card.process(&[0x00, 0xA4]), [0x67, 0x00]);
        assert_eq!(card.process(&[]), [0x67, 0x00]);
        for len in 0..300 {
            let apdu: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            assert!(card.process(&apdu).len() >= 2);
        }
    }

    /// Well formed; that it matches no CIE pattern is checked in `profile`'s tests.
    #[test]
    fn the_atr_is_well_formed() {
        let card = ForeignCard::new();
        let atr = card.atr();
        assert_eq!(atr[0], 0x3B);
        assert_eq!(&atr[1..4], &[0x88, 0x80, 0x01]);
        assert_eq!(atr.len(), 4 + usize::from(atr[1] & 0x0F) + 1);
        assert_eq!(atr[1..].iter().fold(0u8, |a, b| a ^ b), 0, "TCK");
    }
}
