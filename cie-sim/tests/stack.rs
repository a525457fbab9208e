//! The isolated PC/SC stack end to end with an external PC/SC client (OpenSC's `opensc-tool`):
//! the simulated card is seen in "Virtual PCD 00 00", answers APDUs through pcscd, and can be
//! removed and inserted again.

use std::process::{Command, Stdio};

use cie_sim::stack::{StackOptions, VirtualStack};

/// Runs `opensc-tool ARGS` against the stack (with a time limit, no stdin) and returns stdout.
fn opensc_tool(stack: &VirtualStack, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("30")
        .arg("opensc-tool")
        .args(args)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .stdin(Stdio::null())
        .output()
        .expect("opensc-tool (package opensc) runs; `cargo xtask test` installs it");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn reader_line(listing: &str, reader: &str) -> String {
    listing.lines().find(|l| l.contains(reader)).unwrap_or_default().to_owned()
}

#[test]
fn card_is_served_removed_and_inserted() {
    let mut stack = VirtualStack::start(StackOptions {
        sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(stack.reader_name(), "Virtual PCD 00 00");

    // The NXP-class CIE ATR of PROTOCOL.md §1.1, read through pcscd (SCardStatus).
    let atr = opensc_tool(&stack, &["-a"]);
    assert!(atr.contains("3b:8f:80:01:80:31:80:65:49:54:4e:58:50:12:0f:ff:82:90:00:f1"), "opensc-tool -a: {atr}");
    let line = reader_line(&opensc_tool(&stack, &["-l"]), stack.reader_name());
    assert!(line.contains("Yes"), "card present: {line:?}");

    // An APDU goes through pcscd to the simulator and back: SELECT MF answers 90 00.
    let sent = opensc_tool(&stack, &["-r", "0", "-s", "00:A4:00:00"]);
    assert!(sent.contains("SW1=0x90, SW2=0x00"), "opensc-tool -s: {sent}");
    let log = std::fs::read_to_string(stack.log_dir().join("pcscd.log")).unwrap();
    assert!(log.contains("00 A4 00 00"), "pcscd -a logged the APDU");

    stack.remove_card().unwrap();
    let line = reader_line(&opensc_tool(&stack, &["-l"]), stack.reader_name());
    assert!(line.contains("No"), "card removed: {line:?}");

    stack.insert_card().unwrap();
    let line = reader_line(&opensc_tool(&stack, &["-l"]), stack.reader_name());
    assert!(line.contains("Yes"), "card inserted again: {line:?}");
    assert!(opensc_tool(&stack, &["-a"]).contains("3b:8f:80:01"));
}

#[test]
fn a_second_stack_in_the_same_process_reuses_the_socket_path() {
    let opts = || StackOptions { sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()), ..Default::default() };
    let first = VirtualStack::start(opts()).unwrap();
    let path = first.socket_path().to_owned();
    let first_logs = first.log_dir().to_owned();
    drop(first);
    assert!(!path.exists(), "the link goes with its stack");
    assert!(!first_logs.exists(), "logs are removed on a clean drop");
    let second = VirtualStack::start(opts()).unwrap();
    assert_eq!(second.socket_path(), path);
    assert!(opensc_tool(&second, &["-a"]).contains("3b:8f:80:01"));
}
