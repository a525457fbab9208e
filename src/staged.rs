//! A document written to a new temporary file with an unpredictable name in the target's
//! directory and renamed into place when complete ([`cie_sign::output::Staged`]): a failure
//! leaves no half-written document, and no link planted in the directory is followed.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::failure::{file_error, Failure};

/// An output being written, with its final path for error messages.
pub(crate) struct Staged {
    /// The temporary file.
    inner: cie_sign::output::Staged,
    /// Where it goes.
    path: PathBuf,
}

impl Staged {
    /// Starts writing `output`: the writer to fill, then [`Staged::commit`].
    pub(crate) fn create(output: &Path) -> Result<(Staged, BufWriter<File>), Failure> {
        let (inner, out) = cie_sign::output::Staged::create(output).map_err(|e| file_error(output, e))?;
        Ok((Staged { inner, path: output.to_path_buf() }, out))
    }

    /// Flushes `out` and renames the temporary file into place.
    pub(crate) fn commit(self, out: BufWriter<File>) -> Result<(), Failure> {
        self.inner.commit(out).map_err(|e| file_error(&self.path, e))
    }
}
