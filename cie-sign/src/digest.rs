//! Hash algorithms as CMS names them (RFC 5754 §2: AlgorithmIdentifier with absent parameters)
//! and streaming hashing: content is hashed as it is read, never held whole. The table itself
//! (digests, OIDs, names) is `cie_core::sign::HashAlg`.

use std::io::Read;

use cie_core::sign::HashAlg;
use sha2::digest::DynDigest;
use spki::AlgorithmIdentifierOwned;

/// The AlgorithmIdentifier of `alg`, parameters absent (RFC 5754 §2).
pub(crate) fn algorithm_identifier(alg: HashAlg) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: alg.oid(), parameters: None }
}

/// An incremental hash of one algorithm ([`HashAlg::hasher`]).
pub(crate) struct Hasher {
    inner: Box<dyn DynDigest + Send>,
}

impl Hasher {
    /// A fresh hash of `alg`.
    pub(crate) fn new(alg: HashAlg) -> Hasher {
        Hasher { inner: alg.hasher() }
    }

    /// Adds bytes.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digest.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.inner.finalize().into_vec()
    }

    /// A copy of the state, to go on with other data than this one (within one thread).
    pub(crate) fn fork(&self) -> Fork {
        Fork { inner: self.inner.box_clone() }
    }
}

/// A hash state copied from a [`Hasher`], which can be copied again.
pub(crate) struct Fork {
    inner: Box<dyn DynDigest>,
}

impl Clone for Fork {
    fn clone(&self) -> Fork {
        Fork { inner: self.inner.box_clone() }
    }
}

impl Fork {
    /// Adds bytes.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digest.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.inner.finalize().into_vec()
    }
}

/// Size of the read buffer of the streaming functions.
pub(crate) const CHUNK: usize = cie_core::sign::HASH_CHUNK;

/// Hashes everything `reader` yields, a chunk at a time; returns the digest and the length
/// ([`HashAlg::hash_reader`]).
pub(crate) fn hash_reader(alg: HashAlg, reader: &mut dyn Read) -> std::io::Result<(Vec<u8>, u64)> {
    alg.hash_reader(reader)
}

#[cfg(test)]
mod tests {
    use der::asn1::ObjectIdentifier;

    use super::*;

    #[test]
    fn oids_round_trip_and_streaming_matches_one_shot() {
        for alg in HashAlg::ALL {
            assert_eq!(HashAlg::from_oid(&algorithm_identifier(alg).oid), Some(alg));
            let data = vec![0x5au8; CHUNK * 2 + 17];
            let (d, n) = hash_reader(alg, &mut &data[..]).unwrap();
            assert_eq!(n, data.len() as u64);
            assert_eq!(d, alg.hash(&data));
        }
        // SHA-256 of "abc" (FIPS 180-2 appendix B.1), written out.
        let (d, _) = hash_reader(HashAlg::Sha256, &mut &b"abc"[..]).unwrap();
        assert_eq!(d[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(HashAlg::from_oid(&ObjectIdentifier::new_unwrap("1.2.840.113549.2.5")), None);
    }
}
