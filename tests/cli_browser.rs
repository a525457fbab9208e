//! `cie browser setup|status|remove` on a scratch home with real NSS databases (certutil and
//! modutil from libnss3-tools) and the virtual card behind an isolated pcscd: every database
//! found and reported, idempotence, repair of a FRIENDLY or stale registration, running
//! browsers detected, sandboxed profiles left alone, and removal.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cie_sim::stack::{StackOptions, VirtualStack};

struct Home {
    dir: PathBuf,
    stack: VirtualStack,
    module: PathBuf,
}

impl Home {
    fn new(tag: &str) -> Home {
        let stack = VirtualStack::start(StackOptions::default()).expect("virtual PC/SC stack (see cie_sim::stack)");
        let dir = std::env::temp_dir().join(format!("cie-cli-browser-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let module = [deps.parent().unwrap(), deps]
            .iter()
            .map(|d| d.join("libcie_pkcs11.so"))
            .find(|p| p.is_file())
            .expect("libcie_pkcs11.so not built: run `cargo build --workspace` first");
        Home { dir, stack, module: std::fs::canonicalize(module).unwrap() }
    }

    /// `cie ARGS` for this home; returns (success, stdout + stderr).
    fn cie(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("timeout")
            .args(["-k", "5", "120"])
            .arg(env!("CARGO_BIN_EXE_cie"))
            .args(args)
            .env("HOME", &self.dir)
            .env("LC_ALL", "C")
            .env("PCSCLITE_CSOCK_NAME", self.stack.socket_path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    fn nss(&self, program: &str, args: &[&str]) {
        let out = Command::new("timeout")
            .args(["-k", "5", "60", program])
            .args(args)
            .env("PCSCLITE_CSOCK_NAME", self.stack.socket_path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e} (install libnss3-tools: `cargo xtask test` does)"));
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn pkcs11_txt(&self, db: &Path) -> String {
        std::fs::read_to_string(db.join("pkcs11.txt")).unwrap_or_default()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The indented lines `cie browser` printed under the header of the database in `dir`.
fn block(output: &str, dir: &Path) -> String {
    let header = format!(": {}", dir.display());
    let mut lines = output.lines().skip_while(|l| !l.ends_with(&header));
    assert!(lines.next().is_some(), "{} not reported:\n{output}", dir.display());
    lines.take_while(|l| l.starts_with("  ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn setup_status_remove_every_database() {
    let h = Home::new("databases");
    let module = h.module.display().to_string();
    let ff = h.dir.join(".mozilla/firefox");
    let (used, fresh) = (ff.join("abcd.default-esr"), ff.join("efgh.work"));
    std::fs::create_dir_all(&used).unwrap();
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::write(
        ff.join("profiles.ini"),
        "[Install4F96D1932A9F858E]\nDefault=abcd.default-esr\n\n\
         [Profile0]\nName=default-esr\nIsRelative=1\nPath=abcd.default-esr\nDefault=1\n\n\
         [Profile1]\nName=work\nIsRelative=1\nPath=efgh.work\n\n[General]\nVersion=2\n",
    )
    .unwrap();
    // The used profile was registered by older instructions: FRIENDLY, and another path.
    let used_sql = format!("sql:{}", used.display());
    h.nss("certutil", &["-N", "-d", &used_sql, "--empty-password"]);
    let old = h.dir.join("old/libcie_pkcs11.so");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::copy(&h.module, &old).unwrap();
    h.nss("modutil", &["-dbdir", &used_sql, "-add", "CIE", "-libfile", &old.display().to_string(), "-force"]);
    h.nss("modutil", &["-dbdir", &used_sql, "-default", "CIE", "-mechanisms", "FRIENDLY", "-force"]);
    assert!(h.pkcs11_txt(&used).contains("PublicCerts"), "{}", h.pkcs11_txt(&used));
    // Firefox runs on the used profile (its lock names a live process: this one); Chromium runs too.
    std::os::unix::fs::symlink(format!("127.0.0.1:+{}", std::process::id()), used.join("lock")).unwrap();
    std::fs::create_dir_all(h.dir.join(".config/chromium")).unwrap();
    std::os::unix::fs::symlink(
        format!("testhost-{}", std::process::id()),
        h.dir.join(".config/chromium/SingletonLock"),
    )
    .unwrap();
    // A snap Firefox profile: out of reach of a host module.
    let snap = h.dir.join("snap/firefox/common/.mozilla/firefox");
    std::fs::create_dir_all(snap.join("x.default")).unwrap();
    std::fs::write(snap.join("profiles.ini"), "[Profile0]\nName=default\nIsRelative=1\nPath=x.default\n").unwrap();

    let nssdb = h.dir.join(".pki/nssdb");
    let (ok, out) = h.cie(&["browser", "setup", "--module", &module]);
    assert!(ok, "{out}");
    let b = block(&out, &nssdb);
    assert!(b.contains(&format!("registered {module} (database created)")) && b.contains("Chromium is running"), "{b}");
    let b = block(&out, &used);
    assert!(b.contains("re-registered") && b.contains("Firefox is running: restart it"), "{b}");
    assert!(block(&out, &fresh).contains(&format!("registered {module} (database created)")), "{out}");
    assert!(block(&out, &snap.join("x.default")).contains("not changed: a sandboxed browser"), "{out}");
    assert!(out.contains("asks for the CIE PIN"), "{out}");
    for db in [&nssdb, &used, &fresh] {
        let txt = h.pkcs11_txt(db);
        assert_eq!(txt.matches("libcie_pkcs11.so").count(), 1, "{txt}");
        assert!(txt.contains(&format!("library={module}")) && !txt.contains("PublicCerts"), "{txt}");
    }
    assert!(!snap.join("x.default/pkcs11.txt").exists());

    // Idempotent: nothing changes the second time.
    let before: Vec<String> = [&nssdb, &used, &fresh].iter().map(|d| h.pkcs11_txt(d)).collect();
    let (ok, out) = h.cie(&["browser", "setup", "--module", &module]);
    assert!(ok, "{out}");
    assert_eq!(out.matches("already registered").count(), 3, "{out}");
    assert!(!out.contains("restart"), "{out}");
    let after: Vec<String> = [&nssdb, &used, &fresh].iter().map(|d| h.pkcs11_txt(d)).collect();
    assert_eq!(before, after);

    // Status: registered everywhere, the card visible through each database.
    let (ok, out) = h.cie(&["browser", "status"]);
    assert!(ok, "{out}");
    assert_eq!(out.matches("card: CIE 378215946021 visible").count(), 3, "{out}");
    let (ok, json) = h.cie(&["--json", "browser", "status"]);
    assert!(ok, "{json}");
    let j: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    let dbs = j.as_array().unwrap();
    assert_eq!(dbs.len(), 4, "{json}");
    assert_eq!(dbs[0]["kind"], "nssdb");
    assert_eq!(dbs[0]["tokens"][0], "CIE 378215946021");
    assert_eq!(dbs[3]["kind"], "sandboxed");

    // Remove: gone everywhere, a second remove has nothing to do.
    let (ok, out) = h.cie(&["browser", "remove"]);
    assert!(ok, "{out}");
    assert_eq!(out.matches("\n  removed").count(), 3, "{out}");
    for db in [&nssdb, &used, &fresh] {
        assert!(!h.pkcs11_txt(db).contains("libcie_pkcs11.so"), "{}", h.pkcs11_txt(db));
    }
    let (ok, out) = h.cie(&["browser", "remove"]);
    assert!(ok && out.matches("not registered").count() == 4, "{out}");

    // Mistakes are usage errors with the command's help.
    let (ok, out) = h.cie(&["browser", "frobnicate"]);
    assert!(!ok && out.contains("cie browser setup|status|remove"), "{out}");
    let (ok, out) = h.cie(&["browser", "setup", "--module", "/nonexistent/libcie_pkcs11.so"]);
    assert!(!ok && out.contains("no such module file"), "{out}");
}

/// `setup --sandboxed` writes a systemd user unit whose command, run as systemd would run it,
/// serves the card to p11-kit's client module; `status` reports it, `remove` deletes it. (No
/// user systemd here: the test runs the unit's commands itself.)
#[test]
fn sandboxed_setup_serves_the_card_through_p11_kit() {
    let h = Home::new("sandboxed");
    let runtime = h.dir.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let module = h.module.display().to_string();
    let with_runtime = |args: &[&str]| -> (bool, String) {
        let out = Command::new("timeout")
            .args(["-k", "5", "120"])
            .arg(env!("CARGO_BIN_EXE_cie"))
            .args(args)
            .env("HOME", &h.dir)
            .env("LC_ALL", "C")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", runtime.join("no-bus").display()))
            .env("PCSCLITE_CSOCK_NAME", h.stack.socket_path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, out) = with_runtime(&["browser", "setup", "--sandboxed", "--module", &module]);
    assert!(ok, "{out}");
    let unit = h.dir.join(".config/systemd/user/cie-p11-kit-server.service");
    let address = format!("unix:path={}/p11-kit/cie", runtime.display());
    let b = block(&out, &unit);
    assert!(b.contains("unit written") && b.contains(&address), "{out}");
    assert!(b.contains("systemctl --user enable --now cie-p11-kit-server.service"), "{out}");
    let text = std::fs::read_to_string(&unit).unwrap();
    let line = |key: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .replace("%t", &runtime.display().to_string())
    };
    // ExecStartPre, then ExecStart as systemd would run them (no shell, words split on spaces).
    let pre: Vec<String> = line("ExecStartPre=").split(' ').map(str::to_owned).collect();
    assert!(Command::new(&pre[0]).args(&pre[1..]).status().unwrap().success());
    let start: Vec<String> = line("ExecStart=").split(' ').map(str::to_owned).collect();
    assert!(start.contains(&module), "{text}");
    let mut server = Command::new("timeout");
    server
        .args(["-k", "5", "120"])
        .args(&start)
        .env("PCSCLITE_CSOCK_NAME", h.stack.socket_path())
        .env("HOME", &h.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut server, 0);
    let mut server = server.spawn().unwrap();
    let socket = runtime.join("p11-kit/cie");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let listed = Command::new("timeout")
        .args(["-k", "5", "60", "pkcs11-tool", "--module", "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so", "-L"])
        .env("P11_KIT_SERVER_ADDRESS", &address)
        .env("PCSCLITE_CSOCK_NAME", runtime.join("no-pcscd"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // SAFETY: kill(2) on the process group this test created.
    unsafe {
        libc::kill(-(server.id() as libc::pid_t), libc::SIGTERM);
    }
    let _ = server.wait();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains("CIE 378215946021"), "the client sees the card through the unit's server: {listed}");

    let (ok, out) = with_runtime(&["browser", "setup", "--sandboxed", "--module", &module]);
    assert!(ok && block(&out, &unit).contains("unit already installed"), "{out}");
    let (ok, out) = with_runtime(&["browser", "status"]);
    assert!(ok && block(&out, &unit).contains("installed, not running"), "{out}");
    let (ok, out) = with_runtime(&["browser", "remove"]);
    assert!(ok && block(&out, &unit).contains("removed"), "{out}");
    assert!(!unit.exists());
}
