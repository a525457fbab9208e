//! `cie agent` as a process of its own over the real PC/SC stack: `status` (text and JSON)
//! and `stop`; the idle exit; the agent killed with SIGKILL in the middle of a signature (no
//! PIN try spent, the stale socket replaced by the next agent, which works).

mod cli_util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cie_agent::{AgentClient, ClientError};
use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::{PinStatus, Session};
use cie_core::sign::HashAlg;
use cli_util::{Card, TEST_PIN};

/// A `cie agent` process, killed on drop.
struct AgentProcess {
    child: Child,
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$XDG_RUNTIME_DIR` for the agent and its clients: a fresh 0700 directory.
fn runtime_dir(card: &Card) -> PathBuf {
    let dir = card.path("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn socket(run: &Path) -> PathBuf {
    run.join("cie/agent.sock")
}

/// Starts `cie agent ARGS` and waits until its socket answers.
fn start_agent(card: &Card, run: &Path, args: &[&str]) -> AgentProcess {
    start_agent_under(card, run, &[], args)
}

/// [`start_agent`] run through `wrapper` (a program and its arguments that exec the rest).
fn start_agent_under(card: &Card, run: &Path, wrapper: &[&str], args: &[&str]) -> AgentProcess {
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(env!("CARGO_BIN_EXE_cie"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_cie")),
    };
    let child = cmd
        .arg("agent")
        .args(args)
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cie agent");
    let agent = AgentProcess { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while AgentClient::connect_to(&socket(run)).is_err() {
        assert!(Instant::now() < deadline, "the agent's socket never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    agent
}

/// Waits (at most 20 s) for the agent process to exit; its status.
fn wait_exit(agent: &mut AgentProcess) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = agent.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the agent did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pin_tries(card: &Card) -> PinStatus {
    card.stack.export_socket_env();
    let t = PcscTransport::connect(card.stack.reader_name()).expect("connect");
    Session::open(t).expect("open").pin_status().expect("PIN status")
}

#[test]
fn status_and_stop() {
    let card = Card::start("agent-status");
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap();
    let env = [("XDG_RUNTIME_DIR", run_s)];

    // No agent yet: exit 1 and the advice to start one.
    let r = card.cie_env(&env, &["agent", "status"], "");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("no card agent is running"), "{r:?}");

    let mut agent = start_agent(&card, &run, &["--idle", "0"]);
    let mut client = AgentClient::connect_to(&socket(&run)).unwrap();
    client.login(None, TEST_PIN.as_bytes()).expect("login through the agent");

    let r = card.cie_env(&env, &["agent", "status"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("2 clients connected"), "{r:?}");
    assert!(r.stdout.contains(&format!("card {}, 1 clients logged in", cli_util::TEST_NIS)), "{r:?}");
    let r = card.cie_env(&env, &["--json", "agent", "status"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(r#""logged_in_clients":1"#) && r.stdout.contains(r#""idle_timeout_secs":0"#), "{r:?}");
    // In Italian too.
    let r = card.cie_env(&[("XDG_RUNTIME_DIR", run_s), ("LC_ALL", "it_IT.UTF-8")], &["agent", "status"], "");
    assert!(r.stdout.contains("client autenticati"), "{r:?}");

    let r = card.cie_env(&env, &["agent", "stop"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("card agent stopped"), "{r:?}");
    assert!(wait_exit(&mut agent).success());
    assert!(!socket(&run).exists(), "the agent removes the socket it made");
    // Its client sees a closed connection: a reason to use the in-process path.
    let err = client.status().unwrap_err();
    assert!(err.is_agent_failure(), "{err:?}");
}

/// SIGTERM (systemd stopping the unit, the session ending) ends the agent cleanly: exit 0, the
/// socket removed, its clients disconnected.
#[test]
fn sigterm_ends_the_agent_cleanly() {
    let card = Card::start("agent-term");
    let run = runtime_dir(&card);
    let mut agent = start_agent(&card, &run, &["--idle", "0"]);
    let mut client = AgentClient::connect_to(&socket(&run)).unwrap();
    client.login(None, TEST_PIN.as_bytes()).unwrap();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(agent.child.id() as i32, libc::SIGTERM) }, 0);
    assert!(wait_exit(&mut agent).success());
    assert!(!socket(&run).exists());
    assert!(client.status().unwrap_err().is_agent_failure());
    // The login it held went with it; the card's PIN counter is untouched.
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));
}

/// Logout as logind does it when the user's last session ends: the runtime directory goes
/// (with the socket in it). The agent notices within its path check (1 s), ends as on `stop`
/// (clients disconnected, logins and PIN dropped), and creates nothing again.
#[test]
fn the_runtime_directory_removed_at_logout_ends_the_agent() {
    let card = Card::start("agent-logout");
    let run = runtime_dir(&card);
    let mut agent = start_agent(&card, &run, &["--idle", "0"]);
    let mut client = AgentClient::connect_to(&socket(&run)).unwrap();
    client.login(None, TEST_PIN.as_bytes()).unwrap();
    std::fs::remove_dir_all(&run).unwrap();
    assert!(wait_exit(&mut agent).success());
    assert!(client.status().unwrap_err().is_agent_failure());
    assert!(!run.exists(), "the agent recreated nothing");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));
}

#[test]
fn idle_time_ends_the_agent() {
    let card = Card::start("agent-idle");
    let run = runtime_dir(&card);
    let mut agent = start_agent(&card, &run, &["--idle", "1"]);
    // The status connection counts as activity; then nobody comes.
    assert!(wait_exit(&mut agent).success());
    assert!(!socket(&run).exists());
}

/// SIGKILL while a client signs in a loop: the client sees a broken connection (an agent
/// failure, not a card error), the PIN counter is untouched, and a new agent takes over the
/// stale socket and serves a new login.
#[test]
fn agent_killed_mid_signature() {
    let card = Card::start("agent-kill");
    let run = runtime_dir(&card);
    let mut agent = start_agent(&card, &run, &["--idle", "0"]);
    let path = socket(&run);
    let mut client = AgentClient::connect_to(&path).unwrap();
    client.login(None, TEST_PIN.as_bytes()).unwrap();
    let der = client.certificate(None).unwrap();
    let signer = std::thread::spawn(move || {
        let mut n = 0u32;
        loop {
            let digest = HashAlg::Sha256.hash(&n.to_be_bytes());
            match client.sign_digest(None, HashAlg::Sha256, &digest) {
                Ok(sig) => {
                    cie_core::certificate::verify_digest_info(
                        &cie_core::certificate::public_key(&der).unwrap(),
                        &cie_core::sign::digest_info(HashAlg::Sha256, &digest).unwrap(),
                        &sig,
                    )
                    .expect("every signature before the kill verifies");
                    n += 1;
                }
                Err(e) => return (n, e),
            }
        }
    });
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(agent.child.id() as i32, libc::SIGKILL) }, 0);
    let (n, err) = signer.join().unwrap();
    assert!(n > 0, "no signature before the kill");
    assert!(matches!(err, ClientError::Io(_)), "after {n} signatures: {err:?}");
    let _ = agent.child.wait();
    assert!(path.exists(), "SIGKILL leaves the socket behind");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3), "no PIN try spent by the kill");

    let _agent = start_agent(&card, &run, &["--idle", "0"]);
    let mut client = AgentClient::connect_to(&path).unwrap();
    client.login(None, TEST_PIN.as_bytes()).unwrap();
    let digest = HashAlg::Sha256.hash(b"the next agent");
    client.sign_digest(None, HashAlg::Sha256, &digest).expect("the next agent signs");
}

/// `cie cert`, `cie sign` and `cie info` give the same output, files and exit codes through
/// the agent as in-process: success (text and JSON; PKCS#1 v1.5 signatures are deterministic, so the files
/// are byte for byte the same), a wrong PIN, no card.
#[test]
fn same_answers_with_and_without_the_agent() {
    let mut card = Card::start("agent-same");
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap().to_owned();
    let input = cli_util::readme();
    let sig = card.path("readme.sig");
    let (input_s, sig_s) = (input.to_str().unwrap().to_owned(), sig.to_str().unwrap().to_owned());
    let commands: Vec<(Vec<&str>, String)> = vec![
        (vec!["cert", "--pin-stdin"], "11111111\n".into()),
        (vec!["cert", "--pin-stdin"], format!("{TEST_PIN}\n")),
        (vec!["--json", "cert", "--pin-stdin"], format!("{TEST_PIN}\n")),
        (vec!["cert", "--der", "--pin-stdin", "-o", sig_s.as_str()], format!("{TEST_PIN}\n")),
        (vec!["sign", "--pin-stdin", "-i", input_s.as_str(), "-o", sig_s.as_str()], format!("{TEST_PIN}\n")),
        (vec!["--json", "sign", "--pin-stdin", "-i", input_s.as_str(), "-o", sig_s.as_str()], format!("{TEST_PIN}\n")),
        (vec!["sign", "--pin-stdin", "-i", input_s.as_str(), "-o", sig_s.as_str()], "1234\n".into()),
        (vec!["info"], String::new()),
        (vec!["--json", "info"], String::new()),
        (vec!["info", "--pin-stdin"], format!("{TEST_PIN}\n")),
        (vec!["--json", "info", "--pin-stdin"], format!("{TEST_PIN}\n")),
    ];
    let env = [("XDG_RUNTIME_DIR", run_s.as_str())];
    let each = |card: &Card| -> Vec<(Option<i32>, String, Vec<u8>)> {
        commands
            .iter()
            .map(|(args, stdin)| {
                let _ = std::fs::remove_file(&sig);
                let r = card.cie_env(&env, args, stdin);
                (r.code, r.stdout, std::fs::read(&sig).unwrap_or_default())
            })
            .collect()
    };
    let without = each(&card);
    assert_eq!(without[0].0, Some(3), "wrong PIN: {:?}", without[0]);
    assert!(without[0].1.is_empty());
    assert_eq!(without[1].0, Some(0));
    assert_eq!(without[4].2.len(), 256, "a signature was written");
    assert!(without[10].1.contains(cli_util::TEST_SERIAL), "{:?}", without[10]);

    let agent = start_agent(&card, &run, &["--idle", "0"]);
    let with = each(&card);
    for (k, (a, b)) in without.iter().zip(&with).enumerate() {
        assert_eq!(a, b, "command {k} {:?}: in-process vs through the agent", commands[k].0);
    }
    // The agent was used: its log says so, and it holds the card's session.
    let r = card.cie_env(
        &[("XDG_RUNTIME_DIR", run_s.as_str()), ("CIE_LOG", "info")],
        &["cert", "--pin-stdin"],
        &format!("{TEST_PIN}\n"),
    );
    assert!(r.stderr.contains("using the card agent"), "{r:?}");
    let mut client = AgentClient::connect_to(&socket(&run)).unwrap();
    let status = client.status().unwrap();
    assert!(status.cards.iter().any(|c| c.nis.as_deref() == Some(cli_util::TEST_NIS)), "{status:?}");

    // No card: the same error and exit code both ways.
    card.stack.remove_card().unwrap();
    let args = ["cert", "--pin-stdin"];
    let through = card.cie_env(&env, &args, &format!("{TEST_PIN}\n"));
    drop(agent);
    let local = card.cie_env(&env, &args, &format!("{TEST_PIN}\n"));
    assert_eq!(local.code, Some(5), "{local:?}");
    assert_eq!((through.code, through.stdout), (local.code, local.stdout));
    assert_eq!(through.stderr.lines().last(), local.stderr.lines().last(), "the same advice");
    card.stack.insert_card().unwrap();
}

/// Starts `cie agent` as systemd's socket activation does: `listener` as fd 3, `LISTEN_FDS=1`,
/// `LISTEN_PID` its own pid (set by the shell that execs it).
fn start_activated(card: &Card, run: &Path, listener: &std::os::unix::net::UnixListener) -> Child {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = listener.as_raw_fd();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" agent --idle 0"#)
        .arg(env!("CARGO_BIN_EXE_cie"))
        .env("XDG_RUNTIME_DIR", run)
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: dup2 and fcntl are async-signal-safe; they put the listening socket at fd 3 in
    // the child only, without close-on-exec. When the listener already is fd 3, dup2 does
    // nothing and leaves close-on-exec set: the fcntl clears it in both cases.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 3) == 3 && libc::fcntl(3, libc::F_SETFD, 0) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.spawn().expect("sh -c cie agent")
}

/// Socket activation: the agent serves on the socket it was handed, after the same owner and
/// mode checks; `stop` leaves the socket to its owner (systemd). A socket of mode 0666 is
/// refused, not repaired.
#[test]
fn socket_activation_checks_the_handed_socket() {
    let card = Card::start("agent-activation");
    let run = runtime_dir(&card);
    std::fs::create_dir_all(run.join("cie")).unwrap();
    std::fs::set_permissions(run.join("cie"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = socket(&run);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut agent = AgentProcess { child: start_activated(&card, &run, &listener) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut client = loop {
        // The socket already exists and accepts before the agent runs: wait for an answer.
        if let Ok(mut c) = AgentClient::connect_to(&path) {
            if let Ok(status) = c.status() {
                assert_eq!(status.pid, agent.child.id(), "the activated process answers");
                break c;
            }
        }
        if let Some(status) = agent.child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut pipe) = agent.child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("the activated agent exited ({status}) before answering: {stderr}");
        }
        assert!(Instant::now() < deadline, "the activated agent never answered");
        std::thread::sleep(Duration::from_millis(100));
    };
    client.login(None, TEST_PIN.as_bytes()).expect("login through the activated agent");
    client.stop().unwrap();
    assert!(wait_exit(&mut agent).success());
    assert!(path.exists(), "the activated agent leaves the socket to systemd");
    drop(listener);
    std::fs::remove_file(&path).unwrap();

    // The same with a socket others may write to: refused at start.
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let child = start_activated(&card, &run, &listener);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mode 666, not 600"), "{stderr}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o666, "not repaired");
}

/// `cie agent install` writes the two user units, with this binary in `ExecStart`, that
/// `systemd-analyze verify` accepts; nothing is enabled.
#[test]
fn install_writes_valid_user_units() {
    let config = std::env::temp_dir().join(format!("cie-agent-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&config);
    let env = [("XDG_CONFIG_HOME", config.to_str().unwrap())];
    let r = cli_util::cie_with_env(None, &[("LC_ALL", "C")], &env, &["agent", "install"], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("systemctl --user enable --now cie-agent.socket"), "{r:?}");
    let dir = config.join("systemd/user");
    let socket_unit = std::fs::read_to_string(dir.join("cie-agent.socket")).unwrap();
    let service_unit = std::fs::read_to_string(dir.join("cie-agent.service")).unwrap();
    assert!(socket_unit.contains("ListenStream=%t/cie/agent.sock") && socket_unit.contains("SocketMode=0600"));
    assert!(socket_unit.contains("DirectoryMode=0700"));
    assert!(service_unit.contains(&format!("ExecStart={} agent", env!("CARGO_BIN_EXE_cie"))), "{service_unit}");
    assert!(!dir.join("sockets.target.wants").exists(), "installed, not enabled");
    let (ok, out, err) = cli_util::tool(
        "systemd-analyze",
        &["verify".as_ref(), dir.join("cie-agent.socket").as_os_str(), dir.join("cie-agent.service").as_os_str()],
    );
    assert!(ok, "systemd-analyze verify (package systemd): {out}{err}");
    std::fs::remove_dir_all(&config).unwrap();
}

/// Another application replaces the agent's secure channel on the card (a process of its own
/// opening a channel): the agent's next signature for its logged-in client rebuilds the
/// channel and verifies the PIN it holds in locked memory once (DESIGN.md §3), so the client
/// sees nothing. When the agent cannot lock memory (no CAP_IPC_LOCK, RLIMIT_MEMLOCK 0) it
/// holds no PIN: the same event then asks the client to log in again, and no try is spent.
#[test]
fn a_replaced_channel_is_recovered_only_with_a_locked_pin() {
    let mut card = Card::start("agent-recovery");
    let run = runtime_dir(&card);
    let path = socket(&run);
    let digest = HashAlg::Sha256.hash(b"after another application");
    let another_application = |card: &Card| {
        card.stack.export_socket_env();
        let t = PcscTransport::connect(card.stack.reader_name()).expect("connect");
        let mut other = Session::open(t).expect("open");
        // Asking the tries opens this process's channel, replacing the agent's.
        assert_eq!(other.pin_status().expect("PIN status"), PinStatus::TriesLeft(3));
    };

    for locked in [true, false] {
        let wrapper: &[&str] = if locked {
            &[]
        } else {
            &["setpriv", "--bounding-set", "-ipc_lock", "--", "prlimit", "--memlock=0:0", "--"]
        };
        let mut agent = start_agent_under(&card, &run, wrapper, &["--idle", "0"]);
        let mut client = AgentClient::connect_to(&path).unwrap();
        client.login(None, TEST_PIN.as_bytes()).unwrap();
        let der = client.certificate(None).unwrap();
        another_application(&card);
        std::thread::sleep(Duration::from_millis(200));
        let before = card.stack.counts().unwrap();
        let result = client.sign_digest(None, HashAlg::Sha256, &digest);
        std::thread::sleep(Duration::from_millis(200));
        let pin_commands = card.stack.counts().unwrap().pin_commands - before.pin_commands;
        if locked {
            let sig = result.expect("recovered with the held PIN");
            cie_core::certificate::verify_digest_info(
                &cie_core::certificate::public_key(&der).unwrap(),
                &cie_core::sign::digest_info(HashAlg::Sha256, &digest).unwrap(),
                &sig,
            )
            .expect("the signature verifies");
            assert_eq!(pin_commands, 1, "one VERIFY with the held PIN");
        } else {
            let err = result.unwrap_err();
            assert!(matches!(err, ClientError::Card(cie_core::Error::LoginRequired)), "{err:?}");
            assert_eq!(pin_commands, 0, "no PIN held, none sent");
            client.login(None, TEST_PIN.as_bytes()).expect("logging in again");
            client.sign_digest(None, HashAlg::Sha256, &digest).expect("then it signs");
        }
        assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));
        client.stop().unwrap();
        assert!(wait_exit(&mut agent).success());
    }
}
