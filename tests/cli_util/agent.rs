//! A `cie agent` process for the CLI tests: started in the test's own 0700
//! `$XDG_RUNTIME_DIR`, waited for until its socket answers, killed on drop.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cie_agent::AgentClient;
use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::{PinStatus, Session};

use super::Card;

/// A `cie agent` process, killed on drop.
pub(crate) struct AgentProcess {
    pub(crate) child: Child,
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$XDG_RUNTIME_DIR` for the agent and its clients: a fresh 0700 directory.
pub(crate) fn runtime_dir(card: &Card) -> PathBuf {
    let dir = card.path("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

pub(crate) fn socket(run: &Path) -> PathBuf {
    run.join("cie/agent.sock")
}

/// Starts `cie agent ARGS` and waits until its socket answers.
pub(crate) fn start_agent(card: &Card, run: &Path, args: &[&str]) -> AgentProcess {
    start_agent_under(card, run, &[], args)
}

/// [`start_agent`] run through `wrapper` (a program and its arguments that exec the rest).
pub(crate) fn start_agent_under(card: &Card, run: &Path, wrapper: &[&str], args: &[&str]) -> AgentProcess {
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(env!("CARGO_BIN_EXE_cie"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_cie")),
    };
    let child = cmd
        .arg("agent")
        .args(args)
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cie agent");
    let agent = AgentProcess { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while AgentClient::connect_to(&socket(run)).is_err() {
        assert!(Instant::now() < deadline, "the agent's socket never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    agent
}

/// Waits (at most 20 s) for the agent process to exit; its status.
pub(crate) fn wait_exit(agent: &mut AgentProcess) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = agent.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the agent did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the agent to exit and asserts it exited with status 0 (the status shown if not;
/// its own messages are on the test's standard error).
pub(crate) fn assert_clean_exit(agent: &mut AgentProcess) {
    let status = wait_exit(agent);
    assert!(status.success(), "the agent ended with {status}, not a clean exit");
}

pub(crate) fn pin_tries(card: &Card) -> PinStatus {
    card.stack.export_socket_env();
    let t = PcscTransport::connect(card.stack.reader_name()).expect("connect");
    Session::open(t).expect("open").pin_status().expect("PIN status")
}
