//! A BER `.p7m` of more than 1 GiB verifies and extracts in bounded memory: the file is
//! generated on the fly by a `Read + Seek` (never stored), laid out as `openssl cms -sign
//! -stream` and the Italian signing applications write it (indefinite lengths, the content in
//! 1000-byte chunks of a constructed OCTET STRING), around a SignerInfo the test signs with the
//! test PKI's Document Signer key. The heap's peak is counted by this binary's allocator and
//! must stay within a few buffers, whatever the content's size; no timing is asserted.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};

use cie_sign::verify::{verify_enveloping_file_against, WALK_BUFFER};
use cie_sign::{cades, Encoding, HashAlg, Silent, Trust};
use der::{Decode, Encode, Header, Reader, SliceReader};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes of content per chunk, and how many chunks: 1.1 GB (more than 1 GiB) of content.
const CHUNK: usize = 1000;
const CHUNKS: u64 = 1_100_000;

/// The content of one chunk (every chunk alike).
fn chunk_body() -> Vec<u8> {
    (0..CHUNK).map(|i| (i * 7 % 256) as u8).collect()
}

/// The whole content, as a reader (for the test's own digest).
struct Content {
    body: Vec<u8>,
    left: u64,
    at: usize,
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = buf.len().min(CHUNK - self.at);
        buf[..n].copy_from_slice(&self.body[self.at..self.at + n]);
        self.at += n;
        if self.at == CHUNK {
            (self.at, self.left) = (0, self.left - 1);
        }
        Ok(n)
    }
}

/// The `.p7m`, generated as it is read: `prefix`, `CHUNKS` times `chunk`, `suffix`.
struct BerP7m {
    prefix: Vec<u8>,
    chunk: Vec<u8>,
    suffix: Vec<u8>,
    pos: u64,
}

impl BerP7m {
    fn len(&self) -> u64 {
        self.prefix.len() as u64 + CHUNKS * self.chunk.len() as u64 + self.suffix.len() as u64
    }
}

impl Read for BerP7m {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let body_end = self.prefix.len() as u64 + CHUNKS * self.chunk.len() as u64;
        let (part, offset): (&[u8], usize) = if self.pos < self.prefix.len() as u64 {
            (&self.prefix, self.pos as usize)
        } else if self.pos < body_end {
            (&self.chunk, ((self.pos - self.prefix.len() as u64) % self.chunk.len() as u64) as usize)
        } else if self.pos < self.len() {
            (&self.suffix, (self.pos - body_end) as usize)
        } else {
            return Ok(0);
        };
        let n = buf.len().min(part.len() - offset);
        buf[..n].copy_from_slice(&part[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BerP7m {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len().saturating_add_signed(d),
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

/// Builds the generator: a detached signature over the content's digest, its SignedData
/// taken apart with the `der` crate's reader and put around the content in BER by hand
/// (X.690 §8.1.3.6: `80` opens an indefinite length, `00 00` closes it).
fn generator() -> BerP7m {
    let body = chunk_body();
    let (digest, n) = HashAlg::Sha256.hash_reader(&mut Content { body: body.clone(), left: CHUNKS, at: 0 }).unwrap();
    assert_eq!(n, CHUNKS * CHUNK as u64);
    let mut signer = common::SoftwareSigner::document_signer();
    let p7s = cades::sign_digest_detached(&mut signer, HashAlg::Sha256, &digest, None).unwrap();
    // ContentInfo { OID, [0] { SignedData { version, algs, encap, certificates, signerInfos } } }
    let mut ci = SliceReader::new(&p7s).unwrap();
    Header::decode(&mut ci).unwrap();
    let oid = ci.tlv_bytes().unwrap().to_vec();
    Header::decode(&mut ci).unwrap();
    let sd_header = Header::decode(&mut ci).unwrap();
    let sd_body = ci.read_slice(sd_header.length).unwrap();
    let mut sd = SliceReader::new(sd_body).unwrap();
    let version = sd.tlv_bytes().unwrap().to_vec();
    let algs = sd.tlv_bytes().unwrap().to_vec();
    let _detached = sd.tlv_bytes().unwrap();
    let rest = &sd_body[usize::try_from(sd.position()).unwrap()..];
    let data_oid = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1").to_der().unwrap();

    let mut prefix = vec![0x30, 0x80];
    prefix.extend_from_slice(&oid);
    prefix.extend_from_slice(&[0xA0, 0x80, 0x30, 0x80]);
    prefix.extend_from_slice(&version);
    prefix.extend_from_slice(&algs);
    prefix.extend_from_slice(&[0x30, 0x80]);
    prefix.extend_from_slice(&data_oid);
    prefix.extend_from_slice(&[0xA0, 0x80, 0x24, 0x80]);
    let mut chunk = vec![0x04, 0x82, (CHUNK >> 8) as u8, CHUNK as u8];
    chunk.extend_from_slice(&body);
    let mut suffix = vec![0; 6]; // the chunks, eContent [0], encapContentInfo
    suffix.extend_from_slice(rest);
    suffix.extend_from_slice(&[0; 6]); // SignedData, [0], ContentInfo
    BerP7m { prefix, chunk, suffix, pos: 0 }
}

/// The heap's peak above what was in use when `f` started.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

#[test]
fn a_1_gib_ber_p7m_verifies_and_extracts_in_bounded_memory() {
    let mut p7m = generator();
    assert!(p7m.len() > 1 << 30);
    let mut trust = Trust::none();
    trust.add(cie_sim::fixtures::csca_certificate()).unwrap();

    let (report, peak) = peak_during(|| verify_enveloping_file_against(&mut p7m, None, &trust, &mut Silent));
    let report = report.unwrap().unwrap();
    assert!(report.all_valid(), "{report:?}");
    assert_eq!(report.signatures[0].encoding, Encoding::Ber);
    // The walker's buffer, the certificate and the SignerInfo: under 400 KiB for 1 GiB.
    let bound = 2 * WALK_BUFFER + 256 * 1024;
    eprintln!("verification of a {} byte BER .p7m: heap peak {peak} bytes", p7m.len());
    assert!(peak < bound, "verification peaked at {peak} bytes of heap (bound {bound})");

    // Extraction: every byte of the content, in the same bounded memory.
    p7m.seek(SeekFrom::Start(0)).unwrap();
    let mut sink = std::io::sink();
    let (extracted, peak) = peak_during(|| cades::extract_encoded(&mut p7m, &mut sink, &mut Silent));
    assert_eq!(extracted.unwrap(), (CHUNKS * CHUNK as u64, Encoding::Ber));
    eprintln!("extraction: heap peak {peak} bytes");
    assert!(peak < bound, "extraction peaked at {peak} bytes of heap (bound {bound})");

    // Hashing the bytes extracted gives the signed digest (the content is exact).
    p7m.seek(SeekFrom::Start(0)).unwrap();
    let mut hashed = HashWriter(HashAlg::Sha256.hasher());
    cades::extract_to(&mut p7m, &mut hashed, &mut Silent).unwrap();
    let (want, _) = HashAlg::Sha256.hash_reader(&mut Content { body: chunk_body(), left: CHUNKS, at: 0 }).unwrap();
    assert_eq!(hashed.0.finalize().to_vec(), want);
}

/// A writer that hashes what it is given.
struct HashWriter(Box<dyn sha2::digest::DynDigest + Send>);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
