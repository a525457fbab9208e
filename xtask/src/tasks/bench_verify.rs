//! The document-verification rows of `cargo xtask bench-report`: "verify 1,000 CAdES .p7m,
//! files per second". 1,000 distinct CAdES signatures (RSA-2048, SHA-256, 4 KiB of content
//! each) are made with `openssl cms -sign -cades` in a temporary directory under a CA made
//! there too, then verified three ways: `cie verify DIR` (one process, a thread per core),
//! `cie verify FILE` once per file, and `openssl cms -verify` once per file. Each row gives the
//! wall time, files per second and the peak resident memory of the largest process (its
//! `ru_maxrss` from `wait4`). Every file must pass each way, or the row is an error. The
//! directory is removed afterwards. Times are reported, never asserted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::command::{step, Result};

/// How many signed files.
pub(crate) const FILES: usize = 1000;

/// A temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One way of verifying the files, measured.
struct Row {
    name: String,
    wall: Duration,
    peak_kib: u64,
}

/// Runs `cmd` (no input, output discarded) and waits for it with `wait4`: whether it exited
/// 0, and its peak resident memory in KiB.
fn measured(cmd: &mut Command) -> Result<(bool, u64)> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed is a valid rusage; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for (std waits only when asked); valid pointers.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    // Reaped above: std must not wait again (dropping a Child does not wait).
    drop(child);
    if waited != pid {
        return Err(format!("wait4 {pid}: {}", std::io::Error::last_os_error()));
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

fn openssl(args: &[&str]) -> Result<()> {
    let out = Command::new("openssl").args(args).stdin(Stdio::null()).output().map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
    }
}

/// A CA (`ca.pem`) and a signer it issued (`signer.pem`, `signer.key`) in `dir`.
fn make_pki(dir: &Path) -> Result<()> {
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-days",
        "30",
        "-subj",
        "/CN=Bench CA/O=cie bench/C=IT",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("signer.key"),
        "-out",
        &p("signer.csr"),
        "-subj",
        "/CN=MARIO ROSSI/C=IT",
    ])?;
    std::fs::write(dir.join("ext.cnf"), "keyUsage=critical,nonRepudiation,digitalSignature\n")
        .map_err(|e| e.to_string())?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("signer.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-out",
        &p("signer.pem"),
        "-days",
        "30",
        "-extfile",
        &p("ext.cnf"),
    ])
}

/// `FILES` signed files `NNNN.p7m` in `dir/files`, each over its own 4 KiB of text.
fn make_files(dir: &Path) -> Result<PathBuf> {
    let files = dir.join("files");
    std::fs::create_dir_all(&files).map_err(|e| e.to_string())?;
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let content = dir.join("content.txt");
    for i in 0..FILES {
        let line = format!("Documento {i:04}: il sottoscritto chiede il rilascio del certificato.\n");
        let text: String = line.repeat(4096 / line.len() + 1).chars().take(4096).collect();
        std::fs::write(&content, text).map_err(|e| e.to_string())?;
        let out = files.join(format!("{i:04}.p7m"));
        openssl(&[
            "cms",
            "-sign",
            "-cades",
            "-binary",
            "-nodetach",
            "-md",
            "sha256",
            "-in",
            &content.to_string_lossy(),
            "-signer",
            &p("signer.pem"),
            "-inkey",
            &p("signer.key"),
            "-outform",
            "DER",
            "-out",
            &out.to_string_lossy(),
        ])?;
    }
    Ok(files)
}

/// The sorted `.p7m` files of `dir`.
fn listed(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "p7m"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs `command(file)` for each file in turn: wall time and the largest peak memory.
fn per_file(files: &[PathBuf], command: impl Fn(&Path) -> Command, what: &str) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let mut peak = 0;
    for f in files {
        let (ok, kib) = measured(&mut command(f))?;
        if !ok {
            return Err(format!("{what} did not pass {}", f.display()));
        }
        peak = peak.max(kib);
    }
    Ok((start.elapsed(), peak))
}

/// The rows, measured with the `cie` binary `cie`.
fn rows(cie: &Path) -> Result<Vec<Row>> {
    let scratch = Scratch(std::env::temp_dir().join(format!("cie-bench-verify-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    std::fs::create_dir_all(&scratch.0).map_err(|e| e.to_string())?;
    step(&format!("making {FILES} CAdES .p7m with openssl cms -sign -cades"));
    make_pki(&scratch.0)?;
    let dir = make_files(&scratch.0)?;
    let files = listed(&dir)?;
    if files.len() != FILES {
        return Err(format!("{} files made, not {FILES}", files.len()));
    }
    let ca = scratch.0.join("ca.pem");
    let cie_cmd = || {
        let mut c = Command::new(cie);
        c.env("CIE_TRUST_ANCHORS", "").env("LC_ALL", "C").args(["verify", "--no-default-ca", "--ca"]).arg(&ca);
        c
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();

    step(&format!("verifying them with cie verify DIR ({threads} threads)"));
    let start = Instant::now();
    let (ok, peak_kib) = measured(cie_cmd().arg(&dir))?;
    if !ok {
        return Err("cie verify DIR: not every file TOTAL-PASSED".into());
    }
    rows.push(Row {
        name: format!("`cie verify DIR` (one process, {threads} threads)"),
        wall: start.elapsed(),
        peak_kib,
    });

    step("verifying them with cie verify FILE, a process per file");
    let (wall, peak_kib) = per_file(
        &files,
        |f| {
            let mut c = cie_cmd();
            c.arg(f);
            c
        },
        "cie verify",
    )?;
    rows.push(Row { name: "`cie verify FILE`, a process per file".into(), wall, peak_kib });

    step("verifying them with openssl cms -verify, a process per file");
    let (wall, peak_kib) = per_file(
        &files,
        |f| {
            let mut c = Command::new("openssl");
            c.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                .arg(f)
                .arg("-CAfile")
                .arg(&ca)
                .args(["-out", "/dev/null"]);
            c
        },
        "openssl cms -verify",
    )?;
    rows.push(Row { name: "`openssl cms -verify`, a process per file".into(), wall, peak_kib });
    Ok(rows)
}

/// The Markdown table of the verification rows, measured with the `cie` binary `cie`.
pub(crate) fn table(cie: &Path) -> Result<String> {
    let rows = rows(cie)?;
    let mut out = format!(
        "\n### verify {},{:03} CAdES .p7m, files per second (RSA-2048, SHA-256, 4 KiB each)\n\n",
        FILES / 1000,
        FILES % 1000
    );
    out.push_str("| Verifier | Wall time | Files per second | Peak memory (largest process) |\n");
    out.push_str("|---|---:|---:|---:|\n");
    for r in rows {
        let rate = FILES as f64 / r.wall.as_secs_f64().max(1e-9);
        out.push_str(&format!(
            "| {} | {:.2} s | {:.0} | {:.1} MiB |\n",
            r.name,
            r.wall.as_secs_f64(),
            rate,
            r.peak_kib as f64 / 1024.0
        ));
    }
    Ok(out)
}
