//! `cargo xtask install` of the C API, staged with `--destdir`: libcie.so.N (with that
//! SONAME) and its link libcie.so, libcie.a, cie.h and cie.pc; then `examples/sign.c` built
//! with `pkg-config --cflags --libs cie` against the installed files alone, bound to the
//! SONAME, signs through pcscd with the virtual card.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn readelf_dynamic(path: &Path) -> String {
    let out = run(Command::new("readelf").arg("-d").arg(path));
    assert!(out.status.success(), "readelf: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn installed_files_build_and_run_a_c_program() {
    lib_dir(); // the library of this build exists
    let dir = temp_dir("install");
    let stage = dir.join("stage");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = run(Command::new(cargo)
        .current_dir(crate_dir().join(".."))
        .args(["run", "--quiet", "-p", "xtask", "--", "install", "--debug", "--no-build"])
        .args(["--libdir", "/usr/local/lib", "--includedir", "/usr/local/include", "--p11kit-dir"])
        .arg("/usr/share/p11-kit/modules")
        .arg("--destdir")
        .arg(&stage));
    assert!(out.status.success(), "xtask install: {}", text(&out.stderr));
    let soname = format!("libcie.so.{}", cie::CIE_ABI_VERSION);
    let lib = stage.join("usr/local/lib");
    for f in [soname.as_str(), "libcie.so", "libcie.a", "pkgconfig/cie.pc", "libcie_pkcs11.so"] {
        assert!(lib.join(f).is_file(), "{f} installed");
    }
    assert!(stage.join("usr/local/include/cie.h").is_file());
    assert_eq!(std::fs::read_link(lib.join("libcie.so")).unwrap(), Path::new(&soname));
    assert!(readelf_dynamic(&lib.join(&soname)).contains(&format!("Library soname: [{soname}]")));
    let pc = std::fs::read_to_string(lib.join("pkgconfig/cie.pc")).unwrap();
    assert!(pc.contains("libdir=/usr/local/lib") && pc.contains("includedir=/usr/local/include"), "{pc}");

    // Build with pkg-config against the staged installation only (no in-tree header).
    let pkg = |args: &[&str]| {
        let out = run(Command::new("pkg-config")
            .args(args)
            .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
            .env("PKG_CONFIG_SYSROOT_DIR", &stage));
        assert!(out.status.success(), "pkg-config {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let flags: Vec<String> = pkg(&["--cflags", "--libs", "cie"]).split_whitespace().map(String::from).collect();
    assert!(flags.iter().any(|f| f.starts_with("-I") && f.ends_with("usr/local/include")), "{flags:?}");
    assert_eq!(pkg(&["--modversion", "cie"]).trim(), env!("CARGO_PKG_VERSION"));
    let exe = compile_sign_example(&dir, &flags);
    assert!(readelf_dynamic(&exe).contains(&format!("Shared library: [{soname}]")), "bound to the SONAME");

    let stack = stack();
    let (sig, cert) = (dir.join("sig"), dir.join("cert.der"));
    let data = crate_dir().join("cie.pc.in");
    let out = run_with_input(
        Command::new("timeout")
            .arg("60")
            .arg(&exe)
            .arg(&data)
            .arg(&sig)
            .arg(&cert)
            .env("LD_LIBRARY_PATH", &lib)
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path()),
        format!("{}\n", cie_sim::fixtures::TEST_PIN).as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    openssl_verify(&dir, "sha256", &cert, &data, &sig);
    drop(stack);

    // --uninstall removes every file again.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = run(Command::new(cargo)
        .current_dir(crate_dir().join(".."))
        .args(["run", "--quiet", "-p", "xtask", "--", "install", "--uninstall", "--debug"])
        .args(["--libdir", "/usr/local/lib", "--includedir", "/usr/local/include", "--p11kit-dir"])
        .arg("/usr/share/p11-kit/modules")
        .arg("--destdir")
        .arg(&stage));
    assert!(out.status.success(), "xtask install --uninstall: {}", text(&out.stderr));
    for f in [soname.as_str(), "libcie.so", "libcie.a", "pkgconfig/cie.pc", "libcie_pkcs11.so"] {
        assert!(!lib.join(f).exists(), "{f} removed");
    }
    assert!(!stage.join("usr/local/include/cie.h").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
