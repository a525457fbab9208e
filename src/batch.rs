//! Work on many files: the files a command line names (directories listed recursively, in
//! sorted order) and a pool of threads that works on them in parallel and hands the results
//! back in the order of the list, with a bounded number in flight.
//!
//! Used by `cie verify FILE|DIR...` (docs/VERIFY.md "Several files"); it knows nothing of
//! signatures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

/// At most this many files from the directories of one command line: the list is held in
/// memory, so a hostile tree cannot make it grow without end.
pub(crate) const MAX_FILES: usize = 100_000;

/// Directories nested deeper than this under a directory named on the command line are not
/// entered (their files would be; the limit keeps the walk's open handles bounded).
pub(crate) const MAX_DEPTH: usize = 64;

/// One entry of the list [`expand`] makes.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A file to work on: named on the command line (whatever it is, even a missing path) or a
    /// regular file (or a symbolic link to something other than a directory) found in a
    /// directory.
    File(PathBuf),
    /// A directory (named or found) that could not be listed, with why.
    Unlisted(PathBuf, std::io::Error),
    /// A directory named on the command line that holds no file at all.
    Empty(PathBuf),
    /// A directory deeper than [`MAX_DEPTH`], not entered.
    TooDeep(PathBuf),
}

/// The list of `paths` has more than [`MAX_FILES`] files.
#[derive(Debug)]
pub(crate) struct TooMany;

/// The entries of `paths` in their order, each directory replaced by the files under it,
/// recursively, sorted by path (byte order of the names, so the same tree gives the same list
/// on every machine). Symbolic links to directories are not followed (no loops, no tree
/// outside the one named); links to files are listed (the work follows them; a dangling one
/// fails there). Also whether any path was a directory.
pub(crate) fn expand(paths: &[PathBuf]) -> Result<(Vec<Entry>, bool), TooMany> {
    let mut out = Vec::new();
    let mut any_dir = false;
    for path in paths {
        // A path named on the command line is followed even if it is a link.
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            any_dir = true;
            let before = out.len();
            walk(path, 0, &mut out)?;
            let files = out[before..].iter().filter(|e| matches!(e, Entry::File(_))).count();
            if files == 0 && out.len() == before {
                out.push(Entry::Empty(path.clone()));
            }
        } else {
            out.push(Entry::File(path.clone()));
        }
        if out.len() > MAX_FILES {
            return Err(TooMany);
        }
    }
    Ok((out, any_dir))
}

/// Appends the files under `dir` (at `depth` below a named directory) to `out`, sorted.
fn walk(dir: &Path, depth: usize, out: &mut Vec<Entry>) -> Result<(), TooMany> {
    if depth > MAX_DEPTH {
        out.push(Entry::TooDeep(dir.to_path_buf()));
        return Ok(());
    }
    let listing = match std::fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            out.push(Entry::Unlisted(dir.to_path_buf(), e));
            return Ok(());
        }
    };
    let mut children = Vec::new();
    for child in listing {
        match child {
            Ok(c) => {
                // file_type does not follow links: a link to a directory is a link.
                let is_dir = c.file_type().is_ok_and(|t| t.is_dir());
                let is_link = c.file_type().is_ok_and(|t| t.is_symlink());
                let path = c.path();
                if is_dir {
                    children.push((path, true));
                } else if is_link && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                    // A link to a directory: not followed.
                } else if is_link || c.file_type().is_ok_and(|t| t.is_file()) {
                    children.push((path, false));
                }
                // Sockets, pipes, devices: not documents.
            }
            Err(e) => {
                out.push(Entry::Unlisted(dir.to_path_buf(), e));
                return Ok(());
            }
        }
        if children.len() > MAX_FILES {
            return Err(TooMany);
        }
    }
    children.sort();
    for (path, is_dir) in children {
        if is_dir {
            walk(&path, depth + 1, out)?;
        } else {
            out.push(Entry::File(path));
        }
        if out.len() > MAX_FILES {
            return Err(TooMany);
        }
    }
    Ok(())
}

/// How many threads work on `count` items: one per core
/// ([`std::thread::available_parallelism`]), no more than there are items.
pub(crate) fn workers(count: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(count).max(1)
}

/// Which item a worker takes next, and how far the results have been handed on.
struct Queue {
    /// The next item no worker has taken.
    next: usize,
    /// Every result before this one was handed to `each`.
    handed: usize,
}

/// Runs `work` on every item on [`workers`] threads and calls `each(index, result)` on this
/// thread in the order of `items`. A worker takes an item only while fewer than `window`
/// results wait for an earlier one (at least one per worker): at most `window` items are in
/// flight or waiting, however slow one of them is, so memory stays bounded as it is for one
/// item times the window.
pub(crate) fn in_order<T, R>(items: &[T], work: impl Fn(&T) -> R + Sync, mut each: impl FnMut(usize, R))
where
    T: Sync,
    R: Send,
{
    let threads = workers(items.len());
    let window = threads * 2;
    let queue = Mutex::new(Queue { next: 0, handed: 0 });
    let turn = Condvar::new();
    // Take the next item, waiting while the window is full; None when all are taken.
    let take = || {
        let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if q.next >= items.len() {
                return None;
            }
            if q.next < q.handed + window {
                q.next += 1;
                return Some(q.next - 1);
            }
            q = turn.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
    };
    std::thread::scope(|scope| {
        let (done, results) = mpsc::channel::<(usize, R)>();
        for _ in 0..threads {
            let done = done.clone();
            let (take, work) = (&take, &work);
            scope.spawn(move || {
                while let Some(i) = take() {
                    if done.send((i, work(&items[i]))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut handed = 0;
        // Ends when every worker has finished (or one panicked: the scope then panics too).
        for (i, result) in results {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&handed) {
                each(handed, result);
                handed += 1;
            }
            queue.lock().unwrap_or_else(PoisonError::into_inner).handed = handed;
            turn.notify_all();
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Results come back in the items' order whatever the order work ends in, and never more
    /// than the window is taken ahead of the oldest unhanded result.
    #[test]
    fn in_order_and_bounded() {
        let items: Vec<usize> = (0..40).collect();
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut seen = Vec::new();
        in_order(
            &items,
            |&i| {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // The first item is the slowest: the others must wait for the window.
                std::thread::sleep(Duration::from_millis(if i == 0 { 50 } else { 1 }));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                i * 10
            },
            |i, r| seen.push((i, r)),
        );
        assert_eq!(seen, items.iter().map(|&i| (i, i * 10)).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= workers(items.len()) * 2);
        // No item: no call.
        in_order(&[] as &[u8], |_| (), |_, _| panic!("called"));
    }

    /// Directories become their files, sorted, recursively; links to directories are not
    /// followed; an empty directory is an entry of its own; a named missing path stays.
    #[test]
    fn expand_lists_sorted_files() {
        let dir = std::env::temp_dir().join(format!("cie-batch-expand-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b/sub")).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        for f in ["b/sub/z.p7m", "b/a.pdf", "c.p7m", "a.p7m"] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        std::os::unix::fs::symlink(dir.join("b"), dir.join("link-to-b")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).unwrap();
        let (entries, any_dir) = expand(&[dir.join("c.p7m"), dir.clone(), dir.join("missing"), dir.join("empty")])
            .unwrap_or_else(|_| panic!("too many"));
        assert!(any_dir);
        let names: Vec<String> = entries
            .iter()
            .map(|e| match e {
                Entry::File(p) => format!("file {}", p.strip_prefix(&dir).unwrap().display()),
                Entry::Empty(p) => format!("empty {}", p.strip_prefix(&dir).unwrap().display()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "file c.p7m",
                "file a.p7m",
                "file b/a.pdf",
                "file b/sub/z.p7m",
                "file c.p7m",
                "file dangling",
                "file missing",
                "empty empty"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
