//! The card-bound certificate cache (DESIGN.md §5; the official design is PROTOCOL.md §8.4,
//! which we do not reproduce: no PIN digits, authenticated encryption, no NIS in file names).
//!
//! One file per card in `$XDG_CACHE_HOME/cie` (or `~/.cache/cie`), directory mode 0700, file
//! mode 0600. Content: the holder's certificate only, encrypted with AES-256-GCM under a key
//! derived (HKDF-SHA-256) from the card's deterministic key-83 signature over its NIS
//! (`Session::card_binding_signature`), so the file is useless without the card. The file name
//! is a hash of NIS and signature. `CIE_PKCS11_CACHE=off` turns the cache off.
//!
//! A second file per card holds the card's constants (`cie_core::card_constants`: NIS, chip key,
//! DH group, CA key; public card data cie-core checks in every handshake), so that a card seen
//! before is enumerated without card crypto and logged in without re-reading them. It is
//! bound to the card's EF.SN.ICC the same way (AES-256-GCM under an HKDF key from it, file
//! name a hash of it): the bytes are opaque here; cie-core decides what they mean.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// File format tag, also authenticated.
const MAGIC: &[u8; 8] = b"CIEP11C1";
const NONCE_LEN: usize = 12;
/// Certificates are a few kilobytes; anything much larger is not ours.
const MAX_FILE: u64 = 64 * 1024;

/// The cache directory from the environment, or `None` when the cache is off
/// (`CIE_PKCS11_CACHE=off|0|no|false`) or no home directory is known.
pub(crate) fn dir_from_env() -> Option<PathBuf> {
    if let Ok(v) = std::env::var("CIE_PKCS11_CACHE") {
        if matches!(v.to_ascii_lowercase().as_str(), "off" | "0" | "no" | "false" | "disabled") {
            return None;
        }
    }
    let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    base.is_absolute().then(|| base.join("cie"))
}

/// The certificate cache in one directory.
#[derive(Clone, Debug)]
pub(crate) struct CertCache {
    dir: PathBuf,
}

impl CertCache {
    /// A cache in `dir` (created on the first store).
    pub(crate) fn new(dir: PathBuf) -> CertCache {
        CertCache { dir }
    }

    /// The directory.
    #[cfg(test)]
    fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for a card.
    pub(crate) fn path(&self, nis: &str, binding: &[u8]) -> PathBuf {
        let mut h = Sha256::new();
        h.update(b"cie-pkcs11 certificate cache file v1\0");
        h.update(nis.as_bytes());
        h.update([0]);
        h.update(binding);
        let name: String = h.finalize()[..20].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.cert"))
    }

    /// The cached certificate of a card, if there is a valid entry. Problems are logged and
    /// treated as "no entry" (the certificate is then read after login).
    pub(crate) fn load(&self, nis: &str, binding: &[u8]) -> Option<Vec<u8>> {
        let path = self.path(nis, binding);
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            tracing::warn!("certificate cache: ignoring {}", path.display());
            return None;
        }
        let data = fs::read(&path).ok()?;
        match open(&key(binding), &aad(nis), &data) {
            Some(cert) => {
                tracing::debug!("certificate cache: hit");
                Some(cert)
            }
            None => {
                tracing::warn!("certificate cache: {} does not decrypt; ignoring it", path.display());
                None
            }
        }
    }

    /// Stores a card's certificate (atomically: a private temporary file renamed in place).
    pub(crate) fn store(&self, nis: &str, binding: &[u8], certificate: &[u8]) -> std::io::Result<()> {
        let sealed = seal(&key(binding), &aad(nis), certificate)?;
        self.write_atomically(&self.path(nis, binding), &sealed)
    }

    /// The constants file of the card with this EF.SN.ICC.
    pub(crate) fn constants_path(&self, sn_icc: &[u8]) -> PathBuf {
        let mut h = Sha256::new();
        h.update(b"cie-pkcs11 card constants file v1\0");
        h.update(sn_icc);
        let name: String = h.finalize()[..20].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.card"))
    }

    /// The stored constants of the card with this EF.SN.ICC, if a valid entry exists.
    pub(crate) fn load_constants(&self, sn_icc: &[u8]) -> Option<Vec<u8>> {
        let path = self.constants_path(sn_icc);
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            tracing::warn!("card constants cache: ignoring {}", path.display());
            return None;
        }
        let data = fs::read(&path).ok()?;
        let bytes = open(&constants_key(sn_icc), CONSTANTS_AAD, &data);
        if bytes.is_none() {
            tracing::warn!("card constants cache: {} does not decrypt; ignoring it", path.display());
        }
        bytes
    }

    /// Stores the constants of the card with this EF.SN.ICC (atomically).
    pub(crate) fn store_constants(&self, sn_icc: &[u8], bytes: &[u8]) -> std::io::Result<()> {
        let sealed = seal(&constants_key(sn_icc), CONSTANTS_AAD, bytes)?;
        self.write_atomically(&self.constants_path(sn_icc), &sealed)
    }

    fn write_atomically(&self, path: &Path, sealed: &[u8]) -> std::io::Result<()> {
        self.ensure_dir()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(sealed)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        tracing::debug!("cache: stored {}", path.display());
        Ok(())
    }

    /// Creates the directory 0700 (and tightens an existing one that is ours).
    fn ensure_dir(&self) -> std::io::Result<()> {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        let meta = fs::symlink_metadata(&self.dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::other("the cache path is not a directory"));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// AES-256 key from the card-binding signature.
fn key(binding: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(b"cie-pkcs11 certificate cache v1"), binding);
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is always a valid HKDF-SHA-256 output length.
    let _ = hk.expand(b"aes-256-gcm key", okm.as_mut());
    okm
}

/// AES-256 key of the constants file from EF.SN.ICC.
fn constants_key(sn_icc: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(b"cie-pkcs11 card constants v1"), sn_icc);
    let mut okm = Zeroizing::new([0u8; 32]);
    let _ = hk.expand(b"aes-256-gcm key", okm.as_mut());
    okm
}

/// Associated data of the constants file (format tag).
const CONSTANTS_AAD: &[u8] = b"CIEP11K1";

fn aad(nis: &str) -> Vec<u8> {
    let mut a = MAGIC.to_vec();
    a.extend_from_slice(nis.as_bytes());
    a
}

fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> std::io::Result<Vec<u8>> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| std::io::Error::other("encryption failed"))?;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(key: &[u8; 32], aad: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let rest = data.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cie-pkcs11-cache-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_with_private_permissions() {
        let root = tempdir("rt");
        let cache = CertCache::new(root.join("cie"));
        let sig = [7u8; 256];
        cache.store("378215946021", &sig, b"certificate bytes").unwrap();
        assert_eq!(cache.load("378215946021", &sig).as_deref(), Some(&b"certificate bytes"[..]));
        let path = cache.path("378215946021", &sig);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(cache.dir()).unwrap().permissions().mode() & 0o777, 0o700);
        // The name reveals neither the NIS nor the signature.
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains("378215946021"), "{name}");
        // The content is not the plaintext.
        let raw = fs::read(&path).unwrap();
        assert!(!raw.windows(17).any(|w| w == b"certificate bytes"));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn another_card_cannot_read_it() {
        let root = tempdir("other");
        let cache = CertCache::new(root.clone());
        cache.store("111111111111", &[1u8; 256], b"cert").unwrap();
        // Same file name forced by copying: a different key must fail authentication.
        let src = cache.path("111111111111", &[1u8; 256]);
        let dst = cache.path("111111111111", &[2u8; 256]);
        fs::copy(&src, &dst).unwrap();
        assert_eq!(cache.load("111111111111", &[2u8; 256]), None);
        // A tampered file is rejected.
        let mut raw = fs::read(&src).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        fs::write(&src, raw).unwrap();
        assert_eq!(cache.load("111111111111", &[1u8; 256]), None);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn constants_are_bound_to_the_card() {
        let root = tempdir("constants");
        let cache = CertCache::new(root.clone());
        let sn = [0x01, 0x02, 0x03, 0x04, 0x05, 0x37, 0x82, 0x15, 0x94, 0x60, 0x21, 0x00];
        cache.store_constants(&sn, b"constant bytes").unwrap();
        assert_eq!(cache.load_constants(&sn).as_deref(), Some(&b"constant bytes"[..]));
        let path = cache.constants_path(&sn);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!fs::read(&path).unwrap().windows(14).any(|w| w == b"constant bytes"));
        // Another card's serial opens nothing, even with the file copied under its name.
        let other = [0x09; 12];
        fs::copy(&path, cache.constants_path(&other)).unwrap();
        assert_eq!(cache.load_constants(&other), None);
        // A tampered file is rejected.
        let mut raw = fs::read(&path).unwrap();
        raw[20] ^= 0x40;
        fs::write(&path, raw).unwrap();
        assert_eq!(cache.load_constants(&sn), None);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn loosened_directory_is_tightened() {
        let root = tempdir("perm");
        fs::create_dir_all(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        CertCache::new(root.clone()).store("1", &[3u8; 4], b"c").unwrap();
        assert_eq!(fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
        fs::remove_dir_all(&root).unwrap();
    }
}
