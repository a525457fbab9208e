//! Generation of the simulator's deterministic test PKI and card personalisation
//! (PROTOCOL.md §2.2, §2.4, §3.3, §8.2, §8.3, §10.1; DESIGN.md §4).
//!
//! Everything is derived from fixed seeds (one [`ChaCha20Rng`] per object, seeded with
//! `SHA-256("cie-sim test PKI/" || object name)`), so [`generate`] always returns the same bytes
//! for a given version of the `rsa` crate. Generating takes seconds in release mode, so the output
//! is committed under `cie-sim/fixtures/` (written by `examples/gen_fixtures.rs`) and tests load it
//! through [`crate::fixtures`].
//!
//! This module is also usable on its own: [`build_sod`] signs an EF.SOD over arbitrary data groups,
//! [`sn_icc_for_nis`] builds EF.SN.ICC, [`ef_dh`] encodes EF.DH.

use std::error::Error as StdError;

use der::asn1::{Any, BitString, OctetString, PrintableStringRef, SetOfVec};
use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{DateTime, Decode, Encode};
use num_bigint::{BigUint, ModInverse, RandPrime};
use num_integer::Integer;
use num_traits::{One, Zero};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::EncodePublicKey;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::image::SodProfile;
use crate::test_card::{TEST_NIS, TEST_SERIAL};

/// Errors of the generator (it only ever runs on data it made itself).
pub type Result<T> = std::result::Result<T, Box<dyn StdError + Send + Sync>>;

/// OID 2.23.136.1.1.1, id-icao-mrtd-security-ldsSecurityObject (PROTOCOL.md §8.3).
pub const OID_LDS_SECURITY_OBJECT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.1");
/// OID 1.2.840.113549.1.7.2, id-signedData (PROTOCOL.md §8.3).
pub const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// OID 1.2.840.113549.1.9.3, the contentType signed attribute (PROTOCOL.md §8.3).
pub const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// OID 1.2.840.113549.1.9.4, the messageDigest signed attribute (PROTOCOL.md §8.3).
pub const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// OID 2.16.840.1.101.3.4.2.1, SHA-256 (PROTOCOL.md Appendix B).
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// OID 2.16.840.1.101.3.4.2.3, SHA-512 (PROTOCOL.md Appendix B).
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// OID 1.2.840.113549.1.1.5, sha1WithRSAEncryption (old-profile EF.SOD, PROTOCOL.md §8.3).
pub const OID_SHA1_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
/// OID 1.2.840.113549.1.1.11, sha256WithRSAEncryption (PROTOCOL.md Appendix B).
pub const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

const OID_C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const OID_GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const OID_KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// Organisation name shared by every test certificate: this is clearly a test PKI.
pub const TEST_ORGANISATION: &str = "cie-sim test PKI";

/// Byte 7 of CHA of key `84` (after the 6-byte CIE AID): the role byte we chose (PROTOCOL.md §4.2;
/// the real value is unknown and no host uses it).
pub const CA_CHA_ROLE: u8 = 0x00;

/// CAR of the simulator's external-authentication CA (key `84`); CHR = `00 00 00 00` || CAR
/// (PROTOCOL.md §4.2).
pub const CA_CAR: [u8; 8] = *b"ITSIMCA1";

/// Bytes `[0..5)` and `[11]` of the simulator's EF.SN.ICC around the packed-BCD NIS (§2.4).
const SN_ICC_PREFIX: [u8; 5] = [0x00, 0x53, 0x49, 0x4d, 0x01];
const SN_ICC_SUFFIX: u8 = 0x00;

/// A seeded generator for the object `name`: `ChaCha20Rng::from_seed(SHA-256("cie-sim test
/// PKI/" || name))`.
pub fn rng_for(name: &str) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"cie-sim test PKI/");
    h.update(name.as_bytes());
    ChaCha20Rng::from_seed(h.finalize().into())
}

/// Everything the generator produces; each field is written to `cie-sim/fixtures/<file name>`
/// (see [`Fixtures::files`]).
pub struct Fixtures {
    /// Self-signed "CSCA" root, DER.
    pub csca_cert: Vec<u8>,
    /// Document Signer certificate issued by the CSCA, DER.
    pub ds_cert: Vec<u8>,
    /// Document Signer private key, PKCS#1 RSAPrivateKey DER (test key).
    pub ds_key: Vec<u8>,
    /// Self-signed issuing CA of the citizen certificate, DER.
    pub citizen_ca_cert: Vec<u8>,
    /// The citizen authentication certificate (EF 1003), DER.
    pub citizen_cert: Vec<u8>,
    /// Key `81`, PKCS#1 RSAPrivateKey DER.
    pub key81: Vec<u8>,
    /// Key `82`, PKCS#1 RSAPrivateKey DER.
    pub key82: Vec<u8>,
    /// Key `83`, PKCS#1 RSAPrivateKey DER.
    pub key83: Vec<u8>,
    /// EF 1004: PKCS#1 RSAPublicKey DER of key `82`.
    pub ef_1004: Vec<u8>,
    /// EF 1005: PKCS#1 RSAPublicKey DER of key `83`.
    pub ef_1005: Vec<u8>,
    /// DH prime p, 256 bytes.
    pub dh_p: Vec<u8>,
    /// DH subgroup order q, 32 bytes.
    pub dh_q: Vec<u8>,
    /// DH generator g, 256 bytes.
    pub dh_g: Vec<u8>,
    /// EF.DH (D004), see [`ef_dh`].
    pub ef_dh: Vec<u8>,
    /// EF.SN.ICC (D003), 12 bytes.
    pub sn_icc: Vec<u8>,
    /// Key `84` modulus n', 256 bytes.
    pub ca_modulus: Vec<u8>,
    /// Key `84` public exponent e', minimal big-endian.
    pub ca_exponent: Vec<u8>,
    /// Key `84` CHR, 12 bytes.
    pub ca_chr: Vec<u8>,
    /// Key `84` CHA, 7 bytes.
    pub ca_cha: Vec<u8>,
    /// EF.SOD, old profile (SHA-256 digests, sha1WithRSAEncryption, LDS version 0, padded to
    /// 3,072 bytes), signed by [`Fixtures::ds_cert_sha1`]'s key.
    pub sod_sha256: Vec<u8>,
    /// EF.SOD, new profile (SHA-512, RSASSA-PSS, LDS version 1 with ldsVersionInfo).
    pub sod_sha512: Vec<u8>,
    /// The Document Signer certificate of the old profile: the same key, signed
    /// sha1WithRSAEncryption by the CSCA.
    pub ds_cert_sha1: Vec<u8>,
    /// The Document Signer certificate of the new profile: signed RSASSA-PSS by the CSCA.
    pub ds_cert_pss: Vec<u8>,
}

impl Fixtures {
    /// The fixture files as (file name, content), in a fixed order.
    pub fn files(&self) -> Vec<(&'static str, &[u8])> {
        vec![
            ("csca.der", &self.csca_cert),
            ("document_signer.der", &self.ds_cert),
            ("document_signer_key.der", &self.ds_key),
            ("citizen_ca.der", &self.citizen_ca_cert),
            ("ef_1003_citizen.der", &self.citizen_cert),
            ("key81.der", &self.key81),
            ("key82.der", &self.key82),
            ("key83.der", &self.key83),
            ("ef_1004.der", &self.ef_1004),
            ("ef_1005.der", &self.ef_1005),
            ("dh_p.bin", &self.dh_p),
            ("dh_q.bin", &self.dh_q),
            ("dh_g.bin", &self.dh_g),
            ("ef_d004_dh.der", &self.ef_dh),
            ("ef_d003_sn_icc.bin", &self.sn_icc),
            ("key84_modulus.bin", &self.ca_modulus),
            ("key84_exponent.bin", &self.ca_exponent),
            ("key84_chr.bin", &self.ca_chr),
            ("key84_cha.bin", &self.ca_cha),
            ("ef_1006_sod_sha256_pkcs1.der", &self.sod_sha256),
            ("ef_1006_sod_sha512_pss.der", &self.sod_sha512),
            ("document_signer_sha1.der", &self.ds_cert_sha1),
            ("document_signer_pss.der", &self.ds_cert_pss),
        ]
    }
}

/// Generates the whole test PKI and card personalisation (slow: run in release mode).
pub fn generate() -> Result<Fixtures> {
    let csca_key = RsaPrivateKey::new(&mut rng_for("csca key"), 2048)?;
    let ds_key = RsaPrivateKey::new(&mut rng_for("document signer key"), 2048)?;
    let cca_key = RsaPrivateKey::new(&mut rng_for("citizen ca key"), 2048)?;
    let key81 = RsaPrivateKey::new(&mut rng_for("key 81"), 2048)?;
    let key82 = RsaPrivateKey::new(&mut rng_for("key 82"), 2048)?;
    let key83 = RsaPrivateKey::new(&mut rng_for("key 83"), 2048)?;

    let validity = validity(2024, 2049)?;

    // CSCA root.
    let csca_name = name(&[
        (OID_C, Str::Printable("IT")),
        (OID_O, Str::Utf8(TEST_ORGANISATION)),
        (OID_CN, Str::Utf8("cie-sim Test CSCA")),
    ])?;
    let csca_cert = certificate(CertSpec {
        serial: random_serial(&mut rng_for("csca serial")),
        subject: csca_name.clone(),
        subject_key: &csca_key.to_public_key(),
        issuer: csca_name.clone(),
        issuer_key: &csca_key,
        validity,
        kind: CertKind::Ca,
    })?;

    // Document Signer, issued by the CSCA.
    let ds_cert = certificate(CertSpec {
        serial: random_serial(&mut rng_for("document signer serial")),
        subject: name(&[
            (OID_C, Str::Printable("IT")),
            (OID_O, Str::Utf8(TEST_ORGANISATION)),
            (OID_CN, Str::Utf8("cie-sim Test Document Signer")),
        ])?,
        subject_key: &ds_key.to_public_key(),
        issuer: csca_name,
        issuer_key: &csca_key,
        validity,
        kind: CertKind::DocumentSigner,
    })?;

    // Issuing CA of the citizen certificates.
    let cca_name = citizen_ca_name()?;
    let citizen_ca_cert = certificate(CertSpec {
        serial: random_serial(&mut rng_for("citizen ca serial")),
        subject: cca_name.clone(),
        subject_key: &cca_key.to_public_key(),
        issuer: cca_name.clone(),
        issuer_key: &cca_key,
        validity,
        kind: CertKind::Ca,
    })?;

    // The citizen authentication certificate for key 81.
    let citizen_cert = certificate(CertSpec {
        serial: random_serial(&mut rng_for("citizen serial")),
        subject: citizen_name()?,
        subject_key: &key81.to_public_key(),
        issuer: cca_name,
        issuer_key: &cca_key,
        validity,
        kind: CertKind::Authentication,
    })?;

    let ef_1004 = key82.to_public_key().to_pkcs1_der()?.as_bytes().to_vec();
    let ef_1005 = key83.to_public_key().to_pkcs1_der()?.as_bytes().to_vec();

    let (p, q, g) = dh_group(&mut rng_for("dh group"));
    let dh_p = fixed_be(&p, 256)?;
    let dh_q = fixed_be(&q, 32)?;
    let dh_g = fixed_be(&g, 256)?;
    let ef_dh = ef_dh(&p, &q, &g)?;

    let d_ca = BigUint::from_bytes_be(&crate::host_keys::CA_PRIVATE_EXPONENT);
    let (n_ca, e_ca) = ca_key(&mut rng_for("key 84"), &d_ca)?;
    let mut ca_chr = vec![0u8; 4];
    ca_chr.extend_from_slice(&CA_CAR);
    let mut ca_cha = crate::card::consts::CIE_AID.to_vec();
    ca_cha.push(CA_CHA_ROLE);

    let sn_icc = sn_icc_for_nis(TEST_NIS)?.to_vec();

    let groups = [
        (0xa1, &TEST_NIS.as_bytes()[..12]),
        (0xa2, &TEST_SERIAL.as_bytes()[..9]),
        (0xa3, &citizen_cert[..]),
        (0xa4, &ef_1004[..]),
        (0xa5, &ef_1005[..]),
        (0x1b, &ef_dh[..]),
    ];
    let profiles = profile_sods(&groups, &ds_key, &ds_cert, &csca_key)?;

    Ok(Fixtures {
        csca_cert,
        ds_cert,
        ds_key: ds_key.to_pkcs1_der()?.as_bytes().to_vec(),
        citizen_ca_cert,
        citizen_cert,
        key81: key81.to_pkcs1_der()?.as_bytes().to_vec(),
        key82: key82.to_pkcs1_der()?.as_bytes().to_vec(),
        key83: key83.to_pkcs1_der()?.as_bytes().to_vec(),
        ef_1004,
        ef_1005,
        dh_p,
        dh_q,
        dh_g,
        ef_dh,
        sn_icc,
        ca_modulus: fixed_be(&n_ca, 256)?,
        ca_exponent: e_ca.to_bytes_be(),
        ca_chr,
        ca_cha,
        sod_sha256: profiles.sod_old,
        sod_sha512: profiles.sod_new,
        ds_cert_sha1: profiles.ds_old,
        ds_cert_pss: profiles.ds_new,
    })
}

/// The EF.SOD files of both profiles and their Document Signer certificates.
struct ProfileSods {
    sod_old: Vec<u8>,
    sod_new: Vec<u8>,
    ds_old: Vec<u8>,
    ds_new: Vec<u8>,
}

/// EF.SOD as real cards of each profile have it (PROTOCOL.md §8.3): the data groups in the
/// profile's order ([`dg_order`]), embedding a Document Signer certificate that the CSCA signed
/// sha1WithRSA (old) or RSASSA-PSS (new).
fn profile_sods(
    groups: &[(u8, &[u8])],
    ds_key: &RsaPrivateKey,
    ds_cert: &[u8],
    csca_key: &RsaPrivateKey,
) -> Result<ProfileSods> {
    let ordered = |profile: SodProfile| -> Vec<(u8, &[u8])> {
        dg_order(profile).iter().filter_map(|n| groups.iter().find(|(g, _)| g == n).copied()).collect()
    };
    let ds_old = resign_certificate(ds_cert, csca_key, SodSignature::Sha1Rsa, &mut rng_for("ds sha1"))?;
    let ds_new = resign_certificate(ds_cert, csca_key, SodSignature::Sha512Pss, &mut rng_for("ds pss"))?;
    let old = SodProfile::Sha256Pkcs1;
    let new = SodProfile::Sha512Pss;
    Ok(ProfileSods {
        sod_old: build_sod(old, &ordered(old), ds_key, &ds_old, &mut rng_for("sod sha256"))?,
        sod_new: build_sod(new, &ordered(new), ds_key, &ds_new, &mut rng_for("sod sha512"))?,
        ds_old,
        ds_new,
    })
}

/// Name of the issuing CA of the citizen certificates.
fn citizen_ca_name() -> Result<Name> {
    name(&[
        (OID_C, Str::Printable("IT")),
        (OID_O, Str::Utf8(TEST_ORGANISATION)),
        (OID_CN, Str::Utf8("Test CA per la Carta d'Identita Elettronica")),
    ])
}

/// Subject of the test citizen's authentication certificate, shaped as on real cards: the
/// serialNumber is the card number in its ETSI EN 319 412-1 form `IDCIT-<number>`, the fiscal
/// code is the common name's part before `/` (PROTOCOL.md §2.2).
fn citizen_name() -> Result<Name> {
    let cn = format!("RSSMRA80A01H501U/{TEST_NIS}");
    let serial = format!("IDCIT-{TEST_SERIAL}");
    name(&[
        (OID_C, Str::Printable("IT")),
        (OID_GIVEN_NAME, Str::Utf8("MARIO")),
        (OID_SURNAME, Str::Utf8("ROSSI")),
        (OID_SERIAL_NUMBER, Str::Printable(&serial)),
        (OID_CN, Str::Utf8(&cn)),
    ])
}

/// The test citizen's authentication certificate for `key`, under the citizen CA's name but
/// signed by `key` itself (for [`crate::fuzz_card`], which has no CA key; nothing checks its
/// chain there).
pub fn self_issued_citizen_certificate(key: &RsaPrivateKey) -> Result<Vec<u8>> {
    certificate(CertSpec {
        serial: random_serial(&mut rng_for("fuzz citizen serial")),
        subject: citizen_name()?,
        subject_key: &key.to_public_key(),
        issuer: citizen_ca_name()?,
        issuer_key: key,
        validity: validity(2024, 2049)?,
        kind: CertKind::Authentication,
    })
}

/// EF.SN.ICC for a 12-digit NIS: 5 fixed bytes, the NIS in packed BCD (6 bytes, PROTOCOL.md
/// §2.4), one fixed byte.
pub fn sn_icc_for_nis(nis: &str) -> Result<[u8; 12]> {
    let digits = nis.as_bytes();
    if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
        return Err("the NIS must be 12 ASCII digits".into());
    }
    let mut out = [0u8; 12];
    out[..5].copy_from_slice(&SN_ICC_PREFIX);
    for (i, pair) in digits.chunks(2).enumerate() {
        out[5 + i] = ((pair[0] - b'0') << 4) | (pair[1] - b'0');
    }
    out[11] = SN_ICC_SUFFIX;
    Ok(out)
}

/// EF.DH (`D004`) content. The real structure is unknown (PROTOCOL.md §2.2; hosts only hash it,
/// trimmed to its DER length); we use the ANSI X9.42 `DomainParameters` order:
/// `SEQUENCE { p INTEGER, g INTEGER, q INTEGER }` with minimal DER integers.
pub fn ef_dh(p: &BigUint, q: &BigUint, g: &BigUint) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    for v in [p, g, q] {
        body.extend(der::asn1::Uint::new(&v.to_bytes_be())?.to_der()?);
    }
    Ok(tlv(0x30, &body))
}

/// A DH group as in PROTOCOL.md §4.1: q a 256-bit prime, p a 2048-bit prime with q | p-1,
/// g = h^((p-1)/q) mod p of order q (smallest h >= 2 giving g != 1).
pub fn dh_group(rng: &mut ChaCha20Rng) -> (BigUint, BigUint, BigUint) {
    let q: BigUint = rng.gen_prime(256);
    let two_q = &q << 1;
    let p = loop {
        let mut buf = [0u8; 256];
        rng.fill_bytes(&mut buf);
        buf[0] |= 0x80;
        let x = BigUint::from_bytes_be(&buf);
        // p = x - (x mod 2q) + 1, so p = 1 (mod 2q); stays 2048-bit because 2q << x.
        let p = &x - (&x % &two_q) + BigUint::one();
        if p.bits() == 2048 && num_bigint::prime::probably_prime(&p, 20) {
            break p;
        }
    };
    let cofactor = (&p - BigUint::one()) / &q;
    let mut h = BigUint::from(2u32);
    let g = loop {
        let g = h.modpow(&cofactor, &p);
        if !g.is_one() {
            break g;
        }
        h += BigUint::one();
    };
    (p, q, g)
}

/// The simulator's external-authentication CA key `84` (PROTOCOL.md §3.3, DESIGN.md §4): 1024-bit
/// primes p', q' drawn until n' = p'q' has 2048 bits and gcd(d_CA, lambda(n')) = 1; returns
/// (n', e') with e' = d_CA^-1 mod lambda(n').
pub fn ca_key(rng: &mut ChaCha20Rng, d_ca: &BigUint) -> Result<(BigUint, BigUint)> {
    loop {
        let p: BigUint = rng.gen_prime(1024);
        let q: BigUint = rng.gen_prime(1024);
        if p == q {
            continue;
        }
        let n = &p * &q;
        if n.bits() != 2048 || d_ca >= &n {
            continue;
        }
        let lambda = (&p - BigUint::one()).lcm(&(&q - BigUint::one()));
        if !d_ca.gcd(&lambda).is_one() {
            continue;
        }
        let e = d_ca.mod_inverse(&lambda).and_then(|e| e.to_biguint()).ok_or("d_CA has no inverse")?;
        if e.is_zero() {
            continue;
        }
        return Ok((n, e));
    }
}

/// The hash of an EF.SOD's data groups and messageDigest (PROTOCOL.md §8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SodDigest {
    /// SHA-256 (old profile).
    Sha256,
    /// SHA-512 (new profile).
    Sha512,
}

/// The Document Signer's signature over an EF.SOD, or the CSCA's over a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SodSignature {
    /// sha1WithRSAEncryption, PKCS#1 v1.5 over SHA-1 (old-profile cards).
    Sha1Rsa,
    /// sha256WithRSAEncryption, PKCS#1 v1.5 over SHA-256.
    Sha256Rsa,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, salt 64 (new-profile cards).
    Sha512Pss,
}

/// Everything that shapes an EF.SOD: [`SodSpec::for_profile`] gives those of real cards; tests
/// may build others (a SHA-1 signature in the new profile...) to check that hosts refuse them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SodSpec {
    /// Hash of the data groups.
    pub digest: SodDigest,
    /// Signature over the signed attributes.
    pub signature: SodSignature,
    /// LDSSecurityObject version.
    pub lds_version: u8,
    /// Whether the LDSSecurityObject ends with `ldsVersionInfo` ("0108", "040000").
    pub version_info: bool,
    /// The file size: zeros after the DER end up to it (0: no padding).
    pub pad_to: usize,
}

/// The size real old-profile cards give EF.SOD (zero-padded after the DER end, PROTOCOL.md §8.3).
pub const OLD_PROFILE_SOD_SIZE: usize = 3072;

impl SodSpec {
    /// The EF.SOD of real cards in `profile` (PROTOCOL.md §8.3): old: SHA-256 digests,
    /// sha1WithRSAEncryption, LDS version 0, padded to 3,072 bytes; new: SHA-512 digests,
    /// RSASSA-PSS (SHA-512, salt 64), LDS version 1 with `ldsVersionInfo`, no padding.
    pub fn for_profile(profile: SodProfile) -> SodSpec {
        match profile {
            SodProfile::Sha256Pkcs1 => SodSpec {
                digest: SodDigest::Sha256,
                signature: SodSignature::Sha1Rsa,
                lds_version: 0,
                version_info: false,
                pad_to: OLD_PROFILE_SOD_SIZE,
            },
            SodProfile::Sha512Pss => SodSpec {
                digest: SodDigest::Sha512,
                signature: SodSignature::Sha512Pss,
                lds_version: 1,
                version_info: true,
                pad_to: 0,
            },
        }
    }
}

/// The data-group order of real cards' EF.SOD in `profile` (PROTOCOL.md §8.3): old `A5 A4 A1 A3
/// A2 1B`, new `A5 1B A4 A3 A2 A1`.
pub fn dg_order(profile: SodProfile) -> [u8; 6] {
    match profile {
        SodProfile::Sha256Pkcs1 => [0xa5, 0xa4, 0xa1, 0xa3, 0xa2, 0x1b],
        SodProfile::Sha512Pss => [0xa5, 0x1b, 0xa4, 0xa3, 0xa2, 0xa1],
    }
}

/// Builds an EF.SOD as real cards in `profile` have it ([`SodSpec::for_profile`]) over `groups`
/// (DG number, data already trimmed per §8.2), listed in the order given.
pub fn build_sod(
    profile: SodProfile,
    groups: &[(u8, &[u8])],
    ds_key: &RsaPrivateKey,
    ds_cert_der: &[u8],
    rng: &mut ChaCha20Rng,
) -> Result<Vec<u8>> {
    build_sod_with(SodSpec::for_profile(profile), groups, ds_key, ds_cert_der, rng)
}

/// Builds an EF.SOD (PROTOCOL.md §8.3) shaped by `spec`: outer tag `77` around a CMS
/// ContentInfo/SignedData whose eContent is an LDSSecurityObject over `groups`, in their order.
/// DG numbers are encoded as one-byte INTEGER contents (`02 01 A1`, the quirk of §8.3). Signed
/// attributes: contentType then messageDigest. The DS certificate is embedded and identified by
/// issuer and serial number.
pub fn build_sod_with(
    spec: SodSpec,
    groups: &[(u8, &[u8])],
    ds_key: &RsaPrivateKey,
    ds_cert_der: &[u8],
    rng: &mut ChaCha20Rng,
) -> Result<Vec<u8>> {
    let digest_oid = match spec.digest {
        SodDigest::Sha256 => OID_SHA256,
        SodDigest::Sha512 => OID_SHA512,
    };
    let hash = |data: &[u8]| -> Vec<u8> {
        match spec.digest {
            SodDigest::Sha256 => Sha256::digest(data).to_vec(),
            SodDigest::Sha512 => Sha512::digest(data).to_vec(),
        }
    };
    let digest_alg = AlgorithmIdentifierOwned { oid: digest_oid, parameters: None };

    // LDSSecurityObject, by hand for the one-byte DG INTEGER quirk.
    let mut hashes = Vec::new();
    for (number, data) in groups {
        let mut dg = tlv(0x02, &[*number]);
        dg.extend(tlv(0x04, &hash(data)));
        hashes.extend(tlv(0x30, &dg));
    }
    let mut lds = tlv(0x02, &[spec.lds_version]);
    lds.extend(digest_alg.to_der()?);
    lds.extend(tlv(0x30, &hashes));
    if spec.version_info {
        lds.extend(lds_version_info());
    }
    let lds = tlv(0x30, &lds);

    let content_type = Attribute {
        oid: OID_CONTENT_TYPE,
        values: SetOfVec::try_from(vec![Any::encode_from(&OID_LDS_SECURITY_OBJECT)?])?,
    };
    let message_digest = Attribute {
        oid: OID_MESSAGE_DIGEST,
        values: SetOfVec::try_from(vec![Any::encode_from(&OctetString::new(hash(&lds))?)?])?,
    };
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![content_type, message_digest])?;
    // DER sorts SET OF; with these two attributes contentType always comes first (§8.3).
    if signed_attrs.as_slice().first().map(|a| a.oid) != Some(OID_CONTENT_TYPE) {
        return Err("signed attributes out of order".into());
    }
    let to_sign = signed_attrs.to_der()?;
    let (signature_algorithm, signature) = sign_with(spec.signature, ds_key, &to_sign, rng)?;

    let ds_cert = Certificate::from_der(ds_cert_der)?;
    let signer = cms::signed_data::SignerInfo {
        version: cms::content_info::CmsVersion::V1,
        sid: cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber {
            issuer: ds_cert.tbs_certificate.issuer.clone(),
            serial_number: ds_cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest_alg.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let signed_data = cms::signed_data::SignedData {
        version: cms::content_info::CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![digest_alg])?,
        encap_content_info: cms::signed_data::EncapsulatedContentInfo {
            econtent_type: OID_LDS_SECURITY_OBJECT,
            econtent: Some(Any::encode_from(&OctetString::new(lds)?)?),
        },
        certificates: Some(cms::signed_data::CertificateSet(SetOfVec::try_from(vec![
            cms::cert::CertificateChoices::Certificate(ds_cert),
        ])?)),
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(SetOfVec::try_from(vec![signer])?),
    };
    let content_info =
        cms::content_info::ContentInfo { content_type: OID_SIGNED_DATA, content: Any::encode_from(&signed_data)? };
    let mut sod = tlv(0x77, &content_info.to_der()?);
    if spec.pad_to > 0 {
        if sod.len() > spec.pad_to {
            return Err("EF.SOD larger than its padded size".into());
        }
        sod.resize(spec.pad_to, 0);
    }
    Ok(sod)
}

/// LDSVersionInfo { ldsVersion "0108", unicodeVersion "040000" } (ICAO 9303 part 10), the
/// values of real new-profile cards (PROTOCOL.md §8.3).
fn lds_version_info() -> Vec<u8> {
    let mut info = tlv(0x13, b"0108");
    info.extend(tlv(0x13, b"040000"));
    tlv(0x30, &info)
}

/// Signs `message` with `key` as `alg` says; returns the AlgorithmIdentifier and signature.
/// sha1WithRSAEncryption without parameters, as on real old-profile cards.
fn sign_with(
    alg: SodSignature,
    key: &RsaPrivateKey,
    message: &[u8],
    rng: &mut ChaCha20Rng,
) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    Ok(match alg {
        SodSignature::Sha1Rsa => (
            AlgorithmIdentifierOwned { oid: OID_SHA1_WITH_RSA, parameters: None },
            key.sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(message))?,
        ),
        SodSignature::Sha256Rsa => (
            AlgorithmIdentifierOwned { oid: OID_SHA256_WITH_RSA, parameters: Some(Any::null()) },
            key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))?,
        ),
        SodSignature::Sha512Pss => (
            rsa::pss::get_default_pss_signature_algo_id::<Sha512>()?,
            key.sign_with_rng(rng, Pss::new_with_salt::<Sha512>(64), &Sha512::digest(message))?,
        ),
    })
}

/// `cert_der` signed again by `issuer_key` with `alg` (signature algorithm of the
/// tbsCertificate and of the certificate replaced): the Document Signer certificates of the
/// two profiles, sha1WithRSA (old) and RSASSA-PSS (new), as real CSCAs sign them.
pub fn resign_certificate(
    cert_der: &[u8],
    issuer_key: &RsaPrivateKey,
    alg: SodSignature,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<u8>> {
    let mut cert = Certificate::from_der(cert_der)?;
    // The algorithm identifier first (it is inside the signed tbsCertificate), then the signature.
    let (algorithm, _) = sign_with(alg, issuer_key, b"", rng)?;
    cert.tbs_certificate.signature = algorithm.clone();
    let tbs = cert.tbs_certificate.to_der()?;
    let (_, signature) = sign_with(alg, issuer_key, &tbs, rng)?;
    cert.signature_algorithm = algorithm;
    cert.signature = BitString::from_bytes(&signature)?;
    Ok(cert.to_der()?)
}

/// One DER TLV with a one-byte tag.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `v` big-endian, left-padded to `len` bytes.
fn fixed_be(v: &BigUint, len: usize) -> Result<Vec<u8>> {
    let bytes = v.to_bytes_be();
    if bytes.len() > len {
        return Err("integer too long".into());
    }
    let mut out = vec![0u8; len - bytes.len()];
    out.extend(bytes);
    Ok(out)
}

/// A positive 16-byte serial number (top bit clear, first byte non-zero).
fn random_serial(rng: &mut ChaCha20Rng) -> [u8; 16] {
    let mut s = [0u8; 16];
    rng.fill_bytes(&mut s);
    s[0] = (s[0] & 0x7f) | 0x10;
    s
}

/// An attribute value's string type.
enum Str<'a> {
    Printable(&'a str),
    Utf8(&'a str),
}

/// A distinguished name with one attribute per RDN, in the given order.
fn name(parts: &[(ObjectIdentifier, Str<'_>)]) -> Result<Name> {
    let mut rdns = Vec::new();
    for (oid, value) in parts {
        let value = match value {
            Str::Printable(s) => Any::encode_from(&PrintableStringRef::new(s)?)?,
            Str::Utf8(s) => Any::encode_from(&Utf8StringRef::new(s)?)?,
        };
        let atv = AttributeTypeAndValue { oid: *oid, value };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
    }
    Ok(RdnSequence(rdns))
}

fn validity(from_year: u16, to_year: u16) -> Result<Validity> {
    Ok(Validity {
        not_before: Time::UtcTime(der::asn1::UtcTime::from_date_time(DateTime::new(from_year, 1, 1, 0, 0, 0)?)?),
        not_after: Time::UtcTime(der::asn1::UtcTime::from_date_time(DateTime::new(to_year, 12, 31, 23, 59, 59)?)?),
    })
}

/// What a certificate is for; decides its extensions.
enum CertKind {
    /// A self-signed or intermediate CA: basicConstraints CA, keyCertSign + cRLSign.
    Ca,
    /// Document Signer: digitalSignature only.
    DocumentSigner,
    /// Citizen authentication with the extension profile of real cards (PROTOCOL.md §2.2):
    /// see [`citizen_extensions`].
    Authentication,
}

struct CertSpec<'a> {
    serial: [u8; 16],
    subject: Name,
    subject_key: &'a RsaPublicKey,
    issuer: Name,
    issuer_key: &'a RsaPrivateKey,
    validity: Validity,
    kind: CertKind,
}

/// SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1).
fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn spki_of(key: &RsaPublicKey) -> Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned::from_der(key.to_public_key_der()?.as_bytes())?)
}

fn extension<E: AsExtension>(value: &E, critical: bool, subject: &Name) -> Result<Extension> {
    let mut ext = value.to_extension(subject, &[])?;
    ext.critical = critical;
    Ok(ext)
}

/// Test certificate policy of the citizen certificates, under IANA's enterprise number 32473
/// reserved for documentation (RFC 5612): clearly not a real policy.
const OID_TEST_CITIZEN_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.39.1.1");
/// id-qt-cps and id-qt-unotice (RFC 5280 §4.2.1.4).
const OID_QT_CPS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.1");
const OID_QT_UNOTICE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.2");
/// id-ad-ocsp and id-ad-caIssuers (RFC 5280 §4.2.2.1).
const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const OID_AD_CA_ISSUERS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
/// Where the test citizen CA would publish (the `.invalid` top-level domain, RFC 2606: no client
/// ever reaches a real server through them).
const CITIZEN_CA_URL: &str = "http://ca.cie-sim.invalid/";
/// The CRL of the test citizen CA in a directory, as Italian CAs also publish it.
const CITIZEN_CRL_LDAP: &str =
    "ldap://ldap.cie-sim.invalid/cn=CRL1,ou=CA Cittadini,o=cie-sim test PKI,c=IT?certificateRevocationList";
/// The explicit text of the test policy's user notice.
const CITIZEN_POLICY_NOTICE: &str = "Certificato di autenticazione di una Carta d'Identita Elettronica di prova \
     (cie-sim test PKI): nessun valore legale. Test authentication certificate of a simulated CIE: no legal value.";

/// The extensions of the citizen authentication certificate, with the profile real cards have
/// (PROTOCOL.md §2.2): keyUsage digitalSignature, the only critical one; certificatePolicies
/// (CPS pointer and user notice), CRL distribution point and authority information access with
/// an OCSP responder (mandatory on real cards) and the issuer's certificate; extendedKeyUsage
/// clientAuth. Subject and authority key identifiers are added by [`certificate`].
fn citizen_extensions(subject: &Name) -> Result<Vec<Extension>> {
    let uri = |path: &str| -> Result<GeneralName> {
        Ok(GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(&format!("{CITIZEN_CA_URL}{path}"))?))
    };
    let cps = Any::encode_from(&der::asn1::Ia5String::new(&format!("{CITIZEN_CA_URL}manuale-operativo.pdf"))?)?;
    // UserNotice ::= SEQUENCE { explicitText UTF8String } (noticeRef absent).
    let notice = Any::from_der(&tlv(0x30, &Utf8StringRef::new(CITIZEN_POLICY_NOTICE)?.to_der()?))?;
    let policies = CertificatePolicies(vec![PolicyInformation {
        policy_identifier: OID_TEST_CITIZEN_POLICY,
        policy_qualifiers: Some(vec![
            PolicyQualifierInfo { policy_qualifier_id: OID_QT_CPS, qualifier: Some(cps) },
            PolicyQualifierInfo { policy_qualifier_id: OID_QT_UNOTICE, qualifier: Some(notice) },
        ]),
    }]);
    let ldap = GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(CITIZEN_CRL_LDAP)?);
    let crl = CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri("crl/cittadini.crl")?, ldap])),
        reasons: None,
        crl_issuer: None,
    }]);
    let aia = AuthorityInfoAccessSyntax(vec![
        AccessDescription { access_method: OID_AD_OCSP, access_location: uri("ocsp")? },
        AccessDescription { access_method: OID_AD_CA_ISSUERS, access_location: uri("certs/ca-cittadini.cer")? },
    ]);
    Ok(vec![
        extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true, subject)?,
        extension(&policies, false, subject)?,
        extension(&crl, false, subject)?,
        extension(&aia, false, subject)?,
        extension(&ExtendedKeyUsage(vec![OID_KP_CLIENT_AUTH]), false, subject)?,
    ])
}

/// Builds and signs (sha256WithRSAEncryption, PKCS#1 v1.5) one X.509 v3 certificate.
fn certificate(spec: CertSpec<'_>) -> Result<Vec<u8>> {
    let spki = spki_of(spec.subject_key)?;
    let issuer_spki = spki_of(&spec.issuer_key.to_public_key())?;
    let mut extensions = Vec::new();
    match spec.kind {
        CertKind::Ca => {
            extensions.push(extension(
                &BasicConstraints { ca: true, path_len_constraint: Some(0) },
                true,
                &spec.subject,
            )?);
            extensions.push(extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true, &spec.subject)?);
        }
        CertKind::DocumentSigner => {
            extensions.push(extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true, &spec.subject)?);
        }
        CertKind::Authentication => extensions.extend(citizen_extensions(&spec.subject)?),
    }
    extensions.push(extension(&SubjectKeyIdentifier(OctetString::new(key_id(&spki))?), false, &spec.subject)?);
    if spec.issuer != spec.subject {
        extensions.push(extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(key_id(&issuer_spki))?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
            &spec.subject,
        )?);
    }
    let signature_algorithm = AlgorithmIdentifierOwned { oid: OID_SHA256_WITH_RSA, parameters: Some(Any::null()) };
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&spec.serial)?,
        signature: signature_algorithm.clone(),
        issuer: spec.issuer,
        validity: spec.validity,
        subject: spec.subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der()?;
    let signature = spec.issuer_key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&tbs_der))?;
    let cert = Certificate { tbs_certificate: tbs, signature_algorithm, signature: BitString::from_bytes(&signature)? };
    Ok(cert.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sn_icc_packs_the_nis_in_bcd() {
        let sn = sn_icc_for_nis("123456789012").unwrap();
        assert_eq!(sn[5..11], [0x12, 0x34, 0x56, 0x78, 0x90, 0x12]);
        assert!(sn_icc_for_nis("12345678901").is_err());
        assert!(sn_icc_for_nis("12345678901a").is_err());
    }

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 0x02, 1, 2]);
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
    }
}
