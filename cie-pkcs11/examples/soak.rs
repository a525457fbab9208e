//! One process of the soak (`cargo xtask soak --minutes N`, which starts the pcscd + vpcd
//! stack, these processes, and pulls the card twice).
//!
//! ```text
//! soak sign MODULE THREADS SECONDS   THREADS threads sign through the PKCS#11 module
//! soak reset READER EVERY_MS SECONDS  resets the card every EVERY_MS ms (another application)
//! ```
//!
//! `sign` verifies every signature it gets against the token's certificate, reopens its
//! session and logs in again after a removal, and ends with one line
//! `soak-result role=sign signatures=N verified=N removed=N unexpected=N fds_start=A
//! fds_end=B rss_start_kib=C rss_end_kib=D` (descriptors and resident memory measured once
//! warm, at a quarter of the run, and at the end). `reset` ends with `soak-result role=reset
//! resets=N`. Unexpected return codes are printed as they happen.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::Digest;
use x509_cert::der::{Decode, Encode};

const USAGE: &str = "usage: soak sign MODULE THREADS SECONDS | soak reset READER EVERY_MS SECONDS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["sign", module, threads, seconds] => sign(module, parse(threads), parse(seconds)),
        ["reset", reader, every, seconds] => reset(reader, parse(every), parse(seconds)),
        _ => Err(USAGE.to_owned()),
    };
    if let Err(e) = result {
        eprintln!("soak: {e}");
        std::process::exit(1);
    }
}

fn parse(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| {
        eprintln!("soak: not a number: {s:?}\n{USAGE}");
        std::process::exit(2)
    })
}

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4
}

#[derive(Default)]
struct Counts {
    signatures: AtomicU64,
    verified: AtomicU64,
    removed: AtomicU64,
    unexpected: Mutex<BTreeMap<String, u64>>,
}

/// Return codes that mean the card went away (or the session with it): reopen and log in.
fn is_removal(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::SessionHandleInvalid
            | RvError::UserNotLoggedIn
            | RvError::SessionClosed
            | RvError::KeyHandleInvalid
            | RvError::ObjectHandleInvalid
    )
}

fn rv_of(e: &Error) -> Option<RvError> {
    match e {
        Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// The token's certificate key, read once the user is logged in.
fn certificate_key(s: &Session) -> Result<RsaPublicKey, Error> {
    let certs = s.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])?;
    let Some(cert) = certs.first() else {
        return Err(Error::Pkcs11(RvError::ObjectHandleInvalid, cryptoki::context::Function::FindObjects));
    };
    let attrs = s.get_attributes(*cert, &[AttributeType::Value])?;
    let Some(Attribute::Value(der)) = attrs.into_iter().next() else {
        return Err(Error::Pkcs11(RvError::AttributeTypeInvalid, cryptoki::context::Function::GetAttributeValue));
    };
    let cert = x509_cert::Certificate::from_der(&der).map_err(|_| Error::InvalidValue)?;
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|_| Error::InvalidValue)?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| Error::InvalidValue)
}

/// A logged-in session with the private key and the certificate key.
fn open_session(p11: &Pkcs11, pin: &str) -> Result<(Session, ObjectHandle, RsaPublicKey), Error> {
    let slot = loop {
        if let Some(s) = p11.get_slots_with_token()?.first() {
            break *s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let s = p11.open_ro_session(slot)?;
    match s.login(UserType::User, Some(&AuthPin::new(pin.into()))) {
        Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => return Err(e),
    }
    let keys = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])?;
    let Some(key) = keys.first().copied() else {
        return Err(Error::Pkcs11(RvError::KeyHandleInvalid, cryptoki::context::Function::FindObjects));
    };
    let public = certificate_key(&s)?;
    Ok((s, key, public))
}

fn note(counts: &Counts, e: &Error) {
    match rv_of(e) {
        Some(rv) if is_removal(rv) => {
            counts.removed.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            eprintln!("soak: unexpected: {e}");
            *counts.unexpected.lock().unwrap_or_else(|e| e.into_inner()).entry(e.to_string()).or_default() += 1;
        }
    }
}

fn signer(p11: &Pkcs11, pin: &str, id: usize, deadline: Instant, counts: &Counts) {
    let mut current: Option<(Session, ObjectHandle, RsaPublicKey)> = None;
    let mut n = 0u64;
    while Instant::now() < deadline {
        let (s, key, public) = match current.take() {
            Some(c) => c,
            None => match open_session(p11, pin) {
                Ok(c) => c,
                Err(e) => {
                    note(counts, &e);
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            },
        };
        n += 1;
        let data = format!("soak {} thread {id} signature {n}", std::process::id());
        match s.sign(&Mechanism::Sha256RsaPkcs, key, data.as_bytes()) {
            Ok(sig) => {
                counts.signatures.fetch_add(1, Ordering::Relaxed);
                let digest = sha2::Sha256::digest(data.as_bytes());
                if public.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig).is_ok() {
                    counts.verified.fetch_add(1, Ordering::Relaxed);
                } else {
                    eprintln!("soak: a signature does not verify");
                }
                current = Some((s, key, public));
            }
            Err(e) => {
                note(counts, &e);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn sign(module: &str, threads: u64, seconds: u64) -> Result<(), String> {
    let pin = cie_sim::fixtures::TEST_PIN;
    let p11 = Pkcs11::new(module).map_err(|e| format!("loading {module}: {e}"))?;
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let counts = Arc::new(Counts::default());
    let warm = Arc::new(Mutex::new(None::<(usize, u64)>));
    std::thread::scope(|scope| {
        for id in 0..threads as usize {
            let (p11, counts) = (&p11, &counts);
            scope.spawn(move || signer(p11, pin, id, deadline, counts));
        }
        let warm = warm.clone();
        scope.spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds) / 4);
            *warm.lock().unwrap_or_else(|e| e.into_inner()) = Some((open_fds(), rss_kib()));
        });
    });
    let (fds_end, rss_end) = (open_fds(), rss_kib());
    let (fds_start, rss_start) = warm.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or((0, 0));
    p11.finalize().map_err(|e| e.to_string())?;
    let unexpected: u64 = counts.unexpected.lock().unwrap_or_else(|e| e.into_inner()).values().sum();
    println!(
        "soak-result role=sign threads={threads} signatures={} verified={} removed={} unexpected={unexpected} \
         fds_start={fds_start} fds_end={fds_end} rss_start_kib={rss_start} rss_end_kib={rss_end}",
        counts.signatures.load(Ordering::Relaxed),
        counts.verified.load(Ordering::Relaxed),
        counts.removed.load(Ordering::Relaxed),
    );
    Ok(())
}

fn reset(reader: &str, every_ms: u64, seconds: u64) -> Result<(), String> {
    use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let ctx = Context::establish(Scope::User).map_err(|e| format!("PC/SC: {e}"))?;
    let name = std::ffi::CString::new(reader).map_err(|e| e.to_string())?;
    let mut resets = 0u64;
    let mut card = None;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(every_ms));
        if card.is_none() {
            card = ctx.connect(&name, ShareMode::Shared, Protocols::ANY).ok();
        }
        if let Some(c) = card.as_mut() {
            match c.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::ResetCard) {
                Ok(()) => resets += 1,
                // Pulled, or reset by someone else since our last look: connect again.
                Err(_) => card = None,
            }
        }
    }
    if let Some(c) = card {
        let _ = c.disconnect(Disposition::LeaveCard);
    }
    println!("soak-result role=reset resets={resets}");
    Ok(())
}
