//! `C_Login`, `C_Logout`, `C_InitPIN`, `C_SetPIN` (PROTOCOL.md §6, DESIGN.md §5).
//!
//! `CKU_USER` takes the full 8-digit PIN; `CKU_SO` takes the PUK; `C_InitPIN` in an SO session
//! unblocks the PIN with the PUK and sets the new one; `C_SetPIN` changes the PIN. A PIN or PUK
//! of the wrong length or with non-digits is refused before any APDU, so no try is spent: at
//! `C_Login` (and for the old PIN of `C_SetPIN`) with `CKR_PIN_INCORRECT`, the answer NSS and
//! other clients handle by asking again (cie-pkcs11/README.md explains the choice); a new PIN
//! with `CKR_PIN_LEN_RANGE` or `CKR_PIN_INVALID`. The certificate is read (or taken from the
//! certificate cache) when objects are first asked for, not at login.

use std::sync::Arc;

use cie_core::pin::{Pin, Puk, Secret};
use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::{lock, Login, Module, Slot};
use crate::session::SessionObj;

/// Validates a PIN or PUK before any APDU: length 8 (else `bad_len`), digits only (else
/// `bad_chars`). A secret to check against the card gets `CKR_PIN_INCORRECT` for both; a new
/// PIN `CKR_PIN_LEN_RANGE` and `CKR_PIN_INVALID`.
fn secret<S: Secret>(value: &[u8], bad_len: CK_RV, bad_chars: CK_RV) -> Result<S> {
    if value.len() != cie_core::pin::SECRET_LEN {
        return Err(Ckr(bad_len));
    }
    S::parse(value).map_err(|_| Ckr(bad_chars))
}

/// A PIN or PUK the card will check ([`secret`] with `CKR_PIN_INCORRECT`).
fn given<S: Secret>(value: &[u8]) -> Result<S> {
    secret(value, CKR_PIN_INCORRECT, CKR_PIN_INCORRECT)
}

/// A new PIN ([`secret`] with `CKR_PIN_LEN_RANGE`, `CKR_PIN_INVALID`).
fn fresh_pin(value: &[u8]) -> Result<Pin> {
    secret(value, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID)
}

impl Module {
    /// `C_Login`.
    pub fn login(&self, handle: CK_SESSION_HANDLE, user_type: CK_USER_TYPE, pin: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        let current = inst.login_state(&s);
        match user_type {
            CKU_USER => {
                match current {
                    Login::User => return Err(Ckr(CKR_USER_ALREADY_LOGGED_IN)),
                    Login::So => return Err(Ckr(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
                    Login::Nobody => {}
                }
                let pin = given::<Pin>(pin)?;
                // The certificate is not read here: the objects appear when they are asked for
                // (`Instance::ensure_objects`), from the cache when the card was seen before.
                inst.with_card(&s.slot, s.epoch, |conn| conn.card.verify_pin(&pin))?;
                set_login(&s.slot, s.epoch, Login::User);
                tracing::info!("slot {}: user logged in", s.slot.id);
                Ok(())
            }
            CKU_SO => {
                match current {
                    Login::So => return Err(Ckr(CKR_USER_ALREADY_LOGGED_IN)),
                    Login::User => return Err(Ckr(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
                    Login::Nobody => {}
                }
                let read_only =
                    lock(&inst.sessions).values().any(|o| o.slot.id == s.slot.id && o.epoch == s.epoch && !o.rw);
                if read_only {
                    return Err(Ckr(CKR_SESSION_READ_ONLY_EXISTS));
                }
                let puk = given::<Puk>(pin)?;
                // Checked now (a wrong PUK spends one PUK try, as the caller asked), and kept
                // for C_InitPIN.
                inst.with_card(&s.slot, s.epoch, |conn| {
                    conn.card.verify_puk(&puk)?;
                    conn.puk = Some(puk);
                    Ok(())
                })?;
                set_login(&s.slot, s.epoch, Login::So);
                tracing::info!("slot {}: security officer logged in", s.slot.id);
                Ok(())
            }
            CKU_CONTEXT_SPECIFIC => Err(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
            _ => Err(Ckr(CKR_USER_TYPE_INVALID)),
        }
    }

    /// `C_Logout`: forgets the PIN (or PUK); no APDU.
    pub fn logout(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        if inst.login_state(&s) == Login::Nobody {
            return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
        }
        inst.logout_token(&s.slot, s.epoch);
        let same_token: Vec<Arc<SessionObj>> =
            lock(&inst.sessions).values().filter(|o| o.slot.id == s.slot.id).cloned().collect();
        for other in same_token {
            lock(&other.ops).sign = None;
        }
        Ok(())
    }

    /// `C_InitPIN`: in an SO session, unblocks the PIN with the PUK and sets `new_pin`.
    pub fn init_pin(&self, handle: CK_SESSION_HANDLE, new_pin: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        if inst.login_state(&s) != Login::So {
            return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
        }
        let new_pin = fresh_pin(new_pin)?;
        let result = inst.with_card(&s.slot, s.epoch, |conn| {
            let Some(puk) = conn.puk.clone() else {
                return Err(cie_core::Error::LoginRequired);
            };
            let r = conn.card.unblock_pin(&puk, &new_pin);
            if matches!(r, Err(cie_core::Error::WrongCredential { .. } | cie_core::Error::Blocked(_))) {
                conn.puk = None;
            }
            r
        });
        match result {
            Ok(()) => {
                let mut st = lock(&s.slot.state);
                if st.epoch == s.epoch {
                    st.pin_tries = Some(3);
                    st.puk_tries = None;
                }
                tracing::info!("slot {}: PIN unblocked and replaced", s.slot.id);
                Ok(())
            }
            Err(e) => {
                if matches!(e.rv(), CKR_PIN_INCORRECT | CKR_PIN_LOCKED | CKR_USER_NOT_LOGGED_IN) {
                    // The PUK is wrong or blocked: the SO is no longer logged in.
                    set_login(&s.slot, s.epoch, Login::Nobody);
                }
                Err(e)
            }
        }
    }

    /// `C_SetPIN`: changes the user PIN (CHANGE REFERENCE DATA with old and new PIN). The PUK
    /// of a CIE cannot be changed.
    pub fn set_pin(&self, handle: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> Result<()> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        if !s.rw {
            return Err(Ckr(CKR_SESSION_READ_ONLY));
        }
        if inst.login_state(&s) == Login::So {
            return Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED));
        }
        let old = given::<Pin>(old)?;
        let new = fresh_pin(new)?;
        let result = inst.with_card(&s.slot, s.epoch, |conn| conn.card.change_pin(&old, &new));
        if let Err(e) = result {
            if e.rv() == CKR_PIN_INCORRECT || e.rv() == CKR_PIN_LOCKED {
                // cie-core forgets a PIN that the card no longer accepts.
                set_login(&s.slot, s.epoch, Login::Nobody);
            }
            return Err(e);
        }
        tracing::info!("slot {}: PIN changed", s.slot.id);
        Ok(())
    }
}

fn set_login(slot: &Slot, epoch: u64, login: Login) {
    let mut st = lock(&slot.state);
    if st.epoch == epoch {
        st.login = login;
    }
}
