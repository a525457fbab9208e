//! `tests/c/waiter_free.c` under valgrind: a worker thread frees its waiter as soon as its wait
//! returns while the main thread is still inside `cie_waiter_cancel` (issue 20, item 8); no
//! invalid read, no leak.

mod common;

use std::process::Command;

use common::*;

#[test]
fn freeing_the_waiter_while_a_cancel_runs_is_safe_under_valgrind() {
    let dir = temp_dir("waiter-free");
    let exe = dir.join("waiter_free");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread", "-g", "-o"])
        .arg(&exe)
        .arg(crate_dir().join("tests/c/waiter_free.c"))
        .args(direct_flags()));
    assert!(out.status.success(), "cc failed:\n{}", text(&out.stderr));
    let stack = stack();
    let out = run(Command::new("timeout")
        .args(["600", "valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible"])
        .args(["--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=97"])
        .arg(&exe)
        .arg("5")
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path()));
    let err = text(&out.stderr);
    assert!(out.status.success(), "valgrind reported errors (status {:?}):\n{err}", out.status.code());
    assert!(err.contains("ERROR SUMMARY: 0 errors"), "{err}");
    assert!(!err.contains("Invalid read"), "{err}");
    assert!(text(&out.stdout).contains("5 waits cancelled"), "the program ran to the end:\n{err}");
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}
