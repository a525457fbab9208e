//! The two ways a handle reaches its card (DESIGN.md §8): a cie-core session in this process,
//! or the user's card agent, which owns the card's secure channel for every process of the
//! user. [`cie_card_open`](crate::cie_card_open) takes the agent when its socket answers. Both
//! give the same answers and errors; only the agent's own failure after the handle was opened
//! (it stopped or was killed) has a code of its own, `CIE_ERR_AGENT`. No protocol here: the
//! agent client is IPC, and one handle is one agent client, so the agent's per-client login is
//! the handle's.

use cie_agent::{AgentClient, CardInfo, ClientError};
use cie_core::csca::CscaSet;
use cie_core::pin::{Pin, Puk, Secret};
use cie_core::session::{PinStatus, Session};
use cie_core::sod::SodReport;
use cie_core::{Credential, Error, Transport, TransportError};

use crate::status::{FfiError, CIE_ERR_AGENT};

/// A card operation's outcome: the card's (cie-core's) error, the same through either
/// backend, or the agent's failure ([`ClientError::is_agent_failure`]).
pub(crate) type CardResult<T> = Result<T, ClientError>;

impl From<ClientError> for FfiError {
    fn from(e: ClientError) -> FfiError {
        match e {
            ClientError::Card(e) => e.into(),
            other => {
                tracing::warn!(target: "cie::ffi", "card agent: {other}");
                FfiError::new(
                    CIE_ERR_AGENT,
                    format!("the card agent stopped answering ({other}); free the handle and open the card again"),
                )
            }
        }
    }
}

/// Where a handle's card operations run.
pub(crate) enum Backend {
    /// A cie-core session over a transport of this process (boxed: much larger than a
    /// connection).
    Local(Box<Session<Box<dyn Transport>>>),
    /// The user's card agent.
    Agent(AgentCard),
}

/// A card reached through the agent: one connection (one login state), the card's public data
/// as the agent gave it at opening, and what the in-process session would remember.
pub(crate) struct AgentCard {
    client: AgentClient,
    info: CardInfo,
    /// The agent accepted this handle's PIN and has not dropped the login since, as far as
    /// its answers tell.
    logged_in: bool,
    /// The PIN tries left as the card last reported them to this handle.
    pin_tries: Option<u8>,
    /// The certificate once read (as the session caches it).
    certificate: Option<Vec<u8>>,
}

impl AgentCard {
    /// Asks the agent for the card in `reader` (`None`: the first reader holding a CIE); the
    /// agent opens its session if none is open. The card's errors are those of opening it
    /// in-process.
    pub(crate) fn open(mut client: AgentClient, reader: Option<&str>) -> CardResult<AgentCard> {
        let info = client.card_info(reader)?;
        Ok(AgentCard { client, info, logged_in: false, pin_tries: None, certificate: None })
    }

    /// Notes what an answer tells about this handle's login: the agent drops it on "login
    /// required" (no PIN held to recover with) and with the card.
    fn note<R>(&mut self, result: &CardResult<R>) {
        if let Err(ClientError::Card(
            Error::LoginRequired | Error::Transport(TransportError::CardRemoved | TransportError::NoCard),
        )) = result
        {
            self.logged_in = false;
        }
    }

    /// Notes the PIN tries a PIN command's outcome reports.
    fn note_pin<R>(&mut self, result: &CardResult<R>) {
        match result {
            Ok(_) => self.pin_tries = Some(3),
            Err(ClientError::Card(Error::WrongCredential { credential: Credential::Pin, tries_left })) => {
                self.pin_tries = *tries_left
            }
            Err(ClientError::Card(Error::Blocked(Credential::Pin))) => self.pin_tries = Some(0),
            Err(_) => {}
        }
        self.note(result);
    }
}

impl Backend {
    /// The reader's name.
    pub(crate) fn reader(&self) -> String {
        match self {
            Backend::Local(s) => s.transport().name(),
            Backend::Agent(a) => a.info.reader.clone(),
        }
    }

    /// The card generation's name.
    pub(crate) fn generation(&self) -> &str {
        match self {
            Backend::Local(s) => s.generation().name(),
            Backend::Agent(a) => &a.info.generation,
        }
    }

    /// The answer to reset.
    pub(crate) fn atr(&self) -> &[u8] {
        match self {
            Backend::Local(s) => s.atr(),
            Backend::Agent(a) => &a.info.atr,
        }
    }

    /// The NIS.
    pub(crate) fn nis(&self) -> &str {
        match self {
            Backend::Local(s) => s.nis(),
            Backend::Agent(a) => &a.info.nis,
        }
    }

    /// True when this handle holds a verified PIN (no card I/O).
    pub(crate) fn is_logged_in(&self) -> bool {
        match self {
            Backend::Local(s) => s.is_logged_in(),
            Backend::Agent(a) => a.logged_in,
        }
    }

    /// The PIN tries left as the card last reported them.
    pub(crate) fn pin_tries_left(&self) -> Option<u8> {
        match self {
            Backend::Local(s) => s.pin_tries_left(),
            Backend::Agent(a) => a.pin_tries,
        }
    }

    /// The certificate, if this handle has read it already.
    pub(crate) fn cached_certificate(&self) -> Option<&[u8]> {
        match self {
            Backend::Local(s) => s.cached_certificate(),
            Backend::Agent(a) => a.certificate.as_deref(),
        }
    }

    /// The holder's certificate (DER), read once.
    pub(crate) fn certificate(&mut self) -> CardResult<Vec<u8>> {
        match self {
            Backend::Local(s) => Ok(s.certificate()?),
            Backend::Agent(a) => {
                if let Some(c) = &a.certificate {
                    return Ok(c.clone());
                }
                let reader = a.info.reader.clone();
                let r = a.client.certificate(Some(&reader));
                a.note(&r);
                if let Ok(c) = &r {
                    a.certificate = Some(c.clone());
                }
                r
            }
        }
    }

    /// The card number.
    pub(crate) fn serial(&mut self) -> CardResult<String> {
        match self {
            Backend::Local(s) => Ok(s.serial()?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.serial(Some(&reader));
                a.note(&r);
                r
            }
        }
    }

    /// VERIFY of the user PIN.
    pub(crate) fn verify_pin(&mut self, pin: &Pin) -> CardResult<()> {
        match self {
            Backend::Local(s) => Ok(s.verify_pin(pin)?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.login(Some(&reader), pin.digits());
                // The agent drops this client's login whatever failed, as the session does.
                a.logged_in = r.is_ok();
                a.note_pin(&r);
                r
            }
        }
    }

    /// The PIN's state, spending no try.
    pub(crate) fn pin_status(&mut self) -> CardResult<PinStatus> {
        match self {
            Backend::Local(s) => Ok(s.pin_status()?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.pin_status(Some(&reader));
                match &r {
                    Ok(PinStatus::TriesLeft(n)) => a.pin_tries = Some(*n),
                    Ok(PinStatus::Blocked) => a.pin_tries = Some(0),
                    _ => {}
                }
                a.note(&r);
                r
            }
        }
    }

    /// The PUK's state, spending no try.
    pub(crate) fn puk_status(&mut self) -> CardResult<PinStatus> {
        match self {
            Backend::Local(s) => Ok(s.puk_status()?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.puk_status(Some(&reader));
                a.note(&r);
                r
            }
        }
    }

    /// Changes the PIN.
    pub(crate) fn change_pin(&mut self, old: &Pin, new: &Pin) -> CardResult<()> {
        match self {
            Backend::Local(s) => Ok(s.change_pin(old, new)?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.change_pin(Some(&reader), old.digits(), new.digits());
                if let Err(ClientError::Card(Error::WrongCredential { .. } | Error::Blocked(_))) = &r {
                    a.logged_in = false;
                }
                a.note_pin(&r);
                r
            }
        }
    }

    /// Unblocks the PIN with the PUK and sets `new`; the handle is logged out.
    pub(crate) fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> CardResult<()> {
        match self {
            Backend::Local(s) => Ok(s.unblock_pin(puk, new)?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.unblock_pin(Some(&reader), puk.digits(), new.digits());
                if r.is_ok() {
                    a.logged_in = false;
                    a.pin_tries = Some(3);
                }
                a.note(&r);
                r
            }
        }
    }

    /// A PKCS#1 v1.5 signature of a DigestInfo, checked against the certificate's key by
    /// whoever holds the session.
    pub(crate) fn sign_digest_info(&mut self, digest_info: &[u8]) -> CardResult<Vec<u8>> {
        match self {
            Backend::Local(s) => Ok(s.sign_digest_info(digest_info)?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                let r = a.client.sign_digest_info(Some(&reader), digest_info);
                a.note(&r);
                r
            }
        }
    }

    /// Passive authentication (EF.SOD, the CSCA chain, the anti-clone check).
    pub(crate) fn verify_sod(&mut self, trust: &CscaSet) -> CardResult<SodReport> {
        match self {
            Backend::Local(s) => Ok(s.verify_sod(trust)?),
            Backend::Agent(a) => {
                let reader = a.info.reader.clone();
                // The agent reads and checks the card; the chain is checked here against `trust`.
                let r = a.client.verify_sod(Some(&reader), trust);
                a.note(&r);
                r
            }
        }
    }

    /// Drops this handle's login (in-process: the PIN and the secure channel). The login is
    /// gone here even when the agent does not answer.
    pub(crate) fn logout(&mut self) -> CardResult<()> {
        match self {
            Backend::Local(s) => {
                s.logout();
                Ok(())
            }
            Backend::Agent(a) => {
                a.logged_in = false;
                let reader = a.info.reader.clone();
                a.client.logout(Some(&reader))
            }
        }
    }
}
