//! Passive authentication: verification of EF.SOD against the data groups read from the card
//! (PROTOCOL.md §8.2, §8.3).
//!
//! EF.SOD is one outer TLV (ICAO style `77`; the tag is not checked, as in the official hosts)
//! around a CMS ContentInfo/SignedData whose eContent is an ICAO LDSSecurityObject. Two profiles
//! are accepted: the old one (SHA-256, PKCS#1 v1.5, LDS version 0) and the new one (SHA-512,
//! RSASSA-PSS, LDS version 1). The structure is walked with the BER-TLV reader of [`crate::tlv`]
//! on the raw bytes (the signature covers the signed attributes exactly as encoded on the card)
//! and never panics, whatever the input.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{Error, Result};
use crate::sign::{self, HashAlg};
use crate::tlv::{self, Tlv};

/// The signature/digest profile of an EF.SOD (PROTOCOL.md §8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SodAlgorithm {
    /// Old profile: SHA-256 digests, sha256WithRSAEncryption (PKCS#1 v1.5), LDS version 0.
    Sha256Pkcs1,
    /// New profile: SHA-512 digests, RSASSA-PSS with SHA-512 and MGF1-SHA-512, LDS version 1.
    Sha512Pss,
}

/// One data group to check against EF.SOD (PROTOCOL.md §8.2).
#[derive(Clone, Copy, Debug)]
pub struct DataGroup<'a> {
    /// DG number as listed in EF.SOD: `A1`..`A5` for EF 1001..1005, `1B` for EF.DH.
    pub number: u8,
    /// The file content, already cut per §8.2 (1001: 12 bytes, 1002: 9 bytes, others
    /// [`der_trim`]med).
    pub content: &'a [u8],
}

/// What [`verify_sod`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SodReport {
    /// The profile of this EF.SOD.
    pub algorithm: SodAlgorithm,
    /// LDSSecurityObject version (0 old profile, 1 new profile).
    pub lds_version: u8,
    /// The Document Signer certificate embedded in EF.SOD, DER.
    pub document_signer: Vec<u8>,
    /// DG numbers whose hashes were verified, in the order supplied.
    pub checked: Vec<u8>,
    /// True only when a CSCA certificate was supplied and it verified the Document Signer.
    pub csca_verified: bool,
}

/// Trims `data` to the first TLV's encoded length, dropping file padding (PROTOCOL.md §2.5 step
/// 3, the official `GetASN1DataLenght`). Indefinite lengths and truncated data are errors.
pub fn der_trim(data: &[u8]) -> Result<&[u8]> {
    match tlv::read(data) {
        Ok((object, _)) => Ok(object.raw()),
        Err(e) => Err(Error::malformed(format!("DER object: {e}"))),
    }
}

/// Verifies EF.SOD (PROTOCOL.md §8.3) and every data group in `groups` against it. With `csca`
/// (a DER certificate), also verifies the Document Signer certificate's signature and issuer.
///
/// Checks: outer TLV; ContentInfo of type signedData; the same digest algorithm in
/// digestAlgorithms (first entry), the SignerInfo and the LDSSecurityObject, SHA-256 with
/// sha256WithRSAEncryption (or rsaEncryption) or SHA-512 with RSASSA-PSS(SHA-512); eContentType
/// LDS security object; LDS version 0 (old) / 1 (new); contentType and messageDigest signed
/// attributes, messageDigest = H(LDSSecurityObject); the signature over the signed attributes
/// (re-tagged `31`) with the key of the embedded Document Signer certificate; every supplied
/// DG listed with an equal hash (a missing or mismatching DG is an error). DG numbers are read as
/// the one-byte INTEGER content of §8.3 (`02 01 A1`; `02 02 00 A1` is accepted too).
pub fn verify_sod(sod: &[u8], groups: &[DataGroup<'_>], csca: Option<&[u8]>) -> Result<SodReport> {
    let sod = parse_sod(sod).map_err(|e| fail(format!("EF.SOD: {e}")))?;
    let hash = |data: &[u8]| sod.algorithm.digest().hash(data);

    if sod.message_digest != hash(sod.lds_raw).as_slice() {
        return Err(fail("messageDigest does not match the LDSSecurityObject".into()));
    }

    let ds = parse_certificate(sod.ds_cert).map_err(|e| fail(format!("DS certificate: {e}")))?;
    let ds_key = rsa_key(ds.spki).map_err(|e| fail(format!("DS certificate key: {e}")))?;
    let mut signed = sod.signed_attrs_raw.to_vec();
    if let Some(first) = signed.first_mut() {
        *first = 0x31;
    }
    let sig_ok = match sod.algorithm {
        SodAlgorithm::Sha256Pkcs1 => verify_pkcs1(&ds_key, HashAlg::Sha256, &signed, sod.signature),
        SodAlgorithm::Sha512Pss => verify_pss(&ds_key, HashAlg::Sha512, sod.pss_salt, &signed, sod.signature),
    };
    if !sig_ok {
        return Err(fail("the Document Signer's signature over EF.SOD is invalid".into()));
    }

    let mut checked = Vec::with_capacity(groups.len());
    for group in groups {
        let listed = sod
            .dg_hashes
            .iter()
            .find(|(n, _)| *n == group.number)
            .map(|(_, h)| *h)
            .ok_or_else(|| fail(format!("DG {:02X} is not listed in EF.SOD", group.number)))?;
        if listed != hash(group.content).as_slice() {
            return Err(fail(format!("hash of DG {:02X} does not match EF.SOD", group.number)));
        }
        checked.push(group.number);
    }

    let csca_verified = match csca {
        None => false,
        Some(csca) => {
            verify_issued_by(&ds, csca).map_err(|e| fail(format!("CSCA check: {e}")))?;
            true
        }
    };

    Ok(SodReport {
        algorithm: sod.algorithm,
        lds_version: sod.lds_version,
        document_signer: sod.ds_cert.to_vec(),
        checked,
        csca_verified,
    })
}

fn fail(msg: String) -> Error {
    Error::PassiveAuthentication(msg)
}

// ---------------------------------------------------------------------------------------------
// OIDs (content bytes), PROTOCOL.md Appendix B.

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_LDS_SO: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

/// The hashes EF.SOD and the certificates around it may use: SHA-256, SHA-384 and SHA-512
/// (their names, OIDs and DigestInfo prefixes are [`HashAlg`]'s, the one table of the crate).
const SOD_HASHES: [HashAlg; 3] = [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

/// The hash whose digest algorithm OID has the content bytes `oid`, if EF.SOD may use it.
fn hash_of_oid(oid: &[u8]) -> Option<HashAlg> {
    SOD_HASHES.into_iter().find(|h| h.oid().as_bytes() == oid)
}

/// The hash of a `shaXWithRSAEncryption` signature algorithm OID (content bytes `oid`), if
/// EF.SOD may use it.
fn hash_of_rsa_pkcs1_oid(oid: &[u8]) -> Option<HashAlg> {
    SOD_HASHES.into_iter().find(|h| h.rsa_pkcs1_oid().as_bytes() == oid)
}

/// Checks a PKCS#1 v1.5 signature over `message` hashed with `hash` (its DigestInfo, built by
/// [`sign::digest_info_of`]).
fn verify_pkcs1(key: &RsaPublicKey, hash: HashAlg, message: &[u8], signature: &[u8]) -> bool {
    key.verify(Pkcs1v15Sign::new_unprefixed(), &sign::digest_info_of(hash, message), signature).is_ok()
}

/// Checks an RSASSA-PSS signature over `message` hashed with `hash` (MGF1 with the same hash),
/// salt of `salt` bytes.
fn verify_pss(key: &RsaPublicKey, hash: HashAlg, salt: usize, message: &[u8], signature: &[u8]) -> bool {
    let digest = hash.hash(message);
    match hash {
        HashAlg::Sha256 => key.verify(Pss::new_with_salt::<Sha256>(salt), &digest, signature),
        HashAlg::Sha384 => key.verify(Pss::new_with_salt::<Sha384>(salt), &digest, signature),
        HashAlg::Sha512 => key.verify(Pss::new_with_salt::<Sha512>(salt), &digest, signature),
        HashAlg::Sha1 | HashAlg::Sha224 => return false,
    }
    .is_ok()
}

impl SodAlgorithm {
    /// The hash of the profile's digests and signature.
    fn digest(self) -> HashAlg {
        match self {
            SodAlgorithm::Sha256Pkcs1 => HashAlg::Sha256,
            SodAlgorithm::Sha512Pss => HashAlg::Sha512,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the structure with the BER-TLV reader of [`crate::tlv`].

/// Why a structure was rejected (internal; turned into [`Error`] by the callers).
type Parse<T> = std::result::Result<T, String>;

/// One object off the front of `data` and the bytes after it.
fn read_tlv(data: &[u8]) -> Parse<(Tlv<'_>, &[u8])> {
    tlv::read(data).map_err(|e| e.to_string())
}

/// Reads a TLV with the given tag.
fn expect<'a>(data: &'a [u8], tag: u32, what: &str) -> Parse<(Tlv<'a>, &'a [u8])> {
    let (tlv, rest) = read_tlv(data).map_err(|e| format!("{what}: {e}"))?;
    if tlv.tag() != tag {
        return Err(format!("{what}: tag {:02X} instead of {tag:02X}", tlv.tag()));
    }
    Ok((tlv, rest))
}

/// All TLVs in `data`, which must consist of whole TLVs.
fn children(data: &[u8]) -> Parse<Vec<Tlv<'_>>> {
    tlv::read_all(data).map_err(|e| e.to_string())
}

/// An AlgorithmIdentifier: its OID content and raw parameters (if any).
fn algorithm_id<'a>(tlv: &Tlv<'a>) -> Parse<(&'a [u8], Option<Tlv<'a>>)> {
    let (oid, rest) = expect(tlv.value(), 0x06, "algorithm OID")?;
    let params = if rest.is_empty() { None } else { Some(read_tlv(rest)?.0) };
    Ok((oid.value(), params))
}

// ---------------------------------------------------------------------------------------------
// EF.SOD.

struct Sod<'a> {
    algorithm: SodAlgorithm,
    pss_salt: usize,
    lds_version: u8,
    lds_raw: &'a [u8],
    dg_hashes: Vec<(u8, &'a [u8])>,
    ds_cert: &'a [u8],
    signed_attrs_raw: &'a [u8],
    message_digest: &'a [u8],
    signature: &'a [u8],
}

fn parse_sod(data: &[u8]) -> Parse<Sod<'_>> {
    let (outer, _) = read_tlv(data).map_err(|e| format!("outer TLV: {e}"))?;
    let (content_info, _) = expect(outer.value(), 0x30, "ContentInfo")?;
    let (ct, rest) = expect(content_info.value(), 0x06, "contentType")?;
    if ct.value() != OID_SIGNED_DATA {
        return Err("ContentInfo is not signedData".into());
    }
    let (explicit, _) = expect(rest, 0xa0, "ContentInfo content")?;
    let (signed_data, _) = expect(explicit.value(), 0x30, "SignedData")?;

    let (_version, rest) = expect(signed_data.value(), 0x02, "SignedData version")?;
    let (digest_algs, rest) = expect(rest, 0x31, "digestAlgorithms")?;
    let first_alg = children(digest_algs.value())?.into_iter().next().ok_or("digestAlgorithms is empty")?;
    let (digest_oid, _) = algorithm_id(&first_alg)?;
    let hash = hash_of_oid(digest_oid).ok_or("unsupported digest algorithm")?;

    let (encap, mut rest) = expect(rest, 0x30, "encapContentInfo")?;
    let (econtent_type, erest) = expect(encap.value(), 0x06, "eContentType")?;
    if econtent_type.value() != OID_LDS_SO {
        return Err("eContentType is not the LDS security object".into());
    }
    let (econtent, _) = expect(erest, 0xa0, "eContent")?;
    let (lds_octets, _) = expect(econtent.value(), 0x04, "eContent OCTET STRING")?;

    // Optional certificates [0] and crls [1], then signerInfos.
    let mut ds_cert = None;
    let mut signer_infos = None;
    while !rest.is_empty() {
        let (tlv, r) = read_tlv(rest)?;
        rest = r;
        match tlv.tag() {
            0xa0 => ds_cert = Some(tlv.value()),
            0xa1 => {}
            0x31 => signer_infos = Some(tlv.value()),
            t => return Err(format!("unexpected tag {t:02X} in SignedData")),
        }
    }
    let certs = children(ds_cert.ok_or("no certificate in EF.SOD")?)?;
    let signer_infos = signer_infos.ok_or("no signerInfos")?;
    let (signer, _) = expect(signer_infos, 0x30, "SignerInfo")?;

    // SignerInfo.
    let (_version, r) = expect(signer.value(), 0x02, "SignerInfo version")?;
    let (sid, r) = read_tlv(r).map_err(|e| format!("sid: {e}"))?;
    let (signer_digest, r) = expect(r, 0x30, "SignerInfo digestAlgorithm")?;
    if algorithm_id(&signer_digest)?.0 != digest_oid {
        return Err("SignerInfo digest algorithm differs from digestAlgorithms".into());
    }
    let (signed_attrs, r) = expect(r, 0xa0, "signedAttrs")?;
    let (sig_alg, r) = expect(r, 0x30, "signatureAlgorithm")?;
    let (signature, _) = expect(r, 0x04, "signature")?;

    let (sig_oid, sig_params) = algorithm_id(&sig_alg)?;
    let sha256_rsa = sig_oid == OID_RSA || hash_of_rsa_pkcs1_oid(sig_oid) == Some(HashAlg::Sha256);
    let (algorithm, pss_salt) = match hash {
        HashAlg::Sha256 if sha256_rsa => (SodAlgorithm::Sha256Pkcs1, 0),
        HashAlg::Sha512 if sig_oid == OID_RSA_PSS => {
            let (pss_hash, salt) = pss_params(sig_params.as_ref())?;
            if pss_hash != HashAlg::Sha512 {
                return Err("RSASSA-PSS hash is not SHA-512".into());
            }
            (SodAlgorithm::Sha512Pss, salt)
        }
        _ => return Err("unsupported digest/signature algorithm combination".into()),
    };

    // Signed attributes: contentType = LDS SO, messageDigest.
    let mut content_type_ok = false;
    let mut message_digest = None;
    for attr in children(signed_attrs.value())? {
        if attr.tag() != 0x30 {
            return Err("malformed signed attribute".into());
        }
        let (oid, r) = expect(attr.value(), 0x06, "attribute type")?;
        let (values, _) = expect(r, 0x31, "attribute values")?;
        match oid.value() {
            OID_CONTENT_TYPE => {
                let (v, _) = expect(values.value(), 0x06, "contentType value")?;
                if v.value() != OID_LDS_SO || content_type_ok {
                    return Err("bad contentType attribute".into());
                }
                content_type_ok = true;
            }
            OID_MESSAGE_DIGEST => {
                let (v, _) = expect(values.value(), 0x04, "messageDigest value")?;
                if message_digest.is_some() {
                    return Err("two messageDigest attributes".into());
                }
                message_digest = Some(v.value());
            }
            _ => {}
        }
    }
    if !content_type_ok {
        return Err("no contentType signed attribute".into());
    }
    let message_digest = message_digest.ok_or("no messageDigest signed attribute")?;

    // The signer's certificate: the one matching sid, else the first one (as the official hosts).
    let ds_cert = certs
        .iter()
        .find(|c| signer_matches(&sid, c.raw()))
        .or_else(|| certs.first())
        .ok_or("no certificate in EF.SOD")?
        .raw();

    // LDSSecurityObject.
    let (lds, _) = expect(lds_octets.value(), 0x30, "LDSSecurityObject")?;
    let (version, r) = expect(lds.value(), 0x02, "LDS version")?;
    let lds_version = match version.value() {
        [v] => *v,
        _ => return Err("bad LDS version".into()),
    };
    let expected_version = match algorithm {
        SodAlgorithm::Sha256Pkcs1 => 0,
        SodAlgorithm::Sha512Pss => 1,
    };
    if lds_version != expected_version {
        return Err(format!("LDS version {lds_version} does not fit the {algorithm:?} profile"));
    }
    let (lds_alg, r) = expect(r, 0x30, "LDS hashAlgorithm")?;
    if algorithm_id(&lds_alg)?.0 != digest_oid {
        return Err("LDS hash algorithm differs from the SignedData digest".into());
    }
    let (dg_list, _) = expect(r, 0x30, "dataGroupHashValues")?;
    let mut dg_hashes: Vec<(u8, &[u8])> = Vec::new();
    for entry in children(dg_list.value())? {
        if entry.tag() != 0x30 {
            return Err("malformed DataGroupHash".into());
        }
        let (number, r) = expect(entry.value(), 0x02, "DG number")?;
        let (value, _) = expect(r, 0x04, "DG hash")?;
        let number = match number.value() {
            [n] | [0, n] => *n,
            _ => return Err("bad DG number".into()),
        };
        if dg_hashes.iter().any(|(n, _)| *n == number) {
            return Err(format!("DG {number:02X} listed twice"));
        }
        dg_hashes.push((number, value.value()));
    }

    Ok(Sod {
        algorithm,
        pss_salt,
        lds_version,
        lds_raw: lds_octets.value(),
        dg_hashes,
        ds_cert,
        signed_attrs_raw: signed_attrs.raw(),
        message_digest,
        signature: signature.value(),
    })
}

/// Whether `sid` (IssuerAndSerialNumber) names the certificate `cert`.
fn signer_matches(sid: &Tlv<'_>, cert: &[u8]) -> bool {
    let Ok(cert) = parse_certificate(cert) else {
        return false;
    };
    let Ok(parts) = children(sid.value()) else {
        return false;
    };
    sid.tag() == 0x30 && parts.len() == 2 && parts[0].raw() == cert.issuer && parts[1].raw() == cert.serial
}

/// RSASSA-PSS-params (RFC 4055): returns the hash and salt length. Absent parameters are read
/// as SHA-512 with salt 64, which is what the official host assumes (PROTOCOL.md §8.3).
fn pss_params(params: Option<&Tlv<'_>>) -> Parse<(HashAlg, usize)> {
    let params = match params {
        None => return Ok((HashAlg::Sha512, 64)),
        Some(p) if p.tag() == 0x05 => return Ok((HashAlg::Sha512, 64)),
        Some(p) if p.tag() == 0x30 => p,
        Some(_) => return Err("bad RSASSA-PSS parameters".into()),
    };
    // RFC 4055 defaults: SHA-1, MGF1-SHA-1, salt 20.
    let mut hash = None;
    let mut mgf_hash = None;
    let mut salt = 20usize;
    for field in children(params.value())? {
        match field.tag() {
            0xa0 => {
                let (alg, _) = expect(field.value(), 0x30, "PSS hash")?;
                hash = Some(hash_of_oid(algorithm_id(&alg)?.0).ok_or("unsupported PSS hash")?);
            }
            0xa1 => {
                let (alg, _) = expect(field.value(), 0x30, "PSS mask generation")?;
                let (oid, inner) = algorithm_id(&alg)?;
                if oid != OID_MGF1 {
                    return Err("PSS mask generation is not MGF1".into());
                }
                let inner = inner.ok_or("MGF1 without hash")?;
                mgf_hash = Some(hash_of_oid(algorithm_id(&inner)?.0).ok_or("unsupported MGF1 hash")?);
            }
            0xa2 => {
                let (n, _) = expect(field.value(), 0x02, "PSS salt length")?;
                salt = match n.value() {
                    [s] if *s < 0x80 => usize::from(*s),
                    [0, s] => usize::from(*s),
                    [a, b] if *a < 0x80 => usize::from(*a) << 8 | usize::from(*b),
                    _ => return Err("bad PSS salt length".into()),
                };
            }
            0xa3 => {}
            _ => return Err("bad RSASSA-PSS parameters".into()),
        }
    }
    let hash = hash.ok_or("PSS with SHA-1 is not supported")?;
    if mgf_hash != Some(hash) {
        return Err("MGF1 hash differs from the PSS hash".into());
    }
    Ok((hash, salt))
}

// ---------------------------------------------------------------------------------------------
// X.509 certificates (only what passive authentication needs).

struct Cert<'a> {
    tbs: &'a [u8],
    serial: &'a [u8],
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
    sig_alg: Tlv<'a>,
    signature: &'a [u8],
}

fn parse_certificate(data: &[u8]) -> Parse<Cert<'_>> {
    let (cert, _) = expect(data, 0x30, "Certificate")?;
    let (tbs, r) = expect(cert.value(), 0x30, "tbsCertificate")?;
    let (sig_alg, r) = expect(r, 0x30, "signatureAlgorithm")?;
    let (sig, _) = expect(r, 0x03, "signatureValue")?;
    let signature = match sig.value().split_first() {
        Some((0, bits)) => bits,
        _ => return Err("bad signature BIT STRING".into()),
    };
    let mut fields = children(tbs.value())?.into_iter();
    let mut next = fields.next().ok_or("empty tbsCertificate")?;
    if next.tag() == 0xa0 {
        next = fields.next().ok_or("truncated tbsCertificate")?;
    }
    let serial = next;
    let _sig = fields.next().ok_or("truncated tbsCertificate")?;
    let issuer = fields.next().ok_or("truncated tbsCertificate")?;
    let _validity = fields.next().ok_or("truncated tbsCertificate")?;
    let subject = fields.next().ok_or("truncated tbsCertificate")?;
    let spki = fields.next().ok_or("truncated tbsCertificate")?;
    if serial.tag() != 0x02 || issuer.tag() != 0x30 || subject.tag() != 0x30 || spki.tag() != 0x30 {
        return Err("malformed tbsCertificate".into());
    }
    Ok(Cert {
        tbs: tbs.raw(),
        serial: serial.raw(),
        issuer: issuer.raw(),
        subject: subject.raw(),
        spki: spki.raw(),
        sig_alg,
        signature,
    })
}

/// The RSA public key of a SubjectPublicKeyInfo (rsaEncryption or id-RSASSA-PSS), 1024 to 4096
/// bits.
fn rsa_key(spki: &[u8]) -> Parse<RsaPublicKey> {
    let (spki, _) = expect(spki, 0x30, "SubjectPublicKeyInfo")?;
    let (alg, r) = expect(spki.value(), 0x30, "key algorithm")?;
    let (oid, _) = algorithm_id(&alg)?;
    if oid != OID_RSA && oid != OID_RSA_PSS {
        return Err("not an RSA key".into());
    }
    let (bits, _) = expect(r, 0x03, "subjectPublicKey")?;
    let key = match bits.value().split_first() {
        Some((0, key)) => key,
        _ => return Err("bad subjectPublicKey BIT STRING".into()),
    };
    let key = RsaPublicKey::from_pkcs1_der(key).map_err(|_| "bad RSA public key".to_string())?;
    if !(128..=512).contains(&key.size()) {
        return Err("RSA key size out of range".into());
    }
    Ok(key)
}

/// Checks that `csca` issued `ds`: issuer name equal to the CSCA subject, signature valid with the
/// CSCA key (sha256/384/512WithRSAEncryption or RSASSA-PSS).
fn verify_issued_by(ds: &Cert<'_>, csca: &[u8]) -> Parse<()> {
    let csca = parse_certificate(csca).map_err(|e| format!("CSCA certificate: {e}"))?;
    if ds.issuer != csca.subject {
        return Err("the Document Signer was not issued by this CSCA (issuer name differs)".into());
    }
    let key = rsa_key(csca.spki)?;
    let (oid, params) = algorithm_id(&ds.sig_alg)?;
    let ok = if let Some(hash) = hash_of_rsa_pkcs1_oid(oid) {
        verify_pkcs1(&key, hash, ds.tbs, ds.signature)
    } else if oid == OID_RSA_PSS {
        let (hash, salt) = pss_params(params.as_ref())?;
        verify_pss(&key, hash, salt, ds.tbs, ds.signature)
    } else {
        return Err("unsupported certificate signature algorithm".into());
    };
    if !ok {
        return Err("the CSCA signature on the Document Signer certificate is invalid".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_trim_cuts_padding_and_rejects_bad_lengths() {
        assert_eq!(der_trim(&[0x30, 0x02, 1, 2, 0, 0, 0]).unwrap(), [0x30, 0x02, 1, 2]);
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.extend([7u8; 0x100]);
        long.extend([0xff; 5]);
        assert_eq!(der_trim(&long).unwrap().len(), 0x104);
        assert_eq!(der_trim(&[0x7f, 0x21, 0x01, 9, 9]).unwrap(), [0x7f, 0x21, 0x01, 9]);
        assert!(der_trim(&[]).is_err());
        assert!(der_trim(&[0x30]).is_err());
        assert!(der_trim(&[0x30, 0x03, 1, 2]).is_err());
        assert!(der_trim(&[0x30, 0x80, 0, 0]).is_err());
        assert!(der_trim(&[0x30, 0x82, 0x01]).is_err());
        assert!(der_trim(&[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1]).is_err());
        assert!(der_trim(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(der_trim(&[0x1f, 0x81, 0x81, 0x81, 0x01, 0x00]).is_err());
    }

    #[test]
    fn hashes_by_oid_bytes() {
        // Content bytes written out from PROTOCOL.md Appendix B and RFC 4055 §2.1.
        let sha256 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
        let sha384 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
        let sha512 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
        let sha1 = [0x2b, 0x0e, 0x03, 0x02, 0x1a];
        assert_eq!(hash_of_oid(&sha256), Some(HashAlg::Sha256));
        assert_eq!(hash_of_oid(&sha384), Some(HashAlg::Sha384));
        assert_eq!(hash_of_oid(&sha512), Some(HashAlg::Sha512));
        assert_eq!(hash_of_oid(&sha1), None, "SHA-1 is not an EF.SOD hash");
        let rsa = |last: u8| [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, last];
        assert_eq!(hash_of_rsa_pkcs1_oid(&rsa(0x0b)), Some(HashAlg::Sha256));
        assert_eq!(hash_of_rsa_pkcs1_oid(&rsa(0x0c)), Some(HashAlg::Sha384));
        assert_eq!(hash_of_rsa_pkcs1_oid(&rsa(0x0d)), Some(HashAlg::Sha512));
        assert_eq!(hash_of_rsa_pkcs1_oid(&rsa(0x05)), None, "sha1WithRSAEncryption");
        assert_eq!(hash_of_rsa_pkcs1_oid(OID_RSA_PSS), None);
        assert_eq!(hash_of_rsa_pkcs1_oid(&sha256), None);
    }

    #[test]
    fn pss_params_defaults_and_rejections() {
        assert_eq!(pss_params(None).unwrap(), (HashAlg::Sha512, 64));
        // SHA-1 defaults are refused.
        let empty = read_tlv(&[0x30, 0x00]).unwrap().0;
        assert!(pss_params(Some(&empty)).is_err());
    }
}
