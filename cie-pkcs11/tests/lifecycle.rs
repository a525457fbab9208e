//! The built `libcie_pkcs11.so` across the life of a process, through a real pcscd: `fork()`
//! (the child initialises its own module, the parent keeps signing with the same session),
//! and load / `C_Initialize` / `C_Finalize` / unload cycles that leave no descriptor and, under
//! valgrind, no lost memory. The programs are small C files in `tests/lifecycle/`, compiled
//! with the system C compiler (single-threaded, as a forking application should be).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cie_core::sign::HashAlg;
use cie_sim::fixtures;
use cie_sim::stack::{StackOptions, VirtualStack};
use common::*;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Compiles `tests/lifecycle/NAME.c` into `dir`.
fn compile(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lifecycle").join(format!("{name}.c"));
    let exe = dir.join(name);
    let out = Command::new("cc")
        .args(["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror", "-g", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-ldl")
        .output()
        .expect("running cc");
    assert!(out.status.success(), "cc {name}.c: {}", text(&out.stderr));
    exe
}

fn stack() -> VirtualStack {
    VirtualStack::start(StackOptions::default()).unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"))
}

/// Runs `cmd` against `stack`'s pcscd, bounded in time.
fn run(stack: &VirtualStack, seconds: u32, cmd: &[&std::ffi::OsStr]) -> Output {
    Command::new("timeout")
        .arg(seconds.to_string())
        .args(cmd)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("CIE_PKCS11_CACHE", "off")
        .output()
        .expect("running a lifecycle program")
}

#[test]
fn forked_child_initialises_its_own_module_and_the_parent_keeps_signing() {
    let _serial = serial();
    let dir = temp_dir("fork");
    let exe = compile(&dir, "fork");
    let stack = stack();
    let module = module_path();
    let out = run(&stack, 120, &[exe.as_os_str(), module.as_os_str(), fixtures::TEST_PIN.as_ref(), dir.as_os_str()]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "fork program failed ({:?}):\n{err}", out.status.code());
    for line in ["parent: signed", "child: signed", "child: finalised", "parent: finalised"] {
        assert!(err.contains(line), "{line:?} missing:\n{err}");
    }
    let di = cie_core::sign::digest_info_of(HashAlg::Sha256, b"signed across fork()");
    for name in ["parent1.sig", "child.sig", "parent2.sig"] {
        let sig = std::fs::read(dir.join(name)).unwrap();
        verify_digest_info(&di, &sig);
    }
    eprintln!("fork: parent, child and parent again signed; 3 signatures verify");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `cycles MODULE n` (optionally under valgrind) and returns its output.
fn cycles(stack: &VirtualStack, exe: &Path, n: u32, valgrind: bool) -> Output {
    let module = module_path();
    let n = n.to_string();
    let mut cmd: Vec<&std::ffi::OsStr> = Vec::new();
    if valgrind {
        cmd.extend(
            ["valgrind", "--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite"]
                .map(std::ffi::OsStr::new),
        );
    }
    cmd.extend([exe.as_os_str(), module.as_os_str(), n.as_ref()]);
    run(stack, 900, &cmd)
}

#[test]
fn fifty_load_initialise_finalise_unload_cycles_keep_the_descriptors() {
    let _serial = serial();
    let dir = temp_dir("cycles");
    let exe = compile(&dir, "cycles");
    let stack = stack();
    let out = cycles(&stack, &exe, 50, false);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "cycles failed ({:?}):\n{stdout}\n{stderr}", out.status.code());
    let field = |name: &str| -> u64 {
        let start = stdout.find(&format!("{name}=")).unwrap_or_else(|| panic!("{name} in {stdout:?}")) + name.len() + 1;
        stdout[start..].split_whitespace().next().unwrap().parse().unwrap()
    };
    let (before, after, slots) = (field("fds before"), field("after"), field("slots"));
    assert_eq!(slots, 2, "vpcd's two readers were listed");
    assert_eq!(after, before, "50 cycles leave the open descriptors unchanged:\n{stdout}{stderr}");
    eprintln!("50 cycles: {before} descriptors before, {after} after");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn load_cycles_under_valgrind_lose_no_memory() {
    let _serial = serial();
    let dir = temp_dir("cycles-valgrind");
    let exe = compile(&dir, "cycles");
    let stack = stack();
    let out = cycles(&stack, &exe, 10, true);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "valgrind reported errors ({:?}):\n{stdout}\n{stderr}", out.status.code());
    assert!(stdout.contains("fds before="), "the program ran to the end:\n{stdout}\n{stderr}");
    let definitely = stderr
        .lines()
        .find_map(|l| l.split_once("definitely lost: ").map(|(_, rest)| rest.to_owned()))
        .unwrap_or_else(|| "0 bytes in 0 blocks (no leak summary: nothing allocated is left)".into());
    assert!(definitely.starts_with("0 bytes"), "definitely lost: {definitely}\n{stderr}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    let summary: Vec<&str> = stderr.lines().filter(|l| l.contains("lost:") || l.contains("ERROR SUMMARY")).collect();
    eprintln!("valgrind, 10 cycles:\n{}", summary.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
