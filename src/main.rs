//! `cie`: the command-line tool for the Italian electronic identity card (CIE 3.0).

mod card;
mod demo;
mod holder;
mod pin_input;

use std::process::ExitCode;

use cie_core::pcsc_backend::PcscTransport;
use cie_core::{Error, TransportError};
use pin_input::PinSource;

const USAGE: &str = "usage: cie [--reader NAME] [--pin-stdin] COMMAND

commands:
  readers    list the smart-card readers
  demo       run the citizen authentication flow against the card, step by step

options:
  --reader NAME   use this reader instead of the first one holding a CIE
  --pin-stdin     read the PIN from standard input instead of the terminal
  -h, --help      this help

The PIN is never accepted on the command line.
exit codes: 0 ok, 1 error, 2 usage, 3 wrong PIN, 4 PIN blocked, 5 no reader or no card";

/// Exit codes, distinct for the cases scripts care about.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::WrongCredential { .. } => 3,
        Error::Blocked(_) => 4,
        Error::Transport(
            TransportError::NoCard | TransportError::ReaderUnavailable(_) | TransportError::CardRemoved,
        ) => 5,
        Error::InvalidCredentialFormat(_) | Error::InvalidArgument(_) => 2,
        _ => 1,
    }
}

/// What to tell the user to do next.
fn advice(e: &Error) -> &'static str {
    match e {
        Error::WrongCredential { .. } => {
            "check the PIN (8 digits, from the letter that came with the card) and try again"
        }
        Error::Blocked(_) => "unblock the PIN with the PUK: cie pin unblock",
        Error::InvalidCredentialFormat(_) => "the PIN is the 8-digit code that came with the card",
        Error::Transport(TransportError::NoCard) => "put the card on the reader and try again",
        Error::Transport(TransportError::ReaderUnavailable(_)) => {
            "connect a reader and check that the PC/SC service (pcscd) is running"
        }
        Error::Transport(TransportError::CardRemoved) => "the card was removed: put it back and try again",
        Error::NotCie(_) => "the card in the reader is not a CIE 3.0",
        _ => "run again with CIE_LOG=debug for the APDU trace (PINs are never shown)",
    }
}

/// `CIE_LOG=debug` (or `info`, `trace`) logs to standard error, APDU traces included with
/// PIN/PUK data redacted; nothing is logged otherwise.
fn init_logging() {
    let level = match std::env::var("CIE_LOG").ok().as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("trace") => tracing::Level::TRACE,
        Some("debug") => tracing::Level::DEBUG,
        Some("info") => tracing::Level::INFO,
        Some("warn") => tracing::Level::WARN,
        Some("error") => tracing::Level::ERROR,
        _ => return,
    };
    let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).try_init();
}

fn main() -> ExitCode {
    init_logging();
    let mut reader = None;
    let mut pin_source = PinSource::Terminal;
    let mut command = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reader" => match args.next() {
                Some(r) => reader = Some(r),
                None => {
                    eprintln!("--reader needs a reader name\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--pin-stdin" => pin_source = PinSource::Stdin,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--pin" => {
                eprintln!("the PIN is never taken from the command line: use the prompt or --pin-stdin");
                return ExitCode::from(2);
            }
            other if command.is_none() && !other.starts_with('-') => command = Some(other.to_owned()),
            other => {
                eprintln!("unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let result = match command.as_deref() {
        Some("readers") => readers(),
        Some("demo") => demo::run(reader.as_deref(), pin_source),
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("hint: {}", advice(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn readers() -> Result<(), Error> {
    let readers = PcscTransport::list_readers()?;
    if readers.is_empty() {
        return Err(TransportError::ReaderUnavailable("no smart-card reader found".into()).into());
    }
    for r in readers {
        println!("{r}");
    }
    Ok(())
}
