//! `cie pin change|unblock`, `cie sign --format cades|cades-detached|pades` (and `--cosign`)
//! and `cie verify-sod` on the card through the card agent and in-process, over the real PC/SC stack: the same output, exit
//! codes and PIN tries both ways (a wrong PIN or PUK spends exactly one try either way, counted
//! by the simulator), the agent seen in use (`CIE_LOG=info`), and every signed document checked
//! by verifiers written elsewhere (`openssl cms -verify`, poppler's `pdfsig`) and by `cie verify`.

mod cli_util;

#[path = "../cie-sign/tests/common/http_request.rs"]
mod http_request;
#[path = "../cie-sign/tests/common/pdf.rs"]
mod pdf;
#[path = "../cie-sign/tests/common/tsa.rs"]
mod tsa;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cie_agent::AgentClient;
use cie_core::session::PinStatus;
use cie_sim::stack::StackOptions;
use cli_util::agent::{pin_tries, runtime_dir, socket, start_agent};
use cli_util::{on_terminal_with, tool, Card, Run, TEST_PIN, TEST_PUK};

/// What a step of a scenario left behind: exit code, standard output and error, the PIN and
/// PUK commands the card received, and the PIN's state read afterwards (when read: reading it
/// in this process replaces the agent's secure channel, which the agent then rebuilds, with a
/// VERIFY the card refuses at the secure-messaging layer, spending no try but counted).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    pin_commands: u64,
    pin: Option<PinStatus>,
}

/// The PIN commands the card received so far, once the simulator counted the last answer (it
/// counts on a thread of its own, just after answering).
fn settled_pin_commands(card: &mut Card) -> u64 {
    let mut last = card.stack.counts().unwrap().pin_commands;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let now = card.stack.counts().unwrap().pin_commands;
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the simulator's counts never settled");
}

/// Runs `cie ARGS` with `stdin` in `env`, counting the PIN commands the card received.
fn step(card: &mut Card, env: &[(&str, &str)], args: &[&str], stdin: &str) -> (Run, u64) {
    let before = settled_pin_commands(card);
    let r = card.cie_env(env, args, stdin);
    (r, settled_pin_commands(card) - before)
}

/// The PIN's whole life through `cie pin`: wrong current PIN, change, the PIN blocked by wrong
/// PINs, a wrong PUK, unblock; then the card is as at the start (PIN TEST_PIN, 3 tries). The
/// tries left are the card's answers, in the messages.
fn pin_scenario(card: &mut Card, env: &[(&str, &str)]) -> Vec<Outcome> {
    let new = "11223344";
    let steps: Vec<(Vec<&str>, String)> = vec![
        (vec!["pin", "change", "--pin-stdin"], format!("99999999\n{new}\n")),
        (vec!["pin", "change", "--pin-stdin"], format!("{TEST_PIN}\n{new}\n")),
        (vec!["--json", "pin", "change", "--pin-stdin"], format!("99999999\n{TEST_PIN}\n")),
        (vec!["pin", "change", "--pin-stdin"], format!("99999999\n{TEST_PIN}\n")),
        (vec!["--json", "pin", "change", "--pin-stdin"], format!("99999999\n{TEST_PIN}\n")),
        (vec!["pin", "change", "--pin-stdin"], format!("{new}\n{TEST_PIN}\n")),
        (vec!["pin", "unblock", "--pin-stdin"], format!("99999999\n{TEST_PIN}\n")),
        (vec!["--json", "pin", "unblock", "--pin-stdin"], format!("{TEST_PUK}\n{TEST_PIN}\n")),
        (vec!["pin", "change", "--pin-stdin"], "1234\n".into()),
        (vec!["--json", "info"], String::new()),
    ];
    steps
        .iter()
        .map(|(args, stdin)| {
            let (r, pin_commands) = step(card, env, args, stdin);
            Outcome { code: r.code, stdout: r.stdout, stderr: r.stderr, pin_commands, pin: None }
        })
        .collect()
}

#[test]
fn pin_change_and_unblock_same_with_and_without_the_agent() {
    let mut card = Card::start("agent-pin");
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap().to_owned();
    let env = [("XDG_RUNTIME_DIR", run_s.as_str())];

    let without = pin_scenario(&mut card, &env);
    // Exit code, PIN commands sent (a wrong PIN or PUK: its VERIFY alone), what is said.
    let expected = [
        (3, 1, "wrong PIN: 2 tries left"),
        (0, 2, "PIN changed"),
        (3, 1, r#""error":"wrong PIN: 2 tries left""#),
        (3, 1, "wrong PIN: 1 try left"),
        (4, 1, "PIN blocked"),
        (4, 1, "PIN blocked"),
        (3, 1, "wrong PUK: 9 tries left"),
        (0, 2, r#"{"ok":true}"#),
        (2, 0, "8 digits"),
        (0, 0, r#""pin_tries_left":3"#),
    ];
    for (k, (o, (code, pin_commands, said))) in without.iter().zip(expected).enumerate() {
        assert_eq!((o.code, o.pin_commands), (Some(code), pin_commands), "step {k}: {o:?}");
        assert!(o.stdout.contains(said) || o.stderr.contains(said), "step {k}: {said}: {o:?}");
    }
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));

    // The same steps through the agent: every outcome the same, to the byte and the try.
    let agent = start_agent(&card, &run, &["--idle", "0"]);
    let with = pin_scenario(&mut card, &env);
    for (k, (a, b)) in without.iter().zip(&with).enumerate() {
        assert_eq!(a, b, "step {k}: in-process vs through the agent");
    }

    // The agent was used, and it holds the card's session.
    let info = [("XDG_RUNTIME_DIR", run_s.as_str()), ("CIE_LOG", "info")];
    let (r, pin_commands) = step(&mut card, &info, &["pin", "change", "--pin-stdin"], "99999999\n11223344\n");
    assert_eq!((r.code, pin_commands), (Some(3), 1), "{r:?}");
    assert!(r.stderr.contains("using the card agent"), "{r:?}");
    let status = AgentClient::connect_to(&socket(&run)).unwrap().status().unwrap();
    assert!(status.cards.iter().any(|c| c.nis.as_deref() == Some(cli_util::TEST_NIS)), "{status:?}");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(2));
    let (r, _) = step(&mut card, &env, &["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n{TEST_PIN}\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));

    // The agent killed (SIGKILL): its socket stays behind and answers nobody, so the next
    // command falls back to the in-process path, with the same answer.
    drop(agent);
    assert!(socket(&run).exists(), "a stale socket");
    let (r, pin_commands) = step(&mut card, &info, &["pin", "change", "--pin-stdin"], "99999999\n11223344\n");
    assert_eq!((r.code, pin_commands, r.stdout.as_str()), (Some(3), 1, without[0].stdout.as_str()), "{r:?}");
    assert!(!r.stderr.contains("using the card agent") && r.stderr.contains("wrong PIN: 2 tries left"), "{r:?}");
    let (r, _) = step(&mut card, &env, &["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n{TEST_PIN}\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));
}

/// What a terminal showed, without the progress spinner's frames (redrawn on a timer, so their
/// number varies from run to run).
fn without_spinner(shown: &str) -> String {
    let spinning = |c: char| ('\u{2800}'..='\u{28ff}').contains(&c);
    shown
        .split("\r\n")
        .flat_map(|line| line.split("\r\u{1b}[2K"))
        .filter(|part| !part.starts_with(spinning))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `cie pin change` on a terminal at the PIN's last try: declined (nothing sent to the card),
/// then accepted with the current PIN and the new one twice. (exit code, what the terminal
/// showed, PIN commands) of each.
fn last_try_scenario(card: &mut Card, env: &[(&str, &str)]) -> Vec<(Option<i32>, String, u64)> {
    for _ in 0..2 {
        let (r, _) = step(card, env, &["pin", "change", "--pin-stdin"], &format!("99999999\n{TEST_PIN}\n"));
        assert_eq!(r.code, Some(3), "{r:?}");
    }
    let question = "one try left: a wrong PIN blocks the card; continue? [y/N] ";
    let runs: [&[(&str, &str)]; 2] = [
        &[(question, "n")],
        &[
            (question, "y"),
            ("current PIN (8 digits): ", TEST_PIN),
            ("new PIN (8 digits): ", TEST_PIN),
            ("new PIN again: ", TEST_PIN),
        ],
    ];
    runs.iter()
        .map(|answers| {
            let before = settled_pin_commands(card);
            let (code, shown) = on_terminal_with(card, env, "pin change", answers);
            (code, without_spinner(&shown), settled_pin_commands(card) - before)
        })
        .collect()
}

#[test]
fn last_try_confirmed_on_the_terminal_with_and_without_the_agent() {
    let mut card = Card::start("agent-last-try");
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap().to_owned();
    let env = [("XDG_RUNTIME_DIR", run_s.as_str())];
    let without = last_try_scenario(&mut card, &env);
    assert_eq!((without[0].0, without[0].2), (Some(1), 0), "{:?}", without[0]);
    assert!(without[0].1.contains("the PIN was not tried"), "{:?}", without[0]);
    assert!(!without[0].1.contains("current PIN"), "no PIN asked: {:?}", without[0]);
    assert_eq!((without[1].0, without[1].2), (Some(0), 2), "{:?}", without[1]);
    assert!(without[1].1.contains("PIN changed"), "{:?}", without[1]);
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));

    let _agent = start_agent(&card, &run, &["--idle", "0"]);
    let with = last_try_scenario(&mut card, &env);
    assert_eq!(without, with, "in-process vs through the agent");
    let status = AgentClient::connect_to(&socket(&run)).unwrap().status().unwrap();
    assert!(status.cards.iter().any(|c| c.nis.as_deref() == Some(cli_util::TEST_NIS)), "the agent served: {status:?}");
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes the simulator's citizen CA as PEM into the card's directory.
fn citizen_ca(card: &Card) -> PathBuf {
    let der = card.path("citizen-ca.der");
    std::fs::write(&der, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let pem = card.path("citizen-ca.pem");
    let (ok, _, err) = tool(
        "openssl",
        &[os("x509"), os("-inform"), os("DER"), os("-in"), der.as_os_str(), os("-out"), pem.as_os_str()],
    );
    assert!(ok, "{err}");
    pem
}

/// `openssl cms -verify` of a DER signature against `ca` (with `content` for a detached one).
fn openssl_cms_verifies(sig: &Path, ca: &Path, content: Option<&Path>, out: &Path) -> (bool, String) {
    let mut args = vec![os("cms"), os("-verify"), os("-inform"), os("DER"), os("-in"), sig.as_os_str(), os("-binary")];
    // The citizen certificate is an authentication certificate (clientAuth): not S/MIME.
    args.extend([os("-CAfile"), ca.as_os_str(), os("-purpose"), os("any"), os("-out"), out.as_os_str()]);
    if let Some(c) = content {
        args.extend([os("-content"), c.as_os_str()]);
    }
    let (ok, _, err) = tool("openssl", &args);
    (ok && err.contains("Verification successful"), err)
}

/// `pdfsig FILE`: (signatures found valid, signatures, output).
fn pdfsig(file: &Path) -> (usize, usize, String) {
    let (_, out, err) = tool("pdfsig", &[file.as_os_str()]);
    let valid = out.matches("Signature Validation: Signature is Valid.").count();
    let total = out.matches("Signature Validation:").count();
    (valid, total, format!("{out}{err}"))
}

/// Every document form of `cie sign`, signed in `dir` (a fresh directory per mode), each
/// output checked by an outside verifier and by `cie verify`; the outcomes to compare.
fn document_scenario(
    card: &mut Card,
    env: &[(&str, &str)],
    dir: &Path,
    ca: &Path,
    tsa: &tsa::LocalTsa,
) -> Vec<Outcome> {
    std::fs::create_dir_all(dir).unwrap();
    let doc = dir.join("domanda.txt");
    std::fs::write(&doc, b"Il sottoscritto chiede il rilascio del certificato di residenza.\n").unwrap();
    let pdf = dir.join("modulo.pdf");
    std::fs::write(&pdf, pdf::classic_pdf("1.7", "Modulo")).unwrap();
    let (p7m, p7s, signed_pdf, cosigned) =
        (dir.join("domanda.txt.p7m"), dir.join("domanda.txt.p7s"), dir.join("modulo-signed.pdf"), dir.join("co.p7m"));
    let stamped = dir.join("stamped.pdf");
    let wrong = dir.join("wrong.pdf");
    let pin = format!("{TEST_PIN}\n");
    let steps: Vec<(Vec<&str>, &str)> = vec![
        (vec!["sign", "--format", "cades", "--pin-stdin", "-i", s(&doc)], &pin),
        (vec!["--json", "sign", "--format", "p7s", "--pin-stdin", "-i", s(&doc)], &pin),
        (vec!["sign", "--format", "pades", "--pin-stdin", "-i", s(&pdf)], &pin),
        (vec!["sign", "--format", "cades", "--cosign", "--pin-stdin", "-i", s(&p7m), "-o", s(&cosigned)], &pin),
        // PAdES B-T: the CLI asks the TSA, the agent only signs.
        (
            vec![
                "--json",
                "sign",
                "--format",
                "pades",
                "--timestamp",
                tsa.url(),
                "--pin-stdin",
                "-i",
                s(&pdf),
                "-o",
                s(&stamped),
            ],
            &pin,
        ),
        // A wrong PIN: one try spent, nothing written.
        (vec!["sign", "--format", "pades", "--pin-stdin", "-i", s(&pdf), "-o", s(&wrong)], "99999999\n"),
    ];
    let outcomes: Vec<Outcome> = steps
        .iter()
        .map(|(args, stdin)| {
            let (r, pin_commands) = step(card, env, args, stdin);
            // The paths differ between the two runs: compare the text without them.
            let unplaced = |t: String| t.replace(s(dir), "DIR");
            let o = Outcome {
                code: r.code,
                stdout: unplaced(r.stdout),
                stderr: unplaced(r.stderr),
                pin_commands,
                pin: Some(pin_tries(card)),
            };
            if o.pin == Some(PinStatus::TriesLeft(2)) {
                // Back to 3 tries for the next run (VERIFY with the right PIN).
                let r = card.cie_env(&[("XDG_RUNTIME_DIR", "/nonexistent")], &["cert", "--pin-stdin"], &pin);
                assert_eq!(r.code, Some(0), "{r:?}");
            }
            o
        })
        .collect();
    assert!(!wrong.exists(), "nothing written after a wrong PIN");

    let out = dir.join("openssl-out");
    let (ok, err) = openssl_cms_verifies(&p7m, ca, None, &out);
    assert!(ok, "openssl cms -verify {}: {err}", p7m.display());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&doc).unwrap());
    let (ok, err) = openssl_cms_verifies(&p7s, ca, Some(&doc), &out);
    assert!(ok, "openssl cms -verify {}: {err}", p7s.display());
    let (ok, err) = openssl_cms_verifies(&cosigned, ca, None, &out);
    assert!(ok, "openssl cms -verify {}: {err}", cosigned.display());
    let (valid, total, out) = pdfsig(&signed_pdf);
    assert_eq!((valid, total), (1, 1), "pdfsig: {out}");
    for file in [&p7m, &p7s, &signed_pdf, &cosigned] {
        let r = card.cie(&["verify", s(file), "--ca", s(ca)], "");
        assert_eq!(r.code, Some(0), "cie verify {}: {r:?}", file.display());
    }
    let r = card.cie(&["verify", s(&cosigned), "--ca", s(ca)], "");
    assert!(r.stdout.contains("all 2 signatures valid"), "{r:?}");
    let (valid, total, out) = pdfsig(&stamped);
    assert_eq!((valid, total), (1, 1), "pdfsig: {out}");
    let r = card.cie(&["--json", "verify", s(&stamped), "--ca", s(ca), "--ca", s(&tsa.root_path())], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(r#""proof_of_existence":true"#), "{r:?}");
    outcomes
}

#[test]
fn documents_signed_the_same_with_and_without_the_agent() {
    let mut card = Card::start("agent-documents");
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap().to_owned();
    let env = [("XDG_RUNTIME_DIR", run_s.as_str())];
    let ca = citizen_ca(&card);

    let tsa = tsa::LocalTsa::start(&card.path("tsa"));
    let local = card.path("local");
    let without = document_scenario(&mut card, &env, &local, &ca, &tsa);
    assert_eq!(tsa.served(), 1);
    for (k, o) in without.iter().take(5).enumerate() {
        assert_eq!((o.code, o.pin_commands, o.pin), (Some(0), 1, Some(PinStatus::TriesLeft(3))), "step {k}: {o:?}");
    }
    assert!(without[0].stdout.contains("CAdES-BES enveloping (.p7m)"), "{:?}", without[0]);
    assert!(without[1].stdout.contains(r#""format":"CAdES-BES detached""#), "{:?}", without[1]);
    assert!(without[2].stdout.contains("PAdES B-B"), "{:?}", without[2]);
    assert!(without[4].stdout.contains(r#""format":"PAdES B-T""#), "{:?}", without[4]);
    let wrong = &without[5];
    assert_eq!((wrong.code, wrong.pin_commands, wrong.pin), (Some(3), 1, Some(PinStatus::TriesLeft(2))), "{wrong:?}");
    assert!(wrong.stderr.contains("wrong PIN: 2 tries left"), "{wrong:?}");

    let _agent = start_agent(&card, &run, &["--idle", "0"]);
    let through = card.path("agent");
    let with = document_scenario(&mut card, &env, &through, &ca, &tsa);
    assert_eq!(tsa.served(), 2);
    for (k, (a, b)) in without.iter().zip(&with).enumerate() {
        assert_eq!(a, b, "step {k}: in-process vs through the agent");
    }

    // The agent was used.
    let info = [("XDG_RUNTIME_DIR", run_s.as_str()), ("CIE_LOG", "info")];
    let doc = card.path("agent/domanda.txt");
    let out = card.path("agent/again.p7m");
    let r = card.cie_env(&info, &["sign", "--format", "cades", "--pin-stdin", "-i", s(&doc), "-o", s(&out)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("using the card agent"), "{r:?}");
}

/// `cie verify-sod` on the card, without and with the PIN, trusted, untrusted, a wrong PIN: the
/// outcomes to compare.
fn sod_scenario(card: &mut Card, env: &[(&str, &str)], csca: &Path) -> Vec<Outcome> {
    let pin = format!("{TEST_PIN}\n");
    let steps: Vec<(Vec<&str>, &str)> = vec![
        (vec!["verify-sod", "--csca", s(csca)], ""),
        (vec!["--json", "verify-sod", "--csca", s(csca)], ""),
        (vec!["verify-sod", "--pin-stdin", "--csca", s(csca)], &pin),
        (vec!["--json", "verify-sod", "--pin-stdin", "--csca", s(csca)], &pin),
        // The built-in Italian CSCAs only: the simulator's Document Signer is not trusted.
        (vec!["verify-sod"], ""),
        (vec!["verify-sod", "--pin-stdin", "--csca", s(csca)], "99999999\n"),
        (vec!["verify-sod", "--pin-stdin", "--csca", s(csca)], &pin),
    ];
    steps
        .iter()
        .map(|(args, stdin)| {
            let (r, pin_commands) = step(card, env, args, stdin);
            Outcome { code: r.code, stdout: r.stdout, stderr: r.stderr, pin_commands, pin: None }
        })
        .collect()
}

#[test]
fn verify_sod_same_with_and_without_the_agent() {
    // The old EF.SOD profile lists the card number and the certificate (checked after login).
    let mut card = Card::start_with("agent-sod", StackOptions { sod: Some("old".into()), ..StackOptions::default() });
    let run = runtime_dir(&card);
    let run_s = run.to_str().unwrap().to_owned();
    let config = card.path("config");
    let env = [("XDG_RUNTIME_DIR", run_s.as_str()), ("XDG_CONFIG_HOME", s(&config))];
    let csca = card.path("csca.der");
    std::fs::write(&csca, cie_sim::fixtures::csca_certificate()).unwrap();

    let without = sod_scenario(&mut card, &env, &csca);
    let expected = [(0, 0, 4), (0, 0, 0), (0, 1, 6), (0, 1, 0), (6, 0, 4), (3, 1, 0), (0, 1, 6)];
    for (k, (o, (code, pin_commands, matches))) in without.iter().zip(expected).enumerate() {
        assert_eq!((o.code, o.pin_commands), (Some(code), pin_commands), "step {k}: {o:?}");
        assert_eq!(o.stdout.matches("hash matches").count(), matches, "step {k}: {o:?}");
    }
    assert!(without[0].stdout.contains("key 83 answered a fresh challenge): not a copy"), "{:?}", without[0]);
    assert!(without[1].stdout.contains(r#""chain":"trusted""#), "{:?}", without[1]);
    assert!(without[3].stdout.contains(r#""data_groups":["A1","A4","A5","1B","A2","A3"]"#), "{:?}", without[3]);
    assert!(without[4].stderr.contains("EF.SOD is intact but NOT trusted"), "{:?}", without[4]);
    assert!(without[5].stderr.contains("wrong PIN: 2 tries left"), "{:?}", without[5]);

    let _agent = start_agent(&card, &run, &["--idle", "0"]);
    let with = sod_scenario(&mut card, &env, &csca);
    for (k, (a, b)) in without.iter().zip(&with).enumerate() {
        assert_eq!(a, b, "step {k}: in-process vs through the agent");
    }

    // Another client logged in to the agent does not give this one the holder's files, and
    // the agent was used.
    let mut other = AgentClient::connect_to(&socket(&run)).unwrap();
    other.login(None, TEST_PIN.as_bytes()).unwrap();
    let info = [("XDG_RUNTIME_DIR", run_s.as_str()), ("XDG_CONFIG_HOME", s(&config)), ("CIE_LOG", "info")];
    let (r, pin_commands) = step(&mut card, &info, &["verify-sod", "--csca", s(&csca)], "");
    assert_eq!((r.code, pin_commands), (Some(0), 0), "{r:?}");
    assert_eq!(r.stdout, without[0].stdout);
    assert!(r.stderr.contains("using the card agent"), "{r:?}");
    assert_eq!(pin_tries(&card), PinStatus::TriesLeft(3));
}
