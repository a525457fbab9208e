//! Project automation, run as `cargo xtask COMMAND` (alias in `.cargo/config.toml`).
//!
//! - `test [CARGO TEST ARGS]`: install the system packages the PC/SC tests need (if missing),
//!   check formatting (`cargo fmt --check`), clippy (`-D warnings`) and the docs
//!   (`RUSTDOCFLAGS=-D warnings cargo doc`), build the whole workspace, run every test (the
//!   PC/SC tests start their own isolated stack).
//! - `demo`: run `cie demo` against the simulated card behind an isolated pcscd; installs only
//!   the packages it needs ([`DEMO_PACKAGES`]), through sudo when not root.
//! - `demo-as-user [USER]`: (root, for CI) create USER (default `ciedemo`) and run the README
//!   quick start (`cargo xtask demo`) as that unprivileged user, on a copy of the tree.
//! - `with-card [OPTIONS] -- CMD ARGS...`: run any PC/SC program against the simulated card;
//!   `--control FIFO` lets a script remove and insert the card meanwhile.
//! - `layers [--graph]`: the import graph between each crate's files; fails on a circle (`test`
//!   runs it).
//! - `deb`: the Debian packages (see `deb`); `test` also builds and checks them.
//! - `bench-latency [-n N] [--latency realistic|none]`: per-APDU latency through pcscd.
//! - `soak [--minutes N]`: concurrent signing processes, card resets and removals (not in `test`).
//!
//! The isolated stack (pcscd + vpcd + cie-sim in private namespaces) needs no root where
//! unprivileged user namespaces are allowed (Debian and Ubuntu default); see `cie_sim::stack`
//! and TESTING.md.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::{StackOptions, VirtualStack};

mod bench_report;
mod deb;
mod fuzz;
mod header;
mod install;
mod layers;
mod man;
mod soak;

/// Debian packages the build and the PC/SC tests need: the pcsc crate builds against
/// libpcsclite through pkg-config; the stack runs pcscd with vsmartcard's vpcd driver and
/// brings up loopback with `ip`; tests drive it with OpenSC and pcsc-tools clients.
/// cie-ffi's and the CLI's tests also run the C example under valgrind and verify signatures
/// with openssl.
const PACKAGES: &[&str] = &[
    "libpcsclite-dev",
    "pkg-config",
    "pcscd",
    "pcsc-tools",
    "vsmartcard-vpcd",
    "opensc",
    "iproute2",
    "valgrind",
    "openssl",
    // PKCS#11 client tests: NSS, GnuTLS through p11-kit, the OpenSSL engine with curl, Java.
    "libnss3-tools",
    "gnutls-bin",
    "p11-kit",
    "libengine-pkcs11-openssl",
    "curl",
    "openjdk-17-jdk-headless",
    // Browser end-to-end tests (tests/browsers.rs): headful browsers under Xvfb, the PIN typed
    // with xdotool, nginx as the relying party, the remote protocols from Python, screenshots.
    "chromium",
    "firefox-esr",
    "xvfb",
    "xdotool",
    "nginx-light",
    "python3-websocket",
    "imagemagick",
    // The Debian package and its test (`cargo xtask deb`): dpkg-shlibdeps, lintian,
    // p11-kit-proxy, strip/objdump, groff (the man pages are checked).
    "dpkg-dev",
    "groff-base",
    "lintian",
    "p11-kit-modules",
    "binutils",
    // Document signatures: poppler's pdfsig; Python for pyHanko's virtual environment.
    "poppler-utils",
    "python3",
    "python3-venv",
];

/// pyHanko, installed from PyPI into `target/pyhanko-venv` for the document-signature tests
/// (tests/cli_document.rs, cie-pkcs11's pyHanko PKCS#11 test); versions pinned.
const PYHANKO_PACKAGES: &[&str] = &["pyHanko[pkcs11]==0.38.0", "pyhanko-cli==0.6.0"];

/// What `cargo xtask demo` needs: the build dependencies of the PC/SC backend and the
/// isolated stack's programs; not the test suite's clients (JDK, valgrind, browsers...).
const DEMO_PACKAGES: &[&str] = &["libpcsclite-dev", "pkg-config", "pcscd", "vsmartcard-vpcd", "iproute2"];

const USAGE: &str = "usage: cargo xtask COMMAND

commands:
  test [ARGS]        install missing packages, check fmt, clippy (-D warnings) and docs
                     (-D warnings), build the workspace, run all tests
                     (ARGS go to `cargo test --workspace`); without ARGS also build the
                     Debian packages and test them (lintian, p11-kit-proxy)
  demo [--profile NAME] [--latency realistic|none] [--pin PIN] [--sod sha256|sha512]
                     run `cie demo` against the simulated card behind an isolated pcscd
                     (installs pcscd, vsmartcard-vpcd, libpcsclite-dev, pkg-config, iproute2
                     if missing, with sudo when not root; needs no root otherwise)
  demo-as-user [USER]
                     as root (CI): create USER (default ciedemo) and run `cargo xtask demo`
                     as that user on a copy of the tree
  with-card [--profile NAME] [--latency realistic|none] [--pin PIN] [--puk PUK]
            [--sod sha256|sha512] [--release] [--control FIFO] -- CMD ARGS...
                     run CMD with PCSCLITE_CSOCK_NAME pointing at an isolated pcscd whose
                     reader \"Virtual PCD 00 00\" holds the simulated card; with --control,
                     lines written to FIFO drive the card: `echo remove > FIFO`, `echo insert
                     > FIFO` (created if missing; see cie-sim --help)
  bench-latency [-n N] [--latency realistic|none]
                     per-APDU latency through pcscd (both models unless one is named)
  bench-report [--latency realistic|none] [--no-tls] [--no-browsers] [--criterion]
                     Markdown table of the user-visible operations through pcscd: APDUs,
                     bytes, host CPU, wall time (both latency models unless one is named);
                     Chromium and Firefox logins in a second table
  soak [--minutes N] 3 processes (8 + 1 + 1 threads) sign through the PKCS#11 module against
                     one card behind an isolated pcscd while a 4th resets the card every 3 s
                     and the card is pulled twice; checks every signature, deadlocks,
                     descriptors and memory (default 3 minutes; not part of `test`)
  fuzz [--seconds N] [--target T]...
                     run the cargo-fuzz targets of fuzz/ (stable, -s none) N seconds each
                     (default 60); fails on any crash
  layers [--graph]   find import circles between the source files of each crate (fails on
                     one); --graph prints every file's imports
  fuzz-seeds         record the seed corpora fuzz/seeds/ from in-process simulator sessions
  install-deps       only install the missing system packages (and pyHanko's venv)
  header [--check]   regenerate include/cie.h with cbindgen (--check: fail if stale)
  deb [--out DIR] [--no-build] [--check]
                     build the Debian packages cie_<version>_<arch>.deb and cie-dev_... (release
                     build; default DIR target/debian); --check: lintian + p11-kit-proxy test
  man [--out DIR] [--no-build]
                     write the man pages of cie (cie.1, cie-COMMAND.1) generated from its
                     command-line definition into DIR (default target/man); groff checks them
  install [--libdir DIR] [--includedir DIR] [--p11kit-dir DIR] [--destdir DIR] [--debug]
          [--no-build] [--dry-run] [--uninstall]
                     build and install libcie_pkcs11.so with its p11-kit module file, and the
                     C API: libcie.so.N (SONAME) + libcie.so, libcie.a, cie.h, pkgconfig/cie.pc";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if wants_help(cmd, rest) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match cmd.as_str() {
        "test" => test(rest),
        "demo" => demo(rest),
        "with-card" => with_card(rest),
        "bench-latency" => bench_latency(rest),
        "bench-report" => bench_report::bench_report(rest),
        "fuzz" => fuzz::fuzz(rest),
        "layers" => layers::layers(rest),
        "soak" => soak::soak(rest),
        "fuzz-seeds" => fuzz::record_seeds(rest),
        "demo-as-user" => demo_as_user(rest),
        "install-deps" => ensure_packages(PACKAGES)
            .and_then(|()| ensure_pyhanko())
            .and_then(|_| ensure_pyhanko_sdist())
            .map(|_| ExitCode::SUCCESS),
        "header" => header::run(rest).map(|()| ExitCode::SUCCESS),
        "install" => install::install(rest),
        "deb" => deb::deb(rest),
        "man" => man::man(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

type Result<T, E = String> = std::result::Result<T, E>;

/// `--help` or `-h` among a command's own options (before `--`; `test` passes its arguments on
/// to cargo test, so only a lone `--help` counts there).
fn wants_help(cmd: &str, rest: &[String]) -> bool {
    let is_help = |a: &String| a == "--help" || a == "-h";
    match cmd {
        "test" => rest.len() == 1 && is_help(&rest[0]),
        _ => rest.iter().take_while(|a| *a != "--").any(is_help),
    }
}

fn step(msg: &str) {
    eprintln!("xtask: {msg}");
}

/// Runs `cmd`, printing it first; an unsuccessful exit is an error.
fn run(cmd: &mut Command) -> Result<()> {
    step(&format!("running {}", describe(cmd)));
    let status = cmd.status().map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    let envs = cmd.get_envs().filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())));
    envs.chain(std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Makes sure `cargo fmt` and `cargo clippy` exist, adding the rustup components when they do
/// not (a toolchain installed with rustup's minimal profile lacks them).
fn ensure_components() -> Result<()> {
    let works = |sub: &str| {
        cargo().args([sub, "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    if works("fmt") && works("clippy") {
        return Ok(());
    }
    step("cargo fmt or cargo clippy missing: adding the rustup components rustfmt and clippy");
    run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))
}

/// Installs the missing packages of `packages` with apt-get (through sudo when not root,
/// saying so before sudo asks for a password).
fn ensure_packages(packages: &[&str]) -> Result<()> {
    let mut missing = Vec::new();
    for pkg in packages {
        let out = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", pkg])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        match out {
            Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed") => {}
            Ok(_) => missing.push(*pkg),
            Err(_) => {
                step("dpkg-query not found: not a Debian system, install these packages yourself:");
                step(&format!("  {}", packages.join(" ")));
                return Ok(());
            }
        }
    }
    if missing.is_empty() {
        step(&format!("system packages present: {}", packages.join(" ")));
        return Ok(());
    }
    let root = is_root();
    if root {
        step(&format!("installing missing packages: {}", missing.join(" ")));
    } else {
        if find_in_path("sudo").is_none() {
            return Err(format!(
                "missing Debian packages: {0}; sudo is not installed: as root, run\n  \
                 apt-get install --no-install-recommends {0}\nthen run this command again",
                missing.join(" ")
            ));
        }
        step(&format!(
            "missing Debian packages: {}; installing them needs root: running `sudo apt-get` \
             (sudo may ask for your password)",
            missing.join(" ")
        ));
    }
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive").stdin(Stdio::null());
        c
    };
    run(&mut apt(&["update"]))?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

/// The pyHanko virtual environment, created and filled when missing; returns the `pyhanko`
/// executable.
fn ensure_pyhanko() -> Result<PathBuf> {
    let venv = target_dir().join("pyhanko-venv");
    let exe = venv.join("bin").join("pyhanko");
    if exe.is_file() {
        step(&format!("pyHanko present: {}", exe.display()));
        return Ok(exe);
    }
    step(&format!("installing pyHanko into {}", venv.display()));
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv).stdin(Stdio::null()))?;
    run(Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PYHANKO_PACKAGES)
        .stdin(Stdio::null()))?;
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} missing after pip install", exe.display()))
    }
}

/// pyHanko's source distribution, whose test suite holds PDFs made by other software (Adobe
/// Reader double signatures, coverage anomalies, circular page and form trees, form updates
/// after signing) with the verdicts pyHanko's tests expect: cie-sign's third-party test judges
/// our verifier on them. Fetched from PyPI by version and checked against this SHA-256.
const PYHANKO_SDIST: (&str, &str) =
    ("pyHanko==0.38.0", "267d6d3fa460b0f0e9c5362a2d7979dccbe1e6b1f8d89ba0818dd0c45b5f300e");

/// The unpacked pyHanko source distribution under `target/third-party/`, fetched when
/// missing; returns its directory.
fn ensure_pyhanko_sdist() -> Result<PathBuf> {
    let (spec, sha256) = PYHANKO_SDIST;
    let version = spec.rsplit("==").next().unwrap_or_default();
    let base = target_dir().join("third-party");
    let dir = base.join(format!("pyhanko-{version}"));
    if dir.join("pyhanko_testing_commons").is_dir() {
        step(&format!("pyHanko test suite present: {}", dir.display()));
        return Ok(dir);
    }
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let pip = ensure_pyhanko()?.with_file_name("pip");
    step(&format!("fetching the pyHanko source distribution ({spec}) into {}", base.display()));
    run(Command::new(pip)
        .args(["download", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-binary", ":all:"])
        .arg(spec)
        .arg("-d")
        .arg(&base)
        .stdin(Stdio::null()))?;
    let tarball = base.join(format!("pyhanko-{version}.tar.gz"));
    let out = Command::new("sha256sum").arg(&tarball).output().map_err(|e| format!("sha256sum: {e}"))?;
    let got = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_owned();
    if got != sha256 {
        let _ = std::fs::remove_file(&tarball);
        return Err(format!("{}: SHA-256 {got}, expected {sha256}", tarball.display()));
    }
    run(Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&base).stdin(Stdio::null()))?;
    Ok(dir)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `name` in `$PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn test(extra: &[String]) -> Result<ExitCode> {
    ensure_packages(PACKAGES)?;
    lint()?;
    let pyhanko = ensure_pyhanko()?;
    let corpus = ensure_pyhanko_sdist()?;
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    run(cargo()
        .args(["test", "--workspace"])
        .args(extra)
        .env("CIE_PYHANKO", pyhanko)
        .env("CIE_PYHANKO_SDIST", corpus))?;
    if extra.is_empty() {
        step("package test: building the Debian packages (release) and checking them");
        let debs = deb::build(&target_dir().join("debian"), true)?;
        deb::check(&debs)?;
    }
    if is_root() && std::env::var_os("CI").is_some() && extra.is_empty() {
        // The README quick start as a citizen would run it: not as root.
        demo_as_user(&[])?;
    }
    step("all tests passed");
    Ok(ExitCode::SUCCESS)
}

/// What CI enforces besides the tests: no import circle between files (`layers`),
/// formatting, clippy with warnings denied, and documentation that builds without warnings.
fn lint() -> Result<()> {
    ensure_components()?;
    layers::layers(&[])?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))
}

fn demo(args: &[String]) -> Result<ExitCode> {
    let (mut options, _, rest) = stack_options(args)?;
    if !rest.is_empty() {
        return Err(format!("demo takes no command\n\n{USAGE}"));
    }
    ensure_packages(DEMO_PACKAGES)?;
    run(cargo().args(["build", "--release", "-p", "cie", "-p", "cie-sim"]))?;
    let release = target_dir().join("release");
    options.sim_binary = Some(release.join("cie-sim"));
    // The simulated card's PIN: a test credential, not a secret.
    let pin = options.pin.clone().unwrap_or_else(|| cie_sim::fixtures::TEST_PIN.to_owned());
    let stack = start_stack(options)?;
    let mut cmd = Command::new(release.join("cie"));
    cmd.args(["--reader", stack.reader_name(), "--pin-stdin", "demo"])
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .stdin(Stdio::piped());
    step(&format!("running {} (the simulated card's PIN on stdin)", describe(&cmd)));
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", describe(&cmd)))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{pin}");
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    drop(stack);
    Ok(exit_code(status))
}

fn start_stack(options: StackOptions) -> Result<VirtualStack> {
    step("starting the isolated pcscd + vpcd + cie-sim stack");
    let stack = VirtualStack::start(options).map_err(|e| e.to_string())?;
    step(&format!("card ready in \"{}\"; PCSCLITE_CSOCK_NAME={}", stack.reader_name(), stack.socket_path().display()));
    Ok(stack)
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE, // killed by a signal
    }
}

/// Parses `--flag VALUE` stack options up to `--`; returns them, `--release`, and the rest.
fn stack_options(args: &[String]) -> Result<(StackOptions, bool, Vec<String>)> {
    let mut o = StackOptions::default();
    let mut release = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--" => return Ok((o, release, it.cloned().collect())),
            "--release" => release = true,
            "--profile" => o.profile = Some(value()?),
            "--latency" => o.latency = Some(value()?),
            "--pin" => o.pin = Some(value()?),
            "--puk" => o.puk = Some(value()?),
            "--sod" => o.sod = Some(value()?),
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    Ok((o, release, Vec::new()))
}

/// Builds the simulator (debug or release) and returns its path.
fn build_sim(release: bool) -> Result<PathBuf> {
    let mut c = cargo();
    c.args(["build", "--quiet", "-p", "cie-sim", "--bin", "cie-sim"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }).join("cie-sim"))
}

/// Takes `--control FIFO` out of the options before `--` (the rest go to [`stack_options`]).
fn take_control(args: &[String]) -> Result<(Option<PathBuf>, Vec<String>)> {
    let mut control = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.cloned());
            break;
        }
        if a == "--control" {
            control = Some(PathBuf::from(it.next().ok_or("--control needs a FIFO path")?));
        } else {
            rest.push(a.clone());
        }
    }
    Ok((control, rest))
}

/// Creates the FIFO `path` if missing (a FIFO already there is reused).
fn make_fifo(path: &Path) -> Result<bool> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_fifo() => return Ok(false),
        Ok(_) => return Err(format!("{}: exists and is not a FIFO", path.display())),
        Err(_) => {}
    }
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{}: bad path", path.display()))?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(format!("mkfifo {}: {}", path.display(), std::io::Error::last_os_error()));
    }
    Ok(true)
}

/// Reads control lines from the FIFO forever (reopening it after each writer) and sends them on.
fn read_fifo(path: PathBuf, tx: std::sync::mpsc::Sender<String>) {
    use std::io::BufRead;
    loop {
        let Ok(f) = std::fs::File::open(&path) else { return };
        for line in std::io::BufReader::new(f).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                return;
            }
        }
    }
}

/// Applies one control line to the stack: `remove` and `insert` wait until pcscd has seen it.
fn apply_control(stack: &mut VirtualStack, line: &str) {
    let result = match line.trim() {
        "" => return,
        "remove" => stack.remove_card().map(|()| "card removed"),
        "insert" => stack.insert_card().map(|()| "card inserted"),
        other => {
            step(&format!("--control: unknown line {other:?} (remove, insert)"));
            return;
        }
    };
    match result {
        Ok(done) => step(done),
        Err(e) => step(&format!("--control {line}: {e}")),
    }
}

fn with_card(args: &[String]) -> Result<ExitCode> {
    let (control, args) = take_control(args)?;
    let (mut options, release, command) = stack_options(&args)?;
    let Some((program, program_args)) = command.split_first() else {
        return Err(format!("with-card needs a command after `--`\n\n{USAGE}"));
    };
    let created = match &control {
        Some(path) => make_fifo(path)?,
        None => false,
    };
    options.sim_binary = Some(build_sim(release)?);
    let mut stack = start_stack(options)?;
    let mut cmd = Command::new(program);
    cmd.args(program_args).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
    step(&format!("running {}", describe(&cmd)));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(format!("{program}: {e}")),
    };
    let status = match &control {
        None => child.wait(),
        Some(path) => {
            step(&format!("control the card with: echo remove > {0}; echo insert > {0}", path.display()));
            let (tx, rx) = std::sync::mpsc::channel();
            let reader_path = path.clone();
            std::thread::spawn(move || read_fifo(reader_path, tx));
            loop {
                if let Some(status) = child.try_wait().transpose() {
                    break status;
                }
                if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(100)) {
                    apply_control(&mut stack, &line);
                }
            }
        }
    };
    drop(stack);
    if let (true, Some(path)) = (created, &control) {
        let _ = std::fs::remove_file(path);
    }
    Ok(exit_code(status.map_err(|e| format!("{program}: {e}"))?))
}

/// Runs `cmd` as `user` (through runuser) and returns whether it succeeded.
fn as_user(user: &str, script: &str, env: &[(&str, String)]) -> Result<()> {
    let mut c = Command::new("runuser");
    c.args(["-u", user, "--", "env", "-i"]);
    for (k, v) in env {
        c.arg(format!("{k}={v}"));
    }
    c.args(["sh", "-c", script]).stdin(Stdio::null());
    run(&mut c)
}

fn capture(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", describe(cmd), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `cargo xtask demo-as-user [USER]`: the README quick start as an unprivileged user. As root:
/// creates USER if needed, copies the working tree (without `target/`) to its home, gives it
/// read access to this toolchain (hard links, else a copy) and a copy of the crate cache, and
/// runs `cargo xtask demo` as USER. The packages are installed first (as root), so the
/// unprivileged run needs neither sudo nor root: only user namespaces.
fn demo_as_user(args: &[String]) -> Result<ExitCode> {
    let user = match args {
        [] => "ciedemo",
        [u] => u.as_str(),
        _ => return Err(format!("demo-as-user takes at most a user name\n\n{USAGE}")),
    };
    if !is_root() {
        return Err("demo-as-user creates a user: run it as root (or run `cargo xtask demo` yourself)".into());
    }
    ensure_packages(DEMO_PACKAGES)?;
    if capture(Command::new("id").args(["-u", user])).is_err() {
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", user]))?;
    }
    let home = capture(Command::new("getent").args(["passwd", user]))?
        .split(':')
        .nth(5)
        .map(PathBuf::from)
        .ok_or_else(|| format!("no home directory for {user}"))?;
    let tree = home.join("cie");
    let toolchain = home.join("toolchain");
    let cargo_home = home.join(".cargo");
    for d in [&tree, &toolchain] {
        let _ = std::fs::remove_dir_all(d);
    }
    std::fs::create_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    step(&format!("copying the working tree to {}", tree.display()));
    let copy = format!(
        "tar -C '{}' --exclude=./target --exclude=./fuzz/target --exclude=./.git -cf - . | tar -C '{}' -xf -",
        workspace_root().display(),
        tree.display()
    );
    run(Command::new("sh").args(["-c", &copy]))?;
    let sysroot = PathBuf::from(capture(Command::new("rustc").args(["--print", "sysroot"]))?);
    step(&format!("giving {user} the toolchain {} (hard links, else a copy)", sysroot.display()));
    let link = Command::new("cp").arg("-al").arg(&sysroot).arg(&toolchain).status();
    if !matches!(link, Ok(s) if s.success()) {
        let _ = std::fs::remove_dir_all(&toolchain);
        run(Command::new("cp").arg("-a").arg(&sysroot).arg(&toolchain))?;
    }
    let root_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("CARGO_HOME unknown")?;
    std::fs::create_dir_all(&cargo_home).map_err(|e| format!("{}: {e}", cargo_home.display()))?;
    if root_cargo_home.join("registry").is_dir() && !cargo_home.join("registry").is_dir() {
        step("copying the crate cache (so the build needs no download)");
        run(Command::new("cp").arg("-a").arg(root_cargo_home.join("registry")).arg(&cargo_home))?;
    }
    for d in [&tree, &cargo_home] {
        run(Command::new("chown").args(["-R", &format!("{user}:")]).arg(d))?;
    }
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", toolchain.join("bin").display());
    let env = [
        ("HOME", home.display().to_string()),
        ("USER", user.to_owned()),
        ("PATH", path),
        ("CARGO_HOME", cargo_home.display().to_string()),
        ("TMPDIR", "/tmp".to_owned()),
    ];
    step(&format!("running the quick start as {user}: cargo xtask demo"));
    as_user(user, &format!("cd '{}' && id && cargo xtask demo", tree.display()), &env)?;
    step(&format!("the demo passed as the unprivileged user {user}"));
    Ok(ExitCode::SUCCESS)
}

fn bench_latency(args: &[String]) -> Result<ExitCode> {
    let mut n = "200".to_owned();
    let mut models = vec!["none".to_owned(), "realistic".to_owned()];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" => n = it.next().cloned().ok_or("-n needs a number")?,
            "--latency" => models = vec![it.next().cloned().ok_or("--latency needs a model")?],
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    ensure_packages(DEMO_PACKAGES)?;
    let sim = build_sim(true)?;
    run(cargo().args(["build", "--release", "-p", "cie-core", "--features", "pcsc", "--example", "pcsc_latency"]))?;
    let example = target_dir().join("release").join("examples").join("pcsc_latency");
    for model in models {
        step(&format!("latency model: {model}"));
        let stack = start_stack(StackOptions {
            sim_binary: Some(sim.clone()),
            latency: Some(model),
            ..StackOptions::default()
        })?;
        let args: [OsString; 2] = [stack.reader_name().into(), n.clone().into()];
        let mut cmd = Command::new(&example);
        cmd.args(args).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
        let result = run(&mut cmd);
        drop(stack);
        result?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_with_card_options() {
        let (o, release, cmd) =
            stack_options(&strings("--profile Gemalto --latency realistic --release -- opensc-tool -a")).unwrap();
        assert_eq!(o.profile.as_deref(), Some("Gemalto"));
        assert_eq!(o.latency.as_deref(), Some("realistic"));
        assert!(release);
        assert_eq!(cmd, ["opensc-tool", "-a"]);
        // Options after `--` belong to the command.
        let (o, _, cmd) = stack_options(&strings("-- cie --profile x")).unwrap();
        assert!(o.profile.is_none());
        assert_eq!(cmd, ["cie", "--profile", "x"]);
        assert!(stack_options(&strings("--bogus")).is_err());
        assert!(stack_options(&strings("--pin")).is_err());
    }

    #[test]
    fn help_is_answered_for_every_command() {
        for cmd in ["demo", "with-card", "install", "bench-report", "fuzz", "header", "demo-as-user"] {
            assert!(wants_help(cmd, &strings("--help")), "{cmd}");
            assert!(wants_help(cmd, &strings("--profile x -h")), "{cmd}");
        }
        assert!(!wants_help("with-card", &strings("-- cie --help")), "the command's own --help");
        assert!(wants_help("test", &strings("--help")));
        assert!(!wants_help("test", &strings("-p cie -- --help")));
        assert!(!wants_help("demo", &[]));
    }

    #[test]
    fn control_option_is_taken_before_the_command() {
        let (control, rest) = take_control(&strings("--profile x --control /tmp/f -- cmd --control y")).unwrap();
        assert_eq!(control.as_deref(), Some(Path::new("/tmp/f")));
        assert_eq!(rest, strings("--profile x -- cmd --control y"));
        assert!(take_control(&strings("--control")).is_err());
        let (control, _) = take_control(&strings("-- cmd")).unwrap();
        assert!(control.is_none());
    }

    #[test]
    fn demo_installs_only_what_it_needs() {
        for p in cie_sim::stack::RUNTIME_PACKAGES {
            assert!(DEMO_PACKAGES.contains(p), "{p}");
        }
        for p in ["libpcsclite-dev", "pkg-config", "pcscd", "vsmartcard-vpcd"] {
            assert!(DEMO_PACKAGES.contains(&p), "{p}");
        }
        for p in ["openjdk-17-jdk-headless", "valgrind", "libnss3-tools", "curl"] {
            assert!(!DEMO_PACKAGES.contains(&p), "{p}");
        }
        assert!(DEMO_PACKAGES.iter().all(|p| PACKAGES.contains(p)));
    }

    #[test]
    fn package_list_covers_the_stack() {
        for p in cie_sim::stack::RUNTIME_PACKAGES {
            assert!(PACKAGES.contains(p), "{p}");
        }
        assert!(PACKAGES.contains(&"libpcsclite-dev") && PACKAGES.contains(&"pkg-config"));
    }
}
