//! The host's PIN commands as the card sees them (PROTOCOL.md §6), in-process against the
//! simulator through a transport that records every command header: CHANGE REFERENCE DATA
//! only after a VERIFY of the old PIN in the same secure channel, RESET RETRY COUNTER only
//! after a VERIFY of the PUK, the tries left by GET DATA of the CHV object (no VERIFY), and
//! the VERIFY-without-data fallback on a card that does not give them.

use std::sync::{Arc, Mutex};

use cie_core::pin::{Pin, Puk};
use cie_core::session::{PinStatus, Session};
use cie_core::transport::{Link, Transport, TransportError};
use cie_core::{Credential, Error};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions, SimTransport};

/// CLA INS P1 P2 of one command as sent (secure messaging leaves them readable), and whether
/// it had more than a header (a data field or an Le).
type Header = [u8; 4];

/// A transport that records the header of every command it sends.
struct Recording {
    inner: SimTransport,
    log: Arc<Mutex<Vec<(Header, usize)>>>,
}

struct RecordingLink<'a> {
    inner: Box<dyn Link + 'a>,
    log: Arc<Mutex<Vec<(Header, usize)>>>,
}

impl Link for RecordingLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut header = [0u8; 4];
        let n = command.len().min(4);
        header[..n].copy_from_slice(&command[..n]);
        self.log.lock().unwrap().push((header, command.len()));
        self.inner.transmit(command)
    }
}

impl Transport for Recording {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let inner = self.inner.transaction()?;
        Ok(Box::new(RecordingLink { inner, log: self.log.clone() }))
    }
    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.atr()
    }
}

struct Rig {
    handle: SimHandle,
    session: Session<Recording>,
    log: Arc<Mutex<Vec<(Header, usize)>>>,
}

impl Rig {
    fn new(profile: Profile) -> Rig {
        let card = SimCard::new(profile, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
        let handle = SimHandle::new(card);
        let log = Arc::new(Mutex::new(Vec::new()));
        let session = Session::open(Recording { inner: handle.connect(), log: log.clone() }).unwrap();
        Rig { handle, session, log }
    }

    /// The headers sent since the last call, GET RESPONSE left out.
    fn sent(&self) -> Vec<Header> {
        let mut log = self.log.lock().unwrap();
        log.drain(..).map(|(h, _)| h).filter(|h| h[1] != 0xC0).collect()
    }

    /// Opens the secure channel (one status query) and forgets what was sent.
    fn channel_open(&mut self) {
        self.session.puk_status().unwrap();
        self.sent();
    }

    fn tries(&self) -> (u8, u8) {
        self.handle.with_card(|c| (c.pin_tries_left(), c.puk_tries_left()))
    }
}

const VERIFY_PIN: Header = [0x0C, 0x20, 0x00, 0x81];
const VERIFY_PUK: Header = [0x0C, 0x20, 0x00, 0x82];
const CHANGE_PIN: Header = [0x0C, 0x24, 0x00, 0x81];
const RESET_PIN: Header = [0x0C, 0x2C, 0x02, 0x81];
const GET_DATA: Header = [0x0C, 0xCB, 0x3F, 0xFF];

fn pin() -> Pin {
    Pin::new(fixtures::TEST_PIN).unwrap()
}

fn puk() -> Puk {
    Puk::new(fixtures::TEST_PUK).unwrap()
}

#[test]
fn change_is_verify_then_change_in_one_channel() {
    let mut rig = Rig::new(Profile::Nxp);
    rig.channel_open();
    let new = Pin::new("13572468").unwrap();
    // A wrong old PIN: one VERIFY, one try spent and reported, nothing else sent.
    let e = rig.session.change_pin(&Pin::new("11111111").unwrap(), &new).unwrap_err();
    assert!(matches!(e, Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }), "{e:?}");
    assert_eq!(rig.sent(), [VERIFY_PIN]);
    assert_eq!(rig.tries(), (2, 10));
    // The right one: VERIFY then CHANGE REFERENCE DATA, both under secure messaging in the
    // channel already open (no new key exchange in between).
    rig.session.change_pin(&pin(), &new).unwrap();
    assert_eq!(rig.sent(), [VERIFY_PIN, CHANGE_PIN]);
    assert_eq!(rig.tries(), (3, 10));
    // Logged in already: the old PIN is verified again all the same (it is the one typed).
    rig.session.verify_pin(&new).unwrap();
    rig.sent();
    rig.session.change_pin(&new, &pin()).unwrap();
    assert_eq!(rig.sent(), [VERIFY_PIN, CHANGE_PIN]);
    rig.session.logout();
    rig.session.verify_pin(&pin()).unwrap();
    // On a fresh session the whole handshake comes first, then the same two commands.
    let mut rig = Rig::new(Profile::Gemalto);
    rig.sent();
    rig.session.change_pin(&pin(), &new).unwrap();
    let sent = rig.sent();
    assert_eq!(sent[sent.len() - 2..], [VERIFY_PIN, CHANGE_PIN], "{sent:02X?}");
    assert!(!sent[..sent.len() - 2].iter().any(|h| matches!(h[1], 0x20 | 0x24 | 0x2C)), "{sent:02X?}");
    // A blocked PIN: one VERIFY answered 69 83, no CHANGE.
    for _ in 0..3 {
        let _ = rig.session.verify_pin(&Pin::new("00000000").unwrap());
    }
    rig.sent();
    assert!(matches!(rig.session.change_pin(&new, &pin()), Err(Error::Blocked(Credential::Pin))));
    assert_eq!(rig.sent(), [VERIFY_PIN]);
}

#[test]
fn unblock_is_verify_puk_then_reset() {
    let mut rig = Rig::new(Profile::Stm3);
    rig.channel_open();
    let new = Pin::new("24681357").unwrap();
    let e = rig.session.unblock_pin(&Puk::new("00000000").unwrap(), &new).unwrap_err();
    assert!(matches!(e, Error::WrongCredential { credential: Credential::Puk, tries_left: Some(9) }), "{e:?}");
    assert_eq!(rig.sent(), [VERIFY_PUK]);
    rig.session.unblock_pin(&puk(), &new).unwrap();
    assert_eq!(rig.sent(), [VERIFY_PUK, RESET_PIN]);
    assert_eq!(rig.tries(), (3, 10));
    rig.session.verify_pin(&new).unwrap();
}

#[test]
fn tries_left_by_get_data_spending_nothing() {
    let mut rig = Rig::new(Profile::Bit4id);
    rig.channel_open();
    let wrong = Pin::new("11111111").unwrap();
    for (spent, expected) in [(0, PinStatus::TriesLeft(3)), (1, PinStatus::TriesLeft(2)), (2, PinStatus::TriesLeft(1))]
    {
        assert_eq!(rig.session.pin_status().unwrap(), expected, "after {spent} wrong PINs");
        assert_eq!(rig.sent(), [GET_DATA], "one GET DATA, no VERIFY");
        assert_eq!(rig.session.pin_tries_left(), Some(3 - spent));
        assert_eq!(rig.tries().0, 3 - spent, "asking spends nothing");
        let _ = rig.session.verify_pin(&wrong);
        rig.sent();
    }
    assert_eq!(rig.session.pin_status().unwrap(), PinStatus::Blocked);
    assert_eq!(rig.session.pin_tries_left(), Some(0));
    assert_eq!(rig.session.puk_status().unwrap(), PinStatus::TriesLeft(10));
    assert_eq!(rig.sent(), [GET_DATA, GET_DATA]);
    // Verified in this channel: said without asking the card.
    rig.session.verify_puk(&puk()).unwrap();
    rig.sent();
    assert_eq!(rig.session.puk_status().unwrap(), PinStatus::Verified);
    assert_eq!(rig.sent(), Vec::<Header>::new());
    rig.session.unblock_pin(&puk(), &pin()).unwrap();
    rig.session.verify_pin(&pin()).unwrap();
    rig.sent();
    assert_eq!(rig.session.pin_status().unwrap(), PinStatus::Verified);
    assert_eq!(rig.sent(), Vec::<Header>::new());
}

#[test]
fn tries_left_by_verify_when_get_data_is_refused() {
    let mut rig = Rig::new(Profile::Nxp);
    rig.channel_open();
    let _ = rig.session.verify_pin(&Pin::new("11111111").unwrap());
    rig.sent();
    // A card that refuses the GET DATA of the CHV object's counters (no such object, no such
    // instruction, access refused, any error; a plain answer): VERIFY without data instead, in
    // a new channel (a plain error answer leaves the old one unusable).
    for sw in [[0x6A, 0x88], [0x6D, 0x00], [0x69, 0x82], [0x6F, 0x00]] {
        rig.handle.answer_status_at(1, sw);
        assert_eq!(rig.session.pin_status().unwrap(), PinStatus::TriesLeft(2), "{sw:02X?}");
        let sent = rig.sent();
        assert_eq!(sent.first(), Some(&GET_DATA), "{sent:02X?}");
        assert_eq!(sent.last(), Some(&VERIFY_PIN), "{sent:02X?}");
    }
    assert_eq!(rig.tries(), (2, 10));
    // The next query asks with GET DATA again, in the channel the fallback opened.
    assert_eq!(rig.session.pin_status().unwrap(), PinStatus::TriesLeft(2));
    assert_eq!(rig.sent(), [GET_DATA]);
}

/// Another application opens its own secure channel between two of ours (a browser and `cie
/// sign` taking turns): the card then refuses our stale channel's VERIFY at the
/// secure-messaging layer (`69 88`), without checking the PIN. The caller's PIN is sent once
/// more over a new channel and the login works, spending no try; a wrong PIN in the same
/// situation spends exactly one.
#[test]
fn login_after_another_application_took_the_channel() {
    let mut rig = Rig::new(Profile::Nxp);
    // Our channel is open (a status query), not logged in yet: a PKCS#11 token in use.
    rig.channel_open();
    let mut other = Session::open(rig.handle.connect()).unwrap();
    other.verify_pin(&pin()).unwrap();
    rig.sent();
    rig.session.verify_pin(&pin()).expect("the login over a new channel");
    let verifies = rig.sent().iter().filter(|h| **h == VERIFY_PIN).count();
    assert!(verifies <= 2, "at most the refused VERIFY and the one over the new channel: {verifies}");
    assert_eq!(rig.tries(), (3, 10), "no try spent");

    // The other application again, then a wrong PIN from us: exactly one try.
    rig.session.logout();
    rig.channel_open();
    other.logout();
    other.verify_pin(&pin()).unwrap();
    let wrong = Pin::new("11112222").unwrap();
    let e = rig.session.verify_pin(&wrong).unwrap_err();
    assert!(matches!(e, Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }), "{e:?}");
    assert_eq!(rig.tries(), (2, 10));
    rig.session.verify_pin(&pin()).unwrap();
    assert_eq!(rig.tries(), (3, 10));
}
