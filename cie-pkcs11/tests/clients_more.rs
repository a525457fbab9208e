//! More clients of the built module, like clients.rs each against the simulated card behind an
//! isolated pcscd and under `timeout`: OpenSSH (`ssh-keygen -D` prints the card's key; `ssh -I`
//! logs in to an sshd of the test's own on the loopback, the PIN asked once through
//! `SSH_ASKPASS`), Python with PyKCS11 (lists the token, logs in, signs, verifies) and
//! `gnutls-cli` (TLS 1.2 client authentication with PKCS#11 URIs against `openssl s_server
//! -Verify 1`, the module loaded with `--provider` or found through p11-kit). Every server is
//! the test's child, gone when the test ends however it ends.
//!
//! Debian packages: openssh-client, openssh-server, python3-pykcs11, gnutls-bin, p11-kit,
//! openssl (plus the stack's pcscd, vsmartcard-vpcd, iproute2).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cie_sim::fixtures;
use common::client::*;
use common::*;

/// The label of the test card's token, as clients print it.
const TOKEN_LABEL: &str = "CIE 378215946021";

/// An `SSH_ASKPASS` program that answers the test card's PIN and appends the prompt it was
/// shown to `log`, one line per question (a test credential).
fn askpass(c: &Client, log: &Path) -> PathBuf {
    let script = c.path("askpass.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\nprintf '%s\\n' '{}'\n", log.display(), fixtures::TEST_PIN),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    script
}

/// The prompts the askpass program answered.
fn prompts(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// The key of the test card's certificate (the simulator's fixture, converted by OpenSSL and
/// ssh-keygen, not read through the module) as an OpenSSH public key line `ssh-rsa BASE64`.
fn certificate_ssh_key(c: &Client) -> String {
    let public = c.citizen_public_pem();
    let line = ok(c.cmd(20, "ssh-keygen").args(["-i", "-m", "PKCS8", "-f"]).arg(&public));
    let fields: Vec<&str> = line.split_whitespace().take(2).collect();
    assert!(fields.len() == 2 && fields[0] == "ssh-rsa", "{line}");
    fields.join(" ")
}

#[test]
fn ssh_keygen_prints_the_card_key() {
    let c = Client::new("sshkeygen");
    let asked = c.path("asked.log");
    let out = ok(c
        .cmd(60, "ssh-keygen")
        .arg("-D")
        .arg(&c.module)
        .env("SSH_ASKPASS", askpass(&c, &asked))
        .env("SSH_ASKPASS_REQUIRE", "force"));
    // The token requires login (the CIE shows its certificate after the PIN only), so
    // ssh-keygen asks for the PIN, once.
    let prompts = prompts(&asked);
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    assert!(prompts[0].contains(&format!("PIN for '{TOKEN_LABEL}'")), "{prompts:?}");
    let keys: Vec<&str> = out.lines().filter(|l| l.starts_with("ssh-")).collect();
    assert_eq!(keys.len(), 1, "one key on the card:\n{out}");
    let expected = certificate_ssh_key(&c);
    assert_eq!(keys[0], format!("{expected} MARIO ROSSI (CIE)"), "the certificate's key with the object's label");
}

/// `sshd` on 127.0.0.1 for the length of a test, in its own mount and PID namespaces: a tmpfs
/// on `/run` holds the privilege-separation directory `/run/sshd` that OpenSSH requires
/// (nothing is created on the machine), and the PID namespace takes every process sshd forks
/// (connections, privilege separation, the session's shell) down with it. `unshare
/// --kill-child` kills the namespace's first process (sshd) when it dies, and the test's
/// [`Server`] kills `unshare`; dropping this guard then waits until sshd is gone.
struct Sshd {
    unshare: Option<Server>,
    sshd: Option<u32>,
    log: PathBuf,
}

impl Sshd {
    /// Starts sshd on `port` with the configuration `config`, its log (`-e`) in `log`; returns
    /// once it accepts connections.
    fn start(c: &Client, config: &Path, port: u16, log: PathBuf) -> Sshd {
        // sshd re-executes itself and wants its absolute path.
        let exe = ["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .unwrap_or_else(|| panic!("sshd not installed: run `cargo xtask test` (it installs openssh-server)"));
        let unshare = Server::spawn(
            c.server("unshare")
                .args(["--mount", "--propagation", "private", "--pid", "--kill-child", "sh", "-c"])
                .arg(r#"mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec "$@""#)
                .args(["sh", exe, "-D", "-e", "-f"])
                .arg(config)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap()),
        );
        let mut sshd = Sshd { sshd: None, unshare: Some(unshare), log };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not start listening:\n{}", sshd.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        let parent = sshd.unshare.as_ref().map(Server::id).unwrap_or_default();
        let children = children_of(parent);
        assert_eq!(children.len(), 1, "unshare runs sshd: {children:?}");
        sshd.sshd = Some(children[0]);
        sshd
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills and reaps `unshare`, then waits (at most 10 s) for sshd to end; returns its PID if
    /// it is still running.
    fn end(&mut self) -> Option<u32> {
        drop(self.unshare.take());
        let pid = self.sshd.take()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while process_alive(pid) {
            if Instant::now() >= deadline {
                return Some(pid);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Stops sshd now and checks that it is gone.
    fn stop(mut self) {
        if let Some(pid) = self.end() {
            panic!("sshd (pid {pid}) outlived its test");
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.end();
    }
}

/// The processes whose parent is `parent` (from `/proc/<pid>/stat`).
fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (name) state ppid ...`: the name may hold spaces and parentheses.
        let ppid = stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// The name of the user running the test (sshd lets only them in).
fn user_name(c: &Client) -> String {
    ok(c.cmd(10, "id").arg("-un")).trim().to_owned()
}

#[test]
fn ssh_logs_in_with_the_card_key_asking_the_pin_once() {
    let c = Client::new("ssh");
    require("ssh");
    let user = user_name(&c);
    let host_key = c.path("host_ed25519");
    ok(c.cmd(30, "ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "cie-test-host", "-f"]).arg(&host_key));
    let authorized = c.path("authorized_keys");
    std::fs::write(&authorized, format!("{} citizen\n", certificate_ssh_key(&c))).unwrap();
    let port = free_port();
    let config = c.path("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\nAllowUsers {user}\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPermitUserRC no\n\
             PidFile none\nLogLevel VERBOSE\n",
            host_key.display(),
            authorized.display()
        ),
    )
    .unwrap();
    let sshd = Sshd::start(&c, &config, port, c.path("sshd.log"));

    let known_hosts = c.path("known_hosts");
    let host_public = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
    std::fs::write(&known_hosts, format!("[127.0.0.1]:{port} {host_public}")).unwrap();
    let asked = c.path("asked.log");
    // No configuration file, agent or key file of the machine's: the card's key only.
    let out = ok(c
        .cmd(90, "ssh")
        .args(["-F", "/dev/null", "-I"])
        .arg(&c.module)
        .args(["-p", &port.to_string(), "-l", &user])
        .args(["-o", "BatchMode=no", "-o", "IdentityFile=none", "-o", "IdentityAgent=none"])
        .args(["-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"])
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["127.0.0.1", "echo", "ok"])
        .env("SSH_ASKPASS", askpass(&c, &asked))
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("SSH_AUTH_SOCK"));
    assert!(out.lines().any(|l| l == "ok"), "the command ran on the server:\n{out}");
    let prompts = prompts(&asked);
    assert_eq!(prompts.len(), 1, "the PIN asked exactly once: {prompts:?}");
    assert!(prompts[0].contains(&format!("PIN for '{TOKEN_LABEL}'")), "{prompts:?}");

    // sshd accepted the card's key (by its fingerprint) for the user.
    let fingerprint = ok(c.cmd(20, "ssh-keygen").args(["-l", "-E", "sha256", "-f"]).arg(&authorized));
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap_or_default().to_owned();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let log = sshd.log();
    assert!(
        log.lines().any(|l| l.contains(&format!("Accepted publickey for {user} from 127.0.0.1"))
            && l.ends_with(&format!("RSA {fingerprint}"))),
        "sshd accepted the card's key {fingerprint}:\n{log}"
    );
    sshd.stop();
}

/// PyKCS11 (python3-pykcs11): lists the slots with a token, logs in, signs with
/// CKM_SHA256_RSA_PKCS, verifies with the token's public key (C_Verify) and checks that a
/// changed message does not verify; writes the message, the signature and the certificate's
/// CKA_VALUE for the test to check with OpenSSL.
const PYKCS11_SIGN: &str = r#"
import sys
import PyKCS11

module, pin, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)
slots = lib.getSlotList(tokenPresent=True)
print("slots with a token:", len(slots))
slot = slots[0]
print("token:", lib.getTokenInfo(slot).label.strip())
session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
session.login(pin)
keys = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)])
publics = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY)])
certs = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE)])
print("objects:", len(keys), len(publics), len(certs))
label = session.getAttributeValue(keys[0], [PyKCS11.CKA_LABEL])[0]
print("key label:", label)
message = b"signed in Python through PyKCS11"
mechanism = PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS, None)
signature = bytes(session.sign(keys[0], message, mechanism))
print("signature bytes:", len(signature))
print("C_Verify:", session.verify(publics[0], message, signature, mechanism))
print("C_Verify of a changed message:", session.verify(publics[0], message + b"!", signature, mechanism))
value = bytes(session.getAttributeValue(certs[0], [PyKCS11.CKA_VALUE])[0])
for name, data in (("message.txt", message), ("message.sig", signature), ("certificate.der", value)):
    with open(out_dir + "/" + name, "wb") as f:
        f.write(data)
session.logout()
session.closeSession()
print("done")
"#;

#[test]
fn python_pykcs11_lists_logs_in_signs_and_verifies() {
    let c = Client::new("pykcs11");
    let script = c.path("cie_sign.py");
    std::fs::write(&script, PYKCS11_SIGN).unwrap();
    // Debian's interpreter, where python3-pykcs11 is installed (not a python3 of pyenv or a
    // virtual environment earlier in PATH).
    let out = ok(c.cmd(120, "/usr/bin/python3").arg(&script).arg(&c.module).arg(fixtures::TEST_PIN).arg(&c.home));
    for line in [
        "slots with a token: 1".to_owned(),
        format!("token: {TOKEN_LABEL}"),
        "objects: 1 1 1".to_owned(),
        "key label: MARIO ROSSI (CIE)".to_owned(),
        "signature bytes: 256".to_owned(),
        "C_Verify: True".to_owned(),
        "C_Verify of a changed message: False".to_owned(),
        "done".to_owned(),
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} missing:\n{out}");
    }
    assert_eq!(std::fs::read(c.path("certificate.der")).unwrap(), certificate(), "the card's certificate");
    // The signature checked outside the module, with the fixture certificate's key.
    let public = c.citizen_public_pem();
    let verified = ok(c
        .cmd(20, "openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(c.path("message.sig"))
        .arg(c.path("message.txt")));
    assert!(verified.contains("Verified OK"), "{verified}");
}

/// A TLS 1.2 handshake of `gnutls-cli` against [`TlsServer`] with the card's certificate and
/// key named by PKCS#11 URIs; `gnutls_cli` is the command up to its program name (the module
/// loaded directly or through p11-kit). Checks that the server received the card's certificate.
fn gnutls_cli_handshake(c: &Client, gnutls_cli: impl FnOnce() -> std::process::Command) {
    let server = TlsServer::start(c);
    let request = c.path("request.txt");
    std::fs::write(&request, "GET / HTTP/1.0\r\n\r\n").unwrap();
    let object = format!("{TOKEN_URI};object={OBJECT_URI_LABEL}");
    // gnutls-cli logs in with GNUTLS_PIN to find the certificate (the CIE shows it after the
    // PIN only) and to sign.
    let page = ok(gnutls_cli()
        .args(["--no-ca-verification", "-p", &server.port.to_string()])
        .args(["--x509certfile", &format!("{object};type=cert")])
        .args(["--x509keyfile", &format!("{object};type=private")])
        .arg("127.0.0.1")
        .env("GNUTLS_PIN", fixtures::TEST_PIN)
        .stdin(std::fs::File::open(&request).unwrap()));
    assert!(page.contains("TLSv1.2"), "{page}");
    // s_server's page shows the client certificate it received: the card's, byte for byte.
    let pem = std::fs::read_to_string(c.citizen_pem()).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let page_flat: String = page.split_whitespace().collect();
    assert!(page_flat.contains(&body), "the server received the card's certificate:\n{page}");
    server.stop();
}

#[test]
fn gnutls_cli_authenticates_with_the_module_as_provider() {
    let c = Client::new("gnutlscli");
    gnutls_cli_handshake(&c, || {
        let mut cmd = c.cmd(90, "gnutls-cli");
        cmd.arg("--provider").arg(&c.module);
        cmd
    });
}

#[test]
fn gnutls_cli_authenticates_through_p11_kit() {
    let c = Client::new("gnutlscli-p11kit");
    let modules = p11kit_modules(&c);
    gnutls_cli_handshake(&c, || with_p11kit_modules(&c, 90, &modules, "gnutls-cli"));
}
