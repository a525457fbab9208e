//! The C entry points against the in-process simulated card (no PC/SC): status codes,
//! out-parameters, buffer conventions, and signatures that verify.

use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr::{null, null_mut};

use cie::*;
use cie_core::sign::HashAlg;
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use rsa::{Pkcs1v15Sign, RsaPublicKey};

struct Card {
    handle: SimHandle,
    card: *mut cie_card,
}

impl Drop for Card {
    fn drop(&mut self) {
        unsafe { cie_card_free(self.card) };
    }
}

fn open(profile: Profile) -> Card {
    let sim = SimCard::new(profile, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(sim);
    let card = Box::into_raw(cie_card::from_transport(Box::new(handle.connect())).unwrap());
    Card { handle, card }
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(cie_last_error()) }.to_str().unwrap().to_owned()
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn verify(card: &Card, pin: &str) -> (cie_status, c_int) {
    let mut tries = 99;
    let st = unsafe { cie_card_verify_pin(card.card, c(pin).as_ptr(), &mut tries) };
    (st, tries)
}

fn string(
    card: &Card,
    f: unsafe extern "C" fn(*const cie_card, *mut c_char, *mut usize) -> cie_status,
) -> Result<String, cie_status> {
    let mut len = 0usize;
    let st = unsafe { f(card.card, null_mut(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    let mut buf = vec![0u8; len];
    let st = unsafe { f(card.card, buf.as_mut_ptr().cast(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    assert_eq!(len, buf.len());
    Ok(CStr::from_bytes_with_nul(&buf).unwrap().to_str().unwrap().to_owned())
}

fn certificate(card: &Card) -> Result<Vec<u8>, cie_status> {
    let mut len = 0usize;
    let st = unsafe { cie_card_certificate(card.card, null_mut(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    let mut buf = vec![0u8; len];
    let st = unsafe { cie_card_certificate(card.card, buf.as_mut_ptr(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    Ok(buf)
}

fn key_of(cert: &[u8]) -> RsaPublicKey {
    cie_core::certificate::public_key(cert).unwrap()
}

/// Asserts that `sig` is the holder key's PKCS#1 v1.5 signature of `data` hashed with SHA-256.
fn assert_sha256_signature(key: &RsaPublicKey, data: &[u8], sig: &[u8]) {
    assert_eq!(sig.len(), 256);
    let digest_info = cie_core::sign::digest_info_of(HashAlg::Sha256, data);
    key.verify(Pkcs1v15Sign::new_unprefixed(), &digest_info, sig).expect("the signature verifies");
}

fn sign(card: &Card, hash: cie_hash, data: &[u8]) -> Result<Vec<u8>, cie_status> {
    let mut len = 0usize;
    let st = unsafe { cie_card_sign(card.card, hash, data.as_ptr(), data.len(), null_mut(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    let mut sig = vec![0u8; len];
    let st = unsafe { cie_card_sign(card.card, hash, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len) };
    if st != CIE_OK {
        return Err(st);
    }
    sig.truncate(len);
    Ok(sig)
}

#[test]
fn public_data_without_pin() {
    let card = open(Profile::Nxp);
    assert_eq!(string(&card, cie_card_nis).unwrap(), fixtures::TEST_NIS);
    assert_eq!(string(&card, cie_card_generation).unwrap(), "NXP");
    let mut atr = [0u8; 64];
    let mut len = atr.len();
    assert_eq!(unsafe { cie_card_atr(card.card, atr.as_mut_ptr(), &mut len) }, CIE_OK);
    assert_eq!(&atr[..len], Profile::Nxp.atr());
    // A string buffer one byte short (no room for the NUL) is refused with the size needed.
    let mut buf = [0u8; 12];
    let mut len = buf.len();
    let st = unsafe { cie_card_nis(card.card, buf.as_mut_ptr().cast(), &mut len) };
    assert_eq!(st, CIE_ERR_BUFFER_TOO_SMALL);
    assert_eq!(len, 13);
    assert!(last_error().contains("13"), "{}", last_error());
}

#[test]
fn pin_protected_data_needs_login_without_spending_apdus() {
    let card = open(Profile::Gemalto);
    let before = card.handle.apdus();
    assert_eq!(certificate(&card).unwrap_err(), CIE_ERR_LOGIN_REQUIRED);
    assert_eq!(string(&card, cie_card_serial).unwrap_err(), CIE_ERR_LOGIN_REQUIRED);
    assert_eq!(sign(&card, CIE_HASH_SHA256, b"x").unwrap_err(), CIE_ERR_LOGIN_REQUIRED);
    assert!(last_error().contains("PIN"), "{}", last_error());
    assert_eq!(card.handle.apdus(), before);

    // A malformed PIN is refused before any APDU, and no try is spent.
    for bad in ["1234567", "123456789", "1234567a", ""] {
        let (st, tries) = verify(&card, bad);
        assert_eq!(st, CIE_ERR_BAD_PIN_FORMAT, "{bad:?}");
        assert_eq!(tries, -1);
    }
    assert_eq!(card.handle.apdus(), before);
    assert_eq!(card.handle.with_card(|c| c.pin_tries_left()), 3);

    assert_eq!(verify(&card, fixtures::TEST_PIN), (CIE_OK, 3));
    assert_eq!(string(&card, cie_card_serial).unwrap(), fixtures::TEST_SERIAL);
    assert_eq!(certificate(&card).unwrap(), card.handle.with_card(|c| c.image().certificate.clone()));
}

#[test]
fn signatures_verify_with_the_certificate_key() {
    let card = open(Profile::Nxp);
    assert_eq!(verify(&card, fixtures::TEST_PIN).0, CIE_OK);
    let key = key_of(&certificate(&card).unwrap());
    let data = b"documento da firmare";
    for (hash, alg) in [
        (CIE_HASH_SHA1, HashAlg::Sha1),
        (CIE_HASH_SHA224, HashAlg::Sha224),
        (CIE_HASH_SHA256, HashAlg::Sha256),
        (CIE_HASH_SHA384, HashAlg::Sha384),
        (CIE_HASH_SHA512, HashAlg::Sha512),
    ] {
        let sig = sign(&card, hash, data).unwrap();
        assert_eq!(sig.len(), 256);
        let mut di = alg.digest_info_prefix().to_vec();
        di.extend(alg.hash(data));
        key.verify(Pkcs1v15Sign::new_unprefixed(), &di, &sig).unwrap();

        let digest = alg.hash(data);
        let mut out = vec![0u8; 256];
        let mut len = out.len();
        let st =
            unsafe { cie_card_sign_digest(card.card, hash, digest.as_ptr(), digest.len(), out.as_mut_ptr(), &mut len) };
        assert_eq!(st, CIE_OK, "{}", last_error());
        assert_eq!(out, sig, "PKCS#1 v1.5 is deterministic");
    }

    // A buffer too small is refused before the card signs anything.
    let before = card.handle.apdus();
    let mut out = [0u8; 255];
    let mut len = out.len();
    let st =
        unsafe { cie_card_sign(card.card, CIE_HASH_SHA256, data.as_ptr(), data.len(), out.as_mut_ptr(), &mut len) };
    assert_eq!((st, len), (CIE_ERR_BUFFER_TOO_SMALL, 256));
    assert_eq!(card.handle.apdus(), before);

    // Bad arguments.
    let mut len = 256usize;
    let st = unsafe { cie_card_sign(card.card, 42, data.as_ptr(), data.len(), out.as_mut_ptr(), &mut len) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    let st = unsafe { cie_card_sign_digest(card.card, CIE_HASH_SHA256, data.as_ptr(), 20, null_mut(), &mut len) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    assert!(last_error().contains("32"), "{}", last_error());
    let st = unsafe { cie_card_sign(card.card, CIE_HASH_SHA256, null(), 5, null_mut(), &mut len) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    let st = unsafe { cie_card_sign(card.card, CIE_HASH_SHA256, data.as_ptr(), data.len(), null_mut(), null_mut()) };
    assert_eq!(st, CIE_ERR_BAD_ARGUMENT);
    // Empty data is fine (it is hashed).
    assert_sha256_signature(&key, b"", &sign(&card, CIE_HASH_SHA256, b"").unwrap());
    assert_eq!(card.handle.apdus() - before, 3, "one signature after login: 3 APDUs; refused calls: none");

    // After logout the PIN is needed again.
    assert_eq!(unsafe { cie_card_logout(card.card) }, CIE_OK);
    assert_eq!(sign(&card, CIE_HASH_SHA256, data).unwrap_err(), CIE_ERR_LOGIN_REQUIRED);
}

#[test]
fn wrong_pin_blocked_pin_and_unblock() {
    let card = open(Profile::Stm3);
    assert_eq!(verify(&card, "00000000"), (CIE_ERR_WRONG_PIN, 2));
    assert!(last_error().contains("2 tries left"), "{}", last_error());
    let mut tries = -5;
    assert_eq!(unsafe { cie_card_pin_tries_left(card.card, &mut tries) }, CIE_OK);
    assert_eq!(tries, 2);
    assert_eq!(verify(&card, "00000000"), (CIE_ERR_WRONG_PIN, 1));
    assert_eq!(verify(&card, "00000000").0, CIE_ERR_PIN_BLOCKED);
    assert_eq!(verify(&card, fixtures::TEST_PIN), (CIE_ERR_PIN_BLOCKED, 0));
    assert!(last_error().contains("PUK"), "{}", last_error());
    assert_eq!(unsafe { cie_card_pin_tries_left(card.card, &mut tries) }, CIE_OK);
    assert_eq!(tries, 0);

    let mut puk_tries = 99;
    let st = unsafe { cie_card_unblock_pin(card.card, c("11111111").as_ptr(), c("24681357").as_ptr(), &mut puk_tries) };
    assert_eq!(st, CIE_ERR_WRONG_PUK);
    assert_eq!(puk_tries, i32::from(card.handle.with_card(|c| c.puk_tries_left())));
    assert!(puk_tries >= 0);
    let st = unsafe {
        cie_card_unblock_pin(card.card, c(fixtures::TEST_PUK).as_ptr(), c("24681357").as_ptr(), &mut puk_tries)
    };
    assert_eq!(st, CIE_OK, "{}", last_error());
    assert_eq!(verify(&card, fixtures::TEST_PIN).0, CIE_ERR_WRONG_PIN);
    assert_eq!(verify(&card, "24681357"), (CIE_OK, 3));
    let key = key_of(&card.handle.with_card(|c| c.image().certificate.clone()));
    assert_sha256_signature(&key, b"after unblock", &sign(&card, CIE_HASH_SHA256, b"after unblock").unwrap());
}

#[test]
fn change_pin() {
    let card = open(Profile::Bit4id2023);
    let mut tries = 99;
    let st = unsafe { cie_card_change_pin(card.card, c("99999999").as_ptr(), c("11223344").as_ptr(), &mut tries) };
    assert_eq!((st, tries), (CIE_ERR_WRONG_PIN, 2));
    let st =
        unsafe { cie_card_change_pin(card.card, c(fixtures::TEST_PIN).as_ptr(), c("1122334").as_ptr(), &mut tries) };
    assert_eq!(st, CIE_ERR_BAD_PIN_FORMAT);
    let st =
        unsafe { cie_card_change_pin(card.card, c(fixtures::TEST_PIN).as_ptr(), c("11223344").as_ptr(), null_mut()) };
    assert_eq!(st, CIE_OK, "{}", last_error());
    assert_eq!(card.handle.with_card(|c| c.pin_tries_left()), 3);
    assert_eq!(verify(&card, fixtures::TEST_PIN), (CIE_ERR_WRONG_PIN, 2));
    assert_eq!(verify(&card, "11223344"), (CIE_OK, 3));
}

#[test]
fn passive_authentication() {
    let card = open(Profile::Actalis);
    let (mut csca_ok, mut groups) = (9, 9usize);
    // NULL: the Italian CSCA set, which does not hold the simulator's test CSCA: the data
    // matches, but it is not trusted.
    let st = unsafe { cie_card_verify_sod(card.card, null(), 0, &mut csca_ok, &mut groups) };
    assert_eq!(st, CIE_ERR_SOD_UNTRUSTED, "{}", last_error());
    assert!(last_error().contains("not trusted"), "{}", last_error());
    assert_eq!((csca_ok, groups), (0, 4), "without the PIN: NIS, both keys, EF.DH");

    assert_eq!(verify(&card, fixtures::TEST_PIN).0, CIE_OK);
    let csca = fixtures::csca_certificate();
    let st = unsafe { cie_card_verify_sod(card.card, csca.as_ptr(), csca.len(), &mut csca_ok, &mut groups) };
    assert_eq!(st, CIE_OK, "{}", last_error());
    assert_eq!((csca_ok, groups), (1, 6));

    let wrong = fixtures::citizen_ca_certificate();
    let st = unsafe { cie_card_verify_sod(card.card, wrong.as_ptr(), wrong.len(), &mut csca_ok, null_mut()) };
    assert_eq!(st, CIE_ERR_SOD_UNTRUSTED);
    assert_eq!(csca_ok, 0);
    assert!(!last_error().is_empty());
    // Garbage as the CSCA is the caller's mistake.
    let st = unsafe { cie_card_verify_sod(card.card, [0x30u8, 0].as_ptr(), 2, &mut csca_ok, null_mut()) };
    assert_ne!(st, CIE_OK);
}

#[test]
fn removed_card_and_null_handles() {
    let card = open(Profile::Nxp);
    assert_eq!(verify(&card, fixtures::TEST_PIN).0, CIE_OK);
    card.handle.remove();
    assert_eq!(sign(&card, CIE_HASH_SHA256, b"x").unwrap_err(), CIE_ERR_CARD_REMOVED);
    assert!(last_error().contains("removed"), "{}", last_error());

    let mut len = 0usize;
    assert_eq!(unsafe { cie_card_nis(null(), null_mut(), &mut len) }, CIE_ERR_BAD_ARGUMENT);
    assert_eq!(unsafe { cie_card_verify_pin(card.card, null(), null_mut()) }, CIE_ERR_BAD_ARGUMENT);
    assert_eq!(unsafe { cie_card_open(null(), null_mut()) }, CIE_ERR_BAD_ARGUMENT);
    unsafe { cie_card_free(null_mut()) };
    assert_eq!(unsafe { CStr::from_ptr(cie_version()) }.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(unsafe { CStr::from_ptr(cie_status_string(CIE_ERR_WRONG_PIN)) }.to_str().unwrap(), "wrong PIN");
}

/// A handle shared by threads (against the documented rule) is still safe: calls are
/// serialized. Different handles work in parallel.
#[test]
fn threads() {
    let shared = open(Profile::Nxp);
    assert_eq!(verify(&shared, fixtures::TEST_PIN).0, CIE_OK);
    let key = key_of(&certificate(&shared).unwrap());
    struct Ptr(*mut cie_card);
    unsafe impl Send for Ptr {}
    unsafe impl Sync for Ptr {}
    let ptr = Ptr(shared.card);
    std::thread::scope(|s| {
        for i in 0..4u8 {
            let (ptr, key) = (&ptr, &key);
            s.spawn(move || {
                let data = [i; 10];
                let mut sig = vec![0u8; 256];
                let mut len = sig.len();
                let st = unsafe {
                    cie_card_sign(ptr.0, CIE_HASH_SHA256, data.as_ptr(), data.len(), sig.as_mut_ptr(), &mut len)
                };
                assert_eq!(st, CIE_OK);
                key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &HashAlg::Sha256.hash(&data), &sig).unwrap();
            });
        }
        for profile in [Profile::Gemalto, Profile::Actalis2023] {
            s.spawn(move || {
                let own = open(profile);
                assert_eq!(verify(&own, "00000000"), (CIE_ERR_WRONG_PIN, 2));
                // The message is per thread.
                assert!(last_error().contains("2 tries left"));
                assert_eq!(verify(&own, fixtures::TEST_PIN).0, CIE_OK);
                assert!(last_error().is_empty());
            });
        }
    });
}

#[test]
fn faulty_card_signatures_are_refused_and_nothing_is_written() {
    use cie_sim::SignFault;
    const GUARD: u8 = 0xA5;
    let card = open(Profile::Nxp);
    assert_eq!(verify(&card, fixtures::TEST_PIN).0, CIE_OK);
    let key = key_of(&certificate(&card).unwrap());
    for fault in [SignFault::Length(257), SignFault::Length(300), SignFault::Length(255), SignFault::WrongSignature] {
        card.handle.set_sign_fault(fault);
        // A 256-byte buffer followed by guard bytes, announced as 256 bytes.
        let mut buf = vec![GUARD; 256 + 64];
        let mut len = 256usize;
        let st = unsafe { cie_card_sign(card.card, CIE_HASH_SHA256, b"x".as_ptr(), 1, buf.as_mut_ptr(), &mut len) };
        assert_eq!(st, CIE_ERR_CARD, "{fault}: {}", last_error());
        assert!(last_error().contains("bad signature from the card"), "{}", last_error());
        assert!(buf.iter().all(|&b| b == GUARD), "{fault}: nothing written");
        assert_eq!(len, 256);

        card.handle.set_sign_fault(SignFault::None);
        let st = unsafe { cie_card_sign(card.card, CIE_HASH_SHA256, b"y".as_ptr(), 1, buf.as_mut_ptr(), &mut len) };
        assert_eq!(st, CIE_OK, "{}", last_error());
        assert_eq!(len, 256);
        assert!(buf[256..].iter().all(|&b| b == GUARD));
        let digest = HashAlg::Sha256.hash(b"y");
        key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &buf[..256]).unwrap();
    }
}
