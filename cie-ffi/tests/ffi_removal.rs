//! The C entry points when the card or pcscd goes away during a signature, through pcscd with
//! the virtual card: `CIE_ERR_CARD_REMOVED` and `CIE_ERR_SERVICE_UNAVAILABLE`, never
//! `CIE_ERR_GENERIC` with a transport message.

mod common;

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};
use std::time::Duration;

use cie::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(cie_last_error()) }.to_string_lossy().into_owned()
}

/// A handle with the PIN verified; the raw pointer travels to the signing thread as usize.
fn open_logged_in() -> usize {
    let mut card = null_mut();
    assert_eq!(unsafe { cie_card_open(null(), &mut card) }, CIE_OK, "{}", last_error());
    let pin = CString::new(cie_sim::fixtures::TEST_PIN).unwrap();
    assert_eq!(unsafe { cie_card_verify_pin(card, pin.as_ptr(), null_mut()) }, CIE_OK);
    card as usize
}

/// Signs until a call fails; returns its status and message. The handle is freed.
fn sign_until_failure(card: usize) -> std::thread::JoinHandle<(cie_status, String)> {
    std::thread::spawn(move || {
        let card = card as *mut cie_card;
        let mut sig = [0u8; 256];
        loop {
            let mut len = sig.len();
            let st = unsafe { cie_card_sign(card, CIE_HASH_SHA256, b"x".as_ptr(), 1, sig.as_mut_ptr(), &mut len) };
            if st != CIE_OK {
                let message = last_error();
                unsafe { cie_card_free(card) };
                return (st, message);
            }
        }
    })
}

#[test]
fn removal_and_service_loss_during_signatures() {
    let mut stack = common::stack();
    stack.export_socket_env();
    for (run, delay_ms) in [0u64, 30, 80, 150, 0, 30, 80, 150, 0, 30].into_iter().enumerate() {
        let signer = sign_until_failure(open_logged_in());
        std::thread::sleep(Duration::from_millis(delay_ms));
        stack.remove_card().unwrap();
        let (st, message) = signer.join().unwrap();
        assert_eq!(st, CIE_ERR_CARD_REMOVED, "run {run}: {message}");
        assert!(message.contains("the card was removed") && !message.contains("transport failure"), "{message}");
        stack.insert_card().unwrap();
    }

    // pcscd stops in the middle: the service is unavailable, for the handle and for listing.
    let signer = sign_until_failure(open_logged_in());
    std::thread::sleep(Duration::from_millis(50));
    stack.kill_pcscd();
    let (st, message) = signer.join().unwrap();
    assert_eq!(st, CIE_ERR_SERVICE_UNAVAILABLE, "{message}");
    assert!(message.contains("pcscd"), "{message}");
    let mut list = null_mut();
    assert_eq!(unsafe { cie_readers_list(&mut list) }, CIE_ERR_SERVICE_UNAVAILABLE);
    assert!(list.is_null());
    let mut waiter = null_mut();
    assert_eq!(unsafe { cie_waiter_new(&mut waiter) }, CIE_ERR_SERVICE_UNAVAILABLE);
    assert_eq!(
        unsafe { CStr::from_ptr(cie_status_string(CIE_ERR_SERVICE_UNAVAILABLE)) }.to_str().unwrap(),
        "the PC/SC service (pcscd) is unavailable"
    );
}
