//! The card agent in the module's tests: `cie agent` started over a test's PC/SC stack with a
//! runtime directory of its own, killed on drop.

use std::path::{Path, PathBuf};

use cie_sim::stack::VirtualStack;

use super::temp_dir;

pub(crate) use cie_sim::stack::AgentProcess;

/// The `cie` binary next to this test executable (`cargo build -p cie` first).
pub(crate) fn cie_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("cie");
    assert!(bin.exists(), "{} not found: build it first (cargo build -p cie)", bin.display());
    bin
}

/// A fresh 0700 `$XDG_RUNTIME_DIR` for an agent and its clients (or for none).
pub(crate) fn runtime_dir(tag: &str) -> PathBuf {
    let dir = temp_dir(&format!("agent-run-{tag}"));
    cie_sim::stack::private_runtime_dir(&dir).unwrap();
    dir
}

/// Starts `cie agent --idle 0` over `stack` with `run` as its runtime directory and waits until
/// its socket answers.
pub(crate) fn start_agent(stack: &VirtualStack, run: &Path) -> AgentProcess {
    stack.start_agent(&cie_binary(), run, &[], &["--idle", "0"]).unwrap_or_else(|e| panic!("{e}"))
}

/// The agent's socket under `run`.
pub(crate) fn socket(run: &Path) -> PathBuf {
    cie_sim::stack::agent_socket(run)
}
