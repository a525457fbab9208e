//! The generated C-side files of cie-ffi: `cargo xtask header` regenerates
//! `include/cie.h` (at the workspace root) with cbindgen (configuration in `cie-ffi/cbindgen.toml`), and
//! [`pkg_config`] renders `cie-ffi/cie.pc.in` for an installation.

use std::process::ExitCode;

use crate::command::Result;
use crate::paths::workspace_root;

/// `cargo xtask header [--check]`: writes `include/cie.h` (at the workspace root), or with `--check` fails
/// when the committed header differs from the generated one.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let check = match args {
        [] => false,
        [a] if a == "--check" => true,
        _ => return Err("usage: cargo xtask header [--check]".into()),
    };
    let crate_dir = workspace_root().join("cie-ffi");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = crate_dir.join("../include/cie.h");
    let current = std::fs::read(&path).unwrap_or_default();
    if current == fresh {
        println!("{} is up to date", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if check {
        return Err(format!("{} is stale: run cargo xtask header", path.display()));
    }
    std::fs::create_dir_all(crate_dir.join("../include")).map_err(|e| format!("{}: {e}", crate_dir.display()))?;
    std::fs::write(&path, &fresh).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The pkg-config file `cie.pc` for an installation with the library in `libdir` and `cie.h`
/// in `includedir` (rendered from `cie-ffi/cie.pc.in`); for `cargo xtask install`.
pub(crate) fn pkg_config(prefix: &str, libdir: &str, includedir: &str) -> Result<String> {
    let template_path = workspace_root().join("cie-ffi/cie.pc.in");
    let template = std::fs::read_to_string(&template_path).map_err(|e| format!("{}: {e}", template_path.display()))?;
    Ok(template
        .replace("@PREFIX@", prefix)
        .replace("@LIBDIR@", libdir)
        .replace("@INCLUDEDIR@", includedir)
        .replace("@VERSION@", env!("CARGO_PKG_VERSION")))
}
