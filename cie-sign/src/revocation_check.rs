//! Revocation checking of a signature's certificates (ETSI EN 319 102-1 §5.2.5, §5.2.6): the
//! revocation data the signature carries (the SignedData's `crls` field: CRLs and OCSP
//! responses, RFC 5940; the CAdES revocation-values attribute, ETSI EN 319 122-1 §5.5.2, with
//! the certificate-values attribute's certificates for the responders), and with `--online` the
//! certificate's OCSP responder or CRL distribution point, each checked ([`crate::crl`],
//! [`crate::ocsp`]) and then weighed:
//!
//! - a certificate revoked at or before the validation time (the current time, or the time a
//!   verified timestamp proves) makes the signature INDETERMINATE, REVOKED_NO_POE (the signer's)
//!   or REVOKED_CA_NO_POE (a CA's): nothing proves the signature was made before; when the
//!   signer's own signing-time attribute is at or after the revocation, the signature is
//!   TOTAL-FAILED, REVOKED (the signer states it signed with a revoked certificate);
//! - a revocation after a time a timestamp proves does not count against the signature;
//! - verified "good" data is reported as a note; data that cannot be verified is reported and
//!   never used.

use std::time::Duration;

use cms::signed_data::SignerInfo;
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};

use crate::chain::{self, Cert};
use crate::evidence::{seconds, Evidence, EvidenceOrigin, Status};
use crate::reason::{CertificateRole, Reason, Revocation};
use crate::revocation::read_revocations;
use crate::verdict::{Problem, SubIndication};

/// id-aa-ets-revocationValues (ETSI EN 319 122-1 §5.5.2).
pub(crate) const OID_REVOCATION_VALUES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.24");
/// id-aa-ets-certValues (ETSI EN 319 122-1 §5.5.1).
pub(crate) const OID_CERTIFICATE_VALUES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// Most CRLs and OCSP responses read for one signature.
const MAX_ITEMS: usize = 256;
/// Most extra certificates read from a certificate-values attribute.
const MAX_EXTRA_CERTIFICATES: usize = 128;
/// Most CA certificates above the signer's checked.
const MAX_CA_DEPTH: usize = 8;
/// How far in the future a thisUpdate may be (clocks differ) before the data is refused.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

fn now() -> Duration {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or(Duration::ZERO)
}

/// The revocation data available to a signature, unchecked: CRLs and BasicOCSPResponses (DER),
/// and certificates that may be responders'.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    /// CRLs (DER).
    pub(crate) crls: Vec<Vec<u8>>,
    /// BasicOCSPResponses (DER).
    pub(crate) ocsp: Vec<Vec<u8>>,
    /// OCSP responses that are not usable at all, and why (reported, never used).
    pub(crate) unreadable: Vec<String>,
    /// Certificates carried beside the SignedData's (certificate-values attribute).
    pub(crate) certs: Vec<Cert>,
}

impl Sources {
    /// The revocation data of the SignedData whose ContentInfo (DER) is `raw`: its `crls`
    /// field, read without the `cms` crate (which refuses OCSP entries).
    pub(crate) fn of_signed_data(raw: &[u8]) -> Sources {
        let mut s = Sources::default();
        let Some(field) = crls_field(raw) else { return s };
        match read_revocations(&field) {
            Ok(r) => {
                for crl in r.crl_ders {
                    s.add(Kind::Crl, crl);
                }
                for resp in r.ocsp_responses {
                    s.add_ocsp_response(&resp);
                }
            }
            Err(e) => s.unreadable.push(format!("the signature's revocation data cannot be read: {e}")),
        }
        s
    }

    /// The revocation data of a PDF's document security store: CRLs, OCSP responses and
    /// certificates (DER), and what of it could not be read.
    pub(crate) fn of_store(
        crls: &[Vec<u8>],
        ocsp_responses: &[Vec<u8>],
        certs: &[Vec<u8>],
        skipped: &[String],
    ) -> Sources {
        let mut s = Sources::default();
        for crl in crls {
            s.add(Kind::Crl, crl.clone());
        }
        for r in ocsp_responses {
            s.add_ocsp_response(r);
        }
        s.certs.extend(certs.iter().take(MAX_EXTRA_CERTIFICATES).filter_map(|c| Cert::from_der(c).ok()));
        s.unreadable.extend(skipped.iter().cloned());
        s
    }

    fn add_ocsp_response(&mut self, response: &[u8]) {
        match crate::ocsp::basic_of(response) {
            Ok(b) => self.add(Kind::Ocsp, b),
            Err(e) => self.unreadable.push(e),
        }
    }

    /// Adds one CRL or BasicOCSPResponse unless it is already there (CAdES-LT signers often
    /// put the same data in the `crls` field and in the revocation-values attribute).
    fn add(&mut self, kind: Kind, der: Vec<u8>) {
        let list = match kind {
            Kind::Crl => &mut self.crls,
            Kind::Ocsp => &mut self.ocsp,
        };
        if !list.contains(&der) {
            list.push(der);
        }
    }

    /// The revocation-values and certificate-values attributes of `si`.
    pub(crate) fn of_attributes(si: &SignerInfo) -> Sources {
        let mut s = Sources::default();
        let attrs = si.unsigned_attrs.iter().flat_map(|a| a.iter());
        for a in attrs {
            for v in a.values.iter() {
                let Ok(der) = v.to_der() else { continue };
                if a.oid == OID_REVOCATION_VALUES {
                    if let Err(e) = s.add_revocation_values(&der) {
                        s.unreadable.push(format!("the revocation-values attribute cannot be read: {e}"));
                    }
                } else if a.oid == OID_CERTIFICATE_VALUES {
                    let certs = Vec::<x509_cert::Certificate>::from_der(&der).unwrap_or_default();
                    s.certs
                        .extend(certs.into_iter().take(MAX_EXTRA_CERTIFICATES).filter_map(|c| Cert::from_cert(c).ok()));
                }
            }
        }
        s
    }

    /// RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
    /// ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, otherRevVals [2] OPTIONAL }, the
    /// tags explicit (ETSI EN 319 122-1 annex A).
    fn add_revocation_values(&mut self, der: &[u8]) -> der::Result<()> {
        let outer = AnyRef::from_der(der)?;
        outer.tag().assert_eq(Tag::Sequence)?;
        let mut r = SliceReader::new(outer.value())?;
        while !r.is_finished() {
            let field = r.decode::<AnyRef<'_>>()?;
            let list = |field: AnyRef<'_>| -> der::Result<Vec<Vec<u8>>> {
                let seq = AnyRef::from_der(field.value())?;
                seq.tag().assert_eq(Tag::Sequence)?;
                let mut inner = SliceReader::new(seq.value())?;
                let mut out = Vec::new();
                while !inner.is_finished() {
                    out.push(inner.decode::<AnyRef<'_>>()?.to_der()?);
                }
                Ok(out)
            };
            match field.tag() {
                Tag::ContextSpecific { constructed: true, number: TagNumber::N0 } => {
                    list(field)?.into_iter().for_each(|d| self.add(Kind::Crl, d))
                }
                Tag::ContextSpecific { constructed: true, number: TagNumber::N1 } => {
                    list(field)?.into_iter().for_each(|d| self.add(Kind::Ocsp, d))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The distinct items `pick` takes from each of `layers`, at most [`MAX_ITEMS`] (the same CRL
/// or response is often in the SignedData and in an attribute), and whether some were left.
fn distinct<'a>(layers: &[&'a Sources], pick: fn(&Sources) -> &Vec<Vec<u8>>) -> (Vec<&'a [u8]>, bool) {
    let mut out: Vec<&'a [u8]> = Vec::new();
    for item in layers.iter().flat_map(|l| pick(l).iter()) {
        if !out.contains(&item.as_slice()) {
            if out.len() == MAX_ITEMS {
                return (out, true);
            }
            out.push(item);
        }
    }
    (out, false)
}

/// A CRL or an OCSP response, in [`Sources::add`].
#[derive(Clone, Copy)]
enum Kind {
    Crl,
    Ocsp,
}

/// The DER of the `[1] crls` field of the SignedData in the ContentInfo `raw`, if it has one.
fn crls_field(raw: &[u8]) -> Option<Vec<u8>> {
    let mut r = SliceReader::new(raw).ok()?;
    let ci = r.decode::<AnyRef<'_>>().ok()?;
    let mut ci = SliceReader::new(ci.value()).ok()?;
    let _type = ci.decode::<ObjectIdentifier>().ok()?;
    let explicit = ci.decode::<AnyRef<'_>>().ok()?;
    let sd = AnyRef::from_der(explicit.value()).ok()?;
    let mut fields = SliceReader::new(sd.value()).ok()?;
    let crls_tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N1 };
    while !fields.is_finished() {
        let f = fields.decode::<AnyRef<'_>>().ok()?;
        if f.tag() == crls_tag {
            return f.to_der().ok();
        }
    }
    None
}

/// The revocation data of one signature, drawn from several [`Sources`] (the SignedData's,
/// its attributes', a PDF's store) without copying them.
struct Gathered<'a> {
    crls: Vec<&'a [u8]>,
    ocsp: Vec<&'a [u8]>,
    /// Certificates that may be an OCSP responder's: the signature's and the sources'.
    certs: Vec<Cert>,
    /// More than [`MAX_ITEMS`] CRLs or responses were found.
    cut: bool,
}

impl<'a> Gathered<'a> {
    fn new(layers: &[&'a Sources], pool: &[Cert]) -> Gathered<'a> {
        let (crls, cut_crls) = distinct(layers, |s| &s.crls);
        let (ocsp, cut_ocsp) = distinct(layers, |s| &s.ocsp);
        let mut certs = pool.to_vec();
        certs.extend(layers.iter().flat_map(|l| l.certs.iter()).take(MAX_EXTRA_CERTIFICATES).cloned());
        Gathered { crls, ocsp, certs, cut: cut_crls || cut_ocsp }
    }

    /// Checks every piece about `cert`, issued by `issuer`.
    fn evidence_for(&self, cert: &Cert, issuer: &Cert) -> Vec<Evidence> {
        let mut out = Vec::new();
        for crl in &self.crls {
            out.extend(crate::crl::check(crl, cert, issuer));
        }
        for basic in &self.ocsp {
            out.extend(crate::ocsp::check(basic, cert, Some(issuer), &self.certs));
        }
        out
    }

    /// The OCSP responses about `cert` when its issuer's certificate is not available: read
    /// and their signatures checked, never trusted.
    fn evidence_without_issuer(&self, cert: &Cert) -> Vec<Evidence> {
        self.ocsp.iter().filter_map(|basic| crate::ocsp::check(basic, cert, None, &self.certs)).collect()
    }
}

/// What the signature's checks need to weigh the evidence.
pub(crate) struct Weighing {
    /// The validation time (seconds since the Unix epoch).
    pub(crate) at: Duration,
    /// `at` is a time a verified timestamp proves.
    pub(crate) proven: bool,
    /// The signing time the signer states (signing-time attribute), if any.
    pub(crate) claimed: Option<der::DateTime>,
    /// The certificate is a TSA's and `at` its token's time: a revocation at or before it
    /// makes the timestamp untrusted (INDETERMINATE, never a proof of existence).
    pub(crate) tsa: bool,
}

/// Checks the revocation of the signer's certificate `cert` and of the CA certificates above
/// it (found through `paths`), with the embedded data of `layers` and, when `online`, what
/// the signer's certificate's responder or distribution point answers; returns the evidence,
/// the problems and the notes.
pub(crate) fn check_path(
    cert: &Cert,
    paths: &mut chain::Paths<'_>,
    layers: &[&Sources],
    online: bool,
    w: &Weighing,
) -> (Vec<Evidence>, Vec<Problem>, Vec<Reason>) {
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut notes: Vec<Reason> = layers
        .iter()
        .flat_map(|l| l.unreadable.iter())
        .map(|e| Reason::RevocationDataUnusable(e.to_string()))
        .collect();
    let pool: Vec<Cert> = paths.pool().to_vec();
    let gathered = Gathered::new(layers, &pool);
    if gathered.cut {
        notes.push(Reason::RevocationItemsCut(MAX_ITEMS));
    }
    let mut current = cert.clone();
    let mut signer_checked = false;
    for depth in 0..=MAX_CA_DEPTH {
        let Some(issuer) = paths.issuer_of(&current) else {
            if depth == 0 {
                let found = gathered.evidence_without_issuer(&current);
                notes.extend(found.iter().map(Evidence::note));
                evidence.extend(found);
                notes.push(Reason::RevocationNoIssuer);
                signer_checked = true;
            }
            break;
        };
        if issuer.der == current.der {
            break;
        }
        let mut found = gathered.evidence_for(&current, &issuer);
        if depth == 0 && online && !found.iter().any(|e| matches!(e.status, Status::Good | Status::Revoked { .. })) {
            match crate::online::fetch(&current, &issuer, &pool) {
                Ok(answers) => {
                    for mut e in answers {
                        e.origin = EvidenceOrigin::Online;
                        found.push(e);
                    }
                }
                Err(why) => notes.push(Reason::OnlineCheckFailed(why.to_string())),
            }
        }
        for e in &mut found {
            if e.this_update.is_some_and(|t| seconds(t) > now() + CLOCK_SKEW) {
                e.status = Status::Unverifiable("it is dated in the future (its thisUpdate is after now)".into());
            }
        }
        if depth == 0 {
            signer_checked = !found.is_empty();
        }
        weigh(&found, depth == 0, w, &mut problems, &mut notes);
        evidence.extend(found);
        current = issuer;
    }
    if !signer_checked && w.tsa {
        notes.push(Reason::TsaRevocationNoData);
    } else if !signer_checked {
        notes.push(Reason::RevocationNoData { online });
    }
    (evidence, problems, notes)
}

/// Adds the problems and notes `found` (about one certificate; `signer`: the signer's) gives.
fn weigh(found: &[Evidence], signer: bool, w: &Weighing, problems: &mut Vec<Problem>, notes: &mut Vec<Reason>) {
    let revoked = found
        .iter()
        .filter_map(|e| match &e.status {
            Status::Revoked { time, .. } => Some((e, *time)),
            _ => None,
        })
        .min_by_key(|(_, t)| seconds(*t));
    for e in found {
        if !matches!(e.status, Status::Revoked { .. }) {
            notes.push(e.note());
        }
    }
    let Some((e, time)) = revoked else { return };
    let role = match (w.tsa, signer) {
        (false, true) => CertificateRole::Signer,
        (false, false) => CertificateRole::Ca,
        (true, true) => CertificateRole::Tsa,
        (true, false) => CertificateRole::TsaCa,
    };
    let reason = match &e.status {
        Status::Revoked { reason, .. } => *reason,
        _ => None,
    };
    let revoked = |weight| Reason::Revoked {
        role,
        subject: e.subject.clone(),
        time,
        reason,
        source: Box::new(e.source()),
        weight,
    };
    if w.tsa {
        if seconds(time) > w.at {
            notes.push(revoked(Revocation::AfterTimestamp));
        } else {
            let sub = if signer { SubIndication::RevokedNoPoe } else { SubIndication::RevokedCaNoPoe };
            problems.push(Problem::new(sub, revoked(Revocation::BeforeTimestamp)));
        }
        return;
    }
    if seconds(time) > w.at {
        notes.push(revoked(Revocation::AfterProof));
        return;
    }
    if let Some(claimed) = w.claimed.filter(|c| signer && seconds(*c) >= seconds(time)) {
        problems.push(Problem::new(SubIndication::Revoked, revoked(Revocation::BeforeClaimedTime(claimed))));
        return;
    }
    let sub = if signer { SubIndication::RevokedNoPoe } else { SubIndication::RevokedCaNoPoe };
    problems.push(Problem::new(sub, revoked(Revocation::BeforeValidation { proven: w.proven })));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::EvidenceKind;

    fn date(y: u16, m: u8, d: u8) -> der::DateTime {
        der::DateTime::new(y, m, d, 0, 0, 0).unwrap()
    }

    fn evidence(status: Status) -> Evidence {
        Evidence {
            kind: EvidenceKind::Ocsp,
            origin: EvidenceOrigin::Embedded,
            subject: "CN=Signer".into(),
            issuer: "CN=Responder".into(),
            this_update: Some(date(2024, 6, 1)),
            next_update: None,
            status,
        }
    }

    fn weighed(found: &[Evidence], signer: bool, w: &Weighing) -> (Vec<Problem>, Vec<String>) {
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        weigh(found, signer, w, &mut problems, &mut notes);
        (problems, notes.iter().map(Reason::to_string).collect())
    }

    #[test]
    fn revocation_before_the_validation_time_counts_after_it_does_not() {
        let revoked = evidence(Status::Revoked { time: date(2024, 3, 1), reason: Some("key compromise") });
        let now = Weighing { at: seconds(date(2025, 1, 1)), proven: false, claimed: None, tsa: false };
        let (p, _) = weighed(std::slice::from_ref(&revoked), true, &now);
        assert_eq!(p.iter().map(|p| p.sub).collect::<Vec<_>>(), [SubIndication::RevokedNoPoe]);
        assert!(p[0].message.contains("revoked on 2024-03-01T00:00:00Z (key compromise)"), "{}", p[0].message);
        let (p, _) = weighed(std::slice::from_ref(&revoked), false, &now);
        assert_eq!(p[0].sub, SubIndication::RevokedCaNoPoe);
        // The signer's own signing time after the revocation: TOTAL-FAILED.
        let claimed = Weighing { claimed: Some(date(2024, 4, 1)), ..now };
        let (p, _) = weighed(std::slice::from_ref(&revoked), true, &claimed);
        assert_eq!(p[0].sub, SubIndication::Revoked);
        // A timestamp proving the signature existed before the revocation: no problem.
        let proven =
            Weighing { at: seconds(date(2024, 2, 1)), proven: true, claimed: Some(date(2024, 1, 31)), tsa: false };
        let (p, n) = weighed(std::slice::from_ref(&revoked), true, &proven);
        assert!(p.is_empty(), "{p:?}");
        assert!(n.iter().any(|n| n.contains("after the time the signature timestamp proves")), "{n:?}");
        // Revoked at exactly the validation time counts.
        let at = Weighing { at: seconds(date(2024, 3, 1)), proven: true, claimed: None, tsa: false };
        assert_eq!(weighed(std::slice::from_ref(&revoked), true, &at).0.len(), 1);
    }

    #[test]
    fn unverifiable_and_unknown_data_is_never_acted_upon() {
        let now = Weighing { at: seconds(date(2025, 1, 1)), proven: false, claimed: None, tsa: false };
        let found = [evidence(Status::Unverifiable("its signature does not verify".into())), evidence(Status::Unknown)];
        let (p, n) = weighed(&found, true, &now);
        assert!(p.is_empty());
        assert!(n[0].contains("cannot be verified and was not used"), "{n:?}");
        assert!(n[1].contains("unknown to the responder"), "{n:?}");
        let (p, n) = weighed(&[evidence(Status::Good)], true, &now);
        assert!(p.is_empty());
        assert_eq!(
            n,
            ["revocation: \"CN=Signer\" is good per the OCSP response of \"CN=Responder\" of 2024-06-01T00:00:00Z"]
        );
    }

    #[test]
    fn malformed_revocation_values_are_reported_not_errors() {
        let mut s = Sources::default();
        // RevocationValues { crlVals [0] { NULL } }: not a SEQUENCE OF.
        assert!(s.add_revocation_values(&[0x30, 0x04, 0xA0, 0x02, 0x05, 0x00]).is_err());
        // Truncated.
        assert!(s.add_revocation_values(&[0x30, 0x05, 0xA1, 0x03, 0x30]).is_err());
        // { ocspVals [1] { SEQUENCE { } } }: one (empty, unreadable later) response, kept once.
        s.add_revocation_values(&[0x30, 0x06, 0xA1, 0x04, 0x30, 0x02, 0x30, 0x00]).unwrap();
        s.add_revocation_values(&[0x30, 0x06, 0xA1, 0x04, 0x30, 0x02, 0x30, 0x00]).unwrap();
        assert_eq!(s.ocsp, vec![vec![0x30, 0x00]]);
        // Not a ContentInfo: no crls field.
        assert!(crls_field(b"garbage").is_none());
    }
}
