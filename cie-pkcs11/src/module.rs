//! The instantiable [`Module`] holding all state (DESIGN.md §2, §6). The C entry points own one
//! static instance ([`crate::ffi`]); tests and benches build their own with
//! [`Module::with_backend`].
//!
//! Locking (DESIGN.md §6: no global lock across card I/O): the slot table, the session table
//! and each slot's token state are behind short-lived locks that are never held across card
//! I/O; each slot has its own I/O lock held while its card works. Order: a session's
//! operation lock, then a slot's I/O lock, then a slot's state lock; the two tables are never
//! held while taking another lock except the state lock's non-blocking `try_lock` on I/O.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cie_core::pin::Puk;
use cie_core::session::Session;
use cie_core::transport::Counting;
use cie_core::{Credential, Error, Transport};
use cryptoki_sys::*;

use crate::backend::{Backend, EventWaiter, PcscBackend, ReaderStatus};
use crate::cache::CertCache;
use crate::error::{is_removal, Ckr, Result};
use crate::object::ObjectSet;
use crate::session::SessionObj;

/// Locks a mutex, recovering from poisoning (the policy of DESIGN.md §2, shared with cie-ffi):
/// every entry point catches panics, so a panic in one call must not wedge the module.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| {
        m.clear_poison();
        poisoned.into_inner()
    })
}

/// Settings read at `C_Initialize`.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Directory of the certificate cache (DESIGN.md §5); `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
}

impl Config {
    /// From the environment: `CIE_PKCS11_CACHE=off` disables the cache, otherwise it lives in
    /// `$XDG_CACHE_HOME/cie` or `~/.cache/cie`.
    pub fn from_env() -> Config {
        Config { cache_dir: crate::cache::dir_from_env() }
    }

    /// No certificate cache.
    pub fn without_cache() -> Config {
        Config { cache_dir: None }
    }

    /// The certificate cache in `dir`.
    pub fn with_cache_dir(dir: impl Into<PathBuf>) -> Config {
        Config { cache_dir: Some(dir.into()) }
    }
}

/// Counters that never go back, so handles are never reused (DESIGN.md §6), not even across
/// `C_Finalize` and a new `C_Initialize`: process-wide, so the static module holds no heap
/// memory outside an initialisation (an unloaded module leaves nothing behind).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ids;

static NEXT_EPOCH: AtomicU64 = AtomicU64::new(1);
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

impl Ids {
    pub(crate) fn next_epoch(&self) -> u64 {
        NEXT_EPOCH.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn next_session(&self) -> CK_SESSION_HANDLE {
        NEXT_SESSION.fetch_add(1, Ordering::Relaxed) as CK_SESSION_HANDLE
    }
}

/// A PKCS#11 module: the library state between `C_Initialize` and `C_Finalize`.
pub struct Module {
    /// A fixed backend (tests, benches); `None`: the production module, which opens a new
    /// [`PcscBackend`] at each `C_Initialize` and drops it at `C_Finalize`.
    backend: Option<Arc<dyn Backend>>,
    config: Option<Config>,
    instance: Mutex<Option<Arc<Instance>>>,
}

/// The state of one initialisation.
pub(crate) struct Instance {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) cache: Option<CertCache>,
    pub(crate) ids: Ids,
    pub(crate) slots: Mutex<Vec<Arc<Slot>>>,
    /// The last list returned by a size query of `C_GetSlotList`, per `tokenPresent`, so the
    /// second call of the usual two-call pattern returns the same list.
    pub(crate) listed: Mutex<[Option<Vec<CK_SLOT_ID>>; 2]>,
    pub(crate) sessions: Mutex<HashMap<CK_SESSION_HANDLE, Arc<SessionObj>>>,
    pub(crate) waiters: Mutex<Vec<Arc<dyn EventWaiter>>>,
    pub(crate) finalized: AtomicBool,
    /// The process that initialised: in a child after `fork()` this instance belongs to the
    /// parent and is forgotten, never used nor released (PKCS#11 2.40 "Applications and
    /// processes": a child process must call `C_Initialize` itself).
    pid: u32,
    /// Reader states already reported by `C_WaitForSlotEvent` (or seen at initialisation).
    pub(crate) reported: Mutex<HashMap<String, ReaderStatus>>,
}

/// One slot: one PC/SC reader.
pub(crate) struct Slot {
    pub(crate) id: CK_SLOT_ID,
    pub(crate) reader: String,
    /// The reader is currently known to the backend.
    pub(crate) attached: AtomicBool,
    /// The card connection; held during card I/O.
    pub(crate) io: Mutex<Option<Conn>>,
    /// What is known about the token; never held during card I/O.
    pub(crate) state: Mutex<TokenState>,
}

/// A connection to the card of one insertion (`epoch`).
pub(crate) struct Conn {
    pub(crate) epoch: u64,
    pub(crate) card: Session<Counting<Box<dyn Transport>>>,
    /// The PUK given at an SO login (zeroized on drop), used by `C_InitPIN`.
    pub(crate) puk: Option<Puk>,
}

/// Who is logged in to a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Login {
    #[default]
    Nobody,
    User,
    So,
}

/// Static data of one token (one insertion of a CIE).
#[derive(Debug)]
pub(crate) struct TokenData {
    pub(crate) nis: String,
    pub(crate) manufacturer: &'static str,
}

/// The token state of a slot.
#[derive(Default)]
pub(crate) struct TokenState {
    /// The reader status seen last.
    pub(crate) status: Option<ReaderStatus>,
    /// A removal was noticed through a failed card operation while the reader still showed
    /// this event count: the reader's "present" is stale until the count moves.
    pub(crate) gone_events: Option<u32>,
    /// The current insertion (0: no token). Sessions of an older epoch are dead.
    pub(crate) epoch: u64,
    pub(crate) info: Option<Arc<TokenData>>,
    /// The card in the reader is not a CIE.
    pub(crate) unrecognized: bool,
    pub(crate) login: Login,
    pub(crate) objects: Option<Arc<ObjectSet>>,
    pub(crate) pin_tries: Option<u8>,
    pub(crate) puk_tries: Option<u8>,
}

impl TokenState {
    fn new_token(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.info = None;
        self.unrecognized = false;
        self.login = Login::Nobody;
        self.objects = None;
        self.pin_tries = None;
        self.puk_tries = None;
    }
}

impl Module {
    /// The production module: cards from the system's PC/SC service, settings from the
    /// environment at each `C_Initialize`. Holds no heap memory until then.
    pub const fn new() -> Module {
        Module { backend: None, config: None, instance: Mutex::new(None) }
    }

    /// A module over `backend` with fixed settings (tests, benches).
    pub fn with_backend(backend: impl Backend + 'static, config: Config) -> Module {
        Module { backend: Some(Arc::new(backend)), config: Some(config), instance: Mutex::new(None) }
    }

    /// The initialisation of this process. In a child after `fork()` the parent's instance, its
    /// sessions, card handles and PC/SC context are forgotten without being released (they
    /// are the parent's connections to the PC/SC service, still in use there): the child is
    /// not initialised until it calls `C_Initialize`, which opens its own.
    fn current(&self) -> MutexGuard<'_, Option<Arc<Instance>>> {
        let mut guard = lock(&self.instance);
        if guard.as_ref().is_some_and(|i| i.pid != std::process::id()) {
            if let Some(inherited) = guard.take() {
                std::mem::forget(inherited);
            }
            if let Some(backend) = &self.backend {
                backend.forget_inherited();
            }
        }
        guard
    }

    /// The current initialisation, or `CKR_CRYPTOKI_NOT_INITIALIZED`.
    pub(crate) fn instance(&self) -> Result<Arc<Instance>> {
        self.current().clone().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))
    }

    /// True between `C_Initialize` and `C_Finalize` (in this process).
    pub fn is_initialized(&self) -> bool {
        self.current().is_some()
    }

    /// Starts an initialisation (the checks on the arguments are in [`crate::general`]).
    pub(crate) fn start(&self) -> Result<()> {
        let mut guard = self.current();
        if guard.is_some() {
            return Err(Ckr(CKR_CRYPTOKI_ALREADY_INITIALIZED));
        }
        let config = self.config.clone().unwrap_or_else(Config::from_env);
        let instance = Arc::new(Instance {
            backend: self.backend.clone().unwrap_or_else(|| Arc::new(PcscBackend::new())),
            cache: config.cache_dir.map(CertCache::new),
            ids: Ids,
            slots: Mutex::new(Vec::new()),
            listed: Mutex::new([None, None]),
            sessions: Mutex::new(HashMap::new()),
            waiters: Mutex::new(Vec::new()),
            finalized: AtomicBool::new(false),
            reported: Mutex::new(HashMap::new()),
            pid: std::process::id(),
        });
        // Baseline for C_WaitForSlotEvent: what is in the readers now is not an event.
        for slot in instance.refresh_readers() {
            if let Ok(status) = instance.backend.status(&slot.reader) {
                lock(&instance.reported).insert(slot.reader.clone(), status);
            }
        }
        *guard = Some(instance);
        Ok(())
    }

    /// Ends the initialisation: wakes `C_WaitForSlotEvent`, closes every session and card
    /// connection (dropping PINs) and releases the backend's PC/SC context, so that nothing
    /// acquired since `C_Initialize` outlives `C_Finalize` (a module unloaded afterwards leaks
    /// no socket and no memory).
    pub(crate) fn stop(&self) -> Result<()> {
        let instance = self.current().take().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))?;
        instance.finalized.store(true, Ordering::SeqCst);
        for waiter in lock(&instance.waiters).drain(..) {
            waiter.cancel();
        }
        lock(&instance.sessions).clear();
        let slots = lock(&instance.slots).clone();
        for slot in slots {
            lock(&slot.io).take();
            lock(&slot.state).new_token(0);
        }
        lock(&instance.slots).clear();
        instance.backend.release();
        Ok(())
    }
}

impl Default for Module {
    fn default() -> Self {
        Module::new()
    }
}

impl Instance {
    /// Re-reads the reader list: new readers get new slots, vanished ones are detached (their
    /// slot IDs stay reserved for them).
    pub(crate) fn refresh_readers(&self) -> Vec<Arc<Slot>> {
        let names = match self.backend.readers() {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!("no readers: {e}");
                Vec::new()
            }
        };
        let mut slots = lock(&self.slots);
        for slot in slots.iter() {
            slot.attached.store(names.contains(&slot.reader), Ordering::Relaxed);
        }
        for name in names {
            if !slots.iter().any(|s| s.reader == name) {
                let id = slots.len() as CK_SLOT_ID;
                tracing::info!("slot {id}: reader {name:?}");
                slots.push(Arc::new(Slot {
                    id,
                    reader: name,
                    attached: AtomicBool::new(true),
                    io: Mutex::new(None),
                    state: Mutex::new(TokenState::default()),
                }));
            }
        }
        slots.clone()
    }

    /// The slot with this ID.
    pub(crate) fn slot(&self, id: CK_SLOT_ID) -> Result<Arc<Slot>> {
        let slots = lock(&self.slots);
        usize::try_from(id).ok().and_then(|i| slots.get(i)).cloned().ok_or(Ckr(CKR_SLOT_ID_INVALID))
    }

    /// Brings the slot's token state up to date with its reader (no APDU) and returns the
    /// current epoch (0: no token).
    pub(crate) fn refresh(&self, slot: &Slot) -> u64 {
        let status = match self.backend.status(&slot.reader) {
            Ok(s) => {
                slot.attached.store(true, Ordering::Relaxed);
                Some(s)
            }
            Err(_) => {
                slot.attached.store(false, Ordering::Relaxed);
                None
            }
        };
        let mut st = lock(&slot.state);
        if st.gone_events.is_some() && status.map(|s| s.events) != st.gone_events {
            st.gone_events = None;
        }
        let present = status.is_some_and(|s| s.present && st.gone_events != Some(s.events));
        let same = st.epoch != 0 && st.status.is_some_and(|o| o.present && Some(o.events) == status.map(|s| s.events));
        let before = st.epoch;
        if present && !same {
            let epoch = self.ids.next_epoch();
            tracing::info!("slot {}: card inserted (token {epoch})", slot.id);
            st.new_token(epoch);
        } else if !present && st.epoch != 0 {
            tracing::info!("slot {}: card removed", slot.id);
            st.new_token(0);
        }
        st.status = status;
        if st.epoch != before {
            // Drop the old card connection (and the PIN it holds) now if nobody is using it.
            if let Ok(mut io) = slot.io.try_lock() {
                if io.as_ref().is_some_and(|c| c.epoch != st.epoch) {
                    *io = None;
                }
            }
        }
        st.epoch
    }

    /// A failed card operation showed that the card of `epoch` is gone.
    pub(crate) fn mark_gone(&self, slot: &Slot, epoch: u64) {
        let mut st = lock(&slot.state);
        if st.epoch == epoch && epoch != 0 {
            tracing::info!("slot {}: card removed during an operation", slot.id);
            st.gone_events = st.status.map(|s| s.events);
            st.new_token(0);
        }
    }

    /// Connects to the card of `epoch` and opens a cie-core session (reads the static data).
    fn connect(&self, slot: &Slot, epoch: u64) -> Result<Conn> {
        let transport = match self.backend.connect(&slot.reader) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!("slot {}: connect: {e}", slot.id);
                let err = Error::Transport(e);
                if is_removal(&err) {
                    self.mark_gone(slot, epoch);
                    return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
                }
                return Err(Ckr::from(&err));
            }
        };
        // A card seen before is opened from its stored constants (cie-core checks they fit).
        let cache = self.cache.clone();
        let known = |sn_icc: &[u8]| cache.as_ref().and_then(|c| c.load_constants(sn_icc));
        match Session::open_with_constants(Counting::new(transport), known) {
            Ok(mut card) => {
                // The token's certificate (read at login or from the cache) gives the session
                // the key that checks every signature, without reading the card again.
                let objects = {
                    let st = lock(&slot.state);
                    if st.epoch == epoch {
                        st.objects.clone()
                    } else {
                        None
                    }
                };
                if let Some(objects) = objects {
                    if let Err(e) = card.use_certificate_key(&objects.certificate_der) {
                        tracing::warn!("slot {}: certificate key unusable: {e}", slot.id);
                    }
                }
                Ok(Conn { epoch, card, puk: None })
            }
            Err(e) => {
                tracing::info!("slot {}: not usable as a CIE: {e}", slot.id);
                if is_removal(&e) {
                    self.mark_gone(slot, epoch);
                    return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
                }
                if matches!(e, Error::NotCie(_) | Error::Malformed(_)) {
                    let mut st = lock(&slot.state);
                    if st.epoch == epoch {
                        st.unrecognized = true;
                    }
                    return Err(Ckr(CKR_TOKEN_NOT_RECOGNIZED));
                }
                Err(Ckr::from(&e))
            }
        }
    }

    /// Runs `f` on the card of `epoch` under the slot's I/O lock, connecting first if needed.
    /// Keeps the PIN/PUK tries up to date and turns a removal into `CKR_DEVICE_REMOVED`
    /// (the token is gone, its sessions dead).
    pub(crate) fn with_card<R>(
        &self,
        slot: &Slot,
        epoch: u64,
        f: impl FnOnce(&mut Conn) -> std::result::Result<R, Error>,
    ) -> Result<R> {
        let mut io = lock(&slot.io);
        if io.as_ref().map(|c| c.epoch) != Some(epoch) {
            *io = None;
            if lock(&slot.state).epoch != epoch {
                return Err(Ckr(CKR_DEVICE_REMOVED));
            }
            *io = Some(self.connect(slot, epoch)?);
        }
        let Some(conn) = io.as_mut() else {
            return Err(Ckr(CKR_DEVICE_ERROR));
        };
        let result = f(conn);
        // Constants read from the card and confirmed by a secure channel go to the cache.
        if let Some(bytes) = conn.card.constants_to_store() {
            if let Some(cache) = &self.cache {
                if let Err(e) = cache.store_constants(conn.card.sn_icc(), &bytes) {
                    tracing::warn!("card constants cache: cannot store: {e}");
                }
            }
        }
        let pin_tries = conn.card.pin_tries_left();
        if let Err(e) = &result {
            tracing::debug!("slot {}: card operation failed: {e}", slot.id);
            if is_removal(e) {
                *io = None;
                drop(io);
                self.mark_gone(slot, epoch);
                return Err(Ckr(CKR_DEVICE_REMOVED));
            }
        }
        {
            let mut st = lock(&slot.state);
            if st.epoch == epoch {
                if pin_tries.is_some() {
                    st.pin_tries = pin_tries;
                }
                match &result {
                    Err(Error::WrongCredential { credential: Credential::Puk, tries_left }) => {
                        st.puk_tries = *tries_left
                    }
                    Err(Error::Blocked(Credential::Puk)) => st.puk_tries = Some(0),
                    Err(Error::Blocked(Credential::Pin)) => st.pin_tries = Some(0),
                    _ => {}
                }
            }
        }
        result.map_err(|e| Ckr::from(&e))
    }

    /// Live sessions of a slot's current token: (all, read/write).
    pub(crate) fn session_counts(&self, slot: &Slot, epoch: u64) -> (usize, usize) {
        let sessions = lock(&self.sessions);
        let live = sessions.values().filter(|s| s.slot.id == slot.id && s.epoch == epoch);
        live.fold((0, 0), |(all, rw), s| (all + 1, rw + usize::from(s.rw)))
    }
}
