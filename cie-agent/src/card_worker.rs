//! One worker thread per card reader: it owns the reader's cie-core [`Session`] and runs the
//! requests of every client one after the other (each is one cie-core operation in one PC/SC
//! transaction, so APDUs of two operations never interleave). It keeps the per-client login
//! state of DESIGN.md §8 and the one PIN held for recovery, in locked memory.

use std::collections::BTreeSet;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use cie_core::csca::CscaSet;
use cie_core::pcsc_backend::PcscTransport;
use cie_core::pin::{Pin, Puk};
use cie_core::session::{PinStatus, Session};
use cie_core::{Error, Result, Transport, TransportError};

use crate::locked::LockedPin;
use crate::message::{CardInfo, CardStatus, Reply, Request};

/// A connection's number, unique for the agent's life.
pub(crate) type ClientId = u64;

/// What the server asks a worker.
pub(crate) enum Job {
    /// Run a card request for a client and send the reply.
    Run { client: ClientId, request: Request, reply: Sender<Reply> },
    /// Open the session if needed and answer the card's NIS.
    Probe { client: ClientId, reply: Sender<Result<String>> },
    /// A client's connection closed: its login state goes.
    ClientGone(ClientId),
    /// The card's line in the agent's status.
    Status(Sender<CardStatus>),
    /// Log out, forget the PIN and end the thread.
    Shutdown,
}

/// The server's handle on a worker.
pub(crate) struct CardWorker {
    tx: Sender<Job>,
    thread: Option<JoinHandle<()>>,
}

impl CardWorker {
    /// Starts the worker of `reader`; nothing is sent to the card until a request comes.
    pub(crate) fn start(reader: String) -> std::io::Result<CardWorker> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new().name(format!("cie-agent card {reader}")).spawn(move || {
            let mut card = Card::new(reader);
            card.serve(rx);
        })?;
        Ok(CardWorker { tx, thread: Some(thread) })
    }

    /// Queues `job`; false when the worker is gone.
    pub(crate) fn send(&self, job: Job) -> bool {
        self.tx.send(job).is_ok()
    }
}

impl Drop for CardWorker {
    fn drop(&mut self) {
        let _ = self.tx.send(Job::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The worker's state of one reader.
struct Card {
    reader: String,
    session: Option<Session<PcscTransport>>,
    /// Clients whose own PIN the card accepted, and who have not logged out since.
    logged_in: BTreeSet<ClientId>,
    /// The PIN of the last successful login, for re-verification after a reset (None when
    /// mlock failed or nobody is logged in).
    held: Option<LockedPin>,
    /// Clients whose PUK the card accepted in the current session (a PKCS#11 security
    /// officer's login): only they see the PUK as verified.
    puk_verified: BTreeSet<ClientId>,
    /// Clients that used the current session.
    attached: BTreeSet<ClientId>,
    /// Clients that used a session whose card was removed and have not been told yet.
    removal_unseen: BTreeSet<ClientId>,
}

fn is_card_gone(e: &Error) -> bool {
    matches!(
        e,
        Error::Transport(
            TransportError::CardRemoved
                | TransportError::NoCard
                | TransportError::ReaderUnavailable(_)
                | TransportError::ServiceUnavailable(_)
        )
    )
}

impl Card {
    fn new(reader: String) -> Card {
        Card {
            reader,
            session: None,
            logged_in: BTreeSet::new(),
            held: None,
            puk_verified: BTreeSet::new(),
            attached: BTreeSet::new(),
            removal_unseen: BTreeSet::new(),
        }
    }

    fn serve(&mut self, rx: Receiver<Job>) {
        for job in rx {
            match job {
                Job::Run { client, request, reply } => {
                    let answer = self.run(client, request);
                    // The client may be gone: its answer is dropped (DESIGN.md §8).
                    let _ = reply.send(answer);
                }
                Job::Probe { client, reply } => {
                    let nis = self.session(client).map(|s| s.nis().to_owned());
                    if let Err(e) = &nis {
                        self.after_error(client, e);
                    }
                    let _ = reply.send(nis);
                }
                Job::ClientGone(client) => self.client_gone(client),
                Job::Status(reply) => {
                    let _ = reply.send(CardStatus {
                        reader: self.reader.clone(),
                        nis: self.session.as_ref().map(|s| s.nis().to_owned()),
                        logged_in_clients: self.logged_in.len() as u32,
                    });
                }
                Job::Shutdown => break,
            }
        }
        self.log_everyone_out();
        self.session = None;
    }

    /// The open session, opened now if needed. A client new to the session first has the
    /// card's presence checked (PC/SC status, no APDU): a card pulled since the last operation
    /// is news to the clients that used it, while a new client opens the card now in the
    /// reader, as a process of its own would.
    fn session(&mut self, client: ClientId) -> Result<&mut Session<PcscTransport>> {
        if let Some(s) = self.session.as_mut() {
            if !self.attached.contains(&client) {
                if let Err(e) = s.transport_mut().atr() {
                    self.after_error(client, &Error::from(e));
                }
            }
        }
        if self.session.is_none() {
            let transport = PcscTransport::connect(&self.reader)?;
            self.session = Some(Session::open(transport)?);
            tracing::info!(target: "cie::agent", "{}: session opened", self.reader);
        }
        self.attached.insert(client);
        self.session.as_mut().ok_or(Error::NoSecureChannel)
    }

    fn run(&mut self, client: ClientId, request: Request) -> Reply {
        if self.removal_unseen.remove(&client) {
            return Reply::Failed(Error::Transport(TransportError::CardRemoved));
        }
        let result = self.dispatch(client, request);
        match result {
            Ok(reply) => reply,
            Err(e) => {
                self.after_error(client, &e);
                Reply::Failed(e)
            }
        }
    }

    /// A card that left takes its session, its logins and the held PIN with it; every other
    /// client that used it gets the removal error at its next request.
    fn after_error(&mut self, client: ClientId, e: &Error) {
        if !is_card_gone(e) || self.session.is_none() {
            return;
        }
        tracing::info!(target: "cie::agent", "{}: card gone ({e}); logins and PIN dropped", self.reader);
        self.held = None;
        self.logged_in.clear();
        self.puk_verified.clear();
        self.session = None;
        let attached = std::mem::take(&mut self.attached);
        self.removal_unseen.extend(attached.into_iter().filter(|c| *c != client));
    }

    fn client_gone(&mut self, client: ClientId) {
        self.attached.remove(&client);
        self.removal_unseen.remove(&client);
        self.puk_verified.remove(&client);
        self.drop_login(client);
    }

    /// Drops `client`'s login; when it was the last, the card's PIN state is reset (the
    /// channel closed: the next operation opens a new one, which the card starts unverified).
    fn drop_login(&mut self, client: ClientId) {
        if self.logged_in.remove(&client) && self.logged_in.is_empty() {
            self.log_everyone_out();
        }
    }

    fn log_everyone_out(&mut self) {
        self.logged_in.clear();
        self.held = None;
        if let Some(s) = self.session.as_mut() {
            s.logout();
        }
    }

    fn dispatch(&mut self, client: ClientId, request: Request) -> Result<Reply> {
        match request {
            Request::CardInfo { .. } => {
                let logged_in = self.logged_in.contains(&client);
                let reader = self.reader.clone();
                let s = self.session(client)?;
                Ok(Reply::Info(CardInfo {
                    reader,
                    nis: s.nis().to_owned(),
                    atr: s.atr().to_vec(),
                    generation: s.generation().to_string(),
                    manufacturer: s.generation().manufacturer().to_owned(),
                    logged_in,
                }))
            }
            Request::ReadCertificate { .. } => self.as_user(client, |s| s.certificate()).map(Reply::Certificate),
            Request::ReadSerial { .. } => self.as_user(client, |s| s.serial()).map(Reply::Serial),
            Request::Login { pin, .. } => {
                let pin = Pin::new(&pin.0[..])?;
                let s = self.session(client)?;
                match s.verify_pin(&pin) {
                    Ok(()) => {
                        s.forget_held_pin();
                        self.held = LockedPin::new(&pin);
                        self.logged_in.insert(client);
                        Ok(Reply::Done)
                    }
                    Err(e) => {
                        // The card's verified state went with the wrong PIN; the others get it
                        // back from the held PIN at their next operation.
                        self.drop_login(client);
                        Err(e)
                    }
                }
            }
            Request::Logout { .. } => {
                self.drop_login(client);
                Ok(Reply::Done)
            }
            Request::SignDigest { alg, digest, .. } => {
                self.as_user(client, |s| s.sign_digest(alg, &digest)).map(Reply::Signature)
            }
            Request::SignDigestInfo { digest_info, .. } => {
                self.as_user(client, |s| s.sign_digest_info(&digest_info)).map(Reply::Signature)
            }
            Request::PinStatus { .. } => {
                let logged_in = self.logged_in.contains(&client);
                let s = self.session(client)?;
                let status = s.pin_status()?;
                Ok(Reply::PinStatus(match status {
                    // Verified for someone else: this client sees the counter (full after a
                    // successful VERIFY).
                    PinStatus::Verified if !logged_in => PinStatus::TriesLeft(s.pin_tries_left().unwrap_or(3)),
                    other => other,
                }))
            }
            Request::ChangePin { old, new, .. } => {
                let old = Pin::new(&old.0[..])?;
                let new = Pin::new(&new.0[..])?;
                let s = self.session(client)?;
                match s.change_pin(&old, &new) {
                    Ok(()) => {
                        s.forget_held_pin();
                        if self.held.is_some() {
                            self.held = LockedPin::new(&new);
                        }
                        Ok(Reply::Done)
                    }
                    Err(e) => {
                        if matches!(e, Error::WrongCredential { .. } | Error::Blocked(_)) {
                            self.drop_login(client);
                        }
                        Err(e)
                    }
                }
            }
            Request::UnblockPin { puk, new, .. } => {
                let puk = Puk::new(&puk.0[..])?;
                let new = Pin::new(&new.0[..])?;
                let s = self.session(client)?;
                s.unblock_pin(&puk, &new)?;
                // The card's PIN changed: every login and the held PIN go.
                self.log_everyone_out();
                Ok(Reply::Done)
            }
            Request::CardBinding { .. } => {
                // Cached by the session: one MSE SET + INTERNAL AUTHENTICATE per card session.
                self.session(client)?.card_binding_signature().map(Reply::Signature)
            }
            Request::VerifyPuk { puk, .. } => {
                let puk = Puk::new(&puk.0[..])?;
                self.session(client)?.verify_puk(&puk)?;
                self.puk_verified.insert(client);
                Ok(Reply::Done)
            }
            Request::VerifySod { .. } => {
                // No trust anchor here: the client checks the chain against its own CSCAs.
                let none = CscaSet::new();
                let report = if self.logged_in.contains(&client) {
                    self.as_user(client, |s| s.verify_sod_with(&none, true))?
                } else {
                    self.session(client)?.verify_sod_with(&none, false)?
                };
                Ok(Reply::Sod(report))
            }
            Request::PukStatus { .. } => {
                // Verified for another client: this one sees the card's counter.
                let verifier = self.puk_verified.contains(&client);
                let s = self.session(client)?;
                let status = if verifier { s.puk_status()? } else { s.puk_counter()? };
                Ok(Reply::PinStatus(status))
            }
            Request::ListCards | Request::Status | Request::Stop => {
                Err(Error::InvalidArgument("not a card request".into()))
            }
        }
    }

    /// Runs `op` for a logged-in client. When the card lost its verified state (a reset,
    /// another application's channel, another client's wrong PIN), the held PIN is verified
    /// once more (DESIGN.md §3) and `op` runs again; with no held PIN, every client must log
    /// in again.
    fn as_user<R>(&mut self, client: ClientId, op: impl Fn(&mut Session<PcscTransport>) -> Result<R>) -> Result<R> {
        if !self.logged_in.contains(&client) {
            return Err(Error::LoginRequired);
        }
        let first = op(self.session(client)?);
        match first {
            Err(Error::LoginRequired) => {}
            other => return other,
        }
        let Some(held) = self.held.as_ref() else {
            self.logged_in.clear();
            return Err(Error::LoginRequired);
        };
        let s = self.session.as_mut().ok_or(Error::NoSecureChannel)?;
        match s.verify_pin(held.pin()) {
            Ok(()) => {
                s.forget_held_pin();
                op(s)
            }
            Err(e) => {
                self.log_everyone_out();
                Err(e)
            }
        }
    }
}
