//! The built `libcie_pkcs11.so` with the card agent running (`cie agent`, DESIGN.md §8),
//! through a real pcscd with the simulated card: a fresh process (pkcs11-tool) logs in and
//! signs with at most 5 APDUs while the agent's channel is open, and its signature verifies;
//! two module instances in two processes take turns without a channel rebuild; a module
//! instance not logged in cannot sign while another is; a wrong PIN spends exactly one try;
//! the answers to a wrong PIN and to a card removed are those of the in-process path; the
//! agent killed mid-session (between calls or during a signature) is a token removed and
//! reinserted for a long-lived module instance, which logs in again through the restarted agent
//! (or in-process when none answers), and a thread blocked in `C_WaitForSlotEvent` hears of it.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cie_agent::AgentClient;
use cie_core::session::PinStatus;
use cie_sim::fixtures;
use cie_sim::stack::VirtualStack;
use common::agent::*;
use common::client::{key_id_hex, ok, require};
use common::*;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

/// Loads and initialises the module in this process, reaching the agent of `run` (if any).
fn load(run: &Path) -> Pkcs11 {
    std::env::set_var("CIE_PKCS11_CACHE", "off");
    std::env::set_var("XDG_RUNTIME_DIR", run);
    let p11 = Pkcs11::new(module_path()).unwrap();
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).unwrap();
    p11
}

/// The slot holding the card, waiting up to 10 s for it (after a reinsertion).
fn card_slot(p11: &Pkcs11) -> Slot {
    for _ in 0..100 {
        if let Some(slot) = p11.get_slots_with_token().unwrap().first() {
            return *slot;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no token")
}

/// A session on the card's slot, logged in with the test PIN, and the private key's handle.
fn logged_in_session(p11: &Pkcs11) -> (Slot, Session, cryptoki::object::ObjectHandle) {
    let slot = card_slot(p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    (slot, s, key)
}

fn pin(p: &str) -> AuthPin {
    AuthPin::new(p.into())
}

fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}

/// Signs `message` with SHA256-RSA-PKCS and checks the signature with the test card's key.
fn sign_and_verify(s: &Session, message: &[u8]) {
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key, message).unwrap();
    certificate_key()
        .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), &sig)
        .expect("the signature verifies with the certificate's key");
}

/// The clients logged in to the agent's cards.
fn logged_in(run: &Path) -> u32 {
    let status = AgentClient::connect_to(&socket(run)).unwrap().status().unwrap();
    status.cards.iter().map(|c| c.logged_in_clients).sum()
}

/// Waits (5 s at most) until `n` clients are logged in to the agent: it notices a closed
/// connection on its own thread.
fn wait_logged_in(run: &Path, n: u32, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while logged_in(run) != n {
        assert!(std::time::Instant::now() < deadline, "{what}: {} logged in", logged_in(run));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The PIN's tries left, asked through the agent by a client of its own (no VERIFY).
fn agent_tries(run: &Path) -> u8 {
    let mut c = AgentClient::connect_to(&run.join("cie/agent.sock")).unwrap();
    match c.pin_status(None).unwrap() {
        PinStatus::TriesLeft(n) => n,
        other => panic!("{other:?}"),
    }
}

/// pkcs11-tool in a fresh process with `args`, the certificate cache in `home` when `cache`,
/// the module's debug log in `home/p11.log`; its output and the APDUs the card answered
/// meanwhile.
fn pkcs11_tool(stack: &mut VirtualStack, run: &Path, home: &Path, cache: bool, args: &[&OsStr]) -> (String, u64) {
    require("pkcs11-tool");
    let before = stack.counts().unwrap().apdus;
    let mut cmd = Command::new("timeout");
    cmd.args(["60", "pkcs11-tool", "--module"])
        .arg(module_path())
        .args(args)
        .stdin(Stdio::null())
        .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
        .env("XDG_RUNTIME_DIR", run)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("CIE_PKCS11_LOG", "debug")
        .env("CIE_PKCS11_LOG_FILE", home.join("p11.log"));
    let _ = std::fs::remove_file(home.join("p11.log"));
    if cache {
        cmd.env_remove("CIE_PKCS11_CACHE");
    } else {
        cmd.env("CIE_PKCS11_CACHE", "off");
    }
    let out = ok(&mut cmd);
    (out, stack.counts().unwrap().apdus - before)
}

/// pkcs11-tool in a fresh process: `--login --sign` of `input` into `output`; the APDUs the
/// card answered meanwhile.
fn pkcs11_tool_sign(stack: &mut VirtualStack, run: &Path, home: &Path, input: &Path, output: &Path) -> u64 {
    pkcs11_tool_sign_cached(stack, run, home, false, input, output)
}

/// [`pkcs11_tool_sign`], with the certificate cache when `cache`.
fn pkcs11_tool_sign_cached(
    stack: &mut VirtualStack,
    run: &Path,
    home: &Path,
    cache: bool,
    input: &Path,
    output: &Path,
) -> u64 {
    let id = key_id_hex();
    let words = ["--login", "--pin", fixtures::TEST_PIN, "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", &id, "-i"];
    let args: Vec<&OsStr> =
        words.iter().map(OsStr::new).chain([input.as_os_str(), OsStr::new("-o"), output.as_os_str()]).collect();
    pkcs11_tool(stack, run, home, cache, &args).1
}

fn verify_file(input: &Path, sig: &Path) {
    let message = std::fs::read(input).unwrap();
    let sig = std::fs::read(sig).unwrap();
    certificate_key()
        .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&message), &sig)
        .expect("pkcs11-tool's signature verifies with the certificate's key");
}

/// A fresh process (pkcs11-tool, its own module instance) signs through the agent whose channel
/// another module instance (this process's, logged in) keeps open: at most 5 APDUs (VERIFY, MSE
/// SET, INTERNAL AUTHENTICATE, GET RESPONSE), against a full channel without the agent. The two
/// instances take turns, each signature verifying, without a channel rebuild; an instance not
/// logged in cannot sign while the other is.
#[test]
fn fresh_process_signs_through_the_agent() {
    let _serial = serial();
    let mut stack = start_stack();
    let run = runtime_dir("fresh");
    let home = temp_dir("agent-home");
    let input = home.join("document.txt");
    std::fs::write(&input, b"signed by a fresh process through the card agent\n").unwrap();
    let output = home.join("document.sig");

    // Without the agent: the in-process path's count, for the comparison.
    let without = pkcs11_tool_sign(&mut stack, &run, &home, &input, &output);
    verify_file(&input, &output);
    let log = std::fs::read_to_string(home.join("p11.log")).unwrap();
    assert!(log.contains("card operations in this process (PC/SC)"), "{log}");

    let agent = start_agent(&stack, &run);
    let p11 = load(&run);
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    sign_and_verify(&s, b"the browser-like instance signs first");

    let mut counts = Vec::new();
    for turn in 0..3 {
        let _ = std::fs::remove_file(&output);
        let n = pkcs11_tool_sign(&mut stack, &run, &home, &input, &output);
        verify_file(&input, &output);
        counts.push(n);
        // The module's log says which path it took, and never the PIN.
        let log = std::fs::read_to_string(home.join("p11.log")).unwrap();
        assert!(log.contains("card operations through the card agent"), "{log}");
        assert!(!log.contains(fixtures::TEST_PIN), "the PIN in the module's log");
        // This process's instance signs again between the fresh processes: the channel it
        // shares through the agent was not replaced (4 APDUs at most: no VERIFY needed).
        let before = stack.counts().unwrap().apdus;
        sign_and_verify(&s, format!("turn {turn}").as_bytes());
        let mine = stack.counts().unwrap().apdus - before;
        assert!(mine <= 3, "turn {turn}: this instance's signature cost {mine} APDUs");
    }
    wait_logged_in(&run, 1, "the fresh processes' logins went with them: only this instance's is left");
    println!("fresh process C_Initialize..C_Login..C_Sign: {without} APDUs without the agent, {counts:?} with it");
    assert!(counts.iter().all(|n| *n <= 5), "with the agent: {counts:?} APDUs (without: {without})");
    assert!(without > 5, "without the agent a fresh process builds its channel: {without}");

    // With the certificate cache (the default): the agent gives the card-binding key (once
    // per card session), the module keeps the cache; a later fresh process lists the
    // certificate before any login without an APDU, and signs within the same bound.
    let _ = std::fs::remove_file(&output);
    let first = pkcs11_tool_sign_cached(&mut stack, &run, &home, true, &input, &output);
    verify_file(&input, &output);
    let (listed, listing) = pkcs11_tool(&mut stack, &run, &home, true, &[OsStr::new("--list-objects")]);
    assert!(listed.contains("Certificate Object"), "{listed}");
    assert_eq!(listing, 0, "the certificate listed from the cache with the agent's binding");
    let _ = std::fs::remove_file(&output);
    let cached = pkcs11_tool_sign_cached(&mut stack, &run, &home, true, &input, &output);
    verify_file(&input, &output);
    println!("with the certificate cache: {first} APDUs (binding computed), then {cached}");
    assert!(cached <= 5, "{cached}");

    // Not logged in while another client is: no signature.
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    s.logout().unwrap();
    assert_eq!(logged_in(&run), 0, "C_Logout drops the instance's login in the agent");
    let mut other = AgentClient::connect_to(&run.join("cie/agent.sock")).unwrap();
    other.login(None, fixtures::TEST_PIN.as_bytes()).unwrap();
    let e = s.sign(&Mechanism::Sha256RsaPkcs, key, b"not logged in").unwrap_err();
    assert_eq!(rv(e), RvError::UserNotLoggedIn);

    // A wrong PIN spends exactly one try, the right one gives them back.
    assert_eq!(agent_tries(&run), 3);
    let e = s.login(UserType::User, Some(&pin("11112222"))).unwrap_err();
    assert_eq!(rv(e), RvError::PinIncorrect);
    assert_eq!(agent_tries(&run), 2, "one try spent by the wrong PIN");
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    assert_eq!(agent_tries(&run), 3);
    sign_and_verify(&s, b"after the wrong PIN");

    drop(s);
    drop(other);
    p11.finalize().unwrap();
    drop(agent);
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&home);
}

/// What a module instance answers, in order: a wrong PIN, the PIN flags then, a signature with the card removed,
/// the slot's token afterwards, a login after the card is back, a signature then.
/// With `agent`, also checks that the login went through the agent (its status counts this
/// instance's login).
fn removal_and_wrong_pin(stack: &mut VirtualStack, run: &Path, agent: bool) -> Vec<String> {
    let p11 = load(run);
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    let mut seen = Vec::new();
    seen.push(format!("{:?}", s.login(UserType::User, Some(&pin("11112222"))).map_err(rv)));
    let info = p11.get_token_info(slot).unwrap();
    seen.push(format!(
        "count low {}, final try {}, locked {}",
        info.user_pin_count_low(),
        info.user_pin_final_try(),
        info.user_pin_locked()
    ));
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    if agent {
        let status = AgentClient::connect_to(&run.join("cie/agent.sock")).unwrap().status().unwrap();
        assert_eq!(status.cards.iter().map(|c| c.logged_in_clients).sum::<u32>(), 1, "{status:?}");
    }
    let key = s.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)]).unwrap()[0];
    stack.remove_card().unwrap();
    seen.push(format!("{:?}", s.sign(&Mechanism::Sha256RsaPkcs, key, b"removed").map_err(rv)));
    seen.push(format!("{:?}", p11.get_slots_with_token().map(|v| v.len())));
    stack.insert_card().unwrap();
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    seen.push(format!("{:?}", s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).map_err(rv)));
    sign_and_verify(&s, b"card back");
    drop(s);
    p11.finalize().unwrap();
    seen
}

/// A wrong PIN and a card removed give the same answers with and without the agent.
#[test]
fn same_answers_with_and_without_the_agent() {
    let _serial = serial();
    let mut stack = start_stack();
    let run = runtime_dir("same");
    let without = removal_and_wrong_pin(&mut stack, &run, false);
    let agent = start_agent(&stack, &run);
    let with = removal_and_wrong_pin(&mut stack, &run, true);
    println!("without the agent: {without:?}; with it: {with:?}");
    assert_eq!(with, without);
    wait_logged_in(&run, 0, "C_Finalize drops the instance's login in the agent");
    assert_eq!(agent_tries(&run), 3);
    drop(agent);
    let _ = std::fs::remove_dir_all(&run);
}

/// The agent killed (SIGKILL) while a module instance is logged in through it, then started
/// again, all in one module instance's life (a browser's): the old session fails cleanly
/// (`CKR_DEVICE_REMOVED`, then `CKR_SESSION_HANDLE_INVALID`, no panic), the login is gone, and
/// a new session logs in through the new agent and signs; killed again with no agent to
/// follow, the instance carries on in-process. A new `C_Initialize` without an agent is
/// in-process from the start. The reconnections spend no PIN try.
#[test]
fn agent_killed_and_restarted_during_a_module_instance() {
    let _serial = serial();
    let mut stack = start_stack();
    let run = runtime_dir("kill");
    let mut agent = start_agent(&stack, &run);
    assert_eq!(agent_tries(&run), 3);
    let p11 = load(&run);
    let (_, s, key) = logged_in_session(&p11);
    sign_and_verify(&s, b"before the kill");
    wait_logged_in(&run, 1, "this instance, through the first agent");

    // Killed mid-life: the old session is gone as if the card had been pulled and put back.
    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    let agent = start_agent(&stack, &run);
    let e = s.sign(&Mechanism::Sha256RsaPkcs, key, b"agent gone").unwrap_err();
    assert_eq!(rv(e), RvError::DeviceRemoved, "the old session's next call");
    let e = s.sign(&Mechanism::Sha256RsaPkcs, key, b"agent gone").unwrap_err();
    assert_eq!(rv(e), RvError::SessionHandleInvalid, "the old session is closed");
    assert_eq!(logged_in(&run), 0, "no login carried over to the new agent");

    // A new session logs in again, through the new agent, and signs.
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RoPublic, "login state gone");
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    wait_logged_in(&run, 1, "this instance's new login, through the new agent");
    sign_and_verify(&s, b"through the restarted agent");
    assert_eq!(agent_tries(&run), 3, "no PIN try spent by the reconnection");

    // Killed with none to follow: a session found dead while idle (no card operation), and
    // the next one runs in this process.
    let mut agent = agent;
    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    let e = s.get_session_info().unwrap_err();
    assert_eq!(rv(e), RvError::DeviceRemoved, "an idle session notices the agent's loss");
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    sign_and_verify(&s, b"in-process after the agent died");
    drop(s);
    p11.finalize().unwrap();

    let p11 = load(&run);
    let slot = card_slot(&p11);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    sign_and_verify(&s, b"a new initialisation, in-process");
    drop(s);
    p11.finalize().unwrap();
    // The card's own counter, as the simulator reports it when the card is pulled.
    stack.remove_card().unwrap();
    assert_eq!(stack.pin_tries_at_last_removal(), Some(3), "no PIN try spent in all this");
    stack.insert_card().unwrap();
    drop(agent);
    let _ = std::fs::remove_dir_all(&run);
}

/// The agent killed (SIGKILL) while a signature of this module instance is on the card (the
/// realistic latency model keeps it there for a few hundred milliseconds): that `C_Sign` fails
/// with `CKR_DEVICE_REMOVED`, no panic, no hang; a new session logs in through the restarted
/// agent and signs, and no PIN try was spent.
#[test]
fn agent_killed_mid_signature() {
    let _serial = serial();
    let options = cie_sim::stack::StackOptions { latency: Some("realistic".into()), ..Default::default() };
    let mut stack = VirtualStack::start(options).unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"));
    stack.export_socket_env();
    let run = runtime_dir("kill-sign");
    let mut agent = start_agent(&stack, &run);
    let p11 = load(&run);
    let (_, s, key) = logged_in_session(&p11);
    let signing = std::thread::spawn(move || s.sign(&Mechanism::Sha256RsaPkcs, key, b"signing when the agent dies"));
    std::thread::sleep(Duration::from_millis(120));
    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    assert_eq!(signing.join().unwrap().map_err(rv), Err(RvError::DeviceRemoved));
    let agent = start_agent(&stack, &run);
    let s = p11.open_ro_session(card_slot(&p11)).unwrap();
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    wait_logged_in(&run, 1, "this instance, through the restarted agent");
    sign_and_verify(&s, b"after the kill mid-signature");
    assert_eq!(agent_tries(&run), 3, "no PIN try spent");
    drop(s);
    p11.finalize().unwrap();
    drop(agent);
    stack.remove_card().unwrap();
    assert_eq!(stack.pin_tries_at_last_removal(), Some(3));
    let _ = std::fs::remove_dir_all(&run);
}

/// The agent killed while a long-lived module instance (a browser's) has a thread blocked in
/// `C_WaitForSlotEvent`: the slot is reported (the token removed and put back, which is what
/// the next call finds), once, and nothing was reported before the kill, nor any CPU spent
/// waiting. The old session then ends with `CKR_DEVICE_REMOVED` and a new one signs in this
/// process.
#[test]
fn the_agent_lost_is_a_slot_event() {
    let _serial = serial();
    let mut stack = start_stack();
    let run = runtime_dir("event");
    let mut agent = start_agent(&stack, &run);
    let p11 = load(&run);
    let (slot, s, key) = logged_in_session(&p11);
    sign_and_verify(&s, b"before the agent goes");
    assert_eq!(p11.get_slot_event().unwrap(), None, "no event while the agent serves the token");

    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = {
        let p11 = p11.clone();
        std::thread::spawn(move || tx.send(p11.wait_for_slot_event()).unwrap())
    };
    // The agent alive: the blocked call reports nothing, and watching the agent costs no CPU
    // (no timer: the budget of tests/idle.rs, where one wake-up a second cost 1.5 ms in 10 s).
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "an event with nothing changed");
    let before = process_cpu();
    assert!(rx.recv_timeout(Duration::from_secs(5)).is_err(), "an event with nothing changed");
    let used = process_cpu().saturating_sub(before);
    eprintln!("CPU in 5 s blocked in C_WaitForSlotEvent, the agent watched: {used:?}");
    assert!(used < Duration::from_millis(1), "{used:?} of CPU in 5 s blocked in C_WaitForSlotEvent");
    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    let event = rx.recv_timeout(Duration::from_secs(30)).expect("the agent's loss was never reported");
    assert_eq!(event.unwrap(), slot);
    waiting.join().unwrap();
    assert_eq!(p11.get_slot_event().unwrap(), None, "reported once");

    let e = s.sign(&Mechanism::Sha256RsaPkcs, key, b"agent gone").unwrap_err();
    assert_eq!(rv(e), RvError::DeviceRemoved, "the old session's next call");
    let s = p11.open_ro_session(card_slot(&p11)).unwrap();
    assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RoPublic, "login state gone");
    s.login(UserType::User, Some(&pin(fixtures::TEST_PIN))).unwrap();
    sign_and_verify(&s, b"in-process after the agent's loss");
    drop(s);
    p11.finalize().unwrap();
    stack.remove_card().unwrap();
    assert_eq!(stack.pin_tries_at_last_removal(), Some(3), "no PIN try spent");
    stack.insert_card().unwrap();
    let _ = std::fs::remove_dir_all(&run);
}
