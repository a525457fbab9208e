//! What the build and the tests need installed, and installing it: the Debian packages (with
//! apt-get, through sudo when not root) and pyHanko with its test suite's PDFs (from PyPI).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use cie_sim::stack::is_root;

use crate::command::{find_in_path, run, step, Result};
use crate::paths::target_dir;

/// Debian packages the build and the PC/SC tests need: the pcsc crate builds against
/// libpcsclite through pkg-config; the stack runs pcscd with vsmartcard's vpcd driver and
/// brings up loopback with `ip`; tests drive it with OpenSC and pcsc-tools clients.
/// cie-ffi's and the CLI's tests also run the C example under valgrind and verify signatures
/// with openssl.
pub(crate) const PACKAGES: &[&str] = &[
    "libpcsclite-dev",
    "pkg-config",
    "pcscd",
    "pcsc-tools",
    "vsmartcard-vpcd",
    "opensc",
    "iproute2",
    "valgrind",
    "openssl",
    // PKCS#11 client tests: NSS, GnuTLS through p11-kit, the OpenSSL engine with curl, Java.
    "libnss3-tools",
    "gnutls-bin",
    "p11-kit",
    "libengine-pkcs11-openssl",
    "curl",
    "openjdk-17-jdk-headless",
    // More clients (cie-pkcs11/tests/clients_more.rs): OpenSSH's ssh-keygen and ssh against an
    // sshd the test starts on the loopback (installing openssh-server on a machine with systemd
    // also enables its ssh service: `systemctl disable --now ssh` if unwanted); PyKCS11 for
    // Debian's python3.
    "openssh-client",
    "openssh-server",
    "python3-pykcs11",
    // Browser end-to-end tests (tests/browsers.rs): headful browsers under Xvfb, the PIN typed
    // with xdotool, nginx as the relying party, the remote protocols from Python, screenshots.
    "chromium",
    "firefox-esr",
    "xvfb",
    "xdotool",
    "nginx-light",
    "python3-websocket",
    "imagemagick",
    // `systemd-analyze verify` of the card agent's user units (tests/cli_agent.rs).
    "systemd",
    // The Debian package and its test (`cargo xtask deb`): dpkg-shlibdeps, lintian,
    // p11-kit-proxy, strip/objdump, groff (the man pages are checked).
    "dpkg-dev",
    "groff-base",
    "lintian",
    "p11-kit-modules",
    "binutils",
    // Document signatures: poppler's pdfsig; Python for pyHanko's virtual environment.
    "poppler-utils",
    // Trusted lists: xmlsec1 signs the test's lists (tests/cli_verify_tsl.rs,
    // cie-sign/tests/xmldsig.rs), an XML signer independent of cie-sign.
    "xmlsec1",
    "python3",
    "python3-venv",
];

/// pyHanko, installed from PyPI into `target/pyhanko-venv` for the document-signature tests
/// (tests/cli_document.rs, cie-pkcs11's pyHanko PKCS#11 test); versions pinned.
pub(crate) const PYHANKO_PACKAGES: &[&str] = &["pyHanko[pkcs11]==0.38.0", "pyhanko-cli==0.6.0"];

/// What `cargo xtask demo` needs: the build dependencies of the PC/SC backend and the
/// isolated stack's programs; not the test suite's clients (JDK, valgrind, browsers...).
pub(crate) const DEMO_PACKAGES: &[&str] = &["libpcsclite-dev", "pkg-config", "pcscd", "vsmartcard-vpcd", "iproute2"];

/// Installs the missing packages of `packages` with apt-get (through sudo when not root,
/// saying so before sudo asks for a password).
pub(crate) fn ensure_packages(packages: &[&str]) -> Result<()> {
    let mut missing = Vec::new();
    for pkg in packages {
        let out = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", pkg])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        match out {
            Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed") => {}
            Ok(_) => missing.push(*pkg),
            Err(_) => {
                step("dpkg-query not found: not a Debian system, install these packages yourself:");
                step(&format!("  {}", packages.join(" ")));
                return Ok(());
            }
        }
    }
    if missing.is_empty() {
        step(&format!("system packages present: {}", packages.join(" ")));
        return Ok(());
    }
    let root = is_root();
    if root {
        step(&format!("installing missing packages: {}", missing.join(" ")));
    } else {
        if find_in_path("sudo").is_none() {
            return Err(format!(
                "missing Debian packages: {0}; sudo is not installed: as root, run\n  \
                 apt-get install --no-install-recommends {0}\nthen run this command again",
                missing.join(" ")
            ));
        }
        step(&format!(
            "missing Debian packages: {}; installing them needs root: running `sudo apt-get` \
             (sudo may ask for your password)",
            missing.join(" ")
        ));
    }
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive").stdin(Stdio::null());
        c
    };
    run(&mut apt(&["update"]))?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

/// The pyHanko virtual environment, created and filled when missing; returns the `pyhanko`
/// executable.
pub(crate) fn ensure_pyhanko() -> Result<PathBuf> {
    let venv = target_dir().join("pyhanko-venv");
    let exe = venv.join("bin").join("pyhanko");
    if exe.is_file() {
        step(&format!("pyHanko present: {}", exe.display()));
        return Ok(exe);
    }
    step(&format!("installing pyHanko into {}", venv.display()));
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv).stdin(Stdio::null()))?;
    run(Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PYHANKO_PACKAGES)
        .stdin(Stdio::null()))?;
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} missing after pip install", exe.display()))
    }
}

/// pyHanko's source distribution, whose test suite holds PDFs made by other software (Adobe
/// Reader double signatures, coverage anomalies, circular page and form trees, form updates
/// after signing) with the verdicts pyHanko's tests expect: cie-sign's third-party test judges
/// our verifier on them. Fetched from PyPI by version and checked against this SHA-256.
const PYHANKO_SDIST: (&str, &str) =
    ("pyHanko==0.38.0", "267d6d3fa460b0f0e9c5362a2d7979dccbe1e6b1f8d89ba0818dd0c45b5f300e");

/// The unpacked pyHanko source distribution under `target/third-party/`, fetched when
/// missing; returns its directory.
pub(crate) fn ensure_pyhanko_sdist() -> Result<PathBuf> {
    let (spec, sha256) = PYHANKO_SDIST;
    let version = spec.rsplit("==").next().unwrap_or_default();
    let base = target_dir().join("third-party");
    let dir = base.join(format!("pyhanko-{version}"));
    if dir.join("pyhanko_testing_commons").is_dir() {
        step(&format!("pyHanko test suite present: {}", dir.display()));
        return Ok(dir);
    }
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let pip = ensure_pyhanko()?.with_file_name("pip");
    step(&format!("fetching the pyHanko source distribution ({spec}) into {}", base.display()));
    run(Command::new(pip)
        .args(["download", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-binary", ":all:"])
        .arg(spec)
        .arg("-d")
        .arg(&base)
        .stdin(Stdio::null()))?;
    let tarball = base.join(format!("pyhanko-{version}.tar.gz"));
    let out = Command::new("sha256sum").arg(&tarball).output().map_err(|e| format!("sha256sum: {e}"))?;
    let got = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_owned();
    if got != sha256 {
        let _ = std::fs::remove_file(&tarball);
        return Err(format!("{}: SHA-256 {got}, expected {sha256}", tarball.display()));
    }
    run(Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&base).stdin(Stdio::null()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_installs_only_what_it_needs() {
        for p in cie_sim::stack::RUNTIME_PACKAGES {
            assert!(DEMO_PACKAGES.contains(p), "{p}");
        }
        for p in ["libpcsclite-dev", "pkg-config", "pcscd", "vsmartcard-vpcd"] {
            assert!(DEMO_PACKAGES.contains(&p), "{p}");
        }
        for p in ["openjdk-17-jdk-headless", "valgrind", "libnss3-tools", "curl"] {
            assert!(!DEMO_PACKAGES.contains(&p), "{p}");
        }
        assert!(DEMO_PACKAGES.iter().all(|p| PACKAGES.contains(p)));
    }

    #[test]
    fn package_list_covers_the_stack() {
        for p in cie_sim::stack::RUNTIME_PACKAGES {
            assert!(PACKAGES.contains(p), "{p}");
        }
        assert!(PACKAGES.contains(&"libpcsclite-dev") && PACKAGES.contains(&"pkg-config"));
    }
}
