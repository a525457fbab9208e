//! CAdES archive time-stamps: what their imprint covers. archive-time-stamp-v2
//! (id-aa-ets-archiveTimestampV2, ETSI TS 101 733 §6.4.1, RFC 5126 §6.4.1) hashes the
//! encapContentInfo (and the detached content), the certificates and CRLs fields, and the
//! SignerInfo with the unsigned attributes it archives; archive-time-stamp-v3 (ETSI EN 319 122-1
//! §5.5.3) hashes the content type, the content's digest, the SignerInfo's signed fields and the
//! ats-hash-index(-v3) attribute carried inside the token, which lists a hash of each
//! certificate, CRL and unsigned attribute it covers. The token itself is verified by
//! [`crate::verify`] as any timestamp; this module gives the bytes it must match.

use cie_core::sign::HashAlg;
use cms::signed_data::SignedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, SliceReader, Tag};

use crate::digest::{Fork, Hasher};
use crate::reason::HashIndexProblem;
use crate::timestamp::TstInfo;

/// id-aa-ets-archiveTimestampV2 (ETSI TS 101 733 §6.4.1).
pub const OID_ARCHIVE_TIME_STAMP_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.48");
/// id-aa-ets-archiveTimestampV3 (ETSI EN 319 122-1 §5.5.3).
pub const OID_ARCHIVE_TIME_STAMP_V3: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1733.2.4");
/// id-aa-ATSHashIndex (ETSI TS 101 733 v2.2.1 §6.4.3): in the token of an archive-time-stamp-v3.
pub const OID_ATS_HASH_INDEX: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1733.2.5");
/// id-aa-ATSHashIndex-v3 (ETSI EN 319 122-1 §5.5.2).
pub const OID_ATS_HASH_INDEX_V3: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.19122.1.5");

/// Most archive tokens read ahead from one SignedData (for their hash algorithms).
const MAX_TOKENS: usize = 64;

/// Most hashes read from one ats-hash-index.
const MAX_INDEX_ENTRIES: usize = 1024;

/// Whether `oid` names an archive time-stamp attribute.
pub fn is_archive(oid: &ObjectIdentifier) -> bool {
    *oid == OID_ARCHIVE_TIME_STAMP_V2 || *oid == OID_ARCHIVE_TIME_STAMP_V3
}

/// The imprint algorithms of the archive time-stamps the SignerInfos of `sd` carry (read from
/// their TSTInfo; an unreadable token is left to its verification).
pub(crate) fn imprint_algorithms(sd: &SignedData) -> Vec<HashAlg> {
    let mut algs = Vec::new();
    let values = sd
        .signer_infos
        .0
        .iter()
        .flat_map(|si| si.unsigned_attrs.iter().flat_map(|a| a.iter()))
        .filter(|a| is_archive(&a.oid))
        .flat_map(|a| a.values.iter())
        .take(MAX_TOKENS);
    for v in values {
        let Ok(der) = v.to_der() else { continue };
        let Some(alg) = token_info(&der).and_then(|i| HashAlg::from_oid(&i.imprint_algorithm)) else { continue };
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    algs
}

/// The TSTInfo of a token, if it can be read.
pub(crate) fn token_info(token: &[u8]) -> Option<TstInfo> {
    let (sd, _) = crate::cades::read_signed_data(token).ok()?;
    let content = crate::cades::encapsulated_content(&sd).ok()??;
    TstInfo::from_der(content).ok()
}

/// What an archive time-stamp covers outside the SignedData's encoding: the content, hashed
/// as it streams by ([`ContentFeed`]).
#[derive(Default)]
pub(crate) struct ArchiveContent {
    /// The eContentType's encoding (v3).
    content_type: Vec<u8>,
    /// The content's digest by algorithm (v3).
    digests: Vec<(HashAlg, Vec<u8>)>,
    /// Hash states fed the encapContentInfo's DER and, for a detached signature, the content
    /// (v2); for a detached signature also the encapContentInfo alone (signers of TS 101 733
    /// v1.5.1 to v1.6.3 left the content out, and the signature covers it anyway).
    prefixes: Vec<(HashAlg, Fork)>,
}

/// Hashes the content for the archive time-stamps of a SignedData as it is read.
pub(crate) struct ContentFeed {
    content_type: Vec<u8>,
    plain: Vec<(HashAlg, Hasher)>,
    prefixed: Vec<(HashAlg, Hasher)>,
    alone: Vec<(HashAlg, Hasher)>,
}

impl ContentFeed {
    /// A feed for `sd`'s archive time-stamps; `attached` is the length of the content inside
    /// the SignedData, `None` for a detached one. Nothing is hashed when there is no archive
    /// time-stamp.
    pub(crate) fn new(sd: &SignedData, attached: Option<u64>) -> ContentFeed {
        let algs = imprint_algorithms(sd);
        let content_type = sd.encap_content_info.econtent_type.to_der().unwrap_or_default();
        let header = match attached {
            Some(len) => {
                let octets = [crate::ber::der_header(0x04, len)].concat();
                let explicit_len = octets.len() as u64 + len;
                let explicit = crate::ber::der_header(0xA0, explicit_len);
                let body_len = content_type.len() as u64 + explicit.len() as u64 + explicit_len;
                [crate::ber::der_header(0x30, body_len), content_type.clone(), explicit, octets].concat()
            }
            None => [crate::ber::der_header(0x30, content_type.len() as u64), content_type.clone()].concat(),
        };
        let start = |alg: HashAlg| {
            let mut h = Hasher::new(alg);
            h.update(&header);
            (alg, h)
        };
        ContentFeed {
            plain: algs.iter().map(|a| (*a, Hasher::new(*a))).collect(),
            prefixed: algs.iter().map(|a| start(*a)).collect(),
            alone: if attached.is_none() { algs.iter().map(|a| start(*a)).collect() } else { Vec::new() },
            content_type,
        }
    }

    /// Feeds the next chunk of the content.
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        for (_, h) in self.plain.iter_mut().chain(self.prefixed.iter_mut()) {
            h.update(chunk);
        }
    }

    /// The hashes, the content read whole.
    pub(crate) fn finish(self) -> ArchiveContent {
        let mut prefixes: Vec<(HashAlg, Fork)> = self.prefixed.iter().map(|(a, h)| (*a, h.fork())).collect();
        prefixes.extend(self.alone.iter().map(|(a, h)| (*a, h.fork())));
        ArchiveContent {
            content_type: self.content_type,
            digests: self.plain.into_iter().map(|(a, h)| (a, h.finish())).collect(),
            prefixes,
        }
    }
}

/// One element of a DER encoding: its tag octet and whole encoding.
type Element<'a> = (u8, &'a [u8]);

/// The elements inside the constructed element `outer` (its whole encoding).
fn children(outer: &[u8]) -> der::Result<Vec<Element<'_>>> {
    let mut r = SliceReader::new(outer)?;
    let header = der::Header::decode(&mut r)?;
    let value = r.read_slice(header.length)?;
    let mut inner = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !inner.is_finished() {
        let start = usize::try_from(inner.position())?;
        let h = der::Header::decode(&mut inner)?;
        inner.read_slice(h.length)?;
        let end = usize::try_from(inner.position())?;
        out.push((h.tag.octet(), &value[start..end]));
    }
    Ok(out)
}

/// The certificates and crls fields of a SignedData as they are in the file.
#[derive(Default)]
pub(crate) struct Validation {
    /// The two fields' encodings, one after the other (v2 hashes them).
    pub fields: Vec<u8>,
    /// Each CertificateChoices' encoding (an ats-hash-index lists their hashes).
    pub certificates: Vec<Vec<u8>>,
    /// Each RevocationInfoChoice's encoding, likewise.
    pub crls: Vec<Vec<u8>>,
}

/// The certificates and crls fields of the SignedData in the DER ContentInfo `content_info`.
pub(crate) fn validation_fields(content_info: &[u8]) -> der::Result<Validation> {
    let ci = children(content_info)?;
    let explicit = ci.get(1).ok_or(Tag::Sequence.value_error())?;
    let inner = children(explicit.1)?;
    let sd = inner.first().ok_or(Tag::Sequence.value_error())?;
    let mut out = Validation::default();
    for (tag, field) in children(sd.1)? {
        if tag != 0xA0 && tag != 0xA1 {
            continue;
        }
        out.fields.extend_from_slice(field);
        let items = children(field)?.into_iter().map(|(_, e)| e.to_vec());
        if tag == 0xA0 {
            out.certificates.extend(items);
        } else {
            out.crls.extend(items);
        }
    }
    Ok(out)
}

/// One unsigned attribute of a SignerInfo as it is in the file.
#[derive(Clone, Debug)]
pub(crate) struct RawAttribute {
    /// Its type.
    pub oid: ObjectIdentifier,
    /// Its whole encoding (`SEQUENCE { type, SET OF value }`).
    pub der: Vec<u8>,
    /// The encoding of each value.
    pub values: Vec<Vec<u8>>,
}

/// A SignerInfo as it is in the file: its fields but the unsigned attributes, and those.
pub(crate) struct RawSignerInfo {
    /// version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature.
    pub signed_fields: Vec<u8>,
    /// The unsigned attributes in the file's order.
    pub unsigned: Vec<RawAttribute>,
}

impl RawSignerInfo {
    /// Reads the SignerInfo encoded in `der`.
    pub(crate) fn from_der(der: &[u8]) -> der::Result<RawSignerInfo> {
        let mut signed_fields = Vec::new();
        let mut unsigned = Vec::new();
        for (tag, bytes) in children(der)? {
            if tag != 0xA1 {
                signed_fields.extend_from_slice(bytes);
                continue;
            }
            for (_, attr) in children(bytes)? {
                let parts = children(attr)?;
                let (Some((_, oid)), Some((_, set)), 2) = (parts.first(), parts.get(1), parts.len()) else {
                    return Err(Tag::Sequence.value_error());
                };
                let oid = ObjectIdentifier::from_der(oid)?;
                let values = children(set)?.into_iter().map(|(_, v)| v.to_vec()).collect();
                unsigned.push(RawAttribute { oid, der: attr.to_vec(), values });
            }
        }
        Ok(RawSignerInfo { signed_fields, unsigned })
    }
}

/// The ats-hash-index(-v3) of an archive-time-stamp-v3 (ETSI EN 319 122-1 §5.5.2).
pub(crate) struct HashIndex {
    /// Its encoding as the imprint hashes it.
    pub der: Vec<u8>,
    /// The hash algorithm of its entries.
    pub alg: HashAlg,
    /// The hashes of the certificates it covers.
    pub certificates: Vec<Vec<u8>>,
    /// The hashes of the CRLs and OCSP responses (RevocationInfoChoices) it covers.
    pub crls: Vec<Vec<u8>>,
    /// The hashes of the unsigned attributes it covers.
    pub attributes: Vec<Vec<u8>>,
}

impl HashIndex {
    /// Reads the value (DER) of an ats-hash-index or ats-hash-index-v3: `SEQUENCE {
    /// hashIndAlgorithm DEFAULT sha256, certificatesHashIndex, crlsHashIndex,
    /// unsignedAttrsHashIndex }`.
    pub(crate) fn from_der(der: &[u8]) -> Result<HashIndex, HashIndexProblem> {
        let bad = |_: der::Error| HashIndexProblem::Malformed;
        let fields = children(der).map_err(bad)?;
        let (alg, lists) = match fields.first() {
            Some((0x30, first)) if fields.len() == 4 => {
                let id = spki::AlgorithmIdentifierOwned::from_der(first).map_err(bad)?;
                let alg =
                    HashAlg::from_oid(&id.oid).ok_or_else(|| HashIndexProblem::UnknownHash(id.oid.to_string()))?;
                (alg, &fields[1..])
            }
            _ if fields.len() == 3 => (HashAlg::Sha256, &fields[..]),
            _ => return Err(HashIndexProblem::Malformed),
        };
        let mut read = Vec::new();
        for (tag, list) in lists {
            if *tag != 0x30 {
                return Err(HashIndexProblem::Malformed);
            }
            let entries = children(list).map_err(bad)?;
            if entries.len() > MAX_INDEX_ENTRIES {
                return Err(HashIndexProblem::TooLong);
            }
            let mut hashes = Vec::new();
            for (_, e) in entries {
                hashes.push(OctetString::from_der(e).map_err(bad)?.as_bytes().to_vec());
            }
            read.push(hashes);
        }
        let attributes = read.pop().unwrap_or_default();
        let crls = read.pop().unwrap_or_default();
        let certificates = read.pop().unwrap_or_default();
        Ok(HashIndex { der: der.to_vec(), alg, certificates, crls, attributes })
    }

    /// What the index lists that is no longer in the signature (an element archived and then
    /// removed, or a hash computed otherwise); `None` when every entry is found among
    /// `validation`'s certificates and CRLs and the `unsigned` attributes.
    pub(crate) fn missing(&self, validation: &Validation, unsigned: &[RawAttribute]) -> Option<HashIndexProblem> {
        let hashes = |items: &[Vec<u8>]| -> Vec<Vec<u8>> { items.iter().map(|i| self.alg.hash(i)).collect() };
        let (certs, crls) = (hashes(&validation.certificates), hashes(&validation.crls));
        if let Some(n) = self.certificates.iter().filter(|h| !certs.contains(h)).count().checked_sub(1) {
            return Some(HashIndexProblem::CertificatesGone(n + 1));
        }
        if let Some(n) = self.crls.iter().filter(|h| !crls.contains(h)).count().checked_sub(1) {
            return Some(HashIndexProblem::RevocationGone(n + 1));
        }
        let mut present: Vec<Vec<u8>> = unsigned.iter().map(|a| self.alg.hash(&a.der)).collect();
        for a in unsigned {
            let Ok(oid) = a.oid.to_der() else { continue };
            present.extend(a.values.iter().map(|v| self.alg.hash(&[oid.as_slice(), v].concat())));
        }
        if let Some(n) = self.attributes.iter().filter(|h| !present.contains(h)).count().checked_sub(1) {
            return Some(HashIndexProblem::AttributesGone(n + 1));
        }
        None
    }

    /// Whether the index covers `attr` (ats-hash-index: the hash of its encoding; -v3: of its
    /// type and each of its values, ETSI EN 319 122-1 §5.5.2).
    pub(crate) fn covers(&self, attr: &RawAttribute) -> bool {
        if self.attributes.contains(&self.alg.hash(&attr.der)) {
            return true;
        }
        let Ok(oid) = attr.oid.to_der() else { return false };
        !attr.values.is_empty()
            && attr.values.iter().all(|v| self.attributes.contains(&self.alg.hash(&[oid.as_slice(), v].concat())))
    }
}

/// Computes the digest an archive time-stamp's imprint must equal, for each encoding the
/// standard and its implementations allow; the imprint matches when one of them does.
pub(crate) struct Imprints<'a> {
    /// The content's hashes.
    pub content: &'a ArchiveContent,
    /// The certificates and crls fields as in the file.
    pub validation: &'a Validation,
    /// The SignerInfo.
    pub signer: &'a RawSignerInfo,
}

impl Imprints<'_> {
    /// The candidate digests for archive-time-stamp-v2 number `at` among the unsigned
    /// attributes, whose time is `time`: the unsigned attributes but itself and the archive
    /// time-stamps not older than it, in the file's order (ETSI TS 101 733 §6.4.1), with their
    /// `[1]` tag and length and without (both are written). `None` when the content was not
    /// hashed with `alg`.
    pub(crate) fn v2(
        &self,
        alg: HashAlg,
        at: usize,
        time: &dyn Fn(&RawAttribute) -> Option<der::DateTime>,
    ) -> Option<Vec<Vec<u8>>> {
        let own = self.signer.unsigned.get(at).and_then(time);
        let kept: Vec<u8> = self
            .signer
            .unsigned
            .iter()
            .enumerate()
            .filter(|(i, a)| {
                *i != at
                    && !(is_archive(&a.oid)
                        && time(a).zip(own).is_none_or(|(t, o)| t.unix_duration() >= o.unix_duration()))
            })
            .flat_map(|(_, a)| a.der.iter().copied())
            .collect();
        let mut out = Vec::new();
        for (_, prefix) in self.content.prefixes.iter().filter(|(a, _)| *a == alg) {
            for tagged in [true, false] {
                let mut h = prefix.clone();
                h.update(&self.validation.fields);
                h.update(&self.signer.signed_fields);
                if tagged {
                    h.update(&crate::ber::der_header(0xA1, kept.len() as u64));
                }
                h.update(&kept);
                out.push(h.finish());
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// The digest archive-time-stamp-v3 must match, with `index` its ats-hash-index (ETSI EN
    /// 319 122-1 §5.5.3); `None` when the content was not hashed with `alg`.
    pub(crate) fn v3(&self, alg: HashAlg, index: &HashIndex) -> Option<Vec<u8>> {
        let (_, content) = self.content.digests.iter().find(|(a, _)| *a == alg)?;
        let mut h = Hasher::new(alg);
        h.update(&self.content.content_type);
        h.update(content);
        h.update(&self.signer.signed_fields);
        h.update(&index.der);
        Some(h.finish())
    }
}
