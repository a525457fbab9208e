//! The card session end to end through a real pcscd (issue 3, "Done when"): the simulated CIE
//! sits in vsmartcard's vpcd reader of an isolated pcscd (`cie_sim::stack`), and cie-core talks
//! to it through `PcscTransport`, exactly as with a real reader.
//!
//! - the full citizen flow on generations that select the IAS AID, the MF, and read the DH
//!   parameters in one call;
//! - the card removed in the middle of a session, then reinserted;
//! - another process resetting the card between two signatures;
//! - two processes signing in parallel.
//!
//! Needs root and the packages `cargo xtask test` installs, and the `cie-sim` binary built
//! next to the test executable (`cargo build --workspace`, which `cargo xtask test` does). Each
//! test starts its own stack; a process has one stack at a time, so they run one after another.
//! Every PC/SC phase and every child process runs under a time limit.

mod common;

use std::time::Instant;

use cie_core::csca::CscaSet;
use cie_core::session::PinStatus;
use cie_core::sign::HashAlg;
use cie_core::sod::SignatureAlgorithm;
use cie_core::variant::{Generation, RootSelect};
use cie_core::{interop, Credential, Error};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::Profile;
use common::*;

/// Entry point of the helper processes (see `common::worker_main`); does nothing in a normal run.
#[test]
#[ignore = "entry point of the helper processes that the multi-process tests start"]
fn pcsc_worker() {
    worker_main();
}

// ---------------------------------------------------------------------------------------------
// 1. The full flow on several generations.

/// SELECT of the IAS application (PROTOCOL.md §1.2), as pcscd logs it.
fn select_ias_aid() -> String {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x0C, interop::IAS_AID.len() as u8];
    apdu.extend(interop::IAS_AID);
    log_hex(&apdu)
}

const SELECT_MF: &str = "00 A4 00 00";
/// GET DATA of g, p and q in one call (PROTOCOL.md §4.1, first Gemalto generation).
const GET_DH_PARAMS_ONE_CALL: &str = "00 CB 3F FF 0A 4D 08 70 06 BF A1 01 02 A3 80";
/// GET DATA of one DH parameter (the prefix of the three-call variant).
const GET_DH_PARAM_PREFIX: &str = "00 CB 3F FF 0C 4D 0A 70 08 BF A1 01 04 A3 02";

/// Detect the generation, read the NIS, verify the PIN, read the certificate, sign and verify
/// with the certificate's key, verify EF.SOD up to the CSCA; then check in pcscd's own APDU log
/// how the card was selected and how the DH parameters were read.
fn full_flow(profile: Profile, generation: Generation, sod: SodProfile) {
    let stack = start_stack(profile, sod);
    let reader = stack.reader_name().to_owned();
    let started = Instant::now();
    let one_signature_cost = within(&format!("full flow on {}", profile.name()), LIMIT, move || {
        let (mut s, counter) = open(&reader);
        assert_eq!(s.generation(), generation, "generation detected through pcscd");
        assert_eq!(s.atr(), profile.atr());
        assert_eq!(s.nis(), fixtures::TEST_NIS);
        assert!(matches!(s.certificate(), Err(Error::LoginRequired)), "certificate before the PIN");

        s.verify_pin(&pin()).unwrap();
        assert!(s.is_logged_in());
        let cert = s.certificate().unwrap();
        assert_eq!(cert, fixtures::card_image(sod).certificate);
        let key = certificate_key(&cert);
        for alg in [HashAlg::Sha256, HashAlg::Sha512] {
            let data = format!("challenge for {} with {}", profile.name(), alg.name());
            let sig = s.sign(alg, data.as_bytes()).unwrap();
            assert_eq!(sig.len(), 256);
            assert_signature(&key, alg, data.as_bytes(), &sig);
        }
        let before = exchanges(&counter);
        let sig = s.sign(HashAlg::Sha256, b"one more").unwrap();
        let cost = exchanges(&counter) - before;
        assert_signature(&key, HashAlg::Sha256, b"one more", &sig);

        assert_eq!(s.serial().unwrap(), fixtures::TEST_SERIAL);
        let mut trust = CscaSet::new();
        trust.add_der(fixtures::csca_certificate()).unwrap();
        let report = s.verify_sod(&trust).unwrap();
        assert!(report.trusted());
        let mut checked = report.checked.clone();
        checked.sort_unstable();
        assert_eq!(checked, [0x1B, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5]);
        let signature = match sod {
            SodProfile::Sha256Pkcs1 => SignatureAlgorithm::Pkcs1(HashAlg::Sha1),
            SodProfile::Sha512Pss => SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 },
        };
        assert_eq!(report.signature, signature);
        cost
    });
    assert!(one_signature_cost <= 3, "a signature after login cost {one_signature_cost} exchanges");

    let apdus = logged_apdus(stack.log_dir());
    let count = |wanted: &str| apdus.iter().filter(|a| a.as_str() == wanted).count();
    let ias = count(&select_ias_aid());
    let mf = count(SELECT_MF);
    match generation.root_select() {
        RootSelect::IasAid => assert!(ias > 0 && mf == 0, "IAS AID selected {ias} times, MF {mf} times"),
        RootSelect::MasterFile => assert!(mf > 0 && ias == 0, "MF selected {mf} times, IAS AID {ias} times"),
    }
    let one_call = count(GET_DH_PARAMS_ONE_CALL);
    let per_param = apdus.iter().filter(|a| a.starts_with(GET_DH_PARAM_PREFIX)).count();
    if generation.dh_params_one_call() {
        assert_eq!((one_call, per_param), (1, 0), "DH parameters in one GET DATA");
    } else {
        assert_eq!((one_call, per_param), (0, 3), "DH parameters in three GET DATA");
    }
    eprintln!(
        "{}: full flow through pcscd in {:?}, {} APDUs in pcscd's log",
        profile.name(),
        started.elapsed(),
        apdus.len()
    );
}

#[test]
fn full_flow_gemalto2_selects_the_ias_aid() {
    full_flow(Profile::Gemalto2, Generation::Gemalto2, SodProfile::Sha256Pkcs1);
}

#[test]
fn full_flow_stm3_selects_the_ias_aid() {
    full_flow(Profile::Stm3, Generation::Stm3, SodProfile::Sha512Pss);
}

#[test]
fn full_flow_nxp_selects_the_mf() {
    full_flow(Profile::Nxp, Generation::Nxp, SodProfile::Sha512Pss);
}

#[test]
fn full_flow_bit4id_b9547_selects_the_mf() {
    full_flow(Profile::Bit4idB9547, Generation::Bit4idB9547, SodProfile::Sha256Pkcs1);
}

#[test]
fn full_flow_gemalto_reads_dh_parameters_in_one_call() {
    full_flow(Profile::Gemalto, Generation::Gemalto, SodProfile::Sha256Pkcs1);
}

// ---------------------------------------------------------------------------------------------
// 2. Card removal.

#[test]
fn card_removed_mid_session_is_a_clean_error_and_a_new_session_works_after_reinsertion() {
    let mut stack = start_stack(Profile::Nxp, SodProfile::Sha256Pkcs1);
    let reader = stack.reader_name().to_owned();

    // A logged-in session that has signed once.
    let r = reader.clone();
    let mut s = within("login and sign", LIMIT, move || {
        let (mut s, _) = open(&r);
        s.verify_pin(&pin()).unwrap();
        let key = certificate_key(&s.certificate().unwrap());
        let sig = s.sign(HashAlg::Sha256, b"before removal").unwrap();
        assert_signature(&key, HashAlg::Sha256, b"before removal", &sig);
        s
    });

    stack.remove_card().unwrap();
    let (mut s, first, second) = within("sign after removal", LIMIT, move || {
        let first = s.sign(HashAlg::Sha256, b"gone").unwrap_err();
        let second = s.pin_status().unwrap_err();
        (s, first, second)
    });
    assert!(first.is_card_removed(), "a removed card is reported as such: {first}");
    assert!(second.is_card_removed(), "and stays reported as removed: {second}");

    stack.insert_card().unwrap();
    // The old connection stays dead (the card in the reader may be another one now).
    // The PIN was forgotten with the removal, so a signature is refused without card access.
    let (stale_sign, stale) = within("old session after reinsertion", LIMIT, move || {
        (s.sign(HashAlg::Sha256, b"stale").unwrap_err(), s.pin_status().unwrap_err())
    });
    assert!(matches!(stale_sign, Error::LoginRequired), "{stale_sign}");
    assert!(matches!(stale, Error::Transport(_)), "{stale}");

    // A new session works; the removal spent no PIN try. Spend one now, and remove the card
    // again in the middle of this second session.
    let r = reader.clone();
    let s = within("second session", LIMIT, move || {
        let (mut s, _) = open(&r);
        assert_eq!(s.pin_status().unwrap(), PinStatus::TriesLeft(3));
        let wrong = cie_core::pin::Pin::new("00000000").unwrap();
        match s.verify_pin(&wrong) {
            Err(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }) => {}
            other => panic!("wrong PIN: {other:?}"),
        }
        s
    });
    stack.remove_card().unwrap();
    let err = within("PIN status after removal", LIMIT, move || {
        let mut s = s;
        s.pin_status().unwrap_err()
    });
    assert!(err.is_card_removed(), "{err}");
    stack.insert_card().unwrap();

    // The card kept its counter (2 tries left) through removal and reinsertion.
    within("third session", LIMIT, move || {
        let (mut s, _) = open(&reader);
        assert_eq!(s.pin_status().unwrap(), PinStatus::TriesLeft(2));
        s.verify_pin(&pin()).unwrap();
        assert_eq!(s.pin_tries_left(), Some(3));
        assert_eq!(s.pin_status().unwrap(), PinStatus::Verified);
        let key = certificate_key(&s.certificate().unwrap());
        let sig = s.sign(HashAlg::Sha256, b"after reinsertion").unwrap();
        assert_signature(&key, HashAlg::Sha256, b"after reinsertion", &sig);
    });
}

// ---------------------------------------------------------------------------------------------
// 3. A reset by another process.

#[test]
fn reset_by_another_process_between_two_signatures_is_recovered() {
    let stack = start_stack(Profile::Gemalto2, SodProfile::Sha256Pkcs1);
    let reader = stack.reader_name().to_owned();

    let (mut s, counter, key) = within("login and sign", LIMIT, move || {
        let (mut s, counter) = open(&reader);
        s.verify_pin(&pin()).unwrap();
        let key = certificate_key(&s.certificate().unwrap());
        let sig = s.sign(HashAlg::Sha256, b"before the reset").unwrap();
        assert_signature(&key, HashAlg::Sha256, b"before the reset", &sig);
        (s, counter, key)
    });

    // Another process: this test executable as a worker, SCardReconnect(SCARD_RESET_CARD).
    let (status, lines) = run_bounded("reset worker", worker_command(&stack, "reset"), LIMIT);
    assert!(status.success(), "reset worker failed ({status}):\n{}", lines.join("\n"));
    assert!(lines.iter().any(|l| worker_line(l) == Some("reset")), "{}", lines.join("\n"));

    let c = counter.clone();
    let k = key.clone();
    let (s2, cost) = within("sign after the reset", LIMIT, move || {
        let before = exchanges(&c);
        let sig = s.sign(HashAlg::Sha256, b"after the reset").unwrap();
        assert_signature(&k, HashAlg::Sha256, b"after the reset", &sig);
        let cost = exchanges(&c) - before;
        (s, cost)
    });
    s = s2;
    assert!(cost > 3, "the session re-established its channel after the reset ({cost} exchanges)");

    // The channel is kept again: the next signature costs at most 3 exchanges.
    let c = counter.clone();
    let (s2, cost) = within("sign again", LIMIT, move || {
        let before = exchanges(&c);
        s.sign(HashAlg::Sha256, b"steady").unwrap();
        let cost = exchanges(&c) - before;
        (s, cost)
    });
    s = s2;
    assert!(cost <= 3, "{cost} exchanges once the channel is back");

    // Another program: OpenSC's `opensc-tool --reset` (a cold reset: SCARD_UNPOWER_CARD).
    let mut tool = std::process::Command::new("opensc-tool");
    tool.args(["--reader", "0", "--reset"]).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
    let (status, lines) = run_bounded("opensc-tool --reset", tool, LIMIT);
    assert!(status.success(), "opensc-tool --reset failed ({status}):\n{}", lines.join("\n"));

    let c = counter.clone();
    within("sign after the cold reset", LIMIT, move || {
        let before = exchanges(&c);
        let sig = s.sign(HashAlg::Sha256, b"after the cold reset").unwrap();
        assert_signature(&key, HashAlg::Sha256, b"after the cold reset", &sig);
        let cost = exchanges(&c) - before;
        assert!(cost > 3, "the channel was re-established after the cold reset ({cost} exchanges)");
        // The held PIN was re-verified: no try spent.
        assert_eq!(s.pin_status().unwrap(), PinStatus::Verified);
        assert_eq!(s.pin_tries_left(), Some(3));
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Two processes signing in parallel.

/// Rounds of one signature per worker, taking turns.
const LOCKSTEP_ROUNDS: usize = 3;
/// Signatures each worker then makes, both at once.
const PARALLEL_SIGNATURES: usize = 20;

/// One reported signature: its index, what it cost in APDU exchanges, its bytes.
fn reported_signatures(label: &str, lines: &[String]) -> Vec<(usize, u64, Vec<u8>)> {
    lines
        .iter()
        .filter_map(|l| worker_line(l))
        .filter_map(|r| r.strip_prefix("sig "))
        .map(|r| {
            let mut parts = r.split(' ');
            let (Some(i), Some(cost), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("{label}: bad signature line {r:?}")
            };
            (i.parse().unwrap(), cost.parse().unwrap(), unhex(sig))
        })
        .collect()
}

#[test]
fn two_processes_signing_in_parallel_both_get_valid_signatures() {
    let stack = start_stack(Profile::Actalis, SodProfile::Sha256Pkcs1);
    let labels = ["worker A", "worker B"];
    let mut workers: Vec<Proc> = labels
        .iter()
        .map(|label| {
            let mut cmd = worker_command(&stack, "sign");
            cmd.env(LABEL_ENV, label);
            Proc::spawn(label, cmd)
        })
        .collect();
    let deadline = Instant::now() + LIMIT;
    for w in &mut workers {
        w.send(fixtures::TEST_PIN);
    }
    // Both log in, each with its own secure channel (the card keeps only the newest one), and
    // stay connected.
    for w in &mut workers {
        w.expect("ready", deadline);
    }
    // Taking turns: every signature but the very first finds the card's channel replaced by
    // the other process's and must rebuild its own (DH, device authentication, PIN).
    for _ in 0..LOCKSTEP_ROUNDS {
        for w in &mut workers {
            w.send("sign 1");
            w.expect("signed", deadline);
        }
    }
    // Both at once: each operation is one PC/SC transaction, so the other process's APDUs
    // cannot land in the middle of a channel rebuild or a signature.
    let started = Instant::now();
    for w in &mut workers {
        w.send(&format!("sign {PARALLEL_SIGNATURES}"));
    }
    for w in &mut workers {
        w.expect("signed", deadline);
    }
    let parallel_time = started.elapsed();

    let expected_cert = fixtures::card_image(SodProfile::Sha256Pkcs1).certificate;
    let key = certificate_key(&expected_cert);
    let mut rebuilds = Vec::new();
    for (n, (label, w)) in labels.iter().zip(workers).enumerate() {
        let (status, lines) = w.finish(deadline);
        assert!(status.success(), "{label} failed ({status}):\n{}", lines.join("\n"));
        let reports: Vec<&str> = lines.iter().filter_map(|l| worker_line(l)).collect();
        assert!(reports.contains(&"done"), "{label}: finished");
        let cert = reports.iter().find_map(|r| r.strip_prefix("cert ")).unwrap();
        assert_eq!(unhex(cert), expected_cert, "{label}: certificate");
        let sigs = reported_signatures(label, &lines);
        assert_eq!(sigs.len(), LOCKSTEP_ROUNDS + PARALLEL_SIGNATURES, "{label}: every signature reported");
        for (k, (i, cost, sig)) in sigs.iter().enumerate() {
            assert_eq!(*i, k, "{label}: signatures in order");
            assert_signature(&key, HashAlg::Sha256, worker_message(label, *i).as_bytes(), sig);
            if k < LOCKSTEP_ROUNDS && (n, k) != (0, 0) {
                assert!(*cost > 3, "{label}: turn {k} cost {cost} exchanges: the other's channel went unnoticed");
            }
        }
        rebuilds.push(sigs[LOCKSTEP_ROUNDS..].iter().filter(|(_, cost, _)| *cost > 3).count());
    }
    eprintln!(
        "two processes x {PARALLEL_SIGNATURES} signatures in parallel: {parallel_time:?}; \
         signatures that rebuilt the channel: {rebuilds:?}"
    );

    // No PIN try was spent by all this.
    let reader = stack.reader_name().to_owned();
    within("PIN counter afterwards", LIMIT, move || {
        let (mut s, _) = open(&reader);
        assert_eq!(s.pin_status().unwrap(), PinStatus::TriesLeft(3));
    });
}
