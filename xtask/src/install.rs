//! `cargo xtask install`: builds the PKCS#11 module in release mode and installs it where
//! PKCS#11 applications look (DESIGN.md §6): `libcie_pkcs11.so` in p11-kit's module directory
//! (`/usr/lib/<multiarch>/pkcs11` on Debian; `/usr/local/lib` without p11-kit) and the p11-kit
//! module file `cie-pkcs11.module` in `/usr/share/p11-kit/modules/`.
//!
//! Options: `--libdir DIR`, `--p11kit-dir DIR` (override the directories), `--destdir DIR`
//! (stage under DIR, for packaging), `--no-build`, `--dry-run`, `--uninstall`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use super::{cargo, run, step, target_dir, workspace_root, Result};

const LIBRARY: &str = "libcie_pkcs11.so";
const MODULE_FILE: &str = "cie-pkcs11.module";

#[derive(Debug, Default)]
struct Options {
    libdir: Option<PathBuf>,
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

/// `cargo xtask install [OPTIONS]`.
pub fn install(args: &[String]) -> Result<ExitCode> {
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

    if o.uninstall {
        for p in [&lib_dest, &conf_dest] {
            step(&format!("removing {}", p.display()));
            if !o.dry_run {
                match fs::remove_file(p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(format!("removing {}: {e}", p.display()))
                    }
                    _ => {}
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    if !o.no_build && !o.dry_run {
        run(cargo().args(["build", "--release", "-p", "cie-pkcs11"]))?;
    }
    let built = target_dir().join("release").join(LIBRARY);
    let template_path = workspace_root().join("cie-pkcs11").join(MODULE_FILE);
    let template =
        fs::read_to_string(&template_path).map_err(|e| format!("reading {}: {e}", template_path.display()))?;
    let line = module_line(&libdir, p11kit_modules.as_deref());
    let config: String =
        template.lines().map(|l| if l.starts_with("module:") { line.clone() } else { l.to_owned() } + "\n").collect();

    step(&format!("installing {} -> {}", built.display(), lib_dest.display()));
    step(&format!("installing p11-kit module file -> {} ({line})", conf_dest.display()));
    if o.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let library = fs::read(&built).map_err(|e| format!("reading {}: {e} (build it first)", built.display()))?;
    write_file(&lib_dest, &library, 0o644)?;
    write_file(&conf_dest, config.as_bytes(), 0o644)?;
    step("installed; check with `p11-kit list-modules` or `pkcs11-tool --module <path> --list-slots`");
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
