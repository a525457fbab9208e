//! The card agent in cie-ffi's tests: `cie agent` started over a test's PC/SC stack with a
//! runtime directory of its own (0700), killed and reaped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cie_agent::AgentClient;
use cie_sim::stack::VirtualStack;

use super::temp_dir;

/// A `cie agent` process, killed and reaped on drop.
pub(crate) struct AgentProcess {
    pub(crate) child: Child,
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `cie` binary of this build (`cargo build -p cie` first).
pub(crate) fn cie_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("cie");
    assert!(bin.exists(), "{} not found: build it first (cargo build -p cie)", bin.display());
    bin
}

/// A fresh 0700 `$XDG_RUNTIME_DIR` for an agent and its clients (or for none).
pub(crate) fn runtime_dir(tag: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir(&format!("run-{tag}"));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// The agent's socket under `run`.
pub(crate) fn socket(run: &Path) -> PathBuf {
    run.join("cie/agent.sock")
}

/// Starts `cie agent --idle 0` over `stack` with `run` as its runtime directory and waits until
/// its socket answers.
pub(crate) fn start_agent(stack: &VirtualStack, run: &Path) -> AgentProcess {
    let child = Command::new(cie_binary())
        .args(["agent", "--idle", "0"])
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
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
