//! Hash algorithms as CMS names them (RFC 5754 §2: AlgorithmIdentifier with absent parameters)
//! and streaming hashing: content is hashed as it is read, never held whole.

use std::io::Read;

use cie_core::sign::HashAlg;
use der::asn1::ObjectIdentifier;
use sha2::digest::DynDigest;
use spki::AlgorithmIdentifierOwned;

/// id-sha1 (RFC 3370 §2.1).
pub const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// id-sha224 (RFC 5754 §2.1).
pub const OID_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
/// id-sha256 (RFC 5754 §2.2).
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-sha384 (RFC 5754 §2.3).
pub const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// id-sha512 (RFC 5754 §2.4).
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// The digest algorithm's object identifier.
pub fn oid(alg: HashAlg) -> ObjectIdentifier {
    match alg {
        HashAlg::Sha1 => OID_SHA1,
        HashAlg::Sha224 => OID_SHA224,
        HashAlg::Sha256 => OID_SHA256,
        HashAlg::Sha384 => OID_SHA384,
        HashAlg::Sha512 => OID_SHA512,
    }
}

/// The algorithm of a digest object identifier, if supported.
pub fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
    HashAlg::ALL.into_iter().find(|a| self::oid(*a) == *oid)
}

/// The AlgorithmIdentifier of `alg`, parameters absent (RFC 5754 §2).
pub fn algorithm_identifier(alg: HashAlg) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid(alg), parameters: None }
}

/// An incremental hash of one algorithm.
pub struct Hasher {
    inner: Box<dyn DynDigest>,
}

impl Hasher {
    /// A fresh hash of `alg`.
    pub fn new(alg: HashAlg) -> Hasher {
        let inner: Box<dyn DynDigest> = match alg {
            HashAlg::Sha1 => Box::new(sha1::Sha1::default()),
            HashAlg::Sha224 => Box::new(sha2::Sha224::default()),
            HashAlg::Sha256 => Box::new(sha2::Sha256::default()),
            HashAlg::Sha384 => Box::new(sha2::Sha384::default()),
            HashAlg::Sha512 => Box::new(sha2::Sha512::default()),
        };
        Hasher { inner }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digest.
    pub fn finish(self) -> Vec<u8> {
        self.inner.finalize().into_vec()
    }
}

/// Size of the read buffer of the streaming functions.
pub const CHUNK: usize = 64 * 1024;

/// Hashes everything `reader` yields, a chunk at a time; returns the digest and the length.
pub fn hash_reader(alg: HashAlg, reader: &mut dyn Read) -> std::io::Result<(Vec<u8>, u64)> {
    let mut h = Hasher::new(alg);
    let mut buf = vec![0u8; CHUNK];
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
    Ok((h.finish(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip_and_streaming_matches_one_shot() {
        for alg in HashAlg::ALL {
            assert_eq!(from_oid(&oid(alg)), Some(alg));
            let data = vec![0x5au8; CHUNK * 2 + 17];
            let (d, n) = hash_reader(alg, &mut &data[..]).unwrap();
            assert_eq!(n, data.len() as u64);
            assert_eq!(d, alg.hash(&data));
        }
        // SHA-256 of "abc" (FIPS 180-2 appendix B.1), written out.
        let (d, _) = hash_reader(HashAlg::Sha256, &mut &b"abc"[..]).unwrap();
        assert_eq!(d[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(from_oid(&ObjectIdentifier::new_unwrap("1.2.840.113549.2.5")), None);
    }
}
