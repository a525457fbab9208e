//! `cie help [TOPIC]`: the help of `cie` or of one of its commands (as `--help` prints it), or
//! about the PIN and the PUK.

use std::path::Path;

use clap::Args;

use super::pin::PIN_HELP;
use super::{Mistake, Run};
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};

/// `cie help [TOPIC]`. (Its help text is `about`: the brackets would be a broken link in a
/// doc comment.)
#[derive(Args, Debug, PartialEq, Eq)]
#[command(about = "This help; help [pin]: where PIN and PUK are; help COMMAND: that command's")]
pub(crate) struct HelpArgs {
    /// pin, puk or a command
    #[arg(value_name = "TOPIC")]
    pub(crate) topic: Option<String>,
}

/// Whether `topic` is about the PIN and the PUK.
fn about_pin(topic: &str) -> bool {
    matches!(topic, "pin" | "puk")
}

impl Run for HelpArgs {
    /// The topic is `pin`, `puk` or a command (the hidden one is not).
    fn check(&self, ctx: &Ctx) -> Result<(), Mistake> {
        match self.topic.as_deref() {
            None => Ok(()),
            Some(t) if about_pin(t) => Ok(()),
            Some(t) if (ctx.definition)().get_subcommands().any(|s| s.get_name() == t) => Ok(()),
            Some(t) => Err(Mistake { message: tr!(NoHelpOn, topic = t), usage_of_cie: true }),
        }
    }

    /// Prints the help on standard output.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        match self.topic.as_deref() {
            Some(t) if about_pin(t) => {
                println!("{PIN_HELP}");
                Ok(())
            }
            topic => print_help(ctx, topic).map_err(|e| file_error(Path::new("standard output"), e)),
        }
    }
}

/// Prints `cie --help` (`None`) or `cie COMMAND --help`.
fn print_help(ctx: &Ctx, command: Option<&str>) -> std::io::Result<()> {
    let mut cmd = (ctx.definition)();
    match command.and_then(|name| cmd.find_subcommand_mut(name)) {
        Some(sub) => {
            let mut sub = sub.clone().bin_name(format!("cie {}", command.unwrap_or_default()));
            sub.print_long_help()
        }
        None => cmd.print_long_help(),
    }
}
