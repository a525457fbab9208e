//! Cards that are not a CIE: what a citizen puts on the reader by mistake, for tests of how
//! hosts tell them from a CIE (PROTOCOL.md §1.1: the ATR never proves a CIE; probing decides).
//! Each [`ForeignKind`] has the ATR a PC/SC reader reports for such a card (pcsc-tools'
//! smartcard_list.txt, commit 3e819c605e93, except [`ForeignKind::Other`]'s) and answers the
//! commands the way that kind of card does; none has the CIE application
//! (`A0 00 00 00 00 39`), and none knows the CIE's PIN commands:
//!
//! - [`ForeignKind::Other`]: a bare ISO 7816-4 file system, the MF and nothing else.
//! - [`ForeignKind::Cns`] (`cns`): an Italian health card (TS-CNS) on an IAS chip: the IAS
//!   application and the MF select, EF.SN.ICC reads; the CIE application is not found.
//! - [`ForeignKind::Bank`] (`bank`): an EMV payment card: the payment system environments and
//!   a payment application select, everything else is refused.
//! - [`ForeignKind::Passport`] (`passport`): an eMRTD: the LDS1 application and the MF select,
//!   every read is refused with `69 82` (no BAC or PACE was done).
//! - [`ForeignKind::Bare`] (`bare`): a contactless card without historical bytes (`3B 80 80 01
//!   01`) that refuses every SELECT.
//!
//! Written for the simulator from the public standards named in each file; shares no code with
//! the host library.

mod cns;
mod emv;
mod mrtd;

use super::apdu::Command;
use super::sw::StatusWord;
use crate::atr::Atr;

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

/// [`ForeignKind::Other`]'s ATR, written by hand in the form PC/SC contactless readers give an
/// ISO 14443-4 card (PC/SC part 3): `3B 88 80 01`, eight historical bytes, TCK. The historical
/// bytes are compact-TLV (category `80`): card capabilities `73 A1 80 11`, status `82 90 00`.
/// None of the official middleware's CIE patterns is in it, contiguous or as a multiset.
pub const FOREIGN_ATR: [u8; 13] = [0x3B, 0x88, 0x80, 0x01, 0x80, 0x73, 0xA1, 0x80, 0x11, 0x82, 0x90, 0x00, 0xD8];
/// "Italian healthcare card (TS) National Service Card (CNS) NFC Interface (eID)".
const ATR_CNS: [u8; 13] = [0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x81, 0x91, 0x00, 0x1A];
/// "Cartafreccia VISA (Italian Railways Prepaid + Loyalty Card) (Bank)", a contactless EMV card.
const ATR_BANK: [u8; 17] =
    [0x3B, 0x8C, 0x80, 0x01, 0x50, 0x89, 0xDC, 0xA9, 0x6E, 0x00, 0x00, 0x00, 0x00, 0x80, 0x81, 0x71, 0xBF];
/// "Italian Passport (passport)". Its bytes hold Gemalto2's fragment `80 31 80 65 B0 85 03 00
/// EF` as a multiset, so the official rule hints a CIE: probing must refute it.
const ATR_PASSPORT: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x91, 0xE1, 0x31, 0x98, 0x65, 0xB0, 0x85, 0x03, 0x00, 0xEF, 0x73, 0x94, 0x41, 0xC0,
    0x8D,
];
/// "ISO 14443 Type B without historical bytes / Electronic Passport / ... / Carta nazionale dei
/// servizi": the pseudo-ATR of any contactless card without historical bytes.
const ATR_BARE: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

/// Which card that is not a CIE (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ForeignKind {
    /// A bare file system: the MF and nothing else (`other`, the default).
    #[default]
    Other,
    /// An Italian health card (TS-CNS) on an IAS chip (`cns`).
    Cns,
    /// An EMV payment card (`bank`).
    Bank,
    /// An electronic passport (`passport`).
    Passport,
    /// A contactless card without historical bytes refusing every SELECT (`bare`).
    Bare,
}

impl ForeignKind {
    /// Every kind.
    pub const ALL: [ForeignKind; 5] =
        [ForeignKind::Other, ForeignKind::Cns, ForeignKind::Bank, ForeignKind::Passport, ForeignKind::Bare];

    /// The name `cie-sim --foreign KIND` takes.
    pub fn name(self) -> &'static str {
        match self {
            ForeignKind::Other => "other",
            ForeignKind::Cns => "cns",
            ForeignKind::Bank => "bank",
            ForeignKind::Passport => "passport",
            ForeignKind::Bare => "bare",
        }
    }

    /// The kind named `name` (exactly as [`ForeignKind::name`] spells it).
    pub fn from_name(name: &str) -> Option<ForeignKind> {
        ForeignKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The ATR a reader reports for this kind of card (see the constants' sources).
    pub fn atr(self) -> &'static [u8] {
        match self {
            ForeignKind::Other => &FOREIGN_ATR,
            ForeignKind::Cns => &ATR_CNS,
            ForeignKind::Bank => &ATR_BANK,
            ForeignKind::Passport => &ATR_PASSPORT,
            ForeignKind::Bare => &ATR_BARE,
        }
    }
}

impl std::fmt::Display for ForeignKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A card that is not a CIE (see the module documentation).
#[derive(Clone, Debug)]
pub struct ForeignCard {
    kind: ForeignKind,
    atr: Vec<u8>,
    commands: u64,
    /// The current EF of the kinds with files (`None`: none selected).
    current_ef: Option<u16>,
}

impl Default for ForeignCard {
    fn default() -> ForeignCard {
        ForeignCard::of(ForeignKind::Other)
    }
}

impl ForeignCard {
    /// A freshly powered [`ForeignKind::Other`] card.
    pub fn new() -> ForeignCard {
        ForeignCard::default()
    }

    /// A freshly powered card of `kind`, with its ATR.
    pub fn of(kind: ForeignKind) -> ForeignCard {
        ForeignCard { kind, atr: kind.atr().to_vec(), commands: 0, current_ef: None }
    }

    /// The same card presenting `atr` (`cie-sim --atr`).
    pub fn with_atr(mut self, atr: &Atr) -> ForeignCard {
        self.atr = atr.as_bytes().to_vec();
        self
    }

    /// Its kind.
    pub fn kind(&self) -> ForeignKind {
        self.kind
    }

    /// Its answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// Power-on or warm reset: no EF is current.
    pub fn reset(&mut self) {
        self.current_ef = None;
    }

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
        let (data, sw) = match self.kind {
            ForeignKind::Other => (Vec::new(), other(&cmd)),
            ForeignKind::Cns => cns::process(&cmd, &mut self.current_ef),
            ForeignKind::Bank => emv::process(&cmd),
            ForeignKind::Passport => (Vec::new(), mrtd::process(&cmd, &mut self.current_ef)),
            ForeignKind::Bare => (Vec::new(), bare(&cmd)),
        };
        let mut out = data;
        out.extend_from_slice(&sw.to_bytes());
        out
    }
}

/// True for a SELECT of the MF: `00 A4 00 xx` without data or with `3F 00`.
fn selects_mf(cmd: &Command) -> bool {
    cmd.ins == SELECT && cmd.p1 == 0x00 && (cmd.data.is_empty() || cmd.data == MF)
}

/// The file identifier of a SELECT by file id under the current DF or the MF (P1 `00` or `02`
/// with two bytes of data).
fn selected_fid(cmd: &Command) -> Option<u16> {
    match (cmd.p1, cmd.data.as_slice()) {
        (0x00 | 0x02, [hi, lo]) => Some(u16::from_be_bytes([*hi, *lo])),
        _ => None,
    }
}

/// [`ForeignKind::Other`]: the MF selects, nothing else exists.
fn other(cmd: &Command) -> StatusWord {
    match cmd.ins {
        SELECT if selects_mf(cmd) => StatusWord::OK,
        SELECT => StatusWord::FILE_NOT_FOUND,
        READ_BINARY if cmd.p1 & 0x80 != 0 => StatusWord::FILE_NOT_FOUND,
        READ_BINARY => StatusWord::NO_CURRENT_EF,
        GET_RESPONSE => StatusWord::CONDITIONS_NOT_SATISFIED,
        _ => StatusWord::INS_NOT_SUPPORTED,
    }
}

/// [`ForeignKind::Bare`]: every SELECT is refused (`6A 82`), every other instruction unknown.
fn bare(cmd: &Command) -> StatusWord {
    match cmd.ins {
        SELECT => StatusWord::FILE_NOT_FOUND,
        _ => StatusWord::INS_NOT_SUPPORTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::consts::{CIE_AID, IAS_AID};

    /// `00 A4 04 0C <aid>`: SELECT by name (ISO 7816-4 §11.2.2).
    pub(super) fn select_by_name(aid: &[u8]) -> Vec<u8> {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x0C, aid.len() as u8];
        apdu.extend_from_slice(aid);
        apdu
    }

    #[test]
    fn no_kind_has_the_cie_application_or_its_pin_commands() {
        for kind in ForeignKind::ALL {
            let mut card = ForeignCard::of(kind);
            assert_eq!(card.process(&select_by_name(&CIE_AID)), [0x6A, 0x82], "{kind}");
            // VERIFY of the CIE PIN (reference 81), plain and under SM.
            let verify = [0x00, 0x20, 0x00, 0x81, 0x08, 1, 2, 3, 4, 5, 6, 7, 8];
            assert_ne!(card.process(&verify)[..], [0x90, 0x00], "{kind}");
            assert_eq!(card.process(&[0x0C, 0xA4, 0x04, 0x0C, 0x01, 0xA0]), [0x68, 0x82], "{kind}");
            assert_eq!(card.process(&[0x10, 0x2A, 0x00, 0xBE, 0x01, 0x00]), [0x68, 0x84], "{kind}");
            assert_eq!(card.process(&[0x80, 0xCA, 0x00, 0x00]), [0x6E, 0x00], "{kind}");
            assert_eq!(card.process(&[0x00, 0xA4]), [0x67, 0x00], "{kind}");
            assert_eq!(card.process(&[]), [0x67, 0x00], "{kind}");
            for len in 0..300 {
                let apdu: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
                assert!(card.process(&apdu).len() >= 2, "{kind}");
            }
            assert_eq!(card.commands_processed(), 307, "{kind}");
        }
    }

    #[test]
    fn the_other_card_has_the_mf_alone() {
        let mut card = ForeignCard::new();
        assert_eq!(card.kind(), ForeignKind::Other);
        assert_eq!(card.process(&select_by_name(&IAS_AID)), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x69, 0x86]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x81, 0x00, 0x00]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xC0, 0x00, 0x00, 0x00]), [0x69, 0x85]);
        assert_eq!(card.process(&[0x00, 0x20, 0x00, 0x81, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]), [0x6D, 0x00]);
    }

    #[test]
    fn the_bare_card_refuses_every_select() {
        let mut card = ForeignCard::of(ForeignKind::Bare);
        assert_eq!(card.atr(), [0x3B, 0x80, 0x80, 0x01, 0x01]);
        for apdu in [
            &[0x00, 0xA4, 0x00, 0x00][..],
            &select_by_name(&IAS_AID),
            &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00],
            &[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03],
        ] {
            assert_eq!(card.process(apdu), [0x6A, 0x82], "{apdu:02X?}");
        }
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x6D, 0x00]);
    }

    /// Well formed (TS, T0 `8K`, TD1 `80`, TD2 `01`, K historical bytes, TCK), and the names
    /// round-trip; that they match no CIE fragment is checked in `profile`'s tests and by the
    /// host's ATR table.
    #[test]
    fn atrs_are_well_formed_and_names_round_trip() {
        for kind in ForeignKind::ALL {
            let atr = kind.atr();
            assert_eq!(&atr[..1], &[0x3B], "{kind}");
            assert_eq!(atr[1] & 0xF0, 0x80, "{kind}");
            assert_eq!(&atr[2..4], &[0x80, 0x01], "{kind}");
            assert_eq!(atr.len(), 4 + usize::from(atr[1] & 0x0F) + 1, "{kind}");
            assert_eq!(atr[1..].iter().fold(0u8, |a, b| a ^ b), 0, "TCK of {kind}");
            assert_eq!(ForeignKind::from_name(kind.name()), Some(kind));
            assert_eq!(ForeignCard::of(kind).atr(), atr);
        }
        assert_eq!(ForeignKind::from_name("visa"), None);
        let atr = Atr::from_hex("3B 8F 80 01 00 00 00 00 00 00 00 00 00 00 00 FF 82 90 00 E3").unwrap();
        assert_eq!(ForeignCard::of(ForeignKind::Bank).with_atr(&atr).atr(), atr.as_bytes());
    }
}
