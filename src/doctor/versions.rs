//! The versions a help desk asks for: this tool, the module (its `C_GetInfo`), pcsc-lite, and
//! the system (`/etc/os-release`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cie_sign::verdict::shown;

use super::Check;

/// The first line a program prints for `args`, if it ends within two seconds.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    child.stdout.take()?.take(4096).read_to_string(&mut out).ok()?;
    if out.trim().is_empty() {
        child.stderr.take()?.take(4096).read_to_string(&mut out).ok()?;
    }
    out.lines().map(str::trim).find(|l| !l.is_empty()).map(|l| shown(l.chars().take(120).collect::<String>().as_str()))
}

/// pcsc-lite's version from `pcscd --version` (`pcsc-lite version 2.0.3.`).
fn pcsc_lite() -> Option<String> {
    let line = first_line("pcscd", &["--version"]).or_else(|| first_line("/usr/sbin/pcscd", &["--version"]))?;
    let v = line.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    Some(v.trim_end_matches('.').to_owned())
}

/// `PRETTY_NAME` of `/etc/os-release`.
fn system() -> Option<String> {
    let mut text = String::new();
    std::fs::File::open("/etc/os-release").ok()?.take(64 * 1024).read_to_string(&mut text).ok()?;
    let v = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))?;
    Some(shown(v.trim().trim_matches('"')))
}

/// The versions line (`?` where unknown); `module` is the module's own version when it loaded.
pub(super) fn check(module: Option<&str>) -> Check {
    // Unknown versions show as `?`, the same in every language.
    let unknown = || "?".to_owned();
    Check::ok(
        "versions",
        tr!(DoctorLinkVersions),
        tr!(
            DoctorVersions,
            cie = env!("CARGO_PKG_VERSION"),
            module = module.map_or_else(unknown, str::to_owned),
            pcsc = pcsc_lite().unwrap_or_else(unknown),
            system = system().unwrap_or_else(unknown)
        ),
    )
}
