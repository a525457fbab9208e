//! The simulated card in a simulated reader, in-process: [`SimHandle`] is the test's remote
//! control (insert, remove, reset, fault injection), [`SimTransport`] one connection to the card
//! implementing [`cie_core::Transport`] like one PC/SC handle would.
//!
//! Semantics (modelled on PC/SC):
//! * a transaction is exclusive: while one connection holds a [`Link`], `transaction()` of any
//!   other connection waits (up to [`TRANSACTION_WAIT`], then [`TransportError::Busy`]);
//! * [`SimHandle::remove`]: every transmit fails with [`TransportError::CardRemoved`];
//!   connections opened before the removal stay dead even after [`SimHandle::insert`] (which
//!   powers the card on: a reset, counters kept); connections opened later work;
//! * [`SimHandle::reset`]: the card is reset now; every existing connection gets
//!   [`TransportError::CardReset`] once (on its next `transaction()` or transmit), then works;
//! * [`SimHandle::remove_before`] / [`SimHandle::reset_before`]: the same, scheduled to happen
//!   just before a given APDU reaches the card (which then never sees that APDU), so a test can
//!   pull or reset the card at every step of an operation.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cie_core::transport::{Link, Transport, TransportError};

use crate::card::{SignFault, SimCard};

/// How long `transaction()` waits for another connection's transaction to end.
pub const TRANSACTION_WAIT: Duration = Duration::from_secs(5);

/// A scheduled fault: applies to the APDU whose 1-based index (over all connections) is `at`.
#[derive(Clone, Copy, Debug)]
struct Fault {
    at: u64,
    kind: FaultKind,
}

#[derive(Clone, Copy, Debug)]
enum FaultKind {
    CorruptMac,
    Status([u8; 2]),
    /// The card leaves the reader before the APDU reaches it.
    Remove,
    /// The card is reset (by another application) before the APDU reaches it.
    Reset,
    /// The card is reset before the APDU reaches it, and no connection is told.
    SilentReset,
}

struct Reader {
    card: SimCard,
    present: bool,
    /// Incremented by every removal: a connection works only while this equals its own value.
    insertion: u64,
    /// Incremented by every [`SimHandle::reset`].
    reset_epoch: u64,
    /// APDUs that reached the reader, over all connections.
    apdus: u64,
    faults: Vec<Fault>,
    /// The connection holding the current transaction.
    owner: Option<u64>,
    /// Connections blocked in `transaction()` right now, waiting for the owner to finish.
    waiting: usize,
    next_connection: u64,
}

struct Shared {
    reader: Mutex<Reader>,
    released: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Reader> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Remote control of one simulated card in its reader. Clones control the same card.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.shared.lock();
        f.debug_struct("SimHandle")
            .field("card", &r.card)
            .field("present", &r.present)
            .field("apdus", &r.apdus)
            .finish()
    }
}

impl SimHandle {
    /// Puts `card` in a simulated reader (inserted and powered on).
    pub fn new(card: SimCard) -> SimHandle {
        SimHandle {
            shared: Arc::new(Shared {
                reader: Mutex::new(Reader {
                    card,
                    present: true,
                    insertion: 0,
                    reset_epoch: 0,
                    apdus: 0,
                    faults: Vec::new(),
                    owner: None,
                    waiting: 0,
                    next_connection: 0,
                }),
                released: Condvar::new(),
            }),
        }
    }

    /// A new connection to the card, like another process opening its own PC/SC handle.
    pub fn connect(&self) -> SimTransport {
        let mut r = self.shared.lock();
        r.next_connection += 1;
        SimTransport {
            shared: self.shared.clone(),
            id: r.next_connection,
            insertion: r.insertion,
            reset_epoch: r.reset_epoch,
        }
    }

    /// Removes the card: transmits fail with `CardRemoved`, and connections opened so far never
    /// work again.
    pub fn remove(&self) {
        let mut r = self.shared.lock();
        if r.present {
            r.present = false;
            r.insertion += 1;
        }
    }

    /// Inserts the card again (power-on reset; PIN/PUK counters are persistent). No effect if
    /// the card is present.
    pub fn insert(&self) {
        let mut r = self.shared.lock();
        if !r.present {
            r.present = true;
            r.card.reset();
        }
    }

    /// Resets the card now, as if another process had reset it: every existing connection gets
    /// `Err(CardReset)` once, on its next `transaction()` or transmit.
    pub fn reset(&self) {
        let mut r = self.shared.lock();
        r.card.reset();
        r.reset_epoch += 1;
    }

    /// The `n`-th APDU from now (1 = the next; 0 counts as 1) gets a secure-messaging response
    /// whose DO8E MAC has one bit flipped. A plain response is left as it is. When that APDU's
    /// response is split with `61 xx`, the MAC is corrupted in the part still to be fetched.
    pub fn corrupt_response_mac_at(&self, n: u64) {
        self.schedule(n, FaultKind::CorruptMac);
    }

    /// The `n`-th APDU from now (1 = the next; 0 counts as 1) is answered with just the status
    /// word `sw` (`[SW1, SW2]`) and is not given to the card at all.
    pub fn answer_status_at(&self, n: u64, sw: [u8; 2]) {
        self.schedule(n, FaultKind::Status(sw));
    }

    /// Every following signature with the holder's key answers as `fault` says
    /// ([`SignFault::None`]: correctly again).
    pub fn set_sign_fault(&self, fault: SignFault) {
        self.shared.lock().card.set_sign_fault(fault);
    }

    /// The card is removed just before the `n`-th APDU from now (1 = the next; 0 counts as 1)
    /// reaches it: that transmit fails with `CardRemoved`, as does everything after it until
    /// [`SimHandle::insert`]. The APDU counts in [`SimHandle::apdus`] but the card never sees it.
    pub fn remove_before(&self, n: u64) {
        self.schedule(n, FaultKind::Remove);
    }

    /// The card is reset, as by another application, just before the `n`-th APDU from now
    /// reaches it: that transmit fails with `CardReset` (the connection works again after it;
    /// other connections get `CardReset` once). The card never sees that APDU.
    pub fn reset_before(&self, n: u64) {
        self.schedule(n, FaultKind::Reset);
    }

    /// The card is reset just before the `n`-th APDU from now (1 = the next; 0 counts as 1)
    /// reaches it, and no connection is told: the card answers that APDU from its state after
    /// power-on. So pcscd may reset a card while cleaning up after a process that died
    /// mid-command, racing the transaction of another handle.
    pub fn reset_silently_before(&self, n: u64) {
        self.schedule(n, FaultKind::SilentReset);
    }

    /// Drops every scheduled fault that has not happened yet.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    fn schedule(&self, n: u64, kind: FaultKind) {
        let mut r = self.shared.lock();
        let at = r.apdus + n.max(1);
        r.faults.push(Fault { at, kind });
    }

    /// Runs `f` on the card (inspect counters, image, ...), under the reader's lock.
    pub fn with_card<R>(&self, f: impl FnOnce(&mut SimCard) -> R) -> R {
        f(&mut self.shared.lock().card)
    }

    /// APDUs that reached the card so far over every connection, including those answered by
    /// an injected status word.
    pub fn apdus(&self) -> u64 {
        self.shared.lock().apdus
    }

    /// Whether the card is in the reader.
    pub fn is_present(&self) -> bool {
        self.shared.lock().present
    }

    /// How many connections are blocked in `transaction()` right now, waiting for another
    /// connection's transaction to end (lets tests observe the exclusion without timing).
    pub fn transactions_waiting(&self) -> usize {
        self.shared.lock().waiting
    }
}

/// One connection to the simulated card (a PC/SC handle); implements [`Transport`].
pub struct SimTransport {
    shared: Arc<Shared>,
    id: u64,
    insertion: u64,
    reset_epoch: u64,
}

impl std::fmt::Debug for SimTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTransport").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SimTransport {
    /// The checks every access makes: card present, connection alive, reset not yet reported.
    fn check(&mut self, r: &mut Reader) -> Result<(), TransportError> {
        if !r.present || r.insertion != self.insertion {
            return Err(TransportError::CardRemoved);
        }
        if r.reset_epoch != self.reset_epoch {
            self.reset_epoch = r.reset_epoch;
            return Err(TransportError::CardReset);
        }
        Ok(())
    }
}

impl Transport for SimTransport {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let shared = self.shared.clone();
        let deadline = Instant::now() + TRANSACTION_WAIT;
        let mut r = shared.lock();
        loop {
            self.check(&mut r)?;
            match r.owner {
                None => break,
                Some(owner) if owner == self.id => break,
                Some(_) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(TransportError::Busy);
                    }
                    r.waiting += 1;
                    r = shared.released.wait_timeout(r, left).unwrap_or_else(|e| e.into_inner()).0;
                    r.waiting -= 1;
                }
            }
        }
        r.owner = Some(self.id);
        drop(r);
        Ok(Box::new(SimLink { transport: self }))
    }

    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        let r = self.shared.lock();
        if !r.present || r.insertion != self.insertion {
            return Err(TransportError::CardRemoved);
        }
        Ok(r.card.atr().to_vec())
    }

    fn name(&self) -> String {
        format!("cie-sim ({})", self.shared.lock().card.profile().name())
    }
}

/// An exclusive transaction on a [`SimTransport`]; dropping it ends the transaction.
struct SimLink<'a> {
    transport: &'a mut SimTransport,
}

impl Link for SimLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let shared = self.transport.shared.clone();
        let mut r = shared.lock();
        self.transport.check(&mut r)?;
        r.apdus += 1;
        let now = r.apdus;
        let mut corrupt = false;
        let mut status = None;
        let (mut remove, mut reset, mut silent_reset) = (false, false, false);
        r.faults.retain(|f| {
            if f.at != now {
                return true;
            }
            match f.kind {
                FaultKind::CorruptMac => corrupt = true,
                FaultKind::Status(sw) => status = Some(sw),
                FaultKind::Remove => remove = true,
                FaultKind::Reset => reset = true,
                FaultKind::SilentReset => silent_reset = true,
            }
            false
        });
        if remove {
            r.present = false;
            r.insertion += 1;
            return Err(TransportError::CardRemoved);
        }
        if reset {
            r.card.reset();
            r.reset_epoch += 1;
            self.transport.reset_epoch = r.reset_epoch;
            return Err(TransportError::CardReset);
        }
        if silent_reset {
            r.card.reset();
        }
        if let Some(sw) = status {
            return Ok(sw.to_vec());
        }
        Ok(r.card.process_with_fault(command, corrupt))
    }
}

impl Drop for SimLink<'_> {
    fn drop(&mut self) {
        let mut r = self.transport.shared.lock();
        if r.owner == Some(self.transport.id) {
            r.owner = None;
        }
        drop(r);
        self.transport.shared.released.notify_all();
    }
}
