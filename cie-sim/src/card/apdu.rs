//! Command APDUs as the card receives them: ISO 7816-4 §5.1 short cases 1-4, written for the
//! card from PROTOCOL.md §5.2 and §10.3 (the CIE uses no extended APDUs). Chaining (CLA bit
//! `10`) is handled by the card's dispatcher on top of this.

use zeroize::Zeroize;

use super::sw::StatusWord;

/// One command APDU. The data field is wiped when the command is dropped (it may hold a PIN).
#[derive(PartialEq, Eq)]
pub(crate) struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Data field (empty in cases 1 and 2).
    pub data: Vec<u8>,
    /// Le, 1..=256 (`00` means 256); `None` in cases 1 and 3.
    pub le: Option<u16>,
}

impl Drop for Command {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

/// Le byte of a short APDU: `00` stands for 256.
fn le_of(byte: u8) -> u16 {
    match byte {
        0 => 256,
        n => u16::from(n),
    }
}

impl Command {
    /// Splits the raw bytes of a short command APDU:
    /// case 1 `CLA INS P1 P2`; case 2 `… Le`; case 3 `… Lc data`; case 4 `… Lc data Le`,
    /// with Lc in 1..=255. A frame shorter than the header, an Lc that does not match the
    /// length, or an extended-length frame (Lc byte `00` followed by more bytes) is `67 00`.
    pub(super) fn parse(apdu: &[u8]) -> Result<Command, StatusWord> {
        let (header, body) = match apdu.split_first_chunk::<4>() {
            Some(split) => split,
            None => return Err(StatusWord::WRONG_LENGTH),
        };
        let [cla, ins, p1, p2] = *header;
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(le_of(*le))),
            [0, ..] => return Err(StatusWord::WRONG_LENGTH),
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if rest.len() == lc {
                    (rest, None)
                } else if rest.len() == lc + 1 {
                    (&rest[..lc], Some(le_of(rest[lc])))
                } else {
                    return Err(StatusWord::WRONG_LENGTH);
                }
            }
        };
        Ok(Command { cla, ins, p1, p2, data: data.to_vec(), le })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> (u8, u8, u8, u8, Vec<u8>, Option<u16>) {
        let c = Command::parse(bytes).unwrap();
        (c.cla, c.ins, c.p1, c.p2, c.data.clone(), c.le)
    }

    /// Case 1: SELECT MF of NXP-class cards, `00 A4 00 00` (PROTOCOL.md §1.2).
    #[test]
    fn case_1() {
        assert_eq!(parse(&[0x00, 0xA4, 0x00, 0x00]), (0x00, 0xA4, 0x00, 0x00, vec![], None));
    }

    /// Case 2: GET CHALLENGE `00 84 00 00 08` (§4.4.2 step 4); READ BINARY with Le `00` = 256
    /// (§2.5, Appendix B).
    #[test]
    fn case_2() {
        assert_eq!(parse(&[0x00, 0x84, 0x00, 0x00, 0x08]), (0x00, 0x84, 0x00, 0x00, vec![], Some(8)));
        assert_eq!(parse(&[0x00, 0xB0, 0x00, 0x80, 0x00]), (0x00, 0xB0, 0x00, 0x80, vec![], Some(256)));
    }

    /// Case 3: SELECT DF_CIE `00 A4 04 0C 06 A0 00 00 00 00 39` (§2.1), and the first link of
    /// the plain MSE SET chain, CLA `10`, Lc `FF` (§4.3 step 3).
    #[test]
    fn case_3() {
        assert_eq!(
            parse(&[0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39]),
            (0x00, 0xA4, 0x04, 0x0C, vec![0xA0, 0x00, 0x00, 0x00, 0x00, 0x39], None)
        );
        let mut chained = vec![0x10, 0x22, 0x41, 0xA6, 0xFF];
        chained.extend([0x5A; 255]);
        assert_eq!(parse(&chained), (0x10, 0x22, 0x41, 0xA6, vec![0x5A; 255], None));
    }

    /// Case 4: the protected READ BINARY of §5.6,
    /// `0C B0 00 00 0D 97 01 80 8E 08 88 C1 46 95 6D 43 A2 5D 00`, and a one-byte case 4.
    #[test]
    fn case_4() {
        assert_eq!(
            parse(&[
                0x0C, 0xB0, 0x00, 0x00, 0x0D, 0x97, 0x01, 0x80, 0x8E, 0x08, 0x88, 0xC1, 0x46, 0x95, 0x6D, 0x43, 0xA2,
                0x5D, 0x00
            ]),
            (
                0x0C,
                0xB0,
                0x00,
                0x00,
                vec![0x97, 0x01, 0x80, 0x8E, 0x08, 0x88, 0xC1, 0x46, 0x95, 0x6D, 0x43, 0xA2, 0x5D],
                Some(256)
            )
        );
        assert_eq!(parse(&[0x00, 0x88, 0x00, 0x00, 0x01, 0x42, 0x10]), (0x00, 0x88, 0x00, 0x00, vec![0x42], Some(16)));
    }

    #[test]
    fn malformed_frames_are_67_00() {
        let wrong = Err(StatusWord::WRONG_LENGTH);
        // Shorter than a header.
        assert!(Command::parse(&[]) == wrong);
        assert!(Command::parse(&[0x00, 0xA4, 0x04]) == wrong);
        // Lc 6, two data bytes.
        assert!(Command::parse(&[0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00]) == wrong);
        // Lc 1, three bytes after it (neither case 3 nor case 4).
        assert!(Command::parse(&[0x00, 0xA4, 0x04, 0x0C, 0x01, 0xAA, 0xBB, 0xCC]) == wrong);
        // Extended length: Lc byte 00 followed by two length bytes.
        assert!(Command::parse(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00]) == wrong);
        assert!(Command::parse(&[0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA]) == wrong);
    }
}
