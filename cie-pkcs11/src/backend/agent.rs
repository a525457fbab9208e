//! The card agent's backend (DESIGN.md §8): readers and their states come from the PC/SC
//! service as with [`PcscBackend`] (no APDU), while card operations go to the user's agent,
//! which owns the card's secure channel. Each slot connection is one agent client, so the
//! agent's per-client login state is this module instance's: `C_Logout` drops it, and so do
//! `C_Finalize` and the process's exit (the connection closes). No card protocol here: the
//! agent client is IPC.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cie_agent::{AgentClient, ClientError};
use cie_core::pin::{Pin, Puk, Secret};
use cie_core::{Credential, Error, Result, Transport, TransportError};

use super::agent_waiter::AgentWaiter;
use super::pcsc::PcscBackend;
use super::source::{Backend, EventWaiter, ReaderStatus};
use crate::card::CardOps;

/// Cards through the user's card agent; readers through PC/SC.
pub struct AgentBackend {
    pcsc: PcscBackend,
    /// How many cards this module instance has open through the agent now.
    open_cards: Arc<AtomicUsize>,
}

impl AgentBackend {
    /// The agent's backend when the user's agent answers on its socket now; `None` otherwise
    /// (the module then runs cie-core in-process, [`PcscBackend`]).
    pub fn connect() -> Option<AgentBackend> {
        AgentClient::connect()
            .map(|_probe| AgentBackend { pcsc: PcscBackend::new(), open_cards: Arc::new(AtomicUsize::new(0)) })
    }
}

impl Backend for AgentBackend {
    fn readers(&self) -> std::result::Result<Vec<String>, TransportError> {
        self.pcsc.readers()
    }

    fn status(&self, reader: &str) -> std::result::Result<ReaderStatus, TransportError> {
        self.pcsc.status(reader)
    }

    /// The in-process fallback: used for a card only when the agent did not answer when the
    /// card was opened ([`Backend::open_card`] said `None`).
    fn connect(&self, reader: &str) -> std::result::Result<Box<dyn Transport>, TransportError> {
        self.pcsc.connect(reader)
    }

    fn open_card(&self, reader: &str) -> Option<Result<Box<dyn CardOps>>> {
        match AgentCard::open(reader, &self.open_cards) {
            Ok(card) => Some(Ok(Box::new(card))),
            Err(Opening::Card(e)) => Some(Err(e)),
            Err(Opening::NoAgent(why)) => {
                tracing::info!("card agent unavailable ({why}): card operations in this process (PC/SC)");
                None
            }
        }
    }

    /// A reader waiter that, while a card is open through the agent, also wakes when the agent
    /// ends, so that its loss is a slot event (the token removed and put back, DESIGN.md §8).
    /// With no card open it watches nothing, and holds no connection that would keep an idle
    /// agent from exiting.
    fn waiter(&self) -> std::result::Result<Arc<dyn EventWaiter>, TransportError> {
        let watch = if self.open_cards.load(Ordering::SeqCst) > 0 { AgentClient::connect() } else { None };
        Ok(Arc::new(AgentWaiter::new(watch)?))
    }

    fn release(&self) {
        self.pcsc.release()
    }

    fn forget_inherited(&self) {
        self.pcsc.forget_inherited()
    }
}

/// The agent's failure (not the card's) as a cie-core error: `CKR_DEVICE_ERROR` for this
/// call (a card error keeps its own mapping; a lost connection also makes the card
/// [`CardOps::is_lost`], which the slot turns into a removal and reinsertion).
fn card_error(e: ClientError) -> Error {
    match e {
        ClientError::Card(e) => e,
        other => {
            tracing::warn!("card agent: {other}");
            Error::Transport(TransportError::Other(format!("card agent: {other}")))
        }
    }
}

/// True when `e` leaves the connection unusable: it broke, or the agent's answer was not one.
fn breaks_connection(e: &ClientError) -> bool {
    matches!(e, ClientError::Io(_) | ClientError::Protocol(_) | ClientError::Socket(_))
}

/// Why a card could not be opened through the agent.
enum Opening {
    /// The card's own answer (no card, not a CIE...): the same as in-process.
    Card(Error),
    /// No agent answered, or it failed: the card is opened in this process instead.
    NoAgent(String),
}

/// One card reached through the agent: one client connection, so one login state.
pub(crate) struct AgentCard {
    client: AgentClient,
    reader: String,
    nis: String,
    manufacturer: String,
    /// The PIN tries left as the card last reported them to this client.
    pin_tries: Option<u8>,
    /// A call broke the connection (the agent died or answered nonsense).
    lost: bool,
    /// Counts this card among the backend's open ones while it lives.
    _open: OpenCard,
}

/// One card open through the agent, counted in [`AgentBackend`]'s `open_cards` until dropped.
struct OpenCard(Arc<AtomicUsize>);

impl OpenCard {
    fn new(count: &Arc<AtomicUsize>) -> OpenCard {
        count.fetch_add(1, Ordering::SeqCst);
        OpenCard(count.clone())
    }
}

impl Drop for OpenCard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AgentCard {
    /// Connects to the agent and asks for the card in `reader` (the agent opens its session
    /// if none is open, and checks the card is there for a client new to it).
    fn open(reader: &str, open_cards: &Arc<AtomicUsize>) -> std::result::Result<AgentCard, Opening> {
        let mut client = AgentClient::connect().ok_or_else(|| Opening::NoAgent("it does not answer".into()))?;
        let info = client.card_info(Some(reader)).map_err(|e| match e {
            ClientError::Card(e) => Opening::Card(e),
            other => Opening::NoAgent(other.to_string()),
        })?;
        Ok(AgentCard {
            client,
            reader: reader.to_owned(),
            nis: info.nis,
            manufacturer: info.manufacturer,
            pin_tries: None,
            lost: false,
            _open: OpenCard::new(open_cards),
        })
    }

    /// The card's error for `e`, noting a broken connection.
    fn failed(&mut self, e: ClientError) -> Error {
        if breaks_connection(&e) {
            self.lost = true;
        }
        card_error(e)
    }

    /// Keeps the PIN tries up to date from a PIN command's outcome.
    fn note_pin<R>(&mut self, result: &Result<R>) {
        match result {
            Ok(_) => self.pin_tries = Some(3),
            Err(Error::WrongCredential { credential: Credential::Pin, tries_left }) => self.pin_tries = *tries_left,
            Err(Error::Blocked(Credential::Pin)) => self.pin_tries = Some(0),
            Err(_) => {}
        }
    }
}

impl CardOps for AgentCard {
    fn nis(&self) -> &str {
        &self.nis
    }

    fn manufacturer(&self) -> String {
        self.manufacturer.clone()
    }

    fn verify_pin(&mut self, pin: &Pin) -> Result<()> {
        let reader = self.reader.clone();
        let r = self.client.login(Some(&reader), pin.digits()).map_err(|e| self.failed(e));
        self.note_pin(&r);
        r
    }

    fn verify_puk(&mut self, puk: &Puk) -> Result<()> {
        let reader = self.reader.clone();
        self.client.verify_puk(Some(&reader), puk.digits()).map_err(|e| self.failed(e))
    }

    fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<()> {
        let reader = self.reader.clone();
        let r = self.client.unblock_pin(Some(&reader), puk.digits(), new.digits()).map_err(|e| self.failed(e));
        self.note_pin(&r);
        r
    }

    fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()> {
        let reader = self.reader.clone();
        let r = self.client.change_pin(Some(&reader), old.digits(), new.digits()).map_err(|e| self.failed(e));
        self.note_pin(&r);
        r
    }

    fn logout(&mut self) {
        let reader = self.reader.clone();
        if let Err(e) = self.client.logout(Some(&reader)) {
            tracing::debug!("card agent: logout: {e}");
            self.lost |= breaks_connection(&e);
        }
    }

    fn sign_digest_info(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let reader = self.reader.clone();
        self.client.sign_digest_info(Some(&reader), input).map_err(|e| self.failed(e))
    }

    fn certificate(&mut self) -> Result<Vec<u8>> {
        let reader = self.reader.clone();
        self.client.certificate(Some(&reader)).map_err(|e| self.failed(e))
    }

    fn card_binding_signature(&mut self) -> Result<Vec<u8>> {
        // Computed once per card session by the agent; the cache itself stays the module's.
        let reader = self.reader.clone();
        self.client.card_binding(Some(&reader)).map_err(|e| self.failed(e))
    }

    fn use_certificate_key(&mut self, _certificate_der: &[u8]) -> Result<()> {
        // The agent's session checks every signature with the card's own certificate.
        Ok(())
    }

    fn has_own_certificate(&self) -> bool {
        true
    }

    fn pin_tries_left(&self) -> Option<u8> {
        self.pin_tries
    }

    fn constants_to_store(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        None
    }

    fn is_lost(&self) -> bool {
        self.lost || self.client.is_closed()
    }
}
