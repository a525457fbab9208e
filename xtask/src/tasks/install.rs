//! `cargo xtask install`: builds the PKCS#11 module and the C library in release mode and
//! installs them:
//! - the PKCS#11 module where PKCS#11 applications look (DESIGN.md §6): `libcie_pkcs11.so` in
//!   p11-kit's module directory (`/usr/lib/<multiarch>/pkcs11` on Debian; `/usr/local/lib`
//!   without p11-kit) and the p11-kit module file `cie-pkcs11.module` in
//!   `/usr/share/p11-kit/modules/`;
//! - the C API (cie-ffi): `libcie.so.N` (its SONAME, N = `CIE_ABI_VERSION`) with the link
//!   `libcie.so`, `libcie.a` and `pkgconfig/cie.pc` in the library directory (default
//!   `/usr/local/lib`), `cie.h` in the include directory (default `/usr/local/include`).
//!
//! Options: `--libdir DIR` (both libraries, and cie.pc), `--includedir DIR`, `--p11kit-dir DIR`
//! (override the directories), `--destdir DIR` (stage under DIR, for packaging; the paths in
//! cie.pc stay the final ones), `--debug` (the debug build instead of release), `--no-build`,
//! `--dry-run`, `--uninstall`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::is_root;

use super::header;
use crate::command::{cargo, run, step, Result};
use crate::paths::{target_dir, workspace_root};

const LIBRARY: &str = "libcie_pkcs11.so";
const MODULE_FILE: &str = "cie-pkcs11.module";
/// The C API's ABI version, the N of the SONAME `libcie.so.N`.
pub(crate) const ABI_VERSION: u32 = cie_abi_version();

/// `CIE_ABI_VERSION` of cie-ffi/src/lib.rs (also read by cie-ffi's build.rs for the SONAME).
const fn cie_abi_version() -> u32 {
    const SRC: &str = include_str!("../../../cie-ffi/src/lib.rs");
    const KEY: &[u8] = b"pub const CIE_ABI_VERSION: std::ffi::c_int = ";
    let src = SRC.as_bytes();
    let mut i = 0;
    while i + KEY.len() < src.len() {
        let mut j = 0;
        while j < KEY.len() && src[i + j] == KEY[j] {
            j += 1;
        }
        if j == KEY.len() {
            let mut n = 0u32;
            let mut k = i + j;
            while k < src.len() && src[k].is_ascii_digit() {
                n = n * 10 + (src[k] - b'0') as u32;
                k += 1;
            }
            return n;
        }
        i += 1;
    }
    panic!("CIE_ABI_VERSION not found in cie-ffi/src/lib.rs")
}

#[derive(Debug, Default)]
struct Options {
    libdir: Option<PathBuf>,
    includedir: Option<PathBuf>,
    debug: bool,
    p11kit_dir: Option<PathBuf>,
    destdir: Option<PathBuf>,
    no_build: bool,
    dry_run: bool,
    uninstall: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().map(PathBuf::from).ok_or_else(|| format!("{name} needs a directory"));
        match a.as_str() {
            "--libdir" => o.libdir = Some(value("--libdir")?),
            "--includedir" => o.includedir = Some(value("--includedir")?),
            "--debug" => o.debug = true,
            "--p11kit-dir" => o.p11kit_dir = Some(value("--p11kit-dir")?),
            "--destdir" => o.destdir = Some(value("--destdir")?),
            "--no-build" => o.no_build = true,
            "--dry-run" => o.dry_run = true,
            "--uninstall" => o.uninstall = true,
            other => return Err(format!("install: unknown option {other:?}")),
        }
    }
    Ok(o)
}

/// A pkg-config variable of p11-kit-1, if p11-kit's development files are installed.
fn p11kit_variable(name: &str) -> Option<PathBuf> {
    let out = Command::new("pkg-config")
        .args([&format!("--variable={name}"), "p11-kit-1"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !v.is_empty()).then(|| PathBuf::from(v))
}

/// p11-kit's module directory: from pkg-config, else the Debian multiarch default if it exists.
fn p11kit_module_path() -> Option<PathBuf> {
    p11kit_variable("p11_module_path").or_else(|| {
        let multiarch = Path::new("/usr/lib").join(format!("{}-linux-gnu", std::env::consts::ARCH));
        multiarch.is_dir().then(|| multiarch.join("pkcs11"))
    })
}

/// The `module:` line: relative when the library sits in p11-kit's module directory (p11-kit
/// resolves it there), absolute otherwise.
fn module_line(libdir: &Path, p11kit_modules: Option<&Path>) -> String {
    if p11kit_modules == Some(libdir) {
        format!("module: {LIBRARY}")
    } else {
        format!("module: {}", libdir.join(LIBRARY).display())
    }
}

/// `path` under `destdir` (staging), or `path` itself.
fn staged(destdir: Option<&Path>, path: &Path) -> PathBuf {
    match destdir {
        Some(d) => d.join(path.strip_prefix("/").unwrap_or(path)),
        None => path.to_path_buf(),
    }
}

/// Writes `content` to `path` with `mode`, atomically.
fn write_file(path: &Path, content: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().ok_or_else(|| format!("{}: no parent directory", path.display()))?;
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let tmp = path.with_extension("xtask-tmp");
    fs::write(&tmp, content).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(|e| format!("chmod {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("installing {}: {e}", path.display()))
}

/// The C API's files: (source, destination, mode) for the libraries and the header, and the
/// rendered pkg-config file with its destination.
struct CApiFiles {
    copies: Vec<(PathBuf, PathBuf)>,
    link: (PathBuf, String),
    pc: (PathBuf, String),
}

fn c_api_files(o: &Options, built_dir: &Path) -> Result<CApiFiles> {
    let libdir = o.libdir.clone().unwrap_or_else(|| PathBuf::from("/usr/local/lib"));
    let includedir = o.includedir.clone().unwrap_or_else(|| PathBuf::from("/usr/local/include"));
    let prefix = libdir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/usr/local"));
    let staged_lib = staged(o.destdir.as_deref(), &libdir);
    let soname = format!("libcie.so.{ABI_VERSION}");
    let pc = header::pkg_config(
        &prefix.display().to_string(),
        &libdir.display().to_string(),
        &includedir.display().to_string(),
    )?;
    Ok(CApiFiles {
        copies: vec![
            (built_dir.join("libcie.so"), staged_lib.join(&soname)),
            (built_dir.join("libcie.a"), staged_lib.join("libcie.a")),
            (workspace_root().join("include/cie.h"), staged(o.destdir.as_deref(), &includedir).join("cie.h")),
        ],
        link: (staged_lib.join("libcie.so"), soname),
        pc: (staged_lib.join("pkgconfig/cie.pc"), pc),
    })
}

fn remove(path: &Path, dry_run: bool) -> Result<()> {
    step(&format!("removing {}", path.display()));
    if dry_run {
        return Ok(());
    }
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("removing {}: {e}", path.display())),
        _ => Ok(()),
    }
}

/// `cargo xtask install [OPTIONS]`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let o = parse(args)?;
    let p11kit_modules = p11kit_module_path();
    let libdir = o.libdir.clone().or_else(|| p11kit_modules.clone()).unwrap_or_else(|| PathBuf::from("/usr/local/lib"));
    let confdir = o
        .p11kit_dir
        .clone()
        .or_else(|| p11kit_variable("p11_module_configs"))
        .unwrap_or_else(|| PathBuf::from("/usr/share/p11-kit/modules"));
    let lib_dest = staged(o.destdir.as_deref(), &libdir.join(LIBRARY));
    let conf_dest = staged(o.destdir.as_deref(), &confdir.join(MODULE_FILE));
    let built_dir = target_dir().join(if o.debug { "debug" } else { "release" });
    let c_api = c_api_files(&o, &built_dir)?;

    if o.uninstall {
        for p in [&lib_dest, &conf_dest, &c_api.link.0, &c_api.pc.0] {
            remove(p, o.dry_run)?;
        }
        for (_, dest) in &c_api.copies {
            remove(dest, o.dry_run)?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    if !o.no_build && !o.dry_run {
        let mut build = cargo();
        build.args(["build", "-p", "cie-pkcs11", "-p", "cie-ffi"]);
        if !o.debug {
            build.arg("--release");
        }
        run(&mut build)?;
    }
    let built = built_dir.join(LIBRARY);
    let template_path = workspace_root().join("cie-pkcs11").join(MODULE_FILE);
    let template =
        fs::read_to_string(&template_path).map_err(|e| format!("reading {}: {e}", template_path.display()))?;
    let line = module_line(&libdir, p11kit_modules.as_deref());
    let config: String =
        template.lines().map(|l| if l.starts_with("module:") { line.clone() } else { l.to_owned() } + "\n").collect();

    step(&format!("installing {} -> {}", built.display(), lib_dest.display()));
    step(&format!("installing p11-kit module file -> {} ({line})", conf_dest.display()));
    for (from, to) in &c_api.copies {
        step(&format!("installing {} -> {}", from.display(), to.display()));
    }
    step(&format!("linking {} -> {}", c_api.link.0.display(), c_api.link.1));
    step(&format!("writing {}", c_api.pc.0.display()));
    if o.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let library = fs::read(&built).map_err(|e| format!("reading {}: {e} (build it first)", built.display()))?;
    write_file(&lib_dest, &library, 0o644)?;
    write_file(&conf_dest, config.as_bytes(), 0o644)?;
    for (from, to) in &c_api.copies {
        let data = fs::read(from).map_err(|e| format!("reading {}: {e} (build it first)", from.display()))?;
        write_file(to, &data, 0o644)?;
    }
    let (link, target) = &c_api.link;
    let _ = fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).map_err(|e| format!("linking {}: {e}", link.display()))?;
    write_file(&c_api.pc.0, c_api.pc.1.as_bytes(), 0o644)?;
    if o.destdir.is_none() && is_root() {
        // Refresh the loader's cache for the new SONAME; harmless when the directory is not in it.
        let _ = Command::new("ldconfig").stdin(Stdio::null()).status();
    }
    step("installed; check with `p11-kit list-modules` and `pkg-config --cflags --libs cie`");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_line_is_relative_only_in_p11kit_directory() {
        let p11 = Path::new("/usr/lib/x86_64-linux-gnu/pkcs11");
        assert_eq!(module_line(p11, Some(p11)), "module: libcie_pkcs11.so");
        assert_eq!(module_line(Path::new("/usr/local/lib"), Some(p11)), "module: /usr/local/lib/libcie_pkcs11.so");
        assert_eq!(module_line(Path::new("/opt/cie"), None), "module: /opt/cie/libcie_pkcs11.so");
    }

    #[test]
    fn staging_and_options() {
        assert_eq!(staged(Some(Path::new("/tmp/stage")), Path::new("/usr/lib/x")), Path::new("/tmp/stage/usr/lib/x"));
        assert_eq!(staged(None, Path::new("/usr/lib/x")), Path::new("/usr/lib/x"));
        let o = parse(&["--destdir".into(), "/tmp/s".into(), "--dry-run".into()]).unwrap();
        assert_eq!(o.destdir.as_deref(), Some(Path::new("/tmp/s")));
        assert!(o.dry_run && !o.uninstall);
        assert!(parse(&["--libdir".into()]).is_err());
        assert!(parse(&["--bogus".into()]).is_err());
    }

    #[test]
    fn stages_a_real_install() {
        let stage = std::env::temp_dir().join(format!("xtask-install-{}", std::process::id()));
        let _ = fs::remove_dir_all(&stage);
        let lib = stage.join("lib/libcie_pkcs11.so");
        write_file(&lib, b"\x7fELF", 0o644).unwrap();
        assert_eq!(fs::metadata(&lib).unwrap().permissions().mode() & 0o777, 0o644);
        fs::remove_dir_all(&stage).unwrap();
    }
}
