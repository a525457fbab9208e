//! `cie info`: what the card tells without a PIN (reader, generation, ATR, NIS, PIN tries
//! left), and with `--login` or `--pin-stdin` the card number and the holder too.

use cie_core::session::PinStatus;
use cie_core::transport::hex;
use cie_core::{Credential, Error};
use clap::Args;
use serde::Serialize;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::holder;
use crate::output::print_json;

/// Reader, card generation, ATR, NIS, PIN tries left
///
/// With --login or --pin-stdin also the card number and holder.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct InfoArgs {}

/// `cie --json info` (docs/JSON.md).
#[derive(Serialize)]
struct InfoJson<'a> {
    /// The PC/SC reader's name.
    reader: &'a str,
    /// The card's generation.
    generation: &'a str,
    /// The chip's manufacturer.
    manufacturer: &'a str,
    /// The ATR in hexadecimal, no spaces.
    atr: String,
    /// The NIS (the card's public identification number).
    nis: &'a str,
    /// PIN tries left; `None` once the PIN is verified and the card does not say.
    pin_tries_left: Option<u8>,
    /// Whether the PIN is blocked.
    pin_blocked: bool,
    /// The card number (with a PIN only).
    serial: Option<String>,
    /// The holder's name (with a PIN only).
    holder: Option<String>,
    /// The certificate's subject, RFC 4514 (with a PIN only).
    subject: Option<String>,
}

impl Run for InfoArgs {
    /// Shows the card's information.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let mut s = ctx.open_holder()?;
        let facts = s.facts()?;
        let reader = facts.reader;
        let atr = hex(&facts.atr);
        let nis = facts.nis;
        ctx.progress.step(tr!(StepPinStatus));
        let (tries, blocked) = match s.pin_status()? {
            PinStatus::TriesLeft(n) => (Some(n), false),
            PinStatus::Blocked => (Some(0), true),
            PinStatus::Verified => (s.pin_tries_left(), false),
        };
        let mut serial = None;
        let mut holder = None;
        if ctx.globals.login {
            if blocked {
                return Err(Error::Blocked(Credential::Pin).into());
            }
            ctx.login_holder(&mut s)?;
            ctx.progress.step(tr!(StepReadSerial));
            serial = Some(s.serial()?);
            let cert = s.certificate()?;
            holder = Some(holder::holder(&cert).map_err(Error::Malformed)?);
        }
        if ctx.globals.json {
            print_json(&InfoJson {
                reader: &reader,
                generation: &facts.generation,
                manufacturer: &facts.manufacturer,
                atr: atr.replace(' ', ""),
                nis: &nis,
                pin_tries_left: tries,
                pin_blocked: blocked,
                serial,
                holder: holder.as_ref().map(|h| h.json_name()),
                subject: holder.map(|h| h.subject),
            });
            return Ok(());
        }
        ctx.progress.done();
        println!("{}", tr!(InfoReader, reader = reader));
        println!(
            "{}",
            tr!(InfoCard, generation = facts.generation.as_str(), manufacturer = facts.manufacturer.as_str())
        );
        println!("{}", tr!(InfoAtr, atr = atr));
        println!("{}", tr!(InfoNis, nis = nis));
        match (blocked, tries) {
            (true, _) => println!("{}", tr!(InfoPinBlocked)),
            (false, Some(n)) => println!("{}", tr!(InfoPinTries, tries = n)),
            (false, None) => println!("{}", tr!(InfoPinVerified)),
        }
        if let Some(serial) = serial {
            println!("{}", tr!(InfoSerial, serial = serial));
        }
        if let Some(h) = holder {
            println!("{}", tr!(InfoHolder, holder = h.name()));
            println!("{}", tr!(InfoSubject, subject = h.subject));
        }
        Ok(())
    }
}
