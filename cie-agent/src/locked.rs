//! The one PIN the agent holds per card for channel recovery (DESIGN.md §3, §8): on the heap,
//! locked against swapping (`mlock`), zeroized before it is unlocked and freed. When the page
//! cannot be locked no PIN is kept at all.

use cie_core::pin::Pin;
use zeroize::Zeroize;

/// A PIN in locked memory.
pub(crate) struct LockedPin {
    pin: Box<Pin>,
}

impl LockedPin {
    /// A locked copy of `pin`, or `None` when the memory cannot be locked (`RLIMIT_MEMLOCK`):
    /// the caller then keeps no PIN.
    pub(crate) fn new(pin: &Pin) -> Option<LockedPin> {
        let mut boxed = Box::new(pin.clone());
        let ptr = (&mut *boxed as *mut Pin).cast::<libc::c_void>();
        // SAFETY: `ptr` points to a live allocation of `size_of::<Pin>()` bytes owned by
        // `boxed`; mlock only changes the paging of the pages holding it.
        let rc = unsafe { libc::mlock(ptr, size_of::<Pin>()) };
        if rc != 0 {
            tracing::warn!(target: "cie::agent", "mlock failed ({}): no PIN is kept for channel recovery", std::io::Error::last_os_error());
            boxed.zeroize();
            return None;
        }
        Some(LockedPin { pin: boxed })
    }

    /// The PIN.
    pub(crate) fn pin(&self) -> &Pin {
        &self.pin
    }
}

impl Drop for LockedPin {
    fn drop(&mut self) {
        self.pin.zeroize();
        let ptr = (&mut *self.pin as *mut Pin).cast::<libc::c_void>();
        // SAFETY: the same live allocation that `new` locked.
        unsafe {
            libc::munlock(ptr, size_of::<Pin>());
        }
    }
}

impl std::fmt::Debug for LockedPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockedPin(********)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_pin_is_the_pin() {
        let pin = Pin::new("12345678").unwrap();
        // Root and ordinary users alike may lock a few bytes (RLIMIT_MEMLOCK is 64 KiB or more).
        let locked = LockedPin::new(&pin).expect("mlock of one PIN");
        assert!(locked.pin() == &pin);
        assert_eq!(format!("{locked:?}"), "LockedPin(********)");
    }
}
