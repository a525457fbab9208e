//! The module through p11-kit's remoting, the path for sandboxed browsers (snap, Flatpak;
//! docs/SANDBOXED.md): `p11-kit server --provider libcie_pkcs11.so pkcs11:` on the host side,
//! `p11-kit-client.so` on the client side pointed at the server's socket. The client gets no
//! PC/SC access at all (its `PCSCLITE_CSOCK_NAME` names nothing), so everything it sees comes
//! through the socket: the token list, a login, a signature that OpenSSL verifies with the
//! certificate read through the same path, and a wrong PIN that spends exactly one try (counted
//! on the card directly). With `cie agent` running for the user (DESIGN.md §8), the server's
//! module sends the card operations through the agent: a PyKCS11 client logged in through the
//! server is the agent's logged-in client, and its signature verifies.
//!
//! Debian packages: p11-kit, p11-kit-modules, opensc, openssl, python3-pykcs11 (plus the stack's).

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

/// A process (the p11-kit server, a client) in its own process group, stopped as a group on drop.
struct Group(std::process::Child);

impl Drop for Group {
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

/// Starts `p11-kit server` with the module as its provider on a socket in `dir`, its module's log
/// in `dir/server-pkcs11.log`; `run` is its `$XDG_RUNTIME_DIR` (where a card agent may listen).
/// Returns the server and the address clients use.
fn start_server(stack: &cie_sim::stack::VirtualStack, dir: &Path, run: Option<&Path>) -> (Group, String) {
    require("p11-kit");
    assert!(Path::new(CLIENT).is_file(), "{CLIENT} missing: install p11-kit-modules");
    let socket = dir.join("cie.sock");
    let mut server = Command::new("timeout");
    server
        .args(["-k", "5", "300", "p11-kit", "server", "--foreground", "--name"])
        .arg(&socket)
        .arg("--provider")
        .arg(module_path())
        .arg("pkcs11:")
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("HOME", dir)
        .env("CIE_PKCS11_CACHE", "off")
        .env("CIE_PKCS11_LOG_FILE", dir.join("server-pkcs11.log"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("server.out")).unwrap())
        .stderr(std::fs::File::create(dir.join("server.err")).unwrap());
    if let Some(run) = run {
        server.env("XDG_RUNTIME_DIR", run);
    }
    std::os::unix::process::CommandExt::process_group(&mut server, 0);
    let server = Group(server.spawn().expect("p11-kit server"));
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
    (server, address)
}

#[test]
fn pkcs11_tool_lists_logs_in_and_signs_through_p11_kit_server() {
    let _serial = serial();
    let stack = start_stack();
    let dir = temp_dir("remoting");
    let (_server, address) = start_server(&stack, &dir, None);

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

/// PyKCS11 through p11-kit's client module: logs in, says so and waits for a line on stdin, then
/// signs, and writes the message, the signature and the certificate's CKA_VALUE.
const PYKCS11_LOGIN_THEN_SIGN: &str = r#"
import sys
import PyKCS11

module, pin, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)
slot = lib.getSlotList(tokenPresent=True)[0]
session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
session.login(pin)
print("logged in", flush=True)
sys.stdin.readline()
key = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)])[0]
cert = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE)])[0]
message = b"signed through p11-kit's remoting and the card agent"
signature = bytes(session.sign(key, message, PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS, None)))
value = bytes(session.getAttributeValue(cert, [PyKCS11.CKA_VALUE])[0])
for name, data in (("message.txt", message), ("message.sig", signature), ("certificate.der", value)):
    with open(out_dir + "/" + name, "wb") as f:
        f.write(data)
session.logout()
session.closeSession()
print("done", flush=True)
"#;

/// The logged-in clients the agent counts over all its cards.
fn agent_logged_in(run: &Path) -> u32 {
    let mut client = cie_agent::AgentClient::connect_to(&agent::socket(run)).expect("the agent answers");
    client.status().expect("the agent's status").cards.iter().map(|c| c.logged_in_clients).sum()
}

/// The p11-kit server started with the user's `$XDG_RUNTIME_DIR`, where `cie agent` listens: its
/// module (loaded by the server for the client's connection) chooses the agent, as its log says;
/// a PyKCS11 client logged in through the server is the agent's one logged-in client while it
/// runs and no more once it has ended; its signature verifies with the certificate read through
/// the same path; no PIN try is spent.
#[test]
fn p11_kit_server_module_goes_through_the_card_agent() {
    use std::io::{BufRead, BufReader, Write};

    let _serial = serial();
    let stack = start_stack();
    let dir = temp_dir("remoting-agent");
    let tries_before = pin_tries_left(stack.reader_name());
    let run = agent::runtime_dir("remoting");
    let agent = agent::start_agent(&stack, &run);
    let (server, address) = start_server(&stack, &dir, Some(&run));

    let script = dir.join("login_then_sign.py");
    std::fs::write(&script, PYKCS11_LOGIN_THEN_SIGN).unwrap();
    // Debian's interpreter, where python3-pykcs11 is installed.
    let mut python = client(&dir, &address, 120, "/usr/bin/python3");
    python
        .arg(&script)
        .arg(CLIENT)
        .arg(fixtures::TEST_PIN)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("python.err")).unwrap());
    std::os::unix::process::CommandExt::process_group(&mut python, 0);
    let mut python = Group(python.spawn().expect("python3"));
    let mut said = BufReader::new(python.0.stdout.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    let errors = || std::fs::read_to_string(dir.join("python.err")).unwrap_or_default();
    assert_eq!(line.trim(), "logged in", "{}", errors());

    let log = std::fs::read_to_string(dir.join("server-pkcs11.log")).unwrap_or_default();
    assert!(log.contains("card operations through the card agent"), "the server's module chose the agent:\n{log}");
    assert_eq!(agent_logged_in(&run), 1, "the login through p11-kit is the agent's logged-in client");

    python.0.stdin.take().unwrap().write_all(b"sign\n").unwrap();
    line.clear();
    said.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "done", "{}", errors());
    assert!(python.0.wait().unwrap().success(), "{}", errors());
    drop(python);

    assert_eq!(std::fs::read(dir.join("certificate.der")).unwrap(), certificate(), "the card's certificate");
    let public = dir.join("public.pem");
    let key = ok(Command::new("openssl")
        .args(["x509", "-inform", "DER", "-pubkey", "-noout", "-in"])
        .arg(dir.join("certificate.der")));
    std::fs::write(&public, key).unwrap();
    let verified = ok(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(dir.join("message.sig"))
        .arg(dir.join("message.txt")));
    assert!(verified.contains("Verified OK"), "{verified}");

    // The client gone, its connection through the server closed: no login is left in the agent.
    let deadline = Instant::now() + Duration::from_secs(10);
    while agent_logged_in(&run) != 0 {
        assert!(Instant::now() < deadline, "the agent still counts the ended client as logged in");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);
    drop(agent);
    assert_eq!(pin_tries_left(stack.reader_name()), tries_before, "no PIN try spent");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&run);
}
