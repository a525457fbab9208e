//! `cie browser setup|status|remove`: the PKCS#11 module in the user's NSS databases
//! (Chromium's `~/.pki/nssdb`, every Firefox profile), so that browsers offer the card when a
//! site asks for a client certificate. Idempotent; says what it did per database; tells the
//! user to restart a browser that was running while its database changed.

mod nssdb;
mod places;
mod sandboxed;

use std::path::{Path, PathBuf};

use crate::failure::Failure;
use crate::output::Json;
use nssdb::{NssDb, Registration, MODULE_NAME};
use places::{Kind, Place};

/// Which subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Register the module.
    Setup,
    /// Report where it is registered.
    Status,
    /// Undo `Setup`.
    Remove,
}

/// Parsed `cie browser` arguments (`crate::args`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// What to do.
    pub action: Action,
    /// `--module PATH`.
    pub module: Option<PathBuf>,
    /// `--sandboxed`.
    pub sandboxed: bool,
}

/// Where the module is looked for: the installation this executable belongs to
/// (`<prefix>/bin/cie` -> `<prefix>/lib/<multiarch>/pkcs11/`, as the Debian package and
/// `cargo xtask install` lay it out), next to this executable (a build tree), then the usual
/// system directories.
fn default_module() -> Option<PathBuf> {
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe().ok().as_deref().and_then(Path::parent) {
        if let Some(prefix) = dir.parent().filter(|_| dir.ends_with("bin")) {
            candidates.push(prefix.join("lib").join(&multiarch).join("pkcs11/libcie_pkcs11.so"));
        }
        candidates.push(dir.join("libcie_pkcs11.so"));
    }
    candidates.extend([
        Path::new("/usr/lib").join(&multiarch).join("pkcs11/libcie_pkcs11.so"),
        PathBuf::from("/usr/lib/pkcs11/libcie_pkcs11.so"),
        PathBuf::from("/usr/local/lib/pkcs11/libcie_pkcs11.so"),
        PathBuf::from("/usr/local/lib/libcie_pkcs11.so"),
    ]);
    candidates.into_iter().find(|p| p.is_file())
}

fn module_path(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let path = match explicit {
        Some(p) if p.is_file() => p,
        Some(p) => return Err(Failure::File(format!("{}: no such module file", p.display()))),
        None => default_module().ok_or_else(|| {
            Failure::File(
                "libcie_pkcs11.so is not installed: install the cie package (or run `cargo xtask install`), \
                 or name the module with --module PATH"
                    .into(),
            )
        })?,
    };
    // NSS keeps the path as given: make it absolute so it works from any directory.
    std::fs::canonicalize(&path).map_err(|e| Failure::File(format!("{}: {e}", path.display())))
}

fn home() -> Result<PathBuf, Failure> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .ok_or_else(|| Failure::File("HOME is not set: cannot find the browsers' databases".into()))
}

/// What happened to one database.
struct Outcome {
    place: Place,
    /// One-line summary.
    what: String,
    /// A browser that must be restarted to see the change.
    restart: Vec<&'static str>,
    /// The registrations found (status).
    registrations: Vec<Registration>,
    /// Tokens visible (status).
    tokens: Option<Result<Vec<String>, String>>,
    failed: bool,
}

impl Outcome {
    fn new(place: &Place, what: impl Into<String>) -> Outcome {
        Outcome {
            place: place.clone(),
            what: what.into(),
            restart: Vec::new(),
            registrations: Vec::new(),
            tokens: None,
            failed: false,
        }
    }

    fn json(&self) -> Json {
        let kind = match &self.place.kind {
            Kind::Shared => "nssdb",
            Kind::Firefox(_) => "firefox",
            Kind::Sandboxed(_) => "sandboxed",
            Kind::Server => "p11-kit-server",
        };
        let mut j = Json::object([
            ("database", Json::str(self.place.dir.display().to_string())),
            ("kind", Json::str(kind)),
            ("label", Json::str(self.place.label())),
            ("result", Json::str(self.what.clone())),
            ("failed", Json::Bool(self.failed)),
            ("restart", Json::Array(self.restart.iter().map(|b| Json::str(*b)).collect())),
            (
                "registered",
                Json::Array(
                    self.registrations
                        .iter()
                        .map(|r| {
                            Json::object([
                                ("name", Json::str(r.name.clone())),
                                ("library", Json::str(r.library.display().to_string())),
                                ("friendly", Json::Bool(r.friendly)),
                            ])
                        })
                        .collect(),
                ),
            ),
        ]);
        if let Some(t) = &self.tokens {
            j = j.with(
                "tokens",
                match t {
                    Ok(t) => Json::Array(t.iter().map(|s| Json::str(s.clone())).collect()),
                    Err(e) => Json::object([("error", Json::str(e.clone()))]),
                },
            );
        }
        j
    }
}

/// Runs `cie browser ARGS`.
pub fn run(options: Options, json: bool) -> Result<(), Failure> {
    let home = home()?;
    let module = match options.action {
        Action::Setup => Some(module_path(options.module)?),
        _ => None,
    };
    let mut outcomes = Vec::new();
    for place in places::places(&home) {
        let db = NssDb { dir: place.dir.clone() };
        let mut o = match (options.action, &place.kind) {
            (_, Kind::Server) => continue,
            (Action::Setup, Kind::Sandboxed(_)) => Outcome::new(
                &place,
                "not changed: a sandboxed browser cannot load a module of the host (see docs/SANDBOXED.md)",
            ),
            (Action::Setup, _) => setup(&place, &db, module.as_deref().unwrap_or(Path::new(""))),
            (Action::Remove, _) => remove(&place, &db),
            (Action::Status, _) => status(&place, &db),
        };
        let changed = ["registered", "re-registered", "removed"].iter().any(|w| o.what.starts_with(w));
        if options.action != Action::Status && changed {
            o.restart = places::running_browsers(&place, &home);
        }
        outcomes.push(o);
    }
    let unit = sandboxed::unit_path(&home);
    let server = Place { kind: Kind::Server, dir: unit.clone() };
    match options.action {
        Action::Setup if options.sandboxed => {
            outcomes.push(setup_server(&server, module.as_deref().unwrap_or(Path::new(""))))
        }
        Action::Remove if unit.exists() => outcomes.push(remove_server(&server)),
        Action::Status if unit.exists() => {
            let active = sandboxed::systemctl(&["is-active", "--quiet", sandboxed::UNIT]);
            let what = format!(
                "installed, {} (address {})",
                if active { "running" } else { "not running" },
                sandboxed::address()
            );
            outcomes.push(Outcome::new(&server, what));
        }
        _ => {}
    }
    report(&outcomes, options.action, json);
    match outcomes.iter().find(|o| o.failed) {
        Some(o) => Err(Failure::File(format!("{}: {}", o.place.dir.display(), o.what))),
        None => Ok(()),
    }
}

fn setup(place: &Place, db: &NssDb, module: &Path) -> Outcome {
    let mut created = false;
    if !db.exists() {
        // ~/.pki/nssdb on a new account, or a Firefox profile never started: create the
        // database as the browser would (no password), so the module is there on first start.
        if let Err(e) = db.create() {
            return failed(place, e.0);
        }
        created = true;
    }
    let existing = db.registrations();
    if existing.len() == 1 && existing[0].library == module && !existing[0].friendly && existing[0].name == MODULE_NAME
    {
        return Outcome::new(place, format!("already registered ({})", module.display()));
    }
    // Entries with another path or the FRIENDLY flag (older instructions) are replaced.
    for r in &existing {
        if let Err(e) = db.delete(&r.name) {
            return failed(place, e.0);
        }
    }
    if let Err(e) = db.add(module) {
        return failed(place, e.0);
    }
    let what = match (created, existing.is_empty()) {
        (true, _) => format!("registered {} (database created)", module.display()),
        (false, true) => format!("registered {}", module.display()),
        (false, false) => format!("re-registered {} (replaced an older or FRIENDLY entry)", module.display()),
    };
    Outcome::new(place, what)
}

fn remove(place: &Place, db: &NssDb) -> Outcome {
    let existing = db.registrations();
    if existing.is_empty() {
        return Outcome::new(place, "not registered");
    }
    for r in &existing {
        if let Err(e) = db.delete(&r.name) {
            return failed(place, e.0);
        }
    }
    Outcome::new(place, "removed")
}

fn status(place: &Place, db: &NssDb) -> Outcome {
    if !db.exists() {
        return Outcome::new(place, "no database");
    }
    let regs = db.registrations();
    let mut o = if regs.is_empty() {
        Outcome::new(place, "not registered")
    } else {
        let r = &regs[0];
        let mut what = format!("registered as \"{}\" ({})", r.name, r.library.display());
        if !r.library.is_file() {
            what.push_str(", but the module file is missing: run cie browser setup again");
        }
        if r.friendly {
            what.push_str(", with the FRIENDLY flag (a first use sends no certificate): run cie browser setup again");
        }
        let mut o = Outcome::new(place, what);
        o.tokens = Some(db.tokens(&r.name).map(|t| t.into_iter().filter(|t| !t.is_empty()).collect()).map_err(|e| e.0));
        o
    };
    o.registrations = regs;
    o
}

/// Writes the p11-kit server unit (if it differs) and asks systemd to start it.
fn setup_server(place: &Place, module: &Path) -> Outcome {
    let Some(p11_kit) = sandboxed::find_p11_kit() else {
        return failed(place, "p11-kit is not installed (Debian/Ubuntu: sudo apt install p11-kit)".into());
    };
    let text = sandboxed::unit_text(&p11_kit, module);
    let unchanged = std::fs::read_to_string(&place.dir).is_ok_and(|t| t == text);
    if !unchanged {
        let written =
            place.dir.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&place.dir, &text));
        if let Err(e) = written {
            return failed(place, format!("writing the unit: {e}"));
        }
    }
    let started = sandboxed::systemctl(&["daemon-reload"])
        && sandboxed::systemctl(&["enable", "--now", sandboxed::UNIT])
        && (unchanged || sandboxed::systemctl(&["restart", sandboxed::UNIT]));
    let what = format!(
        "{}; {}; sandboxed browsers reach the card at {} (see docs/SANDBOXED.md)",
        if unchanged { "unit already installed" } else { "unit written" },
        if started {
            "started by systemd".to_owned()
        } else {
            format!("systemd did not start it: run `systemctl --user enable --now {}`", sandboxed::UNIT)
        },
        sandboxed::address()
    );
    Outcome::new(place, what)
}

/// Stops and removes the p11-kit server unit.
fn remove_server(place: &Place) -> Outcome {
    let stopped = sandboxed::systemctl(&["disable", "--now", sandboxed::UNIT]);
    if let Err(e) = std::fs::remove_file(&place.dir) {
        return failed(place, format!("removing the unit: {e}"));
    }
    let _ = sandboxed::systemctl(&["daemon-reload"]);
    Outcome::new(place, if stopped { "removed (server stopped)" } else { "removed" })
}

fn failed(place: &Place, why: String) -> Outcome {
    let mut o = Outcome::new(place, why);
    o.failed = true;
    o
}

fn report(outcomes: &[Outcome], action: Action, json: bool) {
    if json {
        println!("{}", Json::Array(outcomes.iter().map(Outcome::json).collect()));
        return;
    }
    for o in outcomes {
        println!("{}: {}", o.place.label(), o.place.dir.display());
        println!("  {}", o.what);
        match &o.tokens {
            Some(Ok(t)) if t.is_empty() => println!("  card: not visible (no CIE in a reader, or pcscd not running)"),
            Some(Ok(t)) => println!("  card: {} visible", t.join(", ")),
            Some(Err(e)) => println!("  card: cannot tell ({e})"),
            None => {}
        }
        if !o.restart.is_empty() {
            println!("  {} is running: restart it to use the change", o.restart.join(" and "));
        }
    }
    if action == Action::Setup && outcomes.iter().all(|o| !o.failed) {
        println!(
            "\nThe first time a site asks for your certificate, the browser asks for the CIE PIN \
             (\"Unlock Security Device\" in Chromium, \"Password Required\" in Firefox)."
        );
    }
}
