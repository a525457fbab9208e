//! `tests/c/transcript.c`, a C program written from the header alone, compiled strictly and run
//! against the simulated card through pcscd twice: without the card agent and with it
//! (`cie agent`). The two transcripts (every result and status code, the signature's bytes)
//! are identical, and while the program is logged in the agent lists it as its one client,
//! logged in. The agent killed under a C program (SIGPIPE at its default there, unlike in a Rust
//! test process; the client's socket writes must not raise it): the program lives on with
//! `CIE_ERR_AGENT`, then opens the card itself.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::agent::*;
use common::*;

fn compile(dir: &Path) -> PathBuf {
    let exe = dir.join("transcript");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-o"])
        .arg(&exe)
        .arg(crate_dir().join("tests/c/transcript.c"))
        .args(direct_flags()));
    assert!(out.status.success(), "cc failed:\n{}", text(&out.stderr));
    exe
}

/// Runs the program with `run` as its `$XDG_RUNTIME_DIR`; `while_logged_in` is called while it
/// waits after its login. Its whole output.
fn transcript(exe: &Path, socket: &Path, run: &Path, while_logged_in: impl FnOnce()) -> String {
    let mut child = Command::new("timeout")
        .arg("120")
        .arg(exe)
        .env("PCSCLITE_CSOCK_NAME", socket)
        .env("XDG_RUNTIME_DIR", run)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", cie_sim::fixtures::TEST_PIN).unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the program ended before logging in:\n{out}");
        }
        out.push_str(&line);
        if line == "logged in\n" {
            break;
        }
    }
    while_logged_in();
    writeln!(stdin, "go").unwrap();
    drop(stdin);
    stdout.read_to_string(&mut out).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success() && out.ends_with("done\n"), "{status}:\n{out}");
    out
}

#[test]
fn the_same_transcript_with_and_without_the_agent() {
    let dir = temp_dir("c-agent");
    let exe = compile(&dir);
    let stack = stack();
    let socket = stack.socket_path().to_path_buf();

    let alone = runtime_dir("c-no-agent");
    let without = transcript(&exe, &socket, &alone, || {});

    let run = runtime_dir("c-agent");
    let agent = start_agent(&stack, &run);
    let with = transcript(&exe, &socket, &run, || {
        wait_clients(&run, (1, 1), "the program is the agent's client, logged in");
    });
    // Its exit ended its login at the agent.
    wait_clients(&run, (0, 0), "after the program's exit");
    drop(agent);

    assert_eq!(without, with, "without the agent / with it");
    for line in [
        "open unknown reader: 4\n",
        "certificate size before the PIN: 13\n",
        "wrong PIN: 8 2\n",
        "PIN: 0 3\n",
        "verified: 0 1\n",
        "holder: 0 MARIO ROSSI\n",
        "sign a digest of the wrong length: 2\n",
        "sign after logout: 13\n",
        "pin tries: 0 3\n",
    ] {
        assert!(with.contains(line), "{line:?} not in\n{with}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&alone);
}

#[test]
fn a_c_program_survives_the_agent_killed_under_it() {
    let dir = temp_dir("c-agent-killed");
    let exe = compile(&dir);
    let stack = stack();
    let run = runtime_dir("c-agent-killed");
    let mut agent = start_agent(&stack, &run);
    let mut child = Command::new("timeout")
        .arg("120")
        .arg(&exe)
        .arg("killed")
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("XDG_RUNTIME_DIR", &run)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", cie_sim::fixtures::TEST_PIN).unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "signed: 0\n");
    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    writeln!(stdin, "go").unwrap();
    drop(stdin);
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    let status = child.wait().unwrap();
    // No SIGPIPE: the program gets the agent's status twice, then opens the card itself.
    assert!(status.success(), "{status}:\n{out}");
    assert_eq!(
        out,
        "sign after the agent died: 24\nsign after the agent died: 24\nopen again: 0, pin tries: 0 3\ndone\n"
    );
    drop(agent);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&run);
}
