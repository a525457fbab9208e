//! A PIN or PUK as the card keeps it (PROTOCOL.md §6): the value, in zeroizing storage, and
//! its retry counter, both persistent across resets and removals.

use zeroize::Zeroizing;

use super::crypto::ct_eq;
use super::sw::StatusWord;

/// PIN tries (§6).
pub(super) const PIN_TRIES: u8 = 3;
/// PUK tries (§6).
pub(super) const PUK_TRIES: u8 = 10;
/// A persistent reference datum (PIN or PUK) with its retry counter.
#[derive(Clone)]
pub(super) struct Secret {
    value: Zeroizing<Vec<u8>>,
    /// Tries left (0: blocked).
    pub(super) tries: u8,
    max: u8,
}

impl Secret {
    /// A reference datum holding `value`, with `max` tries left.
    pub(super) fn new(value: &[u8], max: u8) -> Self {
        Secret { value: Zeroizing::new(value.to_vec()), tries: max, max }
    }

    /// Compares `candidate` and updates the counter: `Ok` resets it, a mismatch spends one try
    /// and returns `63 Cx`; a blocked reference returns `69 83` without comparing.
    pub(super) fn check(&mut self, candidate: &[u8]) -> Result<(), StatusWord> {
        if self.tries == 0 {
            return Err(StatusWord::AUTH_METHOD_BLOCKED);
        }
        if ct_eq(&self.value, candidate) {
            self.tries = self.max;
            Ok(())
        } else {
            self.tries -= 1;
            Err(StatusWord::tries_left(self.tries))
        }
    }

    /// A new value, with the counter full again (CHANGE REFERENCE DATA, RESET RETRY COUNTER).
    pub(super) fn set(&mut self, value: &[u8]) {
        self.value = Zeroizing::new(value.to_vec());
        self.tries = self.max;
    }

    /// The counter when full.
    pub(super) fn max(&self) -> u8 {
        self.max
    }

    /// The counter full again, the value kept (RESET RETRY COUNTER `P1 = 03`).
    pub(super) fn unblock(&mut self) {
        self.tries = self.max;
    }
}
