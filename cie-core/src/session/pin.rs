//! PIN and PUK operations of a session (PROTOCOL.md §6): VERIFY, the tries left, CHANGE
//! REFERENCE DATA, RESET RETRY COUNTER, logout; and re-verifying the held PIN after a reset.

use super::state::State;
use super::{PinStatus, Session};
use crate::commands;
use crate::error::{Credential, Error, Result, SmError};
use crate::pin::{self, Pin, Puk, Secret};
use crate::sw::{StatusWord, SwKind};
use crate::transport::{Link, Transport, TransportError};

impl<T: Transport> Session<T> {
    /// Verifies the user PIN (§6) and keeps it in memory for this session, so that a card
    /// reset can be recovered without asking again. A wrong PIN spends exactly one try and is
    /// reported with the tries left.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<()> {
        let result = self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, pin)
        });
        match &result {
            Ok(()) => {
                self.state.credentials.pin = Some(pin.clone());
                self.state.credentials.pin_verified = true;
            }
            Err(_) => self.state.credentials.forget_pin(),
        }
        result
    }

    /// Verifies the PUK (VERIFY `82`, §6) without changing anything; a wrong PUK spends one
    /// PUK try. The PUK status stays in the current secure channel until [`Session::logout`].
    pub fn verify_puk(&mut self, puk: &Puk) -> Result<()> {
        self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, puk)
        })
    }

    /// Asks the card how many PIN tries are left without spending one (§6): `Verified` when
    /// the PIN was verified in the current secure channel, otherwise the counter of the PIN's
    /// CHV object by GET DATA ([`commands::get_data_tries`]; VERIFY with no data on a card that
    /// refuses it).
    pub fn pin_status(&mut self) -> Result<PinStatus> {
        self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            if st.credentials.pin_verified {
                return Ok(PinStatus::Verified);
            }
            let status = st.tries_status(link, Credential::Pin, pin::PIN_REF)?;
            st.credentials.pin_tries = match status {
                PinStatus::Blocked => Some(0),
                PinStatus::TriesLeft(n) => Some(n),
                PinStatus::Verified => st.credentials.pin_tries,
            };
            Ok(status)
        })
    }

    /// Asks the card how many PUK tries are left, spending none (§6, as [`Session::pin_status`]
    /// for the PUK's object `BF 81 02`): `TriesLeft(n)`, `Blocked`, or `Verified` when the PUK
    /// was verified in this channel.
    pub fn puk_status(&mut self) -> Result<PinStatus> {
        self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            if st.credentials.puk_verified {
                return Ok(PinStatus::Verified);
            }
            st.tries_status(link, Credential::Puk, pin::PUK_REF)
        })
    }

    /// The PUK's tries left as the card counts them (§6, GET DATA on `BF 81 02`), even when the
    /// PUK was verified in this channel: what the card agent tells a client other than the one
    /// that verified it (DESIGN.md §8).
    pub fn puk_counter(&mut self) -> Result<PinStatus> {
        self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            st.tries_status(link, Credential::Puk, pin::PUK_REF)
        })
    }

    /// Changes the PIN (§6): VERIFY of the old PIN, then CHANGE REFERENCE DATA `00 24 00 81`
    /// with old and new PIN, in the same secure channel (the card wants the PIN verified). A
    /// wrong old PIN spends one try at the VERIFY, and nothing else is sent.
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()> {
        let result = self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, old)?;
            st.credentials.secret_sent = true;
            let resp = st.secure(link, &commands::change_reference_data(old, new))?;
            st.note_tries(resp.sw);
            pin::check_status(Credential::Pin, "CHANGE REFERENCE DATA", resp.sw)
        });
        match &result {
            Ok(()) => {
                if self.state.credentials.pin.is_some() {
                    self.state.credentials.pin = Some(new.clone());
                }
                // The held PIN (the new one) is verified again when needed.
                self.state.credentials.pin_verified = false;
                self.state.credentials.pin_tries = Some(3);
            }
            Err(Error::WrongCredential { .. } | Error::Blocked(_)) => self.state.credentials.forget_pin(),
            Err(_) => {}
        }
        result
    }

    /// Unblocks the PIN with the PUK and sets a new PIN (VERIFY PUK, RESET RETRY COUNTER `02`,
    /// §6). A wrong PUK spends one PUK try.
    pub fn unblock_pin(&mut self, puk: &Puk, new_pin: &Pin) -> Result<()> {
        let result = self.run_with_recovery(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, puk)?;
            let resp = st.secure(link, &commands::reset_retry_counter(new_pin))?;
            if !resp.sw.is_ok() {
                return Err(Error::card("RESET RETRY COUNTER", resp.sw));
            }
            Ok(())
        });
        if result.is_ok() {
            self.state.credentials.forget_pin();
            self.state.credentials.pin_tries = Some(3);
            // The PUK status must not linger on the card: start a fresh channel next time.
            self.state.drop_channel();
        }
        result
    }

    /// Drops the PIN held for recovery (§3) but keeps the card's verified state: a later reset
    /// then ends in [`Error::LoginRequired`] instead of a VERIFY with the held PIN. For callers
    /// that keep the PIN themselves in locked memory (the card agent), or keep none.
    pub fn forget_held_pin(&mut self) {
        self.state.credentials.pin = None;
    }

    /// Forgets the PIN and closes the secure channel (the card drops its PIN status with it).
    pub fn logout(&mut self) {
        self.state.credentials.forget_pin();
        self.state.drop_channel();
    }
}

impl State {
    /// A secure channel with the PIN verified, re-verifying the held PIN if needed.
    pub(super) fn ensure_user(&mut self, link: &mut dyn Link) -> Result<()> {
        self.ensure_channel(link)?;
        if self.credentials.pin_verified {
            return Ok(());
        }
        let Some(pin) = self.credentials.pin.clone() else {
            return Err(Error::LoginRequired);
        };
        let sent_before = self.credentials.secret_sent;
        match self.verify_secret(link, &pin) {
            Ok(()) => {
                // The held PIN is the card's: sending it again after a later reset in this
                // operation spends nothing.
                self.credentials.secret_sent = sent_before;
                self.credentials.pin_verified = true;
                Ok(())
            }
            Err(e @ (Error::WrongCredential { .. } | Error::Blocked(_))) => {
                // The PIN changed behind our back: forget it.
                self.credentials.forget_pin();
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The tries left of `reference` (§6): GET DATA of its CHV object's counters, or, when the
    /// card refuses that GET DATA with any status word, VERIFY with no data (ISO/IEC 7816-4,
    /// used by OpenSC's IAS-ECC driver): no CIE client is known to use the GET DATA, so a card
    /// that does not give its counters that way is still asked. An answer `90 00` that does
    /// not parse is an error, not a reason to ask again.
    fn tries_status(&mut self, link: &mut dyn Link, credential: Credential, reference: u8) -> Result<PinStatus> {
        let resp = self.secure(link, &commands::get_data_tries(reference))?;
        if resp.sw.is_ok() {
            let tries = pin::parse_tries(reference, &resp.data)?;
            return Ok(match tries.remaining {
                0 => PinStatus::Blocked,
                n => PinStatus::TriesLeft(n),
            });
        }
        tracing::info!("the card does not give the {credential} counter by GET DATA ({}); asking with VERIFY", resp.sw);
        // A plain error answer leaves the channel unusable: a new one if so.
        self.ensure_channel(link)?;
        let resp = self.secure(link, &commands::verify_status(reference))?;
        match resp.sw.kind() {
            SwKind::Ok => Ok(PinStatus::Verified),
            SwKind::TriesLeft(0) | SwKind::AuthMethodBlocked => Ok(PinStatus::Blocked),
            SwKind::TriesLeft(n) => Ok(PinStatus::TriesLeft(n)),
            _ => Err(Error::card("VERIFY (status)", resp.sw)),
        }
    }

    /// Notes the PIN tries left that a VERIFY or CHANGE REFERENCE DATA answer reports (§6).
    fn note_tries(&mut self, sw: StatusWord) {
        match sw.kind() {
            SwKind::Ok => self.credentials.pin_tries = Some(3),
            SwKind::TriesLeft(n) => self.credentials.pin_tries = Some(n),
            SwKind::AuthMethodBlocked => self.credentials.pin_tries = Some(0),
            _ => {}
        }
    }

    /// VERIFY with `secret`. Marks the secret as sent (never to be re-sent in this attempt)
    /// unless the transport answered the very first transmission with a reset: PC/SC refuses
    /// to transmit to a card that was reset since the handle last saw it, so the command did
    /// not reach the card and may be sent again once the channel is rebuilt.
    fn verify_secret<S: Secret>(&mut self, link: &mut dyn Link, secret: &S) -> Result<()> {
        let mut watched = ReachedCardLink { link, reached_card: false };
        let result = self.verify_secret_on(&mut watched, secret);
        // A card that refuses the command's secure-messaging objects (`69 87` / `69 88`, in
        // plain: another application has replaced our channel on the card) has not executed
        // it (ISO/IEC 7816-4 §10.2): the secret was not checked, no try was spent, and it may
        // be sent once more over a new channel. An answer we cannot unwrap is different: the
        // card may have checked the secret, so it counts as sent.
        let not_executed = matches!(result, Err(Error::SecureMessaging(SmError::Rejected(_))));
        self.credentials.secret_sent |= watched.reached_card && !not_executed;
        result
    }

    /// VERIFY with `secret` under secure messaging, noting the PIN's tries and the status of
    /// the secret in this channel.
    fn verify_secret_on<S: Secret>(&mut self, link: &mut dyn Link, secret: &S) -> Result<()> {
        let resp = self.secure(link, &commands::verify(secret))?;
        if S::KIND == Credential::Pin {
            self.note_tries(resp.sw);
            self.credentials.pin_verified = resp.sw.is_ok();
        } else {
            self.credentials.puk_verified = resp.sw.is_ok();
        }
        pin::check_status(S::KIND, "VERIFY", resp.sw)
    }
}

/// A link that notes whether a command may have reached the card: everything but a
/// [`TransportError::CardReset`] answer to a transmission counts as reaching it.
struct ReachedCardLink<'a> {
    link: &'a mut dyn Link,
    reached_card: bool,
}

impl Link for ReachedCardLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        let result = self.link.transmit(command);
        if !matches!(result, Err(TransportError::CardReset)) {
            self.reached_card = true;
        }
        result
    }
}
