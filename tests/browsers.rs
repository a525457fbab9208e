//! Chromium and Firefox ESR end to end with the PKCS#11 module, as citizens use them: the virtual
//! CIE behind an isolated pcscd, the module registered with `cie browser setup` (the README's
//! instructions), the browser headful under Xvfb in a throwaway profile, the PIN typed into the
//! browser's own dialog with xdotool, and a relying party as municipalities run it: nginx with
//! `ssl_verify_client on`, TLS 1.2 and the simulator's citizen CA, answering with the client
//! certificate's subject. The page is read through the browser's remote protocol (CDP for Chromium,
//! WebDriver BiDi for Firefox; tests/browser/remote.py). Only automatic certificate selection is
//! configured (Chromium's AutoSelectCertificateForUrls policy, Firefox's
//! `security.default_personal_cert`).
//!
//! Cases, in one browser session on a cold certificate cache: first login (one PIN prompt),
//! a second page on the same server (no prompt), a second server (a new full handshake, so a
//! new signature by the card, and no prompt), the card removed and reinserted while the browser
//! is open (the next login works, now with the certificate cache warm: one PIN prompt); then, in a
//! fresh session with `cie agent` running (DESIGN.md §8; its own 0700 `$XDG_RUNTIME_DIR`, given to
//! the browser too), the first login and a second server again, through the agent (the module's
//! log and the agent's status prove it; no PIN try spent); then, in a fresh session, a wrong PIN
//! (the failure is shown, the card has 2 tries left: nothing retried the PIN). Every session but
//! the agent's has an empty runtime directory of its own, so its module works in its process.
//!
//! Every external program runs under a time limit and in its own process group, stopped as a
//! group. When a case fails, the output directory `target/tmp/browser-<name>` keeps the
//! screenshots (PIN dialogs, pages, the screen at the failure) and all logs. Timings of every
//! case go to `target/tmp/browser-<name>-report.txt` (`CIE_BROWSER_KEEP=1` keeps the output
//! directory of a passing run too) (with `CIE_BROWSER_LATENCY=realistic`
//! the card answers with a real card's latency; `cargo xtask bench-report` uses that).
//! Every run keeps the first login's PIN dialog and the page after it as
//! `target/browser-screenshots/<name>-{pin-dialog,page}.png`, checked to be non-blank PNG images
//! of the screen (docs/img/ holds copies for the guides).
//!
//! Debian packages (installed by `cargo xtask test`): chromium, firefox-esr, xvfb, xdotool,
//! nginx-light, python3-websocket, imagemagick, libnss3-tools, openssl, plus the stack's.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use cie_sim::fixtures;
use cie_sim::stack::{StackOptions, VirtualStack};

/// The holder of the simulated card as the certificate names them.
const HOLDER_SURNAME: &str = "ROSSI";
const HOLDER_GIVEN_NAME: &str = "MARIO";
const FISCAL_CODE: &str = "RSSMRA80A01H501U";
const TOKEN: &str = "CIE 378215946021";
/// A wrong PIN of the right shape.
const WRONG_PIN: &str = "11112222";
/// The longest a page may take (a PIN prompt included; a realistic card needs a few seconds).
const PAGE_LIMIT: Duration = Duration::from_secs(60);

/// The browsers run one at a time (2 cores; one virtual stack per process anyway).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fails with an actionable message when a program is missing.
fn require(program: &str) -> PathBuf {
    let dirs = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .collect::<Vec<_>>();
    dirs.iter().map(|d| d.join(program)).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("{program} not installed: run `cargo xtask test` (it installs the browser test packages)")
    })
}

/// The system Python with Debian's python3-websocket (not a pyenv or venv one).
const PYTHON: &str = "/usr/bin/python3";

/// A process started in its own process group, stopped as a group (SIGTERM, then SIGKILL) on
/// drop.
struct Group {
    child: Child,
    name: String,
}

impl Group {
    fn spawn(name: &str, cmd: &mut Command) -> Group {
        cmd.process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Group { child, name: name.to_owned() }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn stop(&mut self) {
        let Ok(pgid) = libc::pid_t::try_from(self.child.id()) else { return };
        for (signal, grace) in [(libc::SIGTERM, Duration::from_secs(3)), (libc::SIGKILL, Duration::from_secs(3))] {
            // SAFETY: kill(2) on the process group this test created; the leader is unreaped.
            unsafe {
                libc::kill(-pgid, signal);
            }
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if !self.alive() && !group_exists(pgid) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        eprintln!("{}: process group {pgid} did not stop", self.name);
    }
}

/// Whether any process is left in a process group.
fn group_exists(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
        let _ = self.child.wait();
    }
}

/// A command under `timeout`, stdin closed.
fn bounded(secs: u32, program: &str) -> Command {
    let mut c = Command::new("timeout");
    c.args(["-k", "5", &secs.to_string()]).arg(require(program)).stdin(Stdio::null());
    c
}

/// Runs a command; it must succeed. Returns stdout.
fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Which browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }

    /// The title of the browser's PIN dialog (an xdotool regular expression).
    fn pin_dialog(self) -> &'static str {
        match self {
            Browser::Chromium => "Unlock Security Device|Sign in to Security Device",
            Browser::Firefox => "^Password Required",
        }
    }
}

/// One navigation: what the page showed, how long it took, how many PIN prompts appeared.
#[derive(Debug)]
struct Nav {
    ok: bool,
    text: String,
    /// The browser's navigation error, if any (e.g. a TLS failure).
    error: String,
    ms: u64,
    prompts: u32,
    /// APDU exchanges pcscd logged during the navigation.
    apdus: u64,
    /// The screenshot taken when the first PIN dialog appeared, if one did, and the dialog's
    /// place on the screen.
    pin_dialog_shot: Option<(PathBuf, Option<Region>)>,
    /// The screenshot of the page once loaded.
    page_shot: PathBuf,
}

impl Nav {
    fn shows_holder(&self) -> bool {
        self.text.contains(FISCAL_CODE) && self.text.contains(HOLDER_SURNAME) && self.text.contains(HOLDER_GIVEN_NAME)
    }
}

/// A window's place on the screen: x, y, width, height.
type Region = (u32, u32, u32, u32);

/// What the test does at a PIN prompt.
#[derive(Clone, Copy)]
enum AtPrompt<'a> {
    /// Types this PIN at the first prompt and cancels any later one.
    Type(&'a str),
    /// A prompt is a failure (it is cancelled so the page finishes).
    Unexpected,
}

/// Everything that lives for the whole test: output directory, card, display, relying party.
struct Rig {
    name: &'static str,
    out: PathBuf,
    stack: VirtualStack,
    display: String,
    _xvfb: Group,
    _nginx: Group,
    ports: [u16; 3],
    module: PathBuf,
    ca_pem: PathBuf,
    shots: u32,
    report: Vec<String>,
}

impl Rig {
    fn new(browser: Browser) -> Rig {
        let name = browser.name();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{name}"));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let module = module_path();
        let latency = std::env::var("CIE_BROWSER_LATENCY").ok();
        let stack = VirtualStack::start(StackOptions { latency: latency.clone(), ..StackOptions::default() })
            .unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"));

        // Xvfb on a free display number.
        let xvfb_bin = require("Xvfb");
        let (xvfb, display) = (90..140)
            .find_map(|n| {
                if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    || Path::new(&format!("/tmp/.X{n}-lock")).exists()
                {
                    return None;
                }
                let mut g = Group::spawn(
                    "Xvfb",
                    Command::new(&xvfb_bin)
                        .args([format!(":{n}").as_str(), "-nolisten", "tcp", "-screen", "0", "1280x800x24"])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(std::fs::File::create(out.join("xvfb.log")).unwrap()),
                );
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline && g.alive() {
                    if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                        return Some((g, format!(":{n}")));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                None
            })
            .expect("no free X display for Xvfb");

        // The relying party: a server certificate from a throwaway CA, the citizen CA as client CA.
        let ca_key = out.join("server-ca.key");
        let ca_pem = out.join("server-ca.pem");
        ok(bounded(30, "openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=cie browser test server CA", "-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout"])
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca_pem));
        let (srv_key, srv_csr, srv_pem, ext) =
            (out.join("server.key"), out.join("server.csr"), out.join("server.pem"), out.join("server.ext"));
        std::fs::write(&ext, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
            .unwrap();
        ok(bounded(30, "openssl")
            .args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&srv_key)
            .arg("-out")
            .arg(&srv_csr));
        ok(bounded(30, "openssl")
            .args(["x509", "-req", "-days", "2", "-in"])
            .arg(&srv_csr)
            .arg("-CA")
            .arg(&ca_pem)
            .arg("-CAkey")
            .arg(&ca_key)
            .args(["-CAcreateserial", "-extfile"])
            .arg(&ext)
            .arg("-out")
            .arg(&srv_pem));
        let citizen_ca_der = out.join("citizen-ca.der");
        std::fs::write(&citizen_ca_der, fixtures::citizen_ca_certificate()).unwrap();
        let citizen_ca = out.join("citizen-ca.pem");
        ok(bounded(30, "openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&citizen_ca_der)
            .arg("-out")
            .arg(&citizen_ca));

        let ports = [free_port(), free_port(), free_port()];
        let nginx_dir = out.join("nginx");
        std::fs::create_dir_all(&nginx_dir).unwrap();
        let conf = nginx_conf(&nginx_dir, &ports, &srv_pem, &srv_key, &citizen_ca);
        std::fs::write(nginx_dir.join("nginx.conf"), conf).unwrap();
        let nginx = Group::spawn(
            "nginx",
            Command::new(require("nginx"))
                .arg("-p")
                .arg(&nginx_dir)
                .arg("-e")
                .arg(nginx_dir.join("error.log"))
                .arg("-c")
                .arg(nginx_dir.join("nginx.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(nginx_dir.join("stderr.log")).unwrap()),
        );
        for p in ports {
            wait_for_port(p, "nginx");
        }
        Rig {
            name,
            out,
            stack,
            display,
            _xvfb: xvfb,
            _nginx: nginx,
            ports,
            module,
            ca_pem,
            shots: 0,
            report: vec![format!("latency model: {}", latency.as_deref().unwrap_or("none"))],
        }
    }

    fn url(&self, server: usize, page: &str) -> String {
        format!("https://127.0.0.1:{}/{page}", self.ports[server])
    }

    /// Whether nginx served `GET /page` on `server` on a connection whose TLS session was a
    /// full handshake (`.`: not resumed, so the browser had the card sign the handshake) with
    /// the citizen's certificate verified; and how many requests for the page came at all.
    fn served(&self, server: usize, page: &str) -> (bool, usize) {
        let log = std::fs::read_to_string(self.out.join("nginx/access.log")).unwrap_or_default();
        let port = self.ports[server].to_string();
        let request = format!("GET /{page} ");
        let lines: Vec<&str> =
            log.lines().filter(|l| l.starts_with(&format!("{port} ")) && l.contains(&request)).collect();
        let full = lines.iter().any(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            f.len() > 3 && f[1] == "." && f[2] == "SUCCESS"
        });
        (full, lines.len())
    }

    /// A screenshot of the whole screen (the PIN dialog included) into the output directory;
    /// its path.
    fn screenshot(&mut self, what: &str) -> PathBuf {
        self.shots += 1;
        let file = self.out.join(format!("{:02}-{what}.png", self.shots));
        let _ = bounded(20, "import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        file
    }

    /// A window's place on the screen (`xdotool getwindowgeometry`).
    fn geometry(&self, window: &str) -> Option<Region> {
        let out = self.xdotool().args(["getwindowgeometry", "--shell", window]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let field =
            |name: &str| text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('=')?.trim().parse::<i64>().ok());
        let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(0);
        let (w, h) = (clamp(field("WIDTH")?), clamp(field("HEIGHT")?));
        let (x, y) = (clamp(field("X")?), clamp(field("Y")?));
        (w > 0 && h > 0).then_some((x, y, w, h))
    }

    /// The unique colours of `region` of a screenshot (ImageMagick `%k`).
    fn colours(shot: &Path, region: Option<Region>) -> u64 {
        let mut c = bounded(30, "convert");
        c.arg(shot);
        if let Some((x, y, w, h)) = region {
            c.args(["-crop", &format!("{w}x{h}+{x}+{y}"), "+repage"]);
        }
        let out = c.args(["-format", "%k", "info:"]).output();
        out.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(0)
    }

    /// A screenshot of a PIN dialog once it is drawn: a browser maps the window before it paints
    /// it, so this waits (at most 5 s) until the dialog's region shows more than a few colours.
    fn dialog_screenshot(&mut self, window: &str, what: &str) -> (PathBuf, Option<Region>) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let region = self.geometry(window);
            let shot = self.screenshot(what);
            if region.is_some_and(|r| Self::colours(&shot, Some(r)) > 20) || Instant::now() > deadline {
                return (shot, region);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Keeps a screenshot as `target/browser-screenshots/<browser>-<what>.png` (whatever the
    /// outcome: they illustrate the citizen's guide) after checking that it is a PNG image of the
    /// whole screen with something on it (more than a few colours, so not a blank screen).
    fn keep_screenshot(&self, shot: &Path, what: &str, dialog: Option<Region>) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let kept = dir.join(format!("{}-{what}.png", self.name));
        std::fs::copy(shot, &kept).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
        let bytes = std::fs::read(&kept).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}: not a PNG image", kept.display());
        assert!(bytes.len() > 10_000, "{}: only {} bytes", kept.display(), bytes.len());
        let info = ok(bounded(30, "identify").args(["-format", "%m %w %h %k"]).arg(&kept));
        let f: Vec<&str> = info.split_whitespace().collect();
        assert!(f.len() == 4 && f[0] == "PNG" && f[1] == "1280" && f[2] == "800", "{}: {info}", kept.display());
        let colours: u64 = f[3].parse().unwrap_or(0);
        assert!(colours > 50, "{}: {colours} colours, a blank screen?", kept.display());
        if let Some(region) = dialog {
            let colours = Self::colours(&kept, Some(region));
            assert!(colours > 20, "{}: the dialog at {region:?} has {colours} colours: not drawn", kept.display());
        }
        kept
    }

    fn xdotool(&self) -> Command {
        let mut c = bounded(10, "xdotool");
        c.env("DISPLAY", &self.display);
        c
    }

    /// The windows whose title matches `pattern`.
    fn windows(&self, pattern: &str) -> Vec<String> {
        self.xdotool()
            .args(["search", "--name", pattern])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Types into a window as a person would (focus, keys, Return).
    fn type_into(&self, window: &str, text: &str) {
        ok(self.xdotool().args(["windowfocus", "--sync", window]));
        std::thread::sleep(Duration::from_millis(200));
        ok(self.xdotool().args(["type", "--delay", "30", text]));
        ok(self.xdotool().args(["key", "Return"]));
    }

    fn cancel(&self, window: &str) {
        let _ = self.xdotool().args(["windowfocus", "--sync", window]).status();
        let _ = self.xdotool().args(["key", "Escape"]).status();
    }

    /// The card's PIN tries left, from `cie info` in its own process (no PIN involved, no agent).
    fn pin_tries_left(&self) -> i64 {
        let out = ok(bounded(60, env!("CARGO_BIN_EXE_cie"))
            .args(["--json", "-q", "info"])
            .env("XDG_RUNTIME_DIR", self.runtime_dir("no-agent"))
            .env("PCSCLITE_CSOCK_NAME", self.stack.socket_path()));
        let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
        j["pin_tries_left"].as_i64().unwrap_or_else(|| panic!("no pin_tries_left in {out}"))
    }

    /// A 0700 `$XDG_RUNTIME_DIR` of its own for `tag` (created if missing): where the module of
    /// a browser looks for the card agent's socket (`cie/agent.sock`), so a session without the
    /// agent has an empty one.
    fn runtime_dir(&self, tag: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.out.join(format!("run-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        // The socket's path must fit a sockaddr_un (108 bytes).
        assert!(dir.as_os_str().len() < 80, "{}: too long a path for the agent's socket", dir.display());
        dir
    }

    /// Starts `cie agent` (no idle exit) over this card with `run` as its `$XDG_RUNTIME_DIR`,
    /// stopped as a group when the returned guard drops; waits until it answers.
    fn start_agent(&self, run: &Path) -> Group {
        let mut agent = Group::spawn(
            "cie agent",
            Command::new(env!("CARGO_BIN_EXE_cie"))
                .args(["agent", "--idle", "0"])
                .env("XDG_RUNTIME_DIR", run)
                .env("PCSCLITE_CSOCK_NAME", self.stack.socket_path())
                .env("LC_ALL", "C")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.out.join("agent.log")).unwrap()),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !run.join("cie/agent.sock").exists() || self.agent_status(run).is_none() {
            assert!(agent.alive(), "cie agent exited: see {}", self.out.join("agent.log").display());
            assert!(Instant::now() < deadline, "the card agent did not answer within 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        agent
    }

    /// `cie --json agent status` of the agent under `run` (docs/JSON.md), if one answers.
    fn agent_status(&self, run: &Path) -> Option<serde_json::Value> {
        let out = bounded(30, env!("CARGO_BIN_EXE_cie"))
            .args(["--json", "agent", "status"])
            .env("XDG_RUNTIME_DIR", run)
            .env("LC_ALL", "C")
            .output()
            .ok()?;
        out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
    }

    /// The logged-in clients the agent under `run` counts for the card (0 when it has none).
    fn agent_logged_in(&self, run: &Path) -> i64 {
        let status = self.agent_status(run).expect("the card agent answers its status");
        status["cards"].as_array().into_iter().flatten().map(|c| c["logged_in_clients"].as_i64().unwrap_or(0)).sum()
    }

    /// APDU exchanges in pcscd's log so far.
    fn apdus(&self) -> u64 {
        let log = std::fs::read_to_string(self.stack.log_dir().join("pcscd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("APDU: ")).count() as u64
    }

    /// A line for `cargo xtask bench-report`: `ROW`, operation, APDU exchanges, wall ms.
    fn row(&mut self, operation: &str, nav: &Nav) {
        self.report.push(format!("ROW\t{operation}\t{}\t{}", nav.apdus, nav.ms));
    }

    fn record(&mut self, line: String) {
        eprintln!("{}: {line}", self.name);
        self.report.push(line);
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{}-report.txt", self.name));
        let _ = std::fs::write(&report, self.report.join("\n") + "\n");
        if std::thread::panicking() || std::env::var_os("CIE_BROWSER_KEEP").is_some() {
            self.screenshot("at-failure-or-end");
            let _ = std::fs::copy(self.stack.log_dir().join("pcscd.log"), self.out.join("pcscd.log"));
            let _ = std::fs::copy(self.stack.log_dir().join("sim.log"), self.out.join("sim.log"));
            eprintln!("browser test output (screenshots, logs) kept in {}", self.out.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.out);
        }
    }
}

/// The nginx configuration: three TLS 1.2 servers that require a client certificate from the
/// citizen CA and answer with its subject. The access log records, per request, the port,
/// whether the TLS session was resumed (`.` = a full handshake, so a fresh client signature),
/// and the verification result.
fn nginx_conf(dir: &Path, ports: &[u16; 3], cert: &Path, key: &Path, client_ca: &Path) -> String {
    let d = dir.display();
    let mut servers = String::new();
    for p in ports {
        servers.push_str(&format!(
            "    server {{
        listen 127.0.0.1:{p} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate {ca};
        location / {{
            default_type text/html;
            return 200 '<!DOCTYPE html><html><head><title>CIE login</title></head><body><h1>Welcome</h1><p id=\"subject\">$ssl_client_s_dn</p><p id=\"verify\">$ssl_client_verify</p><p id=\"page\">$uri</p></body></html>';
        }}
    }}
",
            cert = cert.display(),
            key = key.display(),
            ca = client_ca.display()
        ));
    }
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    log_format cie '$server_port $ssl_session_reused $ssl_client_verify \"$ssl_client_s_dn\" $request';
    access_log {d}/access.log cie;
    ssl_session_cache off;
    ssl_session_tickets off;
{servers}}}
"
    )
}

/// Where the PIN-dialog and page-after-login screenshots are kept after every run:
/// `target/browser-screenshots` (next to `target/tmp`).
fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-screenshots")
}

/// The built PKCS#11 module (`$CIE_PKCS11_MODULE`, else `libcie_pkcs11.so` in this test's
/// target directory; `cargo xtask test` builds the whole workspace first).
fn module_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CIE_PKCS11_MODULE") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [deps.parent().unwrap(), deps]
        .iter()
        .map(|d| d.join("libcie_pkcs11.so"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("libcie_pkcs11.so not built: run `cargo build --workspace` first"))
}

/// A browser running with a throwaway home and profile, driven by tests/browser/remote.py.
struct Session<'r> {
    rig: &'r mut Rig,
    browser: Browser,
    tag: String,
    home: PathBuf,
    driver_in: ChildStdin,
    driver_out: Receiver<String>,
    _driver: Group,
    process: Group,
}

impl<'r> Session<'r> {
    /// Prepares a home like a citizen's (NSS databases with the test server's CA trusted, the
    /// module registered with `cie browser setup`) and starts the browser in it.
    /// `run` is the browser's `$XDG_RUNTIME_DIR` (the card agent's socket, if one runs there).
    fn start(rig: &'r mut Rig, browser: Browser, tag: &str, run: &Path) -> Session<'r> {
        let home = rig.out.join(format!("home-{tag}"));
        std::fs::create_dir_all(&home).unwrap();
        let nssdb = home.join(".pki/nssdb");
        let profile = home.join(".mozilla/firefox/test.default-esr");
        std::fs::create_dir_all(&nssdb).unwrap();
        let db = match browser {
            Browser::Chromium => nssdb.clone(),
            Browser::Firefox => {
                std::fs::create_dir_all(&profile).unwrap();
                std::fs::write(
                    home.join(".mozilla/firefox/profiles.ini"),
                    "[Profile0]\nName=default-esr\nIsRelative=1\nPath=test.default-esr\nDefault=1\n\n\
                     [General]\nStartWithLastProfile=1\nVersion=2\n",
                )
                .unwrap();
                std::fs::write(profile.join("user.js"), FIREFOX_PREFS).unwrap();
                profile.clone()
            }
        };
        // The browser's own database, with the relying party's CA trusted (a real site's CA
        // would be a public one).
        let sql = format!("sql:{}", db.display());
        ok(bounded(30, "certutil").args(["-N", "-d", &sql, "--empty-password"]));
        ok(bounded(30, "certutil")
            .args(["-A", "-d", &sql, "-n", "test server CA", "-t", "C,,", "-i"])
            .arg(&rig.ca_pem));

        // What the README tells citizens to run.
        let setup = ok(cie(&home, rig, run).args(["browser", "setup", "--module"]).arg(&rig.module));
        std::fs::write(rig.out.join(format!("{tag}-setup.txt")), &setup).unwrap();
        assert!(setup.contains(&format!("registered {}", rig.module.display())), "{setup}");
        let status = ok(cie(&home, rig, run).args(["browser", "status"]));
        std::fs::write(rig.out.join(format!("{tag}-status.txt")), &status).unwrap();
        assert!(status.contains(&format!("card: {TOKEN} visible")), "{status}");
        let db_text = std::fs::read_to_string(db.join("pkcs11.txt")).unwrap();
        assert!(db_text.contains("libcie_pkcs11.so") && !db_text.contains("PublicCerts"), "{db_text}");

        let port = free_port();
        let mut cmd = match browser {
            Browser::Chromium => {
                // The managed policy lives in /etc/chromium/policies: give Chromium a private
                // copy of /etc/chromium through a bind mount in its own mount namespace.
                let etc = rig.out.join(format!("etc-chromium-{tag}"));
                std::fs::create_dir_all(etc.join("policies/managed")).unwrap();
                for entry in std::fs::read_dir("/etc/chromium").into_iter().flatten().flatten() {
                    if entry.path().is_file() {
                        let _ = std::fs::copy(entry.path(), etc.join(entry.file_name()));
                    }
                }
                std::fs::write(etc.join("policies/managed/cie-test.json"), CHROMIUM_POLICY).unwrap();
                let mut c = Command::new(require("unshare"));
                c.args(["-m", "--propagation", "private", "sh", "-c"])
                    .arg(r#"mount --bind "$0" /etc/chromium && exec "$@""#)
                    .arg(&etc)
                    .arg(require("chromium"))
                    .arg(format!("--user-data-dir={}", home.join("chromium-profile").display()))
                    .arg(format!("--remote-debugging-port={port}"))
                    .args([
                        "--no-sandbox",
                        "--no-first-run",
                        "--no-default-browser-check",
                        "--password-store=basic",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--window-position=0,0",
                        "--window-size=1200,760",
                        "about:blank",
                    ]);
                c
            }
            Browser::Firefox => {
                let mut c = Command::new(require("firefox-esr"));
                c.arg("--profile")
                    .arg(&profile)
                    .args(["--no-remote", "--new-instance", "--remote-debugging-port", &port.to_string()])
                    .arg("about:blank")
                    .env("MOZ_CRASHREPORTER_DISABLE", "1");
                c
            }
        };
        cmd.env("HOME", &home)
            .env("DISPLAY", &rig.display)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_RUNTIME_DIR", run)
            .env("PCSCLITE_CSOCK_NAME", rig.stack.socket_path())
            .env("CIE_PKCS11_LOG_FILE", rig.out.join(format!("{tag}-pkcs11.log")))
            .env_remove("CIE_PKCS11_CACHE")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(rig.out.join(format!("{tag}-browser.log"))).unwrap())
            .stderr(std::fs::File::create(rig.out.join(format!("{tag}-browser.err"))).unwrap());
        let process = Group::spawn(browser.name(), &mut cmd);

        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/remote.py");
        assert!(Path::new(PYTHON).is_file(), "{PYTHON} missing: install python3 and python3-websocket");
        let mut driver = Group::spawn(
            "remote.py",
            Command::new("timeout")
                .args(["-k", "5", "600", PYTHON])
                .arg(&script)
                .arg(browser.name())
                .arg(port.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(rig.out.join(format!("{tag}-remote.err"))).unwrap()),
        );
        let driver_in = driver.child.stdin.take().unwrap();
        let stdout = driver.child.stdout.take().unwrap();
        let (tx, driver_out) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s =
            Session { rig, browser, tag: tag.to_owned(), home, driver_in, driver_out, _driver: driver, process };
        let ready = s.answer(Duration::from_secs(90));
        assert_eq!(ready["ready"], true, "{} remote protocol: {ready}", browser.name());
        s
    }

    fn answer(&mut self, limit: Duration) -> serde_json::Value {
        let line = self.driver_out.recv_timeout(limit).unwrap_or_else(|e| {
            self.rig.screenshot(&format!("{}-no-answer", self.tag));
            panic!("{}: no answer from the remote protocol driver within {limit:?}: {e}", self.browser.name())
        });
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("driver said {line:?}: {e}"))
    }

    fn send(&mut self, cmd: serde_json::Value) {
        writeln!(self.driver_in, "{cmd}").and_then(|_| self.driver_in.flush()).expect("driver stdin");
    }

    /// Navigates to `url` and handles PIN prompts meanwhile as `at_prompt` says.
    fn navigate(&mut self, case: &str, url: &str, at_prompt: AtPrompt) -> Nav {
        let apdus_before = self.rig.apdus();
        self.send(serde_json::json!({"cmd": "navigate", "url": url, "timeout": PAGE_LIMIT.as_secs()}));
        let deadline = Instant::now() + PAGE_LIMIT + Duration::from_secs(10);
        let mut prompts = 0;
        let mut handled: Vec<String> = Vec::new();
        let mut pin_dialog_shot = None;
        let answer = loop {
            match self.driver_out.recv_timeout(Duration::from_millis(150)) {
                Ok(line) => break serde_json::from_str::<serde_json::Value>(&line).unwrap(),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(e) => panic!("{case}: the remote protocol driver stopped: {e}"),
            }
            assert!(Instant::now() < deadline, "{case}: the page did not load within {PAGE_LIMIT:?}");
            assert!(self.process.alive(), "{case}: {} exited", self.browser.name());
            for w in self.rig.windows(self.browser.pin_dialog()) {
                if handled.contains(&w) {
                    continue;
                }
                handled.push(w.clone());
                prompts += 1;
                let what = format!("{case}-pin-dialog-{prompts}");
                if prompts == 1 {
                    pin_dialog_shot = Some(self.rig.dialog_screenshot(&w, &what));
                } else {
                    self.rig.screenshot(&what);
                }
                match at_prompt {
                    AtPrompt::Type(pin) if prompts == 1 => self.rig.type_into(&w, pin),
                    _ => self.rig.cancel(&w),
                }
            }
        };
        let page_shot = self.rig.screenshot(&format!("{case}-page"));
        Nav {
            ok: answer["ok"] == true,
            text: answer["text"].as_str().unwrap_or_default().to_owned(),
            error: answer["error"].as_str().unwrap_or_default().to_owned(),
            ms: answer["ms"].as_u64().unwrap_or_default(),
            prompts,
            apdus: self.rig.apdus().saturating_sub(apdus_before),
            pin_dialog_shot,
            page_shot,
        }
    }

    /// The module's log in this browser (`CIE_PKCS11_LOG_FILE`).
    fn module_log(&self) -> String {
        std::fs::read_to_string(self.rig.out.join(format!("{}-pkcs11.log", self.tag))).unwrap_or_default()
    }

    fn quit(mut self) {
        self.send(serde_json::json!({"cmd": "quit"}));
        let _ = self.driver_out.recv_timeout(Duration::from_secs(10));
        self.process.stop();
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let page = self.rig.out.join(format!("{}-page-at-failure.png", self.tag));
            self.send(serde_json::json!({"cmd": "screenshot", "path": page}));
            let _ = self.driver_out.recv_timeout(Duration::from_secs(20));
        }
    }
}

/// `cie` (this package's binary) with a citizen's environment.
fn cie(home: &Path, rig: &Rig, run: &Path) -> Command {
    let mut c = bounded(120, env!("CARGO_BIN_EXE_cie"));
    c.env("HOME", home)
        .env("LC_ALL", "C")
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", rig.stack.socket_path())
        .env_remove("CIE_PKCS11_CACHE");
    c
}

/// Firefox preferences of the test profile: automatic client certificate selection, and no
/// first-run pages or background traffic. Nothing touches the PIN prompt.
const FIREFOX_PREFS: &str = r#"user_pref("security.default_personal_cert", "Select Automatically");
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("browser.tabs.warnOnClose", false);
"#;

/// Chromium's managed policy: select the citizen certificate automatically for the test servers.
const CHROMIUM_POLICY: &str = r#"{
  "AutoSelectCertificateForUrls": ["{\"pattern\":\"https://127.0.0.1:*\",\"filter\":{}}"]
}
"#;

fn end_to_end(browser: Browser) {
    let _serial = serial();
    let mut rig = Rig::new(browser);
    let started = Instant::now();

    // Session 1: a cold certificate cache (a new home), so the first use needs the PIN.
    let run = rig.runtime_dir("session1");
    let mut s = Session::start(&mut rig, browser, "session1", &run);
    let cache = s.home.join(".cache/cie");
    assert!(!cache.exists(), "the certificate cache starts cold");
    s.rig.record(format!("browser started, module registered: {} ms", started.elapsed().as_millis()));

    let url = s.rig.url(0, "first");
    let nav = s.navigate("1-first-login", &url, AtPrompt::Type(fixtures::TEST_PIN));
    assert!(nav.ok && nav.shows_holder(), "first login: {nav:?}");
    assert_eq!(nav.prompts, 1, "first login asks the PIN exactly once");
    assert!(s.module_log().contains("card operations in this process (PC/SC)"), "no agent: the module's own path");
    assert!(s.rig.served(0, "first").0, "a full handshake with the citizen's certificate");
    // One certificate entry (`.cert`) and one entry of the card's constants (`.card`).
    let cached = |ext: &str| {
        std::fs::read_dir(&cache)
            .map(|d| d.filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == ext)).count())
            .unwrap_or(0)
    };
    assert_eq!(cached("cert"), 1, "the first login warmed the module's certificate cache");
    assert_eq!(cached("card"), 1, "the first login stored the card's constants");
    s.rig.record(format!("case first login (cold cache, 1 PIN prompt): ok, {} ms, {} APDUs", nav.ms, nav.apdus));
    s.rig.row("first login: navigation to page, PIN typed in the dialog", &nav);
    let (pin_dialog, region) = nav.pin_dialog_shot.as_ref().expect("a screenshot of the PIN dialog");
    let region = Some(region.expect("the PIN dialog's place on the screen"));
    let kept =
        [s.rig.keep_screenshot(pin_dialog, "pin-dialog", region), s.rig.keep_screenshot(&nav.page_shot, "page", None)];
    s.rig.record(format!("screenshots kept: {}, {}", kept[0].display(), kept[1].display()));

    let url = s.rig.url(0, "second");
    let nav = s.navigate("2-second-page", &url, AtPrompt::Unexpected);
    assert!(nav.ok && nav.shows_holder(), "second page: {nav:?}");
    assert_eq!(nav.prompts, 0, "no prompt for a second page");
    assert!(nav.text.contains("/second"), "{nav:?}");
    s.rig.record(format!("case second page, same server (no prompt): ok, {} ms, {} APDUs", nav.ms, nav.apdus));
    s.rig.row("second page, same server", &nav);

    let url = s.rig.url(1, "other");
    let nav = s.navigate("3-second-server", &url, AtPrompt::Unexpected);
    assert!(nav.ok && nav.shows_holder(), "second server: {nav:?}");
    assert_eq!(nav.prompts, 0, "no prompt for a second server");
    assert!(s.rig.served(1, "other").0, "a full handshake (a new card signature) on the second server");
    assert!(nav.apdus >= 2, "the card signed the new handshake (MSE SET + INTERNAL AUTHENTICATE): {nav:?}");
    s.rig.record(format!(
        "case second server (new handshake and signature, no prompt): ok, {} ms, {} APDUs",
        nav.ms, nav.apdus
    ));
    s.rig.row("login on a second server: navigation to page (new handshake, card signature)", &nav);

    s.rig.stack.remove_card().expect("removing the card");
    std::thread::sleep(Duration::from_secs(1));
    s.rig.stack.insert_card().expect("reinserting the card");
    let url = s.rig.url(2, "after-reinsertion");
    let nav = s.navigate("4-reinserted", &url, AtPrompt::Type(fixtures::TEST_PIN));
    assert!(nav.ok && nav.shows_holder(), "after the card was reinserted: {nav:?}");
    assert_eq!(nav.prompts, 1, "the reinserted card needs the PIN again, once: {nav:?}");
    assert!(s.rig.served(2, "after-reinsertion").0, "a full handshake after the reinsertion");
    s.rig.record(format!(
        "case card removed and reinserted (warm cache; next login works, {} PIN prompt): ok, {} ms",
        nav.prompts, nav.ms
    ));
    s.quit();

    login_through_the_agent(&mut rig, browser);

    // Session 2: a fresh profile and cache; one wrong PIN.
    let tries_before = rig.pin_tries_left();
    assert_eq!(tries_before, 3);
    let run = rig.runtime_dir("session2");
    let mut s = Session::start(&mut rig, browser, "session2", &run);
    let url = s.rig.url(0, "wrong-pin");
    let nav = s.navigate("5-wrong-pin", &url, AtPrompt::Type(WRONG_PIN));
    assert!(nav.prompts >= 1, "{nav:?}");
    assert!(!nav.shows_holder(), "a wrong PIN must not log in: {nav:?}");
    assert!(
        nav.text.contains("No required SSL certificate was sent") || (!nav.ok && !nav.error.is_empty()),
        "the failure is shown: {nav:?}"
    );
    s.quit();
    assert!(!rig.served(0, "wrong-pin").0, "no authenticated handshake with a wrong PIN");
    let tries = rig.pin_tries_left();
    assert_eq!(tries, 2, "one wrong PIN spends exactly one try");
    rig.record(format!(
        "case wrong PIN (failure shown, {tries} tries left, {} prompt(s), later ones cancelled): ok, {} ms",
        nav.prompts, nav.ms
    ));
    rig.record(format!("total: {} ms", started.elapsed().as_millis()));
}

/// The first login again in a fresh profile, now with `cie agent` running (DESIGN.md §8): the
/// browser's module finds the agent's socket in its `$XDG_RUNTIME_DIR` at `C_Initialize` and
/// sends every card operation through it. The login (PIN typed in the browser's dialog, the
/// card's VERIFY through the agent) and the TLS client authentication on two servers succeed;
/// the agent counts the browser as its one logged-in client until the browser exits; no PIN try
/// is spent. Its rows go to the report beside the ones without the agent.
fn login_through_the_agent(rig: &mut Rig, browser: Browser) {
    let tries_before = rig.pin_tries_left();
    let run = rig.runtime_dir("agent");
    let mut agent = rig.start_agent(&run);
    let mut s = Session::start(rig, browser, "agent", &run);

    let url = s.rig.url(0, "agent");
    let nav = s.navigate("agent-1-login", &url, AtPrompt::Type(fixtures::TEST_PIN));
    assert!(nav.ok && nav.shows_holder(), "login with the agent: {nav:?}");
    assert_eq!(nav.prompts, 1, "the PIN is asked once, as without the agent");
    assert!(s.module_log().contains("card operations through the card agent"), "the module chose the agent");
    assert!(s.rig.served(0, "agent").0, "a full handshake with the citizen's certificate");
    let status = s.rig.agent_status(&run).expect("the agent's status");
    assert!(status["clients"].as_i64().unwrap_or(0) >= 2, "the browser's module is a client of the agent: {status}");
    assert_eq!(s.rig.agent_logged_in(&run), 1, "the browser is the agent's logged-in client: {status}");
    s.rig.record(format!("case first login with the card agent: ok, {} ms, {} APDUs", nav.ms, nav.apdus));
    s.rig.row("with the card agent: first login: navigation to page, PIN typed in the dialog", &nav);

    let url = s.rig.url(1, "agent-other");
    let nav = s.navigate("agent-2-second-server", &url, AtPrompt::Unexpected);
    assert!(nav.ok && nav.shows_holder(), "second server with the agent: {nav:?}");
    assert_eq!(nav.prompts, 0, "no prompt for a second server");
    assert!(s.rig.served(1, "agent-other").0, "a full handshake (a card signature through the agent)");
    assert!(nav.apdus >= 2, "the card signed the new handshake: {nav:?}");
    s.rig.record(format!(
        "case second server with the card agent (new signature, no prompt): ok, {} ms, {} APDUs",
        nav.ms, nav.apdus
    ));
    s.rig.row("with the card agent: login on a second server (new handshake, card signature)", &nav);
    s.quit();

    // The browser's exit closed its connection: its login is gone with it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while rig.agent_logged_in(&run) != 0 {
        assert!(Instant::now() < deadline, "the agent still counts the closed browser as logged in");
        std::thread::sleep(Duration::from_millis(100));
    }
    agent.stop();
    assert!(!run.join("cie/agent.sock").exists(), "the agent ended cleanly (its socket removed)");
    assert_eq!(rig.pin_tries_left(), tries_before, "no PIN try spent through the agent");
}

#[test]
fn chromium_end_to_end() {
    end_to_end(Browser::Chromium);
}

#[test]
fn firefox_end_to_end() {
    end_to_end(Browser::Firefox);
}
