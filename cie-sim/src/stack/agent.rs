//! `cie agent` over the stack, for the tests of every front end and the soak: a process with a
//! runtime directory the caller gives (0700), connected to this stack's pcscd, killed and reaped
//! on drop. The simulator shares no code with the agent: it starts the `cie` binary it is told
//! of and waits for its socket to accept a connection.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long the agent may take to answer on its socket.
const START_LIMIT: Duration = Duration::from_secs(20);

/// A `cie agent` process started by `VirtualStack::start_agent`, killed and reaped on drop.
pub struct AgentProcess {
    /// The process (its pid for `cie agent status`, `kill` to end it abruptly).
    pub child: Child,
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AgentProcess {
    /// Waits at most `limit` for the agent to exit: its status, `None` if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The agent's socket when its `$XDG_RUNTIME_DIR` is `run`.
pub fn agent_socket(run: &Path) -> PathBuf {
    run.join("cie/agent.sock")
}

/// Creates `dir` if missing and makes it a private runtime directory (mode 0700), as the
/// agent requires of `$XDG_RUNTIME_DIR`.
pub fn private_runtime_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Starts `cie agent ARGS` (the binary `cie`, run through `wrapper` when it is not empty: a
/// program and its arguments that exec the rest) with `run` as its `$XDG_RUNTIME_DIR` and
/// `pcscd_socket` as pcsc-lite's socket, in the C locale, its standard error inherited; waits
/// (at most 20 s) until its socket accepts a connection. An agent that exits first is an error
/// naming its status.
pub(super) fn start(
    cie: &Path,
    pcscd_socket: &Path,
    run: &Path,
    wrapper: &[&str],
    args: &[&str],
) -> io::Result<AgentProcess> {
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(cie);
            c
        }
        None => Command::new(cie),
    };
    let child = cmd
        .arg("agent")
        .args(args)
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", pcscd_socket)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut agent = AgentProcess { child };
    let socket = agent_socket(run);
    let deadline = Instant::now() + START_LIMIT;
    while UnixStream::connect(&socket).is_err() {
        if let Some(status) = agent.child.try_wait()? {
            return Err(io::Error::other(format!("cie agent exited before answering: {status}")));
        }
        if Instant::now() >= deadline {
            return Err(io::Error::other(format!("cie agent: {} never answered", socket.display())));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(agent)
}
