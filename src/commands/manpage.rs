//! `cie manpage DIR`, hidden (`cargo xtask man` runs it): the man pages, generated from the
//! command-line definition. Known to the parser only, not to the help, the completions and the
//! man pages themselves.

use std::path::PathBuf;

use clap::Args;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};

/// The hidden command's name.
pub(crate) const MANPAGE: &str = "manpage";

// `cie manpage DIR`: the directory to write into. (Comments, not doc comments: those would be
// its help text.)
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct ManpageArgs {
    #[arg(value_name = "dir")]
    pub(crate) dir: PathBuf,
}

impl Run for ManpageArgs {
    /// Writes `cie.1` and `cie-COMMAND.1` for every command (roff) into the directory, created
    /// if missing.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| clap_mangen::generate_to((ctx.definition)(), &self.dir))
            .map_err(|e| file_error(&self.dir, e))
    }
}
