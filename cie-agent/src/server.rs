//! The agent: the listening socket, one thread per connection (its peer's uid checked before a
//! byte is read), the card workers, the idle timer and `stop`.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cie_core::pcsc_backend::PcscTransport;
use cie_core::{Error, TransportError};

use crate::card_worker::{CardWorker, ClientId, Job};
use crate::frame::{read_frame, write_frame, FrameError};
use crate::message::{AgentStatus, CardEntry, Reply, Request};
use crate::socket::{self, SocketError};

/// How long a connection may wait between two reads inside a frame.
const READ_TICK: Duration = Duration::from_secs(2);
/// How long a reply may take to be taken by its client before the client is disconnected.
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Set by [`stop_on_signals`]'s handler.
static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, Ordering::SeqCst);
}

/// Makes SIGTERM (systemd stopping the unit, the user's session ending), SIGINT (Ctrl-C) and
/// SIGHUP end [`Agent::run`] as `stop` does: clients disconnected, logins and PINs dropped,
/// the socket removed. For the agent's own process only (the handler is process-wide).
pub fn stop_on_signals() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Makes this process non-dumpable (`PR_SET_DUMPABLE` 0): no core file, and other processes
/// of the same uid cannot read its memory through ptrace or /proc (where the PIN is held).
pub fn forbid_dumps() -> io::Result<()> {
    // SAFETY: prctl with these arguments changes one flag of this process.
    let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// How often the accept loop looks at the stop flag and the idle timer.
const POLL_TICK: Duration = Duration::from_millis(100);
/// How often the accept loop checks that its socket is still at its path.
const PATH_TICK: Duration = Duration::from_secs(1);

/// The agent's settings.
#[derive(Clone, Debug, Default)]
pub struct AgentConfig {
    /// Exit after this long with no client connected and no request (`None`: never).
    pub idle: Option<Duration>,
}

/// A bound, not yet running agent.
pub struct Agent {
    listener: UnixListener,
    path: PathBuf,
    /// The agent bound the socket itself (not socket activation): it removes it on exit.
    owns_path: bool,
    /// Device and inode of the socket file at `path` when the agent started.
    identity: Option<(u64, u64)>,
    shared: Arc<Shared>,
}

/// Device and inode of the file at `path` (not following a symbolic link).
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Why the accept loop ended.
enum Ended {
    /// `stop`, a signal or the idle time: the agent's socket is still its own.
    Normally,
    /// The socket file was removed or replaced (the user's runtime directory removed at
    /// logout, or another agent bound the path): it is not the agent's to remove.
    SocketGone,
}

struct Shared {
    stop: AtomicBool,
    next_client: AtomicU64,
    clients: Mutex<BTreeMap<ClientId, UnixStream>>,
    workers: Mutex<BTreeMap<String, Arc<CardWorker>>>,
    last_busy: Mutex<Instant>,
    idle: Option<Duration>,
}

/// One poison-recovering lock: what the agent's locks guard stays consistent across a panic
/// (maps of handles), as in cie-pkcs11 and cie-ffi (DESIGN.md §2).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| {
        m.clear_poison();
        poisoned.into_inner()
    })
}

impl Agent {
    /// Takes the socket systemd passed (`LISTEN_FDS`), else binds
    /// `$XDG_RUNTIME_DIR/cie/agent.sock`; either way checked as DESIGN.md §8 says.
    pub fn bind(config: AgentConfig) -> Result<Agent, SocketError> {
        let (listener, path, owns_path) = match socket::from_systemd()? {
            Some((listener, path)) => (listener, path, false),
            None => {
                let path = socket::socket_path()?;
                (socket::bind(&path)?, path, true)
            }
        };
        Agent::with_listener(listener, path, owns_path, config)
    }

    /// Binds the socket at `path` instead of `$XDG_RUNTIME_DIR/cie/agent.sock`, with the same
    /// checks (tests, and users who choose another place).
    pub fn bind_at(path: &Path, config: AgentConfig) -> Result<Agent, SocketError> {
        Agent::with_listener(socket::bind(path)?, path.to_owned(), true, config)
    }

    fn with_listener(
        listener: UnixListener,
        path: PathBuf,
        owns_path: bool,
        config: AgentConfig,
    ) -> Result<Agent, SocketError> {
        listener.set_nonblocking(true)?;
        let identity = file_identity(&path);
        Ok(Agent {
            listener,
            path,
            owns_path,
            identity,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                next_client: AtomicU64::new(1),
                clients: Mutex::new(BTreeMap::new()),
                workers: Mutex::new(BTreeMap::new()),
                last_busy: Mutex::new(Instant::now()),
                idle: config.idle,
            }),
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves until `stop`, a signal, the idle time, its socket file removed or replaced
    /// (logind removes the user's runtime directory when the user's last session ends), or an
    /// accept failure; then logs every client out, forgets the PINs, closes the cards and
    /// removes the socket it created, if it is still there.
    pub fn run(self) -> io::Result<()> {
        tracing::info!(target: "cie::agent", "listening on {}", self.path.display());
        let (result, socket_gone) = match self.accept_loop() {
            Ok(Ended::Normally) => (Ok(()), false),
            Ok(Ended::SocketGone) => (Ok(()), true),
            Err(e) => (Err(e), false),
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        for (_, stream) in std::mem::take(&mut *lock(&self.shared.clients)) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        // Dropping the last handle of each worker joins its thread (logout, PIN zeroized).
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        drop(workers);
        if self.owns_path && !socket_gone && file_identity(&self.path) == self.identity {
            let _ = std::fs::remove_file(&self.path);
        }
        tracing::info!(target: "cie::agent", "stopped");
        result
    }

    fn accept_loop(&self) -> io::Result<Ended> {
        let mut path_checked = Instant::now();
        loop {
            if self.shared.stop.load(Ordering::SeqCst) {
                return Ok(Ended::Normally);
            }
            if SIGNALLED.load(Ordering::SeqCst) {
                tracing::info!(target: "cie::agent", "signal received");
                return Ok(Ended::Normally);
            }
            if self.shared.idle_expired() {
                tracing::info!(target: "cie::agent", "idle time reached");
                return Ok(Ended::Normally);
            }
            if path_checked.elapsed() >= PATH_TICK {
                path_checked = Instant::now();
                if self.identity.is_some() && file_identity(&self.path) != self.identity {
                    tracing::info!(target: "cie::agent", "{} removed or replaced: exiting", self.path.display());
                    return Ok(Ended::SocketGone);
                }
            }
            let mut pfd = libc::pollfd { fd: self.listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd for the duration of the call.
            let rc = unsafe { libc::poll(&mut pfd, 1, POLL_TICK.as_millis() as libc::c_int) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if rc == 0 {
                continue;
            }
            match self.listener.accept() {
                Ok((stream, _)) => self.admit(stream),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                Err(e) => {
                    tracing::warn!(target: "cie::agent", "accept: {e}");
                    std::thread::sleep(POLL_TICK);
                }
            }
        }
    }

    /// Checks the peer's uid before reading anything, then serves it on its own thread.
    fn admit(&self, stream: UnixStream) {
        let cred = match socket::peer_cred(&stream) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "cie::agent", "connection refused: SO_PEERCRED failed: {e}");
                return;
            }
        };
        if !socket::same_user(&cred) {
            tracing::warn!(target: "cie::agent", "connection from another user refused: pid {} uid {}", cred.pid, cred.uid);
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        let id = self.shared.next_client.fetch_add(1, Ordering::SeqCst);
        let setup = stream
            .set_nonblocking(false)
            .and_then(|()| stream.set_read_timeout(Some(READ_TICK)))
            .and_then(|()| stream.set_write_timeout(Some(WRITE_DEADLINE)))
            .and_then(|()| stream.try_clone());
        let registered = match setup {
            Ok(clone) => clone,
            Err(e) => {
                tracing::warn!(target: "cie::agent", "client {id}: {e}");
                return;
            }
        };
        lock(&self.shared.clients).insert(id, registered);
        self.shared.touch();
        tracing::debug!(target: "cie::agent", "client {id} connected (pid {})", cred.pid);
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name(format!("cie-agent client {id}"))
            .spawn(move || shared.serve_client(id, stream));
        if let Err(e) = spawned {
            tracing::warn!(target: "cie::agent", "client {id}: no thread: {e}");
            self.shared.client_gone(id);
        }
    }
}

impl Shared {
    fn touch(&self) {
        *lock(&self.last_busy) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        lock(&self.last_busy).elapsed()
    }

    fn idle_expired(&self) -> bool {
        match self.idle {
            Some(limit) => lock(&self.clients).is_empty() && self.idle_for() >= limit,
            None => false,
        }
    }

    fn serve_client(&self, id: ClientId, mut stream: UnixStream) {
        loop {
            let body = match read_frame(&mut stream) {
                Ok(b) => b,
                Err(FrameError::Idle) if !self.stop.load(Ordering::SeqCst) => continue,
                Err(FrameError::Idle | FrameError::Closed) => break,
                Err(e) => {
                    tracing::warn!(target: "cie::agent", "client {id}: {e}; connection closed");
                    break;
                }
            };
            let request = match Request::decode(&body) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(target: "cie::agent", "client {id}: malformed request ({e}); connection closed");
                    break;
                }
            };
            drop(body);
            tracing::debug!(target: "cie::agent", "client {id}: {request:?}");
            self.touch();
            let stop = request == Request::Stop;
            let reply = self.handle(id, request);
            self.touch();
            if let Err(e) = write_frame(&mut stream, &reply.encode()) {
                tracing::warn!(target: "cie::agent", "client {id}: reply not taken ({e}); connection closed");
                break;
            }
            if stop {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
        self.client_gone(id);
    }

    fn client_gone(&self, id: ClientId) {
        lock(&self.clients).remove(&id);
        let workers: Vec<Arc<CardWorker>> = lock(&self.workers).values().cloned().collect();
        for w in workers {
            w.send(Job::ClientGone(id));
        }
        self.touch();
        tracing::debug!(target: "cie::agent", "client {id} gone");
    }

    fn handle(&self, id: ClientId, request: Request) -> Reply {
        match request {
            Request::Status => Reply::Status(self.status()),
            Request::Stop => Reply::Done,
            Request::ListCards => match self.list_cards(id) {
                Ok(cards) => Reply::Cards(cards),
                Err(e) => Reply::Failed(e),
            },
            request => {
                let worker = match request.reader() {
                    Some(reader) => self.named_worker(reader),
                    None => self.first_cie(id),
                };
                let worker = match worker {
                    Ok(w) => w,
                    Err(e) => return Reply::Failed(e),
                };
                let (tx, rx) = mpsc::channel();
                if !worker.send(Job::Run { client: id, request, reply: tx }) {
                    return Reply::Refused("the card's worker stopped".into());
                }
                rx.recv().unwrap_or_else(|_| Reply::Refused("the card's worker stopped".into()))
            }
        }
    }

    fn status(&self) -> AgentStatus {
        let workers: Vec<Arc<CardWorker>> = lock(&self.workers).values().cloned().collect();
        let mut cards = Vec::new();
        for w in workers {
            let (tx, rx) = mpsc::channel();
            if w.send(Job::Status(tx)) {
                if let Ok(c) = rx.recv() {
                    cards.push(c);
                }
            }
        }
        AgentStatus {
            pid: std::process::id(),
            cards,
            clients: lock(&self.clients).len() as u32,
            idle_timeout_secs: self.idle.map_or(0, |d| d.as_secs()),
            idle_secs: self.idle_for().as_secs(),
        }
    }

    /// The worker of `reader`, started on first use; only readers PC/SC lists get one.
    fn worker(&self, reader: &str) -> Result<Arc<CardWorker>, Error> {
        let mut workers = lock(&self.workers);
        if let Some(w) = workers.get(reader) {
            return Ok(Arc::clone(w));
        }
        let w = Arc::new(
            CardWorker::start(reader.to_owned())
                .map_err(|e| Error::Transport(TransportError::Other(format!("no worker thread: {e}"))))?,
        );
        workers.insert(reader.to_owned(), Arc::clone(&w));
        Ok(w)
    }

    fn named_worker(&self, reader: &str) -> Result<Arc<CardWorker>, Error> {
        if !PcscTransport::list_readers()?.iter().any(|r| r == reader) {
            return Err(Error::Transport(TransportError::ReaderUnavailable(reader.to_owned())));
        }
        self.worker(reader)
    }

    fn probe(&self, id: ClientId, worker: &CardWorker) -> Result<String, Error> {
        let (tx, rx) = mpsc::channel();
        if !worker.send(Job::Probe { client: id, reply: tx }) {
            return Err(Error::Transport(TransportError::Other("the card's worker stopped".into())));
        }
        rx.recv().unwrap_or_else(|_| Err(Error::Transport(TransportError::Other("the card's worker stopped".into()))))
    }

    /// The first reader holding a CIE, with the failure `cie_core::open_first_cie` would give
    /// when there is none.
    fn first_cie(&self, id: ClientId) -> Result<Arc<CardWorker>, Error> {
        let mut failure: Option<Error> = None;
        for reader in PcscTransport::list_readers()? {
            let worker = self.worker(&reader)?;
            match self.probe(id, &worker) {
                Ok(_) => return Ok(worker),
                Err(e) => {
                    let no_card = matches!(e, Error::Transport(TransportError::NoCard | TransportError::CardRemoved));
                    if failure.is_none() || !no_card {
                        failure = Some(e);
                    }
                }
            }
        }
        Err(match failure {
            Some(Error::Transport(TransportError::CardRemoved)) | None => TransportError::NoCard.into(),
            Some(e) => e,
        })
    }

    fn list_cards(&self, id: ClientId) -> Result<Vec<CardEntry>, Error> {
        let mut cards = Vec::new();
        for reader in PcscTransport::list_readers()? {
            let worker = self.worker(&reader)?;
            if let Ok(nis) = self.probe(id, &worker) {
                cards.push(CardEntry { reader, nis });
            }
        }
        Ok(cards)
    }
}
