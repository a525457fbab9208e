//! The in-process reader: SimHandle / SimTransport semantics (reset, removal, exclusive
//! transactions) and fault injection.

mod card_util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use card_util::*;
use cie_core::apdu::Command;
use cie_core::sm::{protect_command, unprotect_response};
use cie_core::sw::StatusWord;
use cie_core::{SmError, Transport, TransportError};
use cie_sim::{Profile, SimHandle};

fn handle(profile: Profile) -> SimHandle {
    SimHandle::new(card(profile))
}

fn transmit(t: &mut impl Transport, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
    let mut link = t.transaction()?;
    link.transmit(apdu)
}

#[test]
fn transmits_and_counts() {
    let h = handle(Profile::Gemalto2);
    let mut t = h.connect();
    assert_eq!(t.atr().unwrap(), Profile::Gemalto2.atr());
    assert!(t.name().contains("Gemalto2"));
    {
        let mut link = t.transaction().unwrap();
        assert_eq!(link.transmit(&SELECT_CIE).unwrap(), [0x90, 0x00]);
        assert_eq!(link.transmit(&[0x00, 0xB0, 0x81, 0x00, 0x0C]).unwrap()[12..], [0x90, 0x00]);
    }
    assert_eq!(h.apdus(), 2);
    assert_eq!(h.with_card(|c| c.commands_processed()), 2);
    assert_eq!(h.with_card(|c| c.profile()), Profile::Gemalto2);
}

#[test]
fn reset_is_reported_once_to_every_connection() {
    let h = handle(Profile::Nxp);
    let mut a = h.connect();
    let mut b = h.connect();
    h.with_card(|c| {
        dh(c, 1);
    });
    assert!(h.with_card(|c| c.secure_messaging_open()));
    {
        let mut link = b.transaction().unwrap();
        h.reset();
        // The card was reset now: SM closed.
        assert!(!h.with_card(|c| c.secure_messaging_open()));
        assert_eq!(link.transmit(&SELECT_CIE), Err(TransportError::CardReset));
        assert_eq!(link.transmit(&SELECT_CIE).unwrap(), [0x90, 0x00]);
    }
    assert!(matches!(a.transaction(), Err(TransportError::CardReset)));
    assert_eq!(transmit(&mut a, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    assert_eq!(transmit(&mut b, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    // A connection opened after the reset sees nothing.
    let mut c = h.connect();
    assert_eq!(transmit(&mut c, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    // Failed attempts did not reach the card.
    assert_eq!(h.apdus(), 4);
}

#[test]
fn removed_card_and_dead_connections() {
    let h = handle(Profile::Stm3);
    let mut old = h.connect();
    assert_eq!(transmit(&mut old, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    // Spend a PIN try to see that counters survive the removal.
    h.with_card(|c| {
        let mut ch = authenticate(c, 2);
        assert_eq!(verify(&mut ch, c, 0x81, b"00000000"), StatusWord::tries_left(2));
    });
    h.remove();
    assert!(!h.is_present());
    assert_eq!(transmit(&mut old, &SELECT_CIE), Err(TransportError::CardRemoved));
    assert_eq!(old.atr(), Err(TransportError::CardRemoved));
    let mut while_out = h.connect();
    assert_eq!(transmit(&mut while_out, &SELECT_CIE), Err(TransportError::CardRemoved));
    h.insert();
    assert!(h.is_present());
    // The old connection stays dead; connections opened since the removal work.
    assert_eq!(transmit(&mut old, &SELECT_CIE), Err(TransportError::CardRemoved));
    assert_eq!(transmit(&mut while_out, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    let mut new = h.connect();
    assert_eq!(new.atr().unwrap(), Profile::Stm3.atr());
    assert_eq!(transmit(&mut new, &SELECT_CIE).unwrap(), [0x90, 0x00]);
    // Power-on: no session, but the PIN counter is persistent.
    assert!(!h.with_card(|c| c.secure_messaging_open()));
    assert_eq!(h.with_card(|c| c.pin_tries_left()), 2);
}

#[test]
fn answer_status_at_replaces_the_nth_apdu() {
    let h = handle(Profile::Nxp);
    let mut t = h.connect();
    h.answer_status_at(2, [0x6F, 0x00]);
    let mut link = t.transaction().unwrap();
    assert_eq!(link.transmit(&SELECT_CIE).unwrap(), [0x90, 0x00]);
    // The second APDU never reaches the card.
    assert_eq!(link.transmit(&[0x00, 0x12, 0x00, 0x00]).unwrap(), [0x6F, 0x00]);
    assert_eq!(link.transmit(&[0x00, 0x12, 0x00, 0x00]).unwrap(), [0x6D, 0x00]);
    drop(link);
    assert_eq!(h.apdus(), 3);
    assert_eq!(h.with_card(|c| c.commands_processed()), 2);
}

#[test]
fn corrupt_response_mac_is_detected_by_the_host() {
    // 256-byte READ BINARY answers, so that one protected answer is split (real cards cap at 231).
    let h = SimHandle::new(card(Profile::Nxp).with_read_binary_max(256));
    let img = image();
    let mut ch = h.with_card(|c| authenticate(c, 3));
    let mut t = h.connect();
    let mut link = t.transaction().unwrap();
    // The next answer (to an SM GET CHALLENGE) gets a flipped MAC bit.
    h.corrupt_response_mac_at(1);
    let p =
        protect_command(&ch.keys, &mut ch.ssc, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8)).to_bytes().unwrap();
    let (body, s) = split(&link.transmit(&p).unwrap());
    assert_eq!(s, OK);
    assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body), Err(SmError::BadMac));
    // The card itself is fine: the next command (counters in step) works.
    let p =
        protect_command(&ch.keys, &mut ch.ssc, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8)).to_bytes().unwrap();
    let (body, _) = split(&link.transmit(&p).unwrap());
    assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap().data.len(), 8);

    // A split answer: the MAC sits in the part fetched by GET RESPONSE.
    let select = Command::parse(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x10, 0x04]).unwrap();
    let p = protect_command(&ch.keys, &mut ch.ssc, &select).to_bytes().unwrap();
    let (body, _) = split(&link.transmit(&p).unwrap());
    assert_eq!(unprotect_response(&ch.keys, &mut ch.ssc, &body).unwrap().sw, OK);
    h.corrupt_response_mac_at(1);
    let p =
        protect_command(&ch.keys, &mut ch.ssc, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256)).to_bytes().unwrap();
    let first = link.transmit(&p).unwrap();
    assert_eq!(first[256..], [0x61, 0x1B]);
    let rest = link.transmit(&[0x00, 0xC0, 0x00, 0x00, 0x1B]).unwrap();
    let (tail, _) = split(&rest);
    let whole = [&first[..256], &tail[..]].concat();
    let mut ssc = ch.ssc;
    assert_eq!(unprotect_response(&ch.keys, &mut ssc, &whole), Err(SmError::BadMac));
    // Undo the flipped bit (lowest bit of the last MAC byte): the rest was untouched.
    let mut fixed = whole.clone();
    *fixed.last_mut().unwrap() ^= 1;
    let r = unprotect_response(&ch.keys, &mut ch.ssc, &fixed).unwrap();
    assert_eq!(r.data, img.int_kpub[..256]);

    // Plain answers are not affected.
    h.corrupt_response_mac_at(1);
    let mut other = h.connect();
    drop(link);
    let resp = transmit(&mut other, &[0x00, 0xB0, 0x81, 0x00, 0x0C]);
    assert_eq!(resp.unwrap(), [&img.nis[..], &[0x90, 0x00]].concat());
}

#[test]
fn transactions_are_exclusive() {
    let h = handle(Profile::Nxp);
    let mut a = h.connect();
    let mut b = h.connect();
    let released = Arc::new(AtomicBool::new(false));
    let link = a.transaction().unwrap();
    let flag = released.clone();
    let waiter = std::thread::spawn(move || {
        let mut link = b.transaction().unwrap();
        let seen = flag.load(Ordering::SeqCst);
        let resp = link.transmit(&SELECT_CIE).unwrap();
        (seen, resp)
    });
    // Wait (without a time limit of our own) until the second connection is blocked inside
    // transaction(): only then is the exclusion actually being exercised.
    while h.transactions_waiting() == 0 {
        assert!(!waiter.is_finished(), "the second transaction did not wait for the first");
        std::thread::yield_now();
    }
    assert_eq!(h.transactions_waiting(), 1);
    released.store(true, Ordering::SeqCst);
    drop(link);
    let (seen, resp) = waiter.join().unwrap();
    assert!(seen, "the second transaction started before the first ended");
    assert_eq!(resp, [0x90, 0x00]);
    assert_eq!(h.transactions_waiting(), 0);
}
