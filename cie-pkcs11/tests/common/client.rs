//! What the real-client tests (clients.rs, clients_more.rs) share: a [`Client`] holding the
//! stack, a private home and the built module; commands under `timeout`; servers the test
//! starts as children and ends with a [`Server`] guard; p11-kit configured with the module
//! alone ([`with_p11kit_modules`]); a TLS 1.2 server that requires a client
//! certificate from the simulator's CA ([`TlsServer`]).

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cie_sim::fixtures;
use cie_sim::stack::VirtualStack;
use sha1::{Digest, Sha1};

use super::{certificate, certificate_key, module_path, serial, start_stack, temp_dir};

/// The test card's token, as a PKCS#11 URI.
pub(crate) const TOKEN_URI: &str = "pkcs11:token=CIE%20378215946021";

/// The label of the test card's objects, percent-encoded for a PKCS#11 URI.
pub(crate) const OBJECT_URI_LABEL: &str = "MARIO%20ROSSI%20%28CIE%29";

/// Everything a client test needs: the stack, a private home, the module path.
pub(crate) struct Client {
    _serial: std::sync::MutexGuard<'static, ()>,
    pub(crate) stack: VirtualStack,
    pub(crate) home: PathBuf,
    pub(crate) module: PathBuf,
}

impl Client {
    pub(crate) fn new(tag: &str) -> Client {
        let serial = serial();
        let stack = start_stack();
        let home = temp_dir(&format!("client-{tag}"));
        Client { _serial: serial, stack, home, module: module_path() }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.home.join(name)
    }

    /// A command under `timeout`, in the test's environment (see [`Client::environment`]).
    pub(crate) fn cmd(&self, secs: u32, program: &str) -> Command {
        require(program);
        let mut c = Command::new("timeout");
        c.arg(secs.to_string()).arg(program);
        self.environment(&mut c);
        c
    }

    /// A server for the length of the test, in the test's environment: the program itself is the
    /// child (no `timeout` in between, so killing the child ends the server), and it dies with
    /// the thread that started it even if the test process is killed (`PR_SET_PDEATHSIG`).
    /// [`Server`] kills and reaps it when dropped.
    pub(crate) fn server(&self, program: &str) -> Command {
        require(program);
        let mut c = Command::new(program);
        self.environment(&mut c);
        // SAFETY: the hook only calls prctl(2), which is async-signal-safe, between fork and exec.
        unsafe {
            c.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        c
    }

    /// Stdin closed, the stack's socket, a private HOME and no certificate cache unless the test
    /// sets one.
    fn environment(&self, c: &mut Command) {
        c.stdin(Stdio::null())
            .env("PCSCLITE_CSOCK_NAME", self.stack.socket_path())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("CIE_PKCS11_CACHE", "off")
            .env_remove("CIE_PKCS11_LOG");
    }

    /// Writes `der` (a certificate) as PEM under `name` in the test's home and returns its path.
    pub(crate) fn pem(&self, name: &str, der: &[u8]) -> PathBuf {
        let der_path = self.path(&format!("{name}.der"));
        std::fs::write(&der_path, der).unwrap();
        let pem = self.path(&format!("{name}.pem"));
        ok(self.cmd(20, "openssl").args(["x509", "-inform", "DER", "-in"]).arg(&der_path).arg("-out").arg(&pem));
        pem
    }

    /// Writes the test card's certificate as PEM and returns its path.
    pub(crate) fn citizen_pem(&self) -> PathBuf {
        self.pem("citizen", &certificate())
    }

    /// Writes the public key of the test card's certificate (from the simulator's fixture, not
    /// from the module) as a PEM SubjectPublicKeyInfo and returns its path.
    pub(crate) fn citizen_public_pem(&self) -> PathBuf {
        let pem = self.citizen_pem();
        let key = ok(self.cmd(20, "openssl").args(["x509", "-pubkey", "-noout", "-in"]).arg(&pem));
        let public = self.path("public.pem");
        std::fs::write(&public, key).unwrap();
        public
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.home);
        }
    }
}

/// Fails with an actionable message when a client program is missing.
pub(crate) fn require(program: &str) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/bin", "/bin", "/usr/sbin"].map(PathBuf::from))
        .any(|d| d.join(program).is_file());
    assert!(found, "{program} not installed: run `cargo xtask test` (it installs the PKCS#11 client packages)");
}

/// Runs a command; it must succeed. Returns stdout.
pub(crate) fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?} failed: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

pub(crate) fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The CKA_ID of the test card's objects (SHA-1 of the modulus), hex.
pub(crate) fn key_id_hex() -> String {
    use rsa::traits::PublicKeyParts;
    let n = certificate_key().n().to_bytes_be();
    Sha1::digest(&n).iter().map(|b| format!("{b:02x}")).collect()
}

/// A directory holding the repository's p11-kit module file, pointed at the built module.
pub(crate) fn p11kit_modules(c: &Client) -> PathBuf {
    let dir = c.path("p11-kit-modules");
    std::fs::create_dir_all(&dir).unwrap();
    let template = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("cie-pkcs11.module")).unwrap();
    assert!(template.lines().any(|l| l.trim() == "module: libcie_pkcs11.so"), "{template}");
    let config = template.replace("module: libcie_pkcs11.so", &format!("module: {}", c.module.display()));
    std::fs::write(dir.join("cie-pkcs11.module"), config).unwrap();
    dir
}

/// `program args` with p11-kit's system module directory replaced by `modules` (a bind mount
/// in a private mount namespace: p11-kit ignores per-user configuration when run as root, and
/// the host's directory stays untouched).
pub(crate) fn with_p11kit_modules(c: &Client, secs: u32, modules: &Path, program: &str) -> Command {
    require(program);
    let mut cmd = c.cmd(secs, "unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /usr/share/p11-kit/modules && exec "$@""#)
        .arg(modules)
        .arg(program);
    cmd
}

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until a server accepts connections on 127.0.0.1:`port`.
pub(crate) fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "no server started listening on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server started with [`Client::server`]: killed (SIGKILL) and reaped when dropped, whether
/// the test passed or panicked, so no server outlives its test.
pub(crate) struct Server(Child);

impl Server {
    pub(crate) fn spawn(cmd: &mut Command) -> Server {
        Server(cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}")))
    }

    /// The server's process id.
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }

    /// Stops the server now and checks that its process is gone.
    pub(crate) fn stop(mut self) {
        let pid = self.0.id();
        self.end();
        assert!(!process_alive(pid), "the server (pid {pid}) outlived its test");
    }

    fn end(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.end();
    }
}

/// Whether process `pid` exists and is not a zombie.
pub(crate) fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the last `)` (the name may hold spaces and parentheses).
        Ok(stat) => stat.rfind(')').and_then(|i| stat[i + 1..].trim_start().chars().next()) != Some('Z'),
        Err(_) => false,
    }
}

/// OpenSSL configuration for a CIE client: sign the handshake with PKCS#1 v1.5.
pub(crate) const OPENSSL_CLIENT_CONF: &str = "openssl_conf = cie_client
[cie_client]
ssl_conf = cie_ssl
[cie_ssl]
system_default = cie_tls
[cie_tls]
ClientSignatureAlgorithms = RSA+SHA256:RSA+SHA384:RSA+SHA512
";

/// `openssl s_server -www` on the loopback, TLS 1.2 only, requiring a client certificate
/// issued by the simulator's citizen CA (`-Verify 1`); its standard output (the verified
/// chain) goes to [`TlsServer::log`].
pub(crate) struct TlsServer {
    server: Server,
    /// The port it listens on, on 127.0.0.1.
    pub(crate) port: u16,
    log: PathBuf,
}

impl TlsServer {
    /// Generates a throwaway server certificate and starts the server; returns once it listens.
    pub(crate) fn start(c: &Client) -> TlsServer {
        let (key, cert) = (c.path("server.key"), c.path("server.pem"));
        ok(c.cmd(60, "openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let ca = c.pem("citizen_ca", fixtures::citizen_ca_certificate());
        let port = free_port();
        let log = c.path("s_server.log");
        let server = Server::spawn(
            c.server("openssl")
                .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-tls1_2", "-Verify", "1", "-www", "-cert"])
                .arg(&cert)
                .arg("-key")
                .arg(&key)
                .arg("-CAfile")
                .arg(&ca)
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(Stdio::null()),
        );
        wait_for_port(port);
        TlsServer { server, port, log }
    }

    /// What the server printed so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server and checks that its process is gone.
    pub(crate) fn stop(self) {
        self.server.stop();
    }
}
