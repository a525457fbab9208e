//! The PC/SC backend against the simulated card behind a real pcscd (the isolated stack of
//! `cie_sim::stack`): reader listing, ATR through SCardStatus, transactions, a reset by another
//! application, removal, and disconnecting without resetting the card.
#![cfg(feature = "pcsc")]

use cie_core::pcsc_backend::PcscTransport;
use cie_core::{Transport, TransportError};
use cie_sim::stack::{StackOptions, VirtualStack};

/// The NXP CIE's ATR as pcsc-tools lists it (T0 `8E`, TCK `F0`).
const NXP_ATR: [u8; 19] =
    [0x3B, 0x8E, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4E, 0x58, 0x50, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0xF0];
const SELECT_MF: [u8; 4] = [0x00, 0xA4, 0x00, 0x00];
/// SELECT DF_CIE by AID (PROTOCOL.md §2.1).
const SELECT_CIE: [u8; 11] = [0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39];
/// SELECT EF.ID_Servizi (1001), which lives in DF_CIE: found only while DF_CIE is selected.
const SELECT_NIS: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x01];

fn stack() -> VirtualStack {
    let stack = VirtualStack::start(StackOptions::default())
        .unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"));
    stack.export_socket_env();
    stack
}

fn select_mf(t: &mut PcscTransport) -> Result<Vec<u8>, TransportError> {
    let mut link = t.transaction()?;
    link.transmit(&SELECT_MF)
}

#[test]
fn lists_connects_and_exchanges() {
    let stack = stack();
    let readers = PcscTransport::list_readers().unwrap();
    assert!(readers.iter().any(|r| r == stack.reader_name()), "{readers:?}");
    let mut t = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(t.name(), stack.reader_name());
    assert_eq!(t.atr().unwrap(), NXP_ATR);
    assert_eq!(select_mf(&mut t).unwrap(), [0x90, 0x00]);
    {
        // Several APDUs in one transaction.
        let mut link = t.transaction().unwrap();
        for _ in 0..3 {
            assert_eq!(link.transmit(&SELECT_MF).unwrap(), [0x90, 0x00]);
        }
    }
    t.close().unwrap();
    // The empty reader of vpcd's second slot has no card.
    let empty = readers.iter().find(|r| r.as_str() != stack.reader_name()).unwrap();
    assert!(matches!(PcscTransport::connect(empty), Err(TransportError::NoCard)));
    assert!(matches!(PcscTransport::connect("No Such Reader 00 00"), Err(TransportError::ReaderUnavailable(_))));
}

#[test]
fn reset_by_another_application_is_reported_once() {
    let stack = stack();
    let mut t = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(select_mf(&mut t).unwrap(), [0x90, 0x00]);

    // Another application resets the card.
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = std::ffi::CString::new(stack.reader_name()).unwrap();
    let mut other = ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY).unwrap();
    other.reconnect(pcsc::ShareMode::Shared, pcsc::Protocols::ANY, pcsc::Disposition::ResetCard).unwrap();

    assert_eq!(select_mf(&mut t).unwrap_err(), TransportError::CardReset);
    // Reconnected: usable again, the reset is not reported twice.
    assert_eq!(select_mf(&mut t).unwrap(), [0x90, 0x00]);
    assert_eq!(t.atr().unwrap(), NXP_ATR);
    let _ = other.disconnect(pcsc::Disposition::LeaveCard);
}

#[test]
fn dropping_leaves_the_card_alone() {
    let stack = stack();
    let mut watcher = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(select_mf(&mut watcher).unwrap(), [0x90, 0x00]);

    // Our transport disconnects with LeaveCard: the other connection sees no reset, and the
    // card keeps its state (DF_CIE stays selected).
    let mut ours = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(ours.transaction().unwrap().transmit(&SELECT_CIE).unwrap(), [0x90, 0x00]);
    drop(ours);
    assert_eq!(watcher.transaction().unwrap().transmit(&SELECT_NIS).unwrap(), [0x90, 0x00]);

    // Control: the pcsc crate's own Drop resets the card, which the watcher does notice.
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = std::ffi::CString::new(stack.reader_name()).unwrap();
    let raw = ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY).unwrap();
    drop(raw);
    assert_eq!(select_mf(&mut watcher).unwrap_err(), TransportError::CardReset);
    // The card was really reset: the MF is current again, EF 1001 is not found from there.
    assert_eq!(watcher.transaction().unwrap().transmit(&SELECT_NIS).unwrap(), [0x6A, 0x82]);
    assert_eq!(select_mf(&mut watcher).unwrap(), [0x90, 0x00]);
}

#[test]
fn removal_and_reinsertion() {
    let mut stack = stack();
    let mut t = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(select_mf(&mut t).unwrap(), [0x90, 0x00]);
    stack.remove_card().unwrap();
    assert_eq!(select_mf(&mut t).unwrap_err(), TransportError::CardRemoved);
    assert!(matches!(PcscTransport::connect(stack.reader_name()), Err(TransportError::NoCard)));
    stack.insert_card().unwrap();
    // The old handle stays dead; a new connection works.
    assert!(select_mf(&mut t).is_err());
    let mut fresh = PcscTransport::connect(stack.reader_name()).unwrap();
    assert_eq!(select_mf(&mut fresh).unwrap(), [0x90, 0x00]);
}

#[test]
fn open_first_cie_finds_the_card_in_any_reader() {
    let mut stack = stack();
    let mut s = cie_core::open_first_cie().unwrap();
    assert_eq!(s.nis(), cie_sim::fixtures::TEST_NIS);
    assert_eq!(s.transport_mut().name(), stack.reader_name());
    drop(s);
    stack.remove_card().unwrap();
    let e = cie_core::open_first_cie().err().unwrap();
    assert!(matches!(e, cie_core::Error::Transport(TransportError::NoCard)), "{e:?}");
}
