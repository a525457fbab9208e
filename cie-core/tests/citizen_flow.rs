//! The whole citizen flow in-process against the simulator, on every card generation.

mod common;

use cie_core::csca::CscaSet;
use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::sod::SignatureAlgorithm;
use cie_core::{Credential, Error};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::{Profile, SimCard, SimHandle, SimOptions};
use common::*;
use rsa::Pkcs1v15Sign;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};

fn scheme(alg: HashAlg) -> Pkcs1v15Sign {
    match alg {
        HashAlg::Sha1 => Pkcs1v15Sign::new::<Sha1>(),
        HashAlg::Sha224 => Pkcs1v15Sign::new::<Sha224>(),
        HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        HashAlg::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        HashAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        other => panic!("{other} is for verification only, not in HashAlg::ALL"),
    }
}

#[test]
fn every_generation_end_to_end() {
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        // Alternate the EF.SOD profile so both are exercised on several generations.
        let sod = if i % 2 == 0 { SodProfile::Sha256Pkcs1 } else { SodProfile::Sha512Pss };
        let mut rig = rig(profile, sod);
        let s = &mut rig.session;
        assert!(
            s.generation().name().eq_ignore_ascii_case(profile.name()),
            "detected {} for {}",
            s.generation(),
            profile.name()
        );
        assert_eq!(s.nis(), fixtures::TEST_NIS);
        assert!(matches!(s.certificate(), Err(Error::LoginRequired)), "{profile:?}: certificate before PIN");
        s.verify_pin(&pin()).unwrap();
        let cert = s.certificate().unwrap();
        assert_eq!(cert, rig.handle.with_card(|c| c.image().certificate.clone()));
        let key = certificate_key(&cert);
        for alg in HashAlg::ALL {
            let data = format!("challenge for {} with {}", profile.name(), alg.name());
            let sig = s.sign(alg, data.as_bytes()).unwrap();
            key.verify(scheme(alg), &alg.hash(data.as_bytes()), &sig)
                .unwrap_or_else(|e| panic!("{profile:?} {alg:?}: {e}"));
        }
        assert_eq!(s.serial().unwrap(), fixtures::TEST_SERIAL);
        let report = s.verify_sod(&test_csca()).unwrap();
        assert!(report.trusted());
        let mut checked = report.checked.clone();
        checked.sort_unstable();
        assert_eq!(checked, vec![0x1B, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5], "{profile:?}");
    }
}

#[test]
fn both_sod_profiles_verify_on_one_generation() {
    for sod in [SodProfile::Sha256Pkcs1, SodProfile::Sha512Pss] {
        let mut rig = rig(Profile::Nxp, sod);
        // Before login: the public data groups only.
        let report = rig.session.verify_sod(&CscaSet::new()).unwrap();
        assert_eq!(report.chain, cie_core::sod::Chain::NotChecked);
        let mut checked = report.checked.clone();
        checked.sort_unstable();
        assert_eq!(checked, vec![0x1B, 0xA1, 0xA4, 0xA5]);
        let (digest, signature) = match sod {
            SodProfile::Sha256Pkcs1 => (HashAlg::Sha256, SignatureAlgorithm::Pkcs1(HashAlg::Sha1)),
            SodProfile::Sha512Pss => (HashAlg::Sha512, SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 }),
        };
        assert_eq!((report.digest, report.signature), (digest, signature));
        // The simulator's test CSCA is not one of the Italian CSCAs.
        let report = rig.session.verify_sod(&CscaSet::italian()).unwrap();
        assert!(matches!(report.chain, cie_core::sod::Chain::Untrusted(_)), "{:?}", report.chain);
    }
}

/// The anti-clone check (PROTOCOL.md §8.3.3): the genuine card's key 83 answers a fresh
/// challenge (2 more exchanges); a clone (every file of the genuine card copied, EF.SOD
/// included, onto a chip whose key 83 is another) passes passive authentication of its files
/// but not this, and is refused.
#[test]
fn verify_sod_checks_the_chip_holds_key_83() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha512Pss);
    let before = exchanges(&rig.counter);
    let report = rig.session.verify_sod(&CscaSet::new()).unwrap();
    assert!(report.chip_authenticated);
    let after = exchanges(&rig.counter);
    // Again: the files are read anew, and a new challenge is signed (not a replay).
    let report = rig.session.verify_sod(&CscaSet::new()).unwrap();
    assert!(report.chip_authenticated);
    assert!(exchanges(&rig.counter) - after >= 2, "a second challenge was sent");
    assert!(after > before);

    let mut image = fixtures::card_image(SodProfile::Sha512Pss);
    image.key_servizi = image.key_dapp.clone();
    let clone = SimCard::new(Profile::Nxp, image, SimOptions::default());
    let handle = SimHandle::new(clone);
    let mut session = Session::open(handle.connect()).unwrap();
    match session.verify_sod(&CscaSet::new()) {
        Err(Error::PassiveAuthentication(why)) => assert!(why.contains("not the genuine chip"), "{why}"),
        other => panic!("a clone passed: {other:?}"),
    }
}

#[test]
fn wrong_pin_spends_exactly_one_try() {
    let mut rig = rig(Profile::Gemalto, SodProfile::Sha256Pkcs1);
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3);
    let wrong = Pin::new("00000000").unwrap();
    match rig.session.verify_pin(&wrong) {
        Err(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }) => {}
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 2);
    assert_eq!(rig.session.pin_tries_left(), Some(2));
    // The right PIN restores the counter.
    rig.session.verify_pin(&pin()).unwrap();
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3);
}

#[test]
fn malformed_pin_sends_nothing_and_spends_nothing() {
    let rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    let before = exchanges(&rig.counter);
    for bad in ["1234", "123456789", "1234567x", ""] {
        assert!(matches!(Pin::new(bad), Err(Error::InvalidCredentialFormat(Credential::Pin))));
    }
    assert_eq!(exchanges(&rig.counter), before, "no APDU for a malformed PIN");
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3);
    // A wrong-length VERIFY that reaches the card anyway spends no try (67 00).
    let mut t = rig.handle.connect();
    use cie_core::Transport;
    let mut link = t.transaction().unwrap();
    let resp = link.transmit(&[0x00, 0x20, 0x00, 0x81, 0x04, b'1', b'2', b'3', b'4']).unwrap();
    assert_ne!(resp[resp.len() - 2..], [0x90, 0x00]);
    drop(link);
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3);
}

#[test]
fn third_wrong_pin_blocks_and_puk_unblocks() {
    let mut rig = rig(Profile::Bit4id2023, SodProfile::Sha512Pss);
    let wrong = Pin::new("11111111").unwrap();
    assert!(matches!(rig.session.verify_pin(&wrong), Err(Error::WrongCredential { tries_left: Some(2), .. })));
    assert!(matches!(rig.session.verify_pin(&wrong), Err(Error::WrongCredential { tries_left: Some(1), .. })));
    assert!(matches!(rig.session.verify_pin(&wrong), Err(Error::Blocked(Credential::Pin))));
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 0);
    // Even the right PIN is refused now, and spends nothing.
    assert!(matches!(rig.session.verify_pin(&pin()), Err(Error::Blocked(Credential::Pin))));
    // A wrong PUK spends one PUK try.
    let wrong_puk = Puk::new("00000000").unwrap();
    let new_pin = Pin::new("24681357").unwrap();
    assert!(matches!(
        rig.session.unblock_pin(&wrong_puk, &new_pin),
        Err(Error::WrongCredential { credential: Credential::Puk, tries_left: Some(9) })
    ));
    assert_eq!(rig.handle.with_card(|c| c.puk_tries_left()), 9);
    rig.session.unblock_pin(&puk(), &new_pin).unwrap();
    assert_eq!(rig.handle.with_card(|c| (c.pin_tries_left(), c.puk_tries_left())), (3, 10));
    assert!(matches!(rig.session.verify_pin(&pin()), Err(Error::WrongCredential { tries_left: Some(2), .. })));
    rig.session.verify_pin(&new_pin).unwrap();
    let sig = rig.session.sign(HashAlg::Sha256, b"after unblock").unwrap();
    assert_eq!(sig.len(), 256);
}

#[test]
fn change_pin() {
    let mut rig = rig(Profile::Stm3, SodProfile::Sha256Pkcs1);
    let new_pin = Pin::new("13572468").unwrap();
    rig.session.verify_pin(&pin()).unwrap();
    rig.session.change_pin(&pin(), &new_pin).unwrap();
    // The session keeps working with the new PIN held, even across a reset.
    rig.handle.reset();
    rig.session.sign(HashAlg::Sha256, b"x").unwrap();
    rig.session.logout();
    assert!(matches!(rig.session.verify_pin(&pin()), Err(Error::WrongCredential { .. })));
    rig.session.verify_pin(&new_pin).unwrap();
}

/// A reset PC/SC never reported, in the middle of the handshake (pcscd resets the card when it
/// cleans up after a process that died mid-command, and may do so while this handle's
/// transaction runs): the card forgot the host's DH value and refuses the next step. The
/// handshake is run once more as after a reset (the same card confirmed, selected again) and
/// the login works; no PIN went to the card before the new channel.
#[test]
fn a_reset_nobody_reported_during_the_handshake_is_recovered() {
    let mut rig = rig(Profile::Stm3, SodProfile::Sha256Pkcs1);
    // The session is open, with no channel yet: login starts the handshake, whose second APDU
    // (after MSE SET with the host's DH value) meets a card reset in silence.
    rig.handle.reset_silently_before(2);
    rig.session.verify_pin(&pin()).expect("login after a silent reset");
    rig.session.sign(HashAlg::Sha256, b"after a silent reset").expect("signature after a silent reset");
    assert_eq!(rig.handle.with_card(|card| card.pin_tries_left()), 3);
}

#[test]
fn signature_after_login_costs_three_exchanges() {
    let mut rig = rig(Profile::Actalis2023, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    rig.session.sign(HashAlg::Sha256, b"first").unwrap();
    let before = exchanges(&rig.counter);
    rig.session.sign(HashAlg::Sha256, b"second").unwrap();
    let cost = exchanges(&rig.counter) - before;
    assert!(cost <= 3, "a signature after login cost {cost} exchanges");
}

#[test]
fn login_on_a_card_already_seen_costs_at_most_17_exchanges() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    rig.session.logout();
    let before = exchanges(&rig.counter);
    rig.session.verify_pin(&pin()).unwrap();
    let cost = exchanges(&rig.counter) - before;
    assert!(cost <= 17, "login cost {cost} exchanges");
}

#[test]
fn card_reset_between_two_signatures_is_recovered() {
    let mut rig = rig(Profile::Gemalto2, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    let cert = rig.session.certificate().unwrap();
    let key = certificate_key(&cert);
    let s1 = rig.session.sign(HashAlg::Sha256, b"one").unwrap();
    rig.handle.reset();
    let s2 = rig.session.sign(HashAlg::Sha256, b"two").unwrap();
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &HashAlg::Sha256.hash(b"one"), &s1).unwrap();
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &HashAlg::Sha256.hash(b"two"), &s2).unwrap();
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3);
}

/// Another card in the reader where a reset was reported (a transport that cannot tell a
/// removal and a reinsertion from a reset): the session must see that the card is not the one
/// it opened (EF.SN.ICC) and never send it the PIN it holds.
#[test]
fn another_card_after_a_reset_never_gets_the_held_pin() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    rig.session.sign(HashAlg::Sha256, b"one").unwrap();
    let mut other = fixtures::card_image(SodProfile::Sha256Pkcs1);
    // Another chip: the last byte of its serial number differs.
    let last = other.sn_icc.len() - 1;
    other.sn_icc[last] ^= 0x5A;
    let options = SimOptions { pin: "24681357".into(), puk: "97531864".into() };
    rig.handle.with_card(|c| *c = SimCard::new(Profile::Nxp, other, options));
    rig.handle.reset();
    let e = rig.session.sign(HashAlg::Sha256, b"two").expect_err("no signature by another card");
    assert!(e.is_card_removed(), "{e:?}");
    assert_eq!(rig.handle.with_card(|c| c.pin_tries_left()), 3, "the held PIN was tried on the other card");
    // The PIN is forgotten: nothing more is signed without a new login.
    assert!(matches!(rig.session.sign(HashAlg::Sha256, b"three"), Err(Error::LoginRequired)));
}

#[test]
fn tampered_response_mac_is_detected() {
    let mut rig = rig(Profile::Bit4idB9547, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    rig.session.sign(HashAlg::Sha256, b"warm up").unwrap();
    // The MAC of the very next answer is corrupted: the host must notice, discard the
    // channel, rebuild it (DH + DAPP + PIN) and only then sign.
    rig.handle.corrupt_response_mac_at(1);
    let before = exchanges(&rig.counter);
    let sig = rig.session.sign(HashAlg::Sha256, b"after tamper").unwrap();
    let cost = exchanges(&rig.counter) - before;
    assert!(cost > 3 + 14, "no channel rebuild after a bad MAC ({cost} exchanges)");
    let key = certificate_key(&rig.session.certificate().unwrap());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &HashAlg::Sha256.hash(b"after tamper"), &sig).unwrap();
}

#[test]
fn card_removed_is_a_clean_error() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    rig.handle.remove();
    let err = rig.session.sign(HashAlg::Sha256, b"gone").unwrap_err();
    assert!(err.is_card_removed(), "{err}");
    assert!(!rig.session.is_logged_in(), "the PIN must be forgotten when the card is removed");
    rig.handle.insert();
    // The old connection stays dead; a new one works.
    assert!(matches!(rig.session.sign(HashAlg::Sha256, b"still gone"), Err(Error::LoginRequired)));
    assert!(rig.session.pin_status().unwrap_err().is_card_removed());
    let mut s = Session::open(rig.handle.connect()).unwrap();
    s.verify_pin(&pin()).unwrap();
    s.sign(HashAlg::Sha256, b"back").unwrap();
}

#[test]
fn status_word_injection_is_reported() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    // A "file not found" on the MSE SET of the signature is an error, not a retry loop.
    rig.handle.answer_status_at(1, [0x6F, 0x00]);
    let err = rig.session.sign(HashAlg::Sha256, b"x").unwrap_err();
    assert!(matches!(err, Error::Card { .. } | Error::SecureMessaging(_)), "{err}");
    // And the session is usable afterwards.
    rig.session.sign(HashAlg::Sha256, b"y").unwrap();
}

/// The simulator's test CSCA as the only trust anchor.
fn test_csca() -> CscaSet {
    let mut set = CscaSet::new();
    set.add_der(fixtures::csca_certificate()).unwrap();
    set
}
