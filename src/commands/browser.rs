//! `cie browser setup|status|remove`: the PKCS#11 module in the user's browsers (the work is in
//! [`crate::browser`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Run;
use crate::browser::{self, Action, Options};
use crate::ctx::Ctx;
use crate::failure::Failure;

/// Register the PKCS#11 module in the browsers' NSS databases
///
/// Browsers then offer the card when a site asks for a client certificate.
#[derive(Args, Debug, PartialEq, Eq)]
#[command(override_usage = "cie browser setup|status|remove [--module PATH] [--sandboxed]")]
pub(crate) struct BrowserArgs {
    #[command(subcommand)]
    pub(crate) action: BrowserAction,
}

/// `cie browser ...`.
#[derive(Subcommand, Debug, PartialEq, Eq)]
pub(crate) enum BrowserAction {
    /// Register the module in ~/.pki/nssdb (Chromium, Chrome) and every Firefox profile
    ///
    /// The Chromium database is created if missing; safe to run again.
    Setup {
        /// The module to register (default: the installed libcie_pkcs11.so)
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        /// Also install and start a systemd user unit running p11-kit server with the module, for
        /// snap and Flatpak browsers (docs/SANDBOXED.md)
        #[arg(long)]
        sandboxed: bool,
    },
    /// Where the module is registered and whether the card is visible there
    Status,
    /// Undo setup (the sandboxed browsers' server unit too)
    Remove,
}

impl BrowserArgs {
    /// What [`crate::browser`] is asked to do.
    fn options(self) -> Options {
        match self.action {
            BrowserAction::Setup { module, sandboxed } => Options { action: Action::Setup, module, sandboxed },
            BrowserAction::Status => Options { action: Action::Status, module: None, sandboxed: false },
            BrowserAction::Remove => Options { action: Action::Remove, module: None, sandboxed: false },
        }
    }
}

impl Run for BrowserArgs {
    /// Sets up, shows or removes the module in every NSS database of the user.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        browser::apply(self.options(), ctx.globals.json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let setup = |module: Option<&str>, sandboxed| BrowserArgs {
            action: BrowserAction::Setup { module: module.map(PathBuf::from), sandboxed },
        };
        let options =
            |action, module: Option<&str>, sandboxed| Options { action, module: module.map(PathBuf::from), sandboxed };
        assert_eq!(setup(Some("/m"), true).options(), options(Action::Setup, Some("/m"), true));
        assert_eq!(setup(None, false).options(), options(Action::Setup, None, false));
        let status = BrowserArgs { action: BrowserAction::Status };
        assert_eq!(status.options(), options(Action::Status, None, false));
        let remove = BrowserArgs { action: BrowserAction::Remove };
        assert_eq!(remove.options(), options(Action::Remove, None, false));
    }
}
