//! The fuzz card: the test card of [`crate::fixtures`] with small keys and a small DH group, so
//! that a whole handshake costs microseconds in the fuzz targets (fuzz/README.md, "Fast path").
//!
//! It is NOT a CIE and no production host talks to it: a normal build of the host library
//! refuses its DH group (256-bit p) and its CA key (640 bits), and its CA key only verifies
//! terminal certificates made with the 512-bit test terminal key that the host library compiles
//! in fuzz builds only (`--cfg fuzzing`). Everything else is the test card's: NIS, serial,
//! EF.SN.ICC, PIN/PUK. Keys `81` (768 bits, large enough for a SHA-512 DigestInfo), `82` and `83`
//! (512 bits) are drawn from seeded generators ([`crate::pki::rng_for`]); EF 1003 is a certificate
//! of key `81` (self-issued under the citizen CA's name: the fuzz card has no CA key), and EF.SOD
//! is signed again by the test Document Signer over the fuzz card's data groups.

use std::sync::OnceLock;

use num_bigint::BigUint;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::RsaPrivateKey;

use crate::fixtures::{self, TEST_NIS, TEST_SERIAL};
use crate::image::{CardImage, SodProfile};
use crate::pki;

/// DH prime p (256 bits), p = 1 mod q.
const DH_P: [u8; 32] = [
    0xc7, 0xdd, 0x77, 0x0d, 0xdd, 0x3a, 0x78, 0x67, 0x12, 0xa3, 0xc7, 0x46, 0x9e, 0xf4, 0xb6, 0x79, 0xdf, 0x16, 0x22,
    0xd5, 0xda, 0xff, 0x5e, 0x92, 0xa4, 0x77, 0x09, 0xe2, 0x96, 0x1f, 0xeb, 0xe7,
];

/// DH subgroup order q (64 bits).
const DH_Q: [u8; 8] = [0xde, 0x2b, 0xa9, 0xc8, 0xcf, 0x2e, 0xd1, 0xdf];

/// DH generator g, of order q.
const DH_G: [u8; 32] = [
    0xa7, 0xc0, 0x19, 0x85, 0xdf, 0x06, 0xbf, 0x81, 0xc3, 0x11, 0xf0, 0x74, 0x36, 0x8b, 0xd5, 0x72, 0x32, 0x52, 0x96,
    0x01, 0xb0, 0x2d, 0x1c, 0xa4, 0x33, 0x10, 0xbd, 0xe0, 0x80, 0x49, 0x93, 0xf9,
];

/// Key `84` modulus n' (640 bits, product of two 320-bit primes): d_CA, the published CA private
/// exponent, works with it (PROTOCOL.md §3.3), as with the test card's 2048-bit one.
const CA_MODULUS: [u8; 80] = [
    0xd6, 0x13, 0x40, 0x5c, 0x3a, 0xc8, 0xf0, 0x16, 0xae, 0x0b, 0xbf, 0xd4, 0x0b, 0x46, 0x11, 0x4f, 0xfe, 0x17, 0xf2,
    0x36, 0x82, 0x72, 0xf6, 0x01, 0xae, 0x19, 0xca, 0x72, 0xf0, 0x82, 0x78, 0x14, 0x7a, 0xb0, 0xa2, 0x4c, 0x31, 0x1b,
    0x39, 0x65, 0x4d, 0x20, 0xaa, 0x08, 0x4b, 0x86, 0x64, 0x4f, 0xe0, 0x62, 0xb1, 0x4d, 0xe7, 0xcc, 0xf9, 0x50, 0x6b,
    0xbf, 0xac, 0xbb, 0x26, 0xd0, 0xc7, 0xd7, 0xcb, 0xef, 0x34, 0x41, 0xa9, 0xaa, 0xa7, 0xa7, 0x48, 0x99, 0x12, 0x41,
    0xd7, 0x25, 0x52, 0x1b,
];

/// Key `84` public exponent e' = d_CA^-1 mod lambda(n').
const CA_EXPONENT: [u8; 80] = [
    0x02, 0xf8, 0x23, 0x06, 0x83, 0xa1, 0x7b, 0xd9, 0xd5, 0xa2, 0x8d, 0xf1, 0x90, 0x96, 0xc6, 0x71, 0xad, 0x9d, 0xdb,
    0x01, 0x16, 0xdd, 0x36, 0xac, 0x80, 0x6b, 0x4b, 0xd5, 0x90, 0xad, 0xbf, 0xf4, 0x92, 0x11, 0xd6, 0xc9, 0x8c, 0x45,
    0x03, 0x8c, 0x4e, 0x2a, 0xa2, 0x60, 0x0a, 0xe0, 0x9c, 0x68, 0x7f, 0x84, 0xea, 0x79, 0x50, 0x05, 0x35, 0xbc, 0xf6,
    0x7c, 0x0a, 0xf0, 0xf5, 0x4d, 0x02, 0x55, 0x8b, 0xc2, 0x3b, 0xaa, 0x84, 0xb2, 0x6a, 0xae, 0x4b, 0x78, 0xcc, 0x3c,
    0x17, 0x64, 0xe3, 0xe9,
];

/// Sizes of keys `81`, `82`, `83` in bits.
pub const KEY_BITS: [usize; 3] = [768, 512, 512];

/// What is generated once per process: the keys, EF 1003 and both EF.SOD.
struct Generated {
    keys: [RsaPrivateKey; 3],
    certificate: Vec<u8>,
    int_kpub: Vec<u8>,
    servizi_kpub: Vec<u8>,
    ef_dh: Vec<u8>,
    sod_sha256: Vec<u8>,
    sod_sha512: Vec<u8>,
}

fn generated() -> &'static Generated {
    static GENERATED: OnceLock<Generated> = OnceLock::new();
    GENERATED.get_or_init(|| {
        // Seeded generators and committed constants: a failure is a bug of this module, found
        // by its tests, never card or caller data.
        let key = |name: &str, bits| {
            RsaPrivateKey::new(&mut pki::rng_for(name), bits).expect("seeded fuzz card key generation")
        };
        let keys = [key("fuzz key 81", KEY_BITS[0]), key("fuzz key 82", KEY_BITS[1]), key("fuzz key 83", KEY_BITS[2])];
        let certificate = pki::self_issued_citizen_certificate(&keys[0]).expect("fuzz card certificate");
        let der = |k: &RsaPrivateKey| k.to_public_key().to_pkcs1_der().expect("PKCS#1 encoding").as_bytes().to_vec();
        let (int_kpub, servizi_kpub) = (der(&keys[1]), der(&keys[2]));
        let big = BigUint::from_bytes_be;
        let ef_dh = pki::ef_dh(&big(&DH_P), &big(&DH_Q), &big(&DH_G)).expect("EF.DH encoding");
        let groups = [
            (0xa1, TEST_NIS.as_bytes()),
            (0xa2, TEST_SERIAL.as_bytes()),
            (0xa3, &certificate[..]),
            (0xa4, &int_kpub[..]),
            (0xa5, &servizi_kpub[..]),
            (0x1b, &ef_dh[..]),
        ];
        let ds_key = fixtures::document_signer_key();
        let ds_cert = fixtures::document_signer_certificate();
        let sod = |profile, name: &str| {
            pki::build_sod(profile, &groups, &ds_key, ds_cert, &mut pki::rng_for(name)).expect("fuzz card EF.SOD")
        };
        let sod_sha256 = sod(SodProfile::Sha256Pkcs1, "fuzz sod sha256");
        let sod_sha512 = sod(SodProfile::Sha512Pss, "fuzz sod sha512");
        Generated { keys, certificate, int_kpub, servizi_kpub, ef_dh, sod_sha256, sod_sha512 }
    })
}

/// The fuzz card's personalisation with EF.SOD in `profile`. The first call generates the
/// keys (milliseconds); later calls clone.
pub fn image(profile: SodProfile) -> CardImage {
    let g = generated();
    let [key_sign, key_dapp, key_servizi] = g.keys.clone();
    CardImage {
        sod: match profile {
            SodProfile::Sha256Pkcs1 => g.sod_sha256.clone(),
            SodProfile::Sha512Pss => g.sod_sha512.clone(),
        },
        sod_profile: profile,
        certificate: g.certificate.clone(),
        int_kpub: g.int_kpub.clone(),
        servizi_kpub: g.servizi_kpub.clone(),
        ef_dh: g.ef_dh.clone(),
        dh_g: DH_G.to_vec(),
        dh_p: DH_P.to_vec(),
        dh_q: DH_Q.to_vec(),
        key_sign,
        key_dapp,
        key_servizi,
        ca_modulus: CA_MODULUS.to_vec(),
        ca_exponent: CA_EXPONENT.to_vec(),
        ..fixtures::card_image(profile)
    }
}
