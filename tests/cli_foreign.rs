//! Cards that are not a CIE are never taken for one and never sent a PIN (issue 21, item 6):
//! for each of the simulator's foreign kinds (an Italian health card on an IAS chip, an EMV
//! bank card, a passport, a bare contactless card; `cie-sim --foreign KIND`, each with the ATR
//! pcsc-tools lists for such a card), through pcscd with real clients: OpenSC's pkcs11-tool
//! lists no CIE token through the module and cannot log in, `cie info`, `cie doctor` and
//! `cie demo` say "not a CIE", and the simulator's counter ([`VirtualStack::counts`]) shows no
//! VERIFY, CHANGE REFERENCE DATA or RESET RETRY COUNTER received. The same clients against a
//! real CIE in the same test make the counter count (and list the token), so the zeros mean
//! something. Debian packages: opensc (pkcs11-tool).

mod cli_util;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use cie_sim::card::ForeignKind;
use cie_sim::stack::StackOptions;
use cli_util::*;

/// The built PKCS#11 module (`cargo build -p cie-pkcs11` first).
fn module() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [deps.parent().unwrap(), deps]
        .iter()
        .map(|d| d.join("libcie_pkcs11.so"))
        .find(|p| p.is_file())
        .expect("libcie_pkcs11.so not built: run `cargo build -p cie-pkcs11` first")
}

/// `pkcs11-tool --module <module> ARGS` against the card's pcscd: (success, stdout + stderr).
fn pkcs11_tool(card: &Card, args: &[&str]) -> (bool, String) {
    let out = Command::new("timeout")
        .args(["-k", "5", "60", "pkcs11-tool", "--module"])
        .arg(module())
        .args(args)
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .env("HOME", &card.dir)
        .env("CIE_PKCS11_CACHE", "off")
        .env_remove("CIE_PKCS11_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("pkcs11-tool (Debian package opensc; `cargo xtask test` installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `cie ARGS` in English with a private home and cache.
fn cie(card: &Card, args: &[&str], stdin: &str) -> Run {
    let home = card.dir.to_str().unwrap();
    let cache = card.dir.join("cache");
    card.cie_env(&[("HOME", home), ("XDG_CACHE_HOME", cache.to_str().unwrap())], args, stdin)
}

/// Everything a citizen's software does with a card, PIN included where it asks for one.
/// Returns the outputs, for the caller to judge.
struct Seen {
    list: String,
    login: (bool, String),
    info: Run,
    doctor: Run,
    demo: Run,
}

fn use_the_card(card: &Card) -> Seen {
    let (ok, list) = pkcs11_tool(card, &["--list-token-slots"]);
    assert!(ok, "{list}");
    let login = pkcs11_tool(card, &["--login", "--pin", TEST_PIN, "--list-objects"]);
    let info = cie(card, &["info", "--pin-stdin"], TEST_PIN);
    let doctor = cie(card, &["doctor"], "");
    let demo = cie(card, &["demo", "--pin-stdin"], TEST_PIN);
    Seen { list, login, info, doctor, demo }
}

#[test]
fn cards_that_are_not_a_cie_are_never_a_token_nor_sent_a_pin() {
    // A real CIE first: the same clients list its token, and its counter counts the PIN.
    let mut cie_card = Card::start_with("foreign-cie", StackOptions::default());
    let seen = use_the_card(&cie_card);
    assert!(seen.list.contains("token label        : CIE 378215946021"), "{}", seen.list);
    assert!(seen.login.0 && seen.login.1.contains("Private Key Object"), "{}", seen.login.1);
    assert_eq!(seen.info.code, Some(0), "{:?}", seen.info);
    assert_eq!(seen.demo.code, Some(0), "{:?}", seen.demo);
    let counts = cie_card.stack.counts().unwrap();
    assert!(counts.pin_commands >= 3, "pkcs11-tool, cie info and cie demo each verified the PIN: {counts:?}");
    drop(cie_card);

    for kind in [ForeignKind::Cns, ForeignKind::Bank, ForeignKind::Passport, ForeignKind::Bare] {
        let options = StackOptions { foreign_kind: Some(kind), ..StackOptions::default() };
        let mut card = Card::start_with(&format!("foreign-{kind}"), options);
        let seen = use_the_card(&card);

        // PKCS#11: the reader's slot has a card, but no CIE token (C_GetTokenInfo answers
        // CKR_TOKEN_NOT_RECOGNIZED); login is impossible.
        assert!(seen.list.contains("Virtual PCD 00 00\n  (token not recognized)"), "{kind}: {}", seen.list);
        assert!(!seen.list.contains("token label"), "{kind}: {}", seen.list);
        assert!(!seen.list.contains("CIE"), "{kind}: {}", seen.list);
        assert!(!seen.login.0, "{kind}: pkcs11-tool logged in: {}", seen.login.1);
        assert!(!seen.login.1.contains("Private Key Object"), "{kind}: {}", seen.login.1);

        // The CLI: not a CIE, in the existing words.
        for (what, r) in [("info", &seen.info), ("demo", &seen.demo)] {
            assert_eq!(r.code, Some(1), "{kind}, cie {what}: {r:?}");
            assert!(
                r.stderr.contains("the card in the reader is not a CIE 3.0; use --reader to pick another reader"),
                "{kind}, cie {what}: {r:?}"
            );
        }
        assert!(!seen.demo.stdout.contains("verify the PIN"), "{kind}: {:?}", seen.demo);
        assert_eq!(seen.doctor.code, Some(7), "{kind}: {:?}", seen.doctor);
        let card_line = seen.doctor.stdout.lines().find(|l| l.contains("card:")).unwrap_or("");
        assert!(card_line.starts_with("PROBLEM") && card_line.contains("not a CIE"), "{kind}: {:?}", seen.doctor);

        // And the card never saw a PIN command; it did see the probing.
        let counts = card.stack.counts().unwrap();
        assert_eq!(counts.pin_commands, 0, "{kind}: {counts:?}");
        assert!(counts.apdus > 0, "{kind}: {counts:?}");
        drop(card);
    }
}

/// The command APDUs and status words of pcscd's log (`pcscd -a`), in order: ("APDU", hex) and
/// ("SW", hex, the response data included).
fn exchanges(card: &Card) -> Vec<(String, String)> {
    let log = std::fs::read_to_string(card.stack.log_dir().join("pcscd.log")).unwrap();
    log.lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(' ')?;
            let (what, hex) = rest.split_once(": ")?;
            matches!(what, "APDU" | "SW").then(|| (what.to_owned(), hex.trim().to_owned()))
        })
        .collect()
}

/// Where each kind parts from a CIE, in pcscd's APDU log: the health card on an IAS chip
/// answers the IAS application and EF.SN.ICC like a CIE and is refused at the CIE application;
/// the passport, whose ATR hints a CIE (Gemalto2's fragment as a multiset), is refused at the
/// IAS application, selects its MF, and is refused at EF.SN.ICC.
#[test]
fn probing_stops_where_the_card_parts_from_a_cie() {
    const SELECT_IAS: &str = "00 A4 04 0C 0D A0 00 00 00 30 80 00 00 00 09 81 60 01";
    let cases = [
        (
            ForeignKind::Cns,
            vec![
                ("APDU", SELECT_IAS),
                ("SW", "90 00"),
                ("APDU", "00 A4 02 04 02 D0 03"),
                ("SW", "90 00"),
                ("APDU", "00 B0 00 00 00"),
                ("SW", "5A 0A 80 39 00 11 99 00 00 42 17 01 62 82"),
                ("APDU", "00 A4 04 0C 06 A0 00 00 00 00 39"),
                ("SW", "6A 82"),
            ],
        ),
        (
            ForeignKind::Passport,
            vec![
                ("APDU", SELECT_IAS),
                ("SW", "6A 82"),
                ("APDU", "00 A4 00 00"),
                ("SW", "90 00"),
                ("APDU", "00 A4 02 04 02 D0 03"),
                ("SW", "6A 82"),
            ],
        ),
    ];
    for (kind, want) in cases {
        let card = Card::start_with(
            &format!("probe-{kind}"),
            StackOptions { foreign_kind: Some(kind), ..StackOptions::default() },
        );
        let r = cie(&card, &["info"], "");
        assert_eq!(r.code, Some(1), "{kind}: {r:?}");
        let seen = exchanges(&card);
        let seen: Vec<(&str, &str)> = seen.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(seen, want, "{kind}");
    }
}
