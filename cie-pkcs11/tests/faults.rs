//! A card pulled, or reset by another application, before every APDU of `C_Login` and of
//! `C_Sign` (the first after login and a later one), in-process through the module's safe API
//! over the simulator's fault injection (`SimHandle::remove_before`, `reset_before`).
//!
//! Each case must give a clean return code (a removal: `CKR_DEVICE_REMOVED`,
//! `CKR_TOKEN_NOT_PRESENT` or `CKR_SESSION_HANDLE_INVALID`; a reset: success after a transparent
//! recovery, or `CKR_PIN_INCORRECT` for a wrong PIN), spend no PIN try the caller did not ask
//! for (the simulator's counter is checked after each case), not hang, and the next operation
//! after reinsertion must work. The sweep of each operation ends at the first index its APDUs
//! no longer reach.

mod common;

use cie_core::sign::HashAlg;
use cie_pkcs11::Output;
use cie_sim::fixtures;
use cie_sim::sweep::{sweep, Fault};
use common::*;
use cryptoki_sys::*;

const PIN: &[u8] = fixtures::TEST_PIN.as_bytes();
const WRONG_PIN: &[u8] = b"00000000";
const DATA: &[u8] = b"signed while the card is pulled or reset";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `C_Login` with the right PIN.
    Login,
    /// `C_Login` with a wrong PIN: at most the one try the caller asked for is spent.
    WrongLogin,
    /// The first `C_Sign` after `C_Login`.
    FirstSign,
    /// A later `C_Sign`.
    LaterSign,
}

/// Signs [`DATA`] with SHA256-RSA-PKCS; the raw return value on failure.
fn sign(rig: &Rig, s: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<Vec<u8>, CK_RV> {
    rig.module.sign_init(s, CKM_SHA256_RSA_PKCS, false, key).map_err(|e| e.rv())?;
    match rig.module.sign(s, DATA, Some(256)).map_err(|e| e.rv())? {
        Output::Bytes(sig) => Ok(sig),
        other => panic!("{other:?}"),
    }
}

fn check_signature(sig: &[u8]) {
    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, DATA), sig);
}

fn tries(rig: &Rig) -> u8 {
    rig.card.with_card(|c| c.pin_tries_left())
}

/// One case; returns whether the fault happened (the operation reached APDU `i`).
fn case(step: Step, fault: Fault, i: u64) -> bool {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    if matches!(step, Step::FirstSign | Step::LaterSign) {
        m.login(s, CKU_USER, PIN).unwrap();
    }
    let key = if matches!(step, Step::FirstSign | Step::LaterSign) { rig.private_key(s) } else { 0 };
    if step == Step::LaterSign {
        check_signature(&sign(&rig, s, key).unwrap());
    }
    let tries_before = tries(&rig);
    let apdus_before = rig.apdus();
    fault.before(&rig.card, i);
    let result: Result<Option<Vec<u8>>, CK_RV> = match step {
        Step::Login => m.login(s, CKU_USER, PIN).map(|()| None).map_err(|e| e.rv()),
        Step::WrongLogin => m.login(s, CKU_USER, WRONG_PIN).map(|()| None).map_err(|e| e.rv()),
        Step::FirstSign | Step::LaterSign => sign(&rig, s, key).map(Some),
    };
    let fired = rig.apdus() >= apdus_before + i;
    rig.card.clear_faults();
    let what = format!("{step:?}, {fault:?} before APDU {i}: {result:?}");
    let tries_after = tries(&rig);
    match (fault, fired, step) {
        (_, false, Step::WrongLogin) | (Fault::Reset, true, Step::WrongLogin) => {
            assert_eq!(result, Err(CKR_PIN_INCORRECT), "{what}");
            assert_eq!(tries_after, tries_before - 1, "{what}: exactly the one try asked for");
        }
        (Fault::Remove, true, Step::WrongLogin) => {
            assert!(matches!(result, Err(CKR_DEVICE_REMOVED | CKR_TOKEN_NOT_PRESENT | CKR_PIN_INCORRECT)), "{what}");
            assert!(tries_after + 1 >= tries_before, "{what}: at most one try spent");
            if result != Err(CKR_PIN_INCORRECT) {
                // The VERIFY is the login's last APDU: a removal before it leaves the counter.
                assert_eq!(tries_after, tries_before, "{what}");
            }
        }
        (_, false, _) | (Fault::Reset, true, _) => {
            assert!(result.is_ok(), "{what}: a reset is recovered transparently");
            assert_eq!(tries_after, tries_before, "{what}: no try spent");
        }
        (Fault::Remove, true, _) => {
            assert!(
                matches!(result, Err(CKR_DEVICE_REMOVED | CKR_TOKEN_NOT_PRESENT | CKR_SESSION_HANDLE_INVALID)),
                "{what}"
            );
            assert_eq!(tries_after, tries_before, "{what}: no try spent");
        }
    }
    if let Ok(Some(sig)) = &result {
        check_signature(sig);
    }

    // The next operation works: after reinsertion for a removal, in the same session after a
    // reset.
    let s = if fault == Fault::Remove && fired {
        let after = m.session_info(s).map(|_| ()).map_err(|e| e.rv());
        assert!(
            matches!(after, Err(CKR_DEVICE_REMOVED | CKR_SESSION_HANDLE_INVALID)),
            "{what}: the old session is dead: {after:?}"
        );
        rig.reader.remove();
        rig.insert();
        let s = rig.session(false);
        m.login(s, CKU_USER, PIN).unwrap_or_else(|e| panic!("{what}: login after reinsertion: {e}"));
        s
    } else {
        if step == Step::WrongLogin || (step == Step::Login && result.is_err()) {
            m.login(s, CKU_USER, PIN).unwrap_or_else(|e| panic!("{what}: login after the case: {e}"));
        }
        s
    };
    let key = rig.private_key(s);
    let sig = sign(&rig, s, key).unwrap_or_else(|rv| panic!("{what}: the next signature failed: {rv:#x}"));
    check_signature(&sig);
    assert_eq!(tries(&rig), 3, "{what}: the right PIN restores the counter");
    fired
}

/// The sweep of one step and fault (a hang or a panic fails the test); the number of cases in
/// which the fault happened (one per APDU of the operation).
fn sweep_step(step: Step, fault: Fault) -> u64 {
    sweep(&format!("{step:?} / {fault:?}"), move |i| case(step, fault, i))
}

#[test]
fn login_with_the_card_pulled_or_reset_before_every_apdu() {
    let n: u64 = Fault::ALL
        .into_iter()
        .flat_map(|f| [Step::Login, Step::WrongLogin].map(|s| (s, f)))
        .map(|(s, f)| sweep_step(s, f))
        .sum();
    eprintln!("C_Login: {n} fault cases (card pulled or reset before an APDU)");
}

#[test]
fn sign_with_the_card_pulled_or_reset_before_every_apdu() {
    let n: u64 = Fault::ALL
        .into_iter()
        .flat_map(|f| [Step::FirstSign, Step::LaterSign].map(|s| (s, f)))
        .map(|(s, f)| sweep_step(s, f))
        .sum();
    eprintln!("C_Sign: {n} fault cases (card pulled or reset before an APDU)");
}
