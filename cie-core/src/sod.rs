//! Passive authentication: verification of EF.SOD against the data groups read from the card
//! and of its Document Signer against the CSCA trust anchors (PROTOCOL.md §8.2-§8.3.2).
//!
//! EF.SOD is one outer TLV (ICAO style `77`; the tag is not checked, as in the official hosts)
//! around a CMS ContentInfo/SignedData whose eContent is an ICAO LDSSecurityObject; the file
//! may be zero-padded after it (real cards pad it to 3,072 bytes). Real cards come in two
//! profiles (§8.3): the old one (SHA-256 data-group hashes, sha1WithRSAEncryption signature,
//! LDS version 0, the Document Signer certificate itself signed sha1WithRSA) and the new one
//! (SHA-512 hashes, RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt, LDS version 1
//! with `ldsVersionInfo`, the data groups in another order). Any ICAO combination of SHA-256,
//! SHA-384 or SHA-512 with PKCS#1 v1.5 or RSASSA-PSS is accepted; SHA-1 only where real cards
//! use it: the signature of an old-profile EF.SOD and of its Document Signer certificate.
//! Data groups are matched by number, whatever their order. The structure is walked with the
//! BER-TLV reader of [`crate::tlv`] on the raw bytes (the signature covers the signed
//! attributes exactly as encoded on the card) and never panics, whatever the input.

use std::fmt;

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Sha256, Sha384, Sha512};

use crate::csca::{Csca, CscaSet};
use crate::error::{Error, Result};
use crate::sign::{self, HashAlg};
use crate::tlv::{self, Tlv};

/// A signature algorithm of EF.SOD or of a certificate (PROTOCOL.md §8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5 with this hash (`sha1WithRSAEncryption`, `sha256WithRSAEncryption`...).
    Pkcs1(HashAlg),
    /// RSASSA-PSS with this hash (and MGF1 with the same hash) and salt length in bytes.
    Pss {
        /// The hash of the message and of MGF1.
        hash: HashAlg,
        /// The salt length in bytes.
        salt: usize,
    },
}

impl fmt::Display for SignatureAlgorithm {
    /// `sha1WithRSAEncryption`, `RSASSA-PSS (SHA-512, MGF1-SHA-512, salt 64)`...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureAlgorithm::Pkcs1(h) => write!(f, "{}WithRSAEncryption", h.name()),
            SignatureAlgorithm::Pss { hash, salt } => {
                let h = hash_label(*hash);
                write!(f, "RSASSA-PSS ({h}, MGF1-{h}, salt {salt})")
            }
        }
    }
}

/// `SHA-256` for [`HashAlg::Sha256`]...
pub fn hash_label(hash: HashAlg) -> String {
    hash.name().to_ascii_uppercase().replacen("SHA", "SHA-", 1)
}

/// The `ldsVersionInfo` of an LDS version 1 security object (ICAO 9303 part 10): both
/// PrintableStrings, as on the card (e.g. `0108` and `040000`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdsVersionInfo {
    /// `ldsVersion` (`aabb`: LDS version aa.bb).
    pub lds_version: String,
    /// `unicodeVersion` (`aabbcc`).
    pub unicode_version: String,
}

/// One data group to check against EF.SOD (PROTOCOL.md §8.2).
#[derive(Clone, Copy, Debug)]
pub struct DataGroup<'a> {
    /// DG number as listed in EF.SOD: `A1`..`A5` for EF 1001..1005, `1B` for EF.DH; 1..16 for
    /// the ICAO data groups of the travel-document application.
    pub number: u8,
    /// The file content, already cut per §8.2 (1001: 12 bytes, 1002: 9 bytes, others
    /// [`der_trim`]med; see [`group_content`]).
    pub content: &'a [u8],
}

/// Whether and how the Document Signer chains to a trust anchor (PROTOCOL.md §8.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chain {
    /// No trust anchor was given: nothing says who signed EF.SOD.
    NotChecked,
    /// A CSCA of the set issued the Document Signer certificate.
    Trusted {
        /// The CSCA whose key verified the Document Signer certificate.
        anchor: Csca,
        /// The algorithm of that certificate's signature.
        signature: SignatureAlgorithm,
    },
    /// No CSCA of the set issued the Document Signer certificate: EF.SOD is intact but NOT
    /// trusted (a card made by anyone with a key of their own looks like this).
    Untrusted(String),
}

/// What [`verify_sod`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SodReport {
    /// The hash of the data groups and of the messageDigest attribute.
    pub digest: HashAlg,
    /// The Document Signer's signature algorithm over EF.SOD.
    pub signature: SignatureAlgorithm,
    /// LDSSecurityObject version (0 old profile, 1 new profile).
    pub lds_version: u8,
    /// `ldsVersionInfo` (present exactly when the LDS version is 1).
    pub lds_version_info: Option<LdsVersionInfo>,
    /// The DG numbers listed in EF.SOD, in its order.
    pub listed: Vec<u8>,
    /// The Document Signer certificate embedded in EF.SOD, DER.
    pub document_signer: Vec<u8>,
    /// DG numbers whose hashes were verified, in the order supplied.
    pub checked: Vec<u8>,
    /// Whether a CSCA of the trust set vouches for the Document Signer.
    pub chain: Chain,
    /// Whether the chip proved it holds the key-`83` private key whose public half (EF 1005,
    /// DG `A5`) EF.SOD vouches for: set by [`Session::verify_sod`](crate::session::Session::verify_sod)
    /// after a fresh challenge (anti-clone check, PROTOCOL.md §8.3.3); always false for files
    /// checked offline, where no chip answers.
    pub chip_authenticated: bool,
}

impl SodReport {
    /// True only when a CSCA of the trust set vouches for the Document Signer.
    pub fn trusted(&self) -> bool {
        matches!(self.chain, Chain::Trusted { .. })
    }
}

/// Trims `data` to the first TLV's encoded length, dropping file padding (PROTOCOL.md §2.5 step
/// 3, the official `GetASN1DataLenght`). Indefinite lengths and truncated data are errors.
pub fn der_trim(data: &[u8]) -> Result<&[u8]> {
    match tlv::read(data) {
        Ok((object, _)) => Ok(object.raw()),
        Err(e) => Err(Error::malformed(format!("DER object: {e}"))),
    }
}

/// The part of a file that EF.SOD hashes for data group `number` (PROTOCOL.md §8.2): the first
/// 12 bytes of EF 1001 (`A1`), the first 9 of EF 1002 (`A2`), the DER object at the start of
/// any other file (padding after it dropped).
pub fn group_content(number: u8, file: &[u8]) -> Result<&[u8]> {
    let cut =
        |n: usize| file.get(..n).ok_or_else(|| Error::malformed(format!("DG {number:02X}: shorter than {n} bytes")));
    match number {
        0xA1 => cut(12),
        0xA2 => cut(9),
        _ => der_trim(file),
    }
}

/// Verifies EF.SOD (PROTOCOL.md §8.3) and every data group in `groups` against it, and the
/// Document Signer certificate against `trust` (§8.3.2; an empty set checks no chain).
///
/// Checks: outer TLV (padding after it ignored); ContentInfo of type signedData; the same
/// digest algorithm (SHA-256, SHA-384 or SHA-512) in digestAlgorithms (first entry), the
/// SignerInfo and the LDSSecurityObject; eContentType LDS security object; LDS version 0
/// without / 1 with `ldsVersionInfo`; contentType and messageDigest signed attributes,
/// messageDigest = H(LDSSecurityObject); the signature over the signed attributes (re-tagged
/// `31`) with the key of the embedded Document Signer certificate, sha1WithRSAEncryption only
/// in the old profile (SHA-256 digests, LDS version 0); every supplied DG listed with an equal
/// hash (a missing or mismatching DG is an error). DG numbers are read as the one-byte INTEGER
/// content of §8.3 (`02 01 A1`; `02 02 00 A1` is accepted too). A Document Signer that no CSCA
/// of a non-empty `trust` issued is [`Chain::Untrusted`], not an error: the caller decides.
pub fn verify_sod(sod: &[u8], groups: &[DataGroup<'_>], trust: &CscaSet) -> Result<SodReport> {
    let sod = parse_sod(sod).map_err(|e| fail(format!("EF.SOD: {e}")))?;
    let hash = |data: &[u8]| sod.digest.hash(data);

    if sod.message_digest != hash(sod.lds_raw).as_slice() {
        return Err(fail("messageDigest does not match the LDSSecurityObject".into()));
    }

    let ds = parse_certificate(sod.ds_cert).map_err(|e| fail(format!("DS certificate: {e}")))?;
    let ds_key = rsa_key(ds.spki).map_err(|e| fail(format!("DS certificate key: {e}")))?;
    let mut signed = sod.signed_attrs_raw.to_vec();
    if let Some(first) = signed.first_mut() {
        *first = 0x31;
    }
    if !verify_signature(&ds_key, sod.signature_alg, &signed, sod.signature) {
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

    let mut report = SodReport {
        digest: sod.digest,
        signature: sod.signature_alg,
        lds_version: sod.lds_version,
        lds_version_info: sod.lds_version_info,
        listed: sod.dg_hashes.iter().map(|(n, _)| *n).collect(),
        document_signer: sod.ds_cert.to_vec(),
        checked,
        chain: Chain::NotChecked,
        chip_authenticated: false,
    };
    report.chain = chain_of(&report, trust)?;
    Ok(report)
}

/// The chain of `report`'s Document Signer certificate to a CSCA of `trust` (PROTOCOL.md
/// §8.3.2), as [`verify_sod`] computes it: [`Chain::NotChecked`] for an empty set; SHA-1 in
/// the certificate's signature only when EF.SOD itself is of the old profile (signed
/// sha1WithRSA). For a report checked with no trust anchor, e.g. by the card agent, which
/// checks the card while its client decides whom it trusts (DESIGN.md §8).
pub fn chain_of(report: &SodReport, trust: &CscaSet) -> Result<Chain> {
    if trust.is_empty() {
        return Ok(Chain::NotChecked);
    }
    let ds = parse_certificate(&report.document_signer).map_err(|e| fail(format!("DS certificate: {e}")))?;
    // SHA-1 in the DS certificate only where real cards have it: the old profile.
    let sha1_allowed = report.signature == SignatureAlgorithm::Pkcs1(HashAlg::Sha1);
    chain_to(&ds, trust, sha1_allowed).map_err(|e| fail(format!("DS certificate: {e}")))
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

/// The signature algorithm of an AlgorithmIdentifier (its OID content `oid` and parameters);
/// `rsaEncryption` means PKCS#1 v1.5 with `digest`. SHA-1 is returned as such: the callers
/// accept it only in the old profile.
fn signature_algorithm(oid: &[u8], params: Option<&Tlv<'_>>, digest: HashAlg) -> Parse<SignatureAlgorithm> {
    if oid == OID_RSA {
        return Ok(SignatureAlgorithm::Pkcs1(digest));
    }
    if oid == OID_RSA_PSS {
        let (hash, salt) = pss_params(params)?;
        return Ok(SignatureAlgorithm::Pss { hash, salt });
    }
    if oid == HashAlg::Sha1.rsa_pkcs1_oid().as_bytes() {
        return Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha1));
    }
    SOD_HASHES
        .into_iter()
        .find(|h| h.rsa_pkcs1_oid().as_bytes() == oid)
        .map(SignatureAlgorithm::Pkcs1)
        .ok_or_else(|| "unsupported signature algorithm".to_string())
}

/// Checks a signature over `message` made with `alg`.
fn verify_signature(key: &RsaPublicKey, alg: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> bool {
    match alg {
        SignatureAlgorithm::Pkcs1(hash) => verify_pkcs1(key, hash, message, signature),
        SignatureAlgorithm::Pss { hash, salt } => verify_pss(key, hash, salt, message, signature),
    }
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
        HashAlg::Sha1 | HashAlg::Sha224 | HashAlg::Sha3_256 | HashAlg::Sha3_384 | HashAlg::Sha3_512 => return false,
    }
    .is_ok()
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
    digest: HashAlg,
    signature_alg: SignatureAlgorithm,
    lds_version: u8,
    lds_version_info: Option<LdsVersionInfo>,
    lds_raw: &'a [u8],
    dg_hashes: Vec<(u8, &'a [u8])>,
    ds_cert: &'a [u8],
    signed_attrs_raw: &'a [u8],
    message_digest: &'a [u8],
    signature: &'a [u8],
}

/// The parts of SignedData that [`parse_sod`] uses.
struct SignedParts<'a> {
    digest_oid: &'a [u8],
    digest: HashAlg,
    lds_octets: &'a [u8],
    certs: Vec<Tlv<'a>>,
    signer: Tlv<'a>,
}

fn parse_sod(data: &[u8]) -> Parse<Sod<'_>> {
    let parts = signed_data(data)?;
    let digest_oid = parts.digest_oid;

    // SignerInfo.
    let (_version, r) = expect(parts.signer.value(), 0x02, "SignerInfo version")?;
    let (sid, r) = read_tlv(r).map_err(|e| format!("sid: {e}"))?;
    let (signer_digest, r) = expect(r, 0x30, "SignerInfo digestAlgorithm")?;
    if algorithm_id(&signer_digest)?.0 != digest_oid {
        return Err("SignerInfo digest algorithm differs from digestAlgorithms".into());
    }
    let (signed_attrs, r) = expect(r, 0xa0, "signedAttrs")?;
    let (sig_alg, r) = expect(r, 0x30, "signatureAlgorithm")?;
    let (signature, _) = expect(r, 0x04, "signature")?;
    let (sig_oid, sig_params) = algorithm_id(&sig_alg)?;
    let signature_alg = signature_algorithm(sig_oid, sig_params.as_ref(), parts.digest)?;

    let message_digest = signed_attributes(signed_attrs.value())?;

    // The signer's certificate: the one matching sid, else the first one (as the official hosts).
    let ds_cert = parts
        .certs
        .iter()
        .find(|c| signer_matches(&sid, c.raw()))
        .or_else(|| parts.certs.first())
        .ok_or("no certificate in EF.SOD")?
        .raw();

    let lds = lds_security_object(parts.lds_octets, digest_oid)?;
    // SHA-1 only as real cards of the old profile use it (PROTOCOL.md §8.3).
    if signature_alg == SignatureAlgorithm::Pkcs1(HashAlg::Sha1)
        && (parts.digest != HashAlg::Sha256 || lds.version != 0)
    {
        return Err("sha1WithRSAEncryption outside the old profile (SHA-256, LDS version 0)".into());
    }

    Ok(Sod {
        digest: parts.digest,
        signature_alg,
        lds_version: lds.version,
        lds_version_info: lds.version_info,
        lds_raw: parts.lds_octets,
        dg_hashes: lds.dg_hashes,
        ds_cert,
        signed_attrs_raw: signed_attrs.raw(),
        message_digest,
        signature: signature.value(),
    })
}

/// The outer TLV, ContentInfo and SignedData down to the SignerInfo.
fn signed_data(data: &[u8]) -> Parse<SignedParts<'_>> {
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
    let digest = hash_of_oid(digest_oid).ok_or("unsupported digest algorithm")?;

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
    Ok(SignedParts { digest_oid, digest, lds_octets: lds_octets.value(), certs, signer })
}

/// The signed attributes: contentType must be the LDS security object; returns messageDigest.
fn signed_attributes(attrs: &[u8]) -> Parse<&[u8]> {
    let mut content_type_ok = false;
    let mut message_digest = None;
    for attr in children(attrs)? {
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
    Ok(message_digest.ok_or("no messageDigest signed attribute")?)
}

/// An LDSSecurityObject as parsed.
struct Lds<'a> {
    version: u8,
    version_info: Option<LdsVersionInfo>,
    dg_hashes: Vec<(u8, &'a [u8])>,
}

/// LDSSecurityObject (ICAO 9303 part 10): version 0 (no `ldsVersionInfo`) or 1 (with it), the
/// hash algorithm (the SignedData digest, OID content `digest_oid`), the data-group hashes.
fn lds_security_object<'a>(octets: &'a [u8], digest_oid: &[u8]) -> Parse<Lds<'a>> {
    let (lds, _) = expect(octets, 0x30, "LDSSecurityObject")?;
    let (version, r) = expect(lds.value(), 0x02, "LDS version")?;
    let version = match version.value() {
        [v @ (0 | 1)] => *v,
        _ => return Err("LDS version is neither 0 nor 1".into()),
    };
    let (lds_alg, r) = expect(r, 0x30, "LDS hashAlgorithm")?;
    if algorithm_id(&lds_alg)?.0 != digest_oid {
        return Err("LDS hash algorithm differs from the SignedData digest".into());
    }
    let (dg_list, r) = expect(r, 0x30, "dataGroupHashValues")?;
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
    let version_info = match (version, r.is_empty()) {
        (0, true) => None,
        (1, false) => {
            let (info, rest) = expect(r, 0x30, "ldsVersionInfo")?;
            if !rest.is_empty() {
                return Err("data after ldsVersionInfo".into());
            }
            Some(lds_version_info(info.value())?)
        }
        (0, false) => return Err("LDS version 0 with data after the hashes".into()),
        _ => return Err("LDS version 1 without ldsVersionInfo".into()),
    };
    Ok(Lds { version, version_info, dg_hashes })
}

/// LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }.
fn lds_version_info(data: &[u8]) -> Parse<LdsVersionInfo> {
    let printable = |t: &Tlv<'_>| -> Parse<String> {
        let ok =
            t.value().len() <= 16 && t.value().iter().all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(b));
        if !ok {
            return Err("ldsVersionInfo: not a short PrintableString".into());
        }
        Ok(String::from_utf8_lossy(t.value()).into_owned())
    };
    let (lds, r) = expect(data, 0x13, "ldsVersion")?;
    let (unicode, r) = expect(r, 0x13, "unicodeVersion")?;
    if !r.is_empty() {
        return Err("data after unicodeVersion".into());
    }
    Ok(LdsVersionInfo { lds_version: printable(&lds)?, unicode_version: printable(&unicode)? })
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

/// The CSCA of `trust` that issued `ds`: its subject equals the issuer name and its key
/// verifies the signature (PKCS#1 v1.5 with SHA-256/384/512, SHA-1 only when `sha1_allowed`,
/// or RSASSA-PSS). A certificate with an unsupported or SHA-1 signature where SHA-1 is not
/// allowed is an error; a signature that no CSCA verifies is [`Chain::Untrusted`].
fn chain_to(ds: &Cert<'_>, trust: &CscaSet, sha1_allowed: bool) -> Parse<Chain> {
    let (oid, params) = algorithm_id(&ds.sig_alg)?;
    // rsaEncryption is no certificate signature algorithm: SHA-256 here is never used.
    if oid == OID_RSA {
        return Err("unsupported certificate signature algorithm".into());
    }
    let alg = signature_algorithm(oid, params.as_ref(), HashAlg::Sha256)?;
    if alg == SignatureAlgorithm::Pkcs1(HashAlg::Sha1) && !sha1_allowed {
        return Err("sha1WithRSAEncryption outside the old profile".into());
    }
    let mut named = 0;
    for csca in trust.iter() {
        let Ok(cert) = parse_certificate(csca.der()) else { continue };
        if cert.subject != ds.issuer {
            continue;
        }
        named += 1;
        let Ok(key) = rsa_key(cert.spki) else { continue };
        if verify_signature(&key, alg, ds.tbs, ds.signature) {
            return Ok(Chain::Trusted { anchor: csca.clone(), signature: alg });
        }
    }
    Ok(Chain::Untrusted(if named == 0 {
        "no CSCA of the trust set has the Document Signer's issuer name".into()
    } else {
        format!("{named} CSCA certificate(s) have the issuer's name, but none verifies the Document Signer's signature")
    }))
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
        let alg = |oid: &[u8]| signature_algorithm(oid, None, HashAlg::Sha512);
        assert_eq!(alg(&rsa(0x0b)), Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha256)));
        assert_eq!(alg(&rsa(0x0c)), Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha384)));
        assert_eq!(alg(&rsa(0x0d)), Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha512)));
        // sha1WithRSAEncryption is recognised; the callers refuse it outside the old profile.
        assert_eq!(alg(&rsa(0x05)), Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha1)));
        // rsaEncryption: PKCS#1 v1.5 with the SignedData digest.
        assert_eq!(alg(&rsa(0x01)), Ok(SignatureAlgorithm::Pkcs1(HashAlg::Sha512)));
        assert_eq!(alg(&rsa(0x0a)), Ok(SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 }));
        assert!(alg(&rsa(0x0e)).is_err(), "sha224WithRSAEncryption");
        assert!(alg(&rsa(0x04)).is_err(), "md5WithRSAEncryption");
        assert!(alg(&sha256).is_err());
    }

    #[test]
    fn names_of_the_algorithms() {
        assert_eq!(SignatureAlgorithm::Pkcs1(HashAlg::Sha1).to_string(), "sha1WithRSAEncryption");
        assert_eq!(
            SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 }.to_string(),
            "RSASSA-PSS (SHA-512, MGF1-SHA-512, salt 64)"
        );
        assert_eq!(hash_label(HashAlg::Sha256), "SHA-256");
    }

    #[test]
    fn group_content_cuts_as_the_host_reads() {
        let nis = b"123456789012XYZ";
        assert_eq!(group_content(0xA1, nis).unwrap(), b"123456789012");
        assert_eq!(group_content(0xA2, b"CA00000AA\0\0").unwrap(), b"CA00000AA");
        assert!(group_content(0xA1, b"12345").is_err());
        assert_eq!(group_content(0xA5, &[0x30, 0x01, 0x05, 0, 0]).unwrap(), [0x30, 0x01, 0x05]);
        assert!(group_content(0x01, &[0x61, 0x05, 0]).is_err());
    }

    /// LDSSecurityObject bytes written out by hand (ICAO 9303 part 10): version, SHA-256
    /// AlgorithmIdentifier, one DataGroupHash of DG A1 with a 32-byte hash, then `tail`.
    fn lds(version: u8, tail: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, 0x01, version];
        body.extend([0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
        body.extend([0x30, 0x27, 0x30, 0x25, 0x02, 0x01, 0xa1, 0x04, 0x20]);
        body.extend([0x5a; 32]);
        body.extend(tail);
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    const SHA256_OID: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// ldsVersionInfo { "0108", "040000" } as real new-profile cards have it.
    const VERSION_INFO: [u8; 16] =
        [0x30, 0x0e, 0x13, 0x04, b'0', b'1', b'0', b'8', 0x13, 0x06, b'0', b'4', b'0', b'0', b'0', b'0'];

    #[test]
    fn lds_versions_and_version_info() {
        let (bytes0, bytes1) = (lds(0, &[]), lds(1, &VERSION_INFO));
        let v0 = lds_security_object(&bytes0, &SHA256_OID).unwrap();
        assert_eq!((v0.version, v0.version_info, v0.dg_hashes.len()), (0, None, 1));
        let v1 = lds_security_object(&bytes1, &SHA256_OID).unwrap();
        let info = v1.version_info.unwrap();
        assert_eq!((info.lds_version.as_str(), info.unicode_version.as_str()), ("0108", "040000"));
        assert_eq!(v1.dg_hashes[0].0, 0xa1);
        // Version 1 needs ldsVersionInfo, version 0 must not have it, other versions are refused.
        assert!(lds_security_object(&lds(1, &[]), &SHA256_OID).is_err());
        assert!(lds_security_object(&lds(0, &VERSION_INFO), &SHA256_OID).is_err());
        assert!(lds_security_object(&lds(2, &[]), &SHA256_OID).is_err());
        // A UTF8String (0C) instead of a PrintableString; a control byte in the string.
        let mut utf8 = VERSION_INFO;
        utf8[2] = 0x0c;
        assert!(lds_security_object(&lds(1, &utf8), &SHA256_OID).is_err());
        let mut control = VERSION_INFO;
        control[5] = 0x1b;
        assert!(lds_security_object(&lds(1, &control), &SHA256_OID).is_err());
        // Another hash than the SignedData's.
        let sha512 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
        assert!(lds_security_object(&lds(0, &[]), &sha512).is_err());
    }

    #[test]
    fn pss_params_defaults_and_rejections() {
        assert_eq!(pss_params(None).unwrap(), (HashAlg::Sha512, 64));
        // SHA-1 defaults are refused.
        let empty = read_tlv(&[0x30, 0x00]).unwrap().0;
        assert!(pss_params(Some(&empty)).is_err());
    }
}
