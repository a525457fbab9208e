//! How far long work has got: the streaming functions (signing, verifying, extracting) report
//! the bytes they hash, copy or compare, a chunk at a time, to a [`Progress`] their caller
//! passes. This crate only counts; drawing a bar (or not) is the caller's business.

use std::io::Read;

/// Receives the progress of a long operation, in bytes.
pub trait Progress {
    /// The whole work is `bytes` long. Called when the operation learns its size (not at all
    /// when it cannot know it, e.g. content read from a pipe); again if it turns out longer.
    fn total(&mut self, bytes: u64);

    /// `bytes` more are done.
    fn advance(&mut self, bytes: u64);
}

/// A [`Progress`] that ignores everything: for callers that show none.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn total(&mut self, _bytes: u64) {}

    fn advance(&mut self, _bytes: u64) {}
}

/// A reader that reports every byte read from `inner` to a [`Progress`].
pub struct ProgressReader<'a, R: ?Sized> {
    progress: &'a mut dyn Progress,
    inner: &'a mut R,
}

impl<'a, R: Read + ?Sized> ProgressReader<'a, R> {
    /// Reads from `inner`, reporting to `progress`.
    pub fn new(inner: &'a mut R, progress: &'a mut dyn Progress) -> ProgressReader<'a, R> {
        ProgressReader { progress, inner }
    }
}

impl<R: Read + ?Sized> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what an operation reports.
    #[derive(Debug, Default)]
    struct Recorded {
        totals: Vec<u64>,
        done: u64,
    }

    impl Progress for Recorded {
        fn total(&mut self, bytes: u64) {
            self.totals.push(bytes);
        }

        fn advance(&mut self, bytes: u64) {
            self.done += bytes;
        }
    }

    #[test]
    fn reader_reports_every_byte() {
        let data = vec![7u8; 100_000];
        let mut recorded = Recorded::default();
        let mut out = Vec::new();
        ProgressReader::new(&mut &data[..], &mut recorded).read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(recorded.done, 100_000);
        assert!(recorded.totals.is_empty());
    }
}
