//! `cie_set_log_callback`: the library's diagnostics (cie-core's `tracing` events: reader
//! events, APDU traces with PIN data redacted, errors) delivered to a C callback. No PIN, PUK
//! or key ever appears in them: cie-core redacts VERIFY, CHANGE REFERENCE DATA and RESET
//! RETRY COUNTER data before logging, and secure-messaging payloads are logged encrypted.

use std::ffi::{c_char, c_int, c_void, CString};
use std::fmt::Write as _;
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::status::{cie_status, guard, FfiError, CIE_ERR_GENERIC};

/// A log level for `cie_set_log_callback`.
pub type cie_log_level = c_int;
/// Failures the library reports.
pub const CIE_LOG_ERROR: cie_log_level = 1;
/// Unexpected but handled situations.
pub const CIE_LOG_WARN: cie_log_level = 2;
/// Notable events (a card reset recovered, a secure channel re-established).
pub const CIE_LOG_INFO: cie_log_level = 3;
/// Details for troubleshooting: every APDU (PIN data redacted) and every failed call.
pub const CIE_LOG_DEBUG: cie_log_level = 4;
/// Everything.
pub const CIE_LOG_TRACE: cie_log_level = 5;

/// A log callback: `level` is a `CIE_LOG_*` value, `message` a NUL-terminated UTF-8 line
/// ("target: text") valid only during the call, `user` the pointer given to
/// `cie_set_log_callback`. Called on the thread that calls into libcie, possibly from
/// several threads at once; it must return quickly and must not call libcie.
pub type cie_log_callback =
    Option<unsafe extern "C" fn(level: cie_log_level, message: *const c_char, user: *mut c_void)>;

#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(cie_log_level, *const c_char, *mut c_void),
    user: *mut c_void,
    max: cie_log_level,
}

// SAFETY: the C caller promises (in the header) that the callback and `user` may be used from
// any thread.
unsafe impl Send for Sink {}
// SAFETY: as above.
unsafe impl Sync for Sink {}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

fn level_of(level: &Level) -> cie_log_level {
    match *level {
        Level::ERROR => CIE_LOG_ERROR,
        Level::WARN => CIE_LOG_WARN,
        Level::INFO => CIE_LOG_INFO,
        Level::DEBUG => CIE_LOG_DEBUG,
        _ => CIE_LOG_TRACE,
    }
}

fn current() -> Option<Sink> {
    // Poisoning recovered, as everywhere (DESIGN.md §2): the sink is a plain value.
    *SINK.read().unwrap_or_else(|e| e.into_inner())
}

/// Formats an event's fields: the message, then ` key=value` for the others.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// The subscriber that forwards events to the C callback (installed once, process-wide).
struct CallbackSubscriber;

impl Subscriber for CallbackSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level may change at any time: ask `enabled` every time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        current().is_some_and(|s| level_of(metadata.level()) <= s.max)
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let Some(sink) = current() else { return };
        let level = level_of(event.metadata().level());
        if level > sink.max {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        let text = format!("{}: {}{}", event.metadata().target(), line.message, line.fields).replace('\0', "");
        if let Ok(c) = CString::new(text) {
            // SAFETY: a callback the caller registered, with a string valid for the call.
            unsafe { (sink.callback)(level, c.as_ptr(), sink.user) };
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Sends the library's log messages up to `max_level` (`CIE_LOG_ERROR` .. `CIE_LOG_TRACE`) to
/// `callback`, with `user` passed back unchanged; a NULL callback (or `max_level` 0) stops
/// logging. Messages never contain a PIN, a PUK or key material. Process-wide; may be called
/// again at any time to change the callback or the level. Fails with `CIE_ERR_GENERIC` when
/// the host program (a Rust program linking libcie) has already installed its own `tracing`
/// subscriber, `CIE_ERR_BAD_ARGUMENT` for a level outside 0..5.
///
/// # Safety
/// `callback` is NULL or a function that may be called from any thread, with `user`, until
/// logging is stopped or changed.
#[no_mangle]
pub unsafe extern "C" fn cie_set_log_callback(
    callback: cie_log_callback,
    max_level: cie_log_level,
    user: *mut c_void,
) -> cie_status {
    guard(|| {
        if !(0..=CIE_LOG_TRACE).contains(&max_level) {
            return Err(FfiError::bad_argument(format!("log level {max_level} is not 0..5")));
        }
        let installed = *INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(CallbackSubscriber).is_ok());
        if !installed {
            return Err(FfiError::new(
                CIE_ERR_GENERIC,
                "the program already installed a tracing subscriber; libcie's events go there",
            ));
        }
        let sink = callback.filter(|_| max_level > 0).map(|callback| Sink { callback, user, max: max_level });
        *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
        tracing::callsite::rebuild_interest_cache();
        Ok(())
    })
}
