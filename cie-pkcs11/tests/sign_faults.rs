//! A card that answers a signature with the wrong number of bytes or with a wrong signature,
//! through the built `libcie_pkcs11.so` behind a real pcscd (the isolated stack of
//! `cie_sim::stack`), with a warm certificate cache and with none (issue 9, §1).
//!
//! `C_Sign` and `C_SignFinal` are called through the raw function list with a buffer of the
//! signature's size followed by guard bytes: every faulty answer (257, 300 and 255 bytes, a
//! wrong signature of the right length) is `CKR_DEVICE_ERROR` with nothing written, and the
//! next signature of the good card verifies. The same tests run once more under valgrind.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_core::sign::{digest_info_of, HashAlg};
use cie_pkcs11::rv_name;
use cie_sim::{fixtures, SignFault};
use common::*;
use cryptoki_sys::*;

/// Signature length of the test card's 2048-bit key.
const SIG_LEN: usize = 256;
/// Bytes after the caller's signature buffer that must stay untouched.
const GUARD_LEN: usize = 64;
const GUARD: u8 = 0xA5;
/// The faulty answers every test goes through.
const FAULTS: [SignFault; 4] =
    [SignFault::Length(257), SignFault::Length(300), SignFault::Length(255), SignFault::WrongSignature];

/// The module loaded with its 2.40 function list.
struct Raw {
    _lib: Pkcs11,
    f: &'static CK_FUNCTION_LIST,
}

impl Raw {
    fn load() -> Raw {
        // SAFETY: the module is our own cdylib; its function list is static.
        unsafe {
            let lib = Pkcs11::new(module_path()).unwrap();
            let mut list: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
            assert_eq!(lib.C_GetFunctionList(&mut list), CKR_OK);
            let f = &*list;
            let init = f.C_Initialize.unwrap();
            let mut rv = init(std::ptr::null_mut());
            if rv == CKR_CRYPTOKI_ALREADY_INITIALIZED {
                // A previous test failed before finalising: start clean.
                assert_eq!(f.C_Finalize.unwrap()(std::ptr::null_mut()), CKR_OK);
                rv = init(std::ptr::null_mut());
            }
            assert_eq!(rv, CKR_OK, "C_Initialize");
            Raw { _lib: lib, f }
        }
    }

    fn finalize(self) {
        // SAFETY: initialised in `load`.
        assert_eq!(unsafe { self.f.C_Finalize.unwrap()(std::ptr::null_mut()) }, CKR_OK);
    }

    /// A session on the one slot with a token.
    fn open_session(&self) -> CK_SESSION_HANDLE {
        // SAFETY: output pointers to locals of the right types and sizes.
        unsafe {
            let mut slots = [0 as CK_SLOT_ID; 4];
            let mut n = slots.len() as CK_ULONG;
            assert_eq!(self.f.C_GetSlotList.unwrap()(CK_TRUE, slots.as_mut_ptr(), &mut n), CKR_OK);
            assert_eq!(n, 1, "one card in the stack");
            let mut h: CK_SESSION_HANDLE = 0;
            let rv = self.f.C_OpenSession.unwrap()(slots[0], CKF_SERIAL_SESSION, std::ptr::null_mut(), None, &mut h);
            assert_eq!(rv, CKR_OK, "C_OpenSession");
            h
        }
    }

    fn login(&self, h: CK_SESSION_HANDLE) {
        let mut pin = fixtures::TEST_PIN.as_bytes().to_vec();
        // SAFETY: the PIN buffer has the stated length.
        let rv = unsafe { self.f.C_Login.unwrap()(h, CKU_USER, pin.as_mut_ptr(), pin.len() as CK_ULONG) };
        assert_eq!(rv, CKR_OK, "C_Login");
    }

    /// The handles of the objects of `class` (every object when `None`).
    fn find(&self, h: CK_SESSION_HANDLE, class: Option<CK_OBJECT_CLASS>) -> Vec<CK_OBJECT_HANDLE> {
        // SAFETY: the template points to a live CK_OBJECT_CLASS; the output array has room for
        // the count given.
        unsafe {
            let mut value = class.unwrap_or_default();
            let mut template = [CK_ATTRIBUTE {
                type_: CKA_CLASS,
                pValue: &mut value as *mut CK_OBJECT_CLASS as *mut std::ffi::c_void,
                ulValueLen: size_of::<CK_OBJECT_CLASS>() as CK_ULONG,
            }];
            let count = if class.is_some() { 1 } else { 0 };
            assert_eq!(self.f.C_FindObjectsInit.unwrap()(h, template.as_mut_ptr(), count), CKR_OK);
            let mut found = [0 as CK_OBJECT_HANDLE; 8];
            let mut n: CK_ULONG = 0;
            assert_eq!(self.f.C_FindObjects.unwrap()(h, found.as_mut_ptr(), found.len() as CK_ULONG, &mut n), CKR_OK);
            assert_eq!(self.f.C_FindObjectsFinal.unwrap()(h), CKR_OK);
            found[..n as usize].to_vec()
        }
    }

    /// Signs `data` with CKM_SHA256_RSA_PKCS (`C_Sign`, or `C_SignUpdate` + `C_SignFinal` when
    /// `multi_part`) into a [`SIG_LEN`]-byte buffer followed by [`GUARD_LEN`] guard bytes.
    /// Returns the return value, the whole buffer (guard included) and the length written back.
    fn sign(
        &self,
        h: CK_SESSION_HANDLE,
        key: CK_OBJECT_HANDLE,
        data: &[u8],
        multi_part: bool,
    ) -> (CK_RV, Vec<u8>, usize) {
        let mut mechanism =
            CK_MECHANISM { mechanism: CKM_SHA256_RSA_PKCS, pParameter: std::ptr::null_mut(), ulParameterLen: 0 };
        let mut data = data.to_vec();
        let mut buf = vec![GUARD; SIG_LEN + GUARD_LEN];
        let mut len = SIG_LEN as CK_ULONG;
        // SAFETY: the mechanism and data are live; the caller's buffer is announced as SIG_LEN
        // bytes and really holds SIG_LEN + GUARD_LEN, so a write past SIG_LEN hits the guard.
        let rv = unsafe {
            assert_eq!(self.f.C_SignInit.unwrap()(h, &mut mechanism, key), CKR_OK, "C_SignInit");
            if multi_part {
                let rv = self.f.C_SignUpdate.unwrap()(h, data.as_mut_ptr(), data.len() as CK_ULONG);
                assert_eq!(rv, CKR_OK, "C_SignUpdate");
                self.f.C_SignFinal.unwrap()(h, buf.as_mut_ptr(), &mut len)
            } else {
                self.f.C_Sign.unwrap()(h, data.as_mut_ptr(), data.len() as CK_ULONG, buf.as_mut_ptr(), &mut len)
            }
        };
        (rv, buf, len as usize)
    }
}

/// The module's log file for this process (checked to be private after each test).
fn log_file() -> PathBuf {
    std::env::temp_dir().join(format!("cie-pkcs11-sign-faults-{}.log", std::process::id()))
}

/// Every fault gives a clean error and writes nothing; the good card's next signature works.
fn sign_through_faults(stack: &mut cie_sim::stack::VirtualStack, p11: &Raw, h: CK_SESSION_HANDLE) {
    let keys = p11.find(h, Some(CKO_PRIVATE_KEY));
    assert_eq!(keys.len(), 1, "one private key after login");
    let key = keys[0];
    for (i, fault) in FAULTS.into_iter().enumerate() {
        for multi_part in [false, true] {
            let data = format!("fault {fault} multi-part {multi_part}");
            stack.set_sign_fault(fault).unwrap();
            let (rv, buf, len) = p11.sign(h, key, data.as_bytes(), multi_part);
            assert_eq!(rv, CKR_DEVICE_ERROR, "{fault} (multi-part {multi_part}): {}", rv_name(rv));
            assert!(buf.iter().all(|&b| b == GUARD), "{fault}: nothing written, guard bytes untouched");
            assert_eq!(len, SIG_LEN, "{fault}: the length is left alone");

            stack.set_sign_fault(SignFault::None).unwrap();
            let good = format!("good after {fault} {i} {multi_part}");
            let (rv, buf, len) = p11.sign(h, key, good.as_bytes(), !multi_part);
            assert_eq!(rv, CKR_OK, "after {fault}: {}", rv_name(rv));
            assert_eq!(len, SIG_LEN);
            assert!(buf[SIG_LEN..].iter().all(|&b| b == GUARD), "guard bytes untouched");
            verify_digest_info(&digest_info_of(HashAlg::Sha256, good.as_bytes()), &buf[..SIG_LEN]);
        }
    }
}

fn check_log_file(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).expect("the module created its log file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "the log file is private");
    let log = std::fs::read_to_string(path).unwrap();
    assert!(!log.contains(fixtures::TEST_PIN), "no PIN in the log");
}

fn set_log_env() {
    std::env::set_var("CIE_PKCS11_LOG_FILE", log_file());
    std::env::set_var("CIE_PKCS11_LOG", "info");
}

#[test]
fn signature_faults_without_cache() {
    let _serial = serial();
    set_log_env();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let mut stack = start_stack();
    let p11 = Raw::load();
    let h = p11.open_session();
    assert!(p11.find(h, None).is_empty(), "no cache: no object before login");
    p11.login(h);
    sign_through_faults(&mut stack, &p11, h);
    p11.finalize();
    check_log_file(&log_file());
}

#[test]
fn signature_faults_with_warm_cache() {
    let _serial = serial();
    set_log_env();
    let dir = temp_dir("sign-faults-cache");
    std::env::set_var("CIE_PKCS11_CACHE", "on");
    std::env::set_var("XDG_CACHE_HOME", &dir);
    let mut stack = start_stack();
    // Warm the cache: the first object query after login reads and stores the certificate.
    let p11 = Raw::load();
    let h = p11.open_session();
    p11.login(h);
    assert_eq!(p11.find(h, None).len(), 3);
    p11.finalize();
    // A new initialisation finds the certificate in the cache: the objects are there before
    // login, and C_Login does not read the certificate from the card.
    let p11 = Raw::load();
    let h = p11.open_session();
    assert_eq!(p11.find(h, None).len(), 2, "certificate and public key from the cache before login");
    p11.login(h);
    sign_through_faults(&mut stack, &p11, h);
    p11.finalize();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    std::fs::remove_dir_all(&dir).unwrap();
    check_log_file(&log_file());
}

/// Both tests above again, in a child process under valgrind: no invalid read or write.
#[test]
fn signature_faults_under_valgrind() {
    let _serial = serial();
    let exe = std::env::current_exe().unwrap();
    let sim = cie_sim::stack::default_sim_binary().expect("the cie-sim binary");
    let out = Command::new("timeout")
        .args(["1200", "valgrind", "--error-exitcode=97", "--trace-children=no"])
        .arg(&exe)
        .args(["signature_faults_with", "--test-threads=1"])
        .env("CIE_PKCS11_MODULE", module_path())
        .env("CIE_SIM_BIN", sim)
        .output()
        .expect("running valgrind (cargo xtask test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "valgrind run failed ({:?}):\n{stdout}\n{stderr}", out.status.code());
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    assert!(stdout.contains("2 passed"), "both tests ran under valgrind:\n{stdout}");
}
