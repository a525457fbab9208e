//! Memory and time of signing a large file (100 MiB by default; `CIE_SIGN_BENCH_MIB` to change)
//! with the simulated card in-process: the enveloping `.p7m` is streamed, so the peak resident
//! set should not grow with the file; nor when verifying that `.p7m`, also streamed.
//!
//! `cargo bench -p cie-sign --bench streaming`. Prints figures; asserts nothing (performance is
//! measured here, never asserted in tests).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_sign::cades::{self, SignOptions};
use cie_sign::{verify_file, Trust};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};

/// Peak resident set size of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let mib: u64 = std::env::var("CIE_SIGN_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("cie-sign-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("large.bin");
    {
        let mut w = BufWriter::new(File::create(&input).unwrap());
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..mib {
            w.write_all(&block).unwrap();
        }
    }
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let mut s = Session::open(handle.connect()).unwrap();
    s.verify_pin(&Pin::new(fixtures::TEST_PIN).unwrap()).unwrap();
    s.certificate().unwrap();

    let before = peak_rss_kib();
    let output = dir.join("large.bin.p7m");
    let t = Instant::now();
    {
        let mut r = BufReader::new(File::open(&input).unwrap());
        let mut w = BufWriter::new(File::create(&output).unwrap());
        cades::sign_enveloping(&mut s, &SignOptions::default(), &mut r, &mut w, &mut cie_sign::Silent).unwrap();
        w.flush().unwrap();
    }
    let sign_time = t.elapsed();
    let after_sign = peak_rss_kib();
    println!("| operation | input | wall time | peak RSS before | peak RSS after | growth |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| CAdES enveloping sign (streamed) | {mib} MiB | {:.2} s | {} MiB | {} MiB | {} MiB |",
        sign_time.as_secs_f64(),
        before / 1024,
        after_sign / 1024,
        (after_sign - before) / 1024
    );

    let mut trust = Trust::none();
    trust.add(fixtures::citizen_ca_certificate()).unwrap();
    let t = Instant::now();
    let report = verify_file(&output, None, &trust, &mut cie_sign::Silent).unwrap();
    let verify_time = t.elapsed();
    let after_verify = peak_rss_kib();
    assert!(report.all_valid(), "{report:?}");
    println!(
        "| CAdES enveloping verify (streamed) | {mib} MiB | {:.2} s | {} MiB | {} MiB | {} MiB |",
        verify_time.as_secs_f64(),
        after_sign / 1024,
        after_verify / 1024,
        (after_verify - after_sign) / 1024
    );
    let _ = std::fs::remove_dir_all(&dir);
}
