//! `cie_card`: one open card (a cie-core session over PC/SC, or the user's card agent when its
//! socket answers: [`Backend`]), and the data it shows (§2).

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

use cie_agent::{AgentClient, ClientError};
use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::Session;
use cie_core::transport::Counting;
use cie_core::{Error, Transport};
use rsa::traits::PublicKeyParts;

use crate::args;
use crate::backend::{AgentCard, Backend};
use crate::status::{cie_status, guard, FfiError};

/// An open CIE (opaque). Create it with `cie_card_open`, free it with `cie_card_free`.
/// A handle must not be used from two threads at the same time; different handles are
/// independent.
pub struct cie_card {
    state: Mutex<CardState>,
}

/// What a handle holds.
pub(crate) struct CardState {
    pub(crate) card: Backend,
    reader: String,
    signature_len: Option<usize>,
}

impl CardState {
    /// The length of the holder key's signatures (its modulus), from the certificate.
    pub(crate) fn signature_len(&mut self) -> Result<usize, FfiError> {
        if let Some(n) = self.signature_len {
            return Ok(n);
        }
        let cert = self.card.certificate()?;
        let n = modulus_len(&cert)?;
        self.signature_len = Some(n);
        Ok(n)
    }
}

fn modulus_len(cert: &[u8]) -> Result<usize, Error> {
    Ok(cie_core::certificate::public_key(cert)?.size())
}

/// The transport of a handle's session: the counting wrapper traces every APDU (PIN data
/// redacted) for `cie_set_log_callback`.
fn traced(transport: Box<dyn Transport>) -> Box<dyn Transport> {
    Box::new(Counting::new(transport))
}

impl cie_card {
    /// Wraps a session; the C entry points and Rust tests both build handles through this.
    #[doc(hidden)]
    pub fn from_transport(transport: Box<dyn Transport>) -> Result<Box<cie_card>, Error> {
        Ok(cie_card::from_session(Session::open(traced(transport))?))
    }

    /// A handle on an open session; the reader is the transport's name.
    fn from_session(session: Session<Box<dyn Transport>>) -> Box<cie_card> {
        tracing::info!(target: "cie::ffi", "card operations in this process (PC/SC)");
        cie_card::from_backend(Backend::Local(Box::new(session)))
    }

    fn from_backend(card: Backend) -> Box<cie_card> {
        let reader = card.reader();
        Box::new(cie_card { state: Mutex::new(CardState { card, reader, signature_len: None }) })
    }

    /// Locks the handle, recovering it from a panic caught in an earlier call (the mutex
    /// poisoning policy of DESIGN.md §2, shared with cie-pkcs11).
    pub(crate) fn lock(&self) -> MutexGuard<'_, CardState> {
        self.state.lock().unwrap_or_else(|poisoned| {
            self.state.clear_poison();
            poisoned.into_inner()
        })
    }
}

/// Runs `f` on the card behind `card` (inside an entry point's guard).
///
/// # Safety
/// `card` is NULL or a live handle from `cie_card_open`.
pub(crate) unsafe fn on_card(
    card: *const cie_card,
    f: impl FnOnce(&mut CardState) -> Result<(), FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: forwarded contract.
    let card = unsafe { args::non_null(card, "card") }?;
    let mut state = card.lock();
    f(&mut state)
}

/// An entry point that runs `f` on the card behind `card`.
///
/// # Safety
/// `card` is NULL or a live handle from `cie_card_open`.
pub(crate) unsafe fn with_card(
    card: *const cie_card,
    f: impl FnOnce(&mut CardState) -> Result<(), FfiError>,
) -> cie_status {
    // SAFETY: forwarded contract.
    guard(|| unsafe { on_card(card, f) })
}

/// The card through the user's card agent when its socket answers: `None` when no agent
/// answers or it fails (the caller then opens the card in this process); the card's own error
/// as opening it in-process gives it.
fn open_through_agent(reader: Option<&str>) -> Result<Option<Box<cie_card>>, Error> {
    let Some(client) = AgentClient::connect() else {
        return Ok(None);
    };
    match AgentCard::open(client, reader) {
        Ok(card) => {
            tracing::info!(target: "cie::ffi", "card operations through the card agent");
            Ok(Some(cie_card::from_backend(Backend::Agent(card))))
        }
        Err(ClientError::Card(e)) => Err(e),
        Err(e) => {
            tracing::warn!(target: "cie::ffi", "card agent: {e}; using the card in this process");
            Ok(None)
        }
    }
}

/// Opens the CIE in `reader` (a name from `cie_readers_list`), or, when `reader` is NULL, in the
/// first reader that holds one. Detects the card generation and reads the NIS (no PIN needed).
/// When the user's card agent (`cie agent`) answers on its socket, the handle is one client of
/// it (the agent keeps the card's secure channel for every application of the user, and this
/// handle's PIN verification is this handle's alone); otherwise the library reaches the card
/// itself. Both give the same answers and status codes.
/// On success `*out` receives a handle to free with `cie_card_free`; on failure `*out` is NULL.
/// Fails with `CIE_ERR_NO_READER`, `CIE_ERR_NO_CARD`, `CIE_ERR_NOT_CIE`, `CIE_ERR_CARD_BUSY`...
///
/// # Safety
/// `reader` is NULL or a NUL-terminated string; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn cie_card_open(reader: *const c_char, out: *mut *mut cie_card) -> cie_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out.as_mut() }.ok_or_else(|| FfiError::bad_argument("out is NULL"))?;
        *out = std::ptr::null_mut();
        // SAFETY: forwarded contract.
        let reader = unsafe { args::optional_string(reader, "reader") }?;
        if let Some(card) = open_through_agent(reader)? {
            *out = Box::into_raw(card);
            return Ok(());
        }
        let card = match reader {
            Some(name) => {
                PcscTransport::connect(name).map_err(Error::from).and_then(|t| cie_card::from_transport(Box::new(t)))?
            }
            None => cie_card::from_session(cie_core::open_first_cie_with(|t| traced(Box::new(t)))?),
        };
        *out = Box::into_raw(card);
        Ok(())
    })
}

/// Closes the card and frees the handle (NULL is ignored). The PIN held for the session is
/// wiped and the card is left as it is (not reset); through the card agent, the handle's login
/// ends with it.
///
/// # Safety
/// `card` is NULL or a handle from `cie_card_open`, freed once and not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn cie_card_free(card: *mut cie_card) {
    if !card.is_null() {
        // SAFETY: the handle came from Box::into_raw and is freed once.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(card) })));
    }
}

/// The reader's name (NUL-terminated; `*len` counts the NUL).
///
/// # Safety
/// `card` is a live handle; `len` is writable; `buf` is NULL or has `*len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_reader(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { with_card(card, |c| args::write_string(&c.reader, buf, len)) }
}

/// The card generation, e.g. "NXP" or "Gemalto" (PROTOCOL.md §1.1; NUL-terminated).
///
/// # Safety
/// As `cie_card_reader`.
#[no_mangle]
pub unsafe extern "C" fn cie_card_generation(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { with_card(card, |c| args::write_string(c.card.generation(), buf, len)) }
}

/// The answer to reset (raw bytes).
///
/// # Safety
/// `card` is a live handle; `len` is writable; `buf` is NULL or has `*len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_atr(card: *const cie_card, buf: *mut u8, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { with_card(card, |c| args::write_bytes(c.card.atr(), buf, len)) }
}

/// The NIS (Numero Identificativo per i Servizi, EF 1001, PROTOCOL.md §2.2): 12 digits plus
/// the NUL. No PIN needed.
///
/// # Safety
/// As `cie_card_reader`.
#[no_mangle]
pub unsafe extern "C" fn cie_card_nis(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { with_card(card, |c| args::write_string(c.card.nis(), buf, len)) }
}

/// The card number printed on the card (EF 1002, §2.2), NUL-terminated. Needs the PIN
/// (`CIE_ERR_LOGIN_REQUIRED` otherwise).
///
/// # Safety
/// As `cie_card_reader`.
#[no_mangle]
pub unsafe extern "C" fn cie_card_serial(card: *const cie_card, buf: *mut c_char, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            if !c.card.is_logged_in() {
                return Err(Error::LoginRequired.into());
            }
            let serial = c.card.serial()?;
            args::write_string(&serial, buf, len)
        })
    }
}

/// The holder's authentication certificate (EF 1003, §2.2), X.509 DER. Needs the PIN
/// (`CIE_ERR_LOGIN_REQUIRED` otherwise, for the size query too: the size is that of the
/// certificate, which only the PIN unlocks); read once, then served from memory.
///
/// # Safety
/// `card` is a live handle; `len` is writable; `buf` is NULL or has `*len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cie_card_certificate(card: *const cie_card, buf: *mut u8, len: *mut usize) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe {
        with_card(card, |c| {
            if c.card.cached_certificate().is_none() && !c.card.is_logged_in() {
                return Err(Error::LoginRequired.into());
            }
            let cert = c.card.certificate()?;
            args::write_bytes(&cert, buf, len)
        })
    }
}

/// Forgets the PIN and closes the secure channel (through the card agent: ends this handle's
/// login); the next signature needs the PIN again.
///
/// # Safety
/// `card` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn cie_card_logout(card: *mut cie_card) -> cie_status {
    // SAFETY: forwarded contract.
    unsafe { with_card(card, |c| Ok(c.card.logout()?)) }
}

#[cfg(test)]
mod tests {
    use cie_sim::{fixtures, image::SodProfile, Profile, SimCard, SimHandle, SimOptions};

    use super::*;
    use crate::status::CIE_ERR_INTERNAL;

    #[test]
    fn a_caught_panic_does_not_wedge_the_handle() {
        let sim = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
        let card = Box::into_raw(cie_card::from_transport(Box::new(SimHandle::new(sim).connect())).unwrap());
        // SAFETY: `card` is a live handle until freed below.
        let panicked = guard(|| unsafe { on_card(card, |_| panic!("a bug while the handle is locked")) });
        assert_eq!(panicked, CIE_ERR_INTERNAL);
        // The poisoned lock is recovered (DESIGN.md §2): the handle is usable again.
        let mut reader = String::new();
        // SAFETY: as above.
        let ok = guard(|| unsafe {
            on_card(card, |c| {
                reader = c.reader.clone();
                Ok(())
            })
        });
        assert_eq!(ok, crate::status::CIE_OK);
        assert!(!reader.is_empty());
        // SAFETY: freed once.
        unsafe { cie_card_free(card) };
    }
}
