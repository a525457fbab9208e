//! Session management functions (PKCS#11 2.40 §5.6, 3.0 §5.6): `C_OpenSession`,
//! `C_CloseSession`, `C_CloseAllSessions`, `C_GetSessionInfo`, `C_SessionCancel`. A session
//! belongs to one insertion of a card: when the card leaves, its sessions die (the next call on
//! one returns `CKR_DEVICE_REMOVED`, later calls `CKR_SESSION_HANDLE_INVALID`). Closing the
//! last session of a token logs it out and drops the PIN (DESIGN.md §5). The login functions of
//! the family are in `login`.

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::ops::OperationKind;
use crate::session::Session;
use crate::sync::lock;
use crate::token::Login;

impl Module {
    /// `C_OpenSession` (serial sessions only; read/write sessions are allowed because
    /// `C_SetPIN` and the SO functions need them, though the token itself is write-protected).
    pub fn open_session(&self, slot_id: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
        let inst = self.instance()?;
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(Ckr(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
        }
        let (slot, insertion, _) = inst.token_slot(slot_id)?;
        let rw = flags & CKF_RW_SESSION != 0;
        if !rw && lock(&slot.state).login == Login::So {
            return Err(Ckr(CKR_SESSION_READ_WRITE_SO_EXISTS));
        }
        let session = Session::new(slot, insertion, rw);
        let handle = session.handle;
        inst.add_session(session);
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
        for s in inst.sessions_on(slot.id) {
            inst.forget_session(s.handle);
        }
        slot.logout(slot.insertion());
        Ok(())
    }

    /// `C_GetSessionInfo`.
    pub fn session_info(&self, handle: CK_SESSION_HANDLE) -> Result<CK_SESSION_INFO> {
        self.with_session(handle, |_, s| {
            let state = match (s.login(), s.rw) {
                (Login::So, _) => CKS_RW_SO_FUNCTIONS,
                (Login::User, true) => CKS_RW_USER_FUNCTIONS,
                (Login::User, false) => CKS_RO_USER_FUNCTIONS,
                (Login::Nobody, true) => CKS_RW_PUBLIC_SESSION,
                (Login::Nobody, false) => CKS_RO_PUBLIC_SESSION,
            };
            let flags = CKF_SERIAL_SESSION | if s.rw { CKF_RW_SESSION } else { 0 };
            Ok(CK_SESSION_INFO { slotID: s.slot.id, state, flags, ulDeviceError: 0 })
        })
    }

    /// `C_SessionCancel` (PKCS#11 3.0 §5.6): ends the active operations named in `flags`.
    pub fn session_cancel(&self, handle: CK_SESSION_HANDLE, flags: CK_FLAGS) -> Result<()> {
        self.with_session(handle, |_, s| {
            let mut ops = lock(&s.ops);
            for (flag, kind) in [
                (CKF_SIGN, OperationKind::Sign),
                (CKF_VERIFY, OperationKind::Verify),
                (CKF_DIGEST, OperationKind::Digest),
                (CKF_FIND_OBJECTS, OperationKind::Find),
            ] {
                if flags & flag != 0 {
                    ops.end(kind);
                }
            }
            Ok(())
        })
    }

    /// Checks that a session exists and is live (for functions that then refuse the operation).
    pub fn check_session(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        self.with_session(handle, |_, _| Ok(()))
    }
}
