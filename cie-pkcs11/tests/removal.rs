//! The built `libcie_pkcs11.so` (loaded with the `cryptoki` crate) when the card or pcscd goes
//! away in the middle of `C_Sign`, through a real pcscd with the simulated card: the answer is
//! `CKR_DEVICE_REMOVED` or `CKR_TOKEN_NOT_PRESENT`, never `CKR_DEVICE_ERROR` or
//! `CKR_GENERAL_ERROR`.

mod common;

use std::time::Duration;

use cie_sim::fixtures;
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

fn load() -> Pkcs11 {
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let p11 = Pkcs11::new(module_path()).unwrap();
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    p11
}

/// The slot holding the card, waiting up to 10 s for it (after a reinsertion).
fn card_slot(p11: &Pkcs11) -> Slot {
    for _ in 0..100 {
        if let Some(slot) = p11.get_slots_with_token().unwrap().first() {
            return *slot;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no slot with a token");
}

/// Signs in a loop until the first error; returns its code and the signatures made before it.
fn sign_until_failure(p11: &Pkcs11, slot: Slot) -> std::thread::JoinHandle<(usize, RvError)> {
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(fixtures::TEST_PIN.into()))).unwrap();
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    std::thread::spawn(move || {
        let mut n = 0;
        loop {
            match s.sign(&Mechanism::Sha256RsaPkcs, key, b"removal") {
                Ok(_) => n += 1,
                Err(Error::Pkcs11(rv, _)) => {
                    // The session handle may be gone with the token: do not close it again.
                    std::mem::forget(s);
                    return (n, rv);
                }
                Err(e) => panic!("{e}"),
            }
        }
    })
}

/// The card pulled 0 and 100 ms into a loop of C_Sign calls, 20 runs each.
#[test]
fn removal_during_c_sign() {
    let _serial = serial();
    let mut stack = start_stack();
    let p11 = load();
    for delay_ms in [0u64, 100] {
        for run in 0..20 {
            let slot = card_slot(&p11);
            let signer = sign_until_failure(&p11, slot);
            std::thread::sleep(Duration::from_millis(delay_ms));
            stack.remove_card().unwrap();
            let (n, rv) = signer.join().unwrap();
            assert!(
                matches!(rv, RvError::DeviceRemoved | RvError::TokenNotPresent),
                "delay {delay_ms} ms, run {run}, after {n} signatures: {rv:?}"
            );
            stack.insert_card().unwrap();
        }
    }
    p11.finalize().unwrap();
}

/// pcscd killed during C_Sign: the token is unreachable (`CKR_DEVICE_REMOVED`), and the slot
/// shows no token afterwards.
#[test]
fn pcscd_killed_during_c_sign() {
    let _serial = serial();
    let mut stack = start_stack();
    let p11 = load();
    let slot = card_slot(&p11);
    let signer = sign_until_failure(&p11, slot);
    std::thread::sleep(Duration::from_millis(50));
    stack.kill_pcscd();
    let (n, rv) = signer.join().unwrap();
    assert!(matches!(rv, RvError::DeviceRemoved | RvError::TokenNotPresent), "after {n} signatures: {rv:?}");
    assert!(p11.get_slots_with_token().unwrap_or_default().is_empty());
    p11.finalize().unwrap();
}
