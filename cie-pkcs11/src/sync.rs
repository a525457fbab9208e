//! The one lock policy of the module: a poisoned lock is taken back and its poison cleared
//! (DESIGN.md §2, "Mutex poisoning: one policy, recover"). Every entry point catches panics and
//! reports them to its caller, so a panic in one call must not wedge the next, unrelated one;
//! what the locks guard (slots, sessions, the backend) cannot be left dangerous by a half-done
//! call.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering it from poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| {
        m.clear_poison();
        poisoned.into_inner()
    })
}

/// Waits on `cv` with `guard` held by [`lock`], recovering the lock from poisoning.
#[cfg(any(test, feature = "test-backend"))]
pub(crate) fn wait<'a, T>(cv: &std::sync::Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_recovered_and_cleared() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _guard = m2.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert!(!m.is_poisoned());
        assert_eq!(*lock(&m), 2);
    }
}
