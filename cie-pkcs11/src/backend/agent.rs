//! The card agent's backend (DESIGN.md §8): readers and their states come from the PC/SC
//! service as with [`PcscBackend`] (no APDU), while card operations go to the user's agent,
//! which owns the card's secure channel. Each slot connection is one agent client, so the
//! agent's per-client login state is this module instance's: `C_Logout` drops it, and so do
//! `C_Finalize` and the process's exit (the connection closes). No card protocol here: the
//! agent client is IPC.

use std::sync::Arc;

use cie_agent::{AgentClient, ClientError};
use cie_core::pin::{Pin, Puk, Secret};
use cie_core::{Credential, Error, Result, Transport, TransportError};

use super::pcsc::PcscBackend;
use super::source::{Backend, EventWaiter, ReaderStatus};
use crate::card::CardOps;

/// Cards through the user's card agent; readers through PC/SC.
pub struct AgentBackend {
    pcsc: PcscBackend,
}

impl AgentBackend {
    /// The agent's backend when the user's agent answers on its socket now; `None` otherwise
    /// (the module then runs cie-core in-process, [`PcscBackend`]).
    pub fn connect() -> Option<AgentBackend> {
        AgentClient::connect().map(|_probe| AgentBackend { pcsc: PcscBackend::new() })
    }
}

impl Backend for AgentBackend {
    fn readers(&self) -> std::result::Result<Vec<String>, TransportError> {
        self.pcsc.readers()
    }

    fn status(&self, reader: &str) -> std::result::Result<ReaderStatus, TransportError> {
        self.pcsc.status(reader)
    }

    fn connect(&self, _reader: &str) -> std::result::Result<Box<dyn Transport>, TransportError> {
        Err(TransportError::Other("the card agent owns the card: no direct connection".into()))
    }

    fn open_card(&self, reader: &str) -> Option<Result<Box<dyn CardOps>>> {
        Some(AgentCard::open(reader).map(|c| Box::new(c) as Box<dyn CardOps>))
    }

    fn waiter(&self) -> std::result::Result<Arc<dyn EventWaiter>, TransportError> {
        self.pcsc.waiter()
    }

    fn release(&self) {
        self.pcsc.release()
    }

    fn forget_inherited(&self) {
        self.pcsc.forget_inherited()
    }
}

/// The agent's failure (not the card's) as a cie-core error: `CKR_DEVICE_ERROR`, the token
/// stays (a card error keeps its own mapping).
fn card_error(e: ClientError) -> Error {
    match e {
        ClientError::Card(e) => e,
        other => {
            tracing::warn!("card agent: {other}");
            Error::Transport(TransportError::Other(format!("card agent: {other}")))
        }
    }
}

/// One card reached through the agent: one client connection, so one login state.
pub(crate) struct AgentCard {
    client: AgentClient,
    reader: String,
    nis: String,
    manufacturer: String,
    /// The PIN tries left as the card last reported them to this client.
    pin_tries: Option<u8>,
}

impl AgentCard {
    /// Connects to the agent and asks for the card in `reader` (the agent opens its session
    /// if none is open, and checks the card is there for a client new to it).
    fn open(reader: &str) -> Result<AgentCard> {
        let mut client = AgentClient::connect()
            .ok_or_else(|| Error::Transport(TransportError::Other("the card agent does not answer".into())))?;
        let info = client.card_info(Some(reader)).map_err(card_error)?;
        Ok(AgentCard {
            client,
            reader: reader.to_owned(),
            nis: info.nis,
            manufacturer: info.manufacturer,
            pin_tries: None,
        })
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
        let r = self.client.login(Some(&reader), pin.digits()).map_err(card_error);
        self.note_pin(&r);
        r
    }

    fn verify_puk(&mut self, puk: &Puk) -> Result<()> {
        let reader = self.reader.clone();
        self.client.verify_puk(Some(&reader), puk.digits()).map_err(card_error)
    }

    fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<()> {
        let reader = self.reader.clone();
        let r = self.client.unblock_pin(Some(&reader), puk.digits(), new.digits()).map_err(card_error);
        self.note_pin(&r);
        r
    }

    fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()> {
        let reader = self.reader.clone();
        let r = self.client.change_pin(Some(&reader), old.digits(), new.digits()).map_err(card_error);
        self.note_pin(&r);
        r
    }

    fn logout(&mut self) {
        let reader = self.reader.clone();
        if let Err(e) = self.client.logout(Some(&reader)) {
            tracing::debug!("card agent: logout: {e}");
        }
    }

    fn sign_digest_info(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let reader = self.reader.clone();
        self.client.sign_digest_info(Some(&reader), input).map_err(card_error)
    }

    fn certificate(&mut self) -> Result<Vec<u8>> {
        let reader = self.reader.clone();
        self.client.certificate(Some(&reader)).map_err(card_error)
    }

    fn card_binding_signature(&mut self) -> Result<Vec<u8>> {
        // Computed once per card session by the agent; the cache itself stays the module's.
        let reader = self.reader.clone();
        self.client.card_binding(Some(&reader)).map_err(card_error)
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
}
