//! `cie readers`: the PC/SC readers present.

use cie_core::pcsc_backend::PcscTransport;

use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::output::Json;

/// Lists the readers, one per line (or a JSON array).
pub fn run(ctx: &Ctx) -> Result<(), Failure> {
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
