//! pcscd in the stack's namespace: its reader configuration (one vpcd reader, or a
//! `reader.conf` of the stack's own for none or several), the readers' names, the daemon itself, and
//! the socket PC/SC clients outside the namespace reach it by (one stack per process at a
//! time: see the [`super`] documentation).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::error::{io_err, StackError};
use super::logs::{log_file, log_tail};
use super::namespace;
use super::process::{program, spawn_supervised, stop_child, wait_until};
use crate::vpcd::VPCD_PORT;

/// The vpcd driver of the Debian package.
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

/// Writes pcscd's configuration for `readers` vpcd readers into `log_dir` and returns the shell
/// command that bind-mounts it over `/etc/reader.conf.d` in the namespace. Channel `e` serves
/// readers `2e` and `2e + 1` on ports `VPCD_PORT + 2e` and the next one; channels after the
/// first load their own copy of the driver (its connections are per-library static state).
/// With no reader the directory stays empty: pcscd then serves no reader at all.
pub(crate) fn reader_conf(log_dir: &Path, readers: usize) -> Result<String, StackError> {
    let conf_dir = log_dir.join("reader.conf.d");
    let drivers = log_dir.join("drivers");
    fs::create_dir_all(&conf_dir).map_err(io_err("reader.conf.d"))?;
    fs::create_dir_all(&drivers).map_err(io_err("drivers"))?;
    let mut conf = String::new();
    for e in 0..readers.div_ceil(2) {
        let port = usize::from(VPCD_PORT) + 2 * e;
        let (name, lib) = if e == 0 {
            ("Virtual PCD".to_owned(), PathBuf::from(VPCD_DRIVER))
        } else {
            let copy = drivers.join(format!("libifdvpcd-{e}.so"));
            fs::copy(VPCD_DRIVER, &copy).map_err(io_err(format!("copying {VPCD_DRIVER}")))?;
            (format!("Virtual PCD {e}"), copy)
        };
        conf.push_str(&format!(
            "FRIENDLYNAME \"{name}\"\nDEVICENAME   /dev/null:{port}\nLIBPATH      {}\nCHANNELID    {port}\n\n",
            lib.display()
        ));
    }
    if readers > 0 {
        fs::write(conf_dir.join("vpcd"), conf).map_err(io_err("reader.conf"))?;
    }
    Ok(format!(" && mount --bind '{}' /etc/reader.conf.d", conf_dir.display()))
}

/// The PC/SC name of reader `k` of a stack: vpcd channel `k / 2`, slot `k % 2`.
pub(crate) fn reader_name(k: usize) -> String {
    match k / 2 {
        0 => format!("Virtual PCD 00 {:02X}", k % 2),
        e => format!("Virtual PCD {e} 00 {:02X}", k % 2),
    }
}

/// Starts pcscd in the namespaces of the holder `ns`, in the foreground and logging every APDU
/// (`pcscd -f -a`, into `pcscd.log`), and waits until its socket exists. Returns pcscd and the
/// socket's path seen from outside the namespace.
pub(crate) fn start(ns: u32, log_dir: &Path, timeout: Duration) -> Result<(Child, PathBuf), StackError> {
    let mut pcscd_cmd = namespace::enter(ns, &["-m", "-n"]);
    let pcscd_log = log_file(log_dir, "pcscd.log")?;
    pcscd_cmd
        .arg(program("pcscd"))
        .args(["-f", "-a"])
        .stdin(Stdio::null())
        .stdout(pcscd_log.try_clone().map_err(io_err("log file"))?)
        .stderr(pcscd_log);
    let mut pcscd = spawn_supervised(pcscd_cmd).map_err(io_err("starting pcscd"))?;
    let socket = PathBuf::from(format!("/proc/{ns}/root/run/pcscd/pcscd.comm"));
    let ready = wait_until(timeout, || {
        if let Ok(Some(_)) = pcscd.try_wait() {
            return Some(false);
        }
        socket.exists().then_some(true)
    });
    if ready != Some(true) {
        stop_child(&mut pcscd, true);
        return Err(StackError::Failed(format!("pcscd did not start{}", log_tail(log_dir, "pcscd.log"))));
    }
    Ok((pcscd, socket))
}

/// Points this process's socket link ([`socket_link_path`]) at `socket`; returns the link.
pub(crate) fn link_socket(socket: &Path) -> Result<PathBuf, StackError> {
    let link = socket_link_path();
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(socket, &link).map_err(io_err(format!("linking {}", link.display())))?;
    Ok(link)
}

/// Removes the socket link if it still points at `socket` (a later stack may have taken it).
pub(crate) fn unlink_socket(link: &Path, socket: &Path) {
    if fs::read_link(link).ok().as_deref() == Some(socket) {
        let _ = fs::remove_file(link);
    }
}

/// The per-process symbolic link handed out as `PCSCLITE_CSOCK_NAME`.
fn socket_link_path() -> PathBuf {
    std::env::temp_dir().join(format!("cie-pcscd-{}.comm", std::process::id()))
}

/// One stack per process at a time: pcsc-lite's client library reads `PCSCLITE_CSOCK_NAME`
/// once. Held by a stack from its start to its drop.
pub(crate) struct ProcessSlot;

static SLOT: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

impl ProcessSlot {
    /// Waits until no other stack of this process is alive, and takes the slot.
    pub(crate) fn acquire() -> ProcessSlot {
        let (lock, cv) = &SLOT;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            busy = cv.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy = true;
        ProcessSlot
    }
}

impl Drop for ProcessSlot {
    fn drop(&mut self) {
        let (lock, cv) = &SLOT;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = false;
        cv.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_link_is_stable_per_process() {
        assert_eq!(socket_link_path(), socket_link_path());
        assert!(socket_link_path().to_string_lossy().contains(&std::process::id().to_string()));
    }

    #[test]
    fn readers_are_named_by_channel_and_slot() {
        // vpcd's names: "Virtual PCD" (its reader.conf name) + channel slot numbers.
        assert_eq!(reader_name(0), "Virtual PCD 00 00");
        assert_eq!(reader_name(1), "Virtual PCD 00 01");
        assert_eq!(reader_name(2), "Virtual PCD 1 00 00");
        assert_eq!(reader_name(15), "Virtual PCD 7 00 01");
    }
}
