//! Per-APDU latency through PC/SC: sends SELECT MF (`00 A4 00 00`) N times through
//! [`PcscTransport`] and prints mean, median and spread, for APDUs inside one transaction and
//! for one transaction per APDU.
//!
//! `cargo run --release -p cie-core --features pcsc --example pcsc_latency -- [READER] [N]`
//! (`cargo xtask bench-latency` runs it against the virtual stack, with and without the
//! simulator's latency model).

use std::time::{Duration, Instant};

use cie_core::pcsc_backend::PcscTransport;
use cie_core::{Transport, TransportError};

const SELECT_MF: [u8; 4] = [0x00, 0xA4, 0x00, 0x00];

fn main() -> Result<(), TransportError> {
    let mut args = std::env::args().skip(1);
    let reader = match args.next() {
        Some(r) => r,
        None => PcscTransport::list_readers()?.into_iter().next().unwrap_or_default(),
    };
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200).max(1);
    let mut t = PcscTransport::connect(&reader)?;
    println!("reader: {reader}; ATR {}", cie_core::transport::hex(&t.atr()?));

    // Warm-up (power-on, caches).
    {
        let mut link = t.transaction()?;
        for _ in 0..5 {
            link.transmit(&SELECT_MF)?;
        }
    }

    let mut in_tx = Vec::with_capacity(n);
    {
        let mut link = t.transaction()?;
        for _ in 0..n {
            let start = Instant::now();
            let resp = link.transmit(&SELECT_MF)?;
            in_tx.push(start.elapsed());
            check(&resp)?;
        }
    }
    report(&format!("SELECT MF x{n}, one transaction"), &mut in_tx);

    let mut per_tx = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let resp = t.transaction()?.transmit(&SELECT_MF)?;
        per_tx.push(start.elapsed());
        check(&resp)?;
    }
    report(&format!("SELECT MF x{n}, one transaction each"), &mut per_tx);
    t.close()
}

fn check(resp: &[u8]) -> Result<(), TransportError> {
    if resp != [0x90, 0x00] {
        return Err(TransportError::Other(format!("SELECT MF answered {}", cie_core::transport::hex(resp))));
    }
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64;
    let pct = |p: usize| ms(samples[(samples.len() - 1) * p / 100]);
    println!(
        "{what}: mean {mean:.3} ms, median {:.3} ms, p90 {:.3} ms, min {:.3} ms, max {:.3} ms",
        pct(50),
        pct(90),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}
