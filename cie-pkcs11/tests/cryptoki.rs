//! The built `libcie_pkcs11.so`, loaded with the `cryptoki` crate, against the simulated card
//! behind a real pcscd (the isolated stack of `cie_sim::stack`): interfaces and function
//! tables, slots, token, objects, login failures and tries, every mechanism (signatures
//! verified against the certificate), PIN change and PUK unblock, removal and reinsertion, the
//! certificate cache, slot events and C_Finalize, 8 threads signing concurrently.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cie_core::sign::HashAlg;
use cie_sim::fixtures;
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;

fn pin(p: &str) -> AuthPin {
    AuthPin::new(p.into())
}

fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}

/// Loads and initialises the module like NSS does (mutex callbacks are not offered by the
/// cryptoki crate; the flags are NSS's).
fn load() -> Pkcs11 {
    let args =
        || CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK | CInitializeFlags::LIBRARY_CANT_CREATE_OS_THREADS);
    let p11 = Pkcs11::new(module_path()).unwrap();
    if let Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) = p11.initialize(args()) {
        // A previous test failed before finalising: start clean.
        p11.clone().finalize().unwrap();
        p11.initialize(args()).unwrap();
    }
    p11
}

/// The slot holding the simulated card.
fn card_slot(p11: &Pkcs11) -> Slot {
    let slots = p11.get_slots_with_token().unwrap();
    assert_eq!(slots.len(), 1, "one card in the stack");
    slots[0]
}

fn private_key(s: &Session) -> ObjectHandle {
    let keys = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap();
    assert_eq!(keys.len(), 1);
    keys[0]
}

fn no_cache() {
    std::env::set_var("CIE_PKCS11_CACHE", "off");
}

#[test]
fn function_tables_and_interfaces() {
    let _serial = serial();
    let _stack = start_stack(); // pcsc-lite must see the stack's socket before its first use
                                // Raw access to the entry points, no card needed.
    let lib = unsafe { cryptoki_sys::Pkcs11::new(module_path()) }.unwrap();
    unsafe {
        let mut list: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
        assert_eq!(lib.C_GetFunctionList(&mut list), CKR_OK);
        let l = &*list;
        assert_eq!((l.version.major, l.version.minor), (2, 40));
        // Every function of the 2.40 table is present.
        let ptrs = std::slice::from_raw_parts((list as *const u8).add(8) as *const usize, 68);
        assert!(ptrs.iter().all(|p| *p != 0), "a NULL entry in the 2.40 table");
        assert_eq!(lib.C_GetFunctionList(std::ptr::null_mut()), CKR_ARGUMENTS_BAD);

        let mut count: CK_ULONG = 0;
        assert_eq!(lib.C_GetInterfaceList(std::ptr::null_mut(), &mut count), CKR_OK);
        assert_eq!(count, 2);
        let mut ifs = [CK_INTERFACE::default(); 2];
        let mut short: CK_ULONG = 1;
        assert_eq!(lib.C_GetInterfaceList(ifs.as_mut_ptr(), &mut short), CKR_BUFFER_TOO_SMALL);
        assert_eq!(short, 2);
        assert_eq!(lib.C_GetInterfaceList(ifs.as_mut_ptr(), &mut count), CKR_OK);
        for i in ifs {
            let name = std::ffi::CStr::from_ptr(i.pInterfaceName as *const std::ffi::c_char);
            assert_eq!(name.to_bytes(), b"PKCS 11");
        }
        let l3 = &*(ifs[0].pFunctionList as *const CK_FUNCTION_LIST_3_0);
        assert_eq!((l3.version.major, l3.version.minor), (3, 0));
        let ptrs = std::slice::from_raw_parts((ifs[0].pFunctionList as *const u8).add(8) as *const usize, 92);
        assert!(ptrs.iter().all(|p| *p != 0), "a NULL entry in the 3.0 table");

        let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
        let mut v240 = CK_VERSION { major: 2, minor: 40 };
        let name = b"PKCS 11\0";
        assert_eq!(lib.C_GetInterface(name.as_ptr() as *mut u8, &mut v240, &mut iface, 0), CKR_OK);
        let l2 = &*((*iface).pFunctionList as *const CK_FUNCTION_LIST);
        assert_eq!((l2.version.major, l2.version.minor), (2, 40));
        let mut v31 = CK_VERSION { major: 3, minor: 1 };
        assert_eq!(lib.C_GetInterface(name.as_ptr() as *mut u8, &mut v31, &mut iface, 0), CKR_ARGUMENTS_BAD);

        // C_Initialize the way NSS does: mutex callbacks + OS locking + no threads.
        unsafe extern "C" fn create(m: *mut *mut std::ffi::c_void) -> CK_RV {
            unsafe { *m = std::ptr::dangling_mut::<u8>() as *mut std::ffi::c_void };
            CKR_OK
        }
        unsafe extern "C" fn other(_m: *mut std::ffi::c_void) -> CK_RV {
            CKR_OK
        }
        let mut args = CK_C_INITIALIZE_ARGS {
            CreateMutex: Some(create),
            DestroyMutex: Some(other),
            LockMutex: Some(other),
            UnlockMutex: Some(other),
            flags: CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS,
            pReserved: std::ptr::null_mut(),
        };
        let mut info = CK_INFO::default();
        assert_eq!(lib.C_GetInfo(&mut info), CKR_CRYPTOKI_NOT_INITIALIZED);
        assert_eq!(lib.C_Initialize(&mut args as *mut _ as *mut std::ffi::c_void), CKR_OK);
        assert_eq!(lib.C_Initialize(std::ptr::null_mut()), CKR_CRYPTOKI_ALREADY_INITIALIZED);
        assert_eq!((l.C_GetInfo.unwrap())(&mut info), CKR_OK);
        assert_eq!((info.cryptokiVersion.major, info.cryptokiVersion.minor), (2, 40), "2.x table reports 2.40");
        assert_eq!((l3.C_GetInfo.unwrap())(&mut info), CKR_OK);
        assert_eq!((info.cryptokiVersion.major, info.cryptokiVersion.minor), (3, 0), "3.0 table reports 3.0");
        assert_eq!(lib.C_GetInfo(std::ptr::null_mut()), CKR_ARGUMENTS_BAD);
        // Unsupported functions answer precisely.
        assert_eq!((l.C_EncryptInit.unwrap())(1, std::ptr::null_mut(), 0), CKR_SESSION_HANDLE_INVALID);
        assert_eq!((l.C_Finalize.unwrap())(std::ptr::dangling_mut::<u8>() as *mut _), CKR_ARGUMENTS_BAD);
        assert_eq!((l.C_Finalize.unwrap())(std::ptr::null_mut()), CKR_OK);
        args.pReserved = std::ptr::dangling_mut::<u8>() as *mut _;
        assert_eq!(lib.C_Initialize(&mut args as *mut _ as *mut std::ffi::c_void), CKR_ARGUMENTS_BAD);
    }
}

#[test]
fn slots_token_objects_and_signatures() {
    let _serial = serial();
    no_cache();
    let stack = start_stack();
    let p11 = load();
    let info = p11.get_library_info().unwrap();
    assert_eq!(info.manufacturer_id(), "cie project");
    assert_eq!(p11.get_all_slots().unwrap().len(), 2, "vpcd has two readers");
    let slot = card_slot(&p11);
    let si = p11.get_slot_info(slot).unwrap();
    assert_eq!(si.slot_description(), stack.reader_name());
    assert!(si.token_present() && si.removable_device() && si.hardware_slot());
    let ti = p11.get_token_info(slot).unwrap();
    assert_eq!(ti.label(), format!("CIE {}", fixtures::TEST_NIS));
    assert_eq!(ti.serial_number(), fixtures::TEST_NIS);
    assert_eq!(ti.model(), "CIE 3.0");
    assert!(ti.login_required() && ti.user_pin_initialized() && ti.token_initialized() && ti.write_protected());
    assert!(!ti.user_pin_count_low());
    let mechs = p11.get_mechanism_list(slot).unwrap();
    for m in [Mechanism::RsaPkcs, Mechanism::Sha1RsaPkcs, Mechanism::Sha256RsaPkcs, Mechanism::Sha512RsaPkcs] {
        assert!(mechs.contains(&m.mechanism_type()), "{m:?} in {mechs:?}");
        let info = p11.get_mechanism_info(slot, m.mechanism_type()).unwrap();
        // Not `CKF_HW`: verification runs on the host (cie-pkcs11/README.md, "Mechanism flags").
        assert!(info.sign() && !info.hardware() && info.verify() && !info.decrypt());
        assert_eq!((info.min_key_size(), info.max_key_size()), (2048, 2048));
    }
    assert!(!mechs.iter().any(|m| m.to_string().contains("PSS")), "{mechs:?}");

    let s = p11.open_ro_session(slot).unwrap();
    assert!(s.find_objects(&[]).unwrap().is_empty(), "no cache: no object before login");
    assert_eq!(rv(s.login(UserType::User, Some(&pin("1234"))).unwrap_err()), RvError::PinIncorrect);
    let ti = p11.get_token_info(slot).unwrap();
    assert!(ti.user_pin_count_low() && !ti.user_pin_final_try(), "an incorrect PIN was entered");
    assert_eq!(rv(s.login(UserType::User, Some(&pin("00000000"))).unwrap_err()), RvError::PinIncorrect);
    let ti = p11.get_token_info(slot).unwrap();
    // Two tries left on the card: the PIN of the wrong length spent none.
    assert!(ti.user_pin_count_low() && !ti.user_pin_final_try(), "no try spent on a PIN of the wrong length");
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    assert!(!p11.get_token_info(slot).unwrap().user_pin_count_low(), "a good PIN resets the counter");
    assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RoUser);

    let objects = s.find_objects(&[]).unwrap();
    assert_eq!(objects.len(), 3);
    let cert = s.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)]).unwrap()[0];
    let attrs = s
        .get_attributes(cert, &[AttributeType::Value, AttributeType::Id, AttributeType::Label, AttributeType::Subject])
        .unwrap();
    let Attribute::Value(der) = &attrs[0] else { panic!("{attrs:?}") };
    assert_eq!(der, &certificate());
    let Attribute::Id(id) = &attrs[1] else { panic!() };
    let key = private_key(&s);
    assert_eq!(s.find_objects(&[Attribute::Id(id.clone()), Attribute::Sign(true)]).unwrap(), vec![key]);
    let info = s.get_attribute_info(key, &[AttributeType::PrivateExponent, AttributeType::Modulus]).unwrap();
    assert!(matches!(info[0], cryptoki::object::AttributeInfo::Sensitive), "{info:?}");
    assert!(matches!(info[1], cryptoki::object::AttributeInfo::Available(256)), "{info:?}");

    let data = b"signed through pcscd";
    for (mech, alg) in [
        (Mechanism::Sha1RsaPkcs, HashAlg::Sha1),
        (Mechanism::Sha224RsaPkcs, HashAlg::Sha224),
        (Mechanism::Sha256RsaPkcs, HashAlg::Sha256),
        (Mechanism::Sha384RsaPkcs, HashAlg::Sha384),
        (Mechanism::Sha512RsaPkcs, HashAlg::Sha512),
    ] {
        let di = cie_core::sign::digest_info_of(alg, data);
        let sig = s.sign(&mech, key, data).unwrap();
        verify_digest_info(&di, &sig);
        s.sign_init(&mech, key).unwrap();
        s.sign_update(&data[..5]).unwrap();
        s.sign_update(&data[5..]).unwrap();
        assert_eq!(s.sign_final().unwrap(), sig, "{alg:?} multi-part");
        assert_eq!(s.sign(&Mechanism::RsaPkcs, key, &di).unwrap(), sig, "{alg:?} CKM_RSA_PKCS");
    }
    assert_eq!(rv(s.sign(&Mechanism::RsaPkcs, key, &[1u8; 246]).unwrap_err()), RvError::DataLenRange);
    assert_eq!(rv(s.sign_init(&Mechanism::RsaX509, key).unwrap_err()), RvError::MechanismInvalid);
    assert_eq!(rv(s.generate_random_vec(8).unwrap_err()), RvError::RandomNoRng);
    drop(s);
    p11.finalize().unwrap();
}

#[test]
fn pin_change_and_puk_unblock() {
    let _serial = serial();
    no_cache();
    let _stack = start_stack();
    let p11 = load();
    let slot = card_slot(&p11);
    let s = p11.open_rw_session(slot).unwrap();
    s.set_pin(&pin(fixtures::TEST_PIN), &pin("24682468")).unwrap();
    assert_eq!(rv(s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap_err()), RvError::PinIncorrect);
    s.login(UserType::User, Some(&pin("24682468"))).unwrap();
    s.logout().unwrap();
    assert_eq!(rv(s.login(UserType::User, Some(&pin("00000000"))).unwrap_err()), RvError::PinIncorrect);
    assert_eq!(rv(s.login(UserType::User, Some(&pin("00000000"))).unwrap_err()), RvError::PinIncorrect);
    assert!(p11.get_token_info(slot).unwrap().user_pin_final_try());
    assert_eq!(rv(s.login(UserType::User, Some(&pin("00000000"))).unwrap_err()), RvError::PinLocked);
    assert!(p11.get_token_info(slot).unwrap().user_pin_locked());
    s.login(UserType::So, Some(&pin(fixtures::TEST_PUK))).unwrap();
    s.init_pin(&pin(fixtures::TEST_PIN)).unwrap();
    s.logout().unwrap();
    assert!(!p11.get_token_info(slot).unwrap().user_pin_locked());
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    let key = private_key(&s);
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key, b"x").unwrap();
    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, b"x"), &sig);
    drop(s);
    p11.finalize().unwrap();
}

#[test]
fn removal_and_reinsertion() {
    let _serial = serial();
    no_cache();
    let mut stack = start_stack();
    let p11 = load();
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    let key = private_key(&s);
    assert_eq!(p11.get_slot_event().unwrap(), None);

    stack.remove_card().unwrap();
    assert_eq!(rv(s.get_session_info().unwrap_err()), RvError::DeviceRemoved);
    assert_eq!(rv(s.get_session_info().unwrap_err()), RvError::SessionHandleInvalid);
    assert_eq!(rv(p11.get_token_info(slot).unwrap_err()), RvError::TokenNotPresent);
    assert!(!p11.get_slot_info(slot).unwrap().token_present());
    assert_eq!(p11.get_slot_event().unwrap(), Some(slot));
    assert_eq!(p11.get_slot_event().unwrap(), None);
    std::mem::forget(s); // its handle is gone already

    stack.insert_card().unwrap();
    assert_eq!(p11.get_slot_event().unwrap(), Some(slot));
    let s = p11.open_ro_session(slot).unwrap();
    assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RoPublic);
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    let key2 = private_key(&s);
    assert_ne!(key, key2);
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key2, b"again").unwrap();
    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, b"again"), &sig);
    drop(s);
    p11.finalize().unwrap();
}

#[test]
fn wait_for_slot_event_blocks_and_c_finalize_wakes_it() {
    let _serial = serial();
    no_cache();
    let mut stack = start_stack();
    let p11 = load();
    let slot = card_slot(&p11);
    let waiter = {
        let p11 = p11.clone();
        std::thread::spawn(move || p11.wait_for_slot_event())
    };
    std::thread::sleep(Duration::from_millis(300));
    stack.remove_card().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), slot);

    let waiter = {
        let p11 = p11.clone();
        std::thread::spawn(move || p11.wait_for_slot_event())
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiter.is_finished(), "blocks while nothing happens");
    p11.finalize().unwrap();
    let woken = waiter.join().unwrap();
    assert_eq!(rv(woken.unwrap_err()), RvError::CryptokiNotInitialized);
}

#[test]
fn eight_threads_sign_concurrently() {
    let _serial = serial();
    no_cache();
    let _stack = start_stack();
    let p11 = Arc::new(load());
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    let key = private_key(&s);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let p11 = p11.clone();
            std::thread::spawn(move || {
                let s = p11.open_ro_session(slot).unwrap();
                for j in 0..3 {
                    let data = format!("thread {i} signature {j}");
                    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key, data.as_bytes()).unwrap();
                    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, data.as_bytes()), &sig);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(s);
    Arc::try_unwrap(p11).ok().unwrap().finalize().unwrap();
}

#[test]
fn certificate_cache_across_initialisations() {
    let _serial = serial();
    let dir = temp_dir("ffi-cache");
    std::env::set_var("CIE_PKCS11_CACHE", "on");
    std::env::set_var("XDG_CACHE_HOME", &dir);
    let _stack = start_stack();
    let p11 = load();
    let slot = card_slot(&p11);
    {
        let s = p11.open_ro_session(slot).unwrap();
        assert!(s.find_objects(&[]).unwrap().is_empty());
        s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
        // The certificate is read (and cached) when the objects are first asked for.
        assert_eq!(s.find_objects(&[]).unwrap().len(), 3);
    }
    p11.finalize().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("cie"))
        .unwrap()
        .map(|e| e.unwrap().path().extension().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["card", "cert"], "one certificate file and one card-constants file");

    let p11 = load();
    let s = p11.open_ro_session(slot).unwrap();
    let found = s.find_objects(&[]).unwrap();
    assert_eq!(found.len(), 2, "certificate and public key before login");
    let cert = s.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)]).unwrap()[0];
    let Attribute::Value(der) = &s.get_attributes(cert, &[AttributeType::Value]).unwrap()[0] else { panic!() };
    assert_eq!(der, &certificate());
    drop(s);
    p11.finalize().unwrap();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    std::fs::remove_dir_all(&dir).unwrap();
}
