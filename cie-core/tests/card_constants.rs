//! Stored card constants (DESIGN.md §5, issue 13): a card seen before opens in three exchanges
//! and logs in with DH + DAPP + VERIFY only; constants that do not fit the card (tampered, or
//! another card's) are noticed in the handshake and read again, without spending a PIN try.

mod common;

use cie_core::card_constants::CardConstants;
use cie_core::session::Session;
use cie_core::transport::Counting;
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use common::{exchanges, pin, rig};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::{BigUint, RsaPublicKey};

/// The constants a first session stores, with the card it came from.
fn first_contact(profile: Profile) -> (SimHandle, Vec<u8>, Vec<u8>) {
    let mut r = rig(profile, SodProfile::Sha256Pkcs1);
    assert_eq!(r.session.constants_to_store(), None, "nothing to store before a secure channel");
    r.session.verify_pin(&pin()).unwrap();
    let bytes = r.session.constants_to_store().expect("constants after the first secure channel");
    assert_eq!(r.session.constants_to_store(), None, "handed out once");
    (r.handle, r.session.sn_icc().to_vec(), bytes)
}

/// Opens `card` with `stored` as the constants on file; returns the session and the exchanges
/// of opening, and checks the store was asked with EF.SN.ICC.
fn reopen(card: &SimHandle, sn_icc: &[u8], stored: Vec<u8>) -> (Session<Counting<cie_sim::SimTransport>>, u64) {
    let transport = Counting::new(card.connect());
    let counter = transport.counter();
    let s = Session::open_with_constants(transport, |sn| {
        assert_eq!(sn, sn_icc);
        Some(stored)
    })
    .unwrap();
    (s, exchanges(&counter))
}

#[test]
fn a_card_seen_before_opens_in_three_exchanges_and_logs_in_with_the_floor() {
    for profile in [Profile::Nxp, Profile::Gemalto] {
        let (card, sn, bytes) = first_contact(profile);
        let c = CardConstants::decode(&bytes).unwrap();
        assert_eq!(c.nis, fixtures::TEST_NIS);
        let transport = Counting::new(card.connect());
        let counter = transport.counter();
        let mut s = Session::open_with_constants(transport, |_| Some(bytes.clone())).unwrap();
        assert_eq!(exchanges(&counter), 3, "{profile:?}: root, SELECT and READ of EF.SN.ICC");
        assert_eq!(s.nis(), fixtures::TEST_NIS);
        assert_eq!(s.sn_icc(), sn);
        let before = exchanges(&counter);
        s.verify_pin(&pin()).unwrap();
        // SELECT CIE + DH (4) + DAPP (10) + VERIFY.
        assert_eq!(exchanges(&counter) - before, 16, "{profile:?}: login with stored constants");
        assert_eq!(s.constants_to_store(), None, "nothing new to store");
        s.sign(cie_core::sign::HashAlg::Sha256, b"works").unwrap();
    }
}

/// Tamperings that still decode: each must be caught by the handshake and repaired.
#[test]
fn constants_that_do_not_fit_fall_back_to_reading_the_card() {
    let (card, sn, bytes) = first_contact(Profile::Nxp);
    let good = CardConstants::decode(&bytes).unwrap();
    let other_key = RsaPublicKey::new(BigUint::from_bytes_be(&good.ca.modulus), BigUint::from(65537u32))
        .unwrap()
        .to_pkcs1_der()
        .unwrap()
        .as_bytes()
        .to_vec();
    let mut wrong_chip_key = good.clone();
    wrong_chip_key.chip_key_der = other_key;
    let mut wrong_group = good.clone();
    wrong_group.group.g = vec![4];
    let mut wrong_ca = good.clone();
    let last = wrong_ca.ca.modulus.len() - 1;
    wrong_ca.ca.modulus[last] ^= 0x02;
    for (what, tampered) in [("chip key", wrong_chip_key), ("DH group", wrong_group), ("CA key", wrong_ca)] {
        let (mut s, opened) = reopen(&card, &sn, tampered.encode());
        assert_eq!(opened, 3, "{what}: the entry decodes and is taken");
        s.verify_pin(&pin()).unwrap_or_else(|e| panic!("{what}: no fall-back: {e}"));
        assert_eq!(card.with_card(|c| c.pin_tries_left()), 3, "{what}: no PIN try spent");
        // The constants read again are the card's, and they are offered for storage.
        let repaired = s.constants_to_store().unwrap_or_else(|| panic!("{what}: nothing to store"));
        assert_eq!(CardConstants::decode(&repaired).unwrap(), good, "{what}");
        s.sign(cie_core::sign::HashAlg::Sha256, b"after the fall-back").unwrap();
    }
}

/// An entry from another card generation (another root selection) or with another NIS than
/// EF.SN.ICC carries is not taken at all: the card is read as on a first contact.
#[test]
fn constants_of_another_card_are_not_taken() {
    let (_, _, nxp_bytes) = first_contact(Profile::Nxp);
    let gem = SimHandle::new(SimCard::new(
        Profile::Gemalto,
        fixtures::card_image(SodProfile::Sha256Pkcs1),
        SimOptions::default(),
    ));
    let nxp = CardConstants::decode(&nxp_bytes).unwrap();
    let mut other_nis = nxp.clone();
    other_nis.nis = "999999999999".into();
    let (nxp_card, nxp_sn, _) = first_contact(Profile::Nxp);
    for (card, bytes, what) in
        [(&gem, nxp_bytes.clone(), "NXP entry on a Gemalto card"), (&nxp_card, other_nis.encode(), "another NIS")]
    {
        let transport = Counting::new(card.connect());
        let counter = transport.counter();
        let mut s = Session::open_with_constants(transport, |_| Some(bytes)).unwrap();
        assert!(exchanges(&counter) > 3, "{what}: read from the card");
        assert_eq!(s.nis(), fixtures::TEST_NIS, "{what}");
        s.verify_pin(&pin()).unwrap();
        assert!(s.constants_to_store().is_some(), "{what}: the card's own constants replace it");
    }
    // Garbage in the store is no entry.
    let (mut s, opened) = reopen(&nxp_card, &nxp_sn, b"\x01\x00garbage".to_vec());
    assert!(opened > 3);
    s.verify_pin(&pin()).unwrap();
}
