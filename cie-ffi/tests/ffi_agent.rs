//! The C API with the card agent (`cie agent`, DESIGN.md §8) and without it, through a real
//! pcscd with the simulated card: every card function gives the same results and status codes
//! both ways (one transcript, compared); the handle is the agent's client (listed in its
//! status) and without an agent the library opens the card itself; a wrong PIN spends exactly
//! one try; one handle's login does not serve another; the agent killed while a handle uses it
//! gives `CIE_ERR_AGENT`, never a panic, and the next handle works in-process.

mod common;
#[path = "../../cie-sign/tests/common/pdf.rs"]
mod pdf;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::ptr::{null, null_mut};
use std::sync::Mutex;

use cie::*;
use cie_sim::fixtures;
use cie_sim::stack::VirtualStack;
use common::agent::*;

/// The tests change this process's environment (`XDG_RUNTIME_DIR`, the PC/SC socket): one at
/// a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Log lines that tell which way a handle went.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_log(_level: cie_log_level, message: *const c_char, _user: *mut c_void) {
    let line = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    if line.contains("card operations") {
        LOG.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(cie_last_error()) }.to_string_lossy().into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// This process reaches the agent under `run` (or none) and the stack's pcscd.
fn use_env(stack: &VirtualStack, run: &Path) {
    stack.export_socket_env();
    std::env::set_var("XDG_RUNTIME_DIR", run);
}

/// A string out of a `(buf, len)` getter, or its status.
fn text(f: impl Fn(*mut c_char, *mut usize) -> cie_status) -> String {
    let mut len = 0usize;
    let st = f(null_mut(), &mut len);
    if st != CIE_OK {
        return format!("status {st}");
    }
    let mut buf = vec![0u8; len];
    let st = f(buf.as_mut_ptr().cast(), &mut len);
    if st != CIE_OK {
        return format!("status {st}");
    }
    CStr::from_bytes_with_nul(&buf[..len]).unwrap().to_string_lossy().into_owned()
}

/// Bytes out of a `(buf, len)` getter, or its status.
fn bytes(f: impl Fn(*mut u8, *mut usize) -> cie_status) -> Result<Vec<u8>, cie_status> {
    let mut len = 0usize;
    let st = f(null_mut(), &mut len);
    if st != CIE_OK {
        return Err(st);
    }
    let mut buf = vec![0u8; len];
    match f(buf.as_mut_ptr(), &mut len) {
        CIE_OK => Ok(buf[..len].to_vec()),
        st => Err(st),
    }
}

/// One card handle.
struct Card(*mut cie_card);

impl Drop for Card {
    fn drop(&mut self) {
        unsafe { cie_card_free(self.0) };
    }
}

impl Card {
    fn open(reader: Option<&str>) -> Result<Card, cie_status> {
        let name = reader.map(|r| CString::new(r).unwrap());
        let mut card = null_mut();
        match unsafe { cie_card_open(name.as_ref().map_or(null(), |n| n.as_ptr()), &mut card) } {
            CIE_OK => Ok(Card(card)),
            st => {
                assert!(card.is_null());
                Err(st)
            }
        }
    }

    fn verify(&self, pin: &str) -> (cie_status, c_int) {
        let pin = CString::new(pin).unwrap();
        let mut tries = -9;
        (unsafe { cie_card_verify_pin(self.0, pin.as_ptr(), &mut tries) }, tries)
    }

    fn pin_tries(&self) -> (cie_status, c_int) {
        let mut tries = -9;
        (unsafe { cie_card_pin_tries_left(self.0, &mut tries) }, tries)
    }

    fn puk_tries(&self) -> (cie_status, c_int) {
        let mut tries = -9;
        (unsafe { cie_card_puk_tries_left(self.0, &mut tries) }, tries)
    }

    fn verified(&self) -> (cie_status, c_int) {
        let mut v = -9;
        (unsafe { cie_card_pin_verified(self.0, &mut v) }, v)
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, cie_status> {
        bytes(|buf, len| unsafe { cie_card_sign(self.0, CIE_HASH_SHA256, data.as_ptr(), data.len(), buf, len) })
    }

    fn serial(&self) -> String {
        text(|buf, len| unsafe { cie_card_serial(self.0, buf, len) })
    }

    fn certificate(&self) -> Result<Vec<u8>, cie_status> {
        bytes(|buf, len| unsafe { cie_card_certificate(self.0, buf, len) })
    }
}

/// A CAdES document signed by `card` (enveloping, in memory), checked with the library's own
/// verifier against the simulator's citizen CA: the status and whether it verified.
fn cades_of(card: &Card, data: &[u8]) -> String {
    let signed = bytes(|buf, len| unsafe {
        cie_card_sign_buffer(card.0, CIE_FORMAT_CADES, CIE_HASH_SHA256, data.as_ptr(), data.len(), buf, len)
    });
    let signed = match signed {
        Ok(s) => s,
        Err(st) => return format!("status {st}"),
    };
    let ca = fixtures::citizen_ca_certificate();
    let mut report = null_mut();
    let st = unsafe { cie_verify_buffer(signed.as_ptr(), signed.len(), null(), 0, ca.as_ptr(), ca.len(), &mut report) };
    assert_eq!(st, CIE_OK, "{}", last_error());
    let verdict = unsafe { (cie_report_count(report), cie_report_valid(report, 0), cie_report_indication(report)) };
    unsafe { cie_report_free(report) };
    format!("ok, {verdict:?}")
}

/// `input` signed by `card` into a file with `cie_card_sign_file` in `format`, checked with the
/// library's verifier against the simulator's citizen CA: the status and the verdict.
fn signed_file(card: &Card, format: cie_format, input: &[u8], dir: &Path) -> String {
    let (input_path, output_path) = (dir.join(format!("in-{format}")), dir.join(format!("out-{format}")));
    std::fs::write(&input_path, input).unwrap();
    let _ = std::fs::remove_file(&output_path);
    let i = CString::new(input_path.to_str().unwrap()).unwrap();
    let o = CString::new(output_path.to_str().unwrap()).unwrap();
    let st = unsafe { cie_card_sign_file(card.0, format, CIE_HASH_SHA256, i.as_ptr(), o.as_ptr()) };
    if st != CIE_OK {
        assert!(!output_path.exists(), "no partial output");
        return format!("status {st}");
    }
    let signed = std::fs::read(&output_path).unwrap();
    let (content, content_len) =
        if format == CIE_FORMAT_CADES_DETACHED { (input.as_ptr(), input.len()) } else { (null(), 0) };
    let ca = fixtures::citizen_ca_certificate();
    let mut report = null_mut();
    let st = unsafe {
        cie_verify_buffer(signed.as_ptr(), signed.len(), content, content_len, ca.as_ptr(), ca.len(), &mut report)
    };
    assert_eq!(st, CIE_OK, "{}", last_error());
    let verdict = unsafe { (cie_report_count(report), cie_report_valid(report, 0), cie_report_indication(report)) };
    unsafe { cie_report_free(report) };
    format!("ok, {verdict:?}")
}

/// The same calls with or without the agent, as a transcript of results and status codes.
/// Leaves the card as it found it (PIN and PUK tries full, the test PIN).
fn transcript(stack: &mut VirtualStack) -> Vec<String> {
    let mut t = Vec::new();
    let pin = fixtures::TEST_PIN;
    t.push(format!("open empty reader: {:?}", Card::open(Some("Virtual PCD 00 01")).err()));
    t.push(format!("open unknown reader: {:?}", Card::open(Some("No Such Reader 00 00")).err()));
    let card = Card::open(None).unwrap_or_else(|st| panic!("open: {st} {}", last_error()));
    let c = card.0;
    t.push(format!("reader: {}", text(|b, l| unsafe { cie_card_reader(c, b, l) })));
    t.push(format!("generation: {}", text(|b, l| unsafe { cie_card_generation(c, b, l) })));
    t.push(format!("atr: {:?}", bytes(|b, l| unsafe { cie_card_atr(c, b, l) }).map(|a| hex(&a))));
    t.push(format!("nis: {}", text(|b, l| unsafe { cie_card_nis(c, b, l) })));
    t.push(format!("verified: {:?}", card.verified()));
    t.push(format!("pin tries: {:?}, puk tries: {:?}", card.pin_tries(), card.puk_tries()));
    // Before the PIN.
    t.push(format!("serial: {}", card.serial()));
    t.push(format!("certificate: {:?}", card.certificate().map(|c| c.len())));
    t.push(format!("holder: {}", text(|b, l| unsafe { cie_card_holder_name(c, b, l) })));
    t.push(format!("sign: {:?}", card.sign(b"before the PIN")));
    t.push(format!("cades: {}", cades_of(&card, b"before the PIN")));
    let dir = common::temp_dir("agent-documents");
    let pdf = pdf::classic_pdf("1.7", "Modulo");
    t.push(format!("pades file: {}", signed_file(&card, CIE_FORMAT_PADES, &pdf, &dir)));
    // PIN format, wrong PIN (one try), right PIN.
    t.push(format!("verify 1234: {:?}", card.verify("1234")));
    t.push(format!("verify wrong: {:?}", card.verify("00000000")));
    t.push(format!("pin tries: {:?}, verified: {:?}", card.pin_tries(), card.verified()));
    t.push(format!("verify: {:?}", card.verify(pin)));
    t.push(format!("pin tries: {:?}, verified: {:?}", card.pin_tries(), card.verified()));
    // After the PIN.
    t.push(format!("serial: {}", card.serial()));
    t.push(format!("certificate: {:?}", card.certificate().map(|c| hex(&c))));
    t.push(format!("holder: {}", text(|b, l| unsafe { cie_card_holder_name(c, b, l) })));
    t.push(format!("fiscal code: {}", text(|b, l| unsafe { cie_card_fiscal_code(c, b, l) })));
    let (mut from, mut until) = (0i64, 0i64);
    t.push(format!("validity: {} {from} {until}", unsafe { cie_card_validity(c, &mut from, &mut until) }));
    // PKCS#1 v1.5 is deterministic: the same bytes both ways, checked by whoever holds the
    // session against the certificate's key.
    t.push(format!("sign: {:?}", card.sign(b"with or without the agent").map(|s| hex(&s))));
    let digest = [7u8; 32];
    let mut sig = [0u8; 256];
    let mut len = sig.len();
    let st = unsafe { cie_card_sign_digest(c, CIE_HASH_SHA256, digest.as_ptr(), 31, sig.as_mut_ptr(), &mut len) };
    t.push(format!("sign_digest of 31 bytes: {st}"));
    let mut len = 10;
    let st = unsafe { cie_card_sign_digest(c, CIE_HASH_SHA256, digest.as_ptr(), 32, sig.as_mut_ptr(), &mut len) };
    t.push(format!("sign_digest into 10 bytes: {st} {len}"));
    let mut len = sig.len();
    let st = unsafe { cie_card_sign_digest(c, CIE_HASH_SHA256, digest.as_ptr(), 32, sig.as_mut_ptr(), &mut len) };
    t.push(format!("sign_digest: {st} {}", hex(&sig[..len])));
    t.push(format!("cades: {}", cades_of(&card, b"a document")));
    t.push(format!("pades file: {}", signed_file(&card, CIE_FORMAT_PADES, &pdf, &dir)));
    t.push(format!("cades detached file: {}", signed_file(&card, CIE_FORMAT_CADES_DETACHED, b"content", &dir)));
    t.push(format!("cades file: {}", signed_file(&card, CIE_FORMAT_CADES, b"content", &dir)));
    let _ = std::fs::remove_dir_all(&dir);
    // Passive authentication: trusted with the simulator's CSCA, untrusted by the system's.
    let csca = fixtures::csca_certificate();
    let (mut ok, mut groups) = (-9, 99usize);
    let st = unsafe { cie_card_verify_sod(c, csca.as_ptr(), csca.len(), &mut ok, &mut groups) };
    t.push(format!("verify_sod with the CSCA: {st} {ok} {groups}"));
    let st = unsafe { cie_card_verify_sod(c, null(), 0, &mut ok, &mut groups) };
    t.push(format!("verify_sod with the system's CSCAs: {st} {ok} {groups}"));
    // PIN change: a wrong old PIN spends a try and logs out; then there and back.
    let new = CString::new("11223344").unwrap();
    let old = CString::new(pin).unwrap();
    let wrong = CString::new("00000000").unwrap();
    let mut tries = -9;
    let st = unsafe { cie_card_change_pin(c, wrong.as_ptr(), new.as_ptr(), &mut tries) };
    t.push(format!("change wrong: {st} {tries}, verified: {:?}", card.verified()));
    let st = unsafe { cie_card_change_pin(c, old.as_ptr(), new.as_ptr(), &mut tries) };
    t.push(format!("change: {st} {tries}"));
    let st = unsafe { cie_card_change_pin(c, new.as_ptr(), old.as_ptr(), &mut tries) };
    t.push(format!("change back: {st} {tries}, verified: {:?}", card.verified()));
    // Unblock: a wrong PUK spends a PUK try, the right one restores both counters.
    let puk = CString::new(fixtures::TEST_PUK).unwrap();
    let st = unsafe { cie_card_unblock_pin(c, wrong.as_ptr(), old.as_ptr(), &mut tries) };
    t.push(format!("unblock wrong: {st} {tries}, puk tries: {:?}", card.puk_tries()));
    t.push(format!("verify: {:?}", card.verify(pin)));
    let st = unsafe { cie_card_unblock_pin(c, puk.as_ptr(), old.as_ptr(), &mut tries) };
    t.push(format!("unblock: {st} {tries}, verified: {:?}, puk tries: {:?}", card.verified(), card.puk_tries()));
    t.push(format!("sign after unblock: {:?}", card.sign(b"x").err()));
    // Logout: the certificate once read stays readable, signing needs the PIN again.
    t.push(format!("verify: {:?}", card.verify(pin)));
    t.push(format!("logout: {}", unsafe { cie_card_logout(c) }));
    t.push(format!("verified: {:?}, sign: {:?}", card.verified(), card.sign(b"x").err()));
    t.push(format!("certificate: {:?}", card.certificate().map(|c| c.len())));
    t.push(format!("pin tries: {:?}", card.pin_tries()));
    // The card pulled out: the open handle and a new one say so; back in, a new handle works.
    t.push(format!("verify: {:?}", card.verify(pin)));
    stack.remove_card().unwrap();
    t.push(format!("sign after removal: {:?}", card.sign(b"x").err()));
    t.push(format!("verified: {:?}", card.verified()));
    drop(card);
    t.push(format!("open without card: {:?}", Card::open(None).err()));
    stack.insert_card().unwrap();
    let card = Card::open(None).unwrap_or_else(|st| panic!("open: {st} {}", last_error()));
    t.push(format!("verify: {:?}", card.verify(pin)));
    t.push(format!("sign: {:?}", card.sign(b"back").map(|s| s.len())));
    t
}

#[test]
fn same_results_and_codes_with_and_without_the_agent() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut stack = common::stack();
    assert_eq!(unsafe { cie_set_log_callback(Some(on_log), CIE_LOG_INFO, null_mut()) }, CIE_OK);

    // No agent: the library opens the card itself.
    let alone = runtime_dir("no-agent");
    use_env(&stack, &alone);
    let without = transcript(&mut stack);
    let log = std::mem::take(&mut *LOG.lock().unwrap());
    assert!(!log.is_empty() && log.iter().all(|l| l.contains("in this process")), "{log:?}");

    // The agent: every handle is its client.
    let run = runtime_dir("agent");
    let agent = start_agent(&stack, &run);
    use_env(&stack, &run);
    let with = transcript(&mut stack);
    let log = std::mem::take(&mut *LOG.lock().unwrap());
    assert!(!log.is_empty() && log.iter().all(|l| l.contains("through the card agent")), "{log:?}");
    assert_eq!(unsafe { cie_set_log_callback(None, 0, null_mut()) }, CIE_OK);

    for (a, b) in without.iter().zip(&with) {
        assert_eq!(a, b, "without the agent / with it");
    }
    assert_eq!(without.len(), with.len());
    // What the transcript shows, once.
    let expect = [
        format!("open empty reader: Some({CIE_ERR_NO_CARD})"),
        format!("open unknown reader: Some({CIE_ERR_NO_READER})"),
        format!("nis: {}", fixtures::TEST_NIS),
        format!("serial: status {CIE_ERR_LOGIN_REQUIRED}"),
        format!("sign: Err({CIE_ERR_LOGIN_REQUIRED})"),
        format!("cades: status {CIE_ERR_LOGIN_REQUIRED}"),
        format!("verify 1234: ({CIE_ERR_BAD_PIN_FORMAT}, -1)"),
        format!("verify wrong: ({CIE_ERR_WRONG_PIN}, 2)"),
        format!("pin tries: ({CIE_OK}, 2), verified: ({CIE_OK}, 0)"),
        format!("verify: ({CIE_OK}, 3)"),
        format!("serial: {}", fixtures::TEST_SERIAL),
        "fiscal code: RSSMRA80A01H501U".to_string(),
        "cades: ok, (1, 1, 0)".to_string(),
        format!("pades file: status {CIE_ERR_LOGIN_REQUIRED}"),
        "pades file: ok, (1, 1, 0)".to_string(),
        "cades detached file: ok, (1, 1, 0)".to_string(),
        "cades file: ok, (1, 1, 0)".to_string(),
        format!("verify_sod with the CSCA: {CIE_OK} 1 6"),
        format!("verify_sod with the system's CSCAs: {CIE_ERR_SOD_UNTRUSTED} 0 6"),
        format!("change wrong: {CIE_ERR_WRONG_PIN} 2, verified: ({CIE_OK}, 0)"),
        format!("change back: {CIE_OK} 3, verified: ({CIE_OK}, 0)"),
        format!("unblock wrong: {CIE_ERR_WRONG_PUK} 9, puk tries: ({CIE_OK}, 9)"),
        format!("unblock: {CIE_OK} -1, verified: ({CIE_OK}, 0), puk tries: ({CIE_OK}, 10)"),
        format!("sign after unblock: Some({CIE_ERR_LOGIN_REQUIRED})"),
        format!("verified: ({CIE_OK}, 0), sign: Some({CIE_ERR_LOGIN_REQUIRED})"),
        format!("sign after removal: Some({CIE_ERR_CARD_REMOVED})"),
        format!("open without card: Some({CIE_ERR_NO_CARD})"),
        "sign: Ok(256)".to_string(),
    ];
    for line in expect {
        assert!(with.contains(&line), "{line:?} not in {with:#?}");
    }
    drop(agent);
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&alone);
}

#[test]
fn the_handle_is_the_agents_client_and_logins_stay_apart() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let stack = common::stack();
    let run = runtime_dir("clients");
    let agent = start_agent(&stack, &run);
    use_env(&stack, &run);
    let pin = fixtures::TEST_PIN;

    let a = Card::open(None).unwrap();
    let b = Card::open(Some(stack.reader_name())).unwrap();
    // Both handles are clients of the agent, neither logged in.
    wait_clients(&run, (2, 0), "clients");
    assert_eq!(a.verify(pin), (CIE_OK, 3), "{}", last_error());
    wait_clients(&run, (2, 1), "clients");

    // A's login does not serve B.
    assert_eq!(b.verified(), (CIE_OK, 0));
    assert_eq!(b.sign(b"not mine"), Err(CIE_ERR_LOGIN_REQUIRED));
    assert_eq!(b.serial(), format!("status {CIE_ERR_LOGIN_REQUIRED}"));
    assert_eq!(b.certificate(), Err(CIE_ERR_LOGIN_REQUIRED));
    assert!(a.sign(b"mine").is_ok(), "{}", last_error());

    // B's wrong PIN spends exactly one try, reported to B; A still signs (the agent verifies
    // A's PIN again), which makes the count full again.
    assert_eq!(b.verify("00000000"), (CIE_ERR_WRONG_PIN, 2));
    assert_eq!(b.pin_tries(), (CIE_OK, 2));
    assert_eq!(a.verified(), (CIE_OK, 1));
    assert!(a.sign(b"still mine").is_ok(), "{}", last_error());
    assert_eq!(b.pin_tries(), (CIE_OK, 3));
    assert_eq!(b.sign(b"not mine"), Err(CIE_ERR_LOGIN_REQUIRED));

    // Freeing A ends its login (its connection closes); B is still connected.
    drop(a);
    wait_clients(&run, (1, 0), "after A was freed");
    assert_eq!(b.verify(pin), (CIE_OK, 3));
    wait_clients(&run, (1, 1), "clients");
    // B's logout ends its login at the agent too.
    assert_eq!(unsafe { cie_card_logout(b.0) }, CIE_OK);
    wait_clients(&run, (1, 0), "clients");
    assert_eq!(b.sign(b"logged out"), Err(CIE_ERR_LOGIN_REQUIRED));
    drop(b);
    wait_clients(&run, (0, 0), "after B was freed");
    drop(agent);
    let _ = std::fs::remove_dir_all(&run);
}

#[test]
fn agent_killed_mid_use_is_a_clean_status_and_the_next_handle_works_alone() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let stack = common::stack();
    let run = runtime_dir("killed");
    let mut agent = start_agent(&stack, &run);
    use_env(&stack, &run);
    let pin = fixtures::TEST_PIN;

    let card = Card::open(None).unwrap();
    assert_eq!(card.verify(pin), (CIE_OK, 3));
    assert!(card.sign(b"before").is_ok(), "{}", last_error());
    wait_clients(&run, (1, 1), "clients");

    agent.child.kill().unwrap();
    agent.child.wait().unwrap();
    // Every card call of the handle now says the agent is gone, whatever it asks.
    assert_eq!(card.sign(b"after"), Err(CIE_ERR_AGENT));
    assert!(last_error().contains("card agent") && last_error().contains("open the card again"), "{}", last_error());
    assert_eq!(card.sign(b"again"), Err(CIE_ERR_AGENT));
    // A document is built here; only its signature went to the agent.
    let data = b"a document";
    let mut out = vec![0u8; 64 * 1024];
    let mut len = out.len();
    let st = unsafe {
        cie_card_sign_buffer(
            card.0,
            CIE_FORMAT_CADES,
            CIE_HASH_SHA256,
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            &mut len,
        )
    };
    assert_eq!(st, CIE_ERR_AGENT, "{}", last_error());
    assert_eq!(card.serial(), format!("status {CIE_ERR_AGENT}"));
    assert_eq!(card.pin_tries().0, CIE_ERR_AGENT);
    assert_eq!(card.puk_tries().0, CIE_ERR_AGENT);
    assert_eq!(unsafe { cie_card_logout(card.0) }, CIE_ERR_AGENT);
    assert_eq!(card.verified(), (CIE_OK, 0));
    assert_eq!(card.verify(pin).0, CIE_ERR_AGENT);
    drop(card);

    // No agent answers now (its socket is stale): the next handle opens the card itself, and
    // the kill spent no PIN try.
    let card = Card::open(None).unwrap_or_else(|st| panic!("open: {st} {}", last_error()));
    assert_eq!(card.pin_tries(), (CIE_OK, 3));
    assert_eq!(card.verify(pin), (CIE_OK, 3));
    assert!(card.sign(b"in this process").is_ok(), "{}", last_error());
    assert_eq!(cades_of(&card, b"a document"), "ok, (1, 1, 0)");
    drop(card);
    let _ = std::fs::remove_dir_all(&run);
}
