//! What `cie browser setup|status|remove` does (`crate::commands::browser` reads the command
//! line): the PKCS#11 module in the user's NSS databases (Chromium's `~/.pki/nssdb`, every
//! Firefox profile), so that browsers offer the card when a site asks for a client certificate.
//! Idempotent; says what it did per database; tells the user to restart a browser that was
//! running while its database changed.

mod nssdb;
mod places;
mod sandboxed;
pub(crate) mod survey;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::failure::{file_error, Failure};
use crate::i18n::{Lang, Msg, Text};
use crate::output::print_json;
use nssdb::{NssDb, Registration, MODULE_NAME};
use places::{Kind, Place};

/// Which subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Register the module.
    Setup,
    /// Report where it is registered.
    Status,
    /// Undo `Setup`.
    Remove,
}

/// What `cie browser` asks for (`crate::commands::browser`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    /// What to do.
    pub(crate) action: Action,
    /// `--module PATH`.
    pub(crate) module: Option<PathBuf>,
    /// `--sandboxed`.
    pub(crate) sandboxed: bool,
}

/// Where the module is looked for: the installation this executable belongs to
/// (`<prefix>/bin/cie` -> `<prefix>/lib/<multiarch>/pkcs11/`, as the Debian package and
/// `cargo xtask install` lay it out), next to this executable (a build tree), then the usual
/// system directories.
pub(crate) fn default_module() -> Option<PathBuf> {
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
        Some(p) => return Err(Failure::File(tr!(BrowserNoModuleFile, path = p.display()))),
        None => default_module().ok_or_else(|| Failure::File(tr!(BrowserNoModule)))?,
    };
    // NSS keeps the path as given: make it absolute so it works from any directory.
    std::fs::canonicalize(&path).map_err(|e| file_error(&path, e))
}

/// The user's home directory (`$HOME`, absolute).
pub(crate) fn home() -> Result<PathBuf, Failure> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .ok_or_else(|| Failure::File(tr!(BrowserNoHome)))
}

/// One database in `cie --json browser setup|status|remove`, an array of them (docs/JSON.md).
#[derive(Serialize)]
struct OutcomeJson<'a> {
    /// The database's directory.
    database: String,
    /// `nssdb`, `firefox`, `sandboxed` or `p11-kit-server`.
    kind: &'static str,
    /// Whose database it is, in English.
    label: String,
    /// What was done or found, in English.
    result: String,
    /// Whether it failed.
    failed: bool,
    /// Browsers to restart to see the change.
    restart: &'a [&'static str],
    /// The registrations of the module found.
    registered: Vec<RegistrationJson<'a>>,
    /// The tokens the module shows through this database (status only; the key is absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<TokensJson<'a>>,
}

/// One registration in [`OutcomeJson`].
#[derive(Serialize)]
struct RegistrationJson<'a> {
    /// The module's name in the database.
    name: &'a str,
    /// The library's path.
    library: String,
    /// Whether it is registered with NSS's FRIENDLY flag.
    friendly: bool,
}

/// The tokens of [`OutcomeJson`]: an array of labels, or `{"error": ...}` when they could not
/// be listed.
#[derive(Serialize)]
#[serde(untagged)]
enum TokensJson<'a> {
    /// The tokens' labels.
    Visible(&'a [String]),
    /// Why they could not be listed.
    Unknown {
        /// What went wrong.
        error: &'a str,
    },
}

/// What happened to one database.
struct Outcome {
    place: Place,
    /// One-line summary: the texts one after the other.
    what: Vec<Text>,
    /// A browser that must be restarted to see the change.
    restart: Vec<&'static str>,
    /// The registrations found (status).
    registrations: Vec<Registration>,
    /// Tokens visible (status).
    tokens: Option<Result<Vec<String>, String>>,
    failed: bool,
}

impl Outcome {
    fn new(place: &Place, what: Text) -> Outcome {
        Outcome {
            place: place.clone(),
            what: vec![what],
            restart: Vec::new(),
            registrations: Vec::new(),
            tokens: None,
            failed: false,
        }
    }

    fn json(&self) -> OutcomeJson<'_> {
        let kind = match &self.place.kind {
            Kind::Shared => "nssdb",
            Kind::Firefox(_) => "firefox",
            Kind::Sandboxed(_) => "sandboxed",
            Kind::Server => "p11-kit-server",
        };
        OutcomeJson {
            database: self.place.dir.display().to_string(),
            kind,
            label: self.place.label().english(),
            result: self.what(Lang::En),
            failed: self.failed,
            restart: &self.restart,
            registered: self
                .registrations
                .iter()
                .map(|r| RegistrationJson {
                    name: &r.name,
                    library: r.library.display().to_string(),
                    friendly: r.friendly,
                })
                .collect(),
            tokens: self.tokens.as_ref().map(|t| match t {
                Ok(t) => TokensJson::Visible(t),
                Err(e) => TokensJson::Unknown { error: e },
            }),
        }
    }

    /// The summary in `lang`.
    fn what(&self, lang: Lang) -> String {
        self.what.iter().map(|t| t.render(lang)).collect()
    }

    /// Whether the database was changed.
    fn changed(&self) -> bool {
        let first = self.what.first().map(Text::msg);
        [Msg::BrowserRegisteredCreated, Msg::BrowserRegistered, Msg::BrowserReregistered, Msg::BrowserRemoved]
            .iter()
            .any(|m| first == Some(*m))
    }
}

/// Applies `setup`, `status` or `remove` to every NSS database of the user and to the
/// sandboxed browsers' p11-kit server unit, and reports on each.
pub(crate) fn apply(options: Options, json: bool) -> Result<(), Failure> {
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
            (Action::Setup, Kind::Sandboxed(_)) => Outcome::new(&place, tr!(BrowserSandboxedUnchanged)),
            (Action::Setup, _) => setup(&place, &db, module.as_deref().unwrap_or(Path::new(""))),
            (Action::Remove, _) => remove(&place, &db),
            (Action::Status, _) => status(&place, &db),
        };
        if options.action != Action::Status && o.changed() {
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
            let what = if active {
                tr!(BrowserServerRunning, address = sandboxed::address())
            } else {
                tr!(BrowserServerNotRunning, address = sandboxed::address())
            };
            outcomes.push(Outcome::new(&server, what));
        }
        _ => {}
    }
    report(&outcomes, options.action, json);
    match outcomes.iter().find(|o| o.failed) {
        Some(o) => Err(Failure::File(tr!(FileError, path = o.place.dir.display(), detail = o.what(Lang::current())))),
        None => Ok(()),
    }
}

fn setup(place: &Place, db: &NssDb, module: &Path) -> Outcome {
    let mut created = false;
    if !db.exists() {
        // ~/.pki/nssdb on a new account, or a Firefox profile never started: create the
        // database as the browser would (no password), so the module is there on first start.
        if let Err(e) = db.create() {
            return failed(place, tr!(BrowserToolFailed, detail = e.0));
        }
        created = true;
    }
    let existing = db.registrations();
    if existing.len() == 1 && existing[0].library == module && !existing[0].friendly && existing[0].name == MODULE_NAME
    {
        return Outcome::new(place, tr!(BrowserAlready, module = module.display()));
    }
    // Entries with another path or the FRIENDLY flag (older instructions) are replaced.
    for r in &existing {
        if let Err(e) = db.delete(&r.name) {
            return failed(place, tr!(BrowserToolFailed, detail = e.0));
        }
    }
    if let Err(e) = db.add(module) {
        return failed(place, tr!(BrowserToolFailed, detail = e.0));
    }
    let what = match (created, existing.is_empty()) {
        (true, _) => tr!(BrowserRegisteredCreated, module = module.display()),
        (false, true) => tr!(BrowserRegistered, module = module.display()),
        (false, false) => tr!(BrowserReregistered, module = module.display()),
    };
    Outcome::new(place, what)
}

fn remove(place: &Place, db: &NssDb) -> Outcome {
    let existing = db.registrations();
    if existing.is_empty() {
        return Outcome::new(place, tr!(BrowserNotRegistered));
    }
    for r in &existing {
        if let Err(e) = db.delete(&r.name) {
            return failed(place, tr!(BrowserToolFailed, detail = e.0));
        }
    }
    Outcome::new(place, tr!(BrowserRemoved))
}

fn status(place: &Place, db: &NssDb) -> Outcome {
    if !db.exists() {
        return Outcome::new(place, tr!(BrowserNoDatabase));
    }
    let regs = db.registrations();
    let mut o = if regs.is_empty() {
        Outcome::new(place, tr!(BrowserNotRegistered))
    } else {
        let r = &regs[0];
        let mut o = Outcome::new(place, tr!(BrowserRegisteredAs, name = &r.name, module = r.library.display()));
        if !r.library.is_file() {
            o.what.push(tr!(BrowserModuleMissing));
        }
        if r.friendly {
            o.what.push(tr!(BrowserFriendly));
        }
        o.tokens = Some(db.tokens(&r.name).map(|t| t.into_iter().filter(|t| !t.is_empty()).collect()).map_err(|e| e.0));
        o
    };
    o.registrations = regs;
    o
}

/// Writes the p11-kit server unit (if it differs) and asks systemd to start it.
fn setup_server(place: &Place, module: &Path) -> Outcome {
    let Some(p11_kit) = sandboxed::find_p11_kit() else {
        return failed(place, tr!(BrowserNoP11Kit));
    };
    let text = sandboxed::unit_text(&p11_kit, module);
    let unchanged = std::fs::read_to_string(&place.dir).is_ok_and(|t| t == text);
    if !unchanged {
        let written =
            place.dir.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&place.dir, &text));
        if let Err(e) = written {
            return failed(place, tr!(BrowserUnitWriteFailed, detail = e.to_string()));
        }
    }
    let started = sandboxed::systemctl(&["daemon-reload"])
        && sandboxed::systemctl(&["enable", "--now", sandboxed::UNIT])
        && (unchanged || sandboxed::systemctl(&["restart", sandboxed::UNIT]));
    let what = tr!(
        BrowserUnitSummary,
        written = if unchanged { tr!(BrowserUnitUnchanged) } else { tr!(BrowserUnitWritten) },
        started = if started { tr!(BrowserUnitStarted) } else { tr!(BrowserUnitNotStarted, unit = sandboxed::UNIT) },
        address = sandboxed::address()
    );
    Outcome::new(place, what)
}

/// Stops and removes the p11-kit server unit.
fn remove_server(place: &Place) -> Outcome {
    let stopped = sandboxed::systemctl(&["disable", "--now", sandboxed::UNIT]);
    if let Err(e) = std::fs::remove_file(&place.dir) {
        return failed(place, tr!(BrowserUnitRemoveFailed, detail = e.to_string()));
    }
    let _ = sandboxed::systemctl(&["daemon-reload"]);
    Outcome::new(place, if stopped { tr!(BrowserServerRemovedStopped) } else { tr!(BrowserServerRemoved) })
}

fn failed(place: &Place, why: Text) -> Outcome {
    let mut o = Outcome::new(place, why);
    o.failed = true;
    o
}

fn report(outcomes: &[Outcome], action: Action, json: bool) {
    if json {
        print_json(&outcomes.iter().map(Outcome::json).collect::<Vec<_>>());
        return;
    }
    let lang = Lang::current();
    for o in outcomes {
        println!("{}: {}", o.place.label(), o.place.dir.display());
        println!("  {}", o.what(lang));
        match &o.tokens {
            Some(Ok(t)) if t.is_empty() => println!("{}", tr!(BrowserCardNotVisible)),
            Some(Ok(t)) => println!("{}", tr!(BrowserCardVisible, tokens = t.join(", "))),
            Some(Err(e)) => println!("{}", tr!(BrowserCardUnknown, detail = e)),
            None => {}
        }
        let browsers = match o.restart.as_slice() {
            [] => None,
            [one] => Some(one.to_string()),
            [rest @ .., last] => Some(tr!(BrowserAnd, first = rest.join(", "), second = *last).to_string()),
        };
        if let Some(browsers) = browsers {
            println!("{}", tr!(BrowserRestart, browsers = browsers));
        }
    }
    if action == Action::Setup && outcomes.iter().all(|o| !o.failed) {
        println!("\n{}", tr!(BrowserFirstUse));
    }
}
