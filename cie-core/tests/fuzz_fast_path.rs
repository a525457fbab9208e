//! What the fuzz targets' fast path (fuzz/README.md, "Fast path") relies on in a normal build:
//! the small parameters of the fuzz card are refused, and the terminal certificate is issued
//! once per CA key.

use cie_core::dapp::{self, CaKey};
use cie_core::dh::{self, DhGroup};
use cie_core::{Error, Link, TransportError};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;

/// A card that answers every command with the same bytes.
struct Answer(Vec<u8>);

impl Link for Answer {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.clone())
    }
}

fn ca_key() -> CaKey {
    let i = fixtures::card_image(SodProfile::Sha256Pkcs1);
    CaKey { modulus: i.ca_modulus, exponent: i.ca_exponent, chr: i.ca_chr, cha: i.ca_cha }
}

#[test]
fn a_normal_build_refuses_small_groups() {
    // p: 256 bits, odd; q: 64 bits; g = 2.
    let mut p = vec![0xC7; 32];
    p[31] = 0x0B;
    let small = DhGroup { g: vec![0x02], p, q: vec![0xDE, 0x2B, 0xA9, 0xC8, 0xCF, 0x2E, 0xD1, 0xDF] };
    assert!(matches!(small.check(), Err(Error::Malformed(_))));
    assert_eq!((dh::MIN_MODULUS_BITS, dh::MIN_ORDER_BITS), (1024, 160));
    // The same shape at the normal sizes passes the size checks.
    let mut p = vec![0xC7; 128];
    p[127] = 0x0B;
    let mut q = vec![0xDE; 20];
    q[19] = 0x01;
    assert!(DhGroup { g: vec![0x02], p, q }.check().is_ok());
}

#[test]
fn a_normal_build_refuses_small_ca_keys() {
    assert_eq!(dapp::MIN_CA_MODULUS_LEN, 128);
    assert_eq!(cie_core::interop::TERMINAL_MODULUS.len(), 256);
    // GET DATA answer `70 { BF A0 04 { 7F 49 { 81 (80 bytes) 82 (3) 5F20 (12) 5F4C (7) } } }`.
    let mut key = vec![0x81, 0x50];
    key.extend_from_slice(&[0xD6; 80]);
    key.extend_from_slice(&[0x82, 0x03, 0x01, 0x00, 0x01]);
    key.extend_from_slice(&[0x5F, 0x20, 0x0C, 0, 0, 0, 0, b'I', b'T', b'S', b'I', b'M', b'C', b'A', b'1']);
    key.extend_from_slice(&[0x5F, 0x4C, 0x07, 0xA0, 0, 0, 0, 0, 0x39, 0x00]);
    let n = key.len() as u8;
    let mut answer = vec![0x70, n + 7, 0xBF, 0xA0, 0x04, n + 3, 0x7F, 0x49, n];
    answer.extend_from_slice(&key);
    answer.extend_from_slice(&[0x90, 0x00]);
    assert!(matches!(dapp::read_ca_key(&mut Answer(answer)), Err(Error::Malformed(_))));
}

#[test]
fn the_terminal_certificate_is_issued_once_per_ca_key() {
    let ca = ca_key();
    let first = dapp::terminal_certificate(&ca).unwrap();
    assert_eq!(&first[..2], [0x7F, 0x21]);
    assert_eq!(dapp::terminal_certificate(&ca).unwrap(), first);
    // A CA key that does not match d_CA is refused, each time.
    let mut wrong = ca.clone();
    wrong.exponent = vec![0x01, 0x00, 0x01];
    for _ in 0..2 {
        assert!(matches!(dapp::terminal_certificate(&wrong), Err(Error::DeviceAuthentication(_))));
    }
    // Another CA key does not disturb the remembered one.
    assert_eq!(dapp::terminal_certificate(&ca).unwrap(), first);
}
