//! The commands of the `cie` tool, one module each, and what they share: opening the card and
//! logging in with progress messages.

pub mod cert;
pub mod document;
pub mod info;
pub mod pin;
pub mod readers;
pub mod sign;
pub mod sod;

use cie_core::pin::Pin;

use crate::args::Globals;
use crate::card::{self, CardSession};
use crate::failure::Failure;
use crate::output::Progress;
use crate::pin_input::read_secret;

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
            Some(r) => self.progress.step(&format!("connecting to the card in \"{r}\"")),
            None => self.progress.step("looking for a CIE in the readers"),
        }
        Ok(card::open(self.globals.reader.as_deref())?)
    }

    /// Asks for the PIN and verifies it; the secure channel (DH + device authentication) is
    /// opened on the way.
    pub fn login(&self, session: &mut CardSession) -> Result<(), Failure> {
        let pin = read_secret::<Pin>(self.globals.pin_source, "CIE PIN (8 digits): ")?;
        self.progress.step("opening the secure channel and verifying the PIN");
        let result = session.verify_pin(&pin);
        drop(pin);
        result.map_err(Failure::from)
    }
}

/// A file error with its path.
pub fn file_error(path: &std::path::Path, e: std::io::Error) -> Failure {
    Failure::File(format!("{}: {e}", path.display()))
}
