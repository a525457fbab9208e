//! `cargo xtask with-card [OPTIONS] [--control FIFO] -- CMD ARGS...`: any PC/SC program against
//! the simulated card; with `--control`, lines written to the FIFO ([`Control`] `remove` and
//! `insert`) pull and insert the card meanwhile.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use cie_sim::control::Control;
use cie_sim::stack::VirtualStack;

use crate::card_stack::{build_sim, stack_options, start_stack};
use crate::command::{describe, exit_code, step, Result};
use crate::usage::USAGE;

/// `cargo xtask with-card`.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let (control, args) = take_control(args)?;
    let (mut options, release, command) = stack_options(&args)?;
    let Some((program, program_args)) = command.split_first() else {
        return Err(format!("with-card needs a command after `--`\n\n{USAGE}"));
    };
    let created = match &control {
        Some(path) => make_fifo(path)?,
        None => false,
    };
    options.sim_binary = Some(build_sim(release)?);
    let mut stack = start_stack(options)?;
    let mut cmd = Command::new(program);
    cmd.args(program_args).env("PCSCLITE_CSOCK_NAME", stack.socket_path());
    step(&format!("running {}", describe(&cmd)));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(format!("{program}: {e}")),
    };
    let status = match &control {
        None => child.wait(),
        Some(path) => {
            step(&format!("control the card with: echo remove > {0}; echo insert > {0}", path.display()));
            let (tx, rx) = std::sync::mpsc::channel();
            let reader_path = path.clone();
            std::thread::spawn(move || read_fifo(reader_path, tx));
            loop {
                if let Some(status) = child.try_wait().transpose() {
                    break status;
                }
                if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(100)) {
                    apply_control(&mut stack, &line);
                }
            }
        }
    };
    drop(stack);
    if let (true, Some(path)) = (created, &control) {
        let _ = std::fs::remove_file(path);
    }
    Ok(exit_code(status.map_err(|e| format!("{program}: {e}"))?))
}

/// Takes `--control FIFO` out of the options before `--` (the rest go to [`stack_options`]).
fn take_control(args: &[String]) -> Result<(Option<PathBuf>, Vec<String>)> {
    let mut control = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.cloned());
            break;
        }
        if a == "--control" {
            control = Some(PathBuf::from(it.next().ok_or("--control needs a FIFO path")?));
        } else {
            rest.push(a.clone());
        }
    }
    Ok((control, rest))
}

/// Creates the FIFO `path` if missing (a FIFO already there is reused).
fn make_fifo(path: &Path) -> Result<bool> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_fifo() => return Ok(false),
        Ok(_) => return Err(format!("{}: exists and is not a FIFO", path.display())),
        Err(_) => {}
    }
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{}: bad path", path.display()))?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(format!("mkfifo {}: {}", path.display(), std::io::Error::last_os_error()));
    }
    Ok(true)
}

/// Reads control lines from the FIFO forever (reopening it after each writer) and sends them on.
fn read_fifo(path: PathBuf, tx: std::sync::mpsc::Sender<String>) {
    use std::io::BufRead;
    loop {
        let Ok(f) = std::fs::File::open(&path) else { return };
        for line in std::io::BufReader::new(f).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                return;
            }
        }
    }
}

/// Applies one control line to the stack: `remove` and `insert` wait until pcscd has seen it.
fn apply_control(stack: &mut VirtualStack, line: &str) {
    let result = match Control::parse_line(line) {
        Ok(None) => return,
        Ok(Some(Control::Remove)) => stack.remove_card().map(|()| "card removed"),
        Ok(Some(Control::Insert)) => stack.insert_card().map(|()| "card inserted"),
        Ok(Some(_)) | Err(_) => {
            step(&format!("--control: unknown line {:?} (remove, insert)", line.trim()));
            return;
        }
    };
    match result {
        Ok(done) => step(done),
        Err(e) => step(&format!("--control {line}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn control_option_is_taken_before_the_command() {
        let (control, rest) = take_control(&strings("--profile x --control /tmp/f -- cmd --control y")).unwrap();
        assert_eq!(control.as_deref(), Some(Path::new("/tmp/f")));
        assert_eq!(rest, strings("--profile x -- cmd --control y"));
        assert!(take_control(&strings("--control")).is_err());
        let (control, _) = take_control(&strings("-- cmd")).unwrap();
        assert!(control.is_none());
    }
}
