//! The C ABI with the card pulled, or reset by another application, before every APDU of
//! `cie_card_verify_pin` and `cie_card_sign` (the first after the PIN and a later one),
//! in-process over the simulator's fault injection. A removal must give
//! `CIE_ERR_CARD_REMOVED` (or `CIE_ERR_NO_CARD`), a reset must be recovered transparently,
//! no PIN try may be spent that the caller did not ask for, nothing may hang, and a card
//! opened after reinsertion (or the same one after a reset) must sign.

use std::ffi::CString;

use cie::*;
use cie_core::sign::HashAlg;
use cie_sim::image::SodProfile;
use cie_sim::sweep::{sweep, Fault};
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use rsa::Pkcs1v15Sign;

const DATA: &[u8] = b"signed through the C ABI while the card is pulled or reset";

struct Card(*mut cie_card);

impl Drop for Card {
    fn drop(&mut self) {
        unsafe { cie_card_free(self.0) };
    }
}

fn open(handle: &SimHandle) -> Card {
    Card(Box::into_raw(cie_card::from_transport(Box::new(handle.connect())).unwrap()))
}

fn verify_pin(card: &Card, pin: &str) -> cie_status {
    let pin = CString::new(pin).unwrap();
    let mut tries = 0;
    unsafe { cie_card_verify_pin(card.0, pin.as_ptr(), &mut tries) }
}

fn sign(card: &Card) -> Result<Vec<u8>, cie_status> {
    let mut sig = vec![0u8; 256];
    let mut len = sig.len();
    let st = unsafe { cie_card_sign(card.0, CIE_HASH_SHA256, DATA.as_ptr(), DATA.len(), sig.as_mut_ptr(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    sig.truncate(len);
    Ok(sig)
}

fn check(sig: &[u8]) {
    let cert = fixtures::card_image(SodProfile::Sha256Pkcs1).certificate.clone();
    let key = cie_core::certificate::public_key(&cert).unwrap();
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, DATA);
    key.verify(Pkcs1v15Sign::new_unprefixed(), &di, sig).expect("signature verifies");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Pin,
    WrongPin,
    FirstSign,
    LaterSign,
}

/// One case; returns whether the fault happened.
fn case(step: Step, fault: Fault, i: u64) -> bool {
    let handle = SimHandle::new(SimCard::new(
        Profile::Nxp,
        fixtures::card_image(SodProfile::Sha256Pkcs1),
        SimOptions::default(),
    ));
    let card = open(&handle);
    if matches!(step, Step::FirstSign | Step::LaterSign) {
        assert_eq!(verify_pin(&card, fixtures::TEST_PIN), CIE_OK);
    }
    if step == Step::LaterSign {
        check(&sign(&card).unwrap());
    }
    let tries = || handle.with_card(|c| c.pin_tries_left());
    let tries_before = tries();
    let apdus_before = handle.apdus();
    fault.before(&handle, i);
    let result = match step {
        Step::Pin => match verify_pin(&card, fixtures::TEST_PIN) {
            CIE_OK => Ok(None),
            st => Err(st),
        },
        Step::WrongPin => match verify_pin(&card, "00000000") {
            CIE_OK => Ok(None),
            st => Err(st),
        },
        Step::FirstSign | Step::LaterSign => sign(&card).map(Some),
    };
    let fired = handle.apdus() >= apdus_before + i;
    handle.clear_faults();
    let what = format!("{step:?}, {fault:?} before APDU {i}: {result:?}");
    let removed = fault == Fault::Remove && fired;
    match step {
        Step::WrongPin if removed => {
            assert!(matches!(result, Err(CIE_ERR_CARD_REMOVED | CIE_ERR_NO_CARD | CIE_ERR_WRONG_PIN)), "{what}");
            let spent = tries_before - tries();
            assert_eq!(spent, u8::from(result == Err(CIE_ERR_WRONG_PIN)), "{what}: tries spent");
        }
        Step::WrongPin => {
            assert_eq!(result, Err(CIE_ERR_WRONG_PIN), "{what}");
            assert_eq!(tries(), tries_before - 1, "{what}: exactly the one try asked for");
        }
        _ if removed => {
            assert!(matches!(result, Err(CIE_ERR_CARD_REMOVED | CIE_ERR_NO_CARD)), "{what}");
            assert_eq!(tries(), tries_before, "{what}: no try spent");
        }
        _ => {
            assert!(result.is_ok(), "{what}: recovered transparently");
            assert_eq!(tries(), tries_before, "{what}: no try spent");
        }
    }
    if let Ok(Some(sig)) = &result {
        check(sig);
    }
    // The next operation works.
    let next = if removed {
        handle.insert();
        open(&handle)
    } else {
        card
    };
    if removed || matches!(step, Step::Pin | Step::WrongPin) {
        assert_eq!(verify_pin(&next, fixtures::TEST_PIN), CIE_OK, "{what}: PIN after the case");
    }
    check(&sign(&next).unwrap_or_else(|st| panic!("{what}: the next signature failed: {st}")));
    assert_eq!(tries(), 3, "{what}");
    fired
}

#[test]
fn verify_pin_and_sign_with_the_card_pulled_or_reset_before_every_apdu() {
    let mut total = 0;
    for fault in Fault::ALL {
        for step in [Step::Pin, Step::WrongPin, Step::FirstSign, Step::LaterSign] {
            total += sweep(&format!("{step:?} / {fault:?}"), move |i| case(step, fault, i));
        }
    }
    eprintln!("C ABI: {total} fault cases");
}
