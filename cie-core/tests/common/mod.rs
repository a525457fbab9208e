//! Shared helpers: a simulated card behind a counting transport.

#![allow(dead_code)]

use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::transport::{ApduCounter, Counting};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions, SimTransport};
use rsa::RsaPublicKey;

pub(crate) type SimSession = Session<Counting<SimTransport>>;

pub(crate) struct Rig {
    pub(crate) handle: SimHandle,
    pub(crate) session: SimSession,
    pub(crate) counter: ApduCounter,
}

pub(crate) fn rig(profile: Profile, sod: SodProfile) -> Rig {
    let card = SimCard::new(profile, fixtures::card_image(sod), SimOptions::default());
    let handle = SimHandle::new(card);
    let transport = Counting::new(handle.connect());
    let counter = transport.counter();
    let session = Session::open(transport).expect("open session");
    Rig { handle, session, counter }
}

pub(crate) fn pin() -> Pin {
    Pin::new(fixtures::TEST_PIN).unwrap()
}

pub(crate) fn puk() -> Puk {
    Puk::new(fixtures::TEST_PUK).unwrap()
}

pub(crate) fn exchanges(counter: &ApduCounter) -> u64 {
    counter.stats().exchanges
}

/// The RSA public key of a DER certificate.
pub(crate) fn certificate_key(der: &[u8]) -> RsaPublicKey {
    cie_core::certificate::public_key(der).unwrap()
}
