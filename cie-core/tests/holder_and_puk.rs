//! The holder's data from the certificate (name, fiscal code, validity) and the PUK status
//! query, in-process against the simulator.

mod common;

use cie_core::certificate;
use cie_core::session::PinStatus;
use cie_core::Error;
use cie_sim::image::SodProfile;
use cie_sim::Profile;
use common::*;

#[test]
fn holder_from_the_certificate() {
    let mut rig = rig(Profile::Nxp, SodProfile::Sha256Pkcs1);
    rig.session.verify_pin(&pin()).unwrap();
    let cert = rig.session.certificate().unwrap();
    let h = certificate::holder(&cert).unwrap();
    assert_eq!(h.given_name.as_deref(), Some("MARIO"));
    assert_eq!(h.surname.as_deref(), Some("ROSSI"));
    assert_eq!(h.name().as_deref(), Some("MARIO ROSSI"));
    assert_eq!(h.fiscal_code.as_deref(), Some("RSSMRA80A01H501U"));
    // 2024-01-01T00:00:00Z and 2049-12-31T23:59:59Z.
    assert_eq!((h.not_before, h.not_after), (1_704_067_200, 2_524_607_999));
}

#[test]
fn puk_tries_are_read_without_spending_one() {
    let mut rig = rig(Profile::Gemalto, SodProfile::Sha256Pkcs1);
    assert_eq!(rig.session.puk_status().unwrap(), PinStatus::TriesLeft(10));
    let wrong = cie_core::pin::Puk::new("11112222").unwrap();
    let e = rig.session.unblock_pin(&wrong, &pin()).unwrap_err();
    assert!(matches!(e, Error::WrongCredential { tries_left: Some(9), .. }), "{e:?}");
    assert_eq!(rig.session.puk_status().unwrap(), PinStatus::TriesLeft(9));
    assert_eq!(rig.session.puk_status().unwrap(), PinStatus::TriesLeft(9), "asking spends nothing");
}
