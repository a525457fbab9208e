//! The session checks every signature the card returns (PROTOCOL.md §7.1, issue 9 §1): an
//! answer that is not exactly the modulus length, or that does not verify with the holder's
//! certificate, is `Error::CardSignature` and is never returned, whether the session read the
//! certificate itself, was given its key from a cache, or knew nothing yet.

mod common;

use cie_core::sign::HashAlg;
use cie_core::{Error, SignatureError};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SignFault};
use common::*;
use rsa::Pkcs1v15Sign;
use sha2::Sha256;

/// Each fault is refused with its typed error; then the good card signs again.
fn faults_are_refused(rig: &mut Rig) {
    let key = certificate_key(&fixtures::card_image(SodProfile::Sha256Pkcs1).certificate);
    for (fault, expected) in [
        (SignFault::Length(257), SignatureError::WrongLength { expected: 256, got: 257 }),
        (SignFault::Length(300), SignatureError::WrongLength { expected: 256, got: 300 }),
        (SignFault::Length(255), SignatureError::WrongLength { expected: 256, got: 255 }),
        (SignFault::WrongSignature, SignatureError::DoesNotVerify),
    ] {
        rig.handle.set_sign_fault(fault);
        match rig.session.sign(HashAlg::Sha256, b"data") {
            Err(Error::CardSignature(e)) => assert_eq!(e, expected, "{fault}"),
            other => panic!("{fault}: {other:?}"),
        }
        rig.handle.set_sign_fault(SignFault::None);
        let sig = rig.session.sign(HashAlg::Sha256, b"good").unwrap();
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &HashAlg::Sha256.hash(b"good"), &sig).unwrap();
    }
}

#[test]
fn a_session_that_never_read_the_certificate_reads_it_before_signing() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    assert!(!rig.session.knows_signing_key());
    faults_are_refused(&mut rig);
    assert!(rig.session.knows_signing_key());
    assert!(rig.session.cached_certificate().is_some(), "the key came from the card's certificate");
}

#[test]
fn a_session_given_the_cached_certificate_checks_with_its_key() {
    let mut rig = rig(Profile::Gemalto, SodProfile::Sha256Pkcs1);
    rig.session.use_certificate_key(&fixtures::card_image(SodProfile::Sha256Pkcs1).certificate).unwrap();
    assert!(rig.session.knows_signing_key());
    rig.session.verify_pin(&pin()).unwrap();
    let before = exchanges(&rig.counter);
    rig.session.sign(HashAlg::Sha256, b"x").unwrap();
    assert_eq!(
        exchanges(&rig.counter) - before,
        3,
        "no certificate read: MSE SET, INTERNAL AUTHENTICATE, GET RESPONSE"
    );
    faults_are_refused(&mut rig);
    assert!(rig.session.cached_certificate().is_none(), "the certificate was never read from the card");
}

#[test]
fn a_key_that_is_not_the_cards_refuses_every_signature() {
    // A stale or foreign certificate: the card's correct signatures do not verify with it.
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.use_certificate_key(fixtures::document_signer_certificate()).unwrap();
    rig.session.verify_pin(&pin()).unwrap();
    assert!(matches!(
        rig.session.sign(HashAlg::Sha256, b"x"),
        Err(Error::CardSignature(SignatureError::DoesNotVerify | SignatureError::WrongLength { .. }))
    ));
    assert!(rig.session.use_certificate_key(b"\x30\x03\x02\x01\x00").is_err(), "not a certificate");
}
