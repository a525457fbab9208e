//! PKCS#11 argument handling (DESIGN.md §6): attribute templates, handles, mechanisms, buffer
//! sizes and PINs from the input, through cie-pkcs11's safe `Module` API against the in-process
//! simulator, and (flag bit 7) through the C entry points of the library's own static module.
//! Input: `[flags][op, operands...]*`. The card is the fuzz card (`cie_fuzz::image`: small keys,
//! so that a login's handshake and a signature cost microseconds; README.md, "Fast path").
//!
//! Flags: bit 0 certificate cache on (filled once per process, so objects are visible before
//! login without touching the PIN), bits 1 and 6 together log in with the right PIN first (a whole
//! secure channel: a quarter of the flag values do it), bit 2 R/W session,
//! bit 7 C entry points first. Operations take their operands from the input (see `step`).
#![no_main]

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::OnceLock;

use cie_fuzz::{Input, Stage};
use cie_pkcs11::backend::InProcessBackend;
use cie_pkcs11::{AttrAnswer, Config, Module, Output};
use cie_sim::{fixtures, SimHandle};
use cryptoki_sys::*;
use libfuzzer_sys::fuzz_target;

/// The card: an NXP-profile fuzz card, a copy of the same power-on state in every run (same
/// random stream: with cie-core's repeatable stream in fuzz builds, a login repeats an earlier
/// run's handshake byte for byte and its exponentiations are remembered; README.md, "Fast path").
const PROFILE: usize = 0;

const ATTRIBUTES: [CK_ATTRIBUTE_TYPE; 20] = [
    CKA_CLASS,
    CKA_TOKEN,
    CKA_PRIVATE,
    CKA_LABEL,
    CKA_VALUE,
    CKA_CERTIFICATE_TYPE,
    CKA_ID,
    CKA_SIGN,
    CKA_MODULUS,
    CKA_MODULUS_BITS,
    CKA_PUBLIC_EXPONENT,
    CKA_KEY_TYPE,
    CKA_SUBJECT,
    CKA_ISSUER,
    CKA_SERIAL_NUMBER,
    CKA_PRIVATE_EXPONENT,
    CKA_SENSITIVE,
    CKA_EXTRACTABLE,
    CKA_ALWAYS_AUTHENTICATE,
    CKA_VERIFY,
];

const MECHS: [CK_MECHANISM_TYPE; 8] = [
    CKM_RSA_PKCS,
    CKM_SHA1_RSA_PKCS,
    CKM_SHA224_RSA_PKCS,
    CKM_SHA256_RSA_PKCS,
    CKM_SHA384_RSA_PKCS,
    CKM_SHA512_RSA_PKCS,
    CKM_RSA_PKCS_PSS,
    CKM_RSA_X_509,
];

fn new_module(cache: bool) -> (Module, SimHandle) {
    let card = SimHandle::new(cie_fuzz::snapshot(PROFILE, Stage::PoweredOn).0);
    let backend = InProcessBackend::new();
    let c = card.clone();
    backend.add_reader("Fuzz Reader 00", move || Ok(Box::new(c.connect())));
    let config = if cache { Config::with_cache_dir(cache_dir()) } else { Config::without_cache() };
    (Module::with_backend(backend, config), card)
}

/// A certificate cache filled by one real login, shared by every run of this process.
fn cache_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // In memory when the system has it (the cache syncs every file it writes).
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        let dir = base.join(format!("cie-fuzz-pkcs11-cache-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let card = SimHandle::new(cie_fuzz::snapshot(PROFILE, Stage::PoweredOn).0);
        let backend = InProcessBackend::new();
        let c = card.clone();
        backend.add_reader("Fuzz Reader 00", move || Ok(Box::new(c.connect())));
        let m = Module::with_backend(backend, Config::with_cache_dir(&dir));
        let ok = m.initialize(None).is_ok()
            && m.open_session(0, CKF_SERIAL_SESSION)
                .is_ok_and(|s| m.login(s, CKU_USER, fixtures::TEST_PIN.as_bytes()).is_ok());
        assert!(ok, "filling the certificate cache");
        let _ = m.finalize();
        dir
    })
    .clone()
}

/// Operand readers.
struct Ops<'a> {
    input: Input<'a>,
    handles: Vec<CK_ULONG>,
}

impl Ops<'_> {
    fn byte(&mut self) -> u8 {
        self.input.byte().unwrap_or(0)
    }
    fn ulong(&mut self) -> CK_ULONG {
        let b = self.input.array::<4>().unwrap_or_default();
        CK_ULONG::from(u32::from_le_bytes(b))
    }
    fn attribute(&mut self) -> CK_ATTRIBUTE_TYPE {
        let b = self.byte();
        match ATTRIBUTES.get(usize::from(b)) {
            Some(a) => *a,
            None if b == 0xFF => self.ulong(),
            None => CK_ATTRIBUTE_TYPE::from(b),
        }
    }
    fn mechanism(&mut self) -> CK_MECHANISM_TYPE {
        let b = self.byte();
        MECHS.get(usize::from(b)).copied().unwrap_or_else(|| if b == 0xFF { self.ulong() } else { CK_ULONG::from(b) })
    }
    /// A handle seen earlier (objects, sessions) or a raw value.
    fn handle(&mut self) -> CK_ULONG {
        let b = self.byte();
        match self.handles.get(usize::from(b)) {
            Some(h) => *h,
            None if b == 0xFF => self.ulong(),
            None => CK_ULONG::from(b),
        }
    }
    fn bytes(&mut self) -> Vec<u8> {
        self.input.bytes_chunk().unwrap_or_default().to_vec()
    }
    fn capacity(&mut self) -> Option<usize> {
        match self.byte() {
            0 => None,
            0xFF => Some(usize::MAX),
            b => Some(usize::from(b) * 4),
        }
    }
    fn template(&mut self) -> Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> {
        let n = self.byte() % 6;
        (0..n)
            .map(|_| {
                let t = self.attribute();
                let v = match self.byte() {
                    0 => CK_ULONG::from(self.byte()).to_ne_bytes().to_vec(),
                    1 => vec![self.byte()],
                    _ => self.bytes(),
                };
                (t, v)
            })
            .collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let Some(flags) = input.byte() else { return };
    let mut ops = Ops { input, handles: Vec::new() };
    if flags & 0x80 != 0 {
        c_entry_points(&mut ops);
    }
    let (m, _card) = new_module(flags & 1 != 0);
    if m.initialize(None).is_err() {
        return;
    }
    let session_flags = CKF_SERIAL_SESSION | if flags & 4 != 0 { CKF_RW_SESSION } else { 0 };
    let Ok(s) = m.open_session(0, session_flags) else { return };
    ops.handles.push(s);
    if flags & 0x42 == 0x42 {
        m.login(s, CKU_USER, fixtures::TEST_PIN.as_bytes()).expect("login with the right PIN");
    }
    let mut steps = 0;
    while !ops.input.rest().is_empty() && steps < 64 {
        steps += 1;
        step(&m, &mut ops);
    }
    let _ = m.finalize();
});

fn step(m: &Module, ops: &mut Ops<'_>) {
    match ops.byte() % 20 {
        0 => {
            let (s, t) = (ops.handle(), ops.template());
            let _ = m.find_init(s, &t);
        }
        1 => {
            let (s, max) = (ops.handle(), usize::from(ops.byte()));
            if let Ok(found) = m.find_next(s, max) {
                assert!(found.len() <= max);
                ops.handles.extend(found);
            }
        }
        2 => {
            let s = ops.handle();
            let _ = m.find_final(s);
        }
        3 => {
            let (s, o) = (ops.handle(), ops.handle());
            let n = ops.byte() % 8;
            let requests: Vec<_> = (0..n).map(|_| (ops.attribute(), ops.capacity())).collect();
            if let Ok((answers, _rv)) = m.attribute_values(s, o, &requests) {
                assert_eq!(answers.len(), requests.len());
                for (a, (_, cap)) in answers.iter().zip(&requests) {
                    if let AttrAnswer::Value(v) = a {
                        assert!(cap.is_some_and(|c| v.len() <= c), "a value never exceeds the buffer");
                    }
                }
            }
        }
        4 => {
            let (s, o) = (ops.handle(), ops.handle());
            let _ = m.object_size(s, o);
        }
        5 => {
            let (s, mech, param, key) = (ops.handle(), ops.mechanism(), ops.byte() & 1 == 1, ops.handle());
            let _ = m.sign_init(s, mech, param, key);
        }
        6 => {
            let (s, d, cap) = (ops.handle(), ops.bytes(), ops.capacity());
            check_sign(m.sign(s, &d, cap), cap);
        }
        7 => {
            let (s, d) = (ops.handle(), ops.bytes());
            let _ = m.sign_update(s, &d);
        }
        8 => {
            let (s, cap) = (ops.handle(), ops.capacity());
            check_sign(m.sign_final(s, cap), cap);
        }
        9 => {
            let (s, user, pin) = (ops.handle(), CK_USER_TYPE::from(ops.byte() % 4), ops.bytes());
            let _ = m.login(s, user, &pin);
        }
        10 => {
            let s = ops.handle();
            let _ = m.logout(s);
        }
        11 => {
            let (s, old, new) = (ops.handle(), ops.bytes(), ops.bytes());
            let _ = m.set_pin(s, &old, &new);
        }
        12 => {
            let (slot, f) = (ops.handle(), ops.ulong());
            if let Ok(h) = m.open_session(slot, f) {
                ops.handles.push(h);
            }
        }
        13 => {
            let s = ops.handle();
            let _ = m.close_session(s);
        }
        14 => {
            let s = ops.handle();
            let _ = (m.session_info(s), m.check_session(s));
        }
        15 => {
            let slot = ops.handle();
            let _ = (m.token_info(slot), m.slot_info(slot), m.mechanism_list(slot), m.is_user_logged_in(slot));
        }
        16 => {
            let (slot, mech) = (ops.handle(), ops.mechanism());
            let _ = m.mechanism_info(slot, mech);
        }
        17 => {
            let (s, pin) = (ops.handle(), ops.bytes());
            let _ = m.init_pin(s, &pin);
        }
        18 => {
            let (present, refresh) = (ops.byte() & 1 == 1, ops.byte() & 1 == 1);
            let _ = m.slot_list(present, refresh);
            let _ = m.wait_for_slot_event(CKF_DONT_BLOCK);
        }
        _ => {
            let slot = ops.handle();
            let _ = m.close_all_sessions(slot);
        }
    }
}

/// Length of the fuzz card's key-`81` signatures.
const SIG_LEN: usize = cie_sim::fuzz_card::KEY_BITS[0] / 8;

fn check_sign(r: Result<Output, cie_pkcs11::Ckr>, cap: Option<usize>) {
    match r {
        Ok(Output::Bytes(sig)) => {
            assert_eq!(sig.len(), SIG_LEN);
            assert!(cap.is_some_and(|c| c >= SIG_LEN), "a signature only into a large enough buffer");
        }
        Ok(Output::Length(n)) => assert!(cap.is_none() && n == SIG_LEN),
        Ok(Output::TooSmall(n)) => assert!(cap.is_some_and(|c| c < n)),
        Err(_) => {}
    }
}

/// The C entry points with caller-style arguments (pointers always honest: the caller's
/// buffers are as long as the lengths say) on the library's static module.
fn c_entry_points(ops: &mut Ops<'_>) {
    use cie_pkcs11::ffi::*;
    // SAFETY: every pointer passed below is NULL or points to a live buffer of the stated size.
    unsafe {
        let mut args = CK_C_INITIALIZE_ARGS {
            CreateMutex: None,
            DestroyMutex: None,
            LockMutex: None,
            UnlockMutex: None,
            flags: CK_FLAGS::from(ops.byte()),
            pReserved: std::ptr::null_mut(),
        };
        let p = if ops.byte() & 1 == 0 { std::ptr::null_mut() } else { &mut args as *mut _ as *mut c_void };
        let _ = C_Initialize(p);
        let mut info = std::mem::zeroed::<CK_INFO>();
        let _ = C_GetInfo(&mut info);
        let mut name = ops.bytes();
        name.retain(|&b| b != 0);
        name.push(0);
        let mut version = CK_VERSION { major: ops.byte(), minor: ops.byte() };
        let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
        let vp = if ops.byte() & 1 == 0 { std::ptr::null_mut() } else { &mut version as *mut _ };
        let _ = C_GetInterface(name.as_mut_ptr(), vp, &mut iface, CK_FLAGS::from(ops.byte()));
        let mut count: CK_ULONG = 0;
        let _ = C_GetSlotList(CK_BBOOL::from(ops.byte() & 1), std::ptr::null_mut(), &mut count);
        let mut slots = vec![0 as CK_SLOT_ID; usize::from(ops.byte() % 4)];
        count = slots.len() as CK_ULONG;
        let _ = C_GetSlotList(CK_FALSE, slots.as_mut_ptr(), &mut count);
        // Templates against whatever handles the input names.
        let t = ops.template();
        let mut attrs: Vec<CK_ATTRIBUTE> = t
            .iter()
            .map(|(ty, v)| CK_ATTRIBUTE {
                type_: *ty,
                pValue: v.as_ptr() as *mut c_void,
                ulValueLen: v.len() as CK_ULONG,
            })
            .collect();
        let (s, o) = (ops.handle(), ops.handle());
        let _ = C_FindObjectsInit(s, attrs.as_mut_ptr(), attrs.len() as CK_ULONG);
        let mut bufs: Vec<Vec<u8>> = (0..attrs.len()).map(|_| vec![0u8; usize::from(ops.byte())]).collect();
        for (a, b) in attrs.iter_mut().zip(bufs.iter_mut()) {
            a.pValue = if b.is_empty() { std::ptr::null_mut() } else { b.as_mut_ptr() as *mut c_void };
            a.ulValueLen = b.len() as CK_ULONG;
        }
        let _ = C_GetAttributeValue(s, o, attrs.as_mut_ptr(), attrs.len() as CK_ULONG);
        let _ = C_Finalize(std::ptr::null_mut());
    }
}
