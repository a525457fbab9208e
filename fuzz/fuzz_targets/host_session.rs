//! A whole host session (DESIGN.md §3) whose card is the fuzz input: `[ops][ATR chunk][answer
//! chunks...]`. Every transmit returns the next chunk; the special chunk lengths of `cie_fuzz`
//! inject card resets, removals and transport failures. `ops` switches optional operations on.
//!
//! Flow: open (probing, static data), [binding signature], [passive authentication], PIN
//! verification (DH, DAPP, VERIFY), [PIN status], certificate, [serial], two signatures,
//! [PIN change], [unblock], logout and a signature that must be refused without any APDU.
//!
//! Past the key exchange every answer must carry a valid MAC under keys the fuzzer cannot know,
//! so this target mostly explores the plain part of the protocol and every error path after it;
//! `sm_unwrap` and `sim_card` cover the secure-messaging side.
#![no_main]

use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::Error;
use cie_fuzz::{Input, ScriptTransport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let Some(ops) = input.byte() else { return };
    let Ok(mut s) = Session::open(ScriptTransport::new(input)) else { return };
    let _ = (s.generation(), s.nis(), s.atr(), s.sn_icc(), s.chip_key_der());
    assert_eq!(s.nis().len(), 12, "an open session has a 12-digit NIS");
    let pin = Pin::new("12345678").expect("valid PIN");
    let new_pin = Pin::new("87654321").expect("valid PIN");
    let puk = Puk::new("11223344").expect("valid PUK");
    if ops & 1 != 0 {
        let _ = s.card_binding_signature();
    }
    if ops & 2 != 0 {
        let _ = s.verify_sod(None);
    }
    let _ = s.verify_pin(&pin);
    if ops & 4 != 0 {
        let _ = s.pin_status();
    }
    let _ = s.certificate();
    if ops & 8 != 0 {
        let _ = s.serial();
    }
    let _ = s.sign(HashAlg::Sha256, b"fuzz");
    let _ = s.sign_digest(HashAlg::Sha1, &[0x5A; 20]);
    if ops & 16 != 0 {
        let _ = s.change_pin(&pin, &new_pin);
    }
    if ops & 32 != 0 {
        let _ = s.unblock_pin(&puk, &new_pin);
    }
    s.logout();
    assert!(!s.is_logged_in());
    assert!(matches!(s.sign(HashAlg::Sha256, b"after logout"), Err(Error::LoginRequired)));
});
