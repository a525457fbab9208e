//! One initialisation of the module (`C_Initialize` .. `C_Finalize`, DESIGN.md §6): the
//! backend, the slot table, the session table and what `C_GetSlotList` and
//! `C_WaitForSlotEvent` remember between calls.
//!
//! Locking (DESIGN.md §6: no global lock across card I/O): the slot and session tables are
//! behind short-lived locks, never held while card I/O runs nor while another lock is taken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cryptoki_sys::*;

use crate::backend::{Backend, EventWaiter, ReaderStatus};
use crate::cache::CertCache;
use crate::error::{Ckr, Result};
use crate::session::Session;
use crate::sync::lock;
use crate::token::{Slot, TokenData};

/// The state of one initialisation.
pub(crate) struct Instance {
    /// Where readers and cards come from.
    pub(crate) backend: Arc<dyn Backend>,
    /// The certificate and card-constants cache, when it is on; each slot gets a copy.
    cache: Option<CertCache>,
    /// One slot per reader ever seen, indexed by slot ID.
    slots: Mutex<Vec<Arc<Slot>>>,
    /// The last list returned by a size query of `C_GetSlotList`, per `tokenPresent`, so the
    /// second call of the usual two-call pattern returns the same list.
    pub(crate) last_slot_lists: Mutex<[Option<Vec<CK_SLOT_ID>>; 2]>,
    /// The open sessions by handle.
    sessions: Mutex<HashMap<CK_SESSION_HANDLE, Arc<Session>>>,
    /// The waiters of blocked `C_WaitForSlotEvent` calls, which `C_Finalize` cancels.
    pub(crate) waiters: Mutex<Vec<Arc<dyn EventWaiter>>>,
    /// `C_Finalize` ran (blocked `C_WaitForSlotEvent` calls return).
    pub(crate) finalized: AtomicBool,
    /// The process that initialised: in a child after `fork()` this instance belongs to the
    /// parent and is forgotten, never used nor released (PKCS#11 2.40 "Applications and
    /// processes": a child process must call `C_Initialize` itself).
    pid: u32,
    /// Reader states already reported by `C_WaitForSlotEvent` (or seen at initialisation).
    pub(crate) reported_reader_states: Mutex<HashMap<String, ReaderStatus>>,
    /// Each slot's token as `C_WaitForSlotEvent` last saw it (0: none), so that a token
    /// replaced with no reader event (the card agent went away) is reported too.
    pub(crate) reported_tokens: Mutex<HashMap<CK_SLOT_ID, u64>>,
}

impl Instance {
    /// An initialisation over `backend`, with the certificate cache `cache` (`None`: off). What
    /// is in the readers now is the baseline of `C_WaitForSlotEvent`, not an event.
    pub(crate) fn start(backend: Arc<dyn Backend>, cache: Option<CertCache>) -> Instance {
        let instance = Instance {
            backend,
            cache,
            slots: Mutex::new(Vec::new()),
            last_slot_lists: Mutex::new([None, None]),
            sessions: Mutex::new(HashMap::new()),
            waiters: Mutex::new(Vec::new()),
            finalized: AtomicBool::new(false),
            reported_reader_states: Mutex::new(HashMap::new()),
            reported_tokens: Mutex::new(HashMap::new()),
            pid: std::process::id(),
        };
        for slot in instance.refresh_readers() {
            if let Ok(status) = instance.backend.status(&slot.reader) {
                lock(&instance.reported_reader_states).insert(slot.reader.clone(), status);
            }
        }
        instance
    }

    /// False in a child process after `fork()`: the instance is the parent's.
    pub(crate) fn belongs_to_this_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Ends the initialisation: wakes `C_WaitForSlotEvent`, closes every session and card
    /// connection (dropping PINs) and releases the backend's PC/SC context, so that nothing
    /// acquired since `C_Initialize` outlives `C_Finalize`.
    pub(crate) fn finish(&self) {
        self.finalized.store(true, Ordering::SeqCst);
        for waiter in lock(&self.waiters).drain(..) {
            waiter.cancel();
        }
        lock(&self.sessions).clear();
        let slots = lock(&self.slots).clone();
        for slot in slots {
            slot.close();
        }
        lock(&self.slots).clear();
        self.backend.release();
    }

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
                slots.push(Arc::new(Slot::new(id, name, self.backend.clone(), self.cache.clone())));
            }
        }
        slots.clone()
    }

    /// The slot with this ID.
    pub(crate) fn slot(&self, id: CK_SLOT_ID) -> Result<Arc<Slot>> {
        let slots = lock(&self.slots);
        usize::try_from(id).ok().and_then(|i| slots.get(i)).cloned().ok_or(Ckr(CKR_SLOT_ID_INVALID))
    }

    /// The slot's token if present (opened), else `CKR_TOKEN_NOT_PRESENT`: the slot, the
    /// token's insertion and its data.
    pub(crate) fn token_slot(&self, slot_id: CK_SLOT_ID) -> Result<(Arc<Slot>, u64, Arc<TokenData>)> {
        let slot = self.slot(slot_id)?;
        let (insertion, info) = slot.open()?;
        Ok((slot, insertion, info))
    }

    /// Adds an open session.
    pub(crate) fn add_session(&self, session: Session) {
        lock(&self.sessions).insert(session.handle, Arc::new(session));
    }

    /// A live session: its token must still be the one it was opened on (else the session is
    /// closed and `CKR_DEVICE_REMOVED` returned once).
    pub(crate) fn session(&self, handle: CK_SESSION_HANDLE) -> Result<Arc<Session>> {
        let s = self.find_session(handle).ok_or(Ckr(CKR_SESSION_HANDLE_INVALID))?;
        if s.slot.refresh() != s.insertion {
            self.forget_session(handle);
            return Err(Ckr(CKR_DEVICE_REMOVED));
        }
        Ok(s)
    }

    /// A session by handle, live or not, without asking the reader.
    pub(crate) fn find_session(&self, handle: CK_SESSION_HANDLE) -> Option<Arc<Session>> {
        lock(&self.sessions).get(&handle).cloned()
    }

    /// The sessions on slot `slot_id`, whatever their insertion.
    pub(crate) fn sessions_on(&self, slot_id: CK_SLOT_ID) -> Vec<Arc<Session>> {
        lock(&self.sessions).values().filter(|s| s.slot.id == slot_id).cloned().collect()
    }

    /// Removes a session; logs the token out when it was its last one.
    pub(crate) fn forget_session(&self, handle: CK_SESSION_HANDLE) -> Option<Arc<Session>> {
        let removed = lock(&self.sessions).remove(&handle)?;
        let (left, _) = self.session_counts(&removed.slot, removed.insertion);
        if left == 0 {
            removed.slot.logout(removed.insertion);
        }
        Some(removed)
    }

    /// Live sessions of a slot's token of `insertion`: (all, read/write).
    pub(crate) fn session_counts(&self, slot: &Slot, insertion: u64) -> (usize, usize) {
        let sessions = lock(&self.sessions);
        let live = sessions.values().filter(|s| s.slot.id == slot.id && s.insertion == insertion);
        live.fold((0, 0), |(all, rw), s| (all + 1, rw + usize::from(s.rw)))
    }
}
