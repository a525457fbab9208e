//! The client side: [`AgentClient`] connects to the user's agent when one answers and sends
//! one request per method. Card errors come back as cie-core's own [`cie_core::Error`], so a
//! front end reports them exactly as it reports the in-process path's.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use cie_core::csca::CscaSet;
use cie_core::session::PinStatus;
use cie_core::sign::HashAlg;
use cie_core::sod::{chain_of, SodReport};

use crate::codec::DecodeError;
use crate::frame::{read_frame, write_frame, FrameError};
use crate::message::{AgentStatus, CardEntry, CardInfo, Reply, Request, SecretBytes};
use crate::socket::{self, SocketError};

/// How long a reply may take: a queue of several signatures on a slow card.
const REPLY_DEADLINE: Duration = Duration::from_secs(120);
/// How long sending a request may take.
const SEND_DEADLINE: Duration = Duration::from_secs(10);

/// Why a call through the agent did not give the card's answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The card or cie-core failed, exactly as it would have in-process.
    #[error(transparent)]
    Card(#[from] cie_core::Error),
    /// The agent refused to run the request.
    #[error("the agent refused: {0}")]
    Refused(String),
    /// The connection failed or closed (the agent stopped or was killed).
    #[error("agent connection: {0}")]
    Io(#[from] io::Error),
    /// The agent's reply is not a reply to this request.
    #[error("agent protocol: {0}")]
    Protocol(String),
    /// The socket or its directory is not what the security model wants.
    #[error(transparent)]
    Socket(#[from] SocketError),
}

impl ClientError {
    /// True when the agent, not the card, failed: the caller may use the in-process path.
    pub fn is_agent_failure(&self) -> bool {
        !matches!(self, ClientError::Card(_))
    }
}

impl From<FrameError> for ClientError {
    fn from(e: FrameError) -> ClientError {
        match e {
            FrameError::Io(e) => ClientError::Io(e),
            FrameError::Closed => ClientError::Io(io::ErrorKind::UnexpectedEof.into()),
            other => ClientError::Protocol(other.to_string()),
        }
    }
}

impl From<DecodeError> for ClientError {
    fn from(e: DecodeError) -> ClientError {
        ClientError::Protocol(e.to_string())
    }
}

/// A connection to the user's agent.
#[derive(Debug)]
pub struct AgentClient {
    stream: UnixStream,
}

fn unexpected(reply: Reply) -> ClientError {
    match reply {
        Reply::Failed(e) => ClientError::Card(e),
        Reply::Refused(why) => ClientError::Refused(why),
        other => ClientError::Protocol(format!("unexpected reply {other:?}")),
    }
}

impl AgentClient {
    /// Connects to `$XDG_RUNTIME_DIR/cie/agent.sock`; `None`, at once, when no agent answers
    /// there (no socket, nobody listening, or a socket or directory the model refuses).
    pub fn connect() -> Option<AgentClient> {
        let path = socket::socket_path().ok()?;
        match AgentClient::connect_to(&path) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::debug!(target: "cie::agent", "no agent: {e}");
                None
            }
        }
    }

    /// Connects to the agent at `path` after checking the directory, the socket and the
    /// listener's uid (all this user's).
    pub fn connect_to(path: &Path) -> Result<AgentClient, ClientError> {
        if let Some(dir) = path.parent() {
            socket::check_dir(dir)?;
        }
        socket::check_socket(path)?;
        let stream = UnixStream::connect(path)?;
        let cred = socket::peer_cred(&stream)?;
        if !socket::same_user(&cred) {
            return Err(ClientError::Protocol(format!("the agent runs as uid {}", cred.uid)));
        }
        stream.set_read_timeout(Some(REPLY_DEADLINE))?;
        stream.set_write_timeout(Some(SEND_DEADLINE))?;
        Ok(AgentClient { stream })
    }

    /// True when the agent closed this connection (it stopped, or was killed): asked of the
    /// socket without blocking and without reading, between two requests.
    pub fn is_closed(&self) -> bool {
        use std::os::fd::AsRawFd;
        let fd = self.stream.as_raw_fd();
        let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for a descriptor this client owns; no wait (timeout 0).
        let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
        if ready <= 0 {
            return false;
        }
        if pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            return true;
        }
        // Readable between requests: end of stream (0 bytes) means the agent closed it.
        let mut byte = 0u8;
        // SAFETY: a one-byte buffer of ours; MSG_PEEK leaves any byte in the socket.
        let n = unsafe { libc::recv(fd, (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        n == 0
    }

    /// Blocks, with no timer, until the agent closes this connection (true: it stopped or was
    /// killed) or `stop` turns readable or hung up (false). For a connection that sends no
    /// request meanwhile, kept to learn of the agent's end (the PKCS#11 module's slot-event
    /// waiter). A reply nobody asked for ends the watch too (false): it cannot be relied on.
    pub fn wait_closed_or(&self, stop: &impl std::os::fd::AsRawFd) -> bool {
        use std::os::fd::AsRawFd;
        let mut fds = [
            libc::pollfd { fd: self.stream.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: stop.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        loop {
            // SAFETY: two valid pollfds for descriptors borrowed for the whole call; no timeout.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if ready < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return false;
            }
            if fds[1].revents != 0 {
                return false;
            }
            if fds[0].revents != 0 {
                return self.is_closed();
            }
        }
    }

    /// Sends `request` and reads its reply.
    pub fn call(&mut self, request: &Request) -> Result<Reply, ClientError> {
        write_frame(&mut self.stream, &request.encode())?;
        let body = read_frame(&mut self.stream)?;
        Ok(Reply::decode(&body)?)
    }

    /// The readers holding a CIE.
    pub fn list_cards(&mut self) -> Result<Vec<CardEntry>, ClientError> {
        match self.call(&Request::ListCards)? {
            Reply::Cards(c) => Ok(c),
            other => Err(unexpected(other)),
        }
    }

    /// A card's public data.
    pub fn card_info(&mut self, reader: Option<&str>) -> Result<CardInfo, ClientError> {
        match self.call(&Request::CardInfo { reader: reader.map(str::to_owned) })? {
            Reply::Info(i) => Ok(i),
            other => Err(unexpected(other)),
        }
    }

    /// The card number; this client must be logged in.
    pub fn serial(&mut self, reader: Option<&str>) -> Result<String, ClientError> {
        match self.call(&Request::ReadSerial { reader: reader.map(str::to_owned) })? {
            Reply::Serial(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// The holder's certificate (DER); this client must be logged in.
    pub fn certificate(&mut self, reader: Option<&str>) -> Result<Vec<u8>, ClientError> {
        match self.call(&Request::ReadCertificate { reader: reader.map(str::to_owned) })? {
            Reply::Certificate(c) => Ok(c),
            other => Err(unexpected(other)),
        }
    }

    /// Logs this client in with `pin` (checked by the card: one VERIFY).
    pub fn login(&mut self, reader: Option<&str>, pin: &[u8]) -> Result<(), ClientError> {
        let request = Request::Login { reader: reader.map(str::to_owned), pin: SecretBytes::new(pin) };
        self.expect_done(&request)
    }

    /// Drops this client's login.
    pub fn logout(&mut self, reader: Option<&str>) -> Result<(), ClientError> {
        self.expect_done(&Request::Logout { reader: reader.map(str::to_owned) })
    }

    /// Signs `digest`, a hash with `alg`.
    pub fn sign_digest(&mut self, reader: Option<&str>, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>, ClientError> {
        let request = Request::SignDigest { reader: reader.map(str::to_owned), alg, digest: digest.to_vec() };
        self.expect_signature(&request)
    }

    /// Signs a DER DigestInfo.
    pub fn sign_digest_info(&mut self, reader: Option<&str>, digest_info: &[u8]) -> Result<Vec<u8>, ClientError> {
        let request = Request::SignDigestInfo { reader: reader.map(str::to_owned), digest_info: digest_info.to_vec() };
        self.expect_signature(&request)
    }

    /// The PIN's tries left as this client sees them.
    pub fn pin_status(&mut self, reader: Option<&str>) -> Result<PinStatus, ClientError> {
        match self.call(&Request::PinStatus { reader: reader.map(str::to_owned) })? {
            Reply::PinStatus(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Changes the PIN.
    pub fn change_pin(&mut self, reader: Option<&str>, old: &[u8], new: &[u8]) -> Result<(), ClientError> {
        let request = Request::ChangePin {
            reader: reader.map(str::to_owned),
            old: SecretBytes::new(old),
            new: SecretBytes::new(new),
        };
        self.expect_done(&request)
    }

    /// Unblocks the PIN with the PUK and sets `new`.
    pub fn unblock_pin(&mut self, reader: Option<&str>, puk: &[u8], new: &[u8]) -> Result<(), ClientError> {
        let request = Request::UnblockPin {
            reader: reader.map(str::to_owned),
            puk: SecretBytes::new(puk),
            new: SecretBytes::new(new),
        };
        self.expect_done(&request)
    }

    /// The card's key-83 signature over its NIS (the certificate cache's key, DESIGN.md §5).
    pub fn card_binding(&mut self, reader: Option<&str>) -> Result<Vec<u8>, ClientError> {
        self.expect_signature(&Request::CardBinding { reader: reader.map(str::to_owned) })
    }

    /// VERIFY of the PUK (a PKCS#11 security officer's login).
    pub fn verify_puk(&mut self, reader: Option<&str>, puk: &[u8]) -> Result<(), ClientError> {
        self.expect_done(&Request::VerifyPuk { reader: reader.map(str::to_owned), puk: SecretBytes::new(puk) })
    }

    /// Passive authentication of the card (PROTOCOL.md §8.2-§8.3.3) run by the agent, whose
    /// Document Signer is then checked here against `trust` (`cie_core::sod::chain_of`): the
    /// same report as `Session::verify_sod` in-process. The card number and certificate are
    /// among the checked files only when this client is logged in.
    pub fn verify_sod(&mut self, reader: Option<&str>, trust: &CscaSet) -> Result<SodReport, ClientError> {
        match self.call(&Request::VerifySod { reader: reader.map(str::to_owned) })? {
            Reply::Sod(mut report) => {
                report.chain = chain_of(&report, trust)?;
                Ok(report)
            }
            other => Err(unexpected(other)),
        }
    }

    /// The PUK's tries left (no PUK sent).
    pub fn puk_status(&mut self, reader: Option<&str>) -> Result<PinStatus, ClientError> {
        match self.call(&Request::PukStatus { reader: reader.map(str::to_owned) })? {
            Reply::PinStatus(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// The agent's cards, clients and idle timer.
    pub fn status(&mut self) -> Result<AgentStatus, ClientError> {
        match self.call(&Request::Status)? {
            Reply::Status(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Asks the agent to exit (it answers first).
    pub fn stop(&mut self) -> Result<(), ClientError> {
        self.expect_done(&Request::Stop)
    }

    fn expect_done(&mut self, request: &Request) -> Result<(), ClientError> {
        match self.call(request)? {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn expect_signature(&mut self, request: &Request) -> Result<Vec<u8>, ClientError> {
        match self.call(request)? {
            Reply::Signature(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_closed_connection_is_seen_without_reading() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let client = AgentClient { stream: ours };
        assert!(!client.is_closed(), "the agent is there");
        // A byte waiting is not an end: it stays for the next read.
        theirs.write_all(b"x").unwrap();
        assert!(!client.is_closed());
        drop(theirs);
        assert!(client.is_closed(), "the agent went away");
    }
}
