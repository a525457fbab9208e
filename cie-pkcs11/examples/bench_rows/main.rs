//! Measures the user-visible operations of the bench report (PKCS#11 module and cie-core
//! session) against a card behind pcscd, and prints one `ROW` line each (see `rows.rs`).
//! `cargo xtask bench-report` runs it against the simulated card with the realistic latency
//! model; APDU figures come from pcscd's APDU log (`pcscd -a`), whose path is given in
//! `CIE_BENCH_PCSCD_LOG`.
//!
//! `bench_rows [--in-process | --readers]`: with `--in-process`, the simulator runs in this
//! process instead (no pcscd, no latency model; APDU figures from a counting transport); with
//! `--readers`, only the many-readers throughput row, on every reader of the stack.

mod rows;

use std::path::PathBuf;
use std::process::ExitCode;

use cie_core::pcsc_backend::PcscTransport;
use cie_pkcs11::backend::{InProcessBackend, PcscBackend};
use cie_pkcs11::{Config, Module};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use rows::{Meter, Metered, Row, SharedMeter, Wire};

/// APDU figures from pcscd's log: `APDU: <hex>` lines are commands, `SW: <hex>` the answers.
struct PcscdLog(PathBuf);

impl Meter for PcscdLog {
    fn read(&self) -> Wire {
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        let mut w = Wire::default();
        for line in text.lines() {
            let hex_len = |s: &str| s.split_whitespace().count() as u64;
            if let Some((_, apdu)) = line.split_once("APDU: ") {
                w.exchanges += 1;
                w.sent += hex_len(apdu);
            } else if let Some((_, sw)) = line.split_once("SW: ") {
                w.received += hex_len(sw);
            }
        }
        w
    }
}

const NEW_PIN: &str = "24681357";

/// An empty private cache directory for the run, removed afterwards.
struct CacheDir(PathBuf);

impl CacheDir {
    fn new() -> Result<CacheDir, String> {
        let dir = std::env::temp_dir().join(format!("cie-bench-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(CacheDir(dir))
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run() -> Result<Vec<Row>, String> {
    let pin = fixtures::TEST_PIN;
    if std::env::args().any(|a| a == "--in-process") {
        let meter = SharedMeter::default();
        let card = SimHandle::new(SimCard::new(
            Profile::Nxp,
            fixtures::card_image(SodProfile::Sha256Pkcs1),
            SimOptions::default(),
        ));
        let backend = InProcessBackend::new();
        let (c, m2) = (card.clone(), meter.clone());
        backend
            .add_reader("Simulated Reader 00", move || Ok(Box::new(Metered { inner: c.connect(), meter: m2.clone() })));
        let cache = CacheDir::new()?;
        let mut rows = rows::pkcs11_rows(
            &|| Module::with_backend(backend.clone(), Config::with_cache_dir(&cache.0)),
            &meter,
            pin.as_bytes(),
            NEW_PIN.as_bytes(),
        )?;
        let t = Metered { inner: card.connect(), meter: meter.clone() };
        rows.extend(rows::session_rows(t, &meter, pin, NEW_PIN)?);
        return Ok(rows);
    }
    let log = std::env::var_os("CIE_BENCH_PCSCD_LOG").ok_or("CIE_BENCH_PCSCD_LOG is not set (pcscd's APDU log)")?;
    let meter = PcscdLog(log.into());
    if std::env::args().any(|a| a == "--readers") {
        // Every reader of the stack holds a card: signatures per second on one and on all.
        let m = std::sync::Arc::new(Module::with_backend(PcscBackend::new(), Config::without_cache()));
        let p11 = rows::throughput_row(&m, &meter, pin.as_bytes(), 4)?;
        let readers = PcscTransport::list_readers().map_err(|e| e.to_string())?;
        let connect = |k: usize| -> Result<PcscTransport, String> {
            let name = readers.get(k).ok_or("no such reader")?;
            PcscTransport::connect(name).map_err(|e| e.to_string())
        };
        let core = rows::session_throughput_row(&connect, readers.len(), &meter, pin, 4)?;
        return Ok(vec![p11, core]);
    }
    let cache = CacheDir::new()?;
    let mut rows = rows::pkcs11_rows(
        &|| Module::with_backend(PcscBackend::new(), Config::with_cache_dir(&cache.0)),
        &meter,
        pin.as_bytes(),
        NEW_PIN.as_bytes(),
    )?;
    let reader = PcscTransport::list_readers().map_err(|e| e.to_string())?.into_iter().next().ok_or("no reader")?;
    let transport = PcscTransport::connect(&reader).map_err(|e| e.to_string())?;
    rows.extend(rows::session_rows(transport, &meter, pin, NEW_PIN)?);
    Ok(rows)
}

fn main() -> ExitCode {
    match run() {
        Ok(rows) => {
            for r in rows {
                println!("{}", r.to_line());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_rows: {e}");
            ExitCode::FAILURE
        }
    }
}
