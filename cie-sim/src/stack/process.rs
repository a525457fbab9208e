//! The programs the stack runs: finding them, checking that they are installed, starting them
//! under supervision (the kernel kills them if this process dies) and stopping them by PID.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use super::error::StackError;

/// Checks that the programs and the vpcd driver are installed.
pub(crate) fn check_installed() -> Result<(), StackError> {
    let mut missing = Vec::new();
    if find_program("pcscd").is_none() {
        missing.push("pcscd");
    }
    if !Path::new("/etc/reader.conf.d/vpcd").exists() {
        missing.push("vsmartcard-vpcd (vpcd reader driver)");
    }
    for (prog, pkg) in
        [("ip", "iproute2 (ip)"), ("unshare", "util-linux (unshare)"), ("nsenter", "util-linux (nsenter)")]
    {
        if find_program(prog).is_none() {
            missing.push(pkg);
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StackError::NotInstalled(missing.join(", ")))
    }
}

/// `name` in `$PATH` or the system binary directories (pcscd lives in /usr/sbin, which a
/// non-login PATH may lack).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The full path of `name` when found, else `name` (left to the spawn error).
pub(crate) fn program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| PathBuf::from(name))
}

/// Polls `f` every 20 ms until it returns `Some` or `timeout` passes.
pub(crate) fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Stops a child by its PID: SIGTERM first when `gently` (and up to 2 s to exit), then SIGKILL.
pub(crate) fn stop_child(child: &mut Child, gently: bool) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if gently {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: plain kill(2) on the PID of a child we have not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        wait_or_kill(child, Duration::from_secs(2));
    } else {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Waits up to `grace` for `child` to exit, then kills it (SIGKILL) and reaps it.
pub(crate) fn wait_or_kill(child: &mut Child, grace: Duration) {
    if wait_until(grace, || child.try_wait().ok().flatten()).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` so that the kernel kills it (SIGKILL) if this process dies without dropping
/// the stack (`PR_SET_PDEATHSIG`). The signal follows the death of the spawning *thread*, so
/// every spawn happens on one thread that lives as long as the process.
pub(crate) fn spawn_supervised(mut cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("cie-stack-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .ok()
            .map(|_| tx)
    });
    match spawner {
        Some(tx) => {
            let (reply_tx, reply_rx) = mpsc::channel();
            tx.send((cmd, reply_tx)).map_err(|_| io::Error::other("the spawner thread is gone"))?;
            reply_rx.recv().map_err(|_| io::Error::other("the spawner thread is gone"))?
        }
        None => cmd.spawn(),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;

    use super::*;

    #[test]
    fn supervised_spawn_runs_commands() {
        let mut c = Command::new("true");
        c.stdin(Stdio::null());
        assert!(spawn_supervised(c).unwrap().wait().unwrap().success());
        let c = Command::new("false");
        assert!(!spawn_supervised(c).unwrap().wait().unwrap().success());
    }
}
