//! One NSS database: is the CIE module registered in it (read from its `pkcs11.txt`), register
//! it, remove it, and ask NSS whether the card's token is visible through it (`modutil`, from
//! Debian's libnss3-tools).
//!
//! The module is registered without `-mechanisms FRIENDLY`: that flag tells NSS the
//! certificates can be read without login, but the CIE releases its certificate only after the
//! PIN, so on a first use NSS would never ask for the PIN and send no certificate.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The name the module is registered under.
pub(super) const MODULE_NAME: &str = "CIE";

/// How long one `certutil`/`modutil` run may take (the module may talk to the card).
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// An entry of `pkcs11.txt` that loads the CIE module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Registration {
    /// The `name=` of the entry.
    pub(super) name: String,
    /// The `library=` of the entry.
    pub(super) library: PathBuf,
    /// Whether the entry carries the FRIENDLY flag (`PublicCerts` slot flag), which breaks a
    /// first use with the CIE.
    pub(super) friendly: bool,
}

/// The entries of a `pkcs11.txt` that load a library named `libcie_pkcs11.so` or are named
/// [`MODULE_NAME`].
pub(super) fn registrations(pkcs11_txt: &str) -> Vec<Registration> {
    let mut found = Vec::new();
    for entry in pkcs11_txt.split("\n\n") {
        let mut library = None;
        let mut name = None;
        for line in entry.lines() {
            if let Some(v) = line.strip_prefix("library=") {
                library = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("name=") {
                name = Some(v.trim().trim_matches('"').to_owned());
            }
        }
        let (Some(library), Some(name)) = (library, name) else { continue };
        let ours = Path::new(&library).file_name().is_some_and(|f| f == "libcie_pkcs11.so");
        if ours || name == MODULE_NAME {
            found.push(Registration { name, library: PathBuf::from(library), friendly: entry.contains("PublicCerts") });
        }
    }
    found
}

/// Errors of the NSS tools.
#[derive(Debug)]
pub(super) struct ToolError(pub(super) String);

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An NSS database directory (the `sql:` format: `cert9.db`, `key4.db`, `pkcs11.txt`).
#[derive(Clone, Debug)]
pub(super) struct NssDb {
    /// The directory.
    pub(super) dir: PathBuf,
}

impl NssDb {
    /// Whether the directory holds a database.
    pub(super) fn exists(&self) -> bool {
        self.dir.join("cert9.db").is_file()
    }

    /// The CIE entries of the database.
    pub(super) fn registrations(&self) -> Vec<Registration> {
        std::fs::read_to_string(self.dir.join("pkcs11.txt")).map(|t| registrations(&t)).unwrap_or_default()
    }

    fn sql(&self) -> String {
        format!("sql:{}", self.dir.display())
    }

    /// Creates an empty database with no password (what browsers create on first start).
    pub(super) fn create(&self) -> Result<(), ToolError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| ToolError(format!("{}: {e}", self.dir.display())))?;
        tool("certutil", &["-N", "-d", &self.sql(), "--empty-password"]).map(|_| ())
    }

    /// Registers `library` under [`MODULE_NAME`].
    pub(super) fn add(&self, library: &Path) -> Result<(), ToolError> {
        let lib = library.to_string_lossy();
        tool("modutil", &["-dbdir", &self.sql(), "-add", MODULE_NAME, "-libfile", &lib, "-force"]).map(|_| ())
    }

    /// Removes the entry named `name`.
    pub(super) fn delete(&self, name: &str) -> Result<(), ToolError> {
        tool("modutil", &["-dbdir", &self.sql(), "-delete", name, "-force"]).map(|_| ())
    }

    /// The CIE tokens NSS sees through the entry named `name` (NSS loads the module for this;
    /// no PIN is asked).
    pub(super) fn tokens(&self, name: &str) -> Result<Vec<String>, ToolError> {
        Ok(module_tokens(&tool("modutil", &["-dbdir", &self.sql(), "-list"])?, name))
    }
}

/// The `token:` lines of the module `name` in a `modutil -list` listing, where each module
/// starts with a line `N. NAME`.
pub(super) fn module_tokens(listing: &str, name: &str) -> Vec<String> {
    let mut inside = false;
    let mut tokens = Vec::new();
    for line in listing.lines().map(str::trim) {
        if let Some((n, title)) = line.split_once(". ") {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                inside = title.trim() == name;
                continue;
            }
        }
        if inside {
            if let Some(t) = line.strip_prefix("token:") {
                tokens.push(t.trim().to_owned());
            }
        }
    }
    tokens
}

/// Runs an NSS tool under a time limit, stdin closed; returns its standard output.
fn tool(program: &str, args: &[&str]) -> Result<String, ToolError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ToolError(format!(
                "{program} is not installed: install the NSS tools (Debian/Ubuntu: sudo apt install libnss3-tools)"
            )),
            _ => ToolError(format!("{program}: {e}")),
        })?;
    let deadline = std::time::Instant::now() + TOOL_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ToolError(format!("{program} did not finish within {} s", TOOL_TIMEOUT.as_secs())));
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| ToolError(format!("{program}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.lines().chain(stdout.lines()).find(|l| !l.trim().is_empty()).unwrap_or("no message");
        Err(ToolError(format!("{program} {} failed: {}", args.first().copied().unwrap_or(""), why.trim())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_entries_and_the_friendly_flag() {
        let txt = "library=\nname=NSS Internal PKCS #11 Module\nparameters=configdir='sql:/h/.pki/nssdb'\n\
                   NSS=Flags=internal,critical trustOrder=75\n\n\
                   library=/usr/lib/x86_64-linux-gnu/pkcs11/libcie_pkcs11.so\nname=CIE\n\
                   NSS=slotParams={0x00000001=[slotFlags=PublicCerts]}\n\n\
                   library=/opt/other/libother.so\nname=Other\n\n\
                   library=/home/u/lib/libcie_pkcs11.so\nname=\"My CIE\"\n";
        let found = registrations(txt);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].name, "CIE");
        assert!(found[0].friendly);
        assert_eq!(found[0].library, Path::new("/usr/lib/x86_64-linux-gnu/pkcs11/libcie_pkcs11.so"));
        assert_eq!(found[1].name, "My CIE");
        assert!(!found[1].friendly);
        assert!(registrations("").is_empty());
        assert!(registrations("library=/x/libcie_pkcs11.so\n").is_empty(), "an entry needs a name");
    }

    #[test]
    fn reads_the_tokens_of_one_module() {
        let listing = "Listing of PKCS #11 Modules\n-----\n  1. NSS Internal PKCS #11 Module\n\
                       \t slots: 2 slots attached\n\t slot: NSS Internal Cryptographic Services\n\
                       \ttoken: NSS Generic Crypto Services\n\n  2. CIE\n\tlibrary name: /x/libcie_pkcs11.so\n\
                       \t slots: 2 slots attached\n\t slot: Virtual PCD 00 00\n\ttoken: CIE 378215946021\n\
                       \t slot: Virtual PCD 00 01\n\ttoken: \n  3. Other\n\ttoken: CIE 999\n-----\n";
        assert_eq!(module_tokens(listing, "CIE"), vec!["CIE 378215946021".to_owned(), String::new()]);
        assert!(module_tokens(listing, "Missing").is_empty());
    }
}
