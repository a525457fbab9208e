//! Writing a signed document or an extracted content to its path safely: through a new file
//! with an unpredictable name in the output's directory (`.NAME.<16 random hex digits>.tmp`,
//! created with `O_CREAT|O_EXCL` and mode 0600, so no symbolic link or file planted there is
//! followed or reused), given the mode a new file would get (0666 less the umask) and renamed
//! onto the output once complete; removed if dropped before. A failure leaves neither a partial
//! output nor a temporary file. The CLI and the C ABI both write through it.

use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};

/// Names tried before giving up when each is taken (a collision of 64 random bits).
const ATTEMPTS: usize = 8;

/// An output being written: its temporary file, renamed onto the output by [`Staged::commit`].
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    output: PathBuf,
    committed: bool,
}

impl Staged {
    /// Creates the temporary file for `output`; returns it with a writer on it.
    pub fn create(output: &Path) -> std::io::Result<(Staged, BufWriter<File>)> {
        let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut attempts = 0;
        loop {
            let mut random = [0u8; 8];
            OsRng.try_fill_bytes(&mut random).map_err(std::io::Error::other)?;
            let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = output.with_file_name(format!(".{name}.{hex}.tmp"));
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp) {
                Ok(file) => {
                    let staged = Staged { tmp, output: output.to_path_buf(), committed: false };
                    return Ok((staged, BufWriter::new(file)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < ATTEMPTS => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Flushes `out` to disk, gives the file its final mode and renames it onto the output.
    pub fn commit(mut self, out: BufWriter<File>) -> std::io::Result<()> {
        let file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.output)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The process's file mode creation mask, read without changing it (`Umask:` in
/// /proc/self/status, Linux 4.7+; a library cannot call umask(2) while other threads may create
/// files); 022 when it cannot be read.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Umask:").and_then(|v| u32::from_str_radix(v.trim(), 8).ok()))
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn written_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("cie-sign-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("firmato.p7m");
        let (staged, mut w) = Staged::create(&out).unwrap();
        w.write_all(b"abc").unwrap();
        assert!(!out.exists());
        staged.commit(w).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"abc");
        // Dropped before commit: nothing left behind, the old output untouched.
        let (staged, mut w) = Staged::create(&out).unwrap();
        w.write_all(b"partial").unwrap();
        drop((staged, w));
        assert_eq!(std::fs::read(&out).unwrap(), b"abc");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["firmato.p7m"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
