//! RFC 3161 time-stamp tokens as CAdES and PAdES carry them: what a token states (TSTInfo,
//! RFC 3161 §2.4.2), its report, and the identifiers. A token is a CMS SignedData whose content
//! is a TSTInfo; [`crate::verify`] checks its signature like any other, and this module what is
//! particular to a timestamp: the message imprint, the time, the TSA certificate's purpose.

use cie_core::sign::HashAlg;
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Reader, Sequence, SliceReader, Tagged};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::Certificate;

use crate::chain::Chain;
use crate::evidence::Evidence;
use crate::identity::Identity;
use crate::reason::Reason;
use crate::verdict::{shown, verdict, Indication, Problem, SubIndication};

/// id-aa-signatureTimeStampToken (RFC 3161 Appendix A; ETSI EN 319 122-1 §5.3): an unsigned
/// attribute of a SignerInfo, a token over its signature value.
pub const OID_SIGNATURE_TIME_STAMP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-ct-TSTInfo (RFC 3161 §2.4.2): the content type of a token.
pub const OID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-kp-timeStamping (RFC 3161 §2.3): the only extended key usage of a TSA certificate.
pub const OID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// extKeyUsage (RFC 5280 §4.2.1.12).
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Most timestamps read from one SignerInfo.
pub const MAX_TIMESTAMPS: usize = 8;

/// MessageImprint (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// What a token states (TSTInfo, RFC 3161 §2.4.2): the fields a verifier uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TstInfo {
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// The hash algorithm of the imprint.
    pub imprint_algorithm: ObjectIdentifier,
    /// The imprint: the hash of the time-stamped data.
    pub imprint: Vec<u8>,
    /// The token's serial number (big-endian bytes as encoded).
    pub serial: Vec<u8>,
    /// When the TSA made the token.
    pub gen_time: der::DateTime,
    /// The nonce of the request it answers, if any (the INTEGER's bytes as encoded).
    pub nonce: Option<Vec<u8>>,
}

impl TstInfo {
    /// Reads a TSTInfo (its DER, the token's eContent). The optional fields after genTime
    /// (accuracy, ordering, nonce, tsa, extensions) are not used and only skipped.
    pub fn from_der(der: &[u8]) -> Result<TstInfo, Reason> {
        let read = || -> der::Result<TstInfo> {
            let mut outer = SliceReader::new(der)?;
            let info = outer.sequence(|r| {
                let version = Int::decode(r)?;
                if version.as_bytes() != [1] {
                    return Err(der::Tag::Integer.value_error());
                }
                let policy = ObjectIdentifier::decode(r)?;
                let imprint = MessageImprint::decode(r)?;
                let serial = Int::decode(r)?;
                let gen_time = gen_time(der::asn1::AnyRef::decode(r)?)?;
                // accuracy, ordering, nonce, tsa, extensions: only the nonce is kept.
                let mut nonce = None;
                while !r.is_finished() {
                    let field = der::asn1::AnyRef::decode(r)?;
                    if field.tag() == der::Tag::Integer && nonce.is_none() {
                        nonce = Some(field.value().to_vec());
                    }
                }
                Ok(TstInfo {
                    policy,
                    imprint_algorithm: imprint.hash_algorithm.oid,
                    imprint: imprint.hashed_message.as_bytes().to_vec(),
                    serial: serial.as_bytes().to_vec(),
                    gen_time,
                    nonce,
                })
            })?;
            outer.finish(info)
        };
        read().map_err(|e| Reason::TstInfoMalformed(e.to_string()))
    }

    /// Checks the imprint against `data` (RFC 3161 §2.4.2: hashed with the imprint's
    /// algorithm); `Err` says why not, in words.
    pub fn check_imprint(&self, data: &[u8]) -> Result<(), Problem> {
        self.check_imprint_digest(&mut |alg| alg.hash(data))
    }

    /// [`TstInfo::check_imprint`] with `digest_of(alg)` giving the time-stamped data's hash
    /// (for data not held in one piece, such as a PDF's /ByteRange).
    pub fn check_imprint_digest(&self, digest_of: &mut dyn FnMut(HashAlg) -> Vec<u8>) -> Result<(), Problem> {
        let Some(alg) = HashAlg::from_oid(&self.imprint_algorithm) else {
            let oid = &self.imprint_algorithm;
            let named =
                crate::algorithms::weak_digest(oid).unwrap_or_else(|| crate::algorithms::unsupported_digest(oid));
            return Err(Problem::new(SubIndication::CryptoConstraintsFailure, Reason::TimestampHash(named)));
        };
        if digest_of(alg) != self.imprint {
            return Err(Problem::new(SubIndication::HashFailure, Reason::TimestampImprintMismatch));
        }
        Ok(())
    }
}

/// genTime (RFC 3161 §2.4.2): a GeneralizedTime `YYYYMMDDhhmmss[.s...]Z`, whose fraction of a
/// second the `der` crate refuses; the fraction is read and dropped (the time is kept to the
/// second, rounded down).
fn gen_time(any: der::asn1::AnyRef<'_>) -> der::Result<der::DateTime> {
    let bad = || der::Tag::GeneralizedTime.value_error();
    if any.tag() != der::Tag::GeneralizedTime {
        return Err(any.tag().unexpected_error(Some(der::Tag::GeneralizedTime)));
    }
    let text = any.value();
    let (whole, rest) = text.split_at_checked(14).ok_or_else(bad)?;
    let fraction_ok = match rest {
        [b'Z'] => true,
        [b'.', digits @ .., b'Z'] => !digits.is_empty() && digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !fraction_ok || !whole.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let n = |a: usize, b: usize| whole[a..b].iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let byte = |a: usize| u8::try_from(n(a, a + 2)).map_err(|_| bad());
    der::DateTime::new(n(0, 4), byte(4)?, byte(6)?, byte(8)?, byte(10)?, byte(12)?).map_err(|_| bad())
}

/// Whether `cert` is a TSA certificate: extended key usage id-kp-timeStamping, and nothing
/// else, in a critical extension (RFC 3161 §2.3).
pub fn is_tsa_certificate(cert: &Certificate) -> Result<(), Reason> {
    let ext = cert.tbs_certificate.extensions.iter().flatten().find(|e| e.extn_id == OID_EXT_KEY_USAGE);
    let Some(ext) = ext else {
        return Err(Reason::TsaWithoutKeyUsage);
    };
    let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes()).map_err(|_| Reason::TsaKeyUsageMalformed)?;
    if eku.0 != [OID_KP_TIME_STAMPING] || !ext.critical {
        return Err(Reason::TsaNotTimestampingOnly);
    }
    Ok(())
}

/// What kind of timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampKind {
    /// A signature time-stamp (CAdES-T, PAdES B-T): over one signature's value.
    Signature,
    /// A PDF document timestamp (/SubFilter /ETSI.RFC3161, ETSI EN 319 142-1 §5.4): over the
    /// document's bytes up to it.
    Document,
    /// A CAdES archive time-stamp (v2 or v3, [`crate::archive`]): over the content, the
    /// signature and the validation data before it.
    Archive,
}

impl TimestampKind {
    /// `signature`, `document` or `archive`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimestampKind::Signature => "signature",
            TimestampKind::Document => "document",
            TimestampKind::Archive => "archive",
        }
    }
}

/// The verdict on one timestamp.
#[derive(Clone, Debug)]
pub struct TimestampReport {
    /// What it time-stamps.
    pub kind: TimestampKind,
    /// The time it states, when it could be read.
    pub time: Option<der::DateTime>,
    /// The TSA, from its certificate.
    pub tsa: Option<Identity>,
    /// The TSA certificate's path.
    pub chain: Chain,
    /// Why it does not pass; empty when it is TOTAL-PASSED and so a proof of existence.
    pub problems: Vec<Problem>,
    /// The revocation data about the TSA's certificate and its CAs, each piece checked (the
    /// signature's, the token's and, with `--online`, what the TSA certificate's responder or
    /// distribution point answers).
    pub revocation: Vec<Evidence>,
    /// Observations that do not change the verdict (revocation data found good, not checked).
    pub notes: Vec<Reason>,
}

impl TimestampReport {
    /// An empty report of `kind`.
    pub(crate) fn new(kind: TimestampKind) -> TimestampReport {
        TimestampReport {
            kind,
            time: None,
            tsa: None,
            chain: Chain::NotChecked,
            problems: Vec::new(),
            revocation: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The timestamp's verdict (ETSI EN 319 102-1 §5.4: a timestamp is validated as a
    /// signature).
    pub fn indication(&self) -> Indication {
        verdict(&self.problems).0
    }

    /// The sub-indication of the verdict.
    pub fn sub_indication(&self) -> Option<SubIndication> {
        verdict(&self.problems).1
    }

    /// True when the timestamp proves the time-stamped data existed at [`Self::time`]: it is
    /// intact, its TSA is trusted and valid.
    pub fn proves_existence(&self) -> bool {
        self.time.is_some() && self.indication() == Indication::TotalPassed
    }

    /// Escapes what quotes the document.
    pub(crate) fn make_printable(&mut self) {
        if let Some(who) = self.tsa.as_mut() {
            who.make_printable();
        }
        for p in &mut self.problems {
            p.message = shown(&p.message);
        }
        for e in &mut self.revocation {
            e.make_printable();
        }
        self.chain = self.chain.shown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TSTInfo written out by hand: version 1, policy 1.2.3.4, SHA-256 imprint of "abc",
    /// serial 5, genTime 2024-03-01 12:00:00Z, nonce 7.
    fn tst_info() -> Vec<u8> {
        let mut imprint = vec![
            0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ];
        imprint.extend_from_slice(&HashAlg::Sha256.hash(b"abc"));
        let mut body = vec![0x02, 0x01, 0x01, 0x06, 0x03, 0x2A, 0x03, 0x04];
        body.extend_from_slice(&imprint);
        body.extend_from_slice(&[0x02, 0x01, 0x05]);
        body.extend_from_slice(b"\x18\x0F20240301120000Z");
        body.extend_from_slice(&[0x02, 0x01, 0x07]);
        let mut der = vec![0x30, body.len() as u8];
        der.extend_from_slice(&body);
        der
    }

    #[test]
    fn reads_a_tst_info_and_checks_its_imprint() {
        let info = TstInfo::from_der(&tst_info()).unwrap();
        assert_eq!(info.serial, [5]);
        assert_eq!(info.nonce, Some(vec![7]));
        assert_eq!(info.gen_time.to_string(), "2024-03-01T12:00:00Z");
        assert_eq!(info.policy, ObjectIdentifier::new_unwrap("1.2.3.4"));
        info.check_imprint(b"abc").unwrap();
        assert_eq!(info.check_imprint(b"abd").unwrap_err().sub, SubIndication::HashFailure);
    }

    #[test]
    fn malformed_tst_info_is_an_error() {
        let good = tst_info();
        // Version 2.
        let mut v2 = good.clone();
        v2[4] = 0x02;
        assert!(TstInfo::from_der(&v2).is_err());
        // Cut before genTime.
        let cut = &good[..good.len() - 20];
        assert!(TstInfo::from_der(cut).is_err());
        // A fraction of a second is read (RFC 3161 §2.4.2); a time without its Z is not.
        let at = good.windows(2).position(|w| w == [0x18, 0x0F]).unwrap();
        let mut fraction = good[..at].to_vec();
        fraction.extend_from_slice(b"\x18\x1320240301120000.926Z");
        fraction.extend_from_slice(&good[at + 17..]);
        fraction[1] = (fraction.len() - 2) as u8;
        assert_eq!(TstInfo::from_der(&fraction).unwrap().gen_time.to_string(), "2024-03-01T12:00:00Z");
        let mut no_z = good.clone();
        no_z[at + 16] = b'0';
        assert!(TstInfo::from_der(&no_z).is_err());
        // Bytes after the SEQUENCE.
        let mut long = good.clone();
        long.push(0);
        assert!(TstInfo::from_der(&long).is_err());
    }
}
