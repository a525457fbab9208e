//! The stack's private mount + network namespace and the privileges it takes: as root the
//! namespaces are created directly (`unshare -m -n`); any other user gets them inside a new
//! user namespace (`unshare -r -m -n`, root of that namespace only). A holder process
//! (`sleep infinity`) keeps the namespaces alive; pcscd and the simulators join them with
//! `nsenter`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::error::{io_err, StackError};
use super::logs::{log_file, log_tail};
use super::process::{program, spawn_supervised, stop_child, wait_until};

/// True when this process runs as root (effective user id 0): the stack then creates its
/// namespaces without a user namespace, and needs no privilege it does not have.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Starts the namespace holder: private mounts (a tmpfs on `/run/pcscd`, then the shell
/// commands `mounts` adds) and network (loopback up); waits until it sleeps. Logs to
/// `namespace.log` of `log_dir`. Returns the holder, whose PID names the namespaces.
pub(crate) fn create(mounts: &str, log_dir: &Path, timeout: Duration) -> Result<Child, StackError> {
    // Without root, inside a new user namespace; /run/pcscd may then be impossible to create
    // (owned by the real root): a private tmpfs on /run makes room for it.
    let user_ns = !is_root();
    let mut holder_cmd = Command::new(program("unshare"));
    if user_ns {
        holder_cmd.arg("-r");
    }
    holder_cmd
        .args(["-m", "-n", "--propagation", "private", "sh", "-c"])
        .arg(format!(
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; \
             {{ mkdir -p /run/pcscd 2>/dev/null || {{ mount -t tmpfs tmpfs /run && mkdir -p /run/pcscd; }}; }} \
             && mount -t tmpfs tmpfs /run/pcscd{mounts} && ip link set lo up && exec sleep infinity"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(log_dir, "namespace.log")?);
    let mut holder = spawn_supervised(holder_cmd).map_err(io_err("starting unshare"))?;
    let comm = PathBuf::from(format!("/proc/{}/comm", holder.id()));
    let ready = wait_until(timeout, || {
        if let Ok(Some(_)) = holder.try_wait() {
            return Some(false);
        }
        fs::read_to_string(&comm).ok().filter(|c| c.trim() == "sleep").map(|_| true)
    });
    if ready != Some(true) {
        stop_child(&mut holder, false);
        return Err(StackError::Failed(format!(
            "could not create the private namespace ({}){}",
            if user_ns { userns_advice() } else { "unshare -m -n failed".into() },
            log_tail(log_dir, "namespace.log")
        )));
    }
    Ok(holder)
}

/// `nsenter` joining the namespaces `kinds` (`-m`, `-n`) of the holder `ns`; the program to
/// run there is added by the caller. The user namespace comes first when the stack lives in
/// one (`-U`, keeping our credentials, which the namespace maps to its root).
pub(crate) fn enter(ns: u32, kinds: &[&str]) -> Command {
    let mut cmd = Command::new(program("nsenter"));
    cmd.arg("-t").arg(ns.to_string());
    if !is_root() {
        cmd.args(["-U", "--preserve-credentials"]);
    }
    cmd.args(kinds);
    cmd
}

/// Why `unshare -r` may have failed, and what to change: the kernel settings that forbid
/// unprivileged user namespaces, read from /proc.
fn userns_advice() -> String {
    let read = |p: &str| fs::read_to_string(p).ok().map(|v| v.trim().to_owned());
    let mut why = Vec::new();
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        why.push("kernel.unprivileged_userns_clone = 0 (enable: sudo sysctl -w kernel.unprivileged_userns_clone=1)");
    }
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        why.push("user.max_user_namespaces = 0 (enable: sudo sysctl -w user.max_user_namespaces=10000)");
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        why.push(
            "AppArmor restricts unprivileged user namespaces (Ubuntu 24.04+: sudo sysctl -w \
             kernel.apparmor_restrict_unprivileged_userns=0, or run as root)",
        );
    }
    if why.is_empty() {
        "unshare -r -m -n failed: unprivileged user namespaces are not available here; run as root".into()
    } else {
        format!("unshare -r -m -n failed as a non-root user: {}", why.join("; "))
    }
}
