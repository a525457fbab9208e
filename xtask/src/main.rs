//! Project automation, run as `cargo xtask COMMAND` (alias in `.cargo/config.toml`).
//!
//! - `test [CARGO TEST ARGS]`: install the system packages the PC/SC tests need (if missing),
//!   build the whole workspace, run every test (the PC/SC tests start their own isolated stack).
//! - `demo`: run `cie demo` against the simulated card behind an isolated pcscd.
//! - `with-card [OPTIONS] -- CMD ARGS...`: run any PC/SC program against the simulated card.
//! - `bench-latency [-n N] [--latency realistic|none]`: per-APDU latency through pcscd.
//!
//! The isolated stack (pcscd + vpcd + cie-sim in a private namespace) needs root; see
//! `cie_sim::stack` and TESTING.md.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::{StackOptions, VirtualStack};

mod bench_report;
mod fuzz;
mod header;
mod install;

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
];

const USAGE: &str = "usage: cargo xtask COMMAND

commands:
  test [ARGS]        install missing packages, build the workspace, run all tests
                     (ARGS go to `cargo test --workspace`)
  demo [--profile NAME] [--latency realistic|none] [--pin PIN] [--sod sha256|sha512]
                     run `cie demo` against the simulated card behind an isolated pcscd
  with-card [--profile NAME] [--latency realistic|none] [--pin PIN] [--puk PUK]
            [--sod sha256|sha512] [--release] -- CMD ARGS...
                     run CMD with PCSCLITE_CSOCK_NAME pointing at an isolated pcscd whose
                     reader \"Virtual PCD 00 00\" holds the simulated card
  bench-latency [-n N] [--latency realistic|none]
                     per-APDU latency through pcscd (both models unless one is named)
  bench-report [--latency realistic|none] [--no-tls] [--criterion]
                     Markdown table of the user-visible operations through pcscd: APDUs,
                     bytes, host CPU, wall time (both latency models unless one is named)
  fuzz [--seconds N] [--target T]...
                     run the cargo-fuzz targets of fuzz/ (stable, -s none) N seconds each
                     (default 60); fails on any crash
  fuzz-seeds         record the seed corpora fuzz/seeds/ from in-process simulator sessions
  install-deps       only install the missing system packages
  header [--check]   regenerate include/cie.h with cbindgen (--check: fail if stale)
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
    let result = match cmd.as_str() {
        "test" => test(rest),
        "demo" => demo(rest),
        "with-card" => with_card(rest),
        "bench-latency" => bench_latency(rest),
        "bench-report" => bench_report::bench_report(rest),
        "fuzz" => fuzz::fuzz(rest),
        "fuzz-seeds" => fuzz::record_seeds(rest),
        "install-deps" => ensure_packages().map(|_| ExitCode::SUCCESS),
        "header" => header::run(rest).map(|()| ExitCode::SUCCESS),
        "install" => install::install(rest),
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
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
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

/// Installs the missing packages of [`PACKAGES`] with apt-get (through sudo when not root).
fn ensure_packages() -> Result<()> {
    let mut missing = Vec::new();
    for pkg in PACKAGES {
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
                step(&format!("  {}", PACKAGES.join(" ")));
                return Ok(());
            }
        }
    }
    if missing.is_empty() {
        step(&format!("system packages present: {}", PACKAGES.join(" ")));
        return Ok(());
    }
    step(&format!("installing missing packages: {}", missing.join(" ")));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
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

fn test(extra: &[String]) -> Result<ExitCode> {
    ensure_packages()?;
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    run(cargo().args(["test", "--workspace"]).args(extra))?;
    step("all tests passed");
    Ok(ExitCode::SUCCESS)
}

fn demo(args: &[String]) -> Result<ExitCode> {
    let (mut options, _, rest) = stack_options(args)?;
    if !rest.is_empty() {
        return Err(format!("demo takes no command\n\n{USAGE}"));
    }
    ensure_packages()?;
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

fn with_card(args: &[String]) -> Result<ExitCode> {
    let (mut options, release, command) = stack_options(args)?;
    let Some((program, program_args)) = command.split_first() else {
        return Err(format!("with-card needs a command after `--`\n\n{USAGE}"));
    };
    options.sim_binary = Some(build_sim(release)?);
    let stack = start_stack(options)?;
    let mut cmd = Command::new(program);
    cmd.args(program_args).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
    step(&format!("running {}", describe(&cmd)));
    let status = cmd.status().map_err(|e| format!("{program}: {e}"));
    drop(stack);
    Ok(exit_code(status?))
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
    ensure_packages()?;
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
    fn package_list_covers_the_stack() {
        for p in cie_sim::stack::RUNTIME_PACKAGES {
            assert!(PACKAGES.contains(p), "{p}");
        }
        assert!(PACKAGES.contains(&"libpcsclite-dev") && PACKAGES.contains(&"pkg-config"));
    }
}
