//! The PKCS#11 module's certificate cache (cie-pkcs11's `cache.rs`): where it is, whether it is
//! private to the user, how many cards it knows. File names are hashes of card data, so only
//! counts are shown. The directory rule is the module's: `CIE_PKCS11_CACHE=off` (or `0`, `no`,
//! `false`, `disabled`) turns it off; else `$XDG_CACHE_HOME/cie` or `~/.cache/cie`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use super::Check;

/// The cache directory, or `None` when the cache is off or no home is known (`Err(())`).
fn dir() -> Result<Option<PathBuf>, ()> {
    if let Ok(v) = std::env::var("CIE_PKCS11_CACHE") {
        if matches!(v.to_ascii_lowercase().as_str(), "off" | "0" | "no" | "false" | "disabled") {
            return Ok(None);
        }
    }
    let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME").ok_or(())?).join(".cache"),
    };
    if base.is_absolute() {
        Ok(Some(base.join("cie")))
    } else {
        Err(())
    }
}

/// The cache link.
pub(super) fn checks() -> Vec<Check> {
    let subject = || tr!(DoctorLinkCache);
    let dir = match dir() {
        Ok(Some(d)) => d,
        Ok(None) => return vec![Check::note("cache", subject(), tr!(DoctorCacheOff), None)],
        Err(()) => return Vec::new(),
    };
    let shown = dir.display();
    let Ok(meta) = std::fs::symlink_metadata(&dir) else {
        return vec![Check::ok("cache", subject(), tr!(DoctorCacheEmpty, dir = shown))];
    };
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return vec![Check::problem(
            "cache",
            subject(),
            tr!(DoctorCacheNotPrivate, dir = shown),
            tr!(DoctorAdviceCache, dir = dir.display()),
        )];
    }
    let (mut certificates, mut cards) = (0_usize, 0_usize);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten().take(10_000) {
            match e.path().extension().and_then(|x| x.to_str()) {
                Some("cert") => certificates += 1,
                Some("card") => cards += 1,
                _ => {}
            }
        }
    }
    vec![Check::ok("cache", subject(), tr!(DoctorCacheOk, dir = shown, certificates = certificates, cards = cards))]
}
