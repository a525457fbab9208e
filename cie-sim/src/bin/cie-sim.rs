//! `cie-sim`: the simulated CIE as a virtual card of vsmartcard's vpcd reader driver, so that
//! pcscd and every PC/SC application see a CIE in "Virtual PCD 00 00" (TESTING.md).
//!
//! ```text
//! cie-sim [--connect 127.0.0.1:35963] [--profile NAME] [--pin PIN] [--puk PUK]
//!         [--latency realistic|none] [--sod old|new] [--atr HEX] [--read-binary-max N]
//!         [--foreign [other|cns|bank|passport|bare]] [--verbose]
//! ```
//!
//! `--read-binary-max N` (1..=256, default 231 as real cards) is the most data one READ BINARY
//! answers; 256 gives the simulator's former behaviour.
//!
//! `--foreign` serves a card that is not a CIE (`cie_sim::card::ForeignCard` of a
//! `ForeignKind`: a health card, a bank card, a passport, a bare contactless card), as put on
//! the reader by mistake. `--atr` presents any ATR with any profile or foreign card.
//!
//! Control lines on stdin: `remove` (the card leaves the reader at vpcd's next presence poll),
//! `remove-before N` (the card leaves when the N-th APDU from now arrives, before it sees it:
//! pulled while the reader sends a command), `remove-cancel` (drop a scheduled removal), `insert`
//! (the card is inserted again: reconnect, power-on), `sign-fault none|length:N|wrong` (fault
//! injection: every following holder-key signature is answered with N bytes, or is a wrong
//! signature of the right length, or is correct again; acknowledged with `cie-sim: sign fault
//! ...`), `counts` (answered with `cie-sim: counts: N APDUs, M PIN commands`: the APDUs and
//! the VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER commands received so far), `quit`
//! (or end of input). The card, with its PIN and PUK counters, lives as long as the
//! process, across removals.
//! Status lines on stderr (`cie-sim: connected ...`, `cie-sim: ready ...`, `cie-sim: removed`,
//! `cie-sim: removal scheduled`, `cie-sim: sign fault ...`) are what
//! `cie_sim::stack::VirtualStack` waits for. Both kinds of line are `cie_sim::control`'s.

use std::io::BufRead;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cie_sim::card::{ForeignCard, ForeignKind, SignFaultSwitch};
use cie_sim::control::{Control, Counts, Status};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cie_sim::latency::{Latency, LatencyModel};
use cie_sim::vpcd::{Connection, End, Event, Remover, VirtualCard, VPCD_PORT};
use cie_sim::{Atr, Profile, SimCard, SimOptions};

const USAGE: &str = "usage: cie-sim [--connect HOST:PORT] [--profile NAME] [--pin PIN] [--puk PUK] \
[--latency realistic|none] [--sod old|new] [--atr HEX] [--read-binary-max N] [--foreign [KIND]] [--verbose]";

/// `cie-sim --help`: the options and the control lines read from standard input.
const HELP: &str = "cie-sim: a simulated CIE 3.0 as the card of vsmartcard's vpcd reader driver

usage: cie-sim [OPTIONS]

options:
  --connect HOST:PORT        vpcd to connect to (default 127.0.0.1:35963)
  --profile NAME             card generation: NXP (default), Gemalto, ... (see cie_sim::Profile)
  --pin PIN, --puk PUK       the card's PIN and PUK (8 digits; default: the test credentials)
  --latency realistic|none   per-APDU timing model (default none)
  --sod old|new              EF.SOD profile of real cards (default old): old = SHA-256
                             hashes, sha1WithRSA, LDS v0, padded to 3,072 bytes; new =
                             SHA-512 hashes, RSASSA-PSS, LDS v1 (sha256|sha512 are aliases)
  --read-binary-max N        most data bytes one READ BINARY answers, 1..256 (default 231,
                             as real cards; 256: the simulator's former behaviour)
  --atr HEX                  present this ATR instead of the card's own, e.g. \"3B 80 80 01
                             01\" (hex digits, spaces or colons between bytes; 2 to 33 bytes
                             starting with 3B or 3F); works with any profile and --foreign
  --foreign [KIND]           a card that is not a CIE, with its own ATR: other (default: the
                             MF alone), cns (Italian health card on an IAS chip: no CIE
                             application), bank (EMV: payment environments only), passport
                             (eMRTD: reads refused without BAC/PACE), bare (3B 80 80 01 01,
                             every SELECT refused); --profile, --pin, --puk and --sod do not
                             apply to it
  -v, --verbose              log every APDU (INS and lengths) on standard error
  -h, --help                 this text

control lines on standard input (one per line):
  remove    the card leaves the reader (pcscd notices at its next presence poll, within
            about 0.4 s; after 2 s the connection is dropped anyway)
  insert    the card is put back: reconnect and power-on; PIN and PUK counters are kept
  counts    answered with \"cie-sim: counts: N APDUs, M PIN commands\": the APDUs received so
            far, and of them the VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER ones
  quit      stop (the end of standard input does the same)

status lines on standard error: \"cie-sim: connected ...\", \"cie-sim: ready ...\" (pcscd
powered the card and read its ATR), \"cie-sim: removed\" (vpcd saw the removal).
`cargo xtask with-card --control FIFO -- CMD` starts pcscd + vpcd + cie-sim and forwards the
lines written to FIFO (`echo remove > FIFO`).";

/// Command-line options.
struct Options {
    connect: SocketAddr,
    profile: String,
    pin: Option<String>,
    puk: Option<String>,
    latency: LatencyModel,
    sod: String,
    atr: Option<Atr>,
    foreign: Option<ForeignKind>,
    read_binary_max: usize,
    verbose: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        connect: SocketAddr::from(([127, 0, 0, 1], VPCD_PORT)),
        profile: "NXP".into(),
        pin: None,
        puk: None,
        latency: LatencyModel::NONE,
        sod: "sha256".into(),
        atr: None,
        foreign: None,
        read_binary_max: cie_sim::card::READ_BINARY_MAX,
        verbose: false,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "--verbose" || flag == "-v" {
            o.verbose = true;
            continue;
        }
        if flag == "--foreign" {
            // The kind is optional: a following word that is not an option names it.
            let kind = match args.next_if(|a| !a.starts_with('-')) {
                None => ForeignKind::Other,
                Some(name) => ForeignKind::from_name(&name).ok_or_else(|| {
                    let kinds: Vec<&str> = ForeignKind::ALL.iter().map(|k| k.name()).collect();
                    format!("--foreign: unknown kind {name:?} (one of: {})", kinds.join(", "))
                })?,
            };
            o.foreign = Some(kind);
            continue;
        }
        if flag == "--help" || flag == "-h" {
            return Err(HELP.into());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--connect" => {
                o.connect = value
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| format!("bad address {value:?}"))?;
            }
            "--profile" => o.profile = value,
            "--atr" => o.atr = Some(Atr::from_hex(&value).map_err(|e| format!("--atr {value:?}: {e}"))?),
            "--pin" => o.pin = Some(value),
            "--puk" => o.puk = Some(value),
            "--latency" => {
                o.latency = LatencyModel::from_name(&value)
                    .ok_or_else(|| format!("--latency: expected realistic or none, got {value:?}"))?;
            }
            "--sod" => match value.as_str() {
                "old" | "sha256" => o.sod = "sha256".into(),
                "new" | "sha512" => o.sod = "sha512".into(),
                _ => return Err(format!("--sod: expected old or new, got {value:?}")),
            },
            "--read-binary-max" => {
                o.read_binary_max = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or_else(|| format!("--read-binary-max: expected 1 to 256, got {value:?}"))?;
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// The card the binary serves: the simulated CIE, or with `--foreign` a card that is not one.
enum Served {
    Cie(Box<SimCard>),
    Foreign(ForeignCard),
}

impl Served {
    /// The card for `o` ([`build_card`], or a [`ForeignCard`] with `--foreign`), presenting
    /// `--atr` if given.
    fn new(o: &Options) -> Result<Served, String> {
        let served = match o.foreign {
            Some(kind) => Served::Foreign(ForeignCard::of(kind)),
            None => Served::Cie(Box::new(build_card(o)?)),
        };
        Ok(match (served, &o.atr) {
            (Served::Cie(c), Some(atr)) => Served::Cie(Box::new(c.with_atr(atr))),
            (Served::Foreign(c), Some(atr)) => Served::Foreign(c.with_atr(atr)),
            (served, None) => served,
        })
    }

    /// The CIE's signature fault switch (a foreign card has no holder key: a switch nobody reads).
    fn sign_fault_switch(&self) -> SignFaultSwitch {
        match self {
            Served::Cie(c) => c.sign_fault_switch(),
            Served::Foreign(_) => SignFaultSwitch::default(),
        }
    }

    /// The CIE's PIN tries left; none on a foreign card.
    fn pin_tries_left(&self) -> Option<u8> {
        match self {
            Served::Cie(c) => Some(c.pin_tries_left()),
            Served::Foreign(_) => None,
        }
    }

    fn as_virtual(&mut self) -> &mut dyn VirtualCard {
        match self {
            Served::Cie(c) => &mut **c,
            Served::Foreign(c) => c,
        }
    }
}

/// The simulated card for `o`: the fixtures' card image, the chosen generation and EF.SOD
/// profile, PIN and PUK (defaults: the fixtures' test credentials).
fn build_card(o: &Options) -> Result<SimCard, String> {
    let profile = Profile::from_name(&o.profile).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
        format!("unknown profile {:?} (one of: {})", o.profile, names.join(", "))
    })?;
    let sod = if o.sod == "sha512" { SodProfile::Sha512Pss } else { SodProfile::Sha256Pkcs1 };
    let mut options = SimOptions::default();
    if let Some(pin) = &o.pin {
        options.pin = pin.clone();
    }
    if let Some(puk) = &o.puk {
        options.puk = puk.clone();
    }
    Ok(SimCard::new(profile, fixtures::card_image(sod), options).with_read_binary_max(o.read_binary_max))
}

/// Requests from the stdin thread to the main thread, while the card is out of the reader.
enum Request {
    Insert,
    Quit,
}

/// What the stdin thread needs to act while the main thread serves.
#[derive(Default)]
struct Shared {
    /// Set while a connection is being served.
    remover: Mutex<Option<Remover>>,
    /// Set while the card is out of the reader.
    removed: AtomicBool,
    quit: AtomicBool,
    /// The APDUs and PIN commands received (answered to `counts`).
    counts: Mutex<Counts>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(msg) if msg == HELP => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let mut card = match Served::new(&options) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("cie-sim: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut latency = Latency::new(options.latency);
    let shared = Arc::new(Shared::default());
    let (tx, rx) = mpsc::channel();
    {
        let shared = shared.clone();
        let faults = card.sign_fault_switch();
        std::thread::spawn(move || read_controls(&shared, &faults, &tx));
    }

    loop {
        // Connect (card inserted), retrying while vpcd is not listening yet.
        let conn = loop {
            if shared.quit.load(Ordering::SeqCst) {
                return ExitCode::SUCCESS;
            }
            match Connection::connect(options.connect) {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        eprintln!("{}", Status::Connected(options.connect.to_string()));
        match conn.remover() {
            Ok(r) => set_remover(&shared, Some(r)),
            Err(e) => eprintln!("cie-sim: cannot watch the connection: {e}"),
        }
        let verbose = options.verbose;
        let end = conn.serve(card.as_virtual(), &mut latency, &mut |e| log_event(e, verbose, &shared));
        set_remover(&shared, None);
        match end {
            Ok(End::Removed) => {
                // Mark first: whoever reads the line may send `insert` at once.
                shared.removed.store(true, Ordering::SeqCst);
                eprintln!("{}", Status::Removed { pin_tries: card.pin_tries_left() });
                if shared.quit.load(Ordering::SeqCst) {
                    return ExitCode::SUCCESS;
                }
                // Out of the reader until `insert` (or `quit`).
                match rx.recv() {
                    Ok(Request::Insert) => shared.removed.store(false, Ordering::SeqCst),
                    Ok(Request::Quit) | Err(_) => return ExitCode::SUCCESS,
                }
            }
            Ok(End::Closed) => {
                eprintln!("cie-sim: vpcd closed the connection; reconnecting");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                eprintln!("cie-sim: connection error: {e}; reconnecting");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn set_remover(shared: &Shared, r: Option<Remover>) {
    if let Ok(mut slot) = shared.remover.lock() {
        *slot = r;
    }
}

fn current_remover(shared: &Shared) -> Option<Remover> {
    shared.remover.lock().ok().and_then(|r| r.clone())
}

/// Reads control lines until `quit` or the end of stdin.
fn read_controls(shared: &Shared, faults: &SignFaultSwitch, tx: &mpsc::Sender<Request>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match Control::parse_line(&line) {
            Ok(Some(Control::Quit)) => break,
            Ok(Some(control)) => apply(control, shared, faults, tx),
            Ok(None) => {}
            Err(e) => eprintln!("cie-sim: {e}"),
        }
    }
    shared.quit.store(true, Ordering::SeqCst);
    if let Some(r) = current_remover(shared) {
        r.now();
    }
    let _ = tx.send(Request::Quit);
}

/// Carries out one control line other than `quit`.
fn apply(control: Control, shared: &Shared, faults: &SignFaultSwitch, tx: &mpsc::Sender<Request>) {
    match control {
        Control::SignFault(fault) => {
            faults.set(fault);
            eprintln!("{}", Status::SignFault(Some(fault)));
        }
        Control::Counts => {
            let counts = shared.counts.lock().map(|c| *c).ok();
            eprintln!("{}", Status::Counts(counts));
        }
        Control::Remove => match current_remover(shared) {
            Some(r) => {
                r.at_next_poll();
                // pcscd polls about every 400 ms; if it does not (stopped), pull anyway.
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(2));
                    r.now();
                });
            }
            None => eprintln!("cie-sim: remove: the card is not in the reader"),
        },
        Control::RemoveBefore(n) => match current_remover(shared) {
            Some(r) => {
                r.before_apdu(n);
                eprintln!("{}", Status::RemovalScheduled(Some(n)));
            }
            None => eprintln!("cie-sim: remove-before: the card is not in the reader"),
        },
        Control::RemoveCancel => {
            if let Some(r) = current_remover(shared) {
                r.cancel_scheduled();
            }
            eprintln!("{}", Status::RemovalScheduled(None));
        }
        Control::Insert => {
            if shared.removed.load(Ordering::SeqCst) {
                let _ = tx.send(Request::Insert);
            } else {
                eprintln!("cie-sim: insert: the card is already in the reader");
            }
        }
        // The reading loop stops at `quit`.
        Control::Quit => {}
    }
}

fn log_event(e: Event, verbose: bool, shared: &Shared) {
    if let Event::Apdu { ins, .. } = e {
        if let Ok(mut counts) = shared.counts.lock() {
            counts.add(ins);
        }
    }
    match e {
        Event::Ready => eprintln!("{}", Status::Ready),
        Event::Apdu { ins, command_len, response_len } if verbose => {
            eprintln!("cie-sim: APDU INS {ins:02X}: {command_len} -> {response_len} bytes")
        }
        Event::PowerOn | Event::PowerOff | Event::Reset if verbose => eprintln!("cie-sim: {e:?}"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> impl Iterator<Item = String> + '_ {
        s.split_whitespace().map(String::from)
    }

    #[test]
    fn parses_options() {
        let o = parse_args(args(
            "--connect 127.0.0.1:4000 --profile Gemalto --pin 11112222 --latency realistic --sod sha512 -v",
        ))
        .unwrap();
        assert_eq!(o.connect, SocketAddr::from(([127, 0, 0, 1], 4000)));
        assert_eq!(o.profile, "Gemalto");
        assert_eq!(o.pin.as_deref(), Some("11112222"));
        assert_eq!(o.latency, LatencyModel::REALISTIC);
        assert_eq!(o.sod, "sha512");
        assert!(o.verbose);
        let d = parse_args(args("")).unwrap();
        assert_eq!(d.connect.port(), VPCD_PORT);
        assert_eq!(d.latency, LatencyModel::NONE);
        assert!(parse_args(args("--latency slow")).is_err());
        assert!(parse_args(args("--sod md5")).is_err());
        assert!(parse_args(args("--pin")).is_err());
        assert!(parse_args(args("--bogus 1")).is_err());
        assert_eq!(d.foreign, None);
        assert_eq!(d.atr, None);
        assert_eq!(parse_args(args("--foreign -v")).unwrap().foreign, Some(ForeignKind::Other));
        for kind in ForeignKind::ALL {
            let o = parse_args(args(&format!("--foreign {kind} --verbose"))).unwrap();
            assert_eq!((o.foreign, o.verbose), (Some(kind), true), "{kind}");
        }
        let err = parse_args(args("--foreign visa")).err().unwrap();
        assert!(err.contains("unknown kind \"visa\"") && err.contains("passport"), "{err}");
        let o = parse_args(args("--atr 3b:80:80:01:01")).unwrap();
        assert_eq!(o.atr.unwrap().as_bytes(), [0x3B, 0x80, 0x80, 0x01, 0x01]);
        let err = parse_args(args("--atr 3B8")).err().unwrap();
        assert_eq!(err, "--atr \"3B8\": odd number of hexadecimal digits");
        assert!(parse_args(args("--atr 0080")).err().unwrap().contains("TS is 00"));
        let help = parse_args(args("--help")).err().unwrap();
        for control in ["remove", "insert", "counts", "quit", "with-card --control", "--atr HEX", "passport"] {
            assert!(help.contains(control), "{control}");
        }
    }

    #[test]
    fn builds_every_profile() {
        for p in Profile::ALL {
            let o = parse_args(args(&format!("--profile {} --sod sha512", p.name()))).unwrap();
            let card = build_card(&o).unwrap();
            assert_eq!(card.profile(), p);
            assert_eq!(card.atr(), p.atr());
        }
        let o = parse_args(args("--profile bit4id-b9547")).unwrap();
        assert_eq!(build_card(&o).unwrap().profile(), Profile::Bit4idB9547);
        let err = build_card(&parse_args(args("--profile Nokia")).unwrap()).err().unwrap();
        assert!(err.contains("Gemalto"), "{err}");
    }

    #[test]
    fn foreign_serves_a_card_that_is_not_a_cie() {
        let mut served = Served::new(&parse_args(args("--foreign")).unwrap()).unwrap();
        assert_eq!(served.pin_tries_left(), None);
        let card = served.as_virtual();
        assert_eq!(card.atr(), cie_sim::card::FOREIGN_ATR);
        assert_eq!(cie_core::variant::Generation::from_atr(&card.atr()), None);
        let mut select_cie = vec![0x00, 0xA4, 0x04, 0x0C, 0x06];
        select_cie.extend_from_slice(&[0xA0, 0x00, 0x00, 0x00, 0x00, 0x39]);
        assert_eq!(card.process(&select_cie), [0x6A, 0x82]);
        let mut cie = Served::new(&parse_args(args("")).unwrap()).unwrap();
        assert_eq!(cie.pin_tries_left(), Some(3));
        assert_eq!(cie.as_virtual().atr(), Profile::Nxp.atr());
        let mut cns = Served::new(&parse_args(args("--foreign cns")).unwrap()).unwrap();
        assert_eq!(cns.as_virtual().atr(), ForeignKind::Cns.atr());
    }

    #[test]
    fn atr_is_presented_by_any_card() {
        let zero = "3B8F8001000000000000000000000000FF829000E3";
        let mut cie = Served::new(&parse_args(args(&format!("--profile Gemalto --atr {zero}"))).unwrap()).unwrap();
        assert_eq!(cie.as_virtual().atr(), Atr::from_hex(zero).unwrap().as_bytes());
        assert_eq!(cie.pin_tries_left(), Some(3));
        let mut bank = Served::new(&parse_args(args("--foreign bank --atr 3B:80:80:01:01")).unwrap()).unwrap();
        assert_eq!(bank.as_virtual().atr(), [0x3B, 0x80, 0x80, 0x01, 0x01]);
    }

    #[test]
    fn pin_and_puk_options_reach_the_card() {
        use cie_core::pin::{Pin, Puk};
        let o = parse_args(args("--pin 11112222 --puk 33334444")).unwrap();
        let handle = cie_sim::SimHandle::new(build_card(&o).unwrap());
        let mut session = cie_core::session::Session::open(handle.connect()).unwrap();
        // The fixtures' default PIN is now wrong, the chosen one right.
        assert!(session.verify_pin(&Pin::new(fixtures::TEST_PIN).unwrap()).is_err());
        session.verify_pin(&Pin::new("11112222").unwrap()).unwrap();
        session.unblock_pin(&Puk::new("33334444").unwrap(), &Pin::new("11112222").unwrap()).unwrap();
    }
}
