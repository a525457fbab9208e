//! What every command gets: the global options, progress messages, the command-line
//! definition (for help, completions and man pages), and the steps most commands share:
//! opening the card and logging in.

use std::io::IsTerminal;

use cie_core::pin::Pin;
use cie_core::session::PinStatus;
use cie_core::Credential;

use crate::card::{CardSession, HolderCard};
use crate::failure::Failure;
use crate::pin_input::{confirm, prompt, read_secret, PinSource};
use crate::progress::Progress;

/// Options that apply to every command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Globals {
    /// `--reader NAME`.
    pub(crate) reader: Option<String>,
    /// Where PIN and PUK come from.
    pub(crate) pin_source: PinSource,
    /// `--login`, or implied by `--pin-stdin`: read PIN-protected data where it is optional.
    pub(crate) login: bool,
    /// `--json`.
    pub(crate) json: bool,
    /// `--quiet`.
    pub(crate) quiet: bool,
}

/// What every command gets.
pub(crate) struct Ctx {
    /// Global options.
    pub(crate) globals: Globals,
    /// Progress messages.
    pub(crate) progress: Progress,
    /// The command-line definition (`crate::cli`), for help, completions and man pages.
    pub(crate) definition: fn() -> clap::Command,
}

impl Ctx {
    /// The context of a command run with `globals`.
    pub(crate) fn new(globals: Globals, definition: fn() -> clap::Command) -> Ctx {
        Ctx { progress: Progress::new(globals.quiet), globals, definition }
    }

    /// Opens the holder's card for a certificate or a signature: through the user's card
    /// agent when its socket answers, else in this process (the same answers and errors).
    pub(crate) fn open_holder(&self) -> Result<HolderCard, Failure> {
        match &self.globals.reader {
            Some(r) => self.progress.step(tr!(StepConnect, reader = r)),
            None => self.progress.step(tr!(StepSearch)),
        }
        HolderCard::open(self.globals.reader.as_deref())
    }

    /// [`Ctx::login`] for a [`HolderCard`]: through the agent, the PIN goes to the card in a
    /// VERIFY as in-process, and only this process's connection is logged in.
    pub(crate) fn login_holder(&self, card: &mut HolderCard) -> Result<(), Failure> {
        if let HolderCard::Local(s) = card {
            return self.login(s);
        }
        self.confirm_last_try_holder(card)?;
        let pin = read_secret::<Pin>(self.globals.pin_source, &prompt(Credential::Pin, tr!(PromptPin)))?;
        self.progress.step(tr!(StepLogin));
        card.login(&pin)
    }

    /// Asks for the PIN and verifies it; the secure channel (DH + device authentication) is
    /// opened on the way.
    pub(crate) fn login(&self, session: &mut CardSession) -> Result<(), Failure> {
        self.confirm_last_try(session)?;
        let pin = read_secret::<Pin>(self.globals.pin_source, &prompt(Credential::Pin, tr!(PromptPin)))?;
        self.progress.step(tr!(StepLogin));
        let result = session.verify_pin(&pin);
        drop(pin);
        result.map_err(Failure::from)
    }

    /// On the terminal, before the PIN's last try: asks whether to go on (a wrong PIN would
    /// block the card). Not with `--pin-stdin` (a script decides for itself). Asking the
    /// card how many tries are left spends none.
    pub(crate) fn confirm_last_try(&self, session: &mut CardSession) -> Result<(), Failure> {
        if !self.asks_before_last_try() {
            return Ok(());
        }
        let status = match session.pin_tries_left() {
            Some(n) => PinStatus::TriesLeft(n),
            None => session.pin_status()?,
        };
        self.confirm_if_last(status)
    }

    /// [`Ctx::confirm_last_try`] for a [`HolderCard`] (through the agent: the tries as this
    /// process sees them).
    pub(crate) fn confirm_last_try_holder(&self, card: &mut HolderCard) -> Result<(), Failure> {
        match card {
            HolderCard::Local(s) => self.confirm_last_try(s),
            HolderCard::Agent(client, reader) if self.asks_before_last_try() => {
                self.confirm_if_last(client.pin_status(reader.as_deref())?)
            }
            HolderCard::Agent(..) => Ok(()),
        }
    }

    /// True when the PIN is typed on a terminal, where the last try is confirmed first.
    fn asks_before_last_try(&self) -> bool {
        self.globals.pin_source == PinSource::Terminal && std::io::stdin().is_terminal()
    }

    /// Asks whether to go on when `status` says one try is left.
    fn confirm_if_last(&self, status: PinStatus) -> Result<(), Failure> {
        if status == PinStatus::TriesLeft(1) && !confirm(&tr!(ConfirmLastTry).to_string())? {
            return Err(Failure::Cancelled(tr!(LastTryCancelled)));
        }
        Ok(())
    }
}
