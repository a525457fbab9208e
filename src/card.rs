//! Finding the card: the first reader that holds a CIE, or the reader the user named; or the
//! user's card agent (DESIGN.md §8) when its socket answers.

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::Session;
use cie_core::transport::Counting;

use cie_agent::{AgentClient, ClientError};
use cie_core::csca::CscaSet;
use cie_core::pin::{Pin, Puk, Secret};
use cie_core::session::PinStatus;
use cie_core::sign::HashAlg;
use cie_core::sod::SodReport;
use cie_core::Transport;
use cie_sign::Signer;

use crate::failure::Failure;

/// A session through PC/SC, counting APDUs.
pub(crate) type CardSession = Session<Counting<PcscTransport>>;

/// Opens a session with the CIE in `reader`, or in the first reader that holds one (cie-core's
/// one search, the C API's too: when no reader holds a CIE, the most telling failure).
pub(crate) fn open(reader: Option<&str>) -> Result<CardSession, Failure> {
    match reader {
        Some(name) => Ok(Session::open(Counting::new(PcscTransport::connect(name)?))?),
        None => Ok(cie_core::open_first_cie_with(Counting::new)?),
    }
}

/// What `cie info` shows of a card before the PIN.
pub(crate) struct CardFacts {
    /// The reader's name.
    pub(crate) reader: String,
    /// The generation's name.
    pub(crate) generation: String,
    /// The chip's manufacturer.
    pub(crate) manufacturer: String,
    /// The answer to reset.
    pub(crate) atr: Vec<u8>,
    /// The NIS.
    pub(crate) nis: String,
}

/// Where the holder's certificate and signatures come from: the card in this process, or the
/// user's card agent. Both give the same answers and the same errors.
pub(crate) enum HolderCard {
    /// A session of this process (boxed: it is much larger than a connection).
    Local(Box<CardSession>),
    /// The card agent, and the reader the user named.
    Agent(AgentClient, Option<String>),
}

impl HolderCard {
    /// The agent when its socket answers, else a session opened here.
    pub(crate) fn open(reader: Option<&str>) -> Result<HolderCard, Failure> {
        match AgentClient::connect() {
            Some(client) => {
                tracing::info!(target: "cie::agent", "using the card agent");
                Ok(HolderCard::Agent(client, reader.map(str::to_owned)))
            }
            None => open(reader).map(|s| HolderCard::Local(Box::new(s))),
        }
    }

    /// What the card tells without a PIN.
    pub(crate) fn facts(&mut self) -> Result<CardFacts, Failure> {
        match self {
            HolderCard::Local(s) => Ok(CardFacts {
                reader: s.transport().name(),
                generation: s.generation().name().to_owned(),
                manufacturer: s.generation().manufacturer().to_owned(),
                atr: s.atr().to_vec(),
                nis: s.nis().to_owned(),
            }),
            HolderCard::Agent(c, reader) => {
                let i = c.card_info(reader.as_deref()).map_err(Failure::from)?;
                Ok(CardFacts {
                    reader: i.reader,
                    generation: i.generation,
                    manufacturer: i.manufacturer,
                    atr: i.atr,
                    nis: i.nis,
                })
            }
        }
    }

    /// The PIN's state, spending no try (through the agent: as this process sees it).
    pub(crate) fn pin_status(&mut self) -> Result<PinStatus, Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.pin_status()?),
            HolderCard::Agent(c, reader) => c.pin_status(reader.as_deref()).map_err(Failure::from),
        }
    }

    /// The tries left the card last reported, when known (in-process only: through the agent
    /// the PIN is never verified for this process before it logs in).
    pub(crate) fn pin_tries_left(&self) -> Option<u8> {
        match self {
            HolderCard::Local(s) => s.pin_tries_left(),
            HolderCard::Agent(..) => None,
        }
    }

    /// The card number (after login).
    pub(crate) fn serial(&mut self) -> Result<String, Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.serial()?),
            HolderCard::Agent(c, reader) => c.serial(reader.as_deref()).map_err(Failure::from),
        }
    }

    /// The holder's certificate (after login).
    pub(crate) fn certificate(&mut self) -> Result<Vec<u8>, Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.certificate()?),
            HolderCard::Agent(c, reader) => c.certificate(reader.as_deref()).map_err(Failure::from),
        }
    }

    /// A signature of `digest`, checked against the certificate's key by whoever holds the card.
    pub(crate) fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>, Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.sign_digest(alg, digest)?),
            HolderCard::Agent(c, reader) => c.sign_digest(reader.as_deref(), alg, digest).map_err(Failure::from),
        }
    }

    /// Has the card verify `pin` (through the agent: for this process's connection only).
    pub(crate) fn login(&mut self, pin: &Pin) -> Result<(), Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.verify_pin(pin)?),
            HolderCard::Agent(c, reader) => c.login(reader.as_deref(), pin.digits()).map_err(Failure::from),
        }
    }

    /// Passive authentication of the card, its Document Signer checked against `trust`; the
    /// card number and certificate are among the files checked after login only (through the
    /// agent: this process's login).
    pub(crate) fn verify_sod(&mut self, trust: &CscaSet) -> Result<SodReport, Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.verify_sod(trust)?),
            HolderCard::Agent(c, reader) => c.verify_sod(reader.as_deref(), trust).map_err(Failure::from),
        }
    }

    /// Changes the PIN: the card checks `old` (a wrong one spends one try) and sets `new`.
    pub(crate) fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<(), Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.change_pin(old, new)?),
            HolderCard::Agent(c, reader) => {
                c.change_pin(reader.as_deref(), old.digits(), new.digits()).map_err(Failure::from)
            }
        }
    }

    /// Unblocks the PIN with the PUK (a wrong one spends one of its tries) and sets `new`.
    pub(crate) fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<(), Failure> {
        match self {
            HolderCard::Local(s) => Ok(s.unblock_pin(puk, new)?),
            HolderCard::Agent(c, reader) => {
                c.unblock_pin(reader.as_deref(), puk.digits(), new.digits()).map_err(Failure::from)
            }
        }
    }
}

/// cie-sign's documents are signed by the same card, in this process or through the agent: only
/// the certificate and the digest's signature cross the socket. An agent failure travels inside
/// cie-sign's I/O error and comes out as the same [`Failure`] as raw `cie sign` gives.
impl Signer for HolderCard {
    fn certificate(&mut self) -> cie_sign::Result<Vec<u8>> {
        match self {
            HolderCard::Local(s) => Signer::certificate(s.as_mut()),
            HolderCard::Agent(c, reader) => c.certificate(reader.as_deref()).map_err(sign_error),
        }
    }

    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> cie_sign::Result<Vec<u8>> {
        match self {
            HolderCard::Local(s) => Signer::sign_digest(s.as_mut(), alg, digest),
            HolderCard::Agent(c, reader) => c.sign_digest(reader.as_deref(), alg, digest).map_err(sign_error),
        }
    }
}

/// A call through the agent as cie-sign's error: the card's error as it is, the agent's
/// inside an I/O error ([`Failure`]'s conversion takes it out again).
fn sign_error(e: ClientError) -> cie_sign::Error {
    match e {
        ClientError::Card(e) => cie_sign::Error::Card(e),
        other => cie_sign::Error::Io(std::io::Error::other(other)),
    }
}
