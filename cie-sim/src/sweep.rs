//! Fault sweeps: one operation run again and again with the card pulled, or reset by another
//! application, before its 1st, 2nd, ... APDU, until the fault no longer falls inside the
//! operation (the fault tests of the PKCS#11 module and of the C ABI).

use std::sync::mpsc;
use std::time::Duration;

use crate::SimHandle;

/// What happens to the card just before the chosen APDU reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The card is pulled ([`SimHandle::remove_before`]).
    Remove,
    /// The card is reset by another application ([`SimHandle::reset_before`]).
    Reset,
}

impl Fault {
    /// Every fault, in sweep order.
    pub const ALL: [Fault; 2] = [Fault::Remove, Fault::Reset];

    /// Schedules this fault on `handle` just before the `n`-th APDU from now.
    pub fn before(self, handle: &SimHandle, n: u64) {
        match self {
            Fault::Remove => handle.remove_before(n),
            Fault::Reset => handle.reset_before(n),
        }
    }
}

/// How long one sweep may take before it counts as hung.
pub const SWEEP_DEADLINE: Duration = Duration::from_secs(600);

/// Runs `case(1)`, `case(2)`, ... in a thread until the first case whose fault did not happen
/// (`case(i)` injects its fault before the operation's `i`-th APDU and says whether the
/// operation reached it), and returns the number of cases in which it happened. Panics, with
/// `label` in the message, when a case panics or the sweep outlasts [`SWEEP_DEADLINE`] (a
/// hang), or when the operation sent fewer than two APDUs.
pub fn sweep(label: &str, case: impl Fn(u64) -> bool + Send + 'static) -> u64 {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut i = 1;
        while case(i) {
            i += 1;
        }
        let _ = tx.send(i - 1);
    });
    let fired = rx.recv_timeout(SWEEP_DEADLINE).unwrap_or_else(|_| panic!("{label}: a case hung or panicked"));
    eprintln!("{label}: before each of {fired} APDUs");
    assert!(fired > 1, "{label}: the operation sends APDUs");
    fired
}
