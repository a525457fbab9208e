//! The C entry points over the real PC/SC path (pcscd + vpcd + the virtual card): reader
//! listing, opening by name and "first CIE", and the no-card and removal codes.

mod common;

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

use cie::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(cie_last_error()) }.to_string_lossy().into_owned()
}

#[test]
fn open_sign_remove_through_pcscd() {
    let mut stack = common::stack();
    stack.export_socket_env();

    // Readers: both vpcd slots, the card in the first.
    let mut list = null_mut();
    assert_eq!(unsafe { cie_readers_list(&mut list) }, CIE_OK, "{}", last_error());
    let names: Vec<String> = (0..unsafe { cie_reader_list_count(list) })
        .map(|i| unsafe { CStr::from_ptr(cie_reader_list_name(list, i)) }.to_string_lossy().into_owned())
        .collect();
    unsafe { cie_reader_list_free(list) };
    assert!(names.iter().any(|n| n == stack.reader_name()), "{names:?}");

    // The empty reader: no card.
    let empty = CString::new("Virtual PCD 00 01").unwrap();
    let mut card = null_mut();
    assert_eq!(unsafe { cie_card_open(empty.as_ptr(), &mut card) }, CIE_ERR_NO_CARD);
    assert!(card.is_null());
    let unknown = CString::new("No Such Reader 00 00").unwrap();
    assert_eq!(unsafe { cie_card_open(unknown.as_ptr(), &mut card) }, CIE_ERR_NO_READER);

    // NULL = the first reader holding a CIE.
    assert_eq!(unsafe { cie_card_open(null(), &mut card) }, CIE_OK, "{}", last_error());
    let mut buf = [0u8; 64];
    let mut len = buf.len();
    assert_eq!(unsafe { cie_card_reader(card, buf.as_mut_ptr().cast(), &mut len) }, CIE_OK);
    assert_eq!(CStr::from_bytes_with_nul(&buf[..len]).unwrap().to_str().unwrap(), stack.reader_name());
    let mut len = buf.len();
    assert_eq!(unsafe { cie_card_nis(card, buf.as_mut_ptr().cast(), &mut len) }, CIE_OK);
    assert_eq!(CStr::from_bytes_with_nul(&buf[..len]).unwrap().to_str().unwrap(), cie_sim::fixtures::TEST_NIS);

    let pin = CString::new(cie_sim::fixtures::TEST_PIN).unwrap();
    let mut tries = -9;
    assert_eq!(unsafe { cie_card_verify_pin(card, pin.as_ptr(), &mut tries) }, CIE_OK, "{}", last_error());
    assert_eq!(tries, 3);
    let mut sig = [0u8; 256];
    let mut len = sig.len();
    let data = b"through pcscd";
    let st = unsafe { cie_card_sign(card, CIE_HASH_SHA256, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len) };
    assert_eq!((st, len), (CIE_OK, 256), "{}", last_error());

    // The card goes away: the handle reports it, and opening finds no card.
    stack.remove_card().unwrap();
    let mut len = sig.len();
    let st = unsafe { cie_card_sign(card, CIE_HASH_SHA256, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len) };
    assert_eq!(st, CIE_ERR_CARD_REMOVED, "{}", last_error());
    unsafe { cie_card_free(card) };
    let mut card = null_mut();
    assert_eq!(unsafe { cie_card_open(null(), &mut card) }, CIE_ERR_NO_CARD, "{}", last_error());
    assert!(last_error().contains("put the card"), "{}", last_error());

    // Back in the reader: a new handle works again (the PIN is asked again).
    stack.insert_card().unwrap();
    assert_eq!(unsafe { cie_card_open(null(), &mut card) }, CIE_OK, "{}", last_error());
    let mut len = sig.len();
    let st = unsafe { cie_card_sign(card, CIE_HASH_SHA256, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len) };
    assert_eq!(st, CIE_ERR_LOGIN_REQUIRED);
    assert_eq!(unsafe { cie_card_verify_pin(card, pin.as_ptr(), null_mut()) }, CIE_OK);
    let st = unsafe { cie_card_sign(card, CIE_HASH_SHA256, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len) };
    assert_eq!(st, CIE_OK, "{}", last_error());
    unsafe { cie_card_free(card) };
}
