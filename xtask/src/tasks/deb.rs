//! `cargo xtask deb`: the Debian packages, built with `dpkg-deb` from a release build.
//!
//! - `cie_<version>_<arch>.deb`: `/usr/bin/cie`; the PKCS#11 module in p11-kit's module
//!   directory `/usr/lib/<multiarch>/pkcs11/libcie_pkcs11.so` with its module file in
//!   `/usr/share/p11-kit/modules/` (p11-kit-proxy and GnuTLS find it there); the C library
//!   `libcie.so.1`; README, guides and licences in `/usr/share/doc/cie/`; the man pages cie(1) and
//!   cie-COMMAND(1) (`cargo xtask man`); the card agent's systemd user units
//!   (`cie-agent.socket`, `cie-agent.service`) in `/usr/lib/systemd/user/`, not enabled, with
//!   `README.Debian` telling how to enable them. Depends on pcscd and libpcsclite1.
//! - `cie-dev_<version>_<arch>.deb`: `libcie.so`, `include/cie.h` and `cie.pc` for C programs.
//!
//! [`check`] is the package test `cargo xtask test` runs: lintian (no errors), the contents, and
//! the installed files at work: the agent's units (`ExecStart=/usr/bin/cie agent`, not enabled,
//! accepted by `systemd-analyze verify`), `cie --version`, `cie browser setup` registering the packaged
//! module, and `pkcs11-tool` through p11-kit's proxy (which finds the module only through the
//! module file) listing the virtual card's token.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::StackOptions;

use super::{header, install, man};
use crate::card_stack::{build_sim, start_stack};
use crate::command::{cargo, describe, run, step, Result};
use crate::paths::{target_dir, workspace_root};

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The C library's SONAME, `libcie.so.<CIE_ABI_VERSION>` as cie-ffi's build.rs sets it (a unit
/// test keeps the two equal).
const SONAME: &str = "libcie.so.1";
const MAINTAINER: &str = "cie developers <cie-dev@lists.example.org>";
/// Where the card agent's user units go (the user manager's directory for packaged units).
const USER_UNITS: &str = "usr/lib/systemd/user";
/// The packaged `cie` in the units' `ExecStart`.
const PACKAGED_CIE: &str = "/usr/bin/cie";

/// `/usr/share/doc/cie/README.Debian`: the card agent's units and how to turn them on and off.
const README_DEBIAN: &str = "\
cie for Debian
==============

The card agent (cie agent) is off by default
--------------------------------------------

The package installs the systemd user units of the card agent, cie-agent.socket
and cie-agent.service, in /usr/lib/systemd/user/, but enables them for nobody.
When enabled for a user, systemd listens on $XDG_RUNTIME_DIR/cie/agent.sock and
starts `/usr/bin/cie agent` at the first connection: the PKCS#11 module, the C
library and the cie command of every program of that user then share one secure
channel with the card instead of building their own each time. Every program
still presents the PIN, which the card checks.

Enable it for yourself (no root needed):

    systemctl --user enable --now cie-agent.socket

See it at work with `cie agent status`. Disable it again:

    systemctl --user disable --now cie-agent.socket cie-agent.service

The agent ends after 10 minutes without a client and when you log out (the user
manager stops its services when your last session ends; if lingering is enabled
with `loginctl enable-linger`, only the idle time ends it). It writes nothing to
disk. Without the socket, everything works as before, in each program's own
process.

`cie agent install` writes the same units to ~/.config/systemd/user for a cie
binary that is not the packaged one. The security model is in the project's
docs/DESIGN.md, section 8.
";

/// Debian's architecture name for this build.
fn deb_arch() -> Result<String> {
    let out = Command::new("dpkg")
        .arg("--print-architecture")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("dpkg --print-architecture: {e} (building a .deb needs dpkg)"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The multiarch triplet (`x86_64-linux-gnu`).
fn multiarch() -> String {
    Command::new("dpkg-architecture")
        .arg("-qDEB_HOST_MULTIARCH")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{}-linux-gnu", std::env::consts::ARCH))
}

/// `deb` options: output directory, `--no-build`, `--check`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    out: Option<PathBuf>,
    no_build: bool,
    check: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => o.out = Some(PathBuf::from(it.next().ok_or("--out needs a directory")?)),
            "--no-build" => o.no_build = true,
            "--check" => o.check = true,
            other => return Err(format!("deb: unknown option {other:?} (--out DIR, --no-build, --check)")),
        }
    }
    Ok(o)
}

/// `cargo xtask deb [--out DIR] [--no-build] [--check]`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let o = parse(args)?;
    let out = o.out.unwrap_or_else(|| target_dir().join("debian"));
    let debs = build(&out, !o.no_build)?;
    for d in &debs {
        step(&format!("built {}", d.display()));
    }
    if o.check {
        check(&debs)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds the release binaries (when `compile`) and both packages into `out`; returns their paths
/// (the main package first).
pub(crate) fn build(out: &Path, compile: bool) -> Result<Vec<PathBuf>> {
    for tool in ["dpkg-deb", "dpkg-shlibdeps"] {
        if Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            return Err(format!("{tool} not found: install dpkg-dev"));
        }
    }
    let release = target_dir().join("release");
    if compile {
        run(cargo().args(["build", "--release", "-p", "cie", "-p", "cie-pkcs11"]))?;
        // The C library; its build script gives it the SONAME.
        run(cargo().args(["build", "--release", "-p", "cie-ffi", "--lib"]))?;
    }
    let arch = deb_arch()?;
    let ma = multiarch();
    let stage = out.join("stage");
    let _ = fs::remove_dir_all(&stage);
    let main = stage.join("cie");
    let dev = stage.join("cie-dev");
    let libdir = format!("usr/lib/{ma}");
    let root = workspace_root();

    // cie
    install(&release.join("cie"), &main.join("usr/bin/cie"), 0o755, true)?;
    install(&release.join("libcie_pkcs11.so"), &main.join(format!("{libdir}/pkcs11/libcie_pkcs11.so")), 0o644, true)?;
    install(&release.join("libcie.so"), &main.join(format!("{libdir}/{SONAME}")), 0o644, true)?;
    install(
        &root.join("cie-pkcs11/cie-pkcs11.module"),
        &main.join("usr/share/p11-kit/modules/cie-pkcs11.module"),
        0o644,
        false,
    )?;
    let doc = main.join("usr/share/doc/cie");
    for (src, name) in [
        ("README.md", "README.md"),
        ("cie-pkcs11/README.md", "README.pkcs11.md"),
        ("docs/SANDBOXED.md", "SANDBOXED.md"),
    ] {
        if root.join(src).is_file() {
            install(&root.join(src), &doc.join(name), 0o644, false)?;
        }
    }
    write(&doc.join("README.Debian"), README_DEBIAN.as_bytes(), 0o644)?;
    // The card agent's user units, installed and not enabled (README.Debian).
    for (name, text) in agent_units() {
        write(&main.join(USER_UNITS).join(name), text.as_bytes(), 0o644)?;
    }
    write(&doc.join("copyright"), copyright()?.as_bytes(), 0o644)?;
    write(&doc.join("changelog.gz"), &gzip(&changelog())?, 0o644)?;
    // The man pages, generated by the packaged tool itself (`cargo xtask man`).
    for page in man::write_pages(&release.join("cie"), &stage.join("man"))? {
        man::check(&page)?;
        let text = fs::read_to_string(&page).map_err(|e| format!("{}: {e}", page.display()))?;
        let name = page.file_name().ok_or("no page name")?.to_string_lossy().into_owned();
        write(&main.join(format!("usr/share/man/man1/{name}.gz")), &gzip(&text)?, 0o644)?;
    }

    // cie-dev
    let dev_doc = dev.join("usr/share/doc/cie-dev");
    fs::create_dir_all(dev.join(&libdir)).map_err(|e| format!("{e}"))?;
    std::os::unix::fs::symlink(SONAME, dev.join(format!("{libdir}/libcie.so"))).map_err(|e| format!("symlink: {e}"))?;
    install(&root.join("include/cie.h"), &dev.join("usr/include/cie.h"), 0o644, false)?;
    let pc = header::pkg_config("/usr", &format!("/{libdir}"), "/usr/include")?;
    write(&dev.join(format!("{libdir}/pkgconfig/cie.pc")), pc.as_bytes(), 0o644)?;
    write(&dev_doc.join("copyright"), copyright()?.as_bytes(), 0o644)?;
    write(&dev_doc.join("changelog.gz"), &gzip(&changelog())?, 0o644)?;

    // Control files.
    let depends = shlib_depends(&stage, &[main.join("usr/bin/cie"), main.join(format!("{libdir}/{SONAME}"))])?;
    let installed_size = |dir: &Path| du_kib(dir);
    let main_control = format!(
        "Package: cie\nVersion: {VERSION}\nArchitecture: {arch}\nMaintainer: {MAINTAINER}\n\
         Installed-Size: {}\nDepends: {depends}, pcscd\nRecommends: libnss3-tools, p11-kit-modules\n\
         Section: utils\nPriority: optional\n\
         Description: Italian electronic identity card (CIE 3.0) middleware\n \
         Tools and libraries to use the Italian electronic identity card (Carta\n \
         d'Identita Elettronica 3.0) through PC/SC: the cie command-line tool, the\n \
         PKCS#11 module libcie_pkcs11.so for browsers and applications (registered\n \
         with p11-kit; cie browser setup adds it to Firefox and Chromium), and the\n \
         C library libcie.\n",
        installed_size(&main)?
    );
    write(&main.join("DEBIAN/control"), main_control.as_bytes(), 0o644)?;
    write(
        &main.join("DEBIAN/shlibs"),
        format!("libcie {} cie (>= {VERSION})\n", install::ABI_VERSION).as_bytes(),
        0o644,
    )?;
    write(&main.join("DEBIAN/triggers"), b"activate-noawait ldconfig\n", 0o644)?;
    let dev_control = format!(
        "Package: cie-dev\nVersion: {VERSION}\nArchitecture: {arch}\nMaintainer: {MAINTAINER}\n\
         Installed-Size: {}\nDepends: cie (= {VERSION}), libpcsclite-dev\nSection: libdevel\nPriority: optional\n\
         Description: Italian electronic identity card (CIE 3.0) C library - development files\n \
         Header cie.h, the libcie.so link and the pkg-config file cie.pc for C and\n \
         C++ programs that use the Italian electronic identity card through libcie.\n",
        installed_size(&dev)?
    );
    write(&dev.join("DEBIAN/control"), dev_control.as_bytes(), 0o644)?;

    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut debs = Vec::new();
    for (dir, name) in [(&main, "cie"), (&dev, "cie-dev")] {
        let deb = out.join(format!("{name}_{VERSION}_{arch}.deb"));
        run(Command::new("dpkg-deb").args(["--root-owner-group", "-Zxz", "--build"]).arg(dir).arg(&deb))?;
        debs.push(deb);
    }
    Ok(debs)
}

/// The card agent's systemd user units with the packaged binary in `ExecStart` (as
/// `cie agent install` puts its own path there).
fn agent_units() -> Vec<(&'static str, String)> {
    cie_agent::SYSTEMD_UNITS.iter().map(|(name, text)| (*name, text.replace("@CIE@", PACKAGED_CIE))).collect()
}

/// The installed agent units under `root`: both present, `ExecStart` the packaged binary, not
/// enabled (no `.wants` link shipped), and accepted by `systemd-analyze verify` when it is
/// installed (package systemd).
fn check_agent_units(root: &Path) -> Result<()> {
    let dir = root.join(USER_UNITS);
    let read = |name: &str| {
        fs::read_to_string(dir.join(name)).map_err(|e| format!("the package lacks {USER_UNITS}/{name}: {e}"))
    };
    let service = read("cie-agent.service")?;
    let socket = read("cie-agent.socket")?;
    let exec: Vec<&str> = service.lines().filter(|l| l.starts_with("ExecStart=")).collect();
    if exec.len() != 1 || !exec[0].starts_with(&format!("ExecStart={PACKAGED_CIE} agent ")) {
        return Err(format!("cie-agent.service: ExecStart is not `{PACKAGED_CIE} agent ...`: {exec:?}"));
    }
    if !socket.lines().any(|l| l == "ListenStream=%t/cie/agent.sock") || !socket.contains("SocketMode=0600") {
        return Err(format!("cie-agent.socket does not listen on %t/cie/agent.sock with mode 0600:\n{socket}"));
    }
    for enabled in ["etc/systemd", &format!("{USER_UNITS}/sockets.target.wants")] {
        if root.join(enabled).exists() {
            return Err(format!("the package enables the agent ({enabled}); it must only install it"));
        }
    }
    let readme = fs::read_to_string(root.join("usr/share/doc/cie/README.Debian")).unwrap_or_default();
    if !readme.contains("systemctl --user enable --now cie-agent.socket") {
        return Err("README.Debian does not tell how to enable the agent".into());
    }
    if Command::new("systemd-analyze").arg("--version").stdout(Stdio::null()).status().is_err() {
        step("systemd-analyze not installed (package systemd): the agent's units are not verified");
        return Ok(());
    }
    // As installed: the package's /usr/bin laid over the host's (read-only overlay, private
    // mount namespace: the host stays untouched), so `ExecStart=/usr/bin/cie` is the packaged
    // binary, which verify requires to exist and be executable.
    let mut verify = Command::new("timeout");
    verify
        .args(["-k", "5", "60", "unshare", "-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount -t overlay overlay -o "lowerdir=$0/usr/bin:/usr/bin" /usr/bin && exec systemd-analyze verify --man=no "$1" "$2""#)
        .arg(root)
        .arg(dir.join("cie-agent.socket"))
        .arg(dir.join("cie-agent.service"))
        .stdin(Stdio::null());
    step(&format!("running {}", describe(&verify)));
    let out = verify.output().map_err(|e| format!("{}: {e}", describe(&verify)))?;
    if !out.status.success() {
        return Err(format!(
            "systemd-analyze verify refuses the packaged agent units: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Copies `src` to `dst` with `mode`; `strip` removes debugging symbols from an ELF file.
fn install(src: &Path, dst: &Path, mode: u32, strip: bool) -> Result<()> {
    let data = fs::read(src).map_err(|e| format!("{}: {e} (build it first)", src.display()))?;
    write(dst, &data, mode)?;
    if strip {
        run(Command::new("strip")
            .args(["--strip-unneeded", "--remove-section=.comment", "--remove-section=.note"])
            .arg(dst))?;
    }
    Ok(())
}

fn write(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let mut dir = path.parent();
    fs::create_dir_all(dir.unwrap_or(Path::new("."))).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| format!("{}: {e}", path.display()))?;
    // Directories 0755 up to the staging root (umask independent).
    while let Some(d) = dir {
        if d.file_name().is_none_or(|n| n == "stage") {
            break;
        }
        let _ = fs::set_permissions(d, fs::Permissions::from_mode(0o755));
        dir = d.parent();
    }
    Ok(())
}

fn gzip(data: &str) -> Result<Vec<u8>> {
    let mut child = Command::new("gzip")
        .args(["-9n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("gzip: {e}"))?;
    child.stdin.take().ok_or("gzip stdin")?.write_all(data.as_bytes()).map_err(|e| format!("gzip: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout)
}

/// A native package's changelog (Debian policy 12.7).
fn changelog() -> String {
    format!(
        "cie ({VERSION}) unstable; urgency=medium\n\n  * Package built with cargo xtask deb.\n\n \
         -- {MAINTAINER}  Thu, 01 Jan 2026 00:00:00 +0000\n"
    )
}

/// The machine-readable copyright file: the MIT text, and Debian's common copy of Apache-2.0.
fn copyright() -> Result<String> {
    let root = workspace_root();
    let mit = fs::read_to_string(root.join("LICENSE-MIT")).map_err(|e| format!("LICENSE-MIT: {e}"))?;
    let mit: String =
        mit.lines().map(|l| if l.trim().is_empty() { " .\n".to_owned() } else { format!(" {l}\n") }).collect();
    Ok(format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: cie\n\n\
         Files: *\nCopyright: the cie developers\nLicense: MIT or Apache-2.0\n\n\
         License: MIT\n{mit}\n\
         License: Apache-2.0\n On Debian systems, the full text of the Apache License, Version 2.0 can be\n \
         found in the file /usr/share/common-licenses/Apache-2.0.\n"
    ))
}

/// The shared-library dependencies of `files` from dpkg-shlibdeps (run in a scratch source tree).
fn shlib_depends(stage: &Path, files: &[PathBuf]) -> Result<String> {
    let src = stage.join("shlibdeps");
    fs::create_dir_all(src.join("debian")).map_err(|e| format!("{e}"))?;
    fs::write(src.join("debian/control"), "Source: cie\n\nPackage: cie\nArchitecture: any\n")
        .map_err(|e| format!("{e}"))?;
    let mut cmd = Command::new("dpkg-shlibdeps");
    cmd.current_dir(&src).args(["-O", "-xcie"]).args(files).stdin(Stdio::null()).stderr(Stdio::null());
    let out = cmd.output().map_err(|e| format!("{}: {e}", describe(&cmd)))?;
    let _ = fs::remove_dir_all(&src);
    let text = String::from_utf8_lossy(&out.stdout);
    let deps = text.lines().find_map(|l| l.strip_prefix("shlibs:Depends=")).map(str::to_owned);
    match deps {
        Some(d) if out.status.success() && !d.is_empty() => Ok(d),
        _ => Err(format!("dpkg-shlibdeps failed: {text}")),
    }
}

fn du_kib(dir: &Path) -> Result<u64> {
    fn walk(p: &Path, total: &mut u64) {
        if let Ok(m) = fs::symlink_metadata(p) {
            if m.is_dir() {
                for e in fs::read_dir(p).into_iter().flatten().flatten() {
                    walk(&e.path(), total);
                }
            } else {
                *total += m.len().div_ceil(1024);
            }
        }
    }
    let mut total = 0;
    walk(dir, &mut total);
    Ok(total.max(1))
}

/// The package test: lintian finds no error, the packages hold what they must, and the
/// installed files work (extracted into a scratch root; the module is seen by p11-kit-proxy
/// through the module file, with the virtual card behind an isolated pcscd).
pub(crate) fn check(debs: &[PathBuf]) -> Result<()> {
    let main = debs.first().ok_or("no package")?;
    // lintian refuses to run as root unless told; its exit status is non-zero for errors.
    let mut lintian = Command::new("lintian");
    lintian.args(["--allow-root", "--fail-on", "error", "--no-tag-display-limit"]).args(debs).stdin(Stdio::null());
    run(&mut lintian)?;

    let scratch = main.parent().ok_or("no directory")?.join("root");
    let _ = fs::remove_dir_all(&scratch);
    for d in debs {
        run(Command::new("dpkg-deb").arg("-x").arg(d).arg(&scratch))?;
    }
    let ma = multiarch();
    let module = scratch.join(format!("usr/lib/{ma}/pkcs11/libcie_pkcs11.so"));
    for p in [
        scratch.join("usr/bin/cie"),
        module.clone(),
        scratch.join("usr/share/p11-kit/modules/cie-pkcs11.module"),
        scratch.join(format!("usr/lib/{ma}/{SONAME}")),
        scratch.join(format!("usr/lib/{ma}/libcie.so")),
        scratch.join(format!("usr/lib/{ma}/pkgconfig/cie.pc")),
        scratch.join("usr/include/cie.h"),
        scratch.join("usr/share/doc/cie/copyright"),
        scratch.join("usr/share/doc/cie/README.md"),
        scratch.join("usr/share/man/man1/cie.1.gz"),
        scratch.join("usr/share/man/man1/cie-sign.1.gz"),
    ] {
        if !p.exists() {
            return Err(format!("the packages lack {}", p.display()));
        }
    }
    // Extracting a .deb runs no maintainer script: a shipped postinst would be seen here.
    let scripts = Command::new("dpkg-deb").arg("-I").arg(main).output().map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&scripts.stdout).contains("postinst") {
        return Err("the package has a postinst: nothing may enable the agent at installation".into());
    }
    check_agent_units(&scratch)?;
    let fields = Command::new("dpkg-deb").arg("-f").arg(main).arg("Depends").output().map_err(|e| e.to_string())?;
    let depends = String::from_utf8_lossy(&fields.stdout).into_owned();
    if !(depends.contains("pcscd") && depends.contains("libpcsclite1")) {
        return Err(format!("Depends lacks pcscd or libpcsclite1: {depends}"));
    }
    let version = Command::new(scratch.join("usr/bin/cie")).arg("--version").output().map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&version.stdout).contains(VERSION) {
        return Err("the packaged cie does not run".into());
    }
    // The packaged tool registers the packaged module by itself (found from its own prefix).
    let home = scratch.join("home");
    fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let setup = Command::new("timeout")
        .args(["-k", "5", "60"])
        .arg(scratch.join("usr/bin/cie"))
        .args(["browser", "setup"])
        .env("HOME", &home)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cie browser setup: {e}"))?;
    let said = String::from_utf8_lossy(&setup.stdout);
    let registered = fs::read_to_string(home.join(".pki/nssdb/pkcs11.txt")).unwrap_or_default();
    let canonical = fs::canonicalize(&module).map_err(|e| e.to_string())?;
    if !setup.status.success() || !registered.contains(&format!("library={}", canonical.display())) {
        return Err(format!(
            "the packaged `cie browser setup` did not register the packaged module: {said}{}",
            String::from_utf8_lossy(&setup.stderr)
        ));
    }
    let soname = Command::new("objdump").arg("-p").arg(scratch.join(format!("usr/lib/{ma}/{SONAME}"))).output();
    if let Ok(o) = soname {
        let text = String::from_utf8_lossy(&o.stdout);
        if !text.lines().any(|l| l.contains("SONAME") && l.contains(SONAME)) {
            return Err(format!("{SONAME} has no SONAME {SONAME}"));
        }
    }

    // p11-kit's proxy as an installed system would have it: the package's module file as the
    // only one in /usr/share/p11-kit/modules and the module in p11-kit's module directory (where
    // the relative `module:` line points), both bind-mounted in a private mount namespace so
    // the host stays untouched.
    let host_modules = PathBuf::from(format!("/usr/lib/{ma}/pkcs11"));
    let modules_dir = main.parent().ok_or("no directory")?.join("pkcs11-dir");
    let _ = fs::remove_dir_all(&modules_dir);
    fs::create_dir_all(&modules_dir).map_err(|e| e.to_string())?;
    fs::copy(&module, modules_dir.join("libcie_pkcs11.so")).map_err(|e| e.to_string())?;
    let proxy = format!("/usr/lib/{ma}/p11-kit-proxy.so");
    if !Path::new(&proxy).is_file() {
        return Err(format!("{proxy} missing: install p11-kit-modules"));
    }
    let stack = start_stack(StackOptions { sim_binary: Some(build_sim(false)?), ..StackOptions::default() })?;
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", "60", "unshare", "-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /usr/share/p11-kit/modules && mount --bind "$1" "$2" && exec pkcs11-tool --module "$3" -L"#)
        .arg(scratch.join("usr/share/p11-kit/modules"))
        .arg(&modules_dir)
        .arg(&host_modules)
        .arg(&proxy)
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .stdin(Stdio::null());
    step(&format!("running {}", describe(&cmd)));
    let out = cmd.output().map_err(|e| format!("{}: {e}", describe(&cmd)))?;
    drop(stack);
    let listing = String::from_utf8_lossy(&out.stdout);
    print!("{listing}");
    if !out.status.success() || !listing.contains("CIE 378215946021") {
        return Err(format!(
            "p11-kit-proxy does not show the CIE token ({}): {listing}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    step("package test passed: lintian clean of errors, contents complete, agent units verified and not enabled, p11-kit-proxy shows the CIE token");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soname_follows_the_abi_version() {
        assert_eq!(SONAME, format!("libcie.so.{}", install::ABI_VERSION));
    }

    #[test]
    fn options_and_metadata() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        assert_eq!(
            parse(&["--out".into(), "/x".into(), "--no-build".into(), "--check".into()]).unwrap(),
            Options { out: Some("/x".into()), no_build: true, check: true }
        );
        assert!(parse(&["--out".into()]).is_err());
        assert!(parse(&["--frob".into()]).is_err());
        let c = copyright().unwrap();
        assert!(c.contains("License: MIT or Apache-2.0") && c.contains("/usr/share/common-licenses/Apache-2.0"));
        assert!(c.contains("License: MIT\n Copyright") || c.contains("License: MIT\n MIT"), "{c}");
        assert!(changelog().starts_with(&format!("cie ({VERSION}) unstable")));
    }

    #[test]
    fn agent_units_name_the_packaged_binary() {
        let units = agent_units();
        assert_eq!(units.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["cie-agent.socket", "cie-agent.service"]);
        assert!(units.iter().all(|(_, t)| !t.contains("@CIE@")));
        assert!(units[1].1.lines().any(|l| l == "ExecStart=/usr/bin/cie agent --idle 600"), "{}", units[1].1);
        assert!(README_DEBIAN.contains("systemctl --user disable --now cie-agent.socket"));
    }
}
