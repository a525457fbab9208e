//! The card agent in cie-ffi's tests: `cie agent` started over a test's PC/SC stack with a
//! runtime directory of its own (0700), killed and reaped on drop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cie_agent::AgentClient;
use cie_sim::stack::VirtualStack;

use super::temp_dir;

pub(crate) use cie_sim::stack::AgentProcess;

/// The `cie` binary of this build (`cargo build -p cie` first).
pub(crate) fn cie_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("cie");
    assert!(bin.exists(), "{} not found: build it first (cargo build -p cie)", bin.display());
    bin
}

/// A fresh 0700 `$XDG_RUNTIME_DIR` for an agent and its clients (or for none).
pub(crate) fn runtime_dir(tag: &str) -> PathBuf {
    let dir = temp_dir(&format!("run-{tag}"));
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

/// The clients connected to the agent (the asking one excluded) and those logged in to a card.
pub(crate) fn agent_clients(run: &Path) -> (u32, u32) {
    let status = AgentClient::connect_to(&socket(run)).unwrap().status().unwrap();
    (status.clients - 1, status.cards.iter().map(|c| c.logged_in_clients).sum())
}

/// Waits (10 s at most) until the agent counts `want` (connected, logged in) clients: it sees a
/// closed connection on its own thread.
pub(crate) fn wait_clients(run: &Path, want: (u32, u32), what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = agent_clients(run);
        if now == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {now:?} clients, {want:?} expected");
        std::thread::sleep(Duration::from_millis(20));
    }
}
