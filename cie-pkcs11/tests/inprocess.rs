//! The module's safe API against the in-process simulator: slots, token, objects, login,
//! signatures, PIN management, certificate cache, removal, slot events, concurrency, APDU costs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cie_core::sign::HashAlg;
use cie_pkcs11::{AttrAnswer, Ckr, Config, Output};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile};
use common::*;
use cryptoki_sys::*;
use rsa::traits::PublicKeyParts;

const PIN: &[u8] = fixtures::TEST_PIN.as_bytes();
const PUK: &[u8] = fixtures::TEST_PUK.as_bytes();

fn err<T: std::fmt::Debug>(r: Result<T, Ckr>) -> CK_RV {
    r.expect_err("an error").rv()
}

#[test]
fn slot_and_token_information() {
    let rig = Rig::nxp();
    let m = &rig.module;
    assert_eq!(m.slot_list(false, true).unwrap(), vec![0]);
    assert_eq!(m.slot_list(true, true).unwrap(), vec![0]);
    let slot = m.slot_info(0).unwrap();
    assert_eq!(slot.flags, CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT);
    assert!(slot.slotDescription.starts_with(READER.as_bytes()));
    assert_eq!(err(m.slot_info(7)), CKR_SLOT_ID_INVALID);

    let t = m.token_info(0).unwrap();
    assert_eq!(&t.label, b"CIE 378215946021                ");
    assert_eq!(&t.serialNumber, b"378215946021    ");
    assert_eq!(&t.model, b"CIE 3.0         ");
    assert!(t.manufacturerID.starts_with(b"NXP "));
    assert_eq!(t.flags, CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED | CKF_WRITE_PROTECTED);
    assert_eq!((t.ulMinPinLen, t.ulMaxPinLen), (8, 8));
    assert_eq!(t.ulSessionCount, 0);

    let expected = vec![
        CKM_RSA_PKCS,
        CKM_SHA1_RSA_PKCS,
        CKM_SHA224_RSA_PKCS,
        CKM_SHA256_RSA_PKCS,
        CKM_SHA384_RSA_PKCS,
        CKM_SHA512_RSA_PKCS,
        CKM_SHA_1,
        CKM_SHA224,
        CKM_SHA256,
        CKM_SHA384,
        CKM_SHA512,
    ];
    assert_eq!(m.mechanism_list(0).unwrap(), expected);
    // No CKF_HW: verification (and the hash of CKM_SHAx_RSA_PKCS) runs on the host
    // (cie-pkcs11/README.md, "Mechanism flags").
    for mechanism in &expected[..6] {
        let info = m.mechanism_info(0, *mechanism).unwrap();
        assert_eq!((info.ulMinKeySize, info.ulMaxKeySize, info.flags), (2048, 2048, CKF_SIGN | CKF_VERIFY));
    }
    assert_eq!(m.mechanism_info(0, CKM_SHA384).unwrap().flags, CKF_DIGEST);
    assert_eq!(err(m.mechanism_info(0, CKM_RSA_PKCS_PSS)), CKR_MECHANISM_INVALID);
    assert_eq!(err(m.mechanism_info(0, CKM_RSA_X_509)), CKR_MECHANISM_INVALID);

    // Another generation: the manufacturer follows the chip.
    let gem = Rig::new(Profile::Gemalto, Config::without_cache());
    assert!(gem.module.token_info(0).unwrap().manufacturerID.starts_with(b"Gemalto "));
}

#[test]
fn objects_appear_with_login_and_queries_send_no_apdu() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    assert_eq!(rig.find(s, &[]), Vec::<CK_OBJECT_HANDLE>::new(), "no cache: nothing before login");
    assert_eq!(m.session_info(s).unwrap().state, CKS_RO_PUBLIC_SESSION);

    let before = rig.apdus();
    let count_low = |m: &cie_pkcs11::Module| m.token_info(0).unwrap().flags & CKF_USER_PIN_COUNT_LOW != 0;
    assert!(!count_low(m));
    // A PIN of the wrong length: CKR_PIN_INCORRECT (cie-pkcs11/README.md), no APDU, no try;
    // CKF_USER_PIN_COUNT_LOW says an incorrect PIN was entered, until the next good login.
    for bad in [&b"1234"[..], b"123456789", b"", b"1234567a"] {
        assert_eq!(err(m.login(s, CKU_USER, bad)), CKR_PIN_INCORRECT);
        assert!(count_low(m), "{bad:?}");
    }
    assert_eq!(rig.apdus(), before, "malformed PINs never reach the card (C_GetTokenInfo neither)");
    assert_eq!(rig.card.with_card(|c| c.pin_tries_left()), 3);
    let other = rig.session(false);
    assert!(count_low(m), "the flag is the token's, not the session's");
    m.close_session(other).unwrap();

    m.login(s, CKU_USER, PIN).unwrap();
    assert!(!count_low(m), "a good login clears the flag");
    assert_eq!(err(m.login(s, CKU_USER, PIN)), CKR_USER_ALREADY_LOGGED_IN);
    assert_eq!(m.session_info(s).unwrap().state, CKS_RO_USER_FUNCTIONS);

    // The first query after login reads the certificate; every later one sends no APDU.
    let all = rig.find(s, &[]);
    assert_eq!(all.len(), 3);
    let before = rig.apdus();
    let cert = rig.find(s, &[(CKA_CLASS, ulong(CKO_CERTIFICATE))]);
    assert_eq!(cert.len(), 1);
    assert_eq!(rig.attribute(s, cert[0], CKA_VALUE), certificate());
    let key = rig.private_key(s);
    let public = rig.find(s, &[(CKA_CLASS, ulong(CKO_PUBLIC_KEY))])[0];
    let id = rig.attribute(s, key, CKA_ID);
    assert_eq!(rig.attribute(s, cert[0], CKA_ID), id);
    assert_eq!(rig.attribute(s, public, CKA_ID), id);
    assert_eq!(rig.find(s, &[(CKA_ID, id.clone()), (CKA_SIGN, vec![CK_TRUE])]), vec![key]);
    assert_eq!(rig.attribute(s, public, CKA_MODULUS_BITS), ulong(2048));
    assert_eq!(rig.attribute(s, cert[0], CKA_CERTIFICATE_TYPE), ulong(CKC_X_509));
    let label = String::from_utf8(rig.attribute(s, key, CKA_LABEL)).unwrap();
    assert_eq!(label, "MARIO ROSSI (CIE)");

    // Buffer conventions through the module.
    let (a, rv) = m.attribute_values(s, key, &[(CKA_MODULUS, None), (CKA_PRIVATE_EXPONENT, None)]).unwrap();
    assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE);
    assert_eq!(a, vec![AttrAnswer::Length(256), AttrAnswer::Unavailable]);
    let (a, rv) = m.attribute_values(s, cert[0], &[(CKA_VALUE, Some(10)), (0x7fff_0000, Some(4))]).unwrap();
    assert_eq!(rv, CKR_ATTRIBUTE_TYPE_INVALID);
    assert_eq!(a, vec![AttrAnswer::Unavailable, AttrAnswer::Unavailable]);
    let (_, rv) = m.attribute_values(s, cert[0], &[(CKA_VALUE, Some(10))]).unwrap();
    assert_eq!(rv, CKR_BUFFER_TOO_SMALL);
    assert_eq!(err(m.attribute_values(s, 0xdead, &[(CKA_CLASS, None)])), CKR_OBJECT_HANDLE_INVALID);
    assert!(m.object_size(s, cert[0]).unwrap() > 1000);
    assert_eq!(rig.apdus(), before, "object queries send no APDU");

    // Find-operation state machine.
    m.find_init(s, &[]).unwrap();
    assert_eq!(err(m.find_init(s, &[])), CKR_OPERATION_ACTIVE);
    m.find_final(s).unwrap();
    assert_eq!(err(m.find_final(s)), CKR_OPERATION_NOT_INITIALIZED);
    assert_eq!(err(m.find_next(s, 1)), CKR_OPERATION_NOT_INITIALIZED);

    // Write protection.
    assert_eq!(err(m.destroy_object(s, key)), CKR_SESSION_READ_ONLY);
    let rw = rig.session(true);
    assert_eq!(err(m.destroy_object(rw, key)), CKR_ACTION_PROHIBITED);
    assert_eq!(err(m.set_attribute_values(rw, cert[0])), CKR_ACTION_PROHIBITED);
    assert_eq!(err(m.create_object(rw, true)), CKR_TOKEN_WRITE_PROTECTED);
    assert_eq!(err(m.create_object(s, true)), CKR_SESSION_READ_ONLY);
    // A session object may be created in a read-only session; the module creates none.
    assert_eq!(err(m.create_object(s, false)), CKR_FUNCTION_NOT_SUPPORTED);
    assert_eq!(err(m.create_object(rw, false)), CKR_FUNCTION_NOT_SUPPORTED);
    assert_eq!(err(m.copy_object(s, key)), CKR_ACTION_PROHIBITED);
    assert_eq!(err(m.copy_object(s, 0xdead)), CKR_OBJECT_HANDLE_INVALID);

    // Logout hides the private key again and drops the PIN.
    m.logout(s).unwrap();
    assert_eq!(err(m.logout(s)), CKR_USER_NOT_LOGGED_IN);
    assert_eq!(rig.find(s, &[]).len(), 2, "certificate and public key stay known in this insertion");
    assert!(rig.find(s, &[(CKA_CLASS, ulong(CKO_PRIVATE_KEY))]).is_empty());
}

/// Signs `data` with `mechanism` through the module.
fn sign(rig: &Rig, s: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, mechanism: CK_MECHANISM_TYPE, data: &[u8]) -> Vec<u8> {
    rig.module.sign_init(s, mechanism, false, key).unwrap();
    match rig.module.sign(s, data, Some(512)).unwrap() {
        Output::Bytes(sig) => sig,
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_mechanism_signs_verifiably_single_and_multi_part() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    m.login(s, CKU_USER, PIN).unwrap();
    let key = rig.private_key(s);
    let data = b"a document to sign, long enough to be split in several parts".to_vec();
    for (mechanism, alg) in [
        (CKM_SHA1_RSA_PKCS, HashAlg::Sha1),
        (CKM_SHA224_RSA_PKCS, HashAlg::Sha224),
        (CKM_SHA256_RSA_PKCS, HashAlg::Sha256),
        (CKM_SHA384_RSA_PKCS, HashAlg::Sha384),
        (CKM_SHA512_RSA_PKCS, HashAlg::Sha512),
    ] {
        let di = cie_core::sign::digest_info_of(alg, &data);
        let before = rig.apdus();
        let single = sign(&rig, s, key, mechanism, &data);
        assert!(rig.apdus() - before <= 3, "a signature after login costs at most 3 APDUs");
        verify_digest_info(&di, &single);
        // Multi-part.
        m.sign_init(s, mechanism, false, key).unwrap();
        for part in data.chunks(7) {
            m.sign_update(s, part).unwrap();
        }
        assert_eq!(m.sign_final(s, None).unwrap(), Output::Length(256));
        let multi = match m.sign_final(s, Some(256)).unwrap() {
            Output::Bytes(sig) => sig,
            other => panic!("{other:?}"),
        };
        assert_eq!(multi, single, "{alg:?}: PKCS#1 v1.5 is deterministic");
        // CKM_RSA_PKCS over the same DigestInfo gives the same signature.
        assert_eq!(sign(&rig, s, key, CKM_RSA_PKCS, &di), single);
    }

    // Size query and short buffer keep the operation; then the real call works.
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, b"x");
    m.sign_init(s, CKM_RSA_PKCS, false, key).unwrap();
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS, false, key)), CKR_OPERATION_ACTIVE);
    assert_eq!(m.sign(s, &di, None).unwrap(), Output::Length(256));
    assert_eq!(m.sign(s, &di, Some(1)).unwrap(), Output::TooSmall(256));
    let Output::Bytes(sig) = m.sign(s, &di, Some(256)).unwrap() else { panic!() };
    verify_digest_info(&di, &sig);
    assert_eq!(err(m.sign(s, &di, Some(256))), CKR_OPERATION_NOT_INITIALIZED, "the operation ended");

    // CKM_RSA_PKCS input at most k - 11 = 245 bytes.
    m.sign_init(s, CKM_RSA_PKCS, false, key).unwrap();
    assert_eq!(err(m.sign(s, &[1u8; 246], None)), CKR_DATA_LEN_RANGE);
    let Output::Bytes(sig) = ({
        m.sign_init(s, CKM_RSA_PKCS, false, key).unwrap();
        m.sign(s, &[0x5Au8; 245], Some(256)).unwrap()
    }) else {
        panic!()
    };
    verify_digest_info(&[0x5Au8; 245], &sig);

    // Mechanisms and keys the card cannot use.
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS_PSS, false, key)), CKR_MECHANISM_INVALID);
    assert_eq!(err(m.sign_init(s, CKM_RSA_X_509, false, key)), CKR_MECHANISM_INVALID);
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS, true, key)), CKR_MECHANISM_PARAM_INVALID);
    let public = rig.find(s, &[(CKA_CLASS, ulong(CKO_PUBLIC_KEY))])[0];
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS, false, public)), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS, false, 12345)), CKR_KEY_HANDLE_INVALID);

    // Cancel (PKCS#11 3.0).
    m.sign_init(s, CKM_RSA_PKCS, false, key).unwrap();
    m.session_cancel(s, CKF_SIGN).unwrap();
    assert_eq!(err(m.sign(s, &di, None)), CKR_OPERATION_NOT_INITIALIZED);

    // After logout, no signature.
    m.logout(s).unwrap();
    assert_eq!(err(m.sign_init(s, CKM_RSA_PKCS, false, key)), CKR_USER_NOT_LOGGED_IN);
}

#[test]
fn wrong_pins_update_flags_and_the_puk_unblocks() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(true);
    let flags = |m: &cie_pkcs11::Module| m.token_info(0).unwrap().flags;
    assert_eq!(err(m.login(s, CKU_USER, b"00000000")), CKR_PIN_INCORRECT);
    assert_ne!(flags(m) & CKF_USER_PIN_COUNT_LOW, 0);
    assert_eq!(flags(m) & CKF_USER_PIN_FINAL_TRY, 0);
    assert_eq!(err(m.login(s, CKU_USER, b"00000000")), CKR_PIN_INCORRECT);
    assert_ne!(flags(m) & CKF_USER_PIN_FINAL_TRY, 0);
    assert_eq!(err(m.login(s, CKU_USER, b"00000000")), CKR_PIN_LOCKED);
    assert_ne!(flags(m) & CKF_USER_PIN_LOCKED, 0);
    assert_eq!(rig.card.with_card(|c| c.pin_tries_left()), 0);
    assert_eq!(err(m.login(s, CKU_USER, PIN)), CKR_PIN_LOCKED, "even the right PIN");

    // The SO (PUK) unblocks and sets a new PIN.
    let ro = rig.session(false);
    assert_eq!(err(m.login(s, CKU_SO, PUK)), CKR_SESSION_READ_ONLY_EXISTS);
    m.close_session(ro).unwrap();
    assert_eq!(err(m.login(s, CKU_SO, b"123")), CKR_PIN_INCORRECT);
    assert_eq!(rig.card.with_card(|c| c.puk_tries_left()), 10, "a PUK of the wrong length spends no try");
    m.login(s, CKU_SO, PUK).unwrap();
    assert_eq!(m.session_info(s).unwrap().state, CKS_RW_SO_FUNCTIONS);
    assert_eq!(err(m.open_session(0, CKF_SERIAL_SESSION)), CKR_SESSION_READ_WRITE_SO_EXISTS);
    assert_eq!(err(m.init_pin(s, b"1111")), CKR_PIN_LEN_RANGE);
    m.init_pin(s, b"11112222").unwrap();
    assert_eq!(flags(m) & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY), 0);
    m.logout(s).unwrap();
    m.login(s, CKU_USER, b"11112222").unwrap();
    m.logout(s).unwrap();

    // A wrong PUK: CKR_PIN_INCORRECT at C_Login already (one PUK try spent), no SO session.
    assert_eq!(err(m.login(s, CKU_SO, b"00000000")), CKR_PIN_INCORRECT);
    assert_ne!(flags(m) & CKF_SO_PIN_COUNT_LOW, 0);
    assert_eq!(rig.card.with_card(|c| c.puk_tries_left()), 9);
    assert_eq!(err(m.init_pin(s, b"12345678")), CKR_USER_NOT_LOGGED_IN);
    assert_eq!(rig.card.with_card(|c| c.puk_tries_left()), 9);

    // C_SetPIN changes the PIN (R/W session), with checks before any APDU; an old PIN of the
    // wrong length is an incorrect PIN, as at C_Login.
    let before = rig.apdus();
    assert_eq!(flags(m) & CKF_USER_PIN_COUNT_LOW, 0);
    assert_eq!(err(m.set_pin(s, b"1111", b"87878787")), CKR_PIN_INCORRECT);
    assert_ne!(flags(m) & CKF_USER_PIN_COUNT_LOW, 0);
    assert_eq!(err(m.set_pin(s, b"11112222", b"123")), CKR_PIN_LEN_RANGE);
    assert_eq!(err(m.set_pin(s, b"11112222", b"1234567x")), CKR_PIN_INVALID);
    assert_eq!(rig.apdus(), before);
    let ro = rig.session(false);
    assert_eq!(err(m.set_pin(ro, b"11112222", b"87878787")), CKR_SESSION_READ_ONLY);
    assert_eq!(err(m.set_pin(s, b"99999999", b"87878787")), CKR_PIN_INCORRECT);
    m.set_pin(s, b"11112222", b"87878787").unwrap();
    assert_eq!(flags(m) & CKF_USER_PIN_COUNT_LOW, 0, "the card accepted the old PIN");
    m.login(s, CKU_USER, b"87878787").unwrap();
    // The PIN held for the session is the new one: signing still works.
    let key = rig.private_key(s);
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, b"after change");
    verify_digest_info(&di, &sign(&rig, s, key, CKM_RSA_PKCS, &di));
}

#[test]
fn closing_the_last_session_logs_out() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let a = rig.session(false);
    let b = rig.session(false);
    m.login(a, CKU_USER, PIN).unwrap();
    assert_eq!(m.session_info(b).unwrap().state, CKS_RO_USER_FUNCTIONS, "login is per token");
    assert_eq!(m.token_info(0).unwrap().ulSessionCount, 2);
    m.close_session(a).unwrap();
    assert_eq!(err(m.close_session(a)), CKR_SESSION_HANDLE_INVALID);
    assert!(m.is_user_logged_in(0).unwrap());
    m.close_session(b).unwrap();
    assert!(!m.is_user_logged_in(0).unwrap());
    let c = rig.session(false);
    assert_eq!(m.session_info(c).unwrap().state, CKS_RO_PUBLIC_SESSION);
    assert!(c > b, "handles are never reused");
    m.close_all_sessions(0).unwrap();
    assert_eq!(err(m.session_info(c)), CKR_SESSION_HANDLE_INVALID);
    assert_eq!(err(m.open_session(0, CKF_RW_SESSION)), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
}

#[test]
fn removal_closes_sessions_and_reinsertion_is_a_new_token() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    m.login(s, CKU_USER, PIN).unwrap();
    let key = rig.private_key(s);

    rig.remove();
    assert_eq!(err(m.session_info(s)), CKR_DEVICE_REMOVED);
    assert_eq!(err(m.session_info(s)), CKR_SESSION_HANDLE_INVALID);
    assert_eq!(err(m.token_info(0)), CKR_TOKEN_NOT_PRESENT);
    assert_eq!(err(m.open_session(0, CKF_SERIAL_SESSION)), CKR_TOKEN_NOT_PRESENT);
    assert_eq!(m.slot_info(0).unwrap().flags & CKF_TOKEN_PRESENT, 0);
    assert_eq!(m.slot_list(true, true).unwrap(), Vec::<CK_SLOT_ID>::new());
    assert_eq!(m.slot_list(false, true).unwrap(), vec![0]);

    rig.insert();
    let s2 = rig.session(false);
    assert_eq!(m.session_info(s2).unwrap().state, CKS_RO_PUBLIC_SESSION, "a new token starts logged out");
    assert!(rig.find(s2, &[]).is_empty());
    m.login(s2, CKU_USER, PIN).unwrap();
    let key2 = rig.private_key(s2);
    assert_ne!(key, key2, "object handles are never reused");
    assert_eq!(err(m.sign_init(s2, CKM_RSA_PKCS, false, key)), CKR_KEY_HANDLE_INVALID);

    // Removal in the middle of an operation: the card fails, the module reports it.
    m.sign_init(s2, CKM_SHA256_RSA_PKCS, false, key2).unwrap();
    rig.card.remove(); // the reader has not noticed yet
    assert_eq!(err(m.sign(s2, b"data", Some(256))), CKR_DEVICE_REMOVED);
    assert_eq!(err(m.session_info(s2)), CKR_DEVICE_REMOVED, "the session is closed when next used");
    assert_eq!(err(m.session_info(s2)), CKR_SESSION_HANDLE_INVALID);
    assert_eq!(err(m.token_info(0)), CKR_TOKEN_NOT_PRESENT, "stale reader state is not trusted");
    rig.reader.remove();
    rig.insert();
    let t = m.token_info(0).unwrap();
    assert_eq!(&t.label, b"CIE 378215946021                ", "the card is a token again");
    assert_eq!(&t.serialNumber, b"378215946021    ");
    assert_eq!(t.flags, CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED | CKF_WRITE_PROTECTED);
    assert_eq!((t.ulSessionCount, t.ulRwSessionCount), (0, 0), "the dead sessions are not counted");
    let s3 = rig.session(false);
    assert_eq!(m.session_info(s3).unwrap().state, CKS_RO_PUBLIC_SESSION, "a new token starts logged out");
}

#[test]
fn slot_events() {
    let rig = Arc::new(Rig::nxp());
    let m = &rig.module;
    assert_eq!(err(m.wait_for_slot_event(CKF_DONT_BLOCK)), CKR_NO_EVENT, "the card at start is no event");
    rig.remove();
    assert_eq!(m.wait_for_slot_event(CKF_DONT_BLOCK).unwrap(), 0);
    assert_eq!(err(m.wait_for_slot_event(CKF_DONT_BLOCK)), CKR_NO_EVENT);

    // A blocking wait is woken by an insertion...
    let r = rig.clone();
    let waiter = std::thread::spawn(move || r.module.wait_for_slot_event(0));
    std::thread::sleep(Duration::from_millis(100));
    rig.insert();
    assert_eq!(waiter.join().unwrap(), Ok(0));

    // ...and by C_Finalize.
    let r = rig.clone();
    let waiter = std::thread::spawn(move || r.module.wait_for_slot_event(0));
    std::thread::sleep(Duration::from_millis(100));
    rig.module.finalize().unwrap();
    assert_eq!(waiter.join().unwrap(), Err(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED)));
}

#[test]
fn certificate_cache_shows_objects_before_login() {
    let dir = temp_dir("cache");
    let cache_dir = dir.join("cie");
    {
        let rig = Rig::new(Profile::Nxp, Config::with_cache_dir(&cache_dir));
        let s = rig.session(false);
        assert!(rig.find(s, &[]).is_empty(), "first time: nothing before login");
        rig.module.login(s, CKU_USER, PIN).unwrap();
        assert_eq!(rig.find(s, &[]).len(), 3, "the certificate is read when objects are asked for");
    }
    // One certificate file, one card-constants file.
    let mut files: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort_by_key(|p| p.extension().map(|e| e.to_owned()));
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[1].extension().unwrap(), "cert");
    let content = std::fs::read(&files[1]).unwrap();
    let cert = certificate();
    assert!(!content.windows(64).any(|w| cert.windows(64).next() == Some(w)), "stored encrypted");

    // A later process (a new module) sees the certificate and the public key before login.
    let rig = Rig::new(Profile::Nxp, Config::with_cache_dir(&cache_dir));
    let s = rig.session(false);
    let objects = rig.find(s, &[]);
    assert_eq!(objects.len(), 2);
    let c = rig.find(s, &[(CKA_CLASS, ulong(CKO_CERTIFICATE))]);
    assert_eq!(rig.attribute(s, c[0], CKA_VALUE), cert);
    assert!(rig.find(s, &[(CKA_CLASS, ulong(CKO_PRIVATE_KEY))]).is_empty());
    rig.module.login(s, CKU_USER, PIN).unwrap();
    assert_eq!(rig.find(s, &[]).len(), 3);

    // With the cache off the same card shows nothing before login.
    let off = Rig::nxp();
    let s = off.session(false);
    assert!(off.find(s, &[]).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A certificate cache entry left under the genuine card's key by a hostile card (one that
/// replays the genuine card's EF.SN.ICC, NIS and key-83 answer: here the same card image with
/// another certificate in EF 1003, DESIGN.md §5). The genuine card then shows the foreign
/// certificate before login, but its first signature, which fails the check against that
/// certificate, is checked against the card's own certificate instead and returned; the
/// token's objects and the cache entry are corrected, and `C_Login` costs no more for it.
#[test]
fn a_foreign_certificate_in_the_cache_is_replaced_at_the_first_signature() {
    let dir = temp_dir("poisoned");
    let cache_dir = dir.join("cie");
    let own = certificate();
    let foreign = fixtures::document_signer_certificate().to_vec();
    assert_ne!(own, foreign);
    let shown = |rig: &Rig, s: CK_SESSION_HANDLE| {
        let c = rig.find(s, &[(CKA_CLASS, ulong(CKO_CERTIFICATE))]);
        assert_eq!(c.len(), 1);
        rig.attribute(s, c[0], CKA_VALUE)
    };
    {
        let mut image = fixtures::card_image(SodProfile::Sha256Pkcs1);
        image.certificate = foreign.clone();
        let hostile = Rig::with_image(Profile::Nxp, image, Config::with_cache_dir(&cache_dir));
        let s = hostile.session(false);
        hostile.module.login(s, CKU_USER, PIN).unwrap();
        assert_eq!(shown(&hostile, s), foreign, "the hostile card's certificate, now in the cache");
    }

    // The genuine card, in a new process.
    let rig = Rig::new(Profile::Nxp, Config::with_cache_dir(&cache_dir));
    let m = &rig.module;
    let s = rig.session(false);
    assert_eq!(shown(&rig, s), foreign, "the poisoned entry is shown before login");
    let before = rig.apdus();
    m.login(s, CKU_USER, PIN).unwrap();
    let login = rig.apdus() - before;
    assert!(login <= 16, "C_Login in a new process on a card seen before costs {login} exchanges");
    let key = rig.private_key(s);
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, b"signed despite a poisoned cache");
    let sig = sign(&rig, s, key, CKM_RSA_PKCS, &di);
    verify_digest_info(&di, &sig);
    assert_eq!(shown(&rig, s), own, "the token now shows the card's own certificate");
    let modulus = certificate_key().n().to_bytes_be();
    assert_eq!(rig.attribute(s, key, CKA_MODULUS), modulus, "and its keys");
    let before = rig.apdus();
    assert_eq!(sign(&rig, s, key, CKM_RSA_PKCS, &di), sig);
    assert!(rig.apdus() - before <= 3, "the next signature costs what a signature costs");
    drop(rig);

    // A later process sees the card's own certificate before login: the entry was replaced.
    let rig = Rig::new(Profile::Nxp, Config::with_cache_dir(&cache_dir));
    let s = rig.session(false);
    assert_eq!(shown(&rig, s), own);
    rig.module.login(s, CKU_USER, PIN).unwrap();
    let key = rig.private_key(s);
    let before = rig.apdus();
    verify_digest_info(&di, &sign(&rig, s, key, CKM_RSA_PKCS, &di));
    assert!(rig.apdus() - before <= 3, "the first signature after login, with the corrected cache");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eight_threads_sign_concurrently() {
    let rig = Arc::new(Rig::nxp());
    let s = rig.session(false);
    rig.module.login(s, CKU_USER, PIN).unwrap();
    let key = rig.private_key(s);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let rig = rig.clone();
            std::thread::spawn(move || {
                let s = rig.session(false);
                for j in 0..3 {
                    let data = format!("thread {i} signature {j}");
                    let sig = sign(&rig, s, key, CKM_SHA256_RSA_PKCS, data.as_bytes());
                    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, data.as_bytes()), &sig);
                }
                rig.module.close_session(s).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(rig.module.is_user_logged_in(0).unwrap(), "the first session is still open");
}

#[test]
fn login_cost_on_a_card_seen_before() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    m.login(s, CKU_USER, PIN).unwrap();
    m.logout(s).unwrap();
    let before = rig.apdus();
    m.login(s, CKU_USER, PIN).unwrap();
    let cost = rig.apdus() - before;
    assert!(cost <= 17, "C_Login on a card already seen costs {cost} APDUs");
}

/// A card that is not a CIE: it knows no application.
struct NotACie;

impl cie_core::Transport for NotACie {
    fn transaction(&mut self) -> Result<Box<dyn cie_core::Link + '_>, cie_core::TransportError> {
        Ok(Box::new(NotACieLink))
    }
    fn atr(&mut self) -> Result<Vec<u8>, cie_core::TransportError> {
        Ok(vec![0x3B, 0x00])
    }
}

struct NotACieLink;

impl cie_core::Link for NotACieLink {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, cie_core::TransportError> {
        Ok(vec![0x6A, 0x82])
    }
}

#[test]
fn another_card_is_not_recognized() {
    let backend = cie_pkcs11::InProcessBackend::new();
    backend.add_reader("Other Reader", || Ok(Box::new(NotACie)));
    let m = cie_pkcs11::Module::with_backend(backend, Config::without_cache());
    m.initialize(None).unwrap();
    assert_eq!(m.slot_list(true, true).unwrap(), vec![0], "a card is present");
    assert_eq!(err(m.token_info(0)), CKR_TOKEN_NOT_RECOGNIZED);
    assert_eq!(err(m.open_session(0, CKF_SERIAL_SESSION)), CKR_TOKEN_NOT_RECOGNIZED);
    m.finalize().unwrap();
}

#[test]
fn a_reset_by_another_application_is_absorbed() {
    let rig = Rig::nxp();
    let m = &rig.module;
    let s = rig.session(false);
    m.login(s, CKU_USER, PIN).unwrap();
    let key = rig.private_key(s);
    rig.card.reset();
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, b"after a reset");
    verify_digest_info(&di, &sign(&rig, s, key, CKM_RSA_PKCS, &di));
    assert_eq!(m.session_info(s).unwrap().state, CKS_RO_USER_FUNCTIONS);
}
