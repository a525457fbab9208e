//! The fuzz card (`cie_sim::fuzz_card`, fuzz/README.md "Fast path"): its personalisation is
//! consistent, a normal build of the host library refuses it, and a cloned card carries on
//! exactly where the original was.

use cie_core::csca::CscaSet;
use cie_core::dapp;
use cie_core::dh::DhGroup;
use cie_core::error::Error;
use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sod::{verify_sod, DataGroup};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, fuzz_card, Profile, SimCard, SimHandle, SimOptions};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::traits::PublicKeyParts;

#[test]
fn personalisation_is_consistent() {
    for profile in [SodProfile::Sha256Pkcs1, SodProfile::Sha512Pss] {
        let img = fuzz_card::image(profile);
        let bits: Vec<usize> = [&img.key_sign, &img.key_dapp, &img.key_servizi].iter().map(|k| k.n().bits()).collect();
        assert_eq!(bits, fuzz_card::KEY_BITS);
        assert_eq!(img.int_kpub, img.key_dapp.to_public_key().to_pkcs1_der().unwrap().as_bytes());
        assert_eq!(img.servizi_kpub, img.key_servizi.to_public_key().to_pkcs1_der().unwrap().as_bytes());
        let cert_key = cie_core::certificate::public_key(&img.certificate).unwrap();
        assert_eq!(cert_key, img.key_sign.to_public_key());
        // EF.SOD covers the fuzz card's own data groups and chains to the test CSCA.
        let groups = [
            DataGroup { number: 0xA1, content: &img.nis },
            DataGroup { number: 0xA2, content: &img.serial },
            DataGroup { number: 0xA3, content: &img.certificate },
            DataGroup { number: 0xA4, content: &img.int_kpub },
            DataGroup { number: 0xA5, content: &img.servizi_kpub },
            DataGroup { number: 0x1B, content: &img.ef_dh },
        ];
        let mut csca = CscaSet::new();
        csca.add_der(fixtures::csca_certificate()).unwrap();
        assert!(verify_sod(&img.sod, &groups, &csca).unwrap().trusted());
        // The same NIS, serial and EF.SN.ICC as the test card.
        let real = fixtures::card_image(profile);
        assert_eq!((&img.nis, &img.serial, &img.sn_icc), (&real.nis, &real.serial, &real.sn_icc));
    }
}

#[test]
fn a_normal_build_refuses_the_small_group_and_ca_key() {
    let img = fuzz_card::image(SodProfile::Sha256Pkcs1);
    let group = DhGroup { g: img.dh_g.clone(), p: img.dh_p.clone(), q: img.dh_q.clone() };
    assert_eq!((img.dh_p.len(), img.dh_q.len(), img.ca_modulus.len()), (32, 8, 80));
    assert!(matches!(group.check(), Err(Error::Malformed(_))), "a 256-bit DH group is refused");
    assert_eq!((cie_core::dh::MIN_MODULUS_BITS, cie_core::dh::MIN_ORDER_BITS), (1024, 160));
    assert_eq!(dapp::MIN_CA_MODULUS_LEN, 128);
    assert_eq!(cie_core::interop::TERMINAL_MODULUS.len(), 256);
    // A whole session: opening works (plain reads), the handshake stops at the DH group.
    let handle = SimHandle::new(SimCard::new(Profile::Nxp, img, SimOptions::default()));
    let mut s = Session::open(handle.connect()).unwrap();
    let pin = Pin::new(fixtures::TEST_PIN).unwrap();
    assert!(matches!(s.verify_pin(&pin), Err(Error::Malformed(_))));
    assert_eq!(handle.with_card(|c| c.pin_tries_left()), 3, "no PIN reached the card");
}

#[test]
fn a_clone_carries_on_from_the_same_state() {
    let mut card = SimCard::new(Profile::Gemalto, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let select = [0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39];
    assert_eq!(card.process(&select), [0x90, 0x00]);
    // The clone answers every following command like the original, random challenges included.
    let mut copy = card.clone();
    let challenge = [0x00, 0x84, 0x00, 0x00, 0x08];
    let read_sn = [0x00, 0xB0, 0x00, 0x00, 0x00];
    for cmd in [&challenge[..], &read_sn[..], &challenge[..]] {
        assert_eq!(card.process(cmd), copy.process(cmd));
    }
    assert_eq!(card.commands_processed(), copy.commands_processed());
    assert_eq!(card.pin_tries_left(), copy.pin_tries_left());
}
