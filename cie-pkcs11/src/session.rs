//! Sessions: `C_OpenSession`, `C_CloseSession`, `C_CloseAllSessions`, `C_GetSessionInfo`,
//! `C_SessionCancel`. A session belongs to one insertion of a card: when the card leaves, its
//! sessions die (the next call on one returns `CKR_DEVICE_REMOVED`, later calls
//! `CKR_SESSION_HANDLE_INVALID`). Closing the last session of a token logs it out and drops the
//! PIN (DESIGN.md §5).

use std::sync::{Arc, Mutex};

use cryptoki_sys::*;

use crate::digest::DigestOp;
use crate::error::{Ckr, Result};
use crate::module::{lock, Instance, Login, Module, Slot};
use crate::object::FindOp;
use crate::sign::SignOp;
use crate::verify::VerifyOp;

/// One open session.
pub(crate) struct SessionObj {
    pub(crate) handle: CK_SESSION_HANDLE,
    pub(crate) slot: Arc<Slot>,
    /// The token insertion the session belongs to.
    pub(crate) epoch: u64,
    pub(crate) rw: bool,
    pub(crate) ops: Mutex<Ops>,
}

/// Active operations of a session.
#[derive(Default)]
pub(crate) struct Ops {
    pub(crate) find: Option<FindOp>,
    pub(crate) sign: Option<SignOp>,
    pub(crate) verify: Option<VerifyOp>,
    pub(crate) digest: Option<DigestOp>,
}

impl Instance {
    /// A live session: its token must still be the one it was opened on.
    pub(crate) fn session(&self, handle: CK_SESSION_HANDLE) -> Result<Arc<SessionObj>> {
        let s = lock(&self.sessions).get(&handle).cloned().ok_or(Ckr(CKR_SESSION_HANDLE_INVALID))?;
        if self.refresh(&s.slot) != s.epoch {
            self.forget_session(handle);
            return Err(Ckr(CKR_DEVICE_REMOVED));
        }
        Ok(s)
    }

    /// Removes a session; logs the token out when it was its last one.
    pub(crate) fn forget_session(&self, handle: CK_SESSION_HANDLE) -> Option<Arc<SessionObj>> {
        let removed = lock(&self.sessions).remove(&handle)?;
        let (left, _) = self.session_counts(&removed.slot, removed.epoch);
        if left == 0 {
            self.logout_token(&removed.slot, removed.epoch);
        }
        Some(removed)
    }

    /// Logs the token out: forgets the PIN and PUK held for it (no APDU).
    pub(crate) fn logout_token(&self, slot: &Slot, epoch: u64) {
        {
            let mut st = lock(&slot.state);
            if st.epoch == epoch {
                st.login = Login::Nobody;
            }
        }
        let mut io = lock(&slot.io);
        if let Some(conn) = io.as_mut() {
            if conn.epoch == epoch {
                conn.card.logout();
                conn.puk = None;
            }
        }
    }

    /// Who is logged in to the session's token.
    pub(crate) fn login_state(&self, s: &SessionObj) -> Login {
        let st = lock(&s.slot.state);
        if st.epoch == s.epoch {
            st.login
        } else {
            Login::Nobody
        }
    }
}

impl Module {
    /// `C_OpenSession` (serial sessions only; read/write sessions are allowed because
    /// `C_SetPIN` and the SO functions need them, though the token itself is write-protected).
    pub fn open_session(&self, slot_id: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
        let inst = self.instance()?;
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(Ckr(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
        }
        let (slot, epoch, _) = inst.token_slot(slot_id)?;
        let rw = flags & CKF_RW_SESSION != 0;
        if !rw && lock(&slot.state).login == Login::So {
            return Err(Ckr(CKR_SESSION_READ_WRITE_SO_EXISTS));
        }
        let handle = inst.ids.next_session();
        let obj = Arc::new(SessionObj { handle, slot, epoch, rw, ops: Mutex::new(Ops::default()) });
        lock(&inst.sessions).insert(handle, obj);
        tracing::debug!("session {handle} opened on slot {slot_id} ({})", if rw { "R/W" } else { "R/O" });
        Ok(handle)
    }

    /// `C_CloseSession`. Closing a session whose card is gone is fine.
    pub fn close_session(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        let inst = self.instance()?;
        inst.forget_session(handle).map(|_| ()).ok_or(Ckr(CKR_SESSION_HANDLE_INVALID))
    }

    /// `C_CloseAllSessions`.
    pub fn close_all_sessions(&self, slot_id: CK_SLOT_ID) -> Result<()> {
        let inst = self.instance()?;
        let slot = inst.slot(slot_id)?;
        let handles: Vec<CK_SESSION_HANDLE> =
            lock(&inst.sessions).values().filter(|s| s.slot.id == slot.id).map(|s| s.handle).collect();
        for h in handles {
            inst.forget_session(h);
        }
        let epoch = lock(&slot.state).epoch;
        inst.logout_token(&slot, epoch);
        Ok(())
    }

    /// `C_GetSessionInfo`.
    pub fn session_info(&self, handle: CK_SESSION_HANDLE) -> Result<CK_SESSION_INFO> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let state = match (inst.login_state(&s), s.rw) {
            (Login::So, _) => CKS_RW_SO_FUNCTIONS,
            (Login::User, true) => CKS_RW_USER_FUNCTIONS,
            (Login::User, false) => CKS_RO_USER_FUNCTIONS,
            (Login::Nobody, true) => CKS_RW_PUBLIC_SESSION,
            (Login::Nobody, false) => CKS_RO_PUBLIC_SESSION,
        };
        let flags = CKF_SERIAL_SESSION | if s.rw { CKF_RW_SESSION } else { 0 };
        Ok(CK_SESSION_INFO { slotID: s.slot.id, state, flags, ulDeviceError: 0 })
    }

    /// `C_SessionCancel` (PKCS#11 3.0): ends the active operations named in `flags`.
    pub fn session_cancel(&self, handle: CK_SESSION_HANDLE, flags: CK_FLAGS) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let mut ops = lock(&s.ops);
        if flags & CKF_SIGN != 0 {
            ops.sign = None;
        }
        if flags & CKF_VERIFY != 0 {
            ops.verify = None;
        }
        if flags & CKF_DIGEST != 0 {
            ops.digest = None;
        }
        if flags & CKF_FIND_OBJECTS != 0 {
            ops.find = None;
        }
        Ok(())
    }

    /// Checks that a session exists and is live (for functions that then refuse the operation).
    pub fn check_session(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        self.instance()?.session(handle).map(|_| ())
    }

    /// Number of open sessions (all slots).
    pub fn session_count(&self) -> usize {
        self.instance().map(|i| lock(&i.sessions).len()).unwrap_or(0)
    }
}
