//! The commands of `cie`, one file each (as cargo's `src/bin/cargo/commands/`): the command's
//! options, a clap `Args` struct whose doc comment is the command's help; the checks clap
//! cannot express; and the work ([`Run`]). A command file imports only the support modules
//! (`crate::ctx` and below), never `crate::cli` nor, except `help` taking `pin`'s help text,
//! another command.
//!
//! Adding a command: a new file here with its `Args` struct implementing [`Run`], its `mod`
//! line below, its variant and its dispatch line in `crate::cli::Command`, and its messages
//! (`crate::i18n::Msg` and both `.ftl` files).

pub(crate) mod agent;
pub(crate) mod browser;
pub(crate) mod cert;
pub(crate) mod completions;
pub(crate) mod demo;
pub(crate) mod doctor;
pub(crate) mod extract;
pub(crate) mod help;
pub(crate) mod info;
pub(crate) mod manpage;
pub(crate) mod pin;
pub(crate) mod readers;
pub(crate) mod sign;
pub(crate) mod verify;
pub(crate) mod verify_sod;

use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::i18n::Text;

/// A command: its checks, then its work.
pub(crate) trait Run {
    /// The checks clap's definition cannot express, made before anything is read or asked: a
    /// mistake is a usage error (exit status 2) showing the command's usage.
    fn check(&self, _ctx: &Ctx) -> Result<(), Mistake> {
        Ok(())
    }

    /// Does the command's work.
    fn run(self, ctx: &Ctx) -> Result<(), Failure>;
}

/// A mistake on the command line found by a command's [`Run::check`].
#[derive(Debug)]
pub(crate) struct Mistake {
    /// What is wrong.
    pub(crate) message: Text,
    /// Show the usage of `cie` itself rather than the command's (`cie help TOPIC`).
    pub(crate) usage_of_cie: bool,
}

impl From<Text> for Mistake {
    fn from(message: Text) -> Mistake {
        Mistake { message, usage_of_cie: false }
    }
}
