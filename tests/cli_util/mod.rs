//! Shared by the `cie` CLI tests: a virtual card behind an isolated pcscd, and running the tool
//! against it with a time limit and a given standard input.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cie_sim::stack::{StackOptions, VirtualStack};

pub(crate) mod agent;

/// The simulated card's credentials.
#[allow(unused_imports)]
pub(crate) use cie_sim::fixtures::{TEST_NIS, TEST_PIN, TEST_PUK, TEST_SERIAL};

/// What a run of `cie` produced.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// A virtual card (pcscd + vpcd + cie-sim; `cargo test --workspace` builds cie-sim, or set
/// CIE_SIM_BIN) and a scratch directory.
pub(crate) struct Card {
    pub(crate) stack: VirtualStack,
    pub(crate) dir: PathBuf,
}

impl Card {
    pub(crate) fn start(name: &str) -> Card {
        Card::start_with(name, StackOptions::default())
    }

    /// A virtual card started with `options` (a profile, an ATR, the EF.SOD profile, a card
    /// that is not a CIE...).
    pub(crate) fn start_with(name: &str, options: StackOptions) -> Card {
        let stack = VirtualStack::start(options).expect("virtual PC/SC stack (see cie_sim::stack)");
        let dir = std::env::temp_dir().join(format!("cie-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Card { stack, dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs `cie ARGS` with `stdin` as its standard input (never a terminal).
    pub(crate) fn cie(&self, args: &[&str], stdin: &str) -> Run {
        cie_with_socket(Some(self.stack.socket_path()), args, stdin)
    }

    /// Runs `cie ARGS` with these locale variables only (`LC_ALL`, `LC_MESSAGES`, `LANG`).
    pub(crate) fn cie_in(&self, locale: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
        cie_with_locale(Some(self.stack.socket_path()), locale, args, stdin)
    }

    /// Runs `cie ARGS` in English with these environment variables set too (after the
    /// defaults: `CIE_TRUST_ANCHORS` among them overrides the empty one); a name starting with
    /// `!` removes that variable instead.
    pub(crate) fn cie_env(&self, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
        cie_with_env(Some(self.stack.socket_path()), &[("LC_ALL", "C")], env, args, stdin)
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs the `cie` binary under `timeout`, against the pcscd at `socket` (or none), in English
/// whatever the machine's locale (tests/cli_i18n.rs runs the other language).
pub(crate) fn cie_with_socket(socket: Option<&Path>, args: &[&str], stdin: &str) -> Run {
    cie_with_locale(socket, &[("LC_ALL", "C")], args, stdin)
}

/// Runs the `cie` binary as [`cie_with_socket`] does, with these locale variables only.
pub(crate) fn cie_with_locale(socket: Option<&Path>, locale: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
    cie_with_env(socket, locale, &[], args, stdin)
}

/// Runs the `cie` binary with these locale variables only and `env` set. `CIE_TRUST_ANCHORS`
/// (and `CIE_TRUSTED_LISTS`) is empty unless `env` sets it: no trust anchor or trusted list
/// installed on the machine running the tests
/// (/etc/cie/trust-anchors, ~/.config/cie/trust-anchors) counts. `CIE_LOG` is unset unless
/// `env` sets it.
pub(crate) fn cie_with_env(
    socket: Option<&Path>,
    locale: &[(&str, &str)],
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> Run {
    let mut cmd = Command::new("timeout");
    for name in ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"] {
        cmd.env_remove(name);
    }
    cmd.envs(locale.iter().copied());
    // No card agent of the machine running the tests: only one a test starts (XDG_RUNTIME_DIR
    // in `env`).
    cmd.env("CIE_TRUST_ANCHORS", "").env("CIE_TRUSTED_LISTS", "").env_remove("CIE_LOG").env_remove("XDG_RUNTIME_DIR");
    for (name, value) in env {
        match name.strip_prefix('!') {
            Some(name) => cmd.env_remove(name),
            None => cmd.env(name, value),
        };
    }
    cmd.arg("120").arg(env!("CARGO_BIN_EXE_cie")).args(args);
    match socket {
        Some(s) => cmd.env("PCSCLITE_CSOCK_NAME", s),
        // A socket nobody listens on: "no PC/SC service".
        None => cmd.env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm"),
    };
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run cie");
    // The tool may exit before reading everything (e.g. a usage error): ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a helper program (openssl...) under `timeout` and returns (success, stdout, stderr).
pub(crate) fn tool(program: &str, args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new("timeout")
        .arg("60")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `openssl dgst -HASH -verify <public key of cert.pem> -signature sig data` accepts.
pub(crate) fn openssl_verifies(dir: &Path, cert_pem: &Path, hash: &str, data: &Path, sig: &Path) -> bool {
    let pubkey = dir.join("pubkey.pem");
    let (ok, _, err) = tool(
        "openssl",
        &[
            "x509".as_ref(),
            "-in".as_ref(),
            cert_pem.as_os_str(),
            "-noout".as_ref(),
            "-pubkey".as_ref(),
            "-out".as_ref(),
            pubkey.as_os_str(),
        ],
    );
    assert!(ok, "openssl x509: {err}");
    let flag = format!("-{hash}");
    let (ok, out, _) = tool(
        "openssl",
        &[
            "dgst".as_ref(),
            flag.as_ref(),
            "-verify".as_ref(),
            pubkey.as_os_str(),
            "-signature".as_ref(),
            sig.as_os_str(),
            data.as_os_str(),
        ],
    );
    ok && out.contains("Verified OK")
}

/// The repository's README.md, the file the issue signs.
pub(crate) fn readme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

/// `cie ARGS` on a pseudo-terminal (util-linux `script`: standard input, output and error all
/// on it, in English); answers each prompt in `answers` once it appears. Returns the exit code
/// and everything the terminal showed.
pub(crate) fn on_terminal(card: &Card, args: &str, answers: &[(&str, &str)]) -> (Option<i32>, String) {
    on_terminal_in(card, "C", args, answers)
}

/// As [`on_terminal`], with `LC_ALL` set to `locale`.
pub(crate) fn on_terminal_in(card: &Card, locale: &str, args: &str, answers: &[(&str, &str)]) -> (Option<i32>, String) {
    on_terminal_with(card, &[("LC_ALL", locale)], args, answers)
}

/// As [`on_terminal`], with `env` set (`LC_ALL` among them); no card agent of the machine
/// running the tests, only one whose `XDG_RUNTIME_DIR` is in `env`.
pub(crate) fn on_terminal_with(
    card: &Card,
    env: &[(&str, &str)],
    args: &str,
    answers: &[(&str, &str)],
) -> (Option<i32>, String) {
    let cmdline = format!("{} {args}", env!("CARGO_BIN_EXE_cie"));
    let mut child: Child = Command::new("timeout")
        .args(["120", "script", "-qec", &cmdline, "/dev/null"])
        .env_remove("XDG_RUNTIME_DIR")
        .env("LC_ALL", "C")
        .envs(env.iter().copied())
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for (answered, (prompt, answer)) in answers.iter().enumerate() {
        // Wait for this prompt (counting earlier occurrences of the same text).
        let occurrences = answers[..answered].iter().filter(|(p, _)| p == prompt).count() + 1;
        while seen.matches(prompt).count() < occurrences {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("prompt {prompt:?} never appeared; output so far:\n{seen}"),
            }
        }
        stdin.write_all(format!("{answer}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    // Keep stdin open until the tool is done (script exits when its input ends).
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        while let Ok(chunk) = rx.try_recv() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(Instant::now() < deadline, "cie did not finish:\n{seen}");
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    reader.join().unwrap();
    while let Ok(chunk) = rx.try_recv() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status.code(), seen)
}

/// A temporary directory for one test's files, removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    /// A new, empty `$TMPDIR/{prefix}-{name}-{pid}`.
    pub(crate) fn new(prefix: &str, name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// A path inside it.
    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
