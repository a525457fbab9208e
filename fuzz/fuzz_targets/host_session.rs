//! A whole host session (DESIGN.md §3) whose card is the fuzz input: `[ops][ATR chunk][answer
//! chunks...]`. Every transmit returns the next chunk; the special chunk lengths of `cie_fuzz`
//! inject card resets, removals and transport failures. `ops` switches optional operations on.
//!
//! Flow: open (probing, static data), the script of `cie_fuzz::session_script` (shared with the
//! seed recorder), logout and a signature that must be refused without any APDU.
//!
//! Past the key exchange every answer must carry a valid MAC under keys the fuzzer cannot know,
//! so this target mostly explores the plain part of the protocol and every error path after it;
//! `sm_unwrap` and `sim_card` cover the secure-messaging side.
#![no_main]

use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::Error;
use cie_fuzz::{session_script, Input, ScriptTransport};
use cie_sim::fixtures::{TEST_PIN, TEST_PUK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let Some(ops) = input.byte() else { return };
    let Ok(mut s) = Session::open(ScriptTransport::new(input)) else { return };
    let _ = (s.generation(), s.nis(), s.atr(), s.sn_icc(), s.chip_key_der());
    assert_eq!(s.nis().len(), 12, "an open session has a 12-digit NIS");
    let pin = Pin::new(TEST_PIN).expect("valid PIN");
    let puk = Puk::new(TEST_PUK).expect("valid PUK");
    // The same script as the seed recorder's (fuzz/src/session_script.rs).
    session_script::run(&mut s, ops, &pin, &puk);
    s.logout();
    assert!(!s.is_logged_in());
    assert!(matches!(s.sign(HashAlg::Sha256, b"after logout"), Err(Error::LoginRequired)));
});
