//! Login and PIN functions (PKCS#11 2.40 §5.6 `C_Login`, `C_Logout`; §5.5 `C_InitPIN`,
//! `C_SetPIN`) over the card's PIN and PUK (PROTOCOL.md §6, DESIGN.md §5).
//!
//! `CKU_USER` takes the full 8-digit PIN; `CKU_SO` takes the PUK; `C_InitPIN` in an SO session
//! unblocks the PIN with the PUK and sets the new one; `C_SetPIN` changes the PIN. A PIN or PUK
//! of the wrong length or with non-digits is refused before any APDU, so no try is spent: at
//! `C_Login` (and for the old PIN of `C_SetPIN`) with `CKR_PIN_INCORRECT`, the answer NSS and
//! other clients handle by asking again (cie-pkcs11/README.md explains the choice); a new PIN
//! with `CKR_PIN_LEN_RANGE` or `CKR_PIN_INVALID`. Every `CKR_PIN_INCORRECT` for the user PIN
//! sets `CKF_USER_PIN_COUNT_LOW` until the card accepts the PIN again. The certificate is read
//! (or taken from the certificate cache) when objects are first asked for, not at login.

use cie_core::pin::{Pin, Puk, Secret, SECRET_LEN};
use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::ops::OperationKind;
use crate::session::Session;
use crate::sync::lock;
use crate::token::Login;

/// Validates a PIN or PUK before any APDU: length 8 (else `bad_len`), digits only (else
/// `bad_chars`).
fn secret<S: Secret>(value: &[u8], bad_len: CK_RV, bad_chars: CK_RV) -> Result<S> {
    if value.len() != SECRET_LEN {
        return Err(Ckr(bad_len));
    }
    S::parse(value).map_err(|_| Ckr(bad_chars))
}

/// A PIN or PUK for the card to check: `CKR_PIN_INCORRECT` when malformed, as for a wrong one.
fn credential_to_verify<S: Secret>(value: &[u8]) -> Result<S> {
    secret(value, CKR_PIN_INCORRECT, CKR_PIN_INCORRECT)
}

/// A new PIN to set: `CKR_PIN_LEN_RANGE` for a wrong length, `CKR_PIN_INVALID` for non-digits.
fn valid_new_pin(value: &[u8]) -> Result<Pin> {
    secret(value, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID)
}

impl Module {
    /// `C_Login`.
    pub fn login(&self, handle: CK_SESSION_HANDLE, user_type: CK_USER_TYPE, pin: &[u8]) -> Result<()> {
        self.with_session(handle, |inst, s| match user_type {
            CKU_USER => {
                match s.login() {
                    Login::User => return Err(Ckr(CKR_USER_ALREADY_LOGGED_IN)),
                    Login::So => return Err(Ckr(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
                    Login::Nobody => {}
                }
                let verified = credential_to_verify::<Pin>(pin)
                    // The certificate is not read here: the objects appear when they are asked
                    // for (`Slot::ensure_objects`), from the cache when the card was seen before.
                    .and_then(|pin| s.slot.with_card(s.insertion, |conn| conn.card.verify_pin(&pin)));
                note_user_pin(s, &verified);
                verified?;
                s.slot.set_login(s.insertion, Login::User);
                tracing::info!("slot {}: user logged in", s.slot.id);
                Ok(())
            }
            CKU_SO => {
                match s.login() {
                    Login::So => return Err(Ckr(CKR_USER_ALREADY_LOGGED_IN)),
                    Login::User => return Err(Ckr(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
                    Login::Nobody => {}
                }
                let (all, rw) = inst.session_counts(&s.slot, s.insertion);
                if all > rw {
                    return Err(Ckr(CKR_SESSION_READ_ONLY_EXISTS));
                }
                let puk = credential_to_verify::<Puk>(pin)?;
                // Checked now (a wrong PUK spends one PUK try, as the caller asked), and kept
                // for C_InitPIN.
                s.slot.with_card(s.insertion, |conn| {
                    conn.card.verify_puk(&puk)?;
                    conn.puk = Some(puk);
                    Ok(())
                })?;
                s.slot.set_login(s.insertion, Login::So);
                tracing::info!("slot {}: security officer logged in", s.slot.id);
                Ok(())
            }
            CKU_CONTEXT_SPECIFIC => Err(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
            _ => Err(Ckr(CKR_USER_TYPE_INVALID)),
        })
    }

    /// `C_Logout`: forgets the PIN (or PUK); no APDU. Ends the signing operations of the
    /// token's sessions.
    pub fn logout(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        self.with_session(handle, |inst, s| {
            if s.login() == Login::Nobody {
                return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
            }
            s.slot.logout(s.insertion);
            for other in inst.sessions_on(s.slot.id) {
                lock(&other.ops).end(OperationKind::Sign);
            }
            Ok(())
        })
    }

    /// `C_InitPIN`: in an SO session, unblocks the PIN with the PUK and sets `new_pin`.
    pub fn init_pin(&self, handle: CK_SESSION_HANDLE, new_pin: &[u8]) -> Result<()> {
        self.with_session(handle, |_, s| {
            if s.login() != Login::So {
                return Err(Ckr(CKR_USER_NOT_LOGGED_IN));
            }
            let new_pin = valid_new_pin(new_pin)?;
            let result = s.slot.with_card(s.insertion, |conn| {
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
                    s.slot.pin_replaced(s.insertion);
                    tracing::info!("slot {}: PIN unblocked and replaced", s.slot.id);
                    Ok(())
                }
                Err(e) => {
                    if matches!(e.rv(), CKR_PIN_INCORRECT | CKR_PIN_LOCKED | CKR_USER_NOT_LOGGED_IN) {
                        // The PUK is wrong or blocked: the SO is no longer logged in.
                        s.slot.set_login(s.insertion, Login::Nobody);
                    }
                    Err(e)
                }
            }
        })
    }

    /// `C_SetPIN`: changes the user PIN (CHANGE REFERENCE DATA with old and new PIN). The PUK
    /// of a CIE cannot be changed.
    pub fn set_pin(&self, handle: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> Result<()> {
        self.with_session(handle, |_, s| {
            if !s.rw {
                return Err(Ckr(CKR_SESSION_READ_ONLY));
            }
            if s.login() == Login::So {
                return Err(Ckr(CKR_FUNCTION_NOT_SUPPORTED));
            }
            let old = credential_to_verify::<Pin>(old);
            if let Err(e) = &old {
                note_user_pin(s, &Err(*e));
            }
            let (old, new) = (old?, valid_new_pin(new)?);
            let result = s.slot.with_card(s.insertion, |conn| conn.card.change_pin(&old, &new));
            note_user_pin(s, &result);
            if let Err(e) = result {
                if e.rv() == CKR_PIN_INCORRECT || e.rv() == CKR_PIN_LOCKED {
                    // cie-core forgets a PIN that the card no longer accepts.
                    s.slot.set_login(s.insertion, Login::Nobody);
                }
                return Err(e);
            }
            tracing::info!("slot {}: PIN changed", s.slot.id);
            Ok(())
        })
    }
}

/// Notes what became of a user PIN given to `C_Login` or as `C_SetPIN`'s old PIN: refused
/// (`CKR_PIN_INCORRECT`, by the card or before any APDU) or accepted by the card. The token's
/// `CKF_USER_PIN_COUNT_LOW` shows a refusal until the next acceptance (PKCS#11 2.40 §3.2).
fn note_user_pin(s: &Session, outcome: &Result<()>) {
    match outcome {
        Ok(()) => s.slot.user_pin_accepted(s.insertion),
        Err(e) if e.rv() == CKR_PIN_INCORRECT => s.slot.user_pin_rejected(s.insertion),
        Err(_) => {}
    }
}
