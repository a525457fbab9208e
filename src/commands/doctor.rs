//! `cie doctor`: walks the chain from pcscd to the browsers and says for each link ok or what
//! is wrong and what to do (the checks are in [`crate::doctor`]); `--report FILE` writes the
//! same for the help desk with nothing personal in it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::Run;
use crate::ctx::Ctx;
use crate::doctor::{self, Options};
use crate::failure::{file_error, Failure};
use crate::i18n::Lang;
use crate::staged::Staged;

/// Check pcscd, readers, card, module and browsers, and say what to fix
///
/// Never asks for the PIN: the card is only asked how many PIN and PUK tries are left, which
/// spends none. Nothing is changed.
///
/// Exit status: 0 when every link is ok (notes included), 7 when at least one link has a
/// problem (each is shown with the one thing to do), 1 when the report file cannot be written.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct DoctorArgs {
    /// Also write the findings to FILE, a text to send to the help desk: no NIS, fiscal code,
    /// name, card number or certificate in it
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
}

impl Run for DoctorArgs {
    /// Diagnoses every link; prints them; writes the report if asked.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        ctx.progress.step(tr!(StepDoctor));
        let checks = doctor::diagnose(&Options { reader: ctx.globals.reader.clone() });
        // The spinner (on a terminal) goes before the findings are printed.
        ctx.progress.done();
        if let Some(path) = &self.report {
            let home = std::env::var("HOME").ok();
            let text = doctor::report(&checks, Lang::current(), home.as_deref());
            let (staged, mut out) = Staged::create(path)?;
            out.write_all(text.as_bytes()).map_err(|e| file_error(path, e))?;
            staged.commit(out)?;
        }
        if ctx.globals.json {
            crate::output::print_json(&doctor::json(&checks));
        } else {
            print!("{}", doctor::text(&checks, Lang::current()));
            if doctor::problems(&checks) == 0 {
                println!("\n{}", doctor::summary(&checks));
            }
            if let Some(path) = &self.report {
                println!("{}", tr!(DoctorReportWritten, path = path.display()));
            }
        }
        match doctor::problems(&checks) {
            0 => Ok(()),
            n => Err(Failure::Diagnosed(tr!(DoctorProblems, count = n))),
        }
    }
}
