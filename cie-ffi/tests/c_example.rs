//! The C example `examples/sign.c`, compiled with the system C compiler against the generated
//! header and libcie, signs through pcscd with the virtual card; openssl verifies the
//! signature; valgrind finds no leak and no invalid access; pkg-config finds the library
//! through the rendered `cie.pc`.

mod common;

use std::process::Command;

use common::*;

const PIN: &[u8] = b"12345678\n";

#[test]
fn c_example_signs_and_openssl_verifies_it() {
    let dir = temp_dir("c-example");
    let exe = compile_sign_example(&dir, &direct_flags());
    let stack = stack();
    let data = crate_dir().join("examples/sign.c");

    for hash in ["sha256", "sha512"] {
        let (sig, cert) = (dir.join(format!("{hash}.sig")), dir.join("cert.der"));
        let out = run_with_input(
            Command::new("timeout")
                .arg("60")
                .arg(&exe)
                .args(["-H", hash])
                .arg(&data)
                .arg(&sig)
                .arg(&cert)
                .env("PCSCLITE_CSOCK_NAME", stack.socket_path()),
            PIN,
        );
        let err = text(&out.stderr);
        assert!(out.status.success(), "sign failed: {err}");
        assert!(err.contains("reader 0: Virtual PCD 00 00"), "{err}");
        assert!(err.contains(&format!("card NIS {}", cie_sim::fixtures::TEST_NIS)), "{err}");
        assert_eq!(std::fs::metadata(&sig).unwrap().len(), 256);
        openssl_verify(&dir, hash, &cert, &data, &sig);
    }

    // A wrong PIN: exit status 3 and the tries left, from the C side.
    let out = run_with_input(
        Command::new("timeout")
            .arg("60")
            .arg(&exe)
            .args(["-r", stack.reader_name()])
            .arg(&data)
            .arg(dir.join("x.sig"))
            .arg(dir.join("x.der"))
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path()),
        b"00000000\n",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("wrong PIN: 2 tries left"), "{err}");
    assert!(!dir.join("x.sig").exists());

    // A named reader without a card: exit status 5.
    let out = run_with_input(
        Command::new("timeout")
            .arg("60")
            .arg(&exe)
            .args(["-r", "Virtual PCD 00 01"])
            .arg(&data)
            .arg(dir.join("x.sig"))
            .arg(dir.join("x.der"))
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path()),
        PIN,
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn c_example_under_valgrind_has_no_leaks_or_invalid_accesses() {
    let dir = temp_dir("valgrind");
    let exe = compile_sign_example(&dir, &direct_flags());
    let stack = stack();
    let data = crate_dir().join("cbindgen.toml");
    let (sig, cert) = (dir.join("sig"), dir.join("cert.der"));
    let out = run_with_input(
        Command::new("timeout")
            .args(["600", "valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible"])
            .args(["--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=97"])
            .arg(&exe)
            .arg(&data)
            .arg(&sig)
            .arg(&cert)
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path()),
        PIN,
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "valgrind reported errors (status {:?}):\n{err}", out.status.code());
    assert!(err.contains("ERROR SUMMARY: 0 errors"), "{err}");
    assert!(err.contains("signed "), "the example ran to the end:\n{err}");
    openssl_verify(&dir, "sha256", &cert, &data, &sig);
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pkg_config_file_builds_the_example() {
    let dir = temp_dir("pkgconfig");
    let template = std::fs::read_to_string(crate_dir().join("cie.pc.in")).unwrap();
    let pc = template
        .replace("@PREFIX@", "/usr/local")
        .replace("@LIBDIR@", &lib_dir().display().to_string())
        .replace("@INCLUDEDIR@", &crate_dir().join("../include").display().to_string())
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"));
    assert!(!pc.contains('@'), "every placeholder is replaced");
    std::fs::write(dir.join("cie.pc"), pc).unwrap();
    let out = run(Command::new("pkg-config").args(["--cflags", "--libs", "cie"]).env("PKG_CONFIG_PATH", &dir));
    assert!(out.status.success(), "pkg-config: {}", text(&out.stderr));
    let mut flags: Vec<String> = text(&out.stdout).split_whitespace().map(String::from).collect();
    assert!(flags.contains(&"-lcie".to_owned()), "{flags:?}");
    let out = run(Command::new("pkg-config").args(["--modversion", "cie"]).env("PKG_CONFIG_PATH", &dir));
    assert_eq!(text(&out.stdout).trim(), env!("CARGO_PKG_VERSION"));
    flags.push(format!("-Wl,-rpath,{}", lib_dir().display()));
    let exe = compile_sign_example(&dir, &flags);
    // Linked and loadable: with no arguments it prints its usage (status 2) from main.
    let out = run(&mut Command::new(&exe));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("usage: sign"));
    let _ = std::fs::remove_dir_all(&dir);
}
