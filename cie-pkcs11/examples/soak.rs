//! One process of the soak (`cargo xtask soak --minutes N`, which starts the pcscd + vpcd
//! stack, these processes, and pulls the card twice).
//!
//! ```text
//! soak sign MODULE THREADS SECONDS   THREADS threads sign through the PKCS#11 module
//! soak reset READER EVERY_MS SECONDS  resets the card about every EVERY_MS ms (another
//!                                     application; each pause drawn from EVERY_MS/2..3*EVERY_MS/2)
//! soak cli CIE CERT SECONDS           fresh `CIE sign` processes, one after the other, each
//!                                     signature checked with the certificate CERT (DER)
//! ```
//!
//! `sign` verifies every signature it gets against the token's certificate, reopens its
//! session and logs in again after a removal, and ends with one line
//! `soak-result role=sign signatures=N verified=N removed=N unexpected=N fds_start=A
//! fds_end=B rss_start_kib=C rss_end_kib=D` (descriptors and resident memory measured once
//! warm, at a quarter of the run, and at the end). `reset` ends with `soak-result role=reset
//! resets=N`. Unexpected return codes are printed as they happen. `cli` (`cargo xtask soak
//! --agent`) counts a `cie sign` that exits 0 as a signature (verified or not), one that exits 1
//! or 5 with a message as a clean failure, anything else (a wrong-PIN or blocked code, a
//! panic, a signal, a hang) as unexpected, and ends with `soak-result role=cli signatures=N
//! verified=N failed=N unexpected=N`; each kind of failure is printed with its count.

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

const USAGE: &str =
    "usage: soak sign MODULE THREADS SECONDS | soak reset READER EVERY_MS SECONDS | soak cli CIE CERT SECONDS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["sign", module, threads, seconds] => sign(module, parse(threads), parse(seconds)),
        ["reset", reader, every, seconds] => reset(reader, parse(every), parse(seconds)),
        ["cli", cie, cert, seconds] => cli(cie, cert, parse(seconds)),
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
    let mut random = Random::seeded();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(every_ms / 2 + random.below(every_ms.max(1))));
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

/// A small xorshift generator for the pauses (no cryptography: only spreading events in time).
struct Random(u64);

impl Random {
    fn seeded() -> Random {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Random((nanos as u64 ^ u64::from(std::process::id()).rotate_left(32)) | 1)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// How long one `cie sign` may take: the agent's reply deadline (120 s) and some.
const CLI_LIMIT: Duration = Duration::from_secs(150);

/// The outcome of one `cie sign` process.
enum CliOutcome {
    /// Exit 0: the signature written.
    Signed(Vec<u8>),
    /// Exit 1 or 5 with a message: the card or the agent failed, and said so.
    Failed(String),
    /// Anything else.
    Unexpected(String),
}

/// The error line of `text` (else its last non-empty line), bounded and escaped for printing.
fn last_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines.clone().find(|l| l.starts_with("error")).or_else(|| lines.next_back()).unwrap_or("");
    format!("{:?}", line.chars().take(160).collect::<String>())
}

/// One fresh `cie sign --pin-stdin` of `input` into `output`, ended after [`CLI_LIMIT`].
fn cli_sign(cie: &str, dir: &std::path::Path, input: &std::path::Path, output: &std::path::Path) -> CliOutcome {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let _ = std::fs::remove_file(output);
    let err_path = dir.join("stderr");
    let Ok(err_file) = std::fs::File::create(&err_path) else {
        return CliOutcome::Unexpected("cannot create the stderr file".into());
    };
    let mut command = Command::new(cie);
    // Killed by the kernel if this process dies first (the soak killed it).
    // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let spawned = command
        .args(["sign", "--quiet", "--pin-stdin", "-i"])
        .arg(input)
        .arg("-o")
        .arg(output)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return CliOutcome::Unexpected(format!("{cie}: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{}", cie_sim::fixtures::TEST_PIN);
    }
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < CLI_LIMIT => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // The child's words: read up to 64 KiB, printed escaped.
    let mut stderr = String::new();
    if let Ok(f) = std::fs::File::open(&err_path) {
        use std::io::Read;
        let mut bytes = Vec::new();
        let _ = f.take(64 * 1024).read_to_end(&mut bytes);
        stderr = String::from_utf8_lossy(&bytes).into_owned();
    }
    match status.map(|s| s.code()) {
        None => CliOutcome::Unexpected(format!("still running after {} s: killed", CLI_LIMIT.as_secs())),
        Some(Some(0)) => match std::fs::read(output) {
            Ok(sig) => CliOutcome::Signed(sig),
            Err(e) => CliOutcome::Unexpected(format!("exit 0 without a signature: {e}")),
        },
        Some(Some(code @ (1 | 5))) if !stderr.trim().is_empty() => {
            CliOutcome::Failed(format!("exit {code}: {}", last_line(&stderr)))
        }
        Some(Some(code)) => CliOutcome::Unexpected(format!("exit {code}: {}", last_line(&stderr))),
        Some(None) => CliOutcome::Unexpected(format!("killed by a signal: {}", last_line(&stderr))),
    }
}

fn cli(cie: &str, cert: &str, seconds: u64) -> Result<(), String> {
    let der = std::fs::read(cert).map_err(|e| format!("{cert}: {e}"))?;
    let cert = x509_cert::Certificate::from_der(&der).map_err(|e| format!("{cert}: {e}"))?;
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    let public = RsaPublicKey::from_public_key_der(&spki).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("cie-soak-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (input, output) = (dir.join("document.txt"), dir.join("document.sig"));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut signatures, mut verified, mut failed, mut unexpected) = (0u64, 0u64, 0u64, 0u64);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let data = format!("soak {} cli signature {n}\n", std::process::id());
        std::fs::write(&input, data.as_bytes()).map_err(|e| format!("{}: {e}", input.display()))?;
        match cli_sign(cie, &dir, &input, &output) {
            CliOutcome::Signed(sig) => {
                signatures += 1;
                let digest = sha2::Sha256::digest(data.as_bytes());
                if public.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig).is_ok() {
                    verified += 1;
                } else {
                    eprintln!("soak: cli: a signature does not verify");
                }
            }
            CliOutcome::Failed(why) => {
                failed += 1;
                *kinds.entry(why).or_default() += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            CliOutcome::Unexpected(why) => {
                eprintln!("soak: cli: unexpected: {why}");
                unexpected += 1;
                *kinds.entry(format!("unexpected {why}")).or_default() += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for (why, count) in &kinds {
        eprintln!("soak: cli ({}): {count} x {why}", std::process::id());
    }
    println!(
        "soak-result role=cli signatures={signatures} verified={verified} failed={failed} unexpected={unexpected}"
    );
    Ok(())
}
