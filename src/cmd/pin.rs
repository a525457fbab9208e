//! `cie pin change` and `cie pin unblock` (PROTOCOL.md §6).
//!
//! On the terminal the new PIN is asked twice. With `--pin-stdin` each secret is one line and
//! the new PIN is given once (a script does not mistype): change reads the current PIN then
//! the new one; unblock reads the PUK then the new PIN.

use cie_core::pin::{Pin, Puk};
use cie_core::Credential;

use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::i18n::Text;
use crate::output::Json;
use crate::pin_input::{prompt, read_secret, PinSource};

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

fn done(ctx: &Ctx, message: Text) {
    if ctx.globals.json {
        println!("{}", Json::object([("ok", Json::Bool(true))]));
    } else {
        println!("{message}");
    }
}

/// Changes the PIN.
pub fn change(ctx: &Ctx) -> Result<(), Failure> {
    let mut s = ctx.open()?;
    ctx.confirm_last_try(&mut s)?;
    let old = read_secret::<Pin>(ctx.globals.pin_source, &prompt(Credential::Pin, tr!(PromptCurrentPin)))?;
    let new = new_pin(ctx)?;
    ctx.progress.step(tr!(StepChangePin));
    s.change_pin(&old, &new)?;
    done(ctx, tr!(PinChanged));
    Ok(())
}

/// Unblocks the PIN with the PUK and sets a new one.
pub fn unblock(ctx: &Ctx) -> Result<(), Failure> {
    let mut s = ctx.open()?;
    let puk = read_secret::<Puk>(ctx.globals.pin_source, &prompt(Credential::Puk, tr!(PromptPuk)))?;
    let new = new_pin(ctx)?;
    ctx.progress.step(tr!(StepUnblockPin));
    s.unblock_pin(&puk, &new)?;
    done(ctx, tr!(PinUnblocked));
    Ok(())
}
