//! Where the agent's socket lives and who may reach it (DESIGN.md §8): the directory
//! `$XDG_RUNTIME_DIR/cie` (0700, owned by the uid), the socket `agent.sock` in it (0600), a
//! socket handed over by systemd (`LISTEN_FDS`), and the peer's credentials (`SO_PEERCRED`).
//! Wrong owners or modes are refused, never repaired.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Why the socket or its directory is refused.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// `XDG_RUNTIME_DIR` is not set (no user session).
    #[error("XDG_RUNTIME_DIR is not set")]
    NoRuntimeDir,
    /// A path is not what the security model wants.
    #[error("{path}: {why}; refused (fix or remove it yourself)")]
    Refused {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Another agent answers on the socket.
    #[error("an agent is already running on {0}")]
    AlreadyRunning(PathBuf),
    /// A system call failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The socket's path: `$XDG_RUNTIME_DIR/cie/agent.sock`.
pub fn socket_path() -> Result<PathBuf, SocketError> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()).ok_or(SocketError::NoRuntimeDir)?;
    Ok(Path::new(&dir).join("cie").join("agent.sock"))
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

fn refused(path: &Path, why: impl Into<String>) -> SocketError {
    SocketError::Refused { path: path.to_owned(), why: why.into() }
}

/// Checks that `dir` is a directory (not a link) owned by this uid with mode 0700.
pub fn check_dir(dir: &Path) -> Result<(), SocketError> {
    let meta = fs::symlink_metadata(dir)?;
    if !meta.file_type().is_dir() {
        return Err(refused(dir, "not a directory"));
    }
    if meta.uid() != euid() {
        return Err(refused(dir, format!("owned by uid {}, not {}", meta.uid(), euid())));
    }
    if meta.mode() & 0o777 != 0o700 {
        return Err(refused(dir, format!("mode {:o}, not 700", meta.mode() & 0o777)));
    }
    Ok(())
}

/// Checks that `path` is a socket owned by this uid with mode 0600.
pub fn check_socket(path: &Path) -> Result<(), SocketError> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_socket() {
        return Err(refused(path, "not a socket"));
    }
    if meta.uid() != euid() {
        return Err(refused(path, format!("owned by uid {}, not {}", meta.uid(), euid())));
    }
    if meta.mode() & 0o777 != 0o600 {
        return Err(refused(path, format!("mode {:o}, not 600", meta.mode() & 0o777)));
    }
    Ok(())
}

/// Creates the directory (0700) when missing, checks it, and binds the socket (0600). A stale
/// socket of this uid that nobody answers on is replaced; one that answers is another agent.
pub fn bind(path: &Path) -> Result<UnixListener, SocketError> {
    let dir = path.parent().ok_or_else(|| refused(path, "no parent directory"))?;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    check_dir(dir)?;
    if fs::symlink_metadata(path).is_ok() {
        check_socket(path)?;
        if UnixStream::connect(path).is_ok() {
            return Err(SocketError::AlreadyRunning(path.to_owned()));
        }
        fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    check_socket(path)?;
    Ok(listener)
}

/// The listening socket systemd passed (`LISTEN_PID` is this process, `LISTEN_FDS` >= 1: the
/// first, fd 3), checked like one the agent binds: a UNIX stream socket bound to a path whose
/// directory and socket pass [`check_dir`] and [`check_socket`]. `None` when not activated.
pub fn from_systemd() -> Result<Option<(UnixListener, PathBuf)>, SocketError> {
    let pid_ok = std::env::var("LISTEN_PID").ok().and_then(|p| p.parse::<u32>().ok()) == Some(std::process::id());
    let fds = std::env::var("LISTEN_FDS").ok().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
    if !pid_ok || fds == 0 {
        return Ok(None);
    }
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    const FIRST: RawFd = 3;
    let path = bound_path(FIRST)?;
    // SAFETY: systemd hands this process fd 3 as an open listening socket, owned from here on.
    let listener = unsafe { UnixListener::from_raw_fd(FIRST) };
    let dir = path.parent().ok_or_else(|| refused(&path, "no parent directory"))?;
    check_dir(dir)?;
    check_socket(&path)?;
    Ok(Some((listener, path)))
}

/// The path a UNIX stream socket `fd` is bound to.
fn bound_path(fd: RawFd) -> Result<PathBuf, SocketError> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: an all-zero sockaddr_un is valid; getsockname writes at most `len` bytes into it.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `addr` and `len` are valid for writes of the sizes given.
    let rc = unsafe { libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_un).cast(), &mut len) };
    if rc != 0 {
        return Err(io::Error::last_os_error().into());
    }
    let mut ty: libc::c_int = 0;
    let mut ty_len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty` and `ty_len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&mut ty as *mut libc::c_int).cast(), &mut ty_len)
    };
    let fake = Path::new("LISTEN_FDS socket");
    if rc != 0 || addr.sun_family != libc::AF_UNIX as libc::sa_family_t || ty != libc::SOCK_STREAM {
        return Err(refused(fake, "not a UNIX stream socket"));
    }
    let offset = size_of::<libc::sa_family_t>();
    let n = (len as usize).saturating_sub(offset).min(addr.sun_path.len());
    let raw: Vec<u8> = addr.sun_path[..n].iter().map(|&c| c as u8).take_while(|&c| c != 0).collect();
    if raw.is_empty() {
        return Err(refused(fake, "an abstract or unnamed socket"));
    }
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(&raw)))
}

/// The credentials of a connected peer, as the kernel recorded them at `connect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    /// The peer's process id.
    pub pid: i32,
    /// The peer's effective uid.
    pub uid: u32,
}

/// `SO_PEERCRED` of `stream`.
pub fn peer_cred(stream: &UnixStream) -> io::Result<PeerCred> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(PeerCred { pid: cred.pid, uid: cred.uid })
}

/// True when `cred` is this process's uid.
pub fn same_user(cred: &PeerCred) -> bool {
    cred.uid == euid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_modes_are_refused_not_repaired() {
        let base = std::env::temp_dir().join(format!("cie-agent-socket-test-{}", std::process::id()));
        let dir = base.join("cie");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("agent.sock");
        assert!(matches!(bind(&path), Err(SocketError::Refused { .. })));
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o755, "not repaired");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let listener = bind(&path).unwrap();
        check_socket(&path).unwrap();
        assert!(matches!(bind(&path), Err(SocketError::AlreadyRunning(_))));
        let client = UnixStream::connect(&path).unwrap();
        let (server, _) = listener.accept().unwrap();
        let cred = peer_cred(&server).unwrap();
        assert!(same_user(&cred));
        assert_eq!(cred.pid as u32, std::process::id());
        drop((client, server, listener));
        // A stale socket of ours is replaced; one with a wrong mode refused.
        bind(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(bind(&path), Err(SocketError::Refused { .. })));
        fs::remove_dir_all(&base).unwrap();
    }
}
