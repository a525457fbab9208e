//! Operations end as PKCS#11 2.40 says (§5.12 for signing; digests and verification alike), through the C entry points of
//! the built `libcie_pkcs11.so` against the simulated card behind pcscd: an error from
//! `C_Sign` other than `CKR_BUFFER_TOO_SMALL` ends the operation (argument errors included),
//! and so does any error of `C_SignUpdate`/`C_SignFinal`; size queries and short buffers do
//! not. Verification and digests in software (`CKA_VERIFY` on the public key), the PIN length
//! rule of `C_Login`, and `C_CreateObject` in a read-only session.

mod common;

use std::ptr::null_mut;

use cie_core::sign::HashAlg;
use cie_sim::fixtures;
use common::*;
use cryptoki_sys::*;
use sha2::Digest;

const DATA: &[u8] = b"operations that end as the standard says";

struct Token {
    lib: Pkcs11,
    session: CK_SESSION_HANDLE,
    private_key: CK_OBJECT_HANDLE,
    public_key: CK_OBJECT_HANDLE,
}

fn find(lib: &Pkcs11, s: CK_SESSION_HANDLE, class: CK_OBJECT_CLASS) -> CK_OBJECT_HANDLE {
    let mut class = class;
    let mut t = [CK_ATTRIBUTE { type_: CKA_CLASS, pValue: &mut class as *mut _ as *mut _, ulValueLen: 8 }];
    let (mut h, mut n) = (0, 0);
    unsafe {
        assert_eq!(lib.C_FindObjectsInit(s, t.as_mut_ptr(), 1), CKR_OK);
        assert_eq!(lib.C_FindObjects(s, &mut h, 1, &mut n), CKR_OK);
        assert_eq!(lib.C_FindObjectsFinal(s), CKR_OK);
    }
    assert_eq!(n, 1, "object of class {class}");
    h
}

fn mech(m: CK_MECHANISM_TYPE) -> CK_MECHANISM {
    CK_MECHANISM { mechanism: m, pParameter: null_mut(), ulParameterLen: 0 }
}

/// `C_Login` as the user with `pin` (NULL when empty).
unsafe fn login(lib: &Pkcs11, s: CK_SESSION_HANDLE, pin: &[u8]) -> CK_RV {
    let p = if pin.is_empty() { null_mut() } else { pin.as_ptr() as *mut u8 };
    // SAFETY: the PIN has the stated length.
    unsafe { lib.C_Login(s, CKU_USER, p, pin.len() as CK_ULONG) }
}

fn open() -> Token {
    let lib = unsafe { Pkcs11::new(module_path()) }.unwrap();
    unsafe {
        assert_eq!(lib.C_Initialize(null_mut()), CKR_OK);
        let mut slots = [0; 4];
        let mut n = 4;
        assert_eq!(lib.C_GetSlotList(CK_TRUE, slots.as_mut_ptr(), &mut n), CKR_OK);
        assert_eq!(n, 1);
        let mut s = 0;
        assert_eq!(lib.C_OpenSession(slots[0], CKF_SERIAL_SESSION, null_mut(), None, &mut s), CKR_OK);

        // A PIN of the wrong length: CKR_PIN_INCORRECT, no APDU, no try spent, and
        // CKF_USER_PIN_COUNT_LOW (an incorrect PIN was entered) until the next good login.
        let pin_flags = |lib: &Pkcs11| {
            let mut info = CK_TOKEN_INFO::default();
            assert_eq!(lib.C_GetTokenInfo(slots[0], &mut info), CKR_OK);
            info.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)
        };
        for bad in [&b"1234"[..], b"123456789", b""] {
            assert_eq!(login(&lib, s, bad), CKR_PIN_INCORRECT);
            assert_eq!(pin_flags(&lib), CKF_USER_PIN_COUNT_LOW, "{bad:?}");
        }
        // One wrong PIN of the right length leaves two tries on the card: the three above spent
        // none (a third try spent would show CKF_USER_PIN_FINAL_TRY).
        assert_eq!(login(&lib, s, b"00000000"), CKR_PIN_INCORRECT);
        assert_eq!(pin_flags(&lib), CKF_USER_PIN_COUNT_LOW, "two tries left");
        assert_eq!(login(&lib, s, fixtures::TEST_PIN.as_bytes()), CKR_OK);
        assert_eq!(pin_flags(&lib), 0, "a good login clears the flags");
        let private_key = find(&lib, s, CKO_PRIVATE_KEY);
        let public_key = find(&lib, s, CKO_PUBLIC_KEY);
        Token { lib, session: s, private_key, public_key }
    }
}

impl Token {
    fn sign_init(&self) {
        let mut m = mech(CKM_SHA256_RSA_PKCS);
        assert_eq!(unsafe { self.lib.C_SignInit(self.session, &mut m, self.private_key) }, CKR_OK);
    }

    /// C_Sign with a 256-byte buffer: the return value and the signature.
    fn sign(&self, data: &[u8]) -> (CK_RV, Vec<u8>) {
        let mut sig = vec![0u8; 256];
        let mut len: CK_ULONG = 256;
        let rv = unsafe {
            self.lib.C_Sign(self.session, data.as_ptr() as *mut u8, data.len() as CK_ULONG, sig.as_mut_ptr(), &mut len)
        };
        sig.truncate(len as usize);
        (rv, sig)
    }
}

/// Gives `data` to an `Update` function (`C_SignUpdate`, `C_VerifyUpdate`, `C_DigestUpdate`) in
/// parts of `size` bytes; each call must answer `CKR_OK`.
fn in_parts(data: &[u8], size: usize, update: impl Fn(*mut u8, CK_ULONG) -> CK_RV) {
    for part in data.chunks(size) {
        assert_eq!(update(part.as_ptr() as *mut u8, part.len() as CK_ULONG), CKR_OK, "{} bytes", part.len());
    }
}

fn check(sig: &[u8]) {
    verify_digest_info(&cie_core::sign::digest_info_of(HashAlg::Sha256, DATA), sig);
}

#[test]
fn signing_operations_end_as_the_standard_says() {
    let _serial = serial();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let _stack = start_stack();
    let t = open();
    let (l, s) = (&t.lib, t.session);
    unsafe {
        // Size query and a short buffer keep the operation; the signature ends it.
        t.sign_init();
        let mut len: CK_ULONG = 0;
        assert_eq!(l.C_Sign(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, null_mut(), &mut len), CKR_OK);
        assert_eq!(len, 256);
        let mut small = [0u8; 16];
        let mut len: CK_ULONG = 16;
        let rv = l.C_Sign(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, small.as_mut_ptr(), &mut len);
        assert_eq!((rv, len), (CKR_BUFFER_TOO_SMALL, 256));
        let (rv, sig) = t.sign(DATA);
        assert_eq!(rv, CKR_OK);
        check(&sig);
        assert_eq!(t.sign(DATA).0, CKR_OPERATION_NOT_INITIALIZED, "the signature ended the operation");

        // C_Sign with a NULL pulSignatureLen ends it.
        t.sign_init();
        let rv = l.C_Sign(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, small.as_mut_ptr(), null_mut());
        assert_eq!(rv, CKR_ARGUMENTS_BAD);
        assert_eq!(t.sign(DATA).0, CKR_OPERATION_NOT_INITIALIZED, "NULL pulSignatureLen ended the operation");

        // C_Sign with NULL pData and a length ends it.
        t.sign_init();
        let mut sig = [0u8; 256];
        let mut len: CK_ULONG = 256;
        assert_eq!(l.C_Sign(s, null_mut(), 5, sig.as_mut_ptr(), &mut len), CKR_ARGUMENTS_BAD);
        assert_eq!(t.sign(DATA).0, CKR_OPERATION_NOT_INITIALIZED, "NULL pData ended the operation");

        // C_SignUpdate(NULL, 5) ends it: C_SignFinal finds nothing.
        t.sign_init();
        assert_eq!(l.C_SignUpdate(s, null_mut(), 5), CKR_ARGUMENTS_BAD);
        let mut len: CK_ULONG = 256;
        assert_eq!(l.C_SignFinal(s, sig.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);

        // C_SignFinal with a NULL pulSignatureLen ends it.
        t.sign_init();
        assert_eq!(l.C_SignUpdate(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG), CKR_OK);
        assert_eq!(l.C_SignFinal(s, sig.as_mut_ptr(), null_mut()), CKR_ARGUMENTS_BAD);
        let mut len: CK_ULONG = 256;
        assert_eq!(l.C_SignFinal(s, sig.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);

        // Multi-part with a size query and a short buffer in between still signs.
        t.sign_init();
        in_parts(DATA, 9, |p, n| l.C_SignUpdate(s, p, n));
        let mut len: CK_ULONG = 0;
        assert_eq!(l.C_SignFinal(s, null_mut(), &mut len), CKR_OK);
        let mut len: CK_ULONG = 100;
        assert_eq!(l.C_SignFinal(s, sig.as_mut_ptr(), &mut len), CKR_BUFFER_TOO_SMALL);
        let mut len: CK_ULONG = 256;
        assert_eq!(l.C_SignFinal(s, sig.as_mut_ptr(), &mut len), CKR_OK);
        check(&sig[..len as usize]);

        // C_Sign after C_SignUpdate: an error, and the operation is over.
        t.sign_init();
        assert_eq!(l.C_SignUpdate(s, DATA.as_ptr() as *mut u8, 3), CKR_OK);
        assert_eq!(t.sign(DATA).0, CKR_OPERATION_ACTIVE);
        assert_eq!(t.sign(DATA).0, CKR_OPERATION_NOT_INITIALIZED);
        assert_eq!(l.C_Finalize(null_mut()), CKR_OK);
    }
}

#[test]
fn verification_and_digests_in_software() {
    let _serial = serial();
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    let _stack = start_stack();
    let t = open();
    let (l, s) = (&t.lib, t.session);
    unsafe {
        // The public key can verify.
        let mut yes: CK_BBOOL = 0;
        let mut a = [CK_ATTRIBUTE { type_: CKA_VERIFY, pValue: &mut yes as *mut _ as *mut _, ulValueLen: 1 }];
        assert_eq!(l.C_GetAttributeValue(s, t.public_key, a.as_mut_ptr(), 1), CKR_OK);
        assert_eq!(yes, CK_TRUE);
        let mut info = CK_MECHANISM_INFO::default();
        assert_eq!(l.C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS, &mut info), CKR_OK);
        assert_eq!(info.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);

        t.sign_init();
        let (rv, sig) = t.sign(DATA);
        assert_eq!(rv, CKR_OK);
        let verify = |data: &[u8], sig: &[u8], m: CK_MECHANISM_TYPE| -> CK_RV {
            let mut m = mech(m);
            assert_eq!(l.C_VerifyInit(s, &mut m, t.public_key), CKR_OK);
            l.C_Verify(
                s,
                data.as_ptr() as *mut u8,
                data.len() as CK_ULONG,
                sig.as_ptr() as *mut u8,
                sig.len() as CK_ULONG,
            )
        };
        assert_eq!(verify(DATA, &sig, CKM_SHA256_RSA_PKCS), CKR_OK);
        let di = cie_core::sign::digest_info_of(HashAlg::Sha256, DATA);
        assert_eq!(verify(&di, &sig, CKM_RSA_PKCS), CKR_OK, "CKM_RSA_PKCS over the DigestInfo");
        let mut bad = sig.clone();
        bad[100] ^= 1;
        assert_eq!(verify(DATA, &bad, CKM_SHA256_RSA_PKCS), CKR_SIGNATURE_INVALID);
        assert_eq!(verify(b"other data", &sig, CKM_SHA256_RSA_PKCS), CKR_SIGNATURE_INVALID);
        assert_eq!(verify(DATA, &sig[..255], CKM_SHA256_RSA_PKCS), CKR_SIGNATURE_LEN_RANGE);
        assert_eq!(verify(DATA, &sig, CKM_SHA512_RSA_PKCS), CKR_SIGNATURE_INVALID, "another hash");
        // Every result ended the operation.
        let rv = l.C_Verify(s, DATA.as_ptr() as *mut u8, 1, sig.as_ptr() as *mut u8, 256);
        assert_eq!(rv, CKR_OPERATION_NOT_INITIALIZED);
        // Multi-part.
        let mut m = mech(CKM_SHA256_RSA_PKCS);
        assert_eq!(l.C_VerifyInit(s, &mut m, t.public_key), CKR_OK);
        in_parts(DATA, 5, |p, n| l.C_VerifyUpdate(s, p, n));
        assert_eq!(l.C_VerifyFinal(s, sig.as_ptr() as *mut u8, 256), CKR_OK);
        // A bad argument in C_VerifyUpdate ends it.
        assert_eq!(l.C_VerifyInit(s, &mut m, t.public_key), CKR_OK);
        assert_eq!(l.C_VerifyUpdate(s, null_mut(), 5), CKR_ARGUMENTS_BAD);
        assert_eq!(l.C_VerifyFinal(s, sig.as_ptr() as *mut u8, 256), CKR_OPERATION_NOT_INITIALIZED);
        // The private key does not verify; the public key does not sign.
        assert_eq!(l.C_VerifyInit(s, &mut m, t.private_key), CKR_KEY_FUNCTION_NOT_PERMITTED);
        assert_eq!(l.C_SignInit(s, &mut m, t.public_key), CKR_KEY_FUNCTION_NOT_PERMITTED);

        // Digests, against the sha1/sha2 crates.
        type Hash = fn(&[u8]) -> Vec<u8>;
        let cases: [(CK_MECHANISM_TYPE, Hash); 5] = [
            (CKM_SHA_1, |d| sha1::Sha1::digest(d).to_vec()),
            (CKM_SHA224, |d| sha2::Sha224::digest(d).to_vec()),
            (CKM_SHA256, |d| sha2::Sha256::digest(d).to_vec()),
            (CKM_SHA384, |d| sha2::Sha384::digest(d).to_vec()),
            (CKM_SHA512, |d| sha2::Sha512::digest(d).to_vec()),
        ];
        for (mechanism, hash) in cases {
            let want = hash(DATA);
            let mut info = CK_MECHANISM_INFO::default();
            assert_eq!(l.C_GetMechanismInfo(0, mechanism, &mut info), CKR_OK);
            assert_eq!(info.flags, CKF_DIGEST);
            let mut m = mech(mechanism);
            assert_eq!(l.C_DigestInit(s, &mut m), CKR_OK);
            assert_eq!(l.C_DigestInit(s, &mut m), CKR_OPERATION_ACTIVE);
            let mut len: CK_ULONG = 0;
            assert_eq!(l.C_Digest(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, null_mut(), &mut len), CKR_OK);
            assert_eq!(len as usize, want.len());
            let mut out = [0u8; 80];
            let mut len: CK_ULONG = 10;
            let rv = l.C_Digest(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, out.as_mut_ptr(), &mut len);
            assert_eq!((rv, len as usize), (CKR_BUFFER_TOO_SMALL, want.len()));
            let mut len: CK_ULONG = 80;
            let rv = l.C_Digest(s, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG, out.as_mut_ptr(), &mut len);
            assert_eq!(rv, CKR_OK);
            assert_eq!(&out[..len as usize], &want[..]);
            assert!(out[len as usize..].iter().all(|b| *b == 0), "nothing written past the digest");
            // Multi-part.
            assert_eq!(l.C_DigestInit(s, &mut m), CKR_OK);
            in_parts(DATA, 7, |p, n| l.C_DigestUpdate(s, p, n));
            let mut len: CK_ULONG = 80;
            assert_eq!(l.C_DigestFinal(s, out.as_mut_ptr(), &mut len), CKR_OK);
            assert_eq!(&out[..len as usize], &want[..]);
            assert_eq!(l.C_DigestFinal(s, out.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);
        }
        // An error in C_DigestUpdate, and C_DigestKey, end the digest.
        let mut m = mech(CKM_SHA256);
        assert_eq!(l.C_DigestInit(s, &mut m), CKR_OK);
        assert_eq!(l.C_DigestUpdate(s, null_mut(), 5), CKR_ARGUMENTS_BAD);
        let mut out = [0u8; 32];
        let mut len: CK_ULONG = 32;
        assert_eq!(l.C_DigestFinal(s, out.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);
        assert_eq!(l.C_DigestInit(s, &mut m), CKR_OK);
        assert_eq!(l.C_DigestKey(s, t.public_key), CKR_KEY_INDIGESTIBLE);
        assert_eq!(l.C_DigestFinal(s, out.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);
        let mut m = mech(CKM_MD5);
        assert_eq!(l.C_DigestInit(s, &mut m), CKR_MECHANISM_INVALID);

        // C_CreateObject: a session object in a read-only session is not a read-only matter.
        let mut no: CK_BBOOL = CK_FALSE;
        let mut yes: CK_BBOOL = CK_TRUE;
        let mut obj = 0;
        let mut session_obj = [CK_ATTRIBUTE { type_: CKA_TOKEN, pValue: &mut no as *mut _ as *mut _, ulValueLen: 1 }];
        let mut token_obj = [CK_ATTRIBUTE { type_: CKA_TOKEN, pValue: &mut yes as *mut _ as *mut _, ulValueLen: 1 }];
        assert_eq!(l.C_CreateObject(s, session_obj.as_mut_ptr(), 1, &mut obj), CKR_FUNCTION_NOT_SUPPORTED);
        assert_eq!(l.C_CreateObject(s, null_mut(), 0, &mut obj), CKR_FUNCTION_NOT_SUPPORTED);
        assert_eq!(l.C_CreateObject(s, token_obj.as_mut_ptr(), 1, &mut obj), CKR_SESSION_READ_ONLY);
        assert_eq!(l.C_Finalize(null_mut()), CKR_OK);
    }
}
