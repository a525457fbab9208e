//! Shared helpers: a [`Module`] over the in-process simulator, and signature checks.

#![allow(dead_code)]

pub(crate) mod agent;
pub(crate) mod client;

use std::path::PathBuf;

use cie_pkcs11::backend::InProcessBackend;
use cie_pkcs11::{Config, Module, ReaderControl};
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use cryptoki_sys::*;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use x509_cert::der::{Decode, Encode};

pub(crate) const READER: &str = "Simulated Reader 00";

/// A module with one reader holding a simulated card.
pub(crate) struct Rig {
    pub module: Module,
    pub card: SimHandle,
    pub reader: ReaderControl,
}

impl Rig {
    pub(crate) fn new(profile: Profile, config: Config) -> Rig {
        Rig::with_image(profile, fixtures::card_image(SodProfile::Sha256Pkcs1), config)
    }

    /// A module with one reader holding a simulated card personalised with `image`.
    pub(crate) fn with_image(profile: Profile, image: CardImage, config: Config) -> Rig {
        let card = SimHandle::new(SimCard::new(profile, image, SimOptions::default()));
        let backend = InProcessBackend::new();
        let c = card.clone();
        let reader = backend.add_reader(READER, move || Ok(Box::new(c.connect())));
        let module = Module::with_backend(backend, config);
        module.initialize(None).unwrap();
        Rig { module, card, reader }
    }

    pub(crate) fn nxp() -> Rig {
        Rig::new(Profile::Nxp, Config::without_cache())
    }

    pub(crate) fn remove(&self) {
        self.card.remove();
        self.reader.remove();
    }

    pub(crate) fn insert(&self) {
        self.card.insert();
        self.reader.insert();
    }

    pub(crate) fn apdus(&self) -> u64 {
        self.card.apdus()
    }

    pub(crate) fn session(&self, rw: bool) -> CK_SESSION_HANDLE {
        let flags = CKF_SERIAL_SESSION | if rw { CKF_RW_SESSION } else { 0 };
        self.module.open_session(0, flags).unwrap()
    }

    pub(crate) fn find(
        &self,
        s: CK_SESSION_HANDLE,
        template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)],
    ) -> Vec<CK_OBJECT_HANDLE> {
        self.module.find_init(s, template).unwrap();
        let mut all = Vec::new();
        loop {
            let got = self.module.find_next(s, 2).unwrap();
            if got.is_empty() {
                break;
            }
            all.extend(got);
        }
        self.module.find_final(s).unwrap();
        all
    }

    pub(crate) fn private_key(&self, s: CK_SESSION_HANDLE) -> CK_OBJECT_HANDLE {
        let keys = self.find(s, &[(CKA_CLASS, ulong(CKO_PRIVATE_KEY))]);
        assert_eq!(keys.len(), 1, "one private key");
        keys[0]
    }

    pub(crate) fn attribute(&self, s: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, t: CK_ATTRIBUTE_TYPE) -> Vec<u8> {
        let (answers, rv) = self.module.attribute_values(s, o, &[(t, Some(65536))]).unwrap();
        assert_eq!(rv, CKR_OK, "attribute {t:#x}");
        match &answers[0] {
            cie_pkcs11::AttrAnswer::Value(v) => v.clone(),
            other => panic!("{other:?}"),
        }
    }
}

pub(crate) fn ulong(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

pub(crate) fn certificate() -> Vec<u8> {
    fixtures::card_image(SodProfile::Sha256Pkcs1).certificate.clone()
}

/// The RSA key of the test card's certificate.
pub(crate) fn certificate_key() -> RsaPublicKey {
    let cert = x509_cert::Certificate::from_der(&certificate()).unwrap();
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().unwrap();
    RsaPublicKey::from_public_key_der(&spki).unwrap()
}

/// Verifies a PKCS#1 v1.5 signature over `digest_info` (the exact bytes the card padded).
pub(crate) fn verify_digest_info(digest_info: &[u8], sig: &[u8]) {
    certificate_key().verify(Pkcs1v15Sign::new_unprefixed(), digest_info, sig).expect("signature verifies");
}

/// A fresh temporary directory.
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cie-pkcs11-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The built module: `$CIE_PKCS11_MODULE`, else the newer of the `libcie_pkcs11.so` files in
/// the target directory of this test executable (`target/<profile>/deps/..`, which only
/// `cargo build` refreshes, and `target/<profile>/deps`, which `cargo test` refreshes).
pub(crate) fn module_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CIE_PKCS11_MODULE") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [deps.parent().unwrap(), deps]
        .into_iter()
        .map(|dir| dir.join("libcie_pkcs11.so"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("libcie_pkcs11.so not found next to {}: build the crate first", exe.display()))
}

/// Tests that load the module or start a PC/SC stack run one at a time: the module has one
/// static state per process, and pcsc-lite allows one stack per process.
pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the isolated pcscd + vpcd + simulator stack and points this process's PC/SC client
/// library at it. The module loaded here and the clients started from here never reach the
/// machine's own card agent (whose cards are the real PC/SC service's): `XDG_RUNTIME_DIR` is
/// unset; the agent's tests set their own.
pub(crate) fn start_stack() -> cie_sim::stack::VirtualStack {
    let stack = cie_sim::stack::VirtualStack::start(cie_sim::stack::StackOptions::default())
        .unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"));
    stack.export_socket_env();
    std::env::remove_var("XDG_RUNTIME_DIR");
    stack
}

/// User + system CPU time of this process (`getrusage`), for the tests that measure that an
/// idle module does no work.
pub(crate) fn process_cpu() -> std::time::Duration {
    // SAFETY: an all-zero rusage is a valid value; getrusage fills it in.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) }, 0);
    let tv = |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}
