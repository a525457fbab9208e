//! Signature input: hashing and PKCS#1 v1.5 DigestInfo (PROTOCOL.md §7, RFC 8017 §9.2 note 1).
//!
//! The card pads with PKCS#1 v1.5 block type 1 and signs whatever the host sends, so the host
//! builds a complete DigestInfo. Every prefix is the correct one for its hash (the official
//! middleware's SHA-256 prefix bug of §7.2 is not reproduced).

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use sha1::Sha1;
use sha2::digest::DynDigest;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use sha3::{Sha3_256, Sha3_384, Sha3_512};
use x509_cert::der::oid::ObjectIdentifier;

use crate::error::{Error, Result};

/// Largest input the card signs with a 2048-bit key: k - 11 bytes (PROTOCOL.md §7.1).
pub const MAX_SIGN_INPUT: usize = 245;

/// Size of the read buffer of [`HashAlg::hash_reader`].
pub const HASH_CHUNK: usize = 64 * 1024;

/// Hash algorithms for which the host builds a DigestInfo: the one table of the workspace
/// (digest, DigestInfo prefix, names and object identifiers); every layer uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1 (legacy; still used by some signature formats).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SHA3-256 (FIPS 202): verification of others' signatures only, not in [`HashAlg::ALL`].
    Sha3_256,
    /// SHA3-384 (FIPS 202): verification only.
    Sha3_384,
    /// SHA3-512 (FIPS 202): verification only.
    Sha3_512,
}

impl HashAlg {
    /// All supported algorithms.
    pub const ALL: [HashAlg; 5] = [HashAlg::Sha1, HashAlg::Sha224, HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

    /// The SHA-3 algorithms, recognised when verifying signatures made by others.
    pub const SHA3: [HashAlg; 3] = [HashAlg::Sha3_256, HashAlg::Sha3_384, HashAlg::Sha3_512];

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha224 => 28,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 | HashAlg::Sha3_512 => 64,
            HashAlg::Sha3_256 => 32,
            HashAlg::Sha3_384 => 48,
        }
    }

    /// The DER prefix of the DigestInfo (RFC 8017 §9.2, note 1).
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha1 => {
                &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]
            }
            HashAlg::Sha224 => &[
                0x30, 0x2D, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00,
                0x04, 0x1C,
            ],
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
                0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
                0x04, 0x40,
            ],
            HashAlg::Sha3_256 => &[
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08, 0x05, 0x00,
                0x04, 0x20,
            ],
            HashAlg::Sha3_384 => &[
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x09, 0x05, 0x00,
                0x04, 0x30,
            ],
            HashAlg::Sha3_512 => &[
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0A, 0x05, 0x00,
                0x04, 0x40,
            ],
        }
    }

    /// A fresh incremental hash of this algorithm.
    pub fn hasher(self) -> Box<dyn DynDigest + Send> {
        match self {
            HashAlg::Sha1 => Box::new(Sha1::new()),
            HashAlg::Sha224 => Box::new(Sha224::new()),
            HashAlg::Sha256 => Box::new(Sha256::new()),
            HashAlg::Sha384 => Box::new(Sha384::new()),
            HashAlg::Sha512 => Box::new(Sha512::new()),
            HashAlg::Sha3_256 => Box::new(Sha3_256::new()),
            HashAlg::Sha3_384 => Box::new(Sha3_384::new()),
            HashAlg::Sha3_512 => Box::new(Sha3_512::new()),
        }
    }

    /// Hashes everything `reader` yields, [`HASH_CHUNK`] bytes at a time (never held whole);
    /// returns the digest and the number of bytes read.
    pub fn hash_reader(self, reader: &mut dyn Read) -> std::io::Result<(Vec<u8>, u64)> {
        let mut h = self.hasher();
        let mut buf = vec![0u8; HASH_CHUNK];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..n]);
            total += n as u64;
        }
        Ok((h.finalize().into_vec(), total))
    }

    /// The digest algorithm's object identifier (RFC 3370 §2.1, RFC 5754 §2).
    pub fn oid(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            HashAlg::Sha1 => "1.3.14.3.2.26",
            HashAlg::Sha224 => "2.16.840.1.101.3.4.2.4",
            HashAlg::Sha256 => "2.16.840.1.101.3.4.2.1",
            HashAlg::Sha384 => "2.16.840.1.101.3.4.2.2",
            HashAlg::Sha512 => "2.16.840.1.101.3.4.2.3",
            HashAlg::Sha3_256 => "2.16.840.1.101.3.4.2.8",
            HashAlg::Sha3_384 => "2.16.840.1.101.3.4.2.9",
            HashAlg::Sha3_512 => "2.16.840.1.101.3.4.2.10",
        })
    }

    /// The algorithm of a digest object identifier, if supported (SHA-3 included).
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        HashAlg::ALL.into_iter().chain(HashAlg::SHA3).find(|a| a.oid() == *oid)
    }

    /// The object identifier of RSA PKCS#1 v1.5 with this hash (`shaXWithRSAEncryption`,
    /// RFC 4055 §5, RFC 3279 §2.2.1).
    pub fn rsa_pkcs1_oid(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            HashAlg::Sha1 => "1.2.840.113549.1.1.5",
            HashAlg::Sha224 => "1.2.840.113549.1.1.14",
            HashAlg::Sha256 => "1.2.840.113549.1.1.11",
            HashAlg::Sha384 => "1.2.840.113549.1.1.12",
            HashAlg::Sha512 => "1.2.840.113549.1.1.13",
            HashAlg::Sha3_256 => "2.16.840.1.101.3.4.3.14",
            HashAlg::Sha3_384 => "2.16.840.1.101.3.4.3.15",
            HashAlg::Sha3_512 => "2.16.840.1.101.3.4.3.16",
        })
    }

    /// The hash of an RSA PKCS#1 v1.5 signature algorithm identifier, if supported (SHA-3
    /// included: NIST's id-rsassa-pkcs1-v1_5-with-sha3-*).
    pub fn from_rsa_pkcs1_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        HashAlg::ALL.into_iter().chain(HashAlg::SHA3).find(|a| a.rsa_pkcs1_oid() == *oid)
    }

    /// Hashes `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha224 => Sha224::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
            HashAlg::Sha3_256 => Sha3_256::digest(data).to_vec(),
            HashAlg::Sha3_384 => Sha3_384::digest(data).to_vec(),
            HashAlg::Sha3_512 => Sha3_512::digest(data).to_vec(),
        }
    }

    /// Parses a name such as `sha256`, `SHA-256` or `sha-1`.
    pub fn from_name(name: &str) -> Option<HashAlg> {
        match name.to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Some(HashAlg::Sha1),
            "sha224" => Some(HashAlg::Sha224),
            "sha256" => Some(HashAlg::Sha256),
            "sha384" => Some(HashAlg::Sha384),
            "sha512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// The lower-case name (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha224 => "sha224",
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha384 => "sha384",
            HashAlg::Sha512 => "sha512",
            HashAlg::Sha3_256 => "sha3-256",
            HashAlg::Sha3_384 => "sha3-384",
            HashAlg::Sha3_512 => "sha3-512",
        }
    }
}

impl fmt::Display for HashAlg {
    /// The lower-case name, as [`HashAlg::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashAlg {
    type Err = Error;

    /// As [`HashAlg::from_name`], with a typed error naming the accepted names.
    fn from_str(s: &str) -> Result<HashAlg> {
        HashAlg::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = HashAlg::ALL.iter().map(|a| a.name()).collect();
            Error::InvalidArgument(format!("unknown hash algorithm \"{s}\" (one of {})", names.join(", ")))
        })
    }
}

/// Builds the DigestInfo for a digest computed by the caller; the digest length is checked.
pub fn digest_info(alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>> {
    if digest.len() != alg.digest_len() {
        return Err(Error::InvalidArgument(format!(
            "a {} digest is {} bytes, got {}",
            alg.name(),
            alg.digest_len(),
            digest.len()
        )));
    }
    let mut v = alg.digest_info_prefix().to_vec();
    v.extend_from_slice(digest);
    Ok(v)
}

/// Hashes `data` and builds its DigestInfo.
pub fn digest_info_of(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    let mut v = alg.digest_info_prefix().to_vec();
    v.extend_from_slice(&alg.hash(data));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_consistent_der() {
        for alg in HashAlg::ALL {
            let di = digest_info_of(alg, b"abc");
            // Outer SEQUENCE length covers the rest; OCTET STRING length is the digest length.
            assert_eq!(di[1] as usize, di.len() - 2, "{alg:?}");
            let p = alg.digest_info_prefix();
            assert_eq!(p[p.len() - 1] as usize, alg.digest_len());
            assert!(di.len() <= MAX_SIGN_INPUT);
        }
        assert!(digest_info(HashAlg::Sha256, &[0; 20]).is_err());
        assert_eq!(HashAlg::from_name("SHA-256"), Some(HashAlg::Sha256));
    }

    #[test]
    fn names_oids_and_streaming_agree() {
        for alg in HashAlg::ALL {
            assert_eq!(alg.to_string().parse::<HashAlg>().unwrap(), alg);
            assert_eq!(HashAlg::from_oid(&alg.oid()), Some(alg));
            assert_eq!(HashAlg::from_rsa_pkcs1_oid(&alg.rsa_pkcs1_oid()), Some(alg));
            assert_eq!(HashAlg::from_oid(&alg.rsa_pkcs1_oid()), None);
            let data = vec![0x5au8; HASH_CHUNK * 2 + 17];
            let (d, n) = alg.hash_reader(&mut &data[..]).unwrap();
            assert_eq!(n, data.len() as u64);
            assert_eq!(d, alg.hash(&data));
            assert_eq!(d.len(), alg.digest_len());
            // The DigestInfo prefix names the same OID as `oid()`: its DER follows `06 len`.
            let p = alg.digest_info_prefix();
            assert_eq!(&p[6..6 + p[5] as usize], alg.oid().as_bytes(), "{alg}");
        }
        assert!("md5".parse::<HashAlg>().is_err());
        // SHA-256 of "abc" (FIPS 180-2 appendix B.1), written out.
        assert_eq!(HashAlg::Sha256.hash(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(HashAlg::from_oid(&ObjectIdentifier::new_unwrap("1.2.840.113549.2.5")), None);
    }

    #[test]
    fn matches_the_rsa_crate() {
        use rsa::pkcs1v15::Pkcs1v15Sign;
        // The rsa crate's own prefixes (RFC 8017) must agree with ours.
        let ours = HashAlg::Sha256.digest_info_prefix();
        let theirs = Pkcs1v15Sign::new::<Sha256>().prefix;
        assert_eq!(&*theirs, ours);
        assert_eq!(&*Pkcs1v15Sign::new::<Sha512>().prefix, HashAlg::Sha512.digest_info_prefix());
        assert_eq!(&*Pkcs1v15Sign::new::<Sha384>().prefix, HashAlg::Sha384.digest_info_prefix());
        assert_eq!(&*Pkcs1v15Sign::new::<Sha224>().prefix, HashAlg::Sha224.digest_info_prefix());
        assert_eq!(&*Pkcs1v15Sign::new::<Sha1>().prefix, HashAlg::Sha1.digest_info_prefix());
    }
}
