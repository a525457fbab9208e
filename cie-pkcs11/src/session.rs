//! An open PKCS#11 session: the slot and the card insertion it belongs to (when the card
//! leaves, the session is dead), whether it is read/write, and its active operations.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cryptoki_sys::*;

use crate::error::Result;
use crate::objects::ObjectSet;
use crate::ops::Operations;
use crate::token::{Login, Slot};

/// The next session handle: process-wide and never going back, so handles are never reused
/// (DESIGN.md §6), not even across `C_Finalize` and a new `C_Initialize`.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// One open session.
pub(crate) struct Session {
    /// The session handle (never reused).
    pub(crate) handle: CK_SESSION_HANDLE,
    /// The slot of the session's token.
    pub(crate) slot: Arc<Slot>,
    /// The card insertion the session belongs to.
    pub(crate) insertion: u64,
    /// Opened with `CKF_RW_SESSION`.
    pub(crate) rw: bool,
    /// Held while an operation runs (before the slot's I/O lock).
    pub(crate) ops: Mutex<Operations>,
}

impl Session {
    /// A new session, with a handle never given before, on the token of `insertion`.
    pub(crate) fn new(slot: Arc<Slot>, insertion: u64, rw: bool) -> Session {
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed) as CK_SESSION_HANDLE;
        Session { handle, slot, insertion, rw, ops: Mutex::new(Operations::default()) }
    }

    /// Who is logged in to the session's token.
    pub(crate) fn login(&self) -> Login {
        self.slot.login_of(self.insertion)
    }

    /// The session's token objects as known now (no APDU) and whether the user is logged in
    /// (who sees the private ones).
    pub(crate) fn objects(&self) -> (Option<Arc<ObjectSet>>, bool) {
        let user = self.login() == Login::User;
        (self.slot.objects(self.insertion), user)
    }

    /// Makes the token's objects known if they can be (see [`Slot::ensure_objects`]).
    pub(crate) fn ensure_objects(&self) -> Result<()> {
        self.slot.ensure_objects(self.insertion, self.login() == Login::User)
    }
}
