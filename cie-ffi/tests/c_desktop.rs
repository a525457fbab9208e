//! `tests/c/desktop.c`, a C program written from the header alone, compiled strictly with the
//! system C compiler and run against the simulated card through pcscd: waiting for a card
//! (present, timeout, cancel from another thread, insertion during the wait), PIN and PUK
//! tries, PIN verified?, holder name, fiscal code and validity, the log callback, size
//! queries.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn compile(dir: &Path) -> PathBuf {
    let exe = dir.join("desktop");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread", "-g", "-o"])
        .arg(&exe)
        .arg(crate_dir().join("tests/c/desktop.c"))
        .args(direct_flags()));
    assert!(out.status.success(), "cc failed:\n{}", text(&out.stderr));
    exe
}

#[test]
fn desktop_functions_from_c() {
    let dir = temp_dir("desktop");
    let exe = compile(&dir);
    let mut stack = stack();
    let socket = stack.socket_path().to_path_buf();

    let pin = format!("{}\n", cie_sim::fixtures::TEST_PIN);
    let out = run_with_input(
        Command::new("timeout").arg("120").arg(&exe).arg("check").env("PCSCLITE_CSOCK_NAME", &socket),
        pin.as_bytes(),
    );
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("all checks passed"), "{}", text(&out.stdout));

    let out = run(Command::new("timeout").arg("60").arg(&exe).arg("wait-empty").env("PCSCLITE_CSOCK_NAME", &socket));
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A card put on the reader while the program waits.
    stack.remove_card().unwrap();
    let mut child = Command::new("timeout")
        .arg("60")
        .arg(&exe)
        .arg("wait-insert")
        .env("PCSCLITE_CSOCK_NAME", &socket)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "waiting");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "still waiting while the reader is empty");
    stack.insert_card().unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), format!("card in {}", stack.reader_name()));
    let status = child.wait().unwrap();
    assert!(status.success());
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}
