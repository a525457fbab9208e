//! Reading a PIN or PUK: on the terminal without echo, or from standard input with
//! `--pin-stdin`. Never from the command line (it would show in `ps`).

use std::io::{BufRead, IsTerminal};

use cie_core::pin::Secret;
use cie_core::{Credential, Error};
use zeroize::Zeroizing;

/// Where secrets come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinSource {
    /// Prompt on the controlling terminal, without echo.
    Terminal,
    /// One secret per line on standard input.
    Stdin,
}

/// Reads one secret of `kind`, prompting with `prompt` on the terminal.
pub fn read_secret(source: PinSource, kind: Credential, prompt: &str) -> Result<Secret, Error> {
    let line = Zeroizing::new(match source {
        PinSource::Terminal => {
            if !std::io::stdin().is_terminal() {
                return Err(Error::InvalidArgument(
                    "no terminal to ask the PIN on; use --pin-stdin to read it from standard input".into(),
                ));
            }
            rpassword::prompt_password(prompt)
                .map_err(|e| Error::InvalidArgument(format!("cannot read the {kind}: {e}")))?
        }
        PinSource::Stdin => {
            let mut line = String::new();
            let n = std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Error::InvalidArgument(format!("cannot read the {kind} from standard input: {e}")))?;
            if n == 0 {
                return Err(Error::InvalidArgument(format!(
                    "standard input ended before the {kind} (--pin-stdin reads one per line)"
                )));
            }
            line
        }
    });
    let value = line.trim_end_matches(['\n', '\r']);
    Secret::new(kind, value.as_bytes())
}
