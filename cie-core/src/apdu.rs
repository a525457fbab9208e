//! ISO 7816-4 command/response APDUs (short form, cases 1-4), plain command chaining,
//! GET RESPONSE on `61 xx` and re-issue on `6C xx` (PROTOCOL.md §2.5, §4.3, §10.3).

use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::ins;
use crate::sw::{StatusWord, SwKind};
use crate::transport::Link;

/// Chaining bit of the class byte (ISO 7816-4 §5.1.1).
pub const CLA_CHAINING: u8 = 0x10;
/// Maximum data field of a short command APDU; plain chaining cuts data into chunks of this size.
pub const MAX_SHORT_DATA: usize = 255;

/// A command APDU in clear form. Its data is zeroized on drop (it may hold a PIN).
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Data field (empty for cases 1 and 2).
    pub data: Vec<u8>,
    /// Expected response length, 1..=256 (`None` for cases 1 and 3; 256 is encoded `00`).
    pub le: Option<u16>,
}

impl Drop for Command {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl Command {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    /// Sets the data field.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Le (1..=256).
    pub fn with_le(mut self, le: u16) -> Self {
        self.le = Some(le);
        self
    }

    /// Encodes as a short APDU. Data longer than 255 bytes or Le outside 1..=256 is an error
    /// (use [`transmit`], which chains).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.data.len() > MAX_SHORT_DATA {
            return Err(Error::InvalidArgument(format!(
                "APDU data of {} bytes does not fit a short APDU",
                self.data.len()
            )));
        }
        let mut out = Vec::with_capacity(6 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            out.push(self.data.len() as u8);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            match le {
                1..=255 => out.push(le as u8),
                256 => out.push(0),
                _ => return Err(Error::InvalidArgument(format!("Le {le} out of range"))),
            }
        }
        Ok(out)
    }

    /// Parses a short command APDU (cases 1-4). Extended APDUs are rejected.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Command, StatusWord> {
        if bytes.len() < 4 {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let mut cmd = Command::new(bytes[0], bytes[1], bytes[2], bytes[3]);
        let body = &bytes[4..];
        match body.len() {
            0 => {}
            1 => cmd.le = Some(if body[0] == 0 { 256 } else { body[0] as u16 }),
            _ => {
                let lc = body[0] as usize;
                if lc == 0 {
                    // Extended length APDUs are not supported by the CIE.
                    return Err(StatusWord::WRONG_LENGTH);
                }
                if body.len() == 1 + lc {
                    cmd.data = body[1..].to_vec();
                } else if body.len() == 2 + lc {
                    cmd.data = body[1..1 + lc].to_vec();
                    let le = body[1 + lc];
                    cmd.le = Some(if le == 0 { 256 } else { le as u16 });
                } else {
                    return Err(StatusWord::WRONG_LENGTH);
                }
            }
        }
        Ok(cmd)
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data (may be empty).
    pub data: Vec<u8>,
    /// Status word.
    pub sw: StatusWord,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Response({} bytes, {})", self.data.len(), self.sw)
    }
}

impl Response {
    /// Splits raw response bytes into data and status word.
    pub fn parse(bytes: &[u8]) -> Result<Response> {
        if bytes.len() < 2 {
            return Err(Error::malformed(format!("response of {} bytes has no status word", bytes.len())));
        }
        let (data, sw) = bytes.split_at(bytes.len() - 2);
        Ok(Response { data: data.to_vec(), sw: StatusWord::new(sw[0], sw[1]) })
    }

    /// Data followed by the status word.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.data.clone();
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }

    /// Returns the data if the status is `90 00`, else a [`Error::Card`] naming `command`.
    pub fn ok(self, command: &'static str) -> Result<Vec<u8>> {
        if self.sw.is_ok() {
            Ok(self.data)
        } else {
            Err(Error::card(command, self.sw))
        }
    }
}

/// Sends one short APDU and collects the whole answer, issuing GET RESPONSE (`00 C0 00 00 xx`)
/// while the card answers `61 xx`. Used for both plain and secure-messaging commands.
pub fn exchange<L: Link + ?Sized>(t: &mut L, apdu: &[u8]) -> Result<Response> {
    let mut resp = Response::parse(&t.transmit(apdu)?)?;
    let mut data = std::mem::take(&mut resp.data);
    let mut guard = 0;
    while let SwKind::MoreData(xx) = resp.sw.kind() {
        guard += 1;
        if guard > 64 || data.len() > 65_536 {
            return Err(Error::malformed("endless GET RESPONSE sequence"));
        }
        let get_response = [0x00, ins::GET_RESPONSE, 0x00, 0x00, xx];
        resp = Response::parse(&t.transmit(&get_response)?)?;
        data.append(&mut resp.data);
    }
    Ok(Response { data, sw: resp.sw })
}

/// Sends a clear command: chains data longer than 255 bytes (CLA bit `10`, only the last
/// answer is examined, PROTOCOL.md §4.3 step 3), follows `61 xx` with GET RESPONSE, and
/// re-issues the command once with `Le = xx` on `6C xx` (PROTOCOL.md §2.5).
pub fn transmit<L: Link + ?Sized>(t: &mut L, cmd: &Command) -> Result<Response> {
    let chunks: Vec<&[u8]> =
        if cmd.data.is_empty() { vec![&[][..]] } else { cmd.data.chunks(MAX_SHORT_DATA).collect() };
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.iter().enumerate() {
        let mut part = Command::new(cmd.cla, cmd.ins, cmd.p1, cmd.p2).with_data(*chunk);
        if i < last {
            part.cla |= CLA_CHAINING;
            let resp = exchange(t, &part.to_bytes()?)?;
            if !resp.sw.is_ok() {
                return Ok(resp);
            }
            continue;
        }
        part.le = cmd.le;
        let resp = exchange(t, &part.to_bytes()?)?;
        if let SwKind::WrongLe(xx) = resp.sw.kind() {
            part.le = Some(if xx == 0 { 256 } else { xx as u16 });
            return exchange(t, &part.to_bytes()?);
        }
        return Ok(resp);
    }
    unreachable!("at least one chunk is always sent")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportError;

    #[test]
    fn encodes_all_cases() {
        assert_eq!(Command::new(0, 0xA4, 0, 0).to_bytes().unwrap(), [0, 0xA4, 0, 0]);
        assert_eq!(Command::new(0, 0x84, 0, 0).with_le(8).to_bytes().unwrap(), [0, 0x84, 0, 0, 8]);
        assert_eq!(Command::new(0, 0xB0, 0, 0).with_le(256).to_bytes().unwrap(), [0, 0xB0, 0, 0, 0]);
        assert_eq!(
            Command::new(0, 0xA4, 2, 4).with_data([0x10, 0x01]).to_bytes().unwrap(),
            [0, 0xA4, 2, 4, 2, 0x10, 0x01]
        );
        assert_eq!(
            Command::new(0, 0x88, 0, 0).with_data([1]).with_le(256).to_bytes().unwrap(),
            [0, 0x88, 0, 0, 1, 1, 0]
        );
        assert!(Command::new(0, 0xD6, 0, 0).with_data(vec![0; 256]).to_bytes().is_err());
    }

    #[test]
    fn parses_all_cases() {
        for bytes in
            [&[0u8, 0xA4, 0, 0][..], &[0, 0x84, 0, 0, 8], &[0, 0xA4, 2, 4, 2, 0x10, 0x01], &[0, 0x88, 0, 0, 1, 1, 0]]
        {
            assert_eq!(Command::parse(bytes).unwrap().to_bytes().unwrap(), bytes);
        }
        assert_eq!(Command::parse(&[0, 0xA4, 0, 0, 5, 1]), Err(StatusWord::WRONG_LENGTH));
        assert_eq!(Command::parse(&[0, 0xA4]), Err(StatusWord::WRONG_LENGTH));
    }

    /// A scripted card: answers each transmitted APDU from a list, recording what was sent.
    struct Script {
        answers: Vec<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl Link for Script {
        fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
            self.sent.push(command.to_vec());
            if self.answers.is_empty() {
                return Err(TransportError::Other("script exhausted".into()));
            }
            Ok(self.answers.remove(0))
        }
    }

    #[test]
    fn get_response_and_chaining() {
        let mut first = vec![0xAA; 256];
        first.extend_from_slice(&[0x61, 0x12]);
        let mut second = vec![0xBB; 0x12];
        second.extend_from_slice(&[0x90, 0x00]);
        let mut t = Script { answers: vec![vec![0x90, 0], first, second], sent: vec![] };
        let cmd = Command::new(0, 0x22, 0x41, 0xA6).with_data(vec![7u8; 266]);
        let resp = transmit(&mut t, &cmd).unwrap();
        assert_eq!(resp.data.len(), 274);
        assert!(resp.sw.is_ok());
        assert_eq!(t.sent[0][..5], [0x10, 0x22, 0x41, 0xA6, 0xFF]);
        assert_eq!(t.sent[1][..5], [0x00, 0x22, 0x41, 0xA6, 0x0B]);
        assert_eq!(t.sent[2], [0x00, 0xC0, 0x00, 0x00, 0x12]);
    }

    #[test]
    fn reissues_on_wrong_le() {
        let mut t = Script { answers: vec![vec![0x6C, 0x05], vec![1, 2, 3, 4, 5, 0x90, 0]], sent: vec![] };
        let resp = transmit(&mut t, &Command::new(0, 0xB0, 0, 0).with_le(0x80)).unwrap();
        assert_eq!(resp.data, [1, 2, 3, 4, 5]);
        assert_eq!(t.sent[1], [0, 0xB0, 0, 0, 5]);
    }
}
