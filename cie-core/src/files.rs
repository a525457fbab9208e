//! Card files and how to read them (PROTOCOL.md §2): SELECT by file id and the READ BINARY
//! loop of §2.5, in plain or under secure messaging.

use crate::apdu::{self, Command, Response};
use crate::channel::SecureChannel;
use crate::commands;
use crate::error::{Error, Result};
use crate::sw::SwKind;
use crate::transport::Link;

/// EF.SN.ICC (`D003`, under the MF): 12 bytes, NIS in packed BCD at `[5..11)`.
pub const EF_SN_ICC: u16 = 0xD003;
/// EF.DH (`D004`, under the MF): the DH domain parameters.
pub const EF_DH: u16 = 0xD004;
/// EF.ID_Servizi (`1001`): the NIS, 12 ASCII digits.
pub const EF_NIS: u16 = 0x1001;
/// EF.Seriale (`1002`): the card number (SM + PIN).
pub const EF_SERIAL: u16 = 0x1002;
/// EF.Cert_CIE (`1003`): the holder's certificate (SM + PIN).
pub const EF_CERTIFICATE: u16 = 0x1003;
/// EF.Int.Kpub (`1004`): public key of the chip authentication key `82`.
pub const EF_INT_KPUB: u16 = 0x1004;
/// EF.Servizi_Int.Kpub (`1005`): public key of key `83`.
pub const EF_SERVIZI_KPUB: u16 = 0x1005;
/// EF.SOD (`1006`): the document security object.
pub const EF_SOD: u16 = 0x1006;

/// Largest file we accept (READ BINARY offsets stop at `7FFF`).
pub const MAX_FILE: usize = 0x7FFF;

/// Sends commands to the card, in plain or under secure messaging.
pub trait Exchanger {
    /// Sends one command and returns the (unwrapped) answer.
    fn send(&mut self, cmd: &Command) -> Result<Response>;
    /// Le of one READ BINARY: 256 in plain (real cards answer at most 231 bytes with `90 00`,
    /// and [`read_selected`] goes on from where the answer ended; a `6C xx` is followed too);
    /// 231 under SM, so that the protected answer still fits one 256-byte response (no GET
    /// RESPONSE needed; IAS-ECC §8.6.3.3, PROTOCOL.md §2.5).
    fn read_le(&self) -> u16;
}

/// Plain commands over a link.
pub struct Plain<'a, L: Link + ?Sized>(pub &'a mut L);

impl<L: Link + ?Sized> Exchanger for Plain<'_, L> {
    fn send(&mut self, cmd: &Command) -> Result<Response> {
        apdu::transmit(self.0, cmd)
    }
    fn read_le(&self) -> u16 {
        256
    }
}

/// Secure-messaging commands over a link.
pub struct Secure<'a, L: Link + ?Sized> {
    /// The open channel.
    pub channel: &'a mut SecureChannel,
    /// The link of the current transaction.
    pub link: &'a mut L,
}

impl<L: Link + ?Sized> Exchanger for Secure<'_, L> {
    fn send(&mut self, cmd: &Command) -> Result<Response> {
        self.channel.transmit(self.link, cmd)
    }
    fn read_le(&self) -> u16 {
        crate::sm::SM_CHUNK as u16
    }
}

/// SELECT of an EF under the current DF, `00 A4 02 04 02 <fid>` (§2.5 step 1; the FCP the
/// card returns is not needed).
pub fn select_ef(x: &mut dyn Exchanger, fid: u16) -> Result<()> {
    x.send(&commands::select_ef(fid))?.ok("SELECT EF")?;
    Ok(())
}

/// READ BINARY of the selected EF from offset 0 to its end (§2.5 step 2): `62 82` ends the
/// file with a last partial chunk, `6B 00` ends it exactly, `6C xx` re-issues with Le = xx.
pub fn read_selected(x: &mut dyn Exchanger) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut le = x.read_le();
    loop {
        if out.len() > MAX_FILE {
            return Err(Error::malformed("file larger than 32 KiB"));
        }
        let offset = out.len() as u16;
        let resp = x.send(&commands::read_binary(offset, le))?;
        match resp.sw.kind() {
            SwKind::Ok => {
                if resp.data.is_empty() {
                    break;
                }
                out.extend_from_slice(&resp.data);
            }
            SwKind::EndOfFile => {
                out.extend_from_slice(&resp.data);
                break;
            }
            SwKind::WrongOffset => break,
            SwKind::WrongLe(xx) if xx != 0 && (xx as u16) < le => le = xx as u16,
            _ => return Err(Error::card("READ BINARY", resp.sw)),
        }
    }
    Ok(out)
}

/// Selects and reads a whole EF.
pub fn read_file(x: &mut dyn Exchanger, fid: u16) -> Result<Vec<u8>> {
    select_ef(x, fid)?;
    read_selected(x)
}

/// The NIS as packed BCD in EF.SN.ICC `[5..11)`, as 12 digits (§2.4), if it is valid BCD.
pub fn nis_from_sn_icc(sn_icc: &[u8]) -> Option<String> {
    let bcd = sn_icc.get(5..11)?;
    let mut s = String::with_capacity(12);
    for b in bcd {
        for nibble in [b >> 4, b & 0x0F] {
            if nibble > 9 {
                return None;
            }
            s.push((b'0' + nibble) as char);
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sw::StatusWord;

    /// A selected file of `size` bytes (byte i = i mod 251) on a card that answers at most `cap`
    /// bytes per READ BINARY; `strict` cards answer a larger Le with `6C <cap>` instead of a
    /// short answer. Counts the READ BINARY commands.
    struct Card {
        size: usize,
        cap: usize,
        strict: bool,
        reads: usize,
        les: Vec<u16>,
    }

    impl Exchanger for Card {
        fn send(&mut self, cmd: &Command) -> Result<Response> {
            self.reads += 1;
            let le = usize::from(cmd.le.unwrap_or(256));
            self.les.push(le as u16);
            let offset = usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]));
            let answer = |data: Vec<u8>, sw: StatusWord| Ok(Response { data, sw });
            if self.strict && le > self.cap {
                return answer(vec![], StatusWord::new(0x6C, self.cap as u8));
            }
            if offset >= self.size {
                return answer(vec![], StatusWord::new(0x6B, 0x00));
            }
            let n = le.min(self.cap).min(self.size - offset);
            let data: Vec<u8> = (offset..offset + n).map(|i| (i % 251) as u8).collect();
            let sw = if n < le.min(self.cap) { StatusWord::new(0x62, 0x82) } else { StatusWord::OK };
            answer(data, sw)
        }
        fn read_le(&self) -> u16 {
            256
        }
    }

    fn read(size: usize, cap: usize, strict: bool) -> (Vec<u8>, usize, Vec<u16>) {
        let mut card = Card { size, cap, strict, reads: 0, les: vec![] };
        let out = read_selected(&mut card).unwrap();
        (out, card.reads, card.les)
    }

    #[test]
    fn short_answers_with_90_00_advance_the_offset() {
        let expected: Vec<u8> = (0..1561).map(|i| (i % 251) as u8).collect();
        // 231-byte answers to Le 256 (real cards): 6 full, then 175 bytes with 62 82.
        assert_eq!(read(1561, 231, false), (expected.clone(), 7, vec![256; 7]));
        // 256-byte answers: 6 full, then 25 bytes.
        assert_eq!(read(1561, 256, false).1, 7);
        // A multiple of the cap ends with 6B 00.
        let (out, reads, _) = read(462, 231, false);
        assert_eq!((out.len(), reads), (462, 3));
    }

    #[test]
    fn wrong_le_is_followed_for_the_rest_of_the_file() {
        let expected: Vec<u8> = (0..1561).map(|i| (i % 251) as u8).collect();
        // 6C E7, then every READ asks E7.
        let (out, reads, les) = read(1561, 231, true);
        assert_eq!(out, expected);
        assert_eq!(reads, 8);
        assert_eq!(les[..2], [256, 231]);
        assert!(les[1..].iter().all(|&le| le == 231));
    }

    #[test]
    fn nis_bcd() {
        let sn = [0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0];
        assert_eq!(nis_from_sn_icc(&sn).as_deref(), Some("123456789012"));
        assert_eq!(nis_from_sn_icc(&sn[..8]), None);
        let bad = [0, 0, 0, 0, 0, 0x1A, 0x34, 0x56, 0x78, 0x90, 0x12, 0];
        assert_eq!(nis_from_sn_icc(&bad), None);
    }
}
