//! Recovery (DESIGN.md §3): every operation runs in one transaction and is retried once after
//! a card reset or a broken secure channel; the secure channel (DH + DAPP, PROTOCOL.md §4) is
//! (re-)established on demand, reading the card's constants again when stored ones fail.

use super::state::State;
use super::Session;
use crate::channel::SecureChannel;
use crate::dapp::{self, DappInput};
use crate::dh;
use crate::error::{Error, Result};
use crate::files::{self, Plain};
use crate::sw::SwKind;
use crate::transport::{Link, Transport, TransportError};

impl<T: Transport> Session<T> {
    /// Runs one operation inside a transaction, recovering once from a card reset or a broken
    /// secure channel (but never re-sending a PIN or PUK given by the caller). A card gone
    /// takes the PIN and every card-side state with it.
    pub(super) fn run_with_recovery<R>(
        &mut self,
        mut op: impl FnMut(&mut State, &mut dyn Link) -> Result<R>,
    ) -> Result<R> {
        let mut resets = 0;
        let mut rebuilds = 0;
        loop {
            self.state.credentials.secret_sent = false;
            let result = match self.transport.transaction() {
                Ok(mut link) => op(&mut self.state, &mut *link),
                Err(e) => Err(e.into()),
            };
            let secret_sent = self.state.credentials.secret_sent;
            match result {
                Err(Error::Transport(TransportError::CardReset)) => {
                    tracing::info!("card reset detected; re-establishing the session");
                    self.state.card_was_reset();
                    resets += 1;
                    if resets > 2 || secret_sent {
                        return Err(TransportError::CardReset.into());
                    }
                }
                Err(e) if needs_new_channel(&e) => {
                    self.state.drop_channel();
                    rebuilds += 1;
                    if rebuilds > 1 || secret_sent {
                        return Err(e);
                    }
                    tracing::info!("re-establishing the secure channel after: {e}");
                }
                Err(e @ Error::Transport(TransportError::CardRemoved | TransportError::NoCard)) => {
                    // The card is gone: forget the PIN and every card-side state (DESIGN.md §3).
                    self.state.credentials.forget_pin();
                    self.state.card_was_reset();
                    return Err(e);
                }
                other => {
                    if self.state.channel.as_ref().is_some_and(|c| !c.is_usable()) {
                        self.state.drop_channel();
                    }
                    return other;
                }
            }
        }
    }
}

/// Errors after which the secure channel must be rebuilt before retrying (PROTOCOL.md §5.5).
fn needs_new_channel(e: &Error) -> bool {
    match e {
        Error::SecureMessaging(_) => true,
        Error::Card { sw, .. } => matches!(
            sw.kind(),
            SwKind::SecurityStatusNotSatisfied | SwKind::SmObjectsMissing | SwKind::SmObjectsIncorrect
        ),
        _ => false,
    }
}

impl State {
    /// DH + DAPP (§4) unless a usable channel is open. Static parameters are cached. When they
    /// came from stored card constants and the handshake fails, they are read from the card
    /// and the handshake is run once more (no PIN has been sent at this point).
    pub(super) fn ensure_channel(&mut self, link: &mut dyn Link) -> Result<()> {
        if self.channel.as_ref().is_some_and(SecureChannel::is_usable) {
            return Ok(());
        }
        self.drop_channel();
        if self.card.identity_unconfirmed {
            self.confirm_identity(link)?;
        }
        self.ensure_selected(link)?;
        match self.handshake(link) {
            Err(e @ Error::Card { .. }) if !self.card.constants_unconfirmed => {
                // A card may be reset under this handle without PC/SC saying so: pcscd resets
                // it when it cleans up after a process that died mid-command, and may do so
                // while another handle's transaction runs. The card then forgets the half-done
                // exchange and its selection. No PIN has been sent: once, as after a reset (the
                // same card confirmed, selected again, a new handshake).
                tracing::info!("the card refused the handshake ({e}); once more as after a reset");
                self.card_was_reset();
                self.confirm_identity(link)?;
                self.ensure_selected(link)?;
                self.handshake(link)
            }
            Err(e) if self.card.constants_unconfirmed && !matches!(e, Error::Transport(_)) => {
                tracing::info!("the stored card constants do not fit the card ({e}); reading them again");
                self.card.constants_unconfirmed = false;
                self.card.group = None;
                self.card.ca = None;
                self.card.terminal_certificate = None;
                self.card.chip_key = None;
                // A failed handshake may leave the card anywhere: start from the root.
                self.select_root(link)?.ok("SELECT root")?;
                self.read_static(link)?;
                self.handshake(link)
            }
            other => other,
        }
    }

    /// After a reset, before a new channel (and the PIN held for it): the card must give the
    /// EF.SN.ICC it gave when the session opened (PROTOCOL.md §2, in plain). Another card, or
    /// none, is a removal: the held PIN is forgotten and never sent (DESIGN.md §3).
    fn confirm_identity(&mut self, link: &mut dyn Link) -> Result<()> {
        self.select_root(link)?.ok("SELECT root")?;
        let sn_icc = files::read_file(&mut Plain(&mut *link), files::EF_SN_ICC);
        match sn_icc {
            Ok(sn) if sn == self.card.sn_icc => {
                self.card.identity_unconfirmed = false;
                Ok(())
            }
            Ok(_) | Err(Error::Card { .. }) => {
                tracing::info!("after a reset the reader holds another card");
                self.credentials.forget_pin();
                Err(TransportError::CardRemoved.into())
            }
            Err(e) => Err(e),
        }
    }

    /// Reads what is missing of the DH group and the CA key, then DH + DAPP (§4).
    fn handshake(&mut self, link: &mut dyn Link) -> Result<()> {
        if self.card.group.is_none() {
            let one_call = self.card.generation.dh_params_one_call();
            let group = match dh::read_group(&mut *link, one_call) {
                Err(Error::Card { .. }) if one_call => dh::read_group(&mut *link, false)?,
                other => other?,
            };
            self.card.group = Some(group);
            self.card.constants_to_store = true;
        }
        if self.card.ca.is_none() {
            let ca = dapp::read_ca_key(&mut *link)?;
            self.card.ca = Some(ca);
            self.card.constants_to_store = true;
        }
        if self.card.terminal_certificate.is_none() {
            let ca = self.card.ca.as_ref().ok_or_else(|| Error::DeviceAuthentication("CA key missing".into()))?;
            self.card.terminal_certificate = Some(dapp::terminal_certificate(ca)?);
        }
        let (Some(group), Some(certificate), Some(chip_key)) =
            (&self.card.group, &self.card.terminal_certificate, &self.card.chip_key)
        else {
            return Err(Error::DeviceAuthentication("card data missing".into()));
        };
        let kx = dh::exchange(&mut *link, group)?;
        let mut channel = SecureChannel::new(kx.keys.clone());
        let input = DappInput { group, y_ifd: &kx.y_ifd, y_icc: &kx.y_icc, certificate, chip_key };
        let ssc = dapp::authenticate(&mut channel, &mut *link, &input)?;
        channel.set_ssc(ssc);
        self.channel = Some(channel);
        self.card.constants_unconfirmed = false;
        Ok(())
    }
}
