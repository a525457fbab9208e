//! The built `libcie_pkcs11.so` through a real pcscd with the card pulled before every APDU of
//! `C_Login`, of the first `C_Sign` after login and of a later one: the simulator leaves the
//! i-th APDU unanswered and drops its vpcd connection, as a card pulled while the reader sends
//! a command (`VirtualStack::remove_card_before_apdu`). Each case must return a removal code
//! (`CKR_DEVICE_REMOVED`, `CKR_TOKEN_NOT_PRESENT`, `CKR_SESSION_HANDLE_INVALID`) without
//! hanging, the card's PIN counter (reported by the simulator at the removal) must be intact,
//! the old session must be dead and, after reinsertion, a new session must log in and sign.
//! A reset by another application cannot land inside the module's PC/SC transaction (pcscd
//! makes it wait for the transaction's end): here another application resets the card before
//! each of those operations and the module must recover transparently; the reset at every APDU
//! is covered in-process (tests/faults.rs), and resets racing with signatures by the soak
//! (`cargo xtask soak`).

mod common;

use std::time::{Duration, Instant};

use cie_core::sign::HashAlg;
use cie_sim::fixtures;
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

const DATA: &[u8] = b"signed through pcscd while the card is pulled";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Login,
    FirstSign,
    LaterSign,
}

const STEPS: [Step; 3] = [Step::Login, Step::FirstSign, Step::LaterSign];

fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}

/// Polls `found` every 50 ms until it gives a value; panics with `what` after 10 s.
fn wait_until<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The slot with the card, waiting (up to 10 s) until pcscd shows it.
fn card_slot(p11: &Pkcs11) -> Slot {
    wait_until("the card did not come back", || p11.get_slots_with_token().unwrap().first().copied())
}

fn login(s: &Session) -> Result<(), RvError> {
    s.login(UserType::User, Some(&AuthPin::new(fixtures::TEST_PIN.into()))).map_err(rv)
}

fn private_key(s: &Session) -> ObjectHandle {
    s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0]
}

fn sign(s: &Session, key: ObjectHandle) -> Result<Vec<u8>, RvError> {
    s.sign(&Mechanism::Sha256RsaPkcs, key, DATA).map_err(rv)
}

fn check(sig: &[u8]) {
    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, DATA), sig);
}

/// A session on the card's slot, ready for `step`: logged in with the private key found for a
/// signature, and one signature made already before a later one.
fn ready_for(p11: &Pkcs11, step: Step) -> (Slot, Session, Option<ObjectHandle>) {
    let slot = card_slot(p11);
    let s = p11.open_ro_session(slot).unwrap();
    let mut key = None;
    if step != Step::Login {
        login(&s).unwrap();
        key = Some(private_key(&s));
    }
    if step == Step::LaterSign {
        check(&sign(&s, key.unwrap()).unwrap());
    }
    (slot, s, key)
}

/// One case; returns whether the card was pulled.
fn case(p11: &Pkcs11, stack: &mut cie_sim::stack::VirtualStack, step: Step, i: u64) -> bool {
    if step == Step::Login {
        // A cold login: a new initialisation knows nothing of the card (no certificate cache),
        // so C_Login also reads the certificate.
        p11.clone().finalize().unwrap();
        p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    }
    let (slot, s, key) = ready_for(p11, step);
    let removals = stack.removals();
    stack.remove_card_before_apdu(i).unwrap();
    let started = Instant::now();
    let result = match step {
        Step::Login => login(&s).map(|()| None),
        _ => sign(&s, key.unwrap()).map(Some),
    };
    let what = format!("{step:?}, card pulled before APDU {i}: {:?}", result.as_ref().map(|_| ()));
    assert!(started.elapsed() < Duration::from_secs(30), "{what}: took {:?}", started.elapsed());
    let Err(e) = result else {
        // The operation needed fewer APDUs: nothing was pulled.
        stack.cancel_scheduled_removal().unwrap();
        assert_eq!(stack.removals(), removals, "{what}");
        if let Ok(Some(sig)) = &result {
            check(sig);
        }
        drop(s);
        return false;
    };
    assert!(
        matches!(e, RvError::DeviceRemoved | RvError::TokenNotPresent | RvError::SessionHandleInvalid),
        "{what}: {e:?}"
    );
    stack.wait_removed(removals).unwrap_or_else(|err| panic!("{what}: {err}"));
    assert_eq!(stack.pin_tries_at_last_removal(), Some(3), "{what}: the PIN counter is intact");
    // pcscd notices the empty reader at its next poll; the old session is dead.
    wait_until(&format!("{what}: pcscd did not notice the removal"), || {
        (!p11.get_slot_info(slot).unwrap().token_present()).then_some(())
    });
    let dead = s.get_session_info().map(|_| ()).map_err(rv);
    assert!(matches!(dead, Err(RvError::DeviceRemoved | RvError::SessionHandleInvalid)), "{what}: {dead:?}");
    drop(s);
    stack.insert_card().unwrap();
    let slot = card_slot(p11);
    let s = p11.open_ro_session(slot).unwrap();
    login(&s).unwrap_or_else(|e| panic!("{what}: login after reinsertion: {e:?}"));
    check(&sign(&s, private_key(&s)).unwrap_or_else(|e| panic!("{what}: signature after reinsertion: {e:?}")));
    drop(s);
    true
}

/// Another application resets the card (`SCardDisconnect` with `SCARD_RESET_CARD`).
fn reset_by_another_application(reader: &str) {
    use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
    let ctx = Context::establish(Scope::User).unwrap();
    let name = std::ffi::CString::new(reader).unwrap();
    let card = ctx.connect(&name, ShareMode::Shared, Protocols::ANY).unwrap();
    card.disconnect(Disposition::ResetCard).map_err(|(_, e)| e).unwrap();
}

/// The card reset by another application just before `step`: recovered transparently.
fn reset_case(p11: &Pkcs11, reader: &str, step: Step) {
    let (slot, s, key) = ready_for(p11, step);
    reset_by_another_application(reader);
    match step {
        Step::Login => {
            login(&s).unwrap_or_else(|e| panic!("login after a reset: {e:?}"));
            check(&sign(&s, private_key(&s)).unwrap());
        }
        _ => check(&sign(&s, key.unwrap()).unwrap_or_else(|e| panic!("{step:?} after a reset: {e:?}"))),
    }
    let info = p11.get_token_info(slot).unwrap();
    assert!(!info.user_pin_count_low() && !info.user_pin_locked(), "{step:?}: no try spent");
}

#[test]
fn card_pulled_before_every_apdu_of_login_and_sign_through_pcscd() {
    let _serial = serial();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let mut stack = start_stack();
    let p11 = Pkcs11::new(module_path()).unwrap();
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    let mut total = 0;
    for step in STEPS {
        let mut i = 1;
        while case(&p11, &mut stack, step, i) {
            i += 1;
        }
        eprintln!("{step:?}: card pulled before each of its {} APDUs", i - 1);
        assert!(i > 2, "{step:?} sends APDUs");
        total += i - 1;
    }
    eprintln!("through pcscd: {total} removal cases");
    for step in STEPS {
        reset_case(&p11, stack.reader_name(), step);
    }
    eprintln!("through pcscd: 3 cases of a reset by another application before an operation");
    p11.finalize().unwrap();
}
