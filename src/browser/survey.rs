//! A read-only look at every NSS database of the user, for `cie doctor`: where the module is
//! registered and how, and which browser using each database runs since when. Nothing is
//! changed and no NSS tool is run (no module is loaded, no card is touched).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::nssdb::NssDb;
use super::places::{self, Kind};
use super::sandboxed;
use crate::i18n::Text;

/// Which kind of database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DbKind {
    /// `~/.pki/nssdb` (Chromium, Chrome, other NSS programs).
    Shared,
    /// A Firefox profile.
    Firefox,
    /// A browser inside a snap or Flatpak sandbox, out of reach of a host module.
    Sandboxed,
}

/// One entry of the database that loads the CIE module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The registered library path.
    pub(crate) library: PathBuf,
    /// Whether it carries the FRIENDLY flag (no PIN asked on first use: broken with the CIE).
    pub(crate) friendly: bool,
}

/// One database as found.
#[derive(Clone, Debug)]
pub(crate) struct Database {
    /// Its kind.
    pub(crate) kind: DbKind,
    /// What it is, for the screen (`Firefox profile "work"`).
    pub(crate) label: Text,
    /// The directory.
    pub(crate) dir: PathBuf,
    /// Whether the directory holds a database.
    pub(crate) exists: bool,
    /// The entries that load the CIE module.
    pub(crate) entries: Vec<Entry>,
    /// The browsers running on it, each with the time its lock was taken (when known).
    pub(crate) running: Vec<(&'static str, Option<SystemTime>)>,
    /// When the database's module list (`pkcs11.txt`) last changed.
    pub(crate) changed: Option<SystemTime>,
}

/// Every database of the user whose home is `home`, in `cie browser status`'s order, then the
/// sandboxed Chromium installations found (snap, Flatpak), which keep their database inside the
/// sandbox.
pub(crate) fn databases(home: &Path) -> Vec<Database> {
    let mut found = Vec::new();
    for place in places::places(home) {
        let kind = match &place.kind {
            Kind::Shared => DbKind::Shared,
            Kind::Firefox(_) => DbKind::Firefox,
            Kind::Sandboxed(_) => DbKind::Sandboxed,
            Kind::Server => continue,
        };
        let db = NssDb { dir: place.dir.clone() };
        let running = places::browser_locks(&place, home)
            .into_iter()
            .filter(|(_, lock)| places::locked_by_live_process(lock))
            .map(|(name, lock)| (name, std::fs::symlink_metadata(lock).and_then(|m| m.modified()).ok()))
            .collect();
        let changed = std::fs::metadata(place.dir.join("pkcs11.txt")).and_then(|m| m.modified()).ok();
        found.push(Database {
            kind,
            label: place.label(),
            exists: db.exists(),
            entries: db
                .registrations()
                .into_iter()
                .map(|r| Entry { library: r.library, friendly: r.friendly })
                .collect(),
            dir: place.dir,
            running,
            changed,
        });
    }
    for (dir, name) in [("snap/chromium", "Chromium (snap)"), (".var/app/org.chromium.Chromium", "Chromium (Flatpak)")]
    {
        let dir = home.join(dir);
        if dir.is_dir() {
            found.push(Database {
                kind: DbKind::Sandboxed,
                label: tr!(PlaceSandboxed, name = name),
                dir,
                exists: false,
                entries: Vec::new(),
                running: Vec::new(),
                changed: None,
            });
        }
    }
    found
}

/// Whether the p11-kit server unit for sandboxed browsers is installed (`cie browser setup
/// --sandboxed`), and the address it serves.
pub(crate) fn sandboxed_server(home: &Path) -> (bool, String) {
    (sandboxed::unit_path(home).is_file(), sandboxed::address())
}
