//! A `cie agent` process for the CLI tests: started in the test's own 0700
//! `$XDG_RUNTIME_DIR`, waited for until its socket answers, killed on drop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::{PinStatus, Session};

use super::Card;

pub(crate) use cie_sim::stack::AgentProcess;

/// `$XDG_RUNTIME_DIR` for the agent and its clients: a fresh 0700 directory.
pub(crate) fn runtime_dir(card: &Card) -> PathBuf {
    let dir = card.path("run");
    cie_sim::stack::private_runtime_dir(&dir).unwrap();
    dir
}

pub(crate) fn socket(run: &Path) -> PathBuf {
    cie_sim::stack::agent_socket(run)
}

/// Starts `cie agent ARGS` and waits until its socket answers.
pub(crate) fn start_agent(card: &Card, run: &Path, args: &[&str]) -> AgentProcess {
    start_agent_under(card, run, &[], args)
}

/// [`start_agent`] run through `wrapper` (a program and its arguments that exec the rest).
pub(crate) fn start_agent_under(card: &Card, run: &Path, wrapper: &[&str], args: &[&str]) -> AgentProcess {
    let cie = Path::new(env!("CARGO_BIN_EXE_cie"));
    card.stack.start_agent(cie, run, wrapper, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Waits (at most 20 s) for the agent process to exit; its status.
pub(crate) fn wait_exit(agent: &mut AgentProcess) -> std::process::ExitStatus {
    agent.wait_exit(Duration::from_secs(20)).unwrap().expect("the agent did not exit")
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
