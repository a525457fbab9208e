//! Running programs for the tasks: each command printed before it runs, a failure as an error
//! naming it, output captured, exit statuses passed on; `cargo` in the workspace.

use std::path::PathBuf;
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use crate::paths::workspace_root;

/// What every task returns: an error is a message for `xtask: error: `.
pub(crate) type Result<T, E = String> = std::result::Result<T, E>;

/// Prints a progress line of a task on standard error.
pub(crate) fn step(msg: &str) {
    eprintln!("xtask: {msg}");
}

/// Runs `cmd`, printing it first; an unsuccessful exit is an error.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    step(&format!("running {}", describe(cmd)));
    let status = cmd.status().map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

/// The command line of `cmd`, with the environment it sets, for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let envs = cmd.get_envs().filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())));
    envs.chain(std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` without input and returns its standard output, trimmed; an unsuccessful exit is an
/// error with its standard error.
pub(crate) fn capture(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", describe(cmd), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The exit code for a task that ran a program: the program's, or failure when a signal
/// ended it.
pub(crate) fn exit_code(status: ExitStatus) -> ExitCode {
    match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE, // killed by a signal
    }
}

/// `cargo` (the one running xtask) in the workspace root.
pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

/// `name` in `$PATH`.
pub(crate) fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}
