//! `cie`: the command-line tool for the Italian electronic identity card (CIE 3.0).

#[macro_use]
mod i18n;

mod batch;
mod browser;
mod card;
mod cli;
mod commands;
mod ctx;
mod doctor;
mod failure;
mod holder;
mod output;
mod pin_input;
mod progress;
mod staged;

use std::process::ExitCode;

/// `CIE_LOG=debug` (or `info`, `trace`) logs to standard error, APDU traces included with
/// PIN/PUK data redacted; nothing is logged otherwise.
fn init_logging() {
    let level = match std::env::var("CIE_LOG").ok().as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("trace") => tracing::Level::TRACE,
        Some("debug") => tracing::Level::DEBUG,
        Some("info") => tracing::Level::INFO,
        Some("warn") => tracing::Level::WARN,
        Some("error") => tracing::Level::ERROR,
        _ => return,
    };
    let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).try_init();
}

/// Output into a closed pipe (`cie verify FILE | head -1`) ends the process quietly, as it does
/// for other Unix tools, instead of a panic in `println!`: Rust ignores SIGPIPE by default.
fn default_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL has no preconditions; no other thread
    // exists yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    default_sigpipe();
    init_logging();
    let invocation = match cli::parse(std::env::args_os().skip(1)) {
        Ok(i) => i,
        // Help and version on standard output (status 0), mistakes on standard error (status 2).
        Err(e) => e.exit(),
    };
    let json = invocation.ctx.globals.json;
    let result = invocation.run();
    progress::settle();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let code = failure.exit_code();
            output::report_failure(&failure, json);
            ExitCode::from(code)
        }
    }
}
