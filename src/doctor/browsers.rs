//! Every browser's NSS database (`crate::browser::survey`, the places `cie browser` knows):
//! the module registered once, without the FRIENDLY flag, at a path that exists and is the
//! installed module; a browser started before the registration named; snap and Flatpak
//! browsers pointed to the sandboxed setup.

use std::path::Path;

use super::Check;
use crate::browser::survey::{self, Database, DbKind};
use crate::browser::{self};
use crate::i18n::Text;

/// One check per database (none when the home directory is unknown).
pub(super) fn checks(module: Option<&Path>) -> Vec<Check> {
    let Ok(home) = browser::home() else {
        return vec![Check::note("browser", tr!(DoctorLinkBrowsers), tr!(BrowserNoHome), None)];
    };
    let (server, address) = survey::sandboxed_server(&home);
    let mut profiles = 0_usize;
    survey::databases(&home)
        .into_iter()
        .map(|db| {
            let mut c = check(&db, module, server, &address);
            if db.kind != DbKind::Shared {
                profiles += 1;
                c.report_subject = Some(tr!(DoctorPlaceNumber, number = profiles));
            }
            c
        })
        .collect()
}

/// The browsers in a message: `Firefox`, `Chromium and Brave`.
fn names(browsers: &[&str]) -> String {
    match browsers {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => tr!(BrowserAnd, first = rest.join(", "), second = *last).to_string(),
    }
}

/// What to do about a database that needs `cie browser setup`: with the browsers to restart.
fn setup_advice(db: &Database) -> Text {
    let running: Vec<&str> = db.running.iter().map(|(b, _)| *b).collect();
    if running.is_empty() {
        tr!(DoctorAdviceBrowserSetup)
    } else {
        tr!(DoctorAdviceBrowserSetupRestart, browsers = names(&running))
    }
}

fn check(db: &Database, module: Option<&Path>, server: bool, address: &str) -> Check {
    let subject = db.label.clone();
    if db.kind == DbKind::Sandboxed {
        return if server {
            Check::ok("browser", subject, tr!(DoctorDbSandboxedServed, address = address))
        } else {
            Check::problem("browser", subject, tr!(DoctorDbSandboxed), tr!(DoctorAdviceSandboxed))
        };
    }
    let dir = db.dir.display();
    if !db.exists {
        // A browser never started, or not installed: nothing is broken yet.
        return Check::note("browser", subject, tr!(DoctorDbMissing, dir = dir), Some(tr!(DoctorAdviceBrowserSetup)));
    }
    let entry = match db.entries.as_slice() {
        [] => return Check::problem("browser", subject, tr!(DoctorDbNotRegistered), setup_advice(db)),
        [one] => one,
        more => {
            return Check::problem("browser", subject, tr!(DoctorDbTwice, count = more.len()), setup_advice(db));
        }
    };
    let library = entry.library.display();
    if entry.friendly {
        return Check::problem("browser", subject, tr!(DoctorDbFriendly, module = library), setup_advice(db));
    }
    if !entry.library.is_file() {
        return Check::problem("browser", subject, tr!(DoctorDbStale, module = library), setup_advice(db));
    }
    // Registered after the browser started: the browser has not loaded it yet.
    let late: Vec<&str> = db
        .running
        .iter()
        .filter(|(_, started)| matches!((started, db.changed), (Some(s), Some(c)) if c > *s))
        .map(|(b, _)| *b)
        .collect();
    if !late.is_empty() {
        return Check::problem(
            "browser",
            subject,
            tr!(DoctorDbStartedBefore, browsers = names(&late)),
            tr!(DoctorAdviceRestart, browsers = names(&late)),
        );
    }
    let same = module.is_some_and(|m| std::fs::canonicalize(&entry.library).is_ok_and(|l| l == m));
    if module.is_some() && !same {
        return Check::note(
            "browser",
            subject,
            tr!(DoctorDbOtherCopy, module = library),
            Some(tr!(DoctorAdviceBrowserSetup)),
        );
    }
    Check::ok("browser", subject, tr!(DoctorDbOk, module = library))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::browser::survey::Entry;
    use crate::doctor::Status;

    fn db(entries: Vec<Entry>) -> Database {
        Database {
            kind: DbKind::Firefox,
            label: tr!(PlaceFirefox, name = "p"),
            dir: PathBuf::from("/h/.mozilla/firefox/p"),
            exists: true,
            entries,
            running: Vec::new(),
            changed: None,
        }
    }

    #[test]
    fn each_state_and_its_advice() {
        let exe = std::env::current_exe().unwrap();
        let good = Entry { library: exe.clone(), friendly: false };
        let c = check(&db(vec![good.clone()]), Some(&exe), false, "");
        assert_eq!(c.status, Status::Ok, "{c:?}");
        let c = check(&db(vec![]), Some(&exe), false, "");
        assert!(c.status == Status::Problem && c.advice.unwrap().english().contains("cie browser setup"));
        let c = check(&db(vec![Entry { friendly: true, ..good.clone() }]), Some(&exe), false, "");
        assert!(c.finding.english().contains("FRIENDLY"), "{c:?}");
        let c = check(&db(vec![Entry { library: "/gone/libcie_pkcs11.so".into(), friendly: false }]), None, false, "");
        assert!(c.status == Status::Problem && c.finding.english().contains("/gone/libcie_pkcs11.so"), "{c:?}");
        let c = check(&db(vec![good.clone(), good.clone()]), Some(&exe), false, "");
        assert_eq!(c.status, Status::Problem);
        // Firefox started at t, the module list changed after: restart it.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut late = db(vec![good.clone()]);
        late.running = vec![("Firefox", Some(t))];
        late.changed = Some(t + Duration::from_secs(5));
        let c = check(&late, Some(&exe), false, "");
        assert!(
            c.status == Status::Problem && c.advice.as_ref().unwrap().english().contains("restart Firefox"),
            "{c:?}"
        );
        late.changed = Some(t - Duration::from_secs(5));
        assert_eq!(check(&late, Some(&exe), false, "").status, Status::Ok);
        let mut sandboxed = db(vec![]);
        sandboxed.kind = DbKind::Sandboxed;
        let c = check(&sandboxed, Some(&exe), false, "");
        assert!(c.advice.unwrap().english().contains("--sandboxed"));
        assert_eq!(check(&sandboxed, Some(&exe), true, "unix:path=/x").status, Status::Ok);
    }
}
