//! [`super::ForeignKind::Passport`]: an electronic passport (ICAO Doc 9303 part 10 §3, part 11
//! §4). SELECT of the MF and of the LDS1 eMRTD application (`A0 00 00 02 47 10 01`) succeed,
//! and so do its elementary files (EF.CardAccess `011C` under the MF; EF.COM `011E`, EF.SOD
//! `011D`, DG1 `0101`, DG2 `0102` in the application), but no access control (BAC or PACE)
//! has been done, so every READ BINARY is refused with `69 82` (security status not
//! satisfied). Other instructions (the access-control ones included) are not modelled: `6D 00`.

use super::{selected_fid, selects_mf, Command, READ_BINARY, SELECT};
use crate::card::sw::StatusWord;

/// The LDS1 eMRTD application (ICAO 9303 part 10 §3.1.1).
const LDS1_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
/// EF.CardAccess, under the MF.
const EF_CARD_ACCESS: u16 = 0x011C;
/// The application's files: EF.COM, EF.SOD, DG1, DG2.
const LDS1_FILES: [u16; 4] = [0x011E, 0x011D, 0x0101, 0x0102];

/// One command of the passport (CLA already checked). `current_ef` is the EF selected last.
pub(super) fn process(cmd: &Command, current_ef: &mut Option<u16>) -> StatusWord {
    match cmd.ins {
        SELECT => select(cmd, current_ef),
        // With a short EF identifier (P1 bit 8), or the current EF: both need BAC or PACE.
        READ_BINARY if cmd.p1 & 0x80 != 0 || current_ef.is_some() => StatusWord::SECURITY_STATUS_NOT_SATISFIED,
        READ_BINARY => StatusWord::NO_CURRENT_EF,
        _ => StatusWord::INS_NOT_SUPPORTED,
    }
}

fn select(cmd: &Command, current_ef: &mut Option<u16>) -> StatusWord {
    if selects_mf(cmd) || (cmd.p1 == 0x04 && cmd.data == LDS1_AID) {
        *current_ef = None;
        return StatusWord::OK;
    }
    match selected_fid(cmd) {
        Some(fid) if fid == EF_CARD_ACCESS || LDS1_FILES.contains(&fid) => {
            *current_ef = Some(fid);
            StatusWord::OK
        }
        _ => StatusWord::FILE_NOT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ForeignCard, ForeignKind};
    use crate::card::consts::IAS_AID;

    #[test]
    fn selects_its_application_and_refuses_reads_without_access_control() {
        let mut card = ForeignCard::of(ForeignKind::Passport);
        assert_eq!(
            card.process(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]),
            [0x90, 0x00]
        );
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x04]), [0x69, 0x82]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x9D, 0x00, 0x04]), [0x69, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), [0x90, 0x00]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x04]), [0x69, 0x86]);
        // Not a CIE: the IAS application and EF.SN.ICC are not found.
        let mut ias = vec![0x00, 0xA4, 0x04, 0x0C, 0x0D];
        ias.extend_from_slice(&IAS_AID);
        assert_eq!(card.process(&ias), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0x84, 0x00, 0x00, 0x08]), [0x6D, 0x00]);
    }
}
