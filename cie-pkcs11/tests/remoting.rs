//! The module through p11-kit's remoting, the path for sandboxed browsers (snap, Flatpak;
//! docs/SANDBOXED.md): `p11-kit server --provider libcie_pkcs11.so pkcs11:` on the host side,
//! `p11-kit-client.so` on the client side pointed at the server's socket. The client gets no
//! PC/SC access at all (its `PCSCLITE_CSOCK_NAME` names nothing), so everything it sees comes
//! through the socket: the token list, a login, a signature that OpenSSL verifies with the
//! certificate read through the same path, and a wrong PIN that spends exactly one try (counted
//! on the card directly).
//!
//! Debian packages: p11-kit, p11-kit-modules, opensc, openssl (plus the stack's).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cie_sim::fixtures;
use common::*;
use sha1::{Digest, Sha1};

const CLIENT: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";

fn require(program: &str) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/bin", "/bin"].map(PathBuf::from))
        .any(|d| d.join(program).is_file());
    assert!(found, "{program} not installed: run `cargo xtask test` (it installs the PKCS#11 client packages)");
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The p11-kit server, in its own process group, stopped as a group on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pgid) = libc::pid_t::try_from(self.0.id()) {
            // SAFETY: kill(2) on the process group this test created.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: as above; anything left is killed.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.0.wait();
    }
}

/// A client program under `timeout` that can reach the card only through the server.
fn client(dir: &Path, address: &str, secs: u32, program: &str) -> Command {
    require(program);
    let mut c = Command::new("timeout");
    c.args(["-k", "5", &secs.to_string(), program])
        .stdin(Stdio::null())
        .env("P11_KIT_SERVER_ADDRESS", address)
        .env("PCSCLITE_CSOCK_NAME", dir.join("no-pcscd-here"))
        .env("HOME", dir);
    c
}

/// The card's PIN tries left, asked directly through pcscd (no PIN involved).
fn pin_tries_left(reader: &str) -> u8 {
    use cie_core::session::{PinStatus, Session};
    let transport = cie_core::pcsc_backend::PcscTransport::connect(reader).expect("connect");
    let mut session = Session::open(transport).expect("session");
    match session.pin_status().expect("PIN status") {
        PinStatus::TriesLeft(n) => n,
        other => panic!("{other:?}"),
    }
}

fn key_id_hex() -> String {
    use rsa::traits::PublicKeyParts;
    Sha1::digest(certificate_key().n().to_bytes_be()).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn pkcs11_tool_lists_logs_in_and_signs_through_p11_kit_server() {
    let _serial = serial();
    require("p11-kit");
    assert!(Path::new(CLIENT).is_file(), "{CLIENT} missing: install p11-kit-modules");
    let stack = start_stack();
    let dir = temp_dir("remoting");
    let socket = dir.join("cie.sock");

    let mut server = Command::new("timeout");
    server
        .args(["-k", "5", "300", "p11-kit", "server", "--foreground", "--name"])
        .arg(&socket)
        .arg("--provider")
        .arg(module_path())
        .arg("pkcs11:")
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("HOME", &dir)
        .env("CIE_PKCS11_CACHE", "off")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("server.out")).unwrap())
        .stderr(std::fs::File::create(dir.join("server.err")).unwrap());
    std::os::unix::process::CommandExt::process_group(&mut server, 0);
    let _server = Server(server.spawn().expect("p11-kit server"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let address = loop {
        let said = std::fs::read_to_string(dir.join("server.out")).unwrap_or_default();
        if let Some(a) = said.split(';').next().and_then(|l| l.trim().strip_prefix("P11_KIT_SERVER_ADDRESS=")) {
            if socket.exists() {
                break a.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "p11-kit server did not start: {said}{}",
            std::fs::read_to_string(dir.join("server.err")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(address, format!("unix:path={}", socket.display()));

    // The client alone sees no card.
    let direct = output(client(&dir, "unix:path=/nonexistent", 30, "pkcs11-tool").args(["--module", CLIENT, "-L"]));
    assert!(!String::from_utf8_lossy(&direct.stdout).contains("CIE 378215946021"), "{direct:?}");

    let listed = ok(client(&dir, &address, 60, "pkcs11-tool").args(["--module", CLIENT, "-L"]));
    assert!(listed.contains("token label        : CIE 378215946021"), "{listed}");
    assert!(listed.contains("login required"), "{listed}");

    let objects = ok(client(&dir, &address, 60, "pkcs11-tool").args([
        "--module",
        CLIENT,
        "--login",
        "--pin",
        fixtures::TEST_PIN,
        "--list-objects",
    ]));
    assert!(objects.contains("Private Key Object") && objects.contains("MARIO ROSSI (CIE)"), "{objects}");

    let (data, sig, cert) = (dir.join("document.txt"), dir.join("document.sig"), dir.join("citizen.der"));
    std::fs::write(&data, b"signed inside a sandbox through p11-kit's remoting\n").unwrap();
    ok(client(&dir, &address, 60, "pkcs11-tool")
        .args(["--module", CLIENT, "--login", "--pin", fixtures::TEST_PIN, "--sign", "--mechanism", "SHA256-RSA-PKCS"])
        .args(["--id", &key_id_hex(), "-i"])
        .arg(&data)
        .arg("-o")
        .arg(&sig));
    ok(client(&dir, &address, 60, "pkcs11-tool")
        .args(["--module", CLIENT, "--login", "--pin", fixtures::TEST_PIN, "--read-object", "--type", "cert"])
        .args(["--id", &key_id_hex(), "-o"])
        .arg(&cert));
    assert_eq!(std::fs::read(&cert).unwrap(), certificate(), "the certificate read through the server");
    let public = dir.join("public.pem");
    let key = ok(Command::new("openssl").args(["x509", "-inform", "DER", "-pubkey", "-noout", "-in"]).arg(&cert));
    std::fs::write(&public, key).unwrap();
    let verified = ok(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&data));
    assert!(verified.contains("Verified OK"), "{verified}");

    // A wrong PIN through the server spends exactly one try (the token says "count low").
    let wrong = output(client(&dir, &address, 60, "pkcs11-tool").args([
        "--module",
        CLIENT,
        "--login",
        "--pin",
        "11112222",
        "--list-objects",
    ]));
    assert!(!wrong.status.success(), "{wrong:?}");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("CKR_PIN_INCORRECT"), "{wrong:?}");
    assert_eq!(pin_tries_left(stack.reader_name()), 2, "one wrong PIN, one try spent");
    // The right PIN restores the tries.
    ok(client(&dir, &address, 60, "pkcs11-tool").args([
        "--module",
        CLIENT,
        "--login",
        "--pin",
        fixtures::TEST_PIN,
        "--list-objects",
    ]));
    assert_eq!(pin_tries_left(stack.reader_name()), 3);
    let _ = std::fs::remove_dir_all(&dir);
}
