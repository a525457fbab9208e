//! PIN (`81`) and PUK (`82`) of PROTOCOL.md §6: VERIFY, CHANGE REFERENCE DATA, RESET RETRY
//! COUNTER and the GET DATA of their counters, with counters that survive resets. All of them
//! require secure messaging and a successful device authentication (otherwise `69 82`);
//! CHANGE REFERENCE DATA also wants the PIN verified in the same secure channel, RESET RETRY
//! COUNTER the PUK (otherwise `69 82`, nothing spent).
//!
//! Counter rules (our choices for the open points §11.10): a wrong value decrements the counter
//! and answers `63 Cx` with the tries left, so the wrong try that reaches zero answers `63 C0`
//! and from then on the reference answers `69 83`; a value that is not 8 bytes long answers
//! `67 00` and spends nothing. The counters are read with GET DATA of the CHV object's DOCP
//! (`BF 81 01`/`BF 81 02`, `9A` maximum, `9B` left); VERIFY without data (ISO/IEC 7816-4, not
//! in the CIE specification) is answered too, as a status query that spends nothing.

use super::apdu::Command;
use super::sw::StatusWord;
use super::tlv;

use super::{CardResult, Reply, SimCard};

/// Length of PIN and PUK: 8 ASCII digits (§6).
const LEN: usize = 8;

/// 8 ASCII digits.
fn well_formed(value: &[u8]) -> bool {
    value.len() == LEN && value.iter().all(u8::is_ascii_digit)
}

impl SimCard {
    fn require_terminal(&self, sm: bool) -> Result<(), StatusWord> {
        if sm && self.v.terminal {
            Ok(())
        } else {
            Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED)
        }
    }

    /// VERIFY `00 20 00 81|82` + 8 ASCII digits (§6).
    pub(super) fn verify(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if cmd.p1 != 0 {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        let is_pin = match cmd.p2 {
            0x81 => true,
            0x82 => false,
            _ => return Err(StatusWord::REFERENCE_NOT_FOUND),
        };
        self.require_terminal(sm)?;
        let (secret, verified) =
            if is_pin { (&mut self.pin, &mut self.v.pin_ok) } else { (&mut self.puk, &mut self.v.puk_ok) };
        if secret.tries == 0 {
            *verified = false;
            return Err(StatusWord::AUTH_METHOD_BLOCKED);
        }
        if cmd.data.is_empty() {
            // Status query: nothing spent.
            return if *verified { Ok(Reply::done()) } else { Err(StatusWord::tries_left(secret.tries)) };
        }
        if cmd.data.len() != LEN {
            return Err(StatusWord::WRONG_LENGTH);
        }
        match secret.check(&cmd.data) {
            Ok(()) => {
                *verified = true;
                Ok(Reply::done())
            }
            Err(sw) => {
                *verified = false;
                Err(sw)
            }
        }
    }

    /// CHANGE REFERENCE DATA `00 24 00 81` + old PIN || new PIN (§6), with the PIN verified in
    /// this secure channel (`69 82` otherwise, nothing spent: the official host verifies first,
    /// PROTOCOL.md §6). The old PIN is checked with the VERIFY counter rules; the new one must
    /// be 8 ASCII digits (`6A 80`, nothing spent). Success sets the new PIN and a full counter;
    /// the PIN status of the session is cleared (§10.2).
    pub(super) fn change_reference_data(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if cmd.p1 != 0 {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        if cmd.p2 != 0x81 {
            return Err(StatusWord::REFERENCE_NOT_FOUND);
        }
        self.require_terminal(sm)?;
        if self.pin.tries == 0 {
            self.v.pin_ok = false;
            return Err(StatusWord::AUTH_METHOD_BLOCKED);
        }
        if !self.v.pin_ok {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if cmd.data.len() != 2 * LEN {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (old, new) = cmd.data.split_at(LEN);
        if !well_formed(new) {
            return Err(StatusWord::WRONG_DATA);
        }
        self.v.pin_ok = false;
        self.pin.check(old)?;
        self.pin.set(new);
        Ok(Reply::done())
    }

    /// RESET RETRY COUNTER (§6): `00 2C 03 81` (no data) resets the PIN counter; `00 2C 02 81`
    /// with a new PIN also sets the PIN and consumes the PUK status. Both need the PUK verified
    /// in this session.
    pub(super) fn reset_retry_counter(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if cmd.p2 != 0x81 {
            return Err(StatusWord::REFERENCE_NOT_FOUND);
        }
        if !matches!(cmd.p1, 0x02 | 0x03) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        self.require_terminal(sm)?;
        if !self.v.puk_ok {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if cmd.p1 == 0x03 {
            if !cmd.data.is_empty() {
                return Err(StatusWord::WRONG_LENGTH);
            }
            self.pin.unblock();
        } else {
            if cmd.data.len() != LEN {
                return Err(StatusWord::WRONG_LENGTH);
            }
            if !well_formed(&cmd.data) {
                return Err(StatusWord::WRONG_DATA);
            }
            self.pin.set(&cmd.data);
            self.v.puk_ok = false;
        }
        self.v.pin_ok = false;
        Ok(Reply::done())
    }
}

impl SimCard {
    /// The answer to GET DATA of the DOCP of the PIN's (`is_pin`) or PUK's CHV object (§6):
    /// `70 { BF 81 0n { A0 { 9A 01 <max>, 9B 01 <left> } } }`, under secure messaging after
    /// device authentication only.
    pub(super) fn chv_counters(&self, is_pin: bool, sm: bool) -> CardResult {
        self.require_terminal(sm)?;
        let (secret, number) = if is_pin { (&self.pin, 0x01) } else { (&self.puk, 0x02) };
        let mut docp = tlv::encode(&[0x9A], &[secret.max()]);
        docp.extend_from_slice(&tlv::encode(&[0x9B], &[secret.tries]));
        let sdo = tlv::encode(&[0xBF, 0x81, number], &tlv::encode(&[0xA0], &docp));
        Ok(Reply::ok(tlv::encode(&[0x70], &sdo)))
    }
}
