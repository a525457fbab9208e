//! The threat cases of DESIGN.md §8, each against a real agent in front of the real PC/SC
//! stack (pcscd + vpcd + the simulated card): another uid, hostile frames, a client dying
//! mid-operation, concurrent signatures, per-client login, a wrong PIN, a removed card.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use cie_agent::frame::write_frame;
use cie_agent::{ClientError, Request};
use cie_core::session::PinStatus;
use cie_core::{Credential, Error, TransportError};
use common::{assert_verifies, settled_counts, sha256, start, SHA256};

/// Reads until the agent closes the connection; true when it did within 10 s without sending
/// a byte.
fn closed_without_answer(mut s: UnixStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

/// A process whose effective uid is `nobody` (65534) connects: the agent closes the
/// connection before reading a byte, and goes on serving its own user. The child keeps
/// root's file-system uid (`setfsuid(0)`) so that it can reach the 0700 directory at all:
/// only `SO_PEERCRED` (the effective uid at `connect`) stands between it and the agent.
#[test]
fn another_uid_is_refused_and_the_agent_keeps_serving() {
    let running = start();
    let mut owner = running.logged_in_client();
    let path = std::ffi::CString::new(running.socket.as_os_str().as_encoded_bytes()).unwrap();
    // Everything the child needs is prepared before fork: it only makes system calls.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(path.as_bytes()) {
        *d = *s as libc::c_char;
    }
    let frame = {
        let mut f = Vec::new();
        write_frame(&mut f, &Request::Status.encode()).unwrap();
        f
    };
    // SAFETY: the child calls only async-signal-safe functions, then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        unsafe {
            let code = (|| {
                if libc::setegid(65534) != 0 || libc::seteuid(65534) != 0 {
                    return 10;
                }
                libc::setfsuid(0);
                if libc::geteuid() != 65534 {
                    return 11;
                }
                let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
                let len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
                if libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) != 0 {
                    return 12;
                }
                let tv = libc::timeval { tv_sec: 10, tv_usec: 0 };
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    (&tv as *const libc::timeval).cast(),
                    size_of::<libc::timeval>() as libc::socklen_t,
                );
                libc::write(fd, frame.as_ptr().cast(), frame.len());
                let mut buf = [0u8; 16];
                let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                if n == 0 || (n < 0 && *libc::__errno_location() == libc::ECONNRESET) {
                    0 // closed without an answer
                } else if n > 0 {
                    1 // the agent answered another uid
                } else {
                    2 // timeout or another error
                }
            })();
            libc::_exit(code);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child status {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the other uid's connection was not closed unanswered");
    // The agent still serves its user, whose login is intact.
    let digest = sha256(b"after the intruder");
    let der = owner.certificate(None).expect("certificate");
    let sig = owner.sign_digest(None, SHA256, &digest).expect("sign");
    assert_verifies(&der, &digest, &sig);
}

/// Malformed, truncated and oversized frames close that connection only.
#[test]
fn hostile_frames_close_only_their_connection() {
    let running = start();
    let mut owner = running.logged_in_client();
    let der = owner.certificate(None).expect("certificate");

    // An unknown request tag.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    write_frame(&mut s, &[0x7F, 1, 2, 3]).unwrap();
    assert!(closed_without_answer(s), "unknown tag");
    // A request with bytes after its end.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    write_frame(&mut s, &[0x0B, 0]).unwrap();
    assert!(closed_without_answer(s), "trailing bytes");
    // A login whose PIN field claims more bytes than the frame holds.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    write_frame(&mut s, &[0x04, 0, 20, b'1']).unwrap();
    assert!(closed_without_answer(s), "truncated field");
    // A frame announcing 10 bytes, 3 sent, then the writer closes.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    s.write_all(&[0, 0, 0, 10, 0x0B, 0, 0]).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(closed_without_answer(s), "truncated frame");
    // A header over 64 KiB: closed before any body is read or allocated.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    s.write_all(&0x0100_0000u32.to_be_bytes()).unwrap();
    assert!(closed_without_answer(s), "oversized frame");
    // A half header, then silence: closed at the read deadline, nothing else held up.
    let mut s = UnixStream::connect(&running.socket).unwrap();
    s.write_all(&[0, 0]).unwrap();
    let digest = sha256(b"while a client stalls");
    let sig = owner.sign_digest(None, SHA256, &digest).expect("sign while a frame is pending");
    assert_verifies(&der, &digest, &sig);
    assert!(closed_without_answer(s), "stalled header");

    // The well-behaved client was never disturbed and is still logged in.
    let digest = sha256(b"after the hostile frames");
    let sig = owner.sign_digest(None, SHA256, &digest).expect("sign");
    assert_verifies(&der, &digest, &sig);
    assert_eq!(running.logged_in_count(), 1);
}

/// A client that dies in the middle of a signature: the operation ends on the card, its
/// answer is dropped, its login goes, and the other client goes on.
#[test]
fn a_client_dying_mid_operation_loses_only_its_own_login() {
    let running = start();
    let mut a = running.logged_in_client();
    let der = a.certificate(None).expect("certificate");
    {
        let mut b = UnixStream::connect(&running.socket).unwrap();
        let login =
            Request::Login { reader: None, pin: cie_agent::SecretBytes::new(cie_sim::fixtures::TEST_PIN.as_bytes()) };
        write_frame(&mut b, &login.encode()).unwrap();
        let _ = cie_agent::frame::read_frame(&mut b).expect("login reply");
        running.wait_logged_in(2);
        let sign = Request::SignDigest { reader: None, alg: SHA256, digest: sha256(b"never read") };
        write_frame(&mut b, &sign.encode()).unwrap();
        // b dies here: its socket closes with the request queued or running.
    }
    running.wait_logged_in(1);
    let digest = sha256(b"the survivor");
    let sig = a.sign_digest(None, SHA256, &digest).expect("sign");
    assert_verifies(&der, &digest, &sig);
    // A new client is not logged in by A's login.
    let mut c = running.client();
    assert!(matches!(c.sign_digest(None, SHA256, &digest), Err(ClientError::Card(Error::LoginRequired))));
}

/// Two clients sign at the same time: every signature verifies (an interleaved APDU would
/// break the secure-messaging counter and the card would refuse).
#[test]
fn two_clients_sign_concurrently_and_both_verify() {
    let running = start();
    let der = running.logged_in_client().certificate(None).expect("certificate");
    let workers: Vec<_> = (0..2)
        .map(|k| {
            let mut c = running.logged_in_client();
            std::thread::spawn(move || {
                (0..6)
                    .map(|i| {
                        let digest = sha256(format!("client {k} signature {i}").as_bytes());
                        let sig = c.sign_digest(None, SHA256, &digest).expect("sign");
                        (digest, sig)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for w in workers {
        for (digest, sig) in w.join().expect("signer") {
            assert_verifies(&der, &digest, &sig);
        }
    }
}

/// Another client's login does not log this one in; logout and the last client leaving reset
/// the card's PIN state.
#[test]
fn login_state_is_per_client() {
    let mut running = start();
    let mut a = running.logged_in_client();
    let mut b = running.client();
    let digest = sha256(b"per client");
    assert!(matches!(b.sign_digest(None, SHA256, &digest), Err(ClientError::Card(Error::LoginRequired))));
    assert!(matches!(b.certificate(None), Err(ClientError::Card(Error::LoginRequired))));
    // B sees the counter, not A's verified state.
    assert_eq!(b.pin_status(None).unwrap(), PinStatus::TriesLeft(3));
    assert_eq!(a.pin_status(None).unwrap(), PinStatus::Verified);
    a.sign_digest(None, SHA256, &digest).expect("A signs");
    // A logs out: the last one, so the card's PIN state is reset.
    a.logout(None).unwrap();
    assert_eq!(running.logged_in_count(), 0);
    assert!(matches!(a.sign_digest(None, SHA256, &digest), Err(ClientError::Card(Error::LoginRequired))));
    assert_eq!(a.pin_status(None).unwrap(), PinStatus::TriesLeft(3));
    // A PIN of the wrong form: the in-process error, no APDU.
    let before = settled_counts(&mut running.stack);
    assert!(matches!(a.login(None, b"1234"), Err(ClientError::Card(Error::InvalidCredentialFormat(Credential::Pin)))));
    assert_eq!(settled_counts(&mut running.stack), before);
}

/// A wrong PIN from one client spends exactly one try (one PIN command reaches the card) and
/// is reported to that client only; the logged-in client goes on signing.
#[test]
fn a_wrong_pin_spends_one_try_and_only_its_client_sees_it() {
    let mut running = start();
    let mut a = running.logged_in_client();
    let der = a.certificate(None).expect("certificate");
    let mut b = running.client();
    let before = settled_counts(&mut running.stack);
    let err = b.login(None, b"11111111").unwrap_err();
    assert!(
        matches!(err, ClientError::Card(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) })),
        "{err:?}"
    );
    let after = settled_counts(&mut running.stack);
    assert_eq!(after.pin_commands - before.pin_commands, 1, "exactly one VERIFY for the wrong PIN");
    assert_eq!(b.pin_status(None).unwrap(), PinStatus::TriesLeft(2));
    // A never sees B's error: its next signature works (the held PIN verified again).
    let digest = sha256(b"after B's mistake");
    let sig = a.sign_digest(None, SHA256, &digest).expect("A signs");
    assert_verifies(&der, &digest, &sig);
    assert!(matches!(b.sign_digest(None, SHA256, &digest), Err(ClientError::Card(Error::LoginRequired))));
    // The counter is full again after A's PIN was verified.
    assert_eq!(b.pin_status(None).unwrap(), PinStatus::TriesLeft(3));
}

/// The card pulled while one client signs: that client gets the removal error, so does every
/// other client of the card at its next request; logins and the PIN are gone; with the card
/// back, a new login works.
#[test]
fn a_removed_card_reaches_every_client_as_removal() {
    let mut running = start();
    let mut a = running.logged_in_client();
    let mut b = running.logged_in_client();
    let der = a.certificate(None).expect("certificate");
    let signer = std::thread::spawn(move || {
        let mut n = 0u32;
        loop {
            match a.sign_digest(None, SHA256, &sha256(&n.to_be_bytes())) {
                Ok(_) => n += 1,
                Err(e) => return (a, n, e),
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    running.stack.remove_card().unwrap();
    let (mut a, n, err) = signer.join().unwrap();
    assert!(
        matches!(err, ClientError::Card(Error::Transport(TransportError::CardRemoved))),
        "after {n} signatures: {err:?}"
    );
    running.stack.insert_card().unwrap();
    let err = b.sign_digest(None, SHA256, &sha256(b"b")).unwrap_err();
    assert!(matches!(err, ClientError::Card(Error::Transport(TransportError::CardRemoved))), "{err:?}");
    assert_eq!(running.logged_in_count(), 0);
    // Told once; then a new login on the card put back works.
    assert!(matches!(a.sign_digest(None, SHA256, &sha256(b"a")), Err(ClientError::Card(Error::LoginRequired))));
    b.login(None, cie_sim::fixtures::TEST_PIN.as_bytes()).expect("login again");
    let digest = sha256(b"card back");
    let sig = b.sign_digest(None, SHA256, &digest).expect("sign");
    assert_verifies(&der, &digest, &sig);
}

/// A client that sends requests and never reads the answers: once its socket buffer is full the
/// agent's write to it times out (10 s) and that connection is closed; meanwhile and afterwards
/// the other client's signatures go through the same card queue.
#[test]
fn a_client_that_stops_reading_is_disconnected_without_stalling_the_queue() {
    let running = start();
    let mut a = running.logged_in_client();
    let der = a.certificate(None).expect("certificate");
    let mut greedy = UnixStream::connect(&running.socket).unwrap();
    let writer = std::thread::spawn(move || {
        let request = Request::CardInfo { reader: None }.encode();
        let mut sent = 0u32;
        // Stops when the agent closes the connection (EPIPE / reset).
        while write_frame(&mut greedy, &request).is_ok() {
            sent += 1;
        }
        sent
    });
    let started = std::time::Instant::now();
    let mut signed = 0u32;
    while !writer.is_finished() {
        assert!(started.elapsed() < Duration::from_secs(60), "the greedy client was never disconnected");
        let digest = sha256(&signed.to_be_bytes());
        let sig = a.sign_digest(None, SHA256, &digest).expect("A signs while the greedy client stalls");
        assert_verifies(&der, &digest, &sig);
        signed += 1;
    }
    let sent = writer.join().unwrap();
    assert!(sent > 100, "only {sent} requests before the disconnection");
    assert!(signed > 0);
    let digest = sha256(b"after the greedy client");
    assert_verifies(&der, &digest, &a.sign_digest(None, SHA256, &digest).expect("sign"));
    assert_eq!(running.client().status().unwrap().clients, 2, "A and the asking client only");
}

/// A PUK verified by one client (a PKCS#11 security officer's login) is that client's: another
/// client asking for the PUK's tries gets the card's counter, not "verified"; when the verifier
/// leaves, nobody sees it verified.
#[test]
fn a_verified_puk_is_seen_only_by_its_client() {
    let running = start();
    let mut officer = running.client();
    let mut other = running.client();
    let before = other.puk_status(None).expect("PUK status");
    assert!(matches!(before, PinStatus::TriesLeft(_)), "{before:?}");
    officer.verify_puk(None, cie_sim::fixtures::TEST_PUK.as_bytes()).expect("VERIFY PUK");
    assert_eq!(officer.puk_status(None).unwrap(), PinStatus::Verified);
    assert_eq!(other.puk_status(None).unwrap(), before, "the other client sees the counter");
    drop(officer);
    assert_eq!(running.client().puk_status(None).unwrap(), before);
}
