//! Shared by the PC/SC tests of cie-ffi: the virtual stack, the built library, the C example.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cie_sim::stack::{StackOptions, VirtualStack};

pub(crate) mod agent;

/// Starts pcscd + vpcd + the simulated card (binary `cie-sim` from the target directory;
/// `cargo test --workspace` builds it, or set CIE_SIM_BIN).
/// The process's `$XDG_RUNTIME_DIR` becomes a directory that does not exist, so that no test
/// reaches the user's card agent (tests/ffi_agent.rs starts agents of its own).
pub(crate) fn stack() -> VirtualStack {
    let stack = VirtualStack::start(StackOptions::default()).expect("virtual PC/SC stack (see cie_sim::stack)");
    std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir().join("cie-ffi-tests-no-runtime-dir"));
    stack
}

/// The directory holding the `libcie.so` built for these tests (next to the test binary).
pub(crate) fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().to_path_buf();
    assert!(dir.join("libcie.so").is_file(), "libcie.so not found in {}", dir.display());
    // Programs linked with -lcie need the SONAME (libcie.so.N) at run time, as installed.
    let soname = dir.join(format!("libcie.so.{}", cie::CIE_ABI_VERSION));
    if std::fs::read_link(&soname).is_err() {
        let _ = std::os::unix::fs::symlink("libcie.so", &soname);
    }
    dir
}

pub(crate) fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory for one test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cie-ffi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a command with a time limit and no terminal, and returns its output.
pub(crate) fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    out
}

/// Runs a command with `input` on its standard input.
pub(crate) fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Compiles `examples/sign.c` with the system C compiler against `include/cie.h` and the
/// built library, strictly (warnings are errors).
pub(crate) fn compile_sign_example(dir: &Path, extra_flags: &[String]) -> PathBuf {
    compile_example(dir, "sign", extra_flags)
}

/// Compiles `examples/NAME.c` into `dir/NAME` with warnings as errors.
pub(crate) fn compile_example(dir: &Path, name: &str, extra_flags: &[String]) -> PathBuf {
    let exe = dir.join(name);
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-o"])
        .arg(&exe)
        .arg(crate_dir().join(format!("examples/{name}.c")))
        .args(extra_flags));
    assert!(out.status.success(), "cc failed:\n{}", text(&out.stderr));
    exe
}

/// Flags to compile and link against the in-tree header and the library of this build.
pub(crate) fn direct_flags() -> Vec<String> {
    let lib = lib_dir();
    vec![
        format!("-I{}", crate_dir().join("../include").display()),
        format!("-L{}", lib.display()),
        "-lcie".into(),
        format!("-Wl,-rpath,{}", lib.display()),
    ]
}

/// Checks with openssl that `sig` is a valid `hash` PKCS#1 v1.5 signature of `data` by the
/// key of the DER certificate `cert`.
pub(crate) fn openssl_verify(dir: &Path, hash: &str, cert: &Path, data: &Path, sig: &Path) {
    let pubkey = dir.join("pub.pem");
    let out = run(Command::new("timeout")
        .args(["30", "openssl", "x509", "-inform", "DER", "-noout", "-pubkey", "-in"])
        .arg(cert)
        .arg("-out")
        .arg(&pubkey));
    assert!(out.status.success(), "openssl x509: {}", text(&out.stderr));
    let out = run(Command::new("timeout")
        .args(["30", "openssl", "dgst", &format!("-{hash}"), "-verify"])
        .arg(&pubkey)
        .arg("-signature")
        .arg(sig)
        .arg(data));
    assert!(
        out.status.success() && text(&out.stdout).contains("Verified OK"),
        "openssl dgst: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
