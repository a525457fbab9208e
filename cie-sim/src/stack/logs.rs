//! The stack's log directory: one log file per process (`namespace.log`, `pcscd.log`,
//! `sim.log`, ...), and the last lines of a log for error messages.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::error::{io_err, StackError};

/// A new empty log directory in the temporary directory, named after this process and a
/// counter.
pub(crate) fn new_log_dir() -> Result<PathBuf, StackError> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("cie-stack-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    Ok(dir)
}

/// The log file `name` of `dir`, opened for appending (created when missing).
pub(crate) fn log_file(dir: &Path, name: &str) -> Result<File, StackError> {
    let path = dir.join(name);
    OpenOptions::new().create(true).append(true).open(&path).map_err(io_err(format!("creating {}", path.display())))
}

/// The last lines of a log, formatted to append to an error message.
pub(crate) fn log_tail(dir: &Path, name: &str) -> String {
    let text = fs::read_to_string(dir.join(name)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(15)..];
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n--- {name} (last lines; all logs in {}) ---\n{}", dir.display(), tail.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = new_log_dir().unwrap();
        let body: String = (0..40).map(|i| format!("line {i}\n")).collect();
        fs::write(dir.join("x.log"), body).unwrap();
        let tail = log_tail(&dir, "x.log");
        assert!(tail.contains("line 39") && tail.contains("line 25"));
        assert!(!tail.contains("line 24\n"));
        assert_eq!(log_tail(&dir, "missing.log"), "");
        fs::remove_dir_all(dir).unwrap();
    }
}
