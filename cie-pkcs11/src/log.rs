//! Logging (DESIGN.md §6): off by default. `CIE_PKCS11_LOG=error|warn|info|debug|trace` turns it
//! on (to stderr), `CIE_PKCS11_LOG_FILE=path` sends it to a file (level `info` unless
//! `CIE_PKCS11_LOG` says otherwise). PINs are never logged: the module logs no argument of the
//! PIN functions, and cie-core's APDU trace (debug) redacts VERIFY / CHANGE / RESET RETRY data.

use std::sync::{Mutex, Once};

use tracing::level_filters::LevelFilter;

static INIT: Once = Once::new();

/// The level named by `value` (`None`: off).
pub(crate) fn level_from(value: Option<&str>, file_given: bool) -> Option<LevelFilter> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) => match v.as_str() {
            "trace" => Some(LevelFilter::TRACE),
            "debug" => Some(LevelFilter::DEBUG),
            "info" | "1" | "on" | "yes" | "true" => Some(LevelFilter::INFO),
            "warn" | "warning" => Some(LevelFilter::WARN),
            "error" => Some(LevelFilter::ERROR),
            _ => None,
        },
        None if file_given => Some(LevelFilter::INFO),
        None => None,
    }
}

/// Installs the log subscriber once per process, as the environment says.
pub(crate) fn init_from_env() {
    INIT.call_once(|| {
        let file = std::env::var_os("CIE_PKCS11_LOG_FILE").filter(|f| !f.is_empty());
        let Some(level) = level_from(std::env::var("CIE_PKCS11_LOG").ok().as_deref(), file.is_some()) else {
            return;
        };
        let builder = tracing_subscriber::fmt().with_max_level(level).with_ansi(false).with_target(true);
        let result = match file {
            Some(path) => match open_log_file(std::path::Path::new(&path)) {
                Ok(f) => builder.with_writer(Mutex::new(f)).try_init(),
                Err(e) => {
                    eprintln!("cie-pkcs11: cannot open the log file {}: {e}", path.to_string_lossy());
                    builder.with_writer(std::io::stderr).try_init()
                }
            },
            None => builder.with_writer(std::io::stderr).try_init(),
        };
        // Another subscriber in this copy of `tracing` already exists: keep it.
        let _ = result;
    });
}

/// Opens the log file for appending. A new file is created with mode 0600 (debug traces hold
/// the NIS and EF.SOD); an existing regular file readable by others is narrowed to 0600.
pub(crate) fn open_log_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    let meta = f.metadata()?;
    if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_from(None, false), None);
        assert_eq!(level_from(None, true), Some(LevelFilter::INFO));
        assert_eq!(level_from(Some("DEBUG"), false), Some(LevelFilter::DEBUG));
        assert_eq!(level_from(Some("info"), true), Some(LevelFilter::INFO));
        assert_eq!(level_from(Some("off"), true), None);
    }

    #[test]
    fn log_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("cie-pkcs11-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let new = dir.join("new.log");
        let _ = std::fs::remove_file(&new);
        open_log_file(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        let old = dir.join("old.log");
        std::fs::write(&old, b"before\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        use std::io::Write;
        writeln!(open_log_file(&old).unwrap(), "after").unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "before\nafter\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
