//! The host side for sandboxed browsers (snap, Flatpak; docs/SANDBOXED.md): a systemd user
//! unit that runs `p11-kit server` with the CIE module on a socket in the user's runtime
//! directory, `$XDG_RUNTIME_DIR/p11-kit/cie`. Inside the sandbox, p11-kit's client module
//! (`p11-kit-client.so`) reaches the card through that socket when `P11_KIT_SERVER_ADDRESS`
//! names it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The unit's file name.
pub(super) const UNIT: &str = "cie-p11-kit-server.service";
/// The socket, relative to the runtime directory (`%t` in the unit).
pub(super) const SOCKET: &str = "p11-kit/cie";

/// Where the unit goes: `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`).
pub(super) fn unit_path(home: &Path) -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    config.join("systemd/user").join(UNIT)
}

/// The unit's text for `module`, with `p11_kit` the absolute path of the p11-kit program.
pub(super) fn unit_text(p11_kit: &Path, module: &Path) -> String {
    format!(
        "# Written by `cie browser setup --sandboxed`; removed by `cie browser remove`.\n\
         [Unit]\n\
         Description=CIE card for sandboxed browsers (p11-kit server with libcie_pkcs11.so)\n\
         Documentation=file:///usr/share/doc/cie/SANDBOXED.md\n\n\
         [Service]\n\
         Type=simple\n\
         ExecStartPre=/bin/mkdir -p %t/p11-kit\n\
         ExecStart={} server --foreground --name %t/{SOCKET} --provider {} pkcs11:\n\
         Restart=on-failure\n\n\
         [Install]\n\
         WantedBy=default.target\n",
        p11_kit.display(),
        module.display()
    )
}

/// The server address clients use: `unix:path=$XDG_RUNTIME_DIR/p11-kit/cie`.
pub(super) fn address() -> String {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        // SAFETY: getuid has no preconditions.
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", unsafe { libc::getuid() })));
    format!("unix:path={}", runtime.join(SOCKET).display())
}

/// The absolute path of the `p11-kit` program.
pub(super) fn find_p11_kit() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("p11-kit"))
        .find(|p| p.is_file())
}

/// Runs `systemctl --user ARGS` (bounded); returns whether it succeeded.
pub(super) fn systemctl(args: &[&str]) -> bool {
    let mut child = match Command::new("systemctl")
        .arg("--user")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_runs_the_server_on_the_runtime_socket() {
        let t = unit_text(Path::new("/usr/bin/p11-kit"), Path::new("/usr/lib/x/pkcs11/libcie_pkcs11.so"));
        assert!(t.contains(
            "ExecStart=/usr/bin/p11-kit server --foreground --name %t/p11-kit/cie \
             --provider /usr/lib/x/pkcs11/libcie_pkcs11.so pkcs11:\n"
        ));
        assert!(t.contains("WantedBy=default.target"));
        assert!(unit_path(Path::new("/h")).ends_with("systemd/user/cie-p11-kit-server.service"));
        assert!(address().starts_with("unix:path=/") && address().ends_with("/p11-kit/cie"));
    }
}
