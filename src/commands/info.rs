//! `cie info`: what the card tells without a PIN (reader, generation, ATR, NIS, PIN tries
//! left), and with `--login` or `--pin-stdin` the card number and the holder too.

use cie_core::session::PinStatus;
use cie_core::transport::hex;
use cie_core::{Credential, Error, Transport};
use clap::Args;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::holder;
use crate::output::Json;

/// Reader, card generation, ATR, NIS, PIN tries left
///
/// With --login or --pin-stdin also the card number and holder.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct InfoArgs {}

impl Run for InfoArgs {
    /// Shows the card's information.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let mut s = ctx.open()?;
        let reader = s.transport().name();
        let generation = s.generation();
        let atr = hex(s.atr());
        let nis = s.nis().to_owned();
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
            ctx.login(&mut s)?;
            ctx.progress.step(tr!(StepReadSerial));
            serial = Some(s.serial()?);
            let cert = s.certificate()?;
            holder = Some(holder::holder(&cert).map_err(Error::Malformed)?);
        }
        if ctx.globals.json {
            let j = Json::object([
                ("reader", Json::str(reader)),
                ("generation", Json::str(generation.name())),
                ("manufacturer", Json::str(generation.manufacturer())),
                ("atr", Json::str(atr.replace(' ', ""))),
                ("nis", Json::str(nis)),
                ("pin_tries_left", tries.map_or(Json::Null, |n| Json::Int(n.into()))),
                ("pin_blocked", Json::Bool(blocked)),
                ("serial", Json::opt_str(serial)),
                ("holder", Json::opt_str(holder.as_ref().map(|h| h.json_name()))),
                ("subject", Json::opt_str(holder.map(|h| h.subject))),
            ]);
            println!("{j}");
            return Ok(());
        }
        println!("{}", tr!(InfoReader, reader = reader));
        println!("{}", tr!(InfoCard, generation = generation.to_string(), manufacturer = generation.manufacturer()));
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
