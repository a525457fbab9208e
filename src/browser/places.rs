//! Where a user's browsers keep their NSS databases, and whether a browser using one is running.
//!
//! - `~/.pki/nssdb`: the shared database of Chromium, Google Chrome and other NSS applications.
//! - Firefox and Firefox ESR: one database per profile, the profile directory itself; profiles
//!   are listed in `profiles.ini` of `~/.mozilla/firefox`.
//! - Snap and Flatpak Firefox keep profiles inside their sandbox, where a module of the host
//!   cannot be loaded: they are reported, not changed (docs/SANDBOXED.md).
//!
//! A running Firefox holds a `lock` symbolic link in its profile (`IP:+PID`), a running
//! Chromium-based browser a `SingletonLock` link (`HOST-PID`) in its configuration directory.

use std::path::{Path, PathBuf};

use crate::i18n::Text;

/// Which kind of database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `~/.pki/nssdb`.
    Shared,
    /// A Firefox profile, with its name.
    Firefox(String),
    /// A Firefox profile inside a snap or Flatpak sandbox.
    Sandboxed(String),
    /// Not a database: the systemd user unit of the p11-kit server for sandboxed browsers.
    Server,
}

/// One place.
#[derive(Clone, Debug)]
pub(super) struct Place {
    /// What it is.
    pub(super) kind: Kind,
    /// The database directory.
    pub(super) dir: PathBuf,
}

impl Place {
    /// A short description for messages.
    pub(super) fn label(&self) -> Text {
        match &self.kind {
            Kind::Shared => tr!(PlaceShared),
            Kind::Firefox(name) => tr!(PlaceFirefox, name = name),
            Kind::Sandboxed(name) => tr!(PlaceSandboxed, name = name),
            Kind::Server => tr!(PlaceServer),
        }
    }
}

/// Firefox profile directories from the text of a `profiles.ini` in `base`: `(name, dir)`.
pub(super) fn firefox_profiles(ini: &str, base: &Path) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut section = String::new();
    let (mut name, mut path, mut relative) = (None::<String>, None::<String>, true);
    let mut flush = |section: &str, name: &mut Option<String>, path: &mut Option<String>, relative: bool| {
        if section.starts_with("Profile") {
            if let Some(p) = path.take() {
                let dir = if relative { base.join(&p) } else { PathBuf::from(&p) };
                let n = name.take().unwrap_or_else(|| p.clone());
                if !found.iter().any(|(_, d)| *d == dir) {
                    found.push((n, dir));
                }
            }
        }
        *name = None;
        *path = None;
    };
    for line in ini.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            flush(&section, &mut name, &mut path, relative);
            section = s.to_owned();
            relative = true;
        } else if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "Name" => name = Some(v.trim().to_owned()),
                "Path" => path = Some(v.trim().to_owned()),
                "IsRelative" => relative = v.trim() != "0",
                _ => {}
            }
        }
    }
    flush(&section, &mut name, &mut path, relative);
    found
}

/// Every place of the user whose home is `home`: the shared database (even when it does not
/// exist yet), then the Firefox profiles that exist, then sandboxed ones.
pub(super) fn places(home: &Path) -> Vec<Place> {
    let mut all = vec![Place { kind: Kind::Shared, dir: home.join(".pki/nssdb") }];
    let roots: [(&str, bool); 3] = [
        (".mozilla/firefox", false),
        ("snap/firefox/common/.mozilla/firefox", true),
        (".var/app/org.mozilla.firefox/.mozilla/firefox", true),
    ];
    for (root, sandboxed) in roots {
        let base = home.join(root);
        let Ok(ini) = std::fs::read_to_string(base.join("profiles.ini")) else { continue };
        for (name, dir) in firefox_profiles(&ini, &base) {
            if dir.is_dir() {
                let kind = if sandboxed { Kind::Sandboxed(name) } else { Kind::Firefox(name) };
                all.push(Place { kind, dir });
            }
        }
    }
    all
}

/// The process id in a browser lock link's target: the digits after the last `+` or `-`.
fn lock_pid(target: &str) -> Option<u32> {
    let digits = target.rsplit(['+', '-']).next()?;
    digits.parse().ok()
}

/// Whether the lock link at `path` names a live process.
pub(super) fn locked_by_live_process(path: &Path) -> bool {
    let Ok(target) = std::fs::read_link(path) else { return false };
    lock_pid(&target.to_string_lossy()).is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

/// The running browsers that use the place (names for the message), if any.
pub(super) fn running_browsers(place: &Place, home: &Path) -> Vec<&'static str> {
    browser_locks(place, home)
        .into_iter()
        .filter(|(_, lock)| locked_by_live_process(lock))
        .map(|(name, _)| name)
        .collect()
}

/// The lock links that the browsers using the place hold while they run: `(browser, link)`.
pub(super) fn browser_locks(place: &Place, home: &Path) -> Vec<(&'static str, PathBuf)> {
    match &place.kind {
        Kind::Firefox(_) | Kind::Sandboxed(_) => vec![("Firefox", place.dir.join("lock"))],
        Kind::Server => Vec::new(),
        Kind::Shared => [
            ("chromium", "Chromium"),
            ("google-chrome", "Google Chrome"),
            ("BraveSoftware/Brave-Browser", "Brave"),
            ("microsoft-edge", "Microsoft Edge"),
            ("vivaldi", "Vivaldi"),
        ]
        .into_iter()
        .map(|(dir, name)| (name, home.join(".config").join(dir).join("SingletonLock")))
        .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_ini() {
        let ini = "[Install4F96D1932A9F858E]\nDefault=abcd.default-esr\nLocked=1\n\n\
                   [Profile1]\nName=default\nIsRelative=1\nPath=efgh.default\n\n\
                   [Profile0]\nName=default-esr\nIsRelative=1\nPath=abcd.default-esr\nDefault=1\n\n\
                   [Profile2]\nName=work\nIsRelative=0\nPath=/data/ff/work\n\n\
                   [General]\nStartWithLastProfile=1\nVersion=2\n";
        let base = Path::new("/h/.mozilla/firefox");
        let p = firefox_profiles(ini, base);
        assert_eq!(
            p,
            vec![
                ("default".to_owned(), base.join("efgh.default")),
                ("default-esr".to_owned(), base.join("abcd.default-esr")),
                ("work".to_owned(), PathBuf::from("/data/ff/work")),
            ]
        );
        assert!(firefox_profiles("", base).is_empty());
        assert!(firefox_profiles("[Profile0]\nName=x\n", base).is_empty(), "no Path");
    }

    #[test]
    fn lock_targets() {
        assert_eq!(lock_pid("127.0.1.1:+4242"), Some(4242));
        assert_eq!(lock_pid("my-host-name-31337"), Some(31337));
        assert_eq!(lock_pid("garbage"), None);
        let dir = std::env::temp_dir().join(format!("cie-lock-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("lock");
        std::os::unix::fs::symlink(format!("127.0.0.1:+{}", std::process::id()), &link).unwrap();
        assert!(locked_by_live_process(&link));
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink("127.0.0.1:+4294967295", &link).unwrap();
        assert!(!locked_by_live_process(&link));
        let place = Place { kind: Kind::Firefox("p".into()), dir: dir.clone() };
        assert!(running_browsers(&place, &dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
