//! `cie readers`: the PC/SC readers present.

use cie_core::pcsc_backend::PcscTransport;
use clap::Args;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::output::Json;

/// List the smart-card readers
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct ReadersArgs {}

impl Run for ReadersArgs {
    /// Lists the readers, one per line (or a JSON array).
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        let readers = PcscTransport::list_readers()?;
        if ctx.globals.json {
            let list = readers.into_iter().map(Json::Str).collect();
            println!("{}", Json::object([("readers", Json::Array(list))]));
        } else {
            for r in readers {
                println!("{r}");
            }
        }
        Ok(())
    }
}
