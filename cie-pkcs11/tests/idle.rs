//! No idle work (issue 13): a process that has loaded and initialised `libcie_pkcs11.so`
//! (real pcscd + vpcd + simulated card), with no card and with a card, idle or with a thread
//! blocked in `C_WaitForSlotEvent`, uses no CPU: no polling thread, no timer. This measures
//! zero work (the process's CPU time from `getrusage` over 10 s of idleness), not speed.
//! One test alone in its binary, so no other test's work is counted.

mod common;

use std::thread::JoinHandle;
use std::time::Duration;

use cie_sim::fixtures;
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::Error;
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

/// How long each idle window lasts.
const IDLE: Duration = Duration::from_secs(10);
/// Well under "a few milliseconds": zero work measures about 40 µs here, while waking once a
/// second for a PC/SC round trip (as the module did before issue 13) measured 1.5 to 2.3 ms.
const BUDGET: Duration = Duration::from_millis(1);

/// The CPU the process uses while this thread sleeps through the idle window.
fn idle_cpu(what: &str) -> Duration {
    let before = process_cpu();
    std::thread::sleep(IDLE);
    let used = process_cpu().saturating_sub(before);
    eprintln!("idle CPU over {IDLE:?}, {what}: {used:?}");
    used
}

fn waiter(p11: &Pkcs11) -> JoinHandle<Result<Slot, Error>> {
    let p11 = p11.clone();
    std::thread::spawn(move || p11.wait_for_slot_event())
}

#[test]
fn an_initialised_module_uses_no_cpu_when_idle() {
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let mut stack = start_stack();
    stack.remove_card().unwrap();
    let p11 = Pkcs11::new(module_path()).unwrap();
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    let slot = p11.get_all_slots().unwrap()[0];
    assert!(p11.get_slots_with_token().unwrap().is_empty(), "no card yet");

    // No card: simply idle, then with a thread blocked in C_WaitForSlotEvent.
    let no_card = idle_cpu("no card, idle");
    let blocked = waiter(&p11);
    std::thread::sleep(Duration::from_millis(200));
    let no_card_waiting = idle_cpu("no card, a thread in C_WaitForSlotEvent");
    assert!(!blocked.is_finished(), "nothing happened: still blocked");
    stack.insert_card().unwrap();
    assert_eq!(blocked.join().unwrap().unwrap(), slot, "the insertion wakes it");

    // A card, its token opened and logged in, a session kept open.
    let session = p11.open_ro_session(slot).unwrap();
    session.login(UserType::User, Some(&AuthPin::new(fixtures::TEST_PIN.into()))).unwrap();
    assert_eq!(p11.get_token_info(slot).unwrap().serial_number(), fixtures::TEST_NIS);
    let card = idle_cpu("card, logged in, idle");
    let blocked = waiter(&p11);
    std::thread::sleep(Duration::from_millis(200));
    let card_waiting = idle_cpu("card, logged in, a thread in C_WaitForSlotEvent");
    assert!(!blocked.is_finished(), "nothing happened: still blocked");
    drop(session);
    p11.finalize().unwrap();
    assert!(blocked.join().unwrap().is_err(), "C_Finalize wakes the waiter");

    for (what, used) in [
        ("no card, idle", no_card),
        ("no card, waiting", no_card_waiting),
        ("card, idle", card),
        ("card, waiting", card_waiting),
    ] {
        assert!(used < BUDGET, "{what}: {used:?} of CPU in {IDLE:?} of idleness");
    }
}
