//! `cie readers`: the PC/SC readers present.

use cie_core::pcsc_backend::PcscTransport;
use clap::Args;
use serde::Serialize;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::output::print_json;

/// List the smart-card readers
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct ReadersArgs {}

/// `cie --json readers` (docs/JSON.md).
#[derive(Serialize)]
struct ReadersJson {
    /// The PC/SC names of the readers.
    readers: Vec<String>,
}

impl Run for ReadersArgs {
    /// Lists the readers, one per line (or a JSON array).
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let readers = PcscTransport::list_readers()?;
        if ctx.globals.json {
            print_json(&ReadersJson { readers });
        } else {
            for r in readers {
                println!("{r}");
            }
        }
        Ok(())
    }
}
