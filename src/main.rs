//! `cie`: the command-line tool for the Italian electronic identity card (CIE 3.0).

#[macro_use]
mod i18n;

mod args;
mod browser;
mod card;
mod cmd;
mod ctx;
mod demo;
mod failure;
mod holder;
mod output;
mod pin_input;
mod staged;

use std::process::ExitCode;

use args::{Command, SignFormat};
use ctx::Ctx;
use failure::{file_error, Failure};
use output::{Json, Progress};

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

/// A failed write of help text to standard output.
fn stdout_failure(e: std::io::Error) -> Failure {
    file_error(std::path::Path::new("standard output"), e)
}

fn main() -> ExitCode {
    default_sigpipe();
    init_logging();
    let invocation = match args::parse(std::env::args().skip(1)) {
        Ok(i) => i,
        // Help and version on standard output (status 0), mistakes on standard error (status 2).
        Err(e) => e.exit(),
    };
    let json = invocation.globals.json;
    let ctx = Ctx { progress: Progress::new(invocation.globals.quiet), globals: invocation.globals };
    let result = match invocation.command {
        Command::Help => args::print_help(None).map_err(stdout_failure),
        Command::HelpOn(name) => args::print_help(Some(&name)).map_err(stdout_failure),
        Command::Completions(shell) => {
            args::print_completions(shell);
            Ok(())
        }
        Command::Manpages(dir) => args::write_manpages(&dir).map_err(|e| file_error(&dir, e)),
        Command::HelpPin => {
            println!("{}", args::PIN_HELP);
            Ok(())
        }
        Command::Readers => cmd::readers::run(&ctx),
        Command::Info => cmd::info::run(&ctx),
        Command::Cert { format, output } => cmd::cert::run(&ctx, format, output.as_deref()),
        Command::Sign { format: SignFormat::Raw, hash, input, output, .. } => {
            cmd::sign::run(&ctx, hash, &input, &output)
        }
        Command::Sign { format, hash, input, output, cosign } => {
            cmd::document::sign(&ctx, format, hash, &input, &output, cosign)
        }
        Command::Verify { file, ca, no_default_ca, content } => {
            cmd::document::verify(&ctx, &file, &ca, !no_default_ca, content.as_deref())
        }
        Command::Extract { file, output } => cmd::document::extract(&ctx, &file, &output),
        Command::VerifySod { csca } => cmd::sod::run(&ctx, csca.as_deref()),
        Command::PinChange => cmd::pin::change(&ctx),
        Command::PinUnblock => cmd::pin::unblock(&ctx),
        Command::Browser(options) => browser::run(options, json),
        Command::Demo => demo::run(ctx.globals.reader.as_deref(), ctx.globals.pin_source),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let code = failure.exit_code();
            let (message, advice) = (failure.message(), failure.advice());
            eprintln!("{}", tr!(ErrorLine, message = message.clone()));
            eprintln!("{}", tr!(HintLine, hint = advice.clone()));
            // A verification report was already printed; its JSON is the output. JSON is the
            // same in every language: English texts.
            if json && !matches!(failure, Failure::Invalid(..) | Failure::Indeterminate(..)) {
                let j = Json::object([
                    ("error", Json::str(message.english())),
                    ("hint", Json::str(advice.english())),
                    ("exit_code", Json::Int(code.into())),
                ]);
                println!("{j}");
            }
            ExitCode::from(code)
        }
    }
}
