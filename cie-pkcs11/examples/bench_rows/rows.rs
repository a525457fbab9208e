//! The user-visible operations of the bench report (`cargo xtask bench-report`; DESIGN.md §3):
//! each is run once and measured for APDU exchanges and bytes on the wire (from a [`Meter`]),
//! host CPU time (this process) and wall time. Shared by the `bench_rows` example (through
//! pcscd) and the `bench_rows` test (in-process, where the APDU counts are asserted).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::transport::{Link, Transport, TransportError};
use cie_pkcs11::{AttrAnswer, Module, Output};
use cryptoki_sys::*;

/// APDU exchanges and bytes on the wire (commands; responses with their status words).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Wire {
    /// Command/response exchanges.
    pub exchanges: u64,
    /// Command bytes.
    pub sent: u64,
    /// Response bytes.
    pub received: u64,
}

impl Wire {
    fn since(self, before: Wire) -> Wire {
        Wire {
            exchanges: self.exchanges - before.exchanges,
            sent: self.sent - before.sent,
            received: self.received - before.received,
        }
    }
}

/// Where the APDU figures come from: pcscd's APDU log, or a counting transport.
pub(crate) trait Meter {
    /// The totals so far.
    fn read(&self) -> Wire;
}

/// Totals shared by every [`Metered`] transport built on it.
#[derive(Clone, Default)]
pub(crate) struct SharedMeter(Arc<Mutex<Wire>>);

impl Meter for SharedMeter {
    fn read(&self) -> Wire {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A transport that adds its traffic to a [`SharedMeter`].
pub(crate) struct Metered<T> {
    /// The transport measured.
    pub inner: T,
    /// Where its figures go.
    pub meter: SharedMeter,
}

struct MeteredLink<'a> {
    inner: Box<dyn Link + 'a>,
    meter: SharedMeter,
}

impl Link for MeteredLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.transmit(command)?;
        let mut w = self.meter.0.lock().unwrap_or_else(|e| e.into_inner());
        w.exchanges += 1;
        w.sent += command.len() as u64;
        w.received += answer.len() as u64;
        Ok(answer)
    }
}

impl<T: Transport> Transport for Metered<T> {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        let inner = self.inner.transaction()?;
        Ok(Box::new(MeteredLink { inner, meter: self.meter.clone() }))
    }
    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.atr()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
}

/// One measured operation.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// What the user does.
    pub name: String,
    /// Its traffic.
    pub wire: Wire,
    /// CPU time of this process (host side) during the operation.
    pub cpu: Duration,
    /// Elapsed time.
    pub wall: Duration,
}

impl Row {
    /// The line the example prints and `cargo xtask bench-report` reads.
    pub(crate) fn to_line(&self) -> String {
        format!(
            "ROW\t{}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            self.wire.exchanges,
            self.wire.sent,
            self.wire.received,
            self.cpu.as_micros(),
            self.wall.as_micros()
        )
    }
}

/// CPU time used by this process so far.
pub(crate) fn cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec to the pointer we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` once and measures it.
pub(crate) fn measure<R>(name: &str, meter: &dyn Meter, f: impl FnOnce() -> R) -> (Row, R) {
    let before = meter.read();
    let cpu = cpu_time();
    let start = Instant::now();
    let r = f();
    let wall = start.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    (Row { name: name.to_owned(), wire: meter.read().since(before), cpu, wall }, r)
}

fn ck<T>(what: &str, r: Result<T, cie_pkcs11::Ckr>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

fn find(m: &Module, s: CK_SESSION_HANDLE, class: CK_OBJECT_CLASS) -> Result<CK_OBJECT_HANDLE, String> {
    ck("C_FindObjectsInit", m.find_init(s, &[(CKA_CLASS, class.to_ne_bytes().to_vec())]))?;
    let found = ck("C_FindObjects", m.find_next(s, 4))?;
    ck("C_FindObjectsFinal", m.find_final(s))?;
    found.first().copied().ok_or_else(|| format!("no object of class {class}"))
}

fn sign_once(m: &Module, s: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, data: &[u8]) -> Result<Vec<u8>, String> {
    ck("C_SignInit", m.sign_init(s, CKM_SHA256_RSA_PKCS, false, key))?;
    match ck("C_Sign", m.sign(s, data, Some(512)))? {
        Output::Bytes(sig) => Ok(sig),
        other => Err(format!("C_Sign: {other:?}")),
    }
}

/// Enumeration as every client does at start: `C_Initialize`, `C_GetSlotList`,
/// `C_GetTokenInfo`; returns the first slot with a token.
fn enumerate(m: &Module) -> Result<CK_SLOT_ID, String> {
    ck("C_Initialize", m.initialize(None))?;
    let slots = ck("C_GetSlotList", m.slot_list(true, true))?;
    let slot = *slots.first().ok_or("no token")?;
    ck("C_GetTokenInfo", m.token_info(slot))?;
    ck("C_GetMechanismList", m.mechanism_list(slot))?;
    Ok(slot)
}

/// The certificate and the private key, the certificate's value read as clients do.
fn find_key(m: &Module, s: CK_SESSION_HANDLE) -> Result<CK_OBJECT_HANDLE, String> {
    let key = find(m, s, CKO_PRIVATE_KEY)?;
    let cert = find(m, s, CKO_CERTIFICATE)?;
    let (answers, rv) = ck("C_GetAttributeValue", m.attribute_values(s, cert, &[(CKA_VALUE, None)]))?;
    let Some(AttrAnswer::Length(n)) = answers.first() else { return Err(format!("size query: {answers:?} {rv}")) };
    let (answers, _) = ck("C_GetAttributeValue", m.attribute_values(s, cert, &[(CKA_VALUE, Some(*n))]))?;
    match answers.first() {
        Some(AttrAnswer::Value(v)) if v.len() == *n => Ok(key),
        other => Err(format!("certificate value: {other:?}")),
    }
}

/// The PKCS#11 rows on the first slot with a token. `new_module` stands for a new process
/// (a module with no state in memory, sharing the on-disk cache): the first one meets the card
/// for the first time (its cache directory is empty), the second one sees it again. The PIN is
/// changed to `new_pin` by the C_SetPIN row and changed back afterwards (not measured).
pub(crate) fn pkcs11_rows(
    new_module: &dyn Fn() -> Module,
    meter: &dyn Meter,
    pin: &[u8],
    new_pin: &[u8],
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let m = &new_module();
    let (row, slot) = measure("C_Initialize → C_GetTokenInfo (card never seen)", meter, || enumerate(m));
    rows.push(row);
    let slot = slot?;
    let (row, s) = measure("C_OpenSession", meter, || {
        ck("C_OpenSession", m.open_session(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION))
    });
    rows.push(row);
    let s = s?;
    let (row, r) = measure("C_Login (first on this card)", meter, || ck("C_Login", m.login(s, CKU_USER, pin)));
    rows.push(row);
    r?;
    let (row, r) = measure("C_FindObjects + C_GetAttributeValue (first on this card)", meter, || find_key(m, s));
    rows.push(row);
    let key = r?;
    let (row, r) = measure("first C_Sign", meter, || sign_once(m, s, key, b"first signature"));
    rows.push(row);
    r?;
    let (mut row, r) = measure("further C_Sign", meter, || sign_once(m, s, key, b"further signature"));
    row.name = format!("further C_Sign — sign after login: {} APDUs", row.wire.exchanges);
    rows.push(row);
    r?;
    ck("C_Logout", m.logout(s))?;
    let (row, r) =
        measure("C_Login (card already seen, after C_Logout)", meter, || ck("C_Login", m.login(s, CKU_USER, pin)));
    rows.push(row);
    r?;
    let (row, r) = measure("C_SetPIN", meter, || ck("C_SetPIN", m.set_pin(s, pin, new_pin)));
    rows.push(row);
    r?;
    ck("C_SetPIN (back)", m.set_pin(s, new_pin, pin))?;
    ck("C_Finalize", m.finalize())?;

    // A new process, card seen before.
    let m = &new_module();
    let (row, slot) = measure(ENUMERATION_SEEN, meter, || enumerate(m));
    rows.push(row);
    let slot = slot?;
    let s = ck("C_OpenSession", m.open_session(slot, CKF_SERIAL_SESSION))?;
    let (row, r) = measure(LOGIN_NEW_PROCESS, meter, || ck("C_Login", m.login(s, CKU_USER, pin)));
    rows.push(row);
    r?;
    let (row, r) =
        measure("C_FindObjects + C_GetAttributeValue (new process, card seen before)", meter, || find_key(m, s));
    rows.push(row);
    let key = r?;
    let (row, r) = measure("C_Sign after login", meter, || sign_once(m, s, key, b"signature after login"));
    rows.push(row);
    r?;
    ck("C_Finalize", m.finalize())?;
    Ok(rows)
}

/// Row label of the many-readers throughput (issue 13: at least 14 with 16 readers).
pub(crate) const READERS_THROUGHPUT: &str = "16 readers, signatures per second (ratio to 1 reader)";

/// Signatures per second on one reader, then on every slot with a token at once (one session
/// and one thread per slot, `per_slot` signatures each): one row named [`READERS_THROUGHPUT`]
/// followed by both rates and their ratio (its last figure). Logging in is not measured.
pub(crate) fn throughput_row(m: &Arc<Module>, meter: &dyn Meter, pin: &[u8], per_slot: usize) -> Result<Row, String> {
    ck("C_Initialize", m.initialize(None))?;
    let slots = ck("C_GetSlotList", m.slot_list(true, true))?;
    let prepare = |slot: CK_SLOT_ID| -> Result<(CK_SESSION_HANDLE, CK_OBJECT_HANDLE), String> {
        let s = ck("C_OpenSession", m.open_session(slot, CKF_SERIAL_SESSION))?;
        ck("C_Login", m.login(s, CKU_USER, pin))?;
        Ok((s, find(m, s, CKO_PRIVATE_KEY)?))
    };
    let prepared: Vec<(CK_SESSION_HANDLE, CK_OBJECT_HANDLE)> = std::thread::scope(|scope| {
        let handles: Vec<_> = slots.iter().map(|&slot| scope.spawn(move || prepare(slot))).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a thread panicked".to_owned()).and_then(|r| r))
            .collect::<Result<Vec<_>, String>>()
    })?;
    let sign_all = |sessions: &[(CK_SESSION_HANDLE, CK_OBJECT_HANDLE)]| -> Result<(), String> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sessions
                .iter()
                .map(|&(s, key)| {
                    scope.spawn(move || -> Result<(), String> {
                        for i in 0..per_slot {
                            sign_once(m, s, key, format!("throughput {s} {i}").as_bytes())?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a thread panicked".to_owned()).and_then(|r| r))
        })
    };
    let first = prepared.first().ok_or("no token")?;
    let (one, r) = measure("1 reader", meter, || sign_all(std::slice::from_ref(first)));
    r?;
    let (mut all, r) = measure(READERS_THROUGHPUT, meter, || sign_all(&prepared));
    r?;
    ck("C_Finalize", m.finalize())?;
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let (r1, rn) = (rate(per_slot, one.wall), rate(per_slot * prepared.len(), all.wall));
    all.name = format!(
        "{READERS_THROUGHPUT} — {} readers: {r1:.2}/s on 1, {rn:.2}/s on all, ratio {:.1}",
        prepared.len(),
        rn / r1
    );
    Ok(all)
}

/// Row label of the many-readers throughput through cie-core directly.
pub(crate) const READERS_THROUGHPUT_CORE: &str =
    "16 readers through cie-core, signatures per second (ratio to 1 reader)";

/// The same as [`throughput_row`] with one cie-core [`Session`] per reader (`connect(k)` opens
/// reader `k` of `readers`), one thread each.
pub(crate) fn session_throughput_row<T: Transport + Send>(
    connect: &(dyn Fn(usize) -> Result<T, String> + Sync),
    readers: usize,
    meter: &dyn Meter,
    pin: &str,
    per_slot: usize,
) -> Result<Row, String> {
    let pin = Pin::new(pin).map_err(|e| format!("PIN: {e}"))?;
    let pin = &pin;
    let sessions: Vec<Mutex<Session<T>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..readers)
            .map(|k| {
                scope.spawn(move || -> Result<Mutex<Session<T>>, String> {
                    let mut s = Session::open(connect(k)?).map_err(|e| format!("open: {e}"))?;
                    s.verify_pin(pin).map_err(|e| format!("verify_pin: {e}"))?;
                    // The key that checks every signature, as the module has it after C_FindObjects.
                    s.certificate().map_err(|e| format!("certificate: {e}"))?;
                    Ok(Mutex::new(s))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a thread panicked".to_owned()).and_then(|r| r))
            .collect::<Result<Vec<_>, String>>()
    })?;
    let sign_all = |sessions: &[Mutex<Session<T>>]| -> Result<(), String> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sessions
                .iter()
                .map(|s| {
                    scope.spawn(move || -> Result<(), String> {
                        let mut s = s.lock().map_err(|_| "poisoned".to_owned())?;
                        for i in 0..per_slot {
                            s.sign(HashAlg::Sha256, format!("throughput {i}").as_bytes())
                                .map_err(|e| format!("sign: {e}"))?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a thread panicked".to_owned()).and_then(|r| r))
        })
    };
    let (one, r) = measure("1 reader", meter, || sign_all(&sessions[..1.min(sessions.len())]));
    r?;
    let (mut all, r) = measure(READERS_THROUGHPUT_CORE, meter, || sign_all(&sessions));
    r?;
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let (r1, rn) = (rate(per_slot, one.wall), rate(per_slot * sessions.len(), all.wall));
    all.name = format!(
        "{READERS_THROUGHPUT_CORE} — {} readers: {r1:.2}/s on 1, {rn:.2}/s on all, ratio {:.1}",
        sessions.len(),
        rn / r1
    );
    Ok(all)
}

/// Row label of the enumeration of a card seen before (issue 13 target: at most 3 exchanges).
pub(crate) const ENUMERATION_SEEN: &str = "enumeration (C_Initialize .. C_GetTokenInfo), card seen before";
/// Row label of a login in a new process (issue 13 target: at most 16 exchanges).
pub(crate) const LOGIN_NEW_PROCESS: &str = "C_Login in a new process, card seen before";

/// The same operations through cie-core's `Session` directly (no PKCS#11 layer).
pub(crate) fn session_rows<T: Transport>(
    transport: T,
    meter: &dyn Meter,
    pin: &str,
    new_pin: &str,
) -> Result<Vec<Row>, String> {
    fn e(what: &'static str) -> impl Fn(cie_core::Error) -> String {
        move |err| format!("{what}: {err}")
    }
    let pin = Pin::new(pin).map_err(e("PIN"))?;
    let new_pin = Pin::new(new_pin).map_err(e("new PIN"))?;
    let mut rows = Vec::new();
    let (row, s) = measure("Session::open", meter, || Session::open(transport));
    rows.push(row);
    let mut s = s.map_err(e("open"))?;
    let (row, r) = measure("Session::verify_pin (first)", meter, || s.verify_pin(&pin));
    rows.push(row);
    r.map_err(e("verify_pin"))?;
    let (row, r) = measure("Session::certificate", meter, || s.certificate());
    rows.push(row);
    r.map_err(e("certificate"))?;
    let (row, r) = measure("Session::sign (first)", meter, || s.sign(HashAlg::Sha256, b"first"));
    rows.push(row);
    r.map_err(e("sign"))?;
    let (mut row, r) = measure("Session::sign (further)", meter, || s.sign(HashAlg::Sha256, b"further"));
    row.name = format!("Session::sign (further) — sign after login: {} APDUs", row.wire.exchanges);
    rows.push(row);
    r.map_err(e("sign"))?;
    s.logout();
    let (row, r) = measure("Session::verify_pin (card seen, after logout)", meter, || s.verify_pin(&pin));
    rows.push(row);
    r.map_err(e("verify_pin"))?;
    let (row, r) = measure("Session::change_pin", meter, || s.change_pin(&pin, &new_pin));
    rows.push(row);
    r.map_err(e("change_pin"))?;
    s.change_pin(&new_pin, &pin).map_err(e("change_pin back"))?;
    Ok(rows)
}
