//! [`super::ForeignKind::Bank`]: an EMV payment card (EMV Book 1 §11.3, §12; EMV Contactless
//! Book B §3.3). It answers SELECT by name of the payment system environment
//! (`1PAY.SYS.DDF01`), of the contactless one (`2PAY.SYS.DDF01`) and of its payment
//! application (Visa credit/debit, `A0 00 00 00 03 10 10`) with their FCI templates, and
//! refuses everything else: other SELECTs `6A 82`, other instructions `6D 00`.

use super::{Command, SELECT};
use crate::card::sw::StatusWord;

/// `1PAY.SYS.DDF01`: the payment system environment (contact).
const PSE: &[u8] = b"1PAY.SYS.DDF01";
/// `2PAY.SYS.DDF01`: the proximity payment system environment (contactless).
const PPSE: &[u8] = b"2PAY.SYS.DDF01";
/// The payment application: Visa credit or debit.
const PAYMENT_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10];
/// The application label (tag `50`).
const LABEL: &[u8] = b"VISA";

/// One command of the bank card (CLA already checked): the answer's data and status word.
pub(super) fn process(cmd: &Command) -> (Vec<u8>, StatusWord) {
    if cmd.ins != SELECT {
        return (Vec::new(), StatusWord::INS_NOT_SUPPORTED);
    }
    // SELECT by name, first or only occurrence (P1 04, P2 00); P2 0C asks for no FCI.
    if cmd.p1 != 0x04 || !matches!(cmd.p2, 0x00 | 0x0C) {
        return (Vec::new(), StatusWord::FILE_NOT_FOUND);
    }
    let fci = match cmd.data.as_slice() {
        d if d == PSE || d == PPSE => environment_fci(d),
        d if d == PAYMENT_AID => application_fci(),
        _ => return (Vec::new(), StatusWord::FILE_NOT_FOUND),
    };
    let data = if cmd.p2 == 0x0C { Vec::new() } else { fci };
    (data, StatusWord::OK)
}

/// A BER-TLV with a one-byte length (every object here is shorter than 128 bytes).
fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

/// FCI of a payment system environment: `6F { 84 name, A5 { BF0C { 61 { 4F aid, 50 label,
/// 87 priority } } } }` (the directory entry of the one application; the contact PSE has an
/// SFI `88 01 01` instead of the directory, EMV Book 1 §11.3.4).
fn environment_fci(name: &[u8]) -> Vec<u8> {
    let proprietary = if name == PSE {
        tlv(&[0x88], &[0x01])
    } else {
        let entry = [tlv(&[0x4F], &PAYMENT_AID), tlv(&[0x50], LABEL), tlv(&[0x87], &[0x01])].concat();
        tlv(&[0xBF, 0x0C], &tlv(&[0x61], &entry))
    };
    tlv(&[0x6F], &[tlv(&[0x84], name), tlv(&[0xA5], &proprietary)].concat())
}

/// FCI of the payment application: `6F { 84 aid, A5 { 50 label, 87 priority } }`.
fn application_fci() -> Vec<u8> {
    let proprietary = [tlv(&[0x50], LABEL), tlv(&[0x87], &[0x01])].concat();
    tlv(&[0x6F], &[tlv(&[0x84], &PAYMENT_AID), tlv(&[0xA5], &proprietary)].concat())
}

#[cfg(test)]
mod tests {
    use super::super::{ForeignCard, ForeignKind};
    use crate::card::consts::IAS_AID;

    fn select_by_name(p2: u8, aid: &[u8]) -> Vec<u8> {
        let mut apdu = vec![0x00, 0xA4, 0x04, p2, aid.len() as u8];
        apdu.extend_from_slice(aid);
        apdu.push(0x00);
        apdu
    }

    #[test]
    fn answers_the_payment_environments_and_refuses_the_rest() {
        let mut card = ForeignCard::of(ForeignKind::Bank);
        // Written out: 6F 29 84 0E "2PAY.SYS.DDF01" A5 17 BF0C 14 61 12 4F 07 <aid> 50 04 "VISA" 87 01 01.
        let mut want = vec![0x6F, 0x29, 0x84, 0x0E];
        want.extend_from_slice(b"2PAY.SYS.DDF01");
        want.extend_from_slice(&[0xA5, 0x17, 0xBF, 0x0C, 0x14, 0x61, 0x12, 0x4F, 0x07]);
        want.extend_from_slice(&[0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10, 0x50, 0x04]);
        want.extend_from_slice(b"VISA");
        want.extend_from_slice(&[0x87, 0x01, 0x01, 0x90, 0x00]);
        assert_eq!(card.process(&select_by_name(0x00, b"2PAY.SYS.DDF01")), want);
        let pse = card.process(&select_by_name(0x00, b"1PAY.SYS.DDF01"));
        assert_eq!(&pse[pse.len() - 7..], [0xA5, 0x03, 0x88, 0x01, 0x01, 0x90, 0x00]);
        let app = card.process(&select_by_name(0x00, &[0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10]));
        // 6F 14 84 07 <aid> A5 09 50 04 "VISA" 87 01 01.
        assert_eq!(&app[..4], [0x6F, 0x14, 0x84, 0x07]);
        assert_eq!(app.len(), 2 + 0x14 + 2);
        assert_eq!(&app[app.len() - 2..], [0x90, 0x00]);
        assert_eq!(card.process(&select_by_name(0x0C, b"2PAY.SYS.DDF01")), [0x90, 0x00]);
        // Everything else is refused.
        assert_eq!(card.process(&select_by_name(0x0C, &IAS_AID)), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x00, 0x00]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0xD0, 0x03]), [0x6A, 0x82]);
        assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x6D, 0x00]);
        assert_eq!(card.process(&[0x00, 0x20, 0x00, 0x81, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]), [0x6D, 0x00]);
    }
}
