//! What every command gets: the global options, progress messages, and the steps most
//! commands share: opening the card and logging in.

use cie_core::pin::Pin;
use cie_core::Credential;

use crate::card::{self, CardSession};
use crate::failure::Failure;
use crate::output::Progress;
use crate::pin_input::{confirm, prompt, read_secret, PinSource};

/// Options that apply to every command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Globals {
    /// `--reader NAME`.
    pub reader: Option<String>,
    /// Where PIN and PUK come from.
    pub pin_source: PinSource,
    /// `--login`, or implied by `--pin-stdin`: read PIN-protected data where it is optional.
    pub login: bool,
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
}

/// What every command gets.
pub struct Ctx {
    /// Global options.
    pub globals: Globals,
    /// Progress messages.
    pub progress: Progress,
}

impl Ctx {
    /// Opens the CIE in the chosen reader (or the first one holding a CIE).
    pub fn open(&self) -> Result<CardSession, Failure> {
        match &self.globals.reader {
            Some(r) => self.progress.step(tr!(StepConnect, reader = r)),
            None => self.progress.step(tr!(StepSearch)),
        }
        card::open(self.globals.reader.as_deref())
    }

    /// Asks for the PIN and verifies it; the secure channel (DH + device authentication) is
    /// opened on the way.
    pub fn login(&self, session: &mut CardSession) -> Result<(), Failure> {
        self.confirm_last_try(session)?;
        let pin = read_secret::<Pin>(self.globals.pin_source, &prompt(Credential::Pin, tr!(PromptPin)))?;
        self.progress.step(tr!(StepLogin));
        let result = session.verify_pin(&pin);
        drop(pin);
        result.map_err(Failure::from)
    }
}

impl Ctx {
    /// On the terminal, before the PIN's last try: asks whether to go on (a wrong PIN would
    /// block the card). Not with `--pin-stdin` (a script decides for itself). Asking the
    /// card how many tries are left spends none.
    pub fn confirm_last_try(&self, session: &mut CardSession) -> Result<(), Failure> {
        if self.globals.pin_source != PinSource::Terminal || !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Ok(());
        }
        let tries = match session.pin_tries_left() {
            Some(n) => n,
            None => match session.pin_status()? {
                cie_core::session::PinStatus::TriesLeft(n) => n,
                _ => return Ok(()),
            },
        };
        if tries == 1 && !confirm(&tr!(ConfirmLastTry).to_string())? {
            return Err(Failure::Cancelled(tr!(LastTryCancelled)));
        }
        Ok(())
    }
}
