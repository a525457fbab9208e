//! Two applications taking turns with the card (a browser holding a token, and `cie sign` or a
//! second PKCS#11 application), through a real pcscd with the simulated card: the card keeps
//! only the newest secure channel, so the module finds its own replaced. Its next C_Login must
//! still work, with the PIN checked once and no try spent (the card refused the stale
//! channel's VERIFY at the secure-messaging layer, without looking at the PIN); a wrong PIN
//! then spends exactly one try.

mod common;

use cie_core::pcsc_backend::PcscTransport;
use cie_core::pin::Pin;
use cie_core::session::{PinStatus, Session};
use cie_sim::fixtures;
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

/// The other application: its own PC/SC connection and secure channel, logged in.
fn other_application_logs_in(reader: &str) {
    let mut other = Session::open(PcscTransport::connect(reader).unwrap()).unwrap();
    other.verify_pin(&Pin::new(fixtures::TEST_PIN).unwrap()).unwrap();
}

/// The PIN tries left, asked by yet another application (GET DATA, spending nothing).
fn tries(reader: &str) -> u8 {
    let mut s = Session::open(PcscTransport::connect(reader).unwrap()).unwrap();
    match s.pin_status().unwrap() {
        PinStatus::TriesLeft(n) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn login_after_another_application_took_the_card() {
    let _serial = serial();
    let stack = start_stack();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let p11 = Pkcs11::new(module_path()).unwrap();
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    let slot = p11.get_slots_with_token().unwrap()[0];
    let s = p11.open_ro_session(slot).unwrap();
    // A mistyped PIN: one try spent, the module's secure channel stays open.
    let e = s.login(UserType::User, Some(&AuthPin::new("11112222".into()))).unwrap_err();
    assert!(matches!(e, Error::Pkcs11(RvError::PinIncorrect, _)), "{e}");
    // Meanwhile another application logs in with its own channel (the card forgets ours).
    other_application_logs_in(stack.reader_name());
    s.login(UserType::User, Some(&AuthPin::new(fixtures::TEST_PIN.into())))
        .expect("C_Login after another application opened its channel");
    assert_eq!(tries(stack.reader_name()), 3, "the right PIN checked once, no try spent");
    // The other application took the card once more: the next signature rebuilds the
    // module's channel with the PIN it holds.
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key, b"turns").unwrap();
    assert_eq!(sig.len(), 256);
    // A wrong PIN after the other application took the card: exactly one try.
    s.logout().unwrap();
    let e = s.login(UserType::User, Some(&AuthPin::new("11112222".into()))).unwrap_err();
    assert!(matches!(e, Error::Pkcs11(RvError::PinIncorrect, _)), "{e}");
    other_application_logs_in(stack.reader_name());
    let e = s.login(UserType::User, Some(&AuthPin::new("22223333".into()))).unwrap_err();
    assert!(matches!(e, Error::Pkcs11(RvError::PinIncorrect, _)), "{e}");
    assert_eq!(tries(stack.reader_name()), 2, "one try for the one wrong PIN since the last right one");
    s.login(UserType::User, Some(&AuthPin::new(fixtures::TEST_PIN.into()))).unwrap();
    drop(s);
    p11.finalize().unwrap();
}
