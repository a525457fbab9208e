//! Trust anchors of passive authentication: the Country Signing CA certificates (CSCA) a
//! Document Signer must chain to (PROTOCOL.md §8.3.2).
//!
//! [`CscaSet::italian`] is the set built into the library: the Italian CSCA root certificates
//! of `cie-core/trust/csca-it/` (their origin and fingerprints are in the README there).
//! [`CscaSet::system`] adds the certificates an administrator or the user dropped into
//! [`CscaSet::system_dirs`] (`/etc/cie/csca`, `$XDG_CONFIG_HOME/cie/csca`), so that a newer CSCA
//! needs no new release. Every file is bounded ([`MAX_FILE`]), and so is the set ([`MAX_CERTS`]).

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use crate::error::{Error, Result};

/// The largest certificate file read (PEM bundles included).
pub const MAX_FILE: u64 = 1 << 20;

/// The most certificates one set holds.
pub const MAX_CERTS: usize = 512;

/// The Italian CSCA root certificates built into the library (`cie-core/trust/csca-it/`).
const ITALIAN: [&[u8]; 6] = [
    include_bytes!("../trust/csca-it/2006-a0f56552.der"),
    include_bytes!("../trust/csca-it/2011-b0bf3bb9.der"),
    include_bytes!("../trust/csca-it/2016-852df7a7.der"),
    include_bytes!("../trust/csca-it/2016-436ce392.der"),
    include_bytes!("../trust/csca-it/2020-d11a505e.der"),
    include_bytes!("../trust/csca-it/2024-e94a9119.der"),
];

/// One CSCA certificate: its DER, its subject as text and its SHA-256 fingerprint.
#[derive(Clone, PartialEq, Eq)]
pub struct Csca {
    der: Vec<u8>,
    subject: String,
    fingerprint: [u8; 32],
}

impl Csca {
    /// Parses a DER certificate (any X.509 certificate; its key is checked when it is used).
    pub fn from_der(der: &[u8]) -> Result<Csca> {
        let cert = Certificate::from_der(der).map_err(|e| Error::malformed(format!("CSCA certificate: {e}")))?;
        // Re-encoding must give the same bytes: a certificate is DER, nothing else.
        let again = cert.to_der().map_err(|e| Error::malformed(format!("CSCA certificate: {e}")))?;
        if again != der {
            return Err(Error::malformed("CSCA certificate: not DER"));
        }
        Ok(Csca {
            der: der.to_vec(),
            subject: cert.tbs_certificate.subject.to_string(),
            fingerprint: Sha256::digest(der).into(),
        })
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject as an RFC 4514 string (the certificate's own text, which may hold anything:
    /// escape it before printing it on a terminal).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// SHA-256 of the DER certificate.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint as upper-case hexadecimal pairs separated by colons (as `openssl x509
    /// -fingerprint -sha256` prints it).
    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }
}

impl fmt::Debug for Csca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csca").field("subject", &self.subject).field("sha256", &self.fingerprint_hex()).finish()
    }
}

/// A set of trust anchors (CSCA certificates), without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CscaSet {
    certs: Vec<Csca>,
}

impl CscaSet {
    /// An empty set: passive authentication then checks no chain.
    pub fn new() -> CscaSet {
        CscaSet::default()
    }

    /// The Italian CSCA certificates built into the library.
    pub fn italian() -> CscaSet {
        let mut set = CscaSet::new();
        for der in ITALIAN {
            // Compiled-in files, checked by a unit test below: not caller data.
            if let Ok(c) = Csca::from_der(der) {
                set.push(c);
            }
        }
        set
    }

    /// The directories searched by [`CscaSet::system`]: `/etc/cie/csca`, then
    /// `$XDG_CONFIG_HOME/cie/csca` (`$HOME/.config/cie/csca` when `XDG_CONFIG_HOME` is unset or
    /// not absolute).
    pub fn system_dirs() -> Vec<PathBuf> {
        let mut dirs = vec![PathBuf::from("/etc/cie/csca")];
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        if let Some(config) = config {
            dirs.push(config.join("cie").join("csca"));
        }
        dirs
    }

    /// The default trust: [`CscaSet::italian`] and every certificate in
    /// [`CscaSet::system_dirs`] (directories that do not exist are skipped).
    pub fn system() -> Result<CscaSet> {
        let mut set = CscaSet::italian();
        for dir in CscaSet::system_dirs() {
            if dir.is_dir() {
                set.add_dir(&dir)?;
            }
        }
        Ok(set)
    }

    /// Adds one certificate (DER); a certificate already in the set is not added twice.
    pub fn add_der(&mut self, der: &[u8]) -> Result<()> {
        let csca = Csca::from_der(der)?;
        self.push(csca);
        if self.certs.len() > MAX_CERTS {
            return Err(Error::InvalidArgument(format!("more than {MAX_CERTS} CSCA certificates")));
        }
        Ok(())
    }

    /// Adds every certificate of `bytes`: one DER certificate, or PEM with one or more
    /// `CERTIFICATE` blocks. Returns how many were read.
    pub fn add_bytes(&mut self, bytes: &[u8]) -> Result<usize> {
        let text = bytes.iter().position(|b| !b.is_ascii_whitespace()).and_then(|i| bytes.get(i..));
        if text.is_some_and(|t| t.starts_with(b"-----BEGIN")) {
            let certs =
                Certificate::load_pem_chain(bytes).map_err(|e| Error::malformed(format!("PEM certificates: {e}")))?;
            for cert in &certs {
                let der = cert.to_der().map_err(|e| Error::malformed(format!("PEM certificate: {e}")))?;
                self.add_der(&der)?;
            }
            return Ok(certs.len());
        }
        self.add_der(bytes)?;
        Ok(1)
    }

    /// Adds the certificates of a file (DER or PEM, at most [`MAX_FILE`] bytes).
    pub fn add_file(&mut self, path: &Path) -> Result<usize> {
        let bytes = read_bounded(path)?;
        self.add_bytes(&bytes).map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))
    }

    /// Adds the certificates of every file in `dir` whose name ends in `.der`, `.cer`, `.crt`
    /// or `.pem` (others are ignored; subdirectories are not entered). Returns how many.
    pub fn add_dir(&mut self, dir: &Path) -> Result<usize> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::InvalidArgument(format!("{}: {e}", dir.display())))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| ["der", "cer", "crt", "pem"].contains(&x.to_ascii_lowercase().as_str()))
            })
            .collect();
        paths.sort();
        let mut n = 0;
        for path in paths {
            n += self.add_file(&path)?;
        }
        Ok(n)
    }

    /// Adds a file, or every certificate file of a directory ([`CscaSet::add_dir`]).
    pub fn add_path(&mut self, path: &Path) -> Result<usize> {
        if path.is_dir() {
            self.add_dir(path)
        } else {
            self.add_file(path)
        }
    }

    /// The certificates, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Csca> {
        self.certs.iter()
    }

    /// How many certificates the set holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    fn push(&mut self, csca: Csca) {
        if !self.certs.iter().any(|c| c.fingerprint == csca.fingerprint) {
            self.certs.push(csca);
        }
    }
}

/// The content of `path`, refused above [`MAX_FILE`] bytes.
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(Error::InvalidArgument(format!("{}: larger than {MAX_FILE} bytes", path.display())));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_set_is_the_six_italian_roots() {
        let set = CscaSet::italian();
        assert_eq!(set.len(), ITALIAN.len(), "every built-in file parses");
        // Fingerprints written out from cie-core/trust/csca-it/README.md.
        let fps: Vec<String> = set.iter().map(Csca::fingerprint_hex).collect();
        for fp in [
            "67:85:41:14:C1:EB:9C:DF:20:41:93:F1:09:A4:5E:0C:5D:F8:9A:E7:75:B9:EA:33:96:70:69:20:22:C9:F0:2F",
            "88:1C:9C:09:58:9C:13:4B:3D:BB:99:63:5B:A8:48:7F:6B:19:BD:E7:B5:6E:49:18:EA:DB:96:21:BE:71:12:F9",
            "24:49:0B:58:9D:E4:75:53:73:3D:B6:05:38:65:ED:FE:14:26:6D:5D:46:BC:39:33:18:63:27:A7:CB:7C:FB:8E",
            "1C:EB:E3:0F:21:22:B8:D1:34:B0:A3:01:85:54:ED:0F:62:94:50:56:29:09:42:FC:E0:83:96:40:7B:94:41:46",
            "F9:F2:C2:55:4B:60:C7:C6:C1:F1:7A:36:96:CF:D4:6A:FB:65:61:8F:EE:17:A3:D4:2A:C8:9B:E3:A8:F8:C6:89",
            "61:5B:D4:0C:D7:BC:63:AE:B5:72:CF:16:8C:CB:78:16:20:03:B3:1C:D9:81:30:DD:71:F7:D2:D6:9C:83:FA:3A",
        ] {
            assert!(fps.iter().any(|f| f == fp), "{fp} missing");
        }
        for c in set.iter() {
            assert!(c.subject().contains("C=IT"), "{}", c.subject());
        }
    }

    #[test]
    fn duplicates_are_dropped_and_garbage_refused() {
        let mut set = CscaSet::italian();
        set.add_der(ITALIAN[0]).unwrap();
        assert_eq!(set.len(), ITALIAN.len());
        assert!(set.add_der(&[0x30, 0x00]).is_err());
        assert!(set.add_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
        // A certificate with bytes after its end is not DER.
        let mut trailing = ITALIAN[1].to_vec();
        trailing.push(0);
        assert!(CscaSet::new().add_der(&trailing).is_err());
    }

    #[test]
    fn system_dirs_follow_xdg() {
        let dirs = CscaSet::system_dirs();
        assert_eq!(dirs[0], Path::new("/etc/cie/csca"));
        assert!(dirs.len() <= 2);
    }
}
