//! Reading a PIN or PUK: on the terminal without echo, or from standard input with
//! `--pin-stdin`. Never from the command line (it would show in `ps`).

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::fd::AsRawFd;

use cie_core::pin::Secret;
use cie_core::{Credential, Error};
use zeroize::Zeroizing;

/// Where a CIE's PIN and PUK are written: each is delivered in two halves.
#[macro_export]
macro_rules! secret_origin {
    () => {
        "the first 4 digits are on the receipt the comune gave you when you requested the card, \
         the last 4 in the letter that came with the card"
    };
}

/// The prompt for the card's current PIN (or its PUK): where to find it, then `question`.
pub fn prompt(kind: Credential, question: &str) -> String {
    format!("The {kind} has 8 digits: {}.\n{question}", secret_origin!())
}

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
            prompt_without_echo(prompt).map_err(|e| Error::InvalidArgument(format!("cannot read the {kind}: {e}")))?
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

/// Asks a yes/no question on the terminal (echo on); only "y" or "yes" is a yes.
pub fn confirm(question: &str) -> Result<bool, Error> {
    let ask = || -> std::io::Result<String> {
        let tty = File::options().read(true).write(true).open("/dev/tty")?;
        (&tty).write_all(question.as_bytes())?;
        (&tty).flush()?;
        let mut line = String::new();
        BufReader::new(&tty).read_line(&mut line)?;
        Ok(line)
    };
    let answer = ask().map_err(|e| Error::InvalidArgument(format!("cannot ask on the terminal: {e}")))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Restores the terminal's settings when dropped (also on error or panic).
struct EchoOff<'a> {
    tty: &'a File,
    saved: libc::termios,
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        // SAFETY: `tty` is an open terminal and `saved` came from tcgetattr on it.
        unsafe {
            libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved);
        }
    }
}

/// Turns echo off on the controlling terminal *before* printing `prompt` (so that nothing typed
/// ahead is echoed either), reads one line, and restores the terminal.
fn prompt_without_echo(prompt: &str) -> std::io::Result<String> {
    let tty = File::options().read(true).write(true).open("/dev/tty")?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for the open terminal `fd`.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    // SAFETY: as above; `quiet` is a modified copy of the terminal's own settings.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let _restore = EchoOff { tty: &tty, saved };
    (&tty).write_all(prompt.as_bytes())?;
    (&tty).flush()?;
    let mut line = String::new();
    BufReader::new(&tty).read_line(&mut line)?;
    Ok(line)
}
