//! The PIN flags of `C_GetTokenInfo` (`CKF_USER_PIN_COUNT_LOW`, `_FINAL_TRY`, `_LOCKED`)
//! after 0, 1, 2 and 3 wrong PINs, through the C entry points of the built `libcie_pkcs11.so`
//! against the simulated card behind pcscd; after each step the card's own counter is read
//! beside the module with cie-core's GET DATA of the PIN's CHV object (PROTOCOL.md §6), and
//! the two must agree. That reading opens a secure channel of its own, which ends the module's
//! on the card, so it resets the card afterwards, as an application that is done with the card
//! may: the module sees the reset and opens a new channel before its next PIN. Then `C_SetPIN` with a wrong old PIN spends one try (the VERIFY before
//! CHANGE REFERENCE DATA) and shows it, and with the right one changes the PIN. The same steps
//! run once more with `cie agent` running (the module's PIN commands, SO login, `C_InitPIN` and
//! `C_SetPIN` through the agent), with the same flags and counters.

mod common;

use std::ptr::null_mut;

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::{PinStatus, Session};
use cie_sim::fixtures;
use common::*;
use cryptoki_sys::*;

const PIN_FLAGS: CK_FLAGS = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;

fn flags(lib: &Pkcs11, slot: CK_SLOT_ID) -> CK_FLAGS {
    let mut info = CK_TOKEN_INFO::default();
    assert_eq!(unsafe { lib.C_GetTokenInfo(slot, &mut info) }, CKR_OK);
    info.flags & PIN_FLAGS
}

unsafe fn login(lib: &Pkcs11, s: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> CK_RV {
    // SAFETY: the PIN has the stated length.
    unsafe { lib.C_Login(s, user, pin.as_ptr() as *mut u8, pin.len() as CK_ULONG) }
}

unsafe fn set_pin(lib: &Pkcs11, s: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> CK_RV {
    // SAFETY: both PINs have the stated lengths.
    unsafe {
        lib.C_SetPIN(s, old.as_ptr() as *mut u8, old.len() as CK_ULONG, new.as_ptr() as *mut u8, new.len() as CK_ULONG)
    }
}

/// The card's PIN counter as GET DATA gives it, asked by a session of its own; then the card
/// is reset (the pcsc crate's handle resets it when dropped).
fn card_says(reader: &str) -> PinStatus {
    let mut s = Session::open(PcscTransport::connect(reader).unwrap()).unwrap();
    let status = s.pin_status().unwrap();
    drop(s);
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = std::ffi::CString::new(reader).unwrap();
    drop(ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY).unwrap());
    status
}

#[test]
fn pin_flags_follow_the_cards_counter() {
    let _serial = serial();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let stack = start_stack();
    steps(&stack, None);
}

#[test]
fn pin_flags_follow_the_cards_counter_through_the_agent() {
    let _serial = serial();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let stack = start_stack();
    let run = agent::runtime_dir("pin-flags");
    let _agent = agent::start_agent(&stack, &run);
    steps(&stack, Some(&run));
    let _ = std::fs::remove_dir_all(&run);
}

/// The steps of the module's doc, with the module reaching the agent of `run` when given
/// (checked: the user's login shows in the agent's status).
fn steps(stack: &cie_sim::stack::VirtualStack, run: Option<&std::path::Path>) {
    match run {
        Some(run) => std::env::set_var("XDG_RUNTIME_DIR", run),
        None => std::env::remove_var("XDG_RUNTIME_DIR"),
    }
    let reader = stack.reader_name().to_owned();
    let lib = unsafe { Pkcs11::new(module_path()) }.unwrap();
    unsafe {
        assert_eq!(lib.C_Initialize(null_mut()), CKR_OK);
        let mut slots = [0; 4];
        let mut n = 4;
        assert_eq!(lib.C_GetSlotList(CK_TRUE, slots.as_mut_ptr(), &mut n), CKR_OK);
        assert_eq!(n, 1);
        let slot = slots[0];
        let mut s = 0;
        assert_eq!(lib.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null_mut(), None, &mut s), CKR_OK);

        let wrong = b"00000000";
        let steps = [
            (0, 0),
            (1, CKF_USER_PIN_COUNT_LOW),
            (2, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY),
            (3, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_LOCKED),
        ];
        for (spent, expected) in steps {
            assert_eq!(flags(&lib, slot), expected, "after {spent} wrong PINs");
            let card = if spent == 3 { PinStatus::Blocked } else { PinStatus::TriesLeft(3 - spent) };
            assert_eq!(card_says(&reader), card, "after {spent} wrong PINs");
            if spent < 3 {
                let rv = login(&lib, s, CKU_USER, wrong);
                assert_eq!(rv, if spent == 2 { CKR_PIN_LOCKED } else { CKR_PIN_INCORRECT }, "wrong PIN {}", spent + 1);
            }
        }
        assert_eq!(login(&lib, s, CKU_USER, fixtures::TEST_PIN.as_bytes()), CKR_PIN_LOCKED, "even the right PIN");

        // The PUK unblocks it with a new PIN: full counter, no flag.
        assert_eq!(login(&lib, s, CKU_SO, fixtures::TEST_PUK.as_bytes()), CKR_OK);
        let first = b"11112222";
        assert_eq!(lib.C_InitPIN(s, first.as_ptr() as *mut u8, 8), CKR_OK);
        assert_eq!(lib.C_Logout(s), CKR_OK);
        assert_eq!(flags(&lib, slot), 0);
        assert_eq!(card_says(&reader), PinStatus::TriesLeft(3));

        // C_SetPIN with a wrong old PIN: one try spent (the VERIFY), shown by both.
        assert_eq!(set_pin(&lib, s, wrong, b"33334444"), CKR_PIN_INCORRECT);
        assert_eq!(flags(&lib, slot), CKF_USER_PIN_COUNT_LOW);
        assert_eq!(card_says(&reader), PinStatus::TriesLeft(2));
        // With the right one: changed, the counter full again.
        assert_eq!(set_pin(&lib, s, first, b"33334444"), CKR_OK);
        assert_eq!(flags(&lib, slot), 0);
        assert_eq!(card_says(&reader), PinStatus::TriesLeft(3));
        assert_eq!(login(&lib, s, CKU_USER, first), CKR_PIN_INCORRECT);
        assert_eq!(login(&lib, s, CKU_USER, b"33334444"), CKR_OK);
        assert_eq!(flags(&lib, slot), 0);
        if let Some(run) = run {
            let status = cie_agent::AgentClient::connect_to(&agent::socket(run)).unwrap().status().unwrap();
            assert_eq!(status.cards.iter().map(|c| c.logged_in_clients).sum::<u32>(), 1, "{status:?}");
        }
        assert_eq!(lib.C_Finalize(null_mut()), CKR_OK);
    }
}
