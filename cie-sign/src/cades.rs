//! CAdES-BES / baseline B-B signatures (ETSI EN 319 122-1 §5.2, §6.3): CMS SignedData
//! (RFC 5652 §5) with the signer's certificate and the signed attributes of ETSI EN 319 122-1
//! §5.2 (content-type, message-digest, signing-time, signing-certificate-v2).
//!
//! - [`sign_enveloping`]: the `.p7m` with the content inside, streamed: the content is read twice
//!   (once to hash it, once to copy it into the output) and never held in memory.
//! - [`sign_detached`]: the signature alone; the content stays in its own file.
//! - [`cosign`]: adds a SignerInfo to an existing signature, leaving the others untouched.
//! - [`extract`]: the content of an enveloping `.p7m`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::SystemTime;

use cie_core::sign::HashAlg;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Header, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::ber::Encoding;
use crate::digest::{self, CHUNK};
use crate::envelope::header;
use crate::ess::{self, OID_DATA};
use crate::progress::{Progress, ProgressReader};
use crate::{Error, Result, Signer};

/// id-signedData (RFC 5652 §5.1), named where the other CMS identifiers are.
pub use crate::ess::OID_SIGNED_DATA;
/// rsaEncryption (RFC 3370 §3.2): the SignerInfo's signature algorithm.
pub const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// How to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignOptions {
    /// The digest algorithm (SHA-256 by default).
    pub hash: HashAlg,
    /// The claimed signing time (now by default).
    pub signing_time: Option<SystemTime>,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions { hash: HashAlg::Sha256, signing_time: None }
    }
}

impl SignOptions {
    /// The signing time as CMS encodes it: UTCTime up to 2049, GeneralizedTime after
    /// (RFC 5652 §11.3).
    pub fn time(&self) -> Result<Time> {
        let t = der::DateTime::from_system_time(self.signing_time.unwrap_or_else(SystemTime::now))?;
        Ok(if t.year() < 2050 {
            Time::UtcTime(UtcTime::from_date_time(t)?)
        } else {
            Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(t))
        })
    }
}

/// A certificate parsed from DER.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der).map_err(|e| Error::Certificate(e.to_string()))
}

/// A SignerInfo over content of type id-data whose digest is `digest`, signed by `signer`;
/// returns it with the signer's certificate.
pub(crate) fn new_signer_info(
    signer: &mut dyn Signer,
    alg: HashAlg,
    digest: &[u8],
    signing_time: Option<Time>,
) -> Result<(SignerInfo, Certificate)> {
    if digest.len() != alg.digest_len() {
        return Err(Error::Unsupported(format!("a {} digest has {} bytes", alg.name(), alg.digest_len())));
    }
    let cert_der = signer.certificate()?;
    let cert = parse_certificate(&cert_der)?;
    let attrs = ess::signed_attributes(alg, digest, signing_time, &cert_der, &cert)?;
    // The signature covers the DER of the attributes with the SET OF tag (RFC 5652 §5.4).
    let signature = signer.sign_digest(alg, &alg.hash(&attrs.to_der()?))?;
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest::algorithm_identifier(alg),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned { oid: OID_RSA_ENCRYPTION, parameters: Some(Any::null()) },
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    Ok((info, cert))
}

/// SignedData version 1 over id-data (RFC 5652 §5.1) from its parts.
fn signed_data(
    algs: Vec<AlgorithmIdentifierOwned>,
    econtent: Option<Any>,
    certs: Vec<Certificate>,
    infos: Vec<SignerInfo>,
) -> Result<SignedData> {
    let mut unique_algs: Vec<AlgorithmIdentifierOwned> = Vec::new();
    for a in algs {
        if !unique_algs.iter().any(|u| u.oid == a.oid) {
            unique_algs.push(a);
        }
    }
    let mut unique_certs: Vec<CertificateChoices> = Vec::new();
    for c in certs {
        let c = CertificateChoices::Certificate(c);
        if !unique_certs.contains(&c) {
            unique_certs.push(c);
        }
    }
    Ok(SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(unique_algs)?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: OID_DATA, econtent },
        certificates: Some(CertificateSet(SetOfVec::try_from(unique_certs)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(infos)?),
    })
}

/// ContentInfo wrapping `sd`, DER.
fn content_info_der(sd: &SignedData) -> Result<Vec<u8>> {
    Ok(ContentInfo { content_type: OID_SIGNED_DATA, content: Any::encode_from(sd)? }.to_der()?)
}

/// A detached CAdES signature over the content whose `alg` digest is `digest` (what PAdES
/// embeds, and what [`sign_detached`] writes), DER.
pub fn sign_digest_detached(
    signer: &mut dyn Signer,
    alg: HashAlg,
    digest: &[u8],
    signing_time: Option<Time>,
) -> Result<Vec<u8>> {
    let (info, cert) = new_signer_info(signer, alg, digest, signing_time)?;
    content_info_der(&signed_data(vec![digest::algorithm_identifier(alg)], None, vec![cert], vec![info])?)
}

/// A detached CAdES-BES signature of everything `content` yields, DER (`.p7s`). The bytes
/// hashed are reported to `progress` (no total: `content` may be a pipe).
pub fn sign_detached(
    signer: &mut dyn Signer,
    options: &SignOptions,
    content: &mut dyn Read,
    progress: &mut dyn Progress,
) -> Result<Vec<u8>> {
    let (d, _) = digest::hash_reader(options.hash, &mut ProgressReader::new(content, progress))?;
    sign_digest_detached(signer, options.hash, &d, Some(options.time()?))
}

const EXPLICIT_0: Tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };

/// Writes an enveloping CAdES-BES `.p7m` of `content` to `out`, streaming: `content` is read
/// once to hash it, the card signs, then `content` is read again and copied into the output.
/// Memory stays bounded whatever the size. Both reads are reported to `progress`: the total
/// is twice the content's length.
/// Returns the content's length. Fails if `content` changes between the two reads.
pub fn sign_enveloping<R: Read + Seek>(
    signer: &mut dyn Signer,
    options: &SignOptions,
    content: &mut R,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<u64> {
    let start = content.stream_position()?;
    let end = content.seek(SeekFrom::End(0))?;
    content.seek(SeekFrom::Start(start))?;
    progress.total(end.saturating_sub(start).saturating_mul(2));
    let (d, n) = digest::hash_reader(options.hash, &mut ProgressReader::new(content, progress))?;
    if n != end.saturating_sub(start) {
        progress.total(n.saturating_mul(2));
    }
    let (info, cert) = new_signer_info(signer, options.hash, &d, Some(options.time()?))?;
    let sd = signed_data(vec![digest::algorithm_identifier(options.hash)], None, vec![cert], vec![info])?;

    // Encode SignedData without the content, then splice a streamed eContent into its
    // encapContentInfo: the fields before it and after it are written as encoded.
    let sd_der = sd.to_der()?;
    let mut reader = SliceReader::new(&sd_der)?;
    let sd_header = Header::decode(&mut reader)?;
    let body_start = usize::try_from(reader.position())?;
    let body = &sd_der[body_start..body_start + usize::try_from(sd_header.length)?];
    let mut fields = SliceReader::new(body)?;
    let mut before = Vec::new();
    for _ in 0..2 {
        before.extend_from_slice(fields.tlv_bytes()?); // version, digestAlgorithms
    }
    let _detached_encap = fields.tlv_bytes()?;
    let after = &body[usize::try_from(fields.position())?..];

    let oid_tlv = OID_DATA.to_der()?;
    let octets_header = header(Tag::OctetString, n);
    let explicit_len = octets_header.len() as u64 + n;
    let explicit_header = header(EXPLICIT_0, explicit_len);
    let encap_len = oid_tlv.len() as u64 + explicit_header.len() as u64 + explicit_len;
    let encap_header = header(Tag::Sequence, encap_len);
    let sd_len = before.len() as u64 + encap_header.len() as u64 + encap_len + after.len() as u64;
    let sd_header = header(Tag::Sequence, sd_len);
    let ci_explicit_header = header(EXPLICIT_0, sd_header.len() as u64 + sd_len);
    let ci_oid = OID_SIGNED_DATA.to_der()?;
    let ci_len = ci_oid.len() as u64 + ci_explicit_header.len() as u64 + sd_header.len() as u64 + sd_len;

    for part in [&header(Tag::Sequence, ci_len), &ci_oid, &ci_explicit_header, &sd_header, &before] {
        out.write_all(part)?;
    }
    for part in [&encap_header, &oid_tlv, &explicit_header, &octets_header] {
        out.write_all(part)?;
    }
    content.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; CHUNK];
    let mut h = digest::Hasher::new(options.hash);
    let mut copied = 0u64;
    while copied < n {
        let want = usize::try_from((n - copied).min(CHUNK as u64)).unwrap_or(CHUNK);
        let got = content.read(&mut buf[..want])?;
        if got == 0 {
            break;
        }
        h.update(&buf[..got]);
        out.write_all(&buf[..got])?;
        copied += got as u64;
        progress.advance(got as u64);
    }
    if copied != n || h.finish() != d {
        return Err(Error::Unsupported("the content changed while it was being signed".into()));
    }
    out.write_all(after)?;
    out.flush()?;
    Ok(n)
}

/// The SignedData of a `.p7m`: DER, BER (read as X.690 §8 allows) or Base64
/// of either, as some tools write it.
pub fn parse_signed_data(p7m: &[u8]) -> Result<SignedData> {
    Ok(read_signed_data(p7m)?.0)
}

/// [`parse_signed_data`], with how the signature was encoded.
pub(crate) fn read_signed_data(p7m: &[u8]) -> Result<(SignedData, Encoding)> {
    let data = crate::base64::der_or_base64(p7m);
    let (ci, encoding) = match ContentInfo::from_der(&data) {
        Ok(ci) => (ci, Encoding::Der),
        Err(e) => match crate::ber::to_der(&data)? {
            (der, used, Encoding::Ber) if used == data.len() => {
                let ci = ContentInfo::from_der(&der).map_err(|e| Error::Cms(format!("not a ContentInfo: {e}")))?;
                (ci, Encoding::Ber)
            }
            (_, used, Encoding::Ber) if used < data.len() => {
                return Err(Error::Cms("bytes after the end of the signature".into()))
            }
            _ => return Err(Error::Cms(format!("not a DER ContentInfo: {e}"))),
        },
    };
    if ci.content_type != OID_SIGNED_DATA {
        return Err(Error::Cms(format!("content type {} is not signedData", ci.content_type)));
    }
    let sd = crate::signed_data::decode(&ci.content).map_err(|e| Error::Cms(format!("SignedData: {e}")))?;
    Ok((sd, encoding))
}

/// The encapsulated content of an enveloping signature, or `None` when it is detached.
pub fn encapsulated_content(sd: &SignedData) -> Result<Option<&[u8]>> {
    match &sd.encap_content_info.econtent {
        None => Ok(None),
        Some(any) if any.tag() == Tag::OctetString => Ok(Some(any.value())),
        Some(any) => Err(Error::Cms(format!("eContent is a {}, not an OCTET STRING", any.tag()))),
    }
}

/// The content of an enveloping `.p7m` (RFC 5652 §5.2), without checking its signatures
/// (see [`crate::verify`]).
pub fn extract(p7m: &[u8]) -> Result<Vec<u8>> {
    let sd = parse_signed_data(p7m)?;
    encapsulated_content(&sd)?
        .map(<[u8]>::to_vec)
        .ok_or_else(|| Error::Unsupported("a detached signature: the content is in a separate file".into()))
}

/// Streams the content of an enveloping `.p7m` (DER or BER, any size) to `out` without
/// checking its signatures, reporting the bytes copied to `progress` (the total: the content's
/// length); returns its length.
pub fn extract_to<R: Read + Seek>(p7m: &mut R, out: &mut dyn Write, progress: &mut dyn Progress) -> Result<u64> {
    Ok(extract_encoded(p7m, out, progress)?.0)
}

/// [`extract_to`], with how the `.p7m` was encoded. Memory stays bounded whatever the size:
/// the chunks of a BER content are walked with a fixed buffer ([`crate::verify::WALK_BUFFER`]).
pub fn extract_encoded<R: Read + Seek>(
    p7m: &mut R,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<(u64, Encoding)> {
    let layout = crate::envelope::layout(p7m)?
        .ok_or_else(|| Error::Unsupported("a detached signature: the content is in a separate file".into()))?;
    progress.total(layout.content_len);
    let mut each = |chunk: &[u8]| progress.advance(chunk.len() as u64);
    crate::envelope::copy_content(p7m, &layout, out, &mut each)?;
    Ok((layout.content_len, layout.encoding))
}

/// Adds `signer`'s signature (a parallel SignerInfo, "co-signature") to an existing CAdES
/// `.p7m`; the existing SignerInfos and certificates are carried over unchanged, so their
/// signatures stay valid. `detached` is the content of a detached signature.
pub fn cosign(
    signer: &mut dyn Signer,
    options: &SignOptions,
    p7m: &[u8],
    detached: Option<&mut dyn Read>,
) -> Result<Vec<u8>> {
    let sd = parse_signed_data(p7m)?;
    if sd.encap_content_info.econtent_type != OID_DATA {
        return Err(Error::Unsupported(format!("content type {}", sd.encap_content_info.econtent_type)));
    }
    let d = match (encapsulated_content(&sd)?, detached) {
        (Some(c), _) => options.hash.hash(c),
        (None, Some(r)) => digest::hash_reader(options.hash, r)?.0,
        (None, None) => return Err(Error::Unsupported("a detached signature: give its content to co-sign it".into())),
    };
    let (info, cert) = new_signer_info(signer, options.hash, &d, Some(options.time()?))?;
    let mut algs: Vec<_> = sd.digest_algorithms.iter().cloned().collect();
    algs.push(digest::algorithm_identifier(options.hash));
    let mut certs = Vec::new();
    let mut others = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        match c {
            CertificateChoices::Certificate(c) => certs.push(c.clone()),
            CertificateChoices::Other(_) => others.push(c.clone()),
        }
    }
    certs.push(cert);
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    infos.push(info);
    let mut out = signed_data(algs, sd.encap_content_info.econtent.clone(), certs, infos)?;
    out.version = sd.version;
    out.crls = sd.crls.clone();
    if let Some(set) = out.certificates.as_mut() {
        for o in others {
            set.0.insert(o)?;
        }
    }
    content_info_der(&out)
}
