//! The in-process fault injection of `SimHandle`: a removal or a reset scheduled before the
//! n-th APDU, as the fault sweeps of the PKCS#11 module and the C ABI use it.

use cie_core::transport::{Transport, TransportError};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};

/// SELECT of the master file (plain, answered 90 00 by the card).
const SELECT_MF: [u8; 4] = [0x00, 0xA4, 0x00, 0x00];
/// The card's whole answer to [`SELECT_MF`] (a case-1 APDU, PROTOCOL.md §1.2, §2.1): no data, `90 00`.
fn answer_90_00() -> Result<Vec<u8>, TransportError> {
    Ok(vec![0x90, 0x00])
}

fn card() -> SimHandle {
    SimHandle::new(SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default()))
}

#[test]
fn removal_before_the_nth_apdu() {
    let handle = card();
    let mut t = handle.connect();
    handle.remove_before(2);
    let mut link = t.transaction().unwrap();
    assert_eq!(link.transmit(&SELECT_MF), answer_90_00());
    let processed = handle.with_card(|c| c.commands_processed());
    assert_eq!(link.transmit(&SELECT_MF), Err(TransportError::CardRemoved));
    assert_eq!(handle.with_card(|c| c.commands_processed()), processed, "the card never saw it");
    assert_eq!(link.transmit(&SELECT_MF), Err(TransportError::CardRemoved));
    drop(link);
    assert!(!handle.is_present());
    assert_eq!(handle.apdus(), 2);
    handle.insert();
    assert!(t.transaction().is_err(), "connections from before the removal stay dead");
    let mut fresh = handle.connect();
    assert_eq!(fresh.transaction().unwrap().transmit(&SELECT_MF), answer_90_00());
}

#[test]
fn reset_before_the_nth_apdu() {
    let handle = card();
    let (mut a, mut b) = (handle.connect(), handle.connect());
    handle.reset_before(1);
    {
        let mut link = a.transaction().unwrap();
        assert_eq!(link.transmit(&SELECT_MF), Err(TransportError::CardReset));
        // The connection that saw the reset works again at once.
        assert_eq!(link.transmit(&SELECT_MF), answer_90_00());
    }
    // Another connection hears of the reset once.
    assert_eq!(b.transaction().err(), Some(TransportError::CardReset));
    assert_eq!(b.transaction().unwrap().transmit(&SELECT_MF), answer_90_00());
}

#[test]
fn scheduled_faults_can_be_cleared() {
    let handle = card();
    let mut t = handle.connect();
    handle.remove_before(1);
    handle.reset_before(2);
    handle.clear_faults();
    let mut link = t.transaction().unwrap();
    assert_eq!(link.transmit(&SELECT_MF), answer_90_00());
    assert_eq!(link.transmit(&SELECT_MF), answer_90_00());
}
