//! Slot and token management functions (PKCS#11 2.40 §5.5): `C_GetSlotList`,
//! `C_GetSlotInfo`, `C_GetTokenInfo`, `C_GetMechanismList`, `C_GetMechanismInfo`,
//! `C_WaitForSlotEvent` (DESIGN.md §6: one slot per reader, one token per card; PROTOCOL.md
//! §8.6 for what the official module shows). The PIN functions of the family are in `login`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use cryptoki_sys::*;

use crate::backend::{EventWaiter, ReaderStatus, WaitOutcome};
use crate::error::{Ckr, Result};
use crate::instance::Instance;
use crate::mechanism::{all_mechanisms, mechanism_info};
use crate::module::Module;
use crate::objects::CK_UNAVAILABLE_INFORMATION;
use crate::sync::lock;
use crate::text::pad;
use crate::token::Login;

impl Module {
    /// `C_GetSlotList`: the slots (readers), or only those with a token. `refresh` (the size
    /// query with a NULL list) re-reads the reader list and remembers the answer, which the
    /// following call with a buffer returns again.
    pub fn slot_list(&self, token_present: bool, refresh: bool) -> Result<Vec<CK_SLOT_ID>> {
        let inst = self.instance()?;
        let idx = usize::from(token_present);
        if !refresh {
            if let Some(list) = lock(&inst.last_slot_lists)[idx].clone() {
                return Ok(list);
            }
        }
        let slots = inst.refresh_readers();
        let mut list = Vec::new();
        for slot in slots.iter().filter(|s| s.attached.load(Ordering::Relaxed)) {
            if !token_present || slot.refresh() != 0 {
                list.push(slot.id);
            }
        }
        lock(&inst.last_slot_lists)[idx] = Some(list.clone());
        Ok(list)
    }

    /// `C_GetSlotInfo` (no APDU).
    pub fn slot_info(&self, slot_id: CK_SLOT_ID) -> Result<CK_SLOT_INFO> {
        let slot = self.instance()?.slot(slot_id)?;
        let present = slot.refresh() != 0;
        let mut flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
        if present {
            flags |= CKF_TOKEN_PRESENT;
        }
        Ok(CK_SLOT_INFO {
            slotDescription: pad(&slot.reader),
            manufacturerID: pad(&slot.reader),
            flags,
            hardwareVersion: CK_VERSION::default(),
            firmwareVersion: CK_VERSION::default(),
        })
    }

    /// `C_GetTokenInfo`: label `CIE <NIS>`, the chip manufacturer, model "CIE 3.0", serial = NIS,
    /// and the PIN flags as last reported by the card (`TokenState::pin_flags`).
    pub fn token_info(&self, slot_id: CK_SLOT_ID) -> Result<CK_TOKEN_INFO> {
        let inst = self.instance()?;
        let (slot, insertion, info) = inst.token_slot(slot_id)?;
        let pin_flags = lock(&slot.state).pin_flags();
        let flags =
            CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED | CKF_WRITE_PROTECTED | pin_flags;
        let (sessions, rw) = inst.session_counts(&slot, insertion);
        Ok(CK_TOKEN_INFO {
            label: pad(&format!("CIE {}", info.nis)),
            manufacturerID: pad(&info.manufacturer),
            model: pad("CIE 3.0"),
            serialNumber: pad(&info.nis),
            flags,
            ulMaxSessionCount: CK_EFFECTIVELY_INFINITE,
            ulSessionCount: sessions as CK_ULONG,
            ulMaxRwSessionCount: CK_EFFECTIVELY_INFINITE,
            ulRwSessionCount: rw as CK_ULONG,
            ulMaxPinLen: 8,
            ulMinPinLen: 8,
            ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
            hardwareVersion: CK_VERSION { major: 3, minor: 0 },
            firmwareVersion: CK_VERSION::default(),
            utcTime: [b' '; 16],
        })
    }

    /// `C_GetMechanismList` (PROTOCOL.md §7: PKCS#1 v1.5 signatures, verified in software
    /// too, and the SHA digests).
    pub fn mechanism_list(&self, slot_id: CK_SLOT_ID) -> Result<Vec<CK_MECHANISM_TYPE>> {
        let slot = self.instance()?.slot(slot_id)?;
        if slot.refresh() == 0 {
            return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
        }
        Ok(all_mechanisms())
    }

    /// `C_GetMechanismInfo` (`crate::mechanism` says why no mechanism is flagged `CKF_HW`).
    pub fn mechanism_info(&self, slot_id: CK_SLOT_ID, mechanism: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
        let slot = self.instance()?.slot(slot_id)?;
        if slot.refresh() == 0 {
            return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
        }
        mechanism_info(mechanism).ok_or(Ckr(CKR_MECHANISM_INVALID))
    }

    /// `C_WaitForSlotEvent`: the first slot whose card was inserted or removed since the last
    /// report, or whose token was replaced with no reader event (the card agent behind it went
    /// away: DESIGN.md §8). Blocks (holding no lock) unless `CKF_DONT_BLOCK`; `C_Finalize`
    /// wakes it with `CKR_CRYPTOKI_NOT_INITIALIZED`.
    pub fn wait_for_slot_event(&self, flags: CK_FLAGS) -> Result<CK_SLOT_ID> {
        let inst = self.instance()?;
        // One waiter for the whole call, registered so that C_Finalize can cancel it.
        let mut waiter: Option<Registered<'_>> = None;
        loop {
            if inst.finalized.load(Ordering::SeqCst) {
                return Err(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED));
            }
            let known = match next_slot_event(&inst) {
                Ok(slot) => return Ok(slot),
                Err(known) => known,
            };
            if flags & CKF_DONT_BLOCK != 0 {
                return Err(Ckr(CKR_NO_EVENT));
            }
            if waiter.is_none() {
                let w = inst.backend.waiter().map_err(|e| {
                    tracing::debug!("cannot wait for slot events: {e}");
                    Ckr(CKR_DEVICE_ERROR)
                })?;
                lock(&inst.waiters).push(w.clone());
                waiter = Some(Registered { inst: &inst, waiter: w });
                // C_Finalize may have run between the check above and the registration.
                if inst.finalized.load(Ordering::SeqCst) {
                    return Err(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED));
                }
            }
            let Some(w) = &waiter else { continue };
            match w.waiter.wait(&known) {
                Ok(WaitOutcome::Cancelled) => return Err(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED)),
                Ok(WaitOutcome::Changed | WaitOutcome::Recheck) => {}
                Err(e) => {
                    tracing::debug!("waiting for slot events: {e}");
                    return Err(Ckr(CKR_DEVICE_ERROR));
                }
            }
        }
    }

    /// Whether the user is logged in to a slot's token (for tests and diagnostics).
    pub fn is_user_logged_in(&self, slot_id: CK_SLOT_ID) -> Result<bool> {
        let slot = self.instance()?.slot(slot_id)?;
        let st = lock(&slot.state);
        Ok(st.login == Login::User)
    }
}

/// A waiter of a blocked `C_WaitForSlotEvent`, listed in the instance's waiters while the call
/// lasts (so `C_Finalize` can cancel it) and taken off the list when the call returns.
struct Registered<'a> {
    inst: &'a Instance,
    waiter: Arc<dyn EventWaiter>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.inst.waiters).retain(|w| !Arc::ptr_eq(w, &self.waiter));
    }
}

/// The first slot with an event not yet reported, recording what it reports; else the reader
/// states to wait on. An event is a card inserted or removed (a reader's state), or a token
/// replaced while its reader saw nothing (the card agent behind it went away: the slot's
/// [`crate::token::Slot::refresh`] starts a new token for it).
fn next_slot_event(inst: &Instance) -> std::result::Result<CK_SLOT_ID, Vec<(String, ReaderStatus)>> {
    let slots = inst.refresh_readers();
    let mut known: Vec<(String, ReaderStatus)> = Vec::new();
    for slot in slots.iter().filter(|s| s.attached.load(Ordering::Relaxed)) {
        let Ok(now) = inst.backend.status(&slot.reader) else { continue };
        let reader_event = match lock(&inst.reported_reader_states).insert(slot.reader.clone(), now) {
            Some(before) => before.present != now.present || (now.present && before.events != now.events),
            // A reader seen for the first time is an event only if it holds a card.
            None => now.present,
        };
        let token = slot.refresh();
        let replaced = match lock(&inst.reported_tokens).insert(slot.id, token) {
            Some(before) => before != 0 && token != 0 && before != token,
            None => false,
        };
        if reader_event || replaced {
            return Ok(slot.id);
        }
        known.push((slot.reader.clone(), now));
    }
    Err(known)
}
