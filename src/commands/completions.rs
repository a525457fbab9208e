//! `cie completions SHELL`: the shell completion script, generated from the command-line
//! definition.

use clap::Args;
use clap_complete::Shell;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;

/// Print the shell completion script for bash, zsh, fish, elvish or powershell
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

impl Run for CompletionsArgs {
    /// Writes the completion script on standard output.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        clap_complete::generate(self.shell, &mut (ctx.definition)(), "cie", &mut std::io::stdout());
        Ok(())
    }
}
