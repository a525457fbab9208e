//! [`super::ForeignKind::Cns`]: an Italian health card (TS-CNS) on an IAS chip. Like a CIE it
//! answers SELECT of the IAS application (IAS-ECC's AID) and of the MF, and EF.SN.ICC (`D003`)
//! under the MF reads in plain; unlike a CIE it has no CIE application (`A0 00 00 00 00 39`),
//! so a host that probes only as far as EF.SN.ICC would take it for one. Its other files (the
//! CNS's DF `1100` and its personal-data EF) are not modelled: they are found by nothing the
//! CIE hosts send.

use super::{selected_fid, selects_mf, Command, READ_BINARY, SELECT};
use crate::card::consts::IAS_AID;
use crate::card::sw::StatusWord;

/// INS of VERIFY (ISO 7816-4 §11.5.6).
const VERIFY: u8 = 0x20;
/// EF.SN.ICC, the chip serial number file of IAS-ECC, under the MF.
const EF_SN_ICC: u16 = 0xD003;
/// Its content: 12 bytes, invented (a serial number, not a NIS: no CIE's layout is implied).
const SN_ICC: [u8; 12] = [0x5A, 0x0A, 0x80, 0x39, 0x00, 0x11, 0x99, 0x00, 0x00, 0x42, 0x17, 0x01];

/// One command of the CNS card (CLA already checked): the answer's data and status word.
/// `current_ef` is the EF selected last (`None` after the MF or the application).
pub(super) fn process(cmd: &Command, current_ef: &mut Option<u16>) -> (Vec<u8>, StatusWord) {
    match cmd.ins {
        SELECT => (Vec::new(), select(cmd, current_ef)),
        READ_BINARY => read_binary(cmd, *current_ef),
        // The CNS's PINs have references of their own: the CIE's are not found.
        VERIFY => (Vec::new(), StatusWord::REFERENCE_NOT_FOUND),
        _ => (Vec::new(), StatusWord::INS_NOT_SUPPORTED),
    }
}

fn select(cmd: &Command, current_ef: &mut Option<u16>) -> StatusWord {
    if selects_mf(cmd) || (cmd.p1 == 0x04 && cmd.data == IAS_AID) {
        *current_ef = None;
        return StatusWord::OK;
    }
    match selected_fid(cmd) {
        Some(EF_SN_ICC) => {
            *current_ef = Some(EF_SN_ICC);
            StatusWord::OK
        }
        _ => StatusWord::FILE_NOT_FOUND,
    }
}

/// READ BINARY of the current EF (offset in P1-P2, P1 bit 8 clear): `62 82` when the file ends
/// before Le bytes, `6B 00` past its end.
fn read_binary(cmd: &Command, current_ef: Option<u16>) -> (Vec<u8>, StatusWord) {
    if cmd.p1 & 0x80 != 0 {
        return (Vec::new(), StatusWord::FILE_NOT_FOUND);
    }
    if current_ef != Some(EF_SN_ICC) {
        return (Vec::new(), StatusWord::NO_CURRENT_EF);
    }
    let offset = usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]));
    let le = usize::from(cmd.le.unwrap_or(256));
    match SN_ICC.get(offset..) {
        None | Some([]) => (Vec::new(), StatusWord::WRONG_OFFSET),
        Some(rest) if rest.len() < le => (rest.to_vec(), StatusWord::END_OF_FILE),
        Some(rest) => (rest[..le].to_vec(), StatusWord::OK),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::select_by_name;
    use super::super::{ForeignCard, ForeignKind};
    use crate::card::consts::{CIE_AID, IAS_AID};

    #[test]
    fn answers_as_an_ias_card_without_the_cie_application() {
        let mut card = ForeignCard::of(ForeignKind::Cns);
        assert_eq!(card.process(&select_by_name(&IAS_AID)), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03]), [0x90, 0x00]);
        let sn = card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!(sn.len(), 12 + 2);
        assert_eq!(sn[12..], [0x62, 0x82]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x04, 0x04]), [0x00, 0x11, 0x99, 0x00, 0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x0C, 0x04]), [0x6B, 0x00]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x69, 0x86]);
        assert_eq!(card.process(&select_by_name(&CIE_AID)), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0x10, 0x01]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0x20, 0x00, 0x81, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]), [0x6A, 0x88]);
    }
}
