//! Reading a PIN or PUK: on the terminal without echo, or from standard input with
//! `--pin-stdin`. Never from the command line (it would show in `ps`).
//!
//! No buffer outlives the secret unzeroized: lines are read one byte at a time straight from
//! the file descriptor (no `BufReader`, no `Stdin` buffer) into one zeroizing buffer of fixed
//! capacity that never reallocates.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::os::fd::AsRawFd;

use cie_core::pin::Secret;
use cie_core::Credential;
use zeroize::{Zeroize, Zeroizing};

use crate::failure::Failure;
use crate::i18n::Text;

/// Longest line kept; longer lines are consumed to their end and refused (a PIN has 8 digits).
const MAX_LINE: usize = 64;

/// Where a CIE's PIN and PUK are written: each is delivered in two halves.
#[macro_export]
macro_rules! secret_origin {
    () => {
        "the first 4 digits are on the receipt the comune gave you when you requested the card, \
         the last 4 in the letter that came with the card"
    };
}

/// The prompt for the card's current PIN (or its PUK): where to find it, then `question`.
pub(crate) fn prompt(kind: Credential, question: Text) -> String {
    format!("{}\n{question}", tr!(PromptSecret, credential = kind.to_string()))
}

/// Where secrets come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PinSource {
    /// Prompt on the controlling terminal, without echo.
    Terminal,
    /// One secret per line on standard input.
    Stdin,
}

/// Reads one secret (a [`cie_core::pin::Pin`] or [`cie_core::pin::Puk`]), prompting with
/// `prompt` on the terminal. Mistakes are usage errors (exit 2), before the card sees anything.
pub(crate) fn read_secret<S: Secret>(source: PinSource, prompt: &str) -> Result<S, Failure> {
    let kind = S::KIND.to_string();
    let line = match source {
        PinSource::Terminal => {
            if !std::io::stdin().is_terminal() {
                return Err(Failure::Usage(tr!(NoTerminal)));
            }
            // The prompt goes to the terminal: no spinner over it.
            crate::progress::settle();
            prompt_without_echo(prompt)
                .map_err(|e| Failure::Usage(tr!(CannotReadSecret, credential = &kind, detail = e.to_string())))?
        }
        PinSource::Stdin => read_line(&mut RawStdin)
            .map_err(|e| Failure::Usage(tr!(CannotReadSecretStdin, credential = &kind, detail = e.to_string())))?,
    };
    let Some(line) = line else {
        return Err(Failure::Usage(tr!(StdinEnded, credential = kind)));
    };
    let Line::Fits(value) = line else {
        return Err(cie_core::Error::InvalidCredentialFormat(S::KIND).into());
    };
    let mut end = value.len();
    while end > 0 && matches!(value[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    Ok(S::parse(&value[..end])?)
}

/// One line read by [`read_line`].
enum Line {
    /// The line (with its newline), at most [`MAX_LINE`] bytes, in a zeroizing buffer.
    Fits(Zeroizing<Vec<u8>>),
    /// A longer line: consumed, nothing kept.
    TooLong,
}

/// Reads one line from `r` one byte at a time (so nothing after the newline is consumed and no
/// intermediate buffer holds the secret). `None` at the end of input before any byte.
fn read_line(r: &mut impl Read) -> std::io::Result<Option<Line>> {
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut too_long = false;
    let mut any = false;
    let mut byte = [0u8; 1];
    let result = loop {
        match r.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) => {
                any = true;
                if line.len() < MAX_LINE {
                    line.push(byte[0]);
                } else {
                    too_long = true;
                }
                if byte[0] == b'\n' {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    byte.zeroize();
    result?;
    Ok(match (any, too_long) {
        (false, _) => None,
        (true, true) => Some(Line::TooLong),
        (true, false) => Some(Line::Fits(line)),
    })
}

/// Standard input read with read(2) directly, bypassing the buffer of `std::io::Stdin`.
struct RawStdin;

impl Read for RawStdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` writable bytes; fd 0 is only read.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

/// Asks a yes/no question on the terminal (echo on); only "y", "yes", "s", "si" or "sì" (Italian)
/// is a yes.
pub(crate) fn confirm(question: &str) -> Result<bool, Failure> {
    crate::progress::settle();
    let ask = || -> std::io::Result<String> {
        let tty = File::options().read(true).write(true).open("/dev/tty")?;
        (&tty).write_all(question.as_bytes())?;
        (&tty).flush()?;
        let mut line = String::new();
        BufReader::new(&tty).read_line(&mut line)?;
        Ok(line)
    };
    let answer = ask().map_err(|e| Failure::Usage(tr!(CannotAsk, detail = e.to_string())))?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes" | "s" | "si" | "sì"))
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
fn prompt_without_echo(prompt: &str) -> std::io::Result<Option<Line>> {
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
    // `&File` reads straight from the descriptor: no buffer in between.
    read_line(&mut &tty)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call and counts the bytes consumed.
    struct Bytes<'a>(&'a [u8], usize);

    impl Read for Bytes<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    fn fits(line: Option<Line>) -> Vec<u8> {
        match line {
            Some(Line::Fits(v)) => {
                assert_eq!(v.capacity(), MAX_LINE, "the buffer never reallocated");
                v.to_vec()
            }
            Some(Line::TooLong) => panic!("too long"),
            None => panic!("end of input"),
        }
    }

    #[test]
    fn reads_exactly_one_line_at_a_time() {
        let long = [b'1'; MAX_LINE + 10];
        let mut input = b"12345678\r\n87654321\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nlast");
        let mut r = Bytes(&input, 0);
        assert_eq!(fits(read_line(&mut r).unwrap()), b"12345678\r\n");
        assert_eq!(r.1, 10, "nothing after the newline was consumed");
        assert_eq!(fits(read_line(&mut r).unwrap()), b"87654321\n");
        assert!(matches!(read_line(&mut r).unwrap(), Some(Line::TooLong)));
        assert_eq!(fits(read_line(&mut r).unwrap()), b"last");
        assert!(read_line(&mut r).unwrap().is_none());
    }
}
