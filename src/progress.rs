//! Progress on standard error (indicatif). On a terminal a spinner names the card step under
//! way (connecting, secure channel and PIN, signature) and a bar counts the bytes of long work
//! on a file (done and total, rate, time left), or over files (done of all, `cie verify` of
//! several); when standard error is not a terminal each step
//! is a plain line, as in a log, and there is no bar; with `--quiet` there is nothing.
//!
//! The spinner is the terminal's, one per process: [`settle`] clears it before anything else is
//! written there (a prompt, the output, an error).

use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::i18n::Text;

/// How often a spinner or a bar is redrawn when nothing else happens.
const TICK: Duration = Duration::from_millis(100);

/// A bar appears once its work has lasted this long...
const MOMENT: Duration = Duration::from_millis(400);

/// ...or at once when the work is at least this many bytes (it will last more than a moment).
const LONG_WORK: u64 = 32 * 1024 * 1024;

/// The spinner of the step under way, if one is drawn.
static SPINNER: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn spinner() -> MutexGuard<'static, Option<ProgressBar>> {
    // A panic while the lock was held leaves at worst a stale spinner: still usable.
    SPINNER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Clears the spinner, if one is drawn, so that what comes next starts on a clean line.
pub(crate) fn settle() {
    if let Some(s) = spinner().take() {
        s.finish_and_clear();
    }
}

/// Where progress goes: a spinner and bars on a terminal, lines elsewhere, nothing if quiet.
#[derive(Clone, Copy)]
pub(crate) struct Progress {
    quiet: bool,
    terminal: bool,
}

impl Progress {
    /// Progress shown unless `quiet`, drawn if standard error is a terminal.
    pub(crate) fn new(quiet: bool) -> Progress {
        Progress { quiet, terminal: std::io::stderr().is_terminal() }
    }

    /// Announces a step that starts now: the spinner's text on a terminal, a line otherwise.
    pub(crate) fn step(&self, what: Text) {
        let line = tr!(Progress, step = what);
        if self.quiet {
        } else if self.terminal {
            let mut current = spinner();
            let s = current.get_or_insert_with(|| {
                let s = ProgressBar::new_spinner().with_style(template_style("{spinner} {wide_msg}"));
                s.enable_steady_tick(TICK);
                s
            });
            s.set_message(line.to_string());
        } else {
            eprintln!("{line}");
        }
    }

    /// The card's steps are over: clears the spinner before the output.
    pub(crate) fn done(&self) {
        settle();
    }

    /// A bar over the bytes of work on a file, `what` beside it; `total` when known. It stays
    /// hidden for work that ends within a moment, and on anything but a terminal.
    pub(crate) fn bar(&self, what: Text, total: Option<u64>) -> Bar {
        if self.quiet || !self.terminal {
            return Bar { bar: None, shown: false, started: Instant::now() };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style(false));
        bar.set_message(what.to_string());
        bar.enable_steady_tick(TICK);
        let mut bar = Bar { bar: Some(bar), shown: false, started: Instant::now() };
        if let Some(n) = total {
            cie_sign::Progress::total(&mut bar, n);
        }
        bar.show_if_long();
        bar
    }

    /// A bar over `total` files, drawn at once on a terminal (several files are more than a
    /// moment's work); nothing elsewhere or if quiet.
    pub(crate) fn files(&self, total: usize) -> Files {
        if self.quiet || !self.terminal {
            return Files { bar: None };
        }
        settle();
        let bar =
            ProgressBar::new(total as u64).with_style(template_style("{spinner} {pos}/{len} [{bar:20}] {wide_msg}"));
        bar.enable_steady_tick(TICK);
        Files { bar: Some(bar) }
    }
}

/// A bar over files ([`Progress::files`]): how many are done of all, the current one's work
/// beside it. Cleared when dropped.
pub(crate) struct Files {
    bar: Option<ProgressBar>,
}

impl Files {
    /// Work on the next file starts: `what` beside the count.
    pub(crate) fn start(&self, what: Text) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
            bar.force_draw();
        }
    }

    /// One more file is done.
    pub(crate) fn done_one(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.force_draw();
        }
    }

    /// Runs `f`, which writes to the terminal, with the bar cleared, then draws it again.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// A bar's look: bytes done, of the total, the bar, rate and time left when the total is
/// known; bytes done and rate otherwise.
fn style(total_known: bool) -> ProgressStyle {
    let template = if total_known {
        let left = tr!(ProgressLeft, eta = "{eta}");
        format!("{{spinner}} {{binary_bytes}}/{{binary_total_bytes}} [{{bar:20}}] {{binary_bytes_per_sec}}, {left} {{wide_msg}}")
    } else {
        "{spinner} {binary_bytes} {binary_bytes_per_sec} {wide_msg}".to_owned()
    };
    template_style(&template)
}

/// `template`, or indicatif's default if a translation broke it.
fn template_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// A bar over bytes of work ([`Progress::bar`]); cie-sign reports to it. Cleared when dropped.
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    shown: bool,
    started: Instant,
}

impl Bar {
    /// Draws the bar once the work is known to last more than a moment: long enough already,
    /// or large. The step's spinner gives way to it.
    fn show_if_long(&mut self) {
        let Some(bar) = &self.bar else { return };
        if self.shown {
            return;
        }
        let large = bar.length().is_some_and(|n| n >= LONG_WORK);
        if large || self.started.elapsed() >= MOMENT {
            settle();
            bar.set_draw_target(ProgressDrawTarget::stderr());
            // Drawn now, not at the next tick: work that ends sooner still showed its bar.
            bar.force_draw();
            self.shown = true;
        }
    }
}

impl cie_sign::Progress for Bar {
    fn total(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            if bar.length().is_none() {
                bar.set_style(style(true));
            }
            bar.set_length(bytes);
            self.show_if_long();
        }
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            self.show_if_long();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
