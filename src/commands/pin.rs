//! `cie pin change` and `cie pin unblock` (PROTOCOL.md §6), on the card in this process or
//! through the user's card agent ([`crate::card::HolderCard`]): the same messages and exit codes.
//!
//! On the terminal the new PIN is asked twice. With `--pin-stdin` each secret is one line and
//! the new PIN is given once (a script does not mistype): change reads the current PIN then
//! the new one; unblock reads the PUK then the new PIN.

use cie_core::pin::{Pin, Puk};
use cie_core::Credential;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::i18n::Text;
use crate::output::print_json;
use crate::pin_input::{prompt, read_secret, PinSource};

/// Where a CIE's PIN and PUK are written: each is delivered in two halves (the same words as
/// the catalogue's `-secret-origin`).
macro_rules! secret_origin {
    () => {
        "the first 4 digits are on the receipt the comune gave you when you requested the card, \
         the last 4 in the letter that came with the card"
    };
}

/// `cie help pin`, and the end of `cie pin --help`.
pub(crate) const PIN_HELP: &str = concat!(
    "PIN and PUK of the CIE

Each is 8 digits, delivered in two halves: ",
    secret_origin!(),
    ".

PIN  needed to sign and to read the certificate and the card number. 3 tries: after 3 wrong
     PINs in a row it is blocked (a right PIN resets the count). Before the last try cie asks
     for confirmation. cie info shows the tries left without spending one.
PUK  unblocks the PIN and sets a new one: cie pin unblock. 10 tries; a blocked PUK cannot be
     unblocked: the comune issues a new card.

cie pin change      choose a new PIN (asks the current one, then the new one twice)
cie pin unblock     unblock the PIN with the PUK and choose a new PIN

PIN and PUK are never accepted on the command line; with --pin-stdin they are read from
standard input, one per line. Lost the PUK? The comune that issued the card can tell you how
to get it again."
);

/// Change or unblock the PIN
#[derive(Args, Debug, PartialEq, Eq)]
#[command(after_long_help = PIN_HELP)]
pub(crate) struct PinArgs {
    #[command(subcommand)]
    pub(crate) action: PinAction,
}

/// `cie pin ...`.
#[derive(Subcommand, Debug, PartialEq, Eq)]
pub(crate) enum PinAction {
    /// Change the PIN (asks the current PIN, then the new one twice)
    Change,
    /// Unblock the PIN with the PUK and set a new PIN
    Unblock,
}

impl Run for PinArgs {
    /// Changes or unblocks the PIN.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        match self.action {
            PinAction::Change => change(ctx),
            PinAction::Unblock => unblock(ctx),
        }
    }
}

/// The new PIN, confirmed on the terminal.
fn new_pin(ctx: &Ctx) -> Result<Pin, Failure> {
    let new = read_secret::<Pin>(ctx.globals.pin_source, &tr!(PromptNewPin).to_string())?;
    if ctx.globals.pin_source == PinSource::Terminal {
        let again = read_secret::<Pin>(ctx.globals.pin_source, &tr!(PromptNewPinAgain).to_string())?;
        if again != new {
            return Err(Failure::Usage(tr!(NewPinsDiffer)));
        }
    }
    Ok(new)
}

/// `cie --json pin change|unblock` (docs/JSON.md).
#[derive(Serialize)]
struct Done {
    /// Always `true`: a failure prints the error object instead.
    ok: bool,
}

/// Says it is done: `message`, or `{"ok":true}` with `--json`.
fn print_success(ctx: &Ctx, message: Text) {
    if ctx.globals.json {
        print_json(&Done { ok: true });
    } else {
        ctx.progress.done();
        println!("{message}");
    }
}

/// Changes the PIN.
fn change(ctx: &Ctx) -> Result<(), Failure> {
    let mut s = ctx.open_holder()?;
    ctx.confirm_last_try_holder(&mut s)?;
    let old = read_secret::<Pin>(ctx.globals.pin_source, &prompt(Credential::Pin, tr!(PromptCurrentPin)))?;
    let new = new_pin(ctx)?;
    ctx.progress.step(tr!(StepChangePin));
    s.change_pin(&old, &new)?;
    print_success(ctx, tr!(PinChanged));
    Ok(())
}

/// Unblocks the PIN with the PUK and sets a new one.
fn unblock(ctx: &Ctx) -> Result<(), Failure> {
    let mut s = ctx.open_holder()?;
    let puk = read_secret::<Puk>(ctx.globals.pin_source, &prompt(Credential::Puk, tr!(PromptPuk)))?;
    let new = new_pin(ctx)?;
    ctx.progress.step(tr!(StepUnblockPin));
    s.unblock_pin(&puk, &new)?;
    print_success(ctx, tr!(PinUnblocked));
    Ok(())
}
