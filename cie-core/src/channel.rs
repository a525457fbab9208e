//! The host's secure channel: protects commands, chains long data in 231-byte SM chunks, and
//! unwraps answers (PROTOCOL.md §5.2-§5.4).

use crate::apdu::{self, Command, Response, CLA_CHAINING};
use crate::error::{Result, SmError};
use crate::sm::{self, SmKeys, Ssc, SM_CHUNK};
use crate::sw::{StatusWord, SwKind};
use crate::transport::Link;

/// Session keys and send sequence counter of an open secure channel. A clone continues from
/// the same counter: use one copy per card state (the fuzz targets snapshot a card and its
/// channel together); the keys stay zeroized on drop in every copy.
#[derive(Clone)]
pub struct SecureChannel {
    keys: SmKeys,
    ssc: Ssc,
    broken: bool,
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecureChannel(broken: {})", self.broken)
    }
}

impl SecureChannel {
    /// A channel right after the DH key exchange (SSC = 1, §4.3 step 7).
    pub fn new(keys: SmKeys) -> Self {
        Self { keys, ssc: Ssc::INITIAL, broken: false }
    }

    /// Sets the counter (after device authentication, §4.4.3).
    pub fn set_ssc(&mut self, ssc: Ssc) {
        self.ssc = ssc;
    }

    /// False once an answer left the host unsure of the card's SM state (an unwrapped error
    /// status, a MAC failure): the channel must then be re-established.
    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// Sends `cmd` under secure messaging. Data longer than 231 bytes goes in chained SM
    /// APDUs, each with its own counter steps and protected answer (§5.3).
    pub fn transmit<L: Link + ?Sized>(&mut self, link: &mut L, cmd: &Command) -> Result<Response> {
        if self.broken {
            return Err(SmError::Rejected(StatusWord::CONDITIONS_NOT_SATISFIED).into());
        }
        let result = self.transmit_inner(link, cmd);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn transmit_inner<L: Link + ?Sized>(&mut self, link: &mut L, cmd: &Command) -> Result<Response> {
        let chunks: Vec<&[u8]> = if cmd.data.is_empty() { vec![&[][..]] } else { cmd.data.chunks(SM_CHUNK).collect() };
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.iter().enumerate() {
            let mut part = Command::new(cmd.cla, cmd.ins, cmd.p1, cmd.p2).with_data(*chunk);
            if i < last {
                part.cla |= CLA_CHAINING;
            } else {
                part.le = cmd.le;
            }
            let resp = self.exchange(link, &part)?;
            if i == last || !resp.sw.is_ok() {
                return Ok(resp);
            }
        }
        unreachable!("at least one chunk is always sent")
    }

    /// One protected command and its answer (§5.4: `61 xx` collected with plain GET RESPONSE).
    fn exchange<L: Link + ?Sized>(&mut self, link: &mut L, clear: &Command) -> Result<Response> {
        let protected = sm::protect_command(&self.keys, &mut self.ssc, clear);
        let raw = apdu::exchange(link, &protected.to_bytes()?)?;
        if raw.data.is_empty() {
            return match raw.sw.kind() {
                SwKind::SmObjectsMissing | SwKind::SmObjectsIncorrect => Err(SmError::Rejected(raw.sw).into()),
                SwKind::Ok | SwKind::EndOfFile | SwKind::WrongOffset => Err(SmError::MissingObject.into()),
                _ => {
                    // A plain error answer: the card did not count a response step, we can no
                    // longer be sure of its counter (§11.1). Report the status, then rebuild.
                    self.broken = true;
                    Ok(raw)
                }
            };
        }
        Ok(sm::unprotect_response(&self.keys, &mut self.ssc, &raw.data)?)
    }
}
