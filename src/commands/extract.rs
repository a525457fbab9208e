//! `cie extract`: writes the signed content of a CAdES `.p7m` (DER or BER streamed whatever its
//! size, or Base64 text), through a new temporary file ([`crate::staged`]): the innermost content
//! of envelopes inside envelopes, or that of a chosen level.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use cie_sign::nested;
use clap::Args;
use serde::Serialize;

use super::{Mistake, Run};
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::output::print_json;
use crate::staged::Staged;

/// Write the signed content of a .p7m (default: FILE without .p7m)
///
/// A .p7m whose content is itself a .p7m (an envelope inside an envelope) gives the innermost
/// content, unless --level says which envelope's content to write.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct ExtractArgs {
    /// The .p7m
    #[arg(value_name = "FILE.p7m")]
    pub(crate) file: String,
    /// Where to write the content
    #[arg(short, long, alias = "out", value_name = "OUT")]
    pub(crate) output: Option<String>,
    /// The content of the N-th envelope from the outside (1: the file's own); default: the
    /// innermost
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=8))]
    pub(crate) level: Option<u8>,
}

/// `cie --json extract` (docs/JSON.md).
#[derive(Serialize)]
struct ExtractedJson {
    /// The `.p7m` read.
    file: String,
    /// The content written.
    output: String,
    /// The content's length.
    bytes: u64,
    /// The envelope level whose content was written (1: the file's own).
    level: usize,
    /// `DER` or `BER`: how the `.p7m` is encoded.
    encoding: &'static str,
}

impl ExtractArgs {
    /// `-o OUT`, or the file's name without `.p7m`; `None` when it has no such name.
    fn output(&self) -> Option<String> {
        match &self.output {
            Some(o) => Some(o.clone()),
            None => match self.file.strip_suffix(".p7m").or_else(|| self.file.strip_suffix(".P7M")) {
                Some(stem) if !stem.is_empty() => Some(stem.to_owned()),
                _ => None,
            },
        }
    }
}

impl Run for ExtractArgs {
    /// An output is needed: `-o`, or a file named `*.p7m`.
    fn check(&self, _ctx: &Ctx) -> Result<(), Mistake> {
        match self.output() {
            Some(_) => Ok(()),
            None => Err(tr!(ExtractNeedsOutput).into()),
        }
    }

    /// Writes the content of the `.p7m` to the output.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        // `check` made sure there is one.
        let output = self.output().ok_or_else(|| Failure::Usage(tr!(ExtractNeedsOutput)))?;
        extract(ctx, Path::new(&self.file), Path::new(&output), self.level.map(usize::from))
    }
}

/// Writes the content of a `.p7m` to `output` (the signatures are not checked: use verify).
fn extract(ctx: &Ctx, file: &Path, output: &Path, level: Option<usize>) -> Result<(), Failure> {
    if file == output {
        return Err(Failure::Usage(tr!(SameOutput)));
    }
    let mut input = BufReader::new(File::open(file).map_err(|e| file_error(file, e))?);
    let mut first = [0u8; 1];
    let der = std::io::Read::read(&mut input, &mut first).map_err(|e| file_error(file, e))? == 1 && first[0] == 0x30;
    let (staged, mut out) = Staged::create(output)?;
    let (length, reached, encoding) = if der {
        // DER or BER: streamed, whatever the size.
        std::io::Seek::rewind(&mut input).map_err(|e| file_error(file, e))?;
        let mut bar = ctx.progress.bar(tr!(ProgressExtracting, file = file.display()), None);
        nested::extract_level_to(&mut input, level, &mut out, &mut bar)?
    } else {
        // Base64 text of a .p7m: decoded in memory.
        let mut content = Vec::new();
        let found = nested::extract_level(&std::fs::read(file).map_err(|e| file_error(file, e))?, level, &mut content)?;
        out.write_all(&content).map_err(|e| file_error(output, e))?;
        found
    };
    staged.commit(out)?;
    if ctx.globals.json {
        print_json(&ExtractedJson {
            file: file.display().to_string(),
            output: output.display().to_string(),
            bytes: length,
            level: reached,
            encoding: encoding.as_str(),
        });
    } else if reached == 1 {
        println!("{}", tr!(Extracted, file = file.display(), bytes = length, output = output.display()));
    } else {
        let (file, output) = (file.display(), output.display());
        println!("{}", tr!(ExtractedLevel, file = file, bytes = length, level = reached, output = output));
    }
    if !ctx.globals.json && encoding == cie_sign::Encoding::Ber {
        println!("{}", tr!(ExtractedBer, file = file.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_name() {
        let args = |file: &str, output: Option<&str>| ExtractArgs {
            file: file.into(),
            output: output.map(String::from),
            level: None,
        };
        assert_eq!(args("doc.pdf.p7m", None).output().as_deref(), Some("doc.pdf"));
        assert_eq!(args("DOC.P7M", None).output().as_deref(), Some("DOC"));
        assert_eq!(args("doc", Some("out")).output().as_deref(), Some("out"));
        assert_eq!(args("doc", None).output(), None);
        assert_eq!(args(".p7m", None).output(), None);
    }
}
