//! A slot and its token (DESIGN.md §3, §6): one slot per PC/SC reader, one token per card
//! insertion. The slot follows its reader (insertions and removals, without APDUs), owns the
//! connection to the card of the current insertion (one I/O lock per slot, held only while
//! its card works: no global lock across card I/O), and knows what the token is: its data,
//! who is logged in, its objects (from the certificate cache or the card, DESIGN.md §5) and
//! the PIN tries the card last reported.
//!
//! Locking: a slot's I/O lock may be held while its state lock is taken, never the other way
//! round (the state lock's holder only `try_lock`s the I/O lock).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cie_core::pin::Puk;
use cie_core::session::Session as CardSession;
use cie_core::transport::Counting;
use cie_core::{Credential, Error};
use cryptoki_sys::*;

use crate::backend::{Backend, ReaderStatus};
use crate::cache::CertCache;
use crate::card::CardOps;
use crate::error::{is_removal, Ckr, Result};
use crate::objects::ObjectSet;
use crate::sync::lock;

/// The next card insertion number. Process-wide and never going back, so that sessions and
/// object handles of one insertion are never confused with another's (DESIGN.md §6: handles
/// are never reused), not even across `C_Finalize` and a new `C_Initialize`; a static, so the
/// module holds no heap memory outside an initialisation.
static NEXT_INSERTION: AtomicU64 = AtomicU64::new(1);

/// A new card insertion number (never 0, which means "no token").
fn next_insertion() -> u64 {
    NEXT_INSERTION.fetch_add(1, Ordering::Relaxed)
}

/// One slot: one PC/SC reader.
pub(crate) struct Slot {
    /// The slot ID: its index in the instance's slot table, kept for the reader.
    pub(crate) id: CK_SLOT_ID,
    /// The PC/SC reader name.
    pub(crate) reader: String,
    /// The reader is currently known to the backend.
    pub(crate) attached: AtomicBool,
    /// The card connection; held during card I/O.
    io: Mutex<Option<CardConnection>>,
    /// What is known about the token; never held during card I/O.
    pub(crate) state: Mutex<TokenState>,
    /// Where the reader's status and card connections come from.
    backend: Arc<dyn Backend>,
    /// The certificate and card-constants cache (DESIGN.md §5), when it is on.
    cache: Option<CertCache>,
}

/// A connection to the card of one insertion.
pub(crate) struct CardConnection {
    /// The insertion of the card this connection reaches.
    insertion: u64,
    /// The card: cie-core's session in this process, or the card agent's client.
    pub(crate) card: Box<dyn CardOps>,
    /// The PUK given at an SO login (zeroized on drop), used by `C_InitPIN`.
    pub(crate) puk: Option<Puk>,
}

/// Who is logged in to a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Login {
    /// Public session functions only.
    #[default]
    Nobody,
    /// The user (the PIN, `CKU_USER`).
    User,
    /// The security officer (the PUK, `CKU_SO`).
    So,
}

/// Static data of one token (one insertion of a CIE).
#[derive(Debug)]
pub(crate) struct TokenData {
    /// The card's NIS (token label and serial number).
    pub(crate) nis: String,
    /// The chip maker of the card's generation.
    pub(crate) manufacturer: String,
}

/// The token state of a slot.
#[derive(Default)]
pub(crate) struct TokenState {
    /// The reader status seen last.
    pub(crate) status: Option<ReaderStatus>,
    /// A removal was noticed through a failed card operation while the reader still showed
    /// this event count: the reader's "present" is stale until the count moves.
    removed_at_events: Option<u32>,
    /// The current card insertion (0: no token). Sessions of an older insertion are dead.
    pub(crate) insertion: u64,
    /// The token's data, once the card was opened.
    pub(crate) info: Option<Arc<TokenData>>,
    /// The card in the reader is not a CIE.
    unrecognized: bool,
    /// Who is logged in.
    pub(crate) login: Login,
    /// The token's objects, once known (from the cache or the card).
    pub(crate) objects: Option<Arc<ObjectSet>>,
    /// The PIN tries left as the card last reported them.
    pub(crate) pin_tries: Option<u8>,
    /// The PUK tries left as the card last reported them.
    pub(crate) puk_tries: Option<u8>,
    /// A `C_Login` or `C_SetPIN` answered `CKR_PIN_INCORRECT` for the user PIN since the last
    /// one the card accepted (a PIN refused before any APDU included).
    wrong_pin_entered: bool,
}

impl TokenState {
    /// A new insertion (`insertion` 0: none): nothing is known of its token yet.
    fn new_token(&mut self, insertion: u64) {
        self.insertion = insertion;
        self.info = None;
        self.unrecognized = false;
        self.login = Login::Nobody;
        self.objects = None;
        self.pin_tries = None;
        self.puk_tries = None;
        self.wrong_pin_entered = false;
    }

    /// The PIN flags of `CK_TOKEN_INFO`: the user PIN's as the card last reported its tries
    /// (and `CKF_USER_PIN_COUNT_LOW` after any incorrect user PIN since the last accepted one,
    /// PKCS#11 2.40 §3.2 `CK_TOKEN_INFO`), the SO PIN's (the PUK) as the card reported them.
    pub(crate) fn pin_flags(&self) -> CK_FLAGS {
        let mut flags = match self.pin_tries {
            Some(0) => CKF_USER_PIN_LOCKED,
            Some(1) => CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW,
            Some(2) => CKF_USER_PIN_COUNT_LOW,
            _ => 0,
        };
        if self.wrong_pin_entered {
            flags |= CKF_USER_PIN_COUNT_LOW;
        }
        flags
            | match self.puk_tries {
                Some(0) => CKF_SO_PIN_LOCKED,
                Some(1) => CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_COUNT_LOW,
                Some(2..=9) => CKF_SO_PIN_COUNT_LOW,
                _ => 0,
            }
    }
}

impl Slot {
    /// The slot of `reader`, whose cards come from `backend`.
    pub(crate) fn new(id: CK_SLOT_ID, reader: String, backend: Arc<dyn Backend>, cache: Option<CertCache>) -> Slot {
        Slot {
            id,
            reader,
            attached: AtomicBool::new(true),
            io: Mutex::new(None),
            state: Mutex::new(TokenState::default()),
            backend,
            cache,
        }
    }

    /// Brings the token state up to date with the reader (no APDU) and returns the current
    /// insertion (0: no token).
    pub(crate) fn refresh(&self) -> u64 {
        let status = match self.backend.status(&self.reader) {
            Ok(s) => {
                self.attached.store(true, Ordering::Relaxed);
                Some(s)
            }
            Err(_) => {
                self.attached.store(false, Ordering::Relaxed);
                None
            }
        };
        let mut st = lock(&self.state);
        if st.removed_at_events.is_some() && status.map(|s| s.events) != st.removed_at_events {
            st.removed_at_events = None;
        }
        let present = status.is_some_and(|s| s.present && st.removed_at_events != Some(s.events));
        let same =
            st.insertion != 0 && st.status.is_some_and(|o| o.present && Some(o.events) == status.map(|s| s.events));
        let before = st.insertion;
        if present && !same {
            let insertion = next_insertion();
            tracing::info!("slot {}: card inserted (token {insertion})", self.id);
            st.new_token(insertion);
        } else if !present && st.insertion != 0 {
            tracing::info!("slot {}: card removed", self.id);
            st.new_token(0);
        }
        st.status = status;
        if st.insertion != 0 && st.insertion == before {
            // The card agent that served this token went away (stopped, killed): as if the
            // card had been pulled and put back (DESIGN.md §8). A connection in use is left
            // to its operation, which finds out itself.
            if let Ok(mut io) = self.io.try_lock() {
                if io.as_ref().is_some_and(|c| c.insertion == st.insertion && c.card.is_lost()) {
                    *io = None;
                    let insertion = next_insertion();
                    tracing::info!("slot {}: the card agent went away: token {insertion}", self.id);
                    st.new_token(insertion);
                }
            }
        }
        if st.insertion != before {
            // Drop the old card connection (and the PIN it holds) now if nobody is using it.
            if let Ok(mut io) = self.io.try_lock() {
                if io.as_ref().is_some_and(|c| c.insertion != st.insertion) {
                    *io = None;
                }
            }
        }
        st.insertion
    }

    /// The current insertion as last seen (0: no token), without asking the reader.
    pub(crate) fn insertion(&self) -> u64 {
        lock(&self.state).insertion
    }

    /// A failed card operation showed that the card of `insertion` is gone.
    fn mark_gone(&self, insertion: u64) {
        let mut st = lock(&self.state);
        if st.insertion == insertion && insertion != 0 {
            tracing::info!("slot {}: card removed during an operation", self.id);
            st.removed_at_events = st.status.map(|s| s.events);
            st.new_token(0);
        }
    }

    /// The card agent serving the token of `insertion` went away during an operation: the
    /// token counts as removed and reinserted (its sessions and login end, the next opening
    /// reaches a new agent or runs in this process).
    fn agent_lost(&self, insertion: u64) {
        let mut st = lock(&self.state);
        if st.insertion == insertion && insertion != 0 {
            let next = next_insertion();
            tracing::info!("slot {}: the card agent went away during an operation: token {next}", self.id);
            st.new_token(next);
        }
    }

    /// Ends everything of this slot (`C_Finalize`): closes the card connection, dropping the
    /// PIN and PUK it holds, and forgets the token.
    pub(crate) fn close(&self) {
        lock(&self.io).take();
        lock(&self.state).new_token(0);
    }

    /// Connects to the card of `insertion` and opens a cie-core session (reads the static
    /// data, or takes them from the card-constants cache), or the card agent's client when the
    /// backend is the agent's.
    fn connect(&self, insertion: u64) -> Result<CardConnection> {
        if let Some(opened) = self.backend.open_card(&self.reader) {
            return self.opened(insertion, opened);
        }
        let transport = match self.backend.connect(&self.reader) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!("slot {}: connect: {e}", self.id);
                let err = Error::Transport(e);
                if is_removal(&err) {
                    self.mark_gone(insertion);
                    return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
                }
                return Err(Ckr::from(&err));
            }
        };
        // A card seen before is opened from its stored constants (cie-core checks they fit).
        let known = |sn_icc: &[u8]| self.cache.as_ref().and_then(|c| c.load_constants(sn_icc));
        let opened = CardSession::open_with_constants(Counting::new(transport), known)
            .map(|card| Box::new(card) as Box<dyn CardOps>);
        self.opened(insertion, opened)
    }

    /// The connection to the card of `insertion` once `opened` (or why not).
    fn opened(&self, insertion: u64, opened: std::result::Result<Box<dyn CardOps>, Error>) -> Result<CardConnection> {
        match opened {
            Ok(mut card) => {
                // The token's certificate (read at login or from the cache) gives the session
                // the key that checks every signature, without reading the card again.
                if let Some(objects) = self.objects(insertion) {
                    if let Err(e) = card.use_certificate_key(&objects.certificate_der) {
                        tracing::warn!("slot {}: certificate key unusable: {e}", self.id);
                    }
                }
                Ok(CardConnection { insertion, card, puk: None })
            }
            Err(e) => {
                tracing::info!("slot {}: not usable as a CIE: {e}", self.id);
                if is_removal(&e) {
                    self.mark_gone(insertion);
                    return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
                }
                if matches!(e, Error::NotCie(_) | Error::Malformed(_)) {
                    let mut st = lock(&self.state);
                    if st.insertion == insertion {
                        st.unrecognized = true;
                    }
                    return Err(Ckr(CKR_TOKEN_NOT_RECOGNIZED));
                }
                Err(Ckr::from(&e))
            }
        }
    }

    /// Runs `f` on the card of `insertion` under the slot's I/O lock, connecting first if
    /// needed. Keeps the PIN/PUK tries up to date, stores card constants a secure channel
    /// confirmed, and turns a removal into `CKR_DEVICE_REMOVED` (the token is gone, its
    /// sessions dead).
    pub(crate) fn with_card<R>(
        &self,
        insertion: u64,
        f: impl FnOnce(&mut CardConnection) -> std::result::Result<R, Error>,
    ) -> Result<R> {
        let mut io = lock(&self.io);
        if io.as_ref().map(|c| c.insertion) != Some(insertion) {
            *io = None;
            if self.insertion() != insertion {
                return Err(Ckr(CKR_DEVICE_REMOVED));
            }
            *io = Some(self.connect(insertion)?);
        }
        let Some(conn) = io.as_mut() else {
            return Err(Ckr(CKR_DEVICE_ERROR));
        };
        let result = f(conn);
        // Constants read from the card and confirmed by a secure channel go to the cache.
        if let Some((sn_icc, bytes)) = conn.card.constants_to_store() {
            if let Some(cache) = &self.cache {
                if let Err(e) = cache.store_constants(&sn_icc, &bytes) {
                    tracing::warn!("card constants cache: cannot store: {e}");
                }
            }
        }
        let pin_tries = conn.card.pin_tries_left();
        if let Err(e) = &result {
            tracing::debug!("slot {}: card operation failed: {e}", self.id);
            if conn.card.is_lost() {
                *io = None;
                drop(io);
                self.agent_lost(insertion);
                return Err(Ckr(CKR_DEVICE_REMOVED));
            }
            if is_removal(e) {
                *io = None;
                drop(io);
                self.mark_gone(insertion);
                return Err(Ckr(CKR_DEVICE_REMOVED));
            }
        }
        {
            let mut st = lock(&self.state);
            if st.insertion == insertion {
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

    /// Opens the token if needed (connects and reads the card's static data, or takes them
    /// from the card-constants cache) and returns its insertion and data.
    pub(crate) fn open(&self) -> Result<(u64, Arc<TokenData>)> {
        let insertion = self.refresh();
        let known = || -> Result<Option<Arc<TokenData>>> {
            let st = lock(&self.state);
            if st.insertion != insertion || insertion == 0 {
                return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
            }
            if st.unrecognized {
                return Err(Ckr(CKR_TOKEN_NOT_RECOGNIZED));
            }
            Ok(st.info.clone())
        };
        if let Some(info) = known()? {
            return Ok((insertion, info));
        }
        // No card crypto here: the certificate cache is looked up only when objects are asked
        // for (`Slot::ensure_objects`).
        let info = self.with_card(insertion, |conn| {
            Ok(TokenData { nis: conn.card.nis().to_owned(), manufacturer: conn.card.manufacturer() })
        })?;
        let mut st = lock(&self.state);
        if st.insertion != insertion {
            return Err(Ckr(CKR_TOKEN_NOT_PRESENT));
        }
        if let Some(existing) = &st.info {
            return Ok((insertion, existing.clone()));
        }
        let info = Arc::new(info);
        st.info = Some(info.clone());
        tracing::info!("slot {}: CIE token {insertion} ({})", self.id, info.manufacturer);
        Ok((insertion, info))
    }

    /// Who is logged in to the token of `insertion` (nobody once it is gone).
    pub(crate) fn login_of(&self, insertion: u64) -> Login {
        let st = lock(&self.state);
        if st.insertion == insertion {
            st.login
        } else {
            Login::Nobody
        }
    }

    /// Records who is logged in to the token of `insertion`.
    pub(crate) fn set_login(&self, insertion: u64, login: Login) {
        let mut st = lock(&self.state);
        if st.insertion == insertion {
            st.login = login;
        }
    }

    /// Logs the token of `insertion` out: forgets the PIN and PUK held for it (no APDU).
    pub(crate) fn logout(&self, insertion: u64) {
        self.set_login(insertion, Login::Nobody);
        let mut io = lock(&self.io);
        if let Some(conn) = io.as_mut() {
            if conn.insertion == insertion {
                conn.card.logout();
                conn.puk = None;
            }
        }
    }

    /// The user PIN was refused (`CKR_PIN_INCORRECT`, by the card or before any APDU).
    pub(crate) fn user_pin_rejected(&self, insertion: u64) {
        let mut st = lock(&self.state);
        if st.insertion == insertion {
            st.wrong_pin_entered = true;
        }
    }

    /// The card accepted the user PIN (`C_Login`, the old PIN of `C_SetPIN`).
    pub(crate) fn user_pin_accepted(&self, insertion: u64) {
        let mut st = lock(&self.state);
        if st.insertion == insertion {
            st.wrong_pin_entered = false;
        }
    }

    /// The PUK unblocked the PIN and set a new one (`C_InitPIN`): full PIN tries, and the
    /// card reset the PUK's counter too.
    pub(crate) fn pin_replaced(&self, insertion: u64) {
        let mut st = lock(&self.state);
        if st.insertion == insertion {
            st.pin_tries = Some(3);
            st.puk_tries = None;
            st.wrong_pin_entered = false;
        }
    }

    /// The objects of the token of `insertion`, when they are known.
    pub(crate) fn objects(&self, insertion: u64) -> Option<Arc<ObjectSet>> {
        let st = lock(&self.state);
        if st.insertion == insertion {
            st.objects.clone()
        } else {
            None
        }
    }

    /// Makes the token's objects known when they are asked for: from the certificate cache
    /// (keyed by the card's key-83 signature, the only card crypto outside a login, DESIGN.md
    /// §5), or, for the logged-in user (`user`), by reading the certificate (then cached).
    /// Without either the token shows no objects yet. Only a removal is an error.
    pub(crate) fn ensure_objects(&self, insertion: u64, user: bool) -> Result<()> {
        {
            let st = lock(&self.state);
            if st.insertion != insertion || st.objects.is_some() || (self.cache.is_none() && !user) {
                return Ok(());
            }
        }
        let found = self.with_card(insertion, |conn| {
            let nis = conn.card.nis().to_owned();
            let binding = match &self.cache {
                Some(_) => match conn.card.card_binding_signature() {
                    Ok(b) => Some(b),
                    Err(e) if is_removal(&e) => return Err(e),
                    Err(e) => {
                        tracing::info!("certificate cache unavailable for this card: {e}");
                        None
                    }
                },
                None => None,
            };
            if let (Some(cache), Some(binding)) = (&self.cache, &binding) {
                if let Some(der) = cache.load(&nis, binding) {
                    // The session checks the card's signatures with the cached certificate's key.
                    match conn.card.use_certificate_key(&der) {
                        Ok(()) => return Ok(Some(der)),
                        Err(e) => tracing::warn!("cached certificate unusable: {e}"),
                    }
                }
            }
            if !user {
                return Ok(None);
            }
            match conn.card.certificate() {
                Ok(der) => {
                    if let (Some(cache), Some(binding)) = (&self.cache, &binding) {
                        if let Err(e) = cache.store(&nis, binding, &der) {
                            tracing::warn!("certificate cache: cannot store: {e}");
                        }
                    }
                    Ok(Some(der))
                }
                Err(e) if is_removal(&e) => Err(e),
                Err(e) => {
                    tracing::warn!("certificate unreadable: {e}");
                    Ok(None)
                }
            }
        });
        let der = match found {
            Ok(Some(der)) => der,
            Ok(None) => return Ok(()),
            Err(e) if e.0 == CKR_DEVICE_REMOVED || e.0 == CKR_TOKEN_NOT_PRESENT => return Err(e),
            Err(e) => {
                tracing::debug!("slot {}: objects unavailable: {e}", self.id);
                return Ok(());
            }
        };
        self.set_objects(insertion, &der, false);
        Ok(())
    }

    /// Builds the token's objects from `der`; `replace`: also when objects are known already.
    fn set_objects(&self, insertion: u64, der: &[u8], replace: bool) {
        match ObjectSet::from_certificate(der, insertion) {
            Ok(set) => {
                let mut st = lock(&self.state);
                if st.insertion == insertion && (replace || st.objects.is_none()) {
                    st.objects = Some(Arc::new(set));
                }
            }
            Err(e) => tracing::warn!("slot {}: certificate unusable: {e}", self.id),
        }
    }

    /// The card signs `input` (a DigestInfo, or up to k - 11 bytes) with the holder's key: 3
    /// exchanges after login. cie-core checks every answer against the certificate's key.
    ///
    /// When that key came from the certificate cache and the check fails, the cache entry may
    /// hold another card's certificate: a hostile card can replay this card's key-83 answer
    /// (the entry's key) and leave its own certificate under it (DESIGN.md §5). The certificate
    /// is then read from the card (EF 1003); when it differs from the cached one, the card
    /// signs once more, checked against its own certificate, and when that signature verifies
    /// it is returned and the certificate replaces the token's objects and the cache entry.
    /// A failure with the card's own certificate is the card's (`CKR_DEVICE_ERROR`). Checking
    /// here, on the first failure, rather than at every login keeps `C_Login` at its exchange
    /// count (DESIGN.md §3): the certificate costs a read only when the cache was wrong.
    pub(crate) fn sign(&self, insertion: u64, input: &[u8]) -> Result<Vec<u8>> {
        let cached = self.objects(insertion);
        let mut replaced = None;
        let signature = self.with_card(insertion, |conn| {
            let first = conn.card.sign_digest_info(input);
            // A signature that fails its check with a key the card itself gave is the card's
            // fault; so is anything but a failed check.
            if !matches!(first, Err(Error::CardSignature(_))) || conn.card.has_own_certificate() {
                return first;
            }
            let own = match conn.card.certificate() {
                Ok(der) => der,
                Err(e) if is_removal(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!("slot {}: certificate unreadable after a failed signature check: {e}", self.id);
                    return first;
                }
            };
            if cached.as_ref().is_some_and(|o| o.certificate_der == own) {
                return first;
            }
            tracing::warn!("slot {}: the cached certificate is not this card's; signing with the card's own", self.id);
            let second = conn.card.sign_digest_info(input)?;
            self.store_certificate(conn, &own);
            replaced = Some(own);
            Ok(second)
        });
        if let Some(der) = replaced {
            self.set_objects(insertion, &der, true);
        }
        signature
    }

    /// Replaces the cache entry of the connected card with its own certificate `der`.
    fn store_certificate(&self, conn: &mut CardConnection, der: &[u8]) {
        let Some(cache) = &self.cache else { return };
        let stored = conn
            .card
            .card_binding_signature()
            .map_err(|e| e.to_string())
            .and_then(|binding| cache.store(conn.card.nis(), &binding, der).map_err(|e| e.to_string()));
        match stored {
            Ok(()) => tracing::info!("slot {}: certificate cache entry replaced with the card's certificate", self.id),
            Err(e) => tracing::warn!("certificate cache: cannot replace the entry: {e}"),
        }
    }
}
