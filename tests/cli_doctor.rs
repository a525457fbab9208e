//! `cie doctor` through pcscd with the virtual card and a scratch home with real NSS databases
//! (certutil and modutil from libnss3-tools): one test per failure it diagnoses, each checking
//! the advice; the all-ok path (tries shown, no PIN asked, the card's counter unchanged); the
//! report for the help desk (nothing personal in it); `--json`. "No reader" is pcscd with an
//! empty reader configuration (`StackOptions::readers` = 0), "a card of another kind" the
//! simulator's foreign card (`StackOptions::foreign_card`, `cie-sim --foreign`).

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cie_sim::fixtures::{TEST_NIS, TEST_PIN, TEST_SERIAL};
use cie_sim::stack::{StackOptions, VirtualStack};

/// What a run of `cie` produced.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A scratch home and, for most tests, the virtual card.
struct Home {
    dir: PathBuf,
    stack: Option<VirtualStack>,
    module: PathBuf,
}

impl Home {
    fn new(tag: &str, with_card: bool) -> Home {
        Home::with_stack(tag, with_card.then(StackOptions::default))
    }

    /// A scratch home with a stack started with `options`, if any.
    fn with_stack(tag: &str, options: Option<StackOptions>) -> Home {
        let stack = options.map(|o| VirtualStack::start(o).expect("virtual PC/SC stack (see cie_sim::stack)"));
        let dir = std::env::temp_dir().join(format!("cie-cli-doctor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let module = [deps.parent().unwrap(), deps]
            .iter()
            .map(|d| d.join("libcie_pkcs11.so"))
            .find(|p| p.is_file())
            .expect("libcie_pkcs11.so not built: run `cargo build -p cie-pkcs11` first");
        Home { dir, stack, module: std::fs::canonicalize(module).unwrap() }
    }

    fn socket(&self) -> PathBuf {
        self.stack.as_ref().map_or_else(|| PathBuf::from("/nonexistent/pcscd.comm"), |s| s.socket_path().to_owned())
    }

    /// `cie ARGS` in this home, in English, against `socket` (default: the stack's).
    fn cie_at(&self, socket: &Path, locale: &str, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", "120"]).arg(env!("CARGO_BIN_EXE_cie")).args(args);
        for name in ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "CIE_LOG"] {
            cmd.env_remove(name);
        }
        cmd.env("LC_ALL", locale)
            .env("HOME", &self.dir)
            .env("PCSCLITE_CSOCK_NAME", socket)
            .env("CIE_PKCS11_CACHE", "on")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let _ = std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn cie(&self, args: &[&str]) -> Run {
        self.cie_at(&self.socket(), "C", args, "")
    }

    fn nss(&self, program: &str, args: &[&str]) {
        let out = Command::new("timeout")
            .args(["-k", "5", "60", program])
            .args(args)
            .env("PCSCLITE_CSOCK_NAME", self.socket())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e} (install libnss3-tools: `cargo xtask test` does)"));
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A Firefox profile named `name` with an empty NSS database; its directory.
    fn firefox_profile(&self, name: &str) -> PathBuf {
        let ff = self.dir.join(".mozilla/firefox");
        let profile = ff.join("abcd.default-esr");
        std::fs::create_dir_all(&profile).unwrap();
        std::fs::write(
            ff.join("profiles.ini"),
            format!(
                "[Profile0]\nName={name}\nIsRelative=1\nPath=abcd.default-esr\nDefault=1\n\n[General]\nVersion=2\n"
            ),
        )
        .unwrap();
        self.nss("certutil", &["-N", "-d", &format!("sql:{}", profile.display()), "--empty-password"]);
        profile
    }

    /// `cie browser setup` with the built module.
    fn setup(&self) {
        let r = self.cie(&["browser", "setup", "--module", &self.module.display().to_string()]);
        assert_eq!(r.code, Some(0), "{r:?}");
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The line of the check whose subject starts with `subject`, and the advice line after it.
fn link<'a>(out: &'a str, subject: &str) -> (&'a str, &'a str) {
    let mut lines = out.lines();
    let line = lines
        .by_ref()
        .find(|l| l.get(9..).is_some_and(|rest| rest.starts_with(subject)))
        .unwrap_or_else(|| panic!("no {subject} line in:\n{out}"));
    let advice = lines.next().filter(|l| l.trim_start().starts_with("to do:")).unwrap_or("");
    (line, advice)
}

/// A Firefox lock link naming this (live) process: Firefox runs on `profile`.
fn firefox_runs(profile: &Path) {
    std::os::unix::fs::symlink(format!("127.0.0.1:+{}", std::process::id()), profile.join("lock")).unwrap();
}

#[test]
fn pcscd_stopped_or_refusing() {
    let h = Home::new("pcscd", false);
    // No socket at all.
    let r = h.cie_at(Path::new("/nonexistent/pcscd.comm"), "C", &["doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "PC/SC service (pcscd)");
    assert!(
        line.starts_with("PROBLEM") && line.contains("not running (no socket at /nonexistent/pcscd.comm)"),
        "{r:?}"
    );
    assert!(advice.contains("sudo systemctl enable --now pcscd.socket"), "{r:?}");
    assert!(!r.stdout.contains("card:"), "no card check without pcscd: {r:?}");
    assert!(r.stderr.contains("error: 1 problem found") && r.stderr.contains("cie doctor --report"), "{r:?}");

    // A socket left behind by a pcscd that died: nobody answers.
    let dead = h.dir.join("dead.comm");
    drop(UnixListener::bind(&dead).unwrap());
    let r = h.cie_at(&dead, "C", &["doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "PC/SC service (pcscd)");
    assert!(line.contains("not running (nobody answers at"), "{r:?}");
    assert!(advice.contains("systemctl enable --now pcscd.socket"), "{r:?}");

    // A service that accepts the connection and closes it at once, as pcscd does when polkit
    // refuses the user (pcsc-lite's ContextThread): read as a refusal, not as a stopped service.
    let refusing = h.dir.join("refusing.comm");
    let listener = UnixListener::bind(&refusing).unwrap();
    listener.set_nonblocking(true).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let server = std::thread::spawn(move || {
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            match listener.accept() {
                Ok((conn, _)) => drop(conn),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
    });
    let r = h.cie_at(&refusing, "C", &["doctor"], "");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "PC/SC service (pcscd)");
    assert!(line.contains("refuses this user (polkit)"), "{r:?}");
    assert!(advice.contains("org.debian.pcsc-lite.access_pcsc"), "{r:?}");

    // Italian: the same diagnosis in the citizen's words, the same exit status.
    let r = h.cie_at(Path::new("/nonexistent/pcscd.comm"), "it_IT.UTF-8", &["doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(r.stdout.contains("PROBLEMA servizio PC/SC (pcscd): non è in esecuzione"), "{r:?}");
    assert!(r.stdout.contains("da fare: avvialo: sudo systemctl enable --now pcscd.socket"), "{r:?}");
}

#[test]
fn no_card_on_the_reader() {
    let mut h = Home::new("nocard", true);
    h.stack.as_mut().unwrap().remove_card().unwrap();
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(link(&r.stdout, "PC/SC service (pcscd)").0.starts_with("ok"), "{r:?}");
    assert!(link(&r.stdout, "readers").0.contains("Virtual PCD 00 00"), "{r:?}");
    let (line, advice) = link(&r.stdout, "card");
    assert!(line.starts_with("PROBLEM") && line.contains("no card"), "{r:?}");
    assert!(advice.contains("put the CIE flat on the reader"), "{r:?}");
    assert!(!r.stdout.contains("PIN and PUK"), "{r:?}");
}

#[test]
fn no_reader_at_all() {
    let h = Home::with_stack("noreader", Some(StackOptions { readers: 0, ..StackOptions::default() }));
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(link(&r.stdout, "PC/SC service (pcscd)").0.starts_with("ok"), "pcscd runs: {r:?}");
    let (line, advice) = link(&r.stdout, "readers");
    assert!(line.starts_with("PROBLEM") && line.ends_with("readers: no reader connected"), "{r:?}");
    assert!(advice.contains("connect a contactless (NFC) smart-card reader; if it is connected, unplug it"), "{r:?}");
    assert!(!r.stdout.contains("card:"), "no card check without a reader: {r:?}");
    assert!(r.stderr.contains("error: 1 problem found"), "{r:?}");

    // Italian.
    let r = h.cie_at(&h.socket(), "it_IT.UTF-8", &["doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(r.stdout.contains("lettori: nessun lettore collegato"), "{r:?}");
    assert!(r.stdout.contains("da fare: collega un lettore di smart card contactless (NFC)"), "{r:?}");
}

#[test]
fn a_card_of_another_kind() {
    let h = Home::with_stack("foreign", Some(StackOptions { foreign_card: true, ..StackOptions::default() }));
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(link(&r.stdout, "readers").0.contains("Virtual PCD 00 00"), "{r:?}");
    let (line, advice) = link(&r.stdout, "card");
    assert!(line.starts_with("PROBLEM") && line.contains("not a CIE"), "{r:?}");
    assert!(
        advice
            .contains("not a CIE 3.0 (a health card or a bank card?): put the electronic identity card on the reader"),
        "{r:?}"
    );
    assert!(!r.stdout.contains("PIN and PUK"), "no counters of a card that is not a CIE: {r:?}");
    let r = h.cie_at(&h.socket(), "it_IT.UTF-8", &["doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    assert!(
        r.stdout.contains("da fare: la carta sul lettore non è una CIE 3.0 (tessera sanitaria o bancomat?)"),
        "{r:?}"
    );

    // The ordinary open path sees it as foreign too: `cie info` says so (exit 1).
    let r = h.cie(&["info"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("not a CIE"), "{r:?}");
    assert!(r.stderr.contains("the card in the reader is not a CIE 3.0; use --reader to pick another reader"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
}

#[test]
fn module_not_registered_in_a_profile_and_a_friendly_leftover() {
    let h = Home::new("registration", true);
    let profile = h.firefox_profile("default-esr");
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "Firefox profile \"default-esr\"");
    assert!(line.starts_with("PROBLEM") && line.contains("the CIE module is not registered"), "{r:?}");
    assert_eq!(advice.trim(), "to do: run cie browser setup", "{r:?}");

    // Older instructions: registered with the FRIENDLY flag.
    let sql = format!("sql:{}", profile.display());
    h.nss("modutil", &["-dbdir", &sql, "-add", "CIE", "-libfile", &h.module.display().to_string(), "-force"]);
    h.nss("modutil", &["-dbdir", &sql, "-default", "CIE", "-mechanisms", "FRIENDLY", "-force"]);
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "Firefox profile \"default-esr\"");
    assert!(line.contains("FRIENDLY flag (older instructions): the browser never asks for the PIN"), "{r:?}");
    assert_eq!(advice.trim(), "to do: run cie browser setup", "{r:?}");

    // A stale path: registered with a module that is gone.
    let gone = h.dir.join("old/libcie_pkcs11.so");
    std::fs::create_dir_all(gone.parent().unwrap()).unwrap();
    std::fs::copy(&h.module, &gone).unwrap();
    h.nss("modutil", &["-dbdir", &sql, "-delete", "CIE", "-force"]);
    h.nss("modutil", &["-dbdir", &sql, "-add", "CIE", "-libfile", &gone.display().to_string(), "-force"]);
    std::fs::remove_file(&gone).unwrap();
    let r = h.cie(&["doctor"]);
    let (line, advice) = link(&r.stdout, "Firefox profile \"default-esr\"");
    assert!(line.contains("does not exist (stale path)") && line.contains("old/libcie_pkcs11.so"), "{r:?}");
    assert!(advice.contains("cie browser setup"), "{r:?}");

    // Setup repairs it: that link is ok now.
    h.setup();
    let r = h.cie(&["doctor"]);
    assert!(link(&r.stdout, "Firefox profile \"default-esr\"").0.starts_with("ok"), "{r:?}");
}

#[test]
fn a_running_browser() {
    let h = Home::new("running", true);
    let profile = h.firefox_profile("default-esr");
    // Firefox runs and the module is not registered: close it, set up, start it again.
    firefox_runs(&profile);
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    let (_, advice) = link(&r.stdout, "Firefox profile \"default-esr\"");
    assert!(advice.contains("close Firefox, run cie browser setup, then start it again"), "{r:?}");

    // Registered while Firefox was running: it has not loaded the module; restart it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    h.setup();
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(7), "{r:?}");
    let (line, advice) = link(&r.stdout, "Firefox profile \"default-esr\"");
    assert!(line.contains("registered after Firefox started"), "{r:?}");
    assert_eq!(advice.trim(), "to do: restart Firefox", "{r:?}");

    // Firefox restarted (a new lock after the registration): ok.
    std::fs::remove_file(profile.join("lock")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    firefox_runs(&profile);
    let r = h.cie(&["doctor"]);
    assert!(link(&r.stdout, "Firefox profile \"default-esr\"").0.starts_with("ok"), "{r:?}");
}

#[test]
fn all_ok_with_the_card_and_no_pin_asked() {
    let h = Home::new("allok", true);
    // One wrong PIN first: the doctor shows 2 tries left, and leaves them at 2.
    let r = h.cie_at(&h.socket(), "C", &["pin", "change", "--pin-stdin"], "99999999\n11223344\n");
    assert_eq!(r.code, Some(3), "{r:?}");
    h.setup();
    let r = h.cie(&["doctor"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(link(&r.stdout, "PC/SC service (pcscd)").0.starts_with("ok       PC/SC service (pcscd): installed ("));
    let (card, _) = link(&r.stdout, "card");
    assert!(card.starts_with("ok") && card.contains("generation NXP (NXP), ATR 3B 8E 80 01"), "{r:?}");
    assert!(card.contains("in Virtual PCD 00 00"), "{r:?}");
    let (tries, advice) = link(&r.stdout, "PIN and PUK");
    assert!(tries.starts_with("note") && tries.contains("PIN 2 tries left, PUK 10 tries left"), "{r:?}");
    assert!(advice.contains("after 3 wrong PINs in a row it is blocked"), "{r:?}");
    let (module, _) = link(&r.stdout, "PKCS#11 module");
    assert!(module.starts_with("ok") && module.contains("loads: CIE 3.0 PKCS#11 module"), "{r:?}");
    assert!(link(&r.stdout, "Chromium / Chrome / NSS applications").0.starts_with("ok       "), "{r:?}");
    assert!(link(&r.stdout, "versions").0.contains(&format!("cie {}", env!("CARGO_PKG_VERSION"))), "{r:?}");
    assert!(r.stdout.trim_end().ends_with("every link is ok"), "{r:?}");
    assert!(!r.stdout.contains(TEST_NIS) && !r.stderr.contains("PIN:"), "{r:?}");
    // No PIN was asked or spent: still 2 tries.
    let r = h.cie(&["info"]);
    assert!(r.stdout.contains("PIN:          2 tries left"), "{r:?}");

    // The same as JSON, parsed.
    let r = h.cie(&["--json", "doctor"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    assert_eq!(j["ok"], true);
    assert_eq!(j["problems"], 0);
    let checks = j["checks"].as_array().unwrap();
    let of = |l: &str| checks.iter().find(|c| c["link"] == l).unwrap_or_else(|| panic!("no {l}: {j}"));
    assert_eq!(of("pcscd")["status"], "ok");
    assert_eq!(of("card")["status"], "ok");
    assert_eq!(of("pin")["status"], "note");
    assert_eq!(of("pin")["finding"], "PIN 2 tries left, PUK 10 tries left");
    assert_eq!(of("module")["status"], "ok");
    assert_eq!(of("browser")["status"], "ok");
    for c in checks {
        assert!(["ok", "note", "problem"].contains(&c["status"].as_str().unwrap()), "{c}");
        assert!(c["subject"].is_string() && c["finding"].is_string(), "{c}");
    }
    let r = h.cie(&["info"]);
    assert!(r.stdout.contains("PIN:          2 tries left"), "{r:?}");
}

#[test]
fn json_of_a_problem_is_one_document() {
    let mut h = Home::new("json", true);
    h.stack.as_mut().unwrap().remove_card().unwrap();
    let r = h.cie_at(&h.socket(), "it_IT.UTF-8", &["--json", "doctor"], "");
    assert_eq!(r.code, Some(7), "{r:?}");
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    assert_eq!((&j["ok"], &j["problems"]), (&serde_json::json!(false), &serde_json::json!(1)));
    let card = j["checks"].as_array().unwrap().iter().find(|c| c["link"] == "card").unwrap();
    assert_eq!(card["status"], "problem");
    // English in JSON whatever the locale.
    assert!(card["advice"].as_str().unwrap().starts_with("put the CIE flat on the reader"), "{j}");
}

#[test]
fn report_for_the_help_desk_holds_nothing_personal() {
    let h = Home::new("report", true);
    // A profile named after the holder, and a certificate cache filled by a real login.
    let profile = h.firefox_profile("MARIO ROSSI");
    h.setup();
    let login = Command::new("timeout")
        .args(["-k", "5", "120", "pkcs11-tool", "--module"])
        .arg(&h.module)
        .args(["--login", "--pin", TEST_PIN, "--list-objects", "--type", "cert"])
        .env("HOME", &h.dir)
        .env_remove("XDG_CACHE_HOME")
        .env("PCSCLITE_CSOCK_NAME", h.socket())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let listed = String::from_utf8_lossy(&login.stdout);
    assert!(
        listed.contains("RSSMRA80A01H501U") || listed.contains("ROSSI") || listed.contains("Certificate"),
        "{listed}"
    );

    let report = h.dir.join("report.txt");
    let r = h.cie(&["doctor", "--report", &report.display().to_string()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(&format!("report for the help desk written to {}", report.display())), "{r:?}");
    assert!(r.stdout.contains("Firefox profile \"MARIO ROSSI\""), "the screen names it: {r:?}");
    assert!(link(&r.stdout, "certificate cache").0.contains("1 certificates"), "{r:?}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.starts_with("cie doctor report\nThis report contains nothing personal: no NIS, no fiscal code"),
        "{text}"
    );
    for personal in [TEST_NIS, TEST_SERIAL, "MARIO", "ROSSI", "RSSMRA80A01H501U", &h.dir.display().to_string()] {
        assert!(!text.contains(personal), "{personal} in the report:\n{text}");
    }
    assert!(text.contains("browser profile 1: registered"), "{text}");
    assert!(text.contains("~/.cache/cie"), "{text}");
    assert!(text.contains("generation NXP") && text.contains("PIN 3 tries left, PUK 10 tries left"), "{text}");
    assert!(text.trim_end().ends_with("every link is ok"), "{text}");
    let _ = profile;

    // In Italian too, and the report cannot be written where there is no directory: exit 1.
    let it = h.dir.join("rapporto.txt");
    let r = h.cie_at(&h.socket(), "it_IT.UTF-8", &["doctor", "--report", &it.display().to_string()], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let text = std::fs::read_to_string(&it).unwrap();
    assert!(text.starts_with("cie doctor: rapporto\nQuesto rapporto non contiene nulla di personale"), "{text}");
    assert!(!text.contains(TEST_NIS) && !text.contains("ROSSI"), "{text}");
    let r = h.cie(&["doctor", "--report", "/nonexistent/dir/report.txt"]);
    assert_eq!(r.code, Some(1), "{r:?}");
}
