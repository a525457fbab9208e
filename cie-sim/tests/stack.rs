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
    assert!(atr.contains("3b:8e:80:01:80:31:80:65:49:54:4e:58:50:12:0f:ff:82:90:f0"), "opensc-tool -a: {atr}");
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
    assert!(opensc_tool(&stack, &["-a"]).contains("3b:8e:80:01"));
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
    assert!(opensc_tool(&second, &["-a"]).contains("3b:8e:80:01"));
}

#[test]
fn pcscd_alone_serves_no_reader() {
    let mut stack = VirtualStack::start(StackOptions {
        sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()),
        readers: 0,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(stack.readers(), 0);
    // pcscd answers, with no reader to list.
    let listing = opensc_tool(&stack, &["-l"]);
    assert!(listing.contains("No smart card readers found"), "opensc-tool -l: {listing}");
    assert!(!listing.contains("Virtual PCD"), "opensc-tool -l: {listing}");
    // No card to act on: errors, not panics.
    let e = stack.remove_card().unwrap_err();
    assert!(e.to_string().contains("no reader 0"), "{e}");
    assert!(stack.insert_card().is_err());
    assert!(stack.send_control(cie_sim::control::Control::Remove).is_err());
    assert!(stack.set_sign_fault(cie_sim::SignFault::None).is_err());
    assert!(stack.remove_card_before_apdu(1).is_err());
    assert_eq!((stack.removals(), stack.pin_tries_at_last_removal()), (0, None));
    assert!(!std::fs::read_dir(stack.log_dir()).unwrap().any(|e| e.unwrap().file_name() == "sim.log"));
}

#[test]
fn a_card_that_is_not_a_cie_is_served() {
    let mut stack = VirtualStack::start(StackOptions {
        sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()),
        foreign_card: true,
        ..Default::default()
    })
    .unwrap();
    // Its own ATR, read through pcscd, and no CIE behind it: the IAS and CIE applications and
    // EF.SN.ICC are not found (6A 82); the MF is.
    let atr = opensc_tool(&stack, &["-a"]);
    assert!(atr.contains("3b:88:80:01:80:73:a1:80:11:82:90:00:d8"), "opensc-tool -a: {atr}");
    for (apdu, sw) in [
        ("00:A4:04:0C:0D:A0:00:00:00:30:80:00:00:00:09:81:60:01", "SW1=0x6A, SW2=0x82"),
        ("00:A4:04:0C:06:A0:00:00:00:00:39", "SW1=0x6A, SW2=0x82"),
        ("00:A4:00:00", "SW1=0x90, SW2=0x00"),
        ("00:A4:02:04:02:D0:03", "SW1=0x6A, SW2=0x82"),
    ] {
        let sent = opensc_tool(&stack, &["-r", "0", "-s", apdu]);
        assert!(sent.contains(sw), "opensc-tool -s {apdu}: {sent}");
    }
    // Removal and insertion work as for a CIE; there are no PIN tries to report.
    stack.remove_card().unwrap();
    assert_eq!((stack.removals(), stack.pin_tries_at_last_removal()), (1, None));
    stack.insert_card().unwrap();
    assert!(opensc_tool(&stack, &["-a"]).contains("3b:88:80:01"));
}

#[test]
fn any_atr_with_any_card_and_the_pin_commands_are_counted() {
    let zero = cie_sim::Atr::from_hex("3B 8F 80 01 00 00 00 00 00 00 00 00 00 00 00 FF 82 90 00 E3").unwrap();
    for foreign_kind in [None, Some(cie_sim::card::ForeignKind::Passport)] {
        let mut stack = VirtualStack::start(StackOptions {
            sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()),
            profile: Some("Gemalto".into()),
            atr: Some(zero.clone()),
            foreign_kind,
            ..Default::default()
        })
        .unwrap();
        let atr = opensc_tool(&stack, &["-a"]);
        assert!(atr.contains("3b:8f:80:01:00:00:00:00:00:00:00:00:00:00:00:ff:82:90:00:e3"), "{foreign_kind:?}: {atr}");
        assert_eq!(stack.counts().unwrap(), cie_sim::control::Counts::default(), "nothing sent yet");
        // SELECT, then VERIFY (plain, and its SM form's INS), CHANGE REFERENCE DATA, RESET
        // RETRY COUNTER: whatever the card answers, four PIN commands.
        for apdu in [
            "00:A4:00:00",
            "00:20:00:81:08:31:32:33:34:35:36:37:38",
            "0C:20:00:81:01:00",
            "00:24:00:81:01:00",
            "00:2C:00:81:01:00",
        ] {
            let sent = opensc_tool(&stack, &["-r", "0", "-s", apdu]);
            assert!(sent.contains("SW1="), "{apdu}: {sent}");
        }
        // opensc-tool's drivers probe the card with APDUs of their own, none of them PIN commands.
        let counts = stack.counts().unwrap();
        assert!(counts.apdus >= 5 && counts.pin_commands == 4, "{foreign_kind:?}: {counts:?}");
    }
}

/// `cie-sim --read-binary-max N` through pcscd: by default a READ BINARY answers at most 231
/// bytes (real cards), with 256 the former answers. Read from offset 0x20 of EF 1004 (270
/// bytes: 238 left): 231 bytes and `90 00`, or all 238 and `62 82`.
#[test]
fn read_binary_max_option_reaches_the_card() {
    let select_and_read =
        ["-r", "0", "-s", "00:A4:04:0C:06:A0:00:00:00:00:39", "-s", "00:A4:02:0C:02:10:04", "-s", "00:B0:00:20:00"];
    for (args, sw) in [(&[][..], "SW1=0x90, SW2=0x00"), (&["--read-binary-max", "256"][..], "SW1=0x62, SW2=0x82")] {
        let stack = VirtualStack::start(StackOptions {
            sim_binary: Some(env!("CARGO_BIN_EXE_cie-sim").into()),
            extra_sim_args: args.iter().map(Into::into).collect(),
            ..Default::default()
        })
        .unwrap();
        let out = opensc_tool(&stack, &select_and_read);
        let last = out.rsplit("Received").next().unwrap_or_default();
        assert!(out.matches("Received").count() == 3 && last.contains(sw), "{args:?}: {out}");
    }
}
