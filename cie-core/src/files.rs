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
    /// Le of one READ BINARY: 256 in plain; 231 under SM, so that the protected answer still
    /// fits one 256-byte response (no GET RESPONSE needed).
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

    #[test]
    fn nis_bcd() {
        let sn = [0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0];
        assert_eq!(nis_from_sn_icc(&sn).as_deref(), Some("123456789012"));
        assert_eq!(nis_from_sn_icc(&sn[..8]), None);
        let bad = [0, 0, 0, 0, 0, 0x1A, 0x34, 0x56, 0x78, 0x90, 0x12, 0];
        assert_eq!(nis_from_sn_icc(&bad), None);
    }
}
