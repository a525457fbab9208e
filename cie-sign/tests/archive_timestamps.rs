//! CAdES archive time-stamps (issue 23 item 4): archive-time-stamp-v2 and -v3 of DSS's test
//! files (enveloping and detached, one to two per signature, v3 with ats-hash-index and
//! ats-hash-index-v3) verified intact and reported, and copies altered by hand (a byte of the
//! data an archive time-stamp covers, a byte of its token) failing with "the archive timestamp
//! does not match". A real TSA on the loopback (`openssl ts`, tests/common/tsa.rs) time-stamps
//! the v2 imprint of a signature, computed and inserted here by hand: once the signer's
//! certificate has expired, the archive time-stamp proves the signature existed in time.

#[path = "common/certs.rs"]
mod certs;
#[path = "common/http_request.rs"]
mod http_request;
#[path = "common/revocation_pki.rs"]
mod revocation_pki;
#[path = "common/tsa.rs"]
mod tsa;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use certs::{certificate, cn, test_key, years, HandSigner, Spec};
use cie_sign::cades::{self, SignOptions};
use cie_sign::der::asn1::UtcTime;
use cie_sign::der::DateTime;
use cie_sign::HashAlg;
use x509_cert::time::{Time, Validity};

use cie_sign::timestamp::TimestampKind;
use cie_sign::{verify_file, Indication, Report, Silent, SubIndication, Trust};

fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/esig-dss").join(file)
}

fn verify(file: &Path, content: Option<&str>) -> Report {
    let content = content.map(corpus);
    verify_file(file, content.as_deref(), &Trust::none(), &mut Silent).unwrap()
}

/// DSS's files with archive time-stamps: (file, detached content, archive time-stamps).
const FILES: &[(&str, Option<&str>, usize)] = &[
    // v3 with ats-hash-index, twice.
    ("cades-CAdESDoubleLTA.p7m", None, 2),
    ("cades-Signature-C-A-XL-1.p7m", None, 1),
    // A v2 and a v3 on one signature.
    ("cades-Signature-C-B-LTA-10.p7m", None, 2),
    // v2 on each of two signatures.
    ("cades-dss-1619-CAdES-XL-T1-Double-AV2.png.p7m", None, 2),
    // v3 with ats-hash-index-v3, written twice.
    ("cades-cades-lta-duplicated-atst.p7m", None, 2),
    ("cades-cades-ats-v3-rev-val-crl.p7s", Some("cades-dss-1469-screenshot2.png"), 2),
    ("cades-cades-ats-v3-wrong-cert.p7m", None, 1),
    // Detached, v2 (two, the later one archiving the earlier one), hashed with the content.
    ("cades-dss-1670-signatureExtendedTwoLTA.p7s", Some("cades-dss-1344-screenshot.png"), 2),
    ("cades-dss-2011-cades-tstv2-detached.p7s", Some("cades-dss-2011-data.txt"), 1),
    ("cades-dss-916-test.txt.signed_Certipost-2048.detached.old.p7s", Some("cades-dss-916-test.txt"), 1),
    ("cades-dss-1344-screenshot.png.signed_qes_detached.p7s", Some("cades-dss-1344-screenshot.png"), 1),
    // Detached without its content: v2 over the encapContentInfo alone.
    ("cades-dss2059.p7s", None, 1),
    ("cades-cades_signeddata_extended_after_lta.p7m", None, 2),
    ("cades-cades-dss1997.p7m", None, 1),
    ("cades-Signature-C-HU_POL-3.p7m", None, 1),
    ("cades-dss-1220-CAdES-BpLTA_removed_ocsp.p7m", None, 1),
    // BER, verified streaming (the encapContentInfo's DER rebuilt around the content).
    ("../ber/dss-Signature-C-CZ_SIX-1.p7m", None, 1),
    ("../ber/dss-Signature-C-HU_POL-3.p7m", None, 1),
];

#[test]
fn third_party_archive_timestamps_match() {
    for (file, content, expected) in FILES {
        let report = verify(&corpus(file), *content);
        let archives: Vec<_> = report
            .signatures
            .iter()
            .flat_map(|s| s.timestamps.iter())
            .filter(|t| t.kind == TimestampKind::Archive)
            .collect();
        assert_eq!(archives.len(), *expected, "{file}");
        for t in archives {
            assert!(t.time.is_some(), "{file}");
            // Intact: nothing TOTAL-FAILED (the TSAs' certificates have expired and no anchor
            // is given, so INDETERMINATE).
            assert_ne!(t.indication(), Indication::TotalFailed, "{file}: {:?}", t.problems);
            assert!(t.problems.iter().all(|p| p.sub != SubIndication::HashFailure), "{file}: {:?}", t.problems);
        }
        for s in &report.signatures {
            assert!(s.problems.iter().all(|p| !p.message.contains("archive timestamp")), "{file}: {:?}", s.problems);
        }
        // The hash index: DSS's files built with a wrong or stale one (DSS's tests of them find
        // it invalid, a warning in its default policy, as here).
        let stale = report
            .signatures
            .iter()
            .flat_map(|s| s.timestamps.iter())
            .any(|t| t.notes.iter().any(|n| n.to_string().contains("hash index does not match")));
        let expected_stale = [
            "cades-cades-ats-v3-rev-val-crl.p7s",
            "cades-cades-ats-v3-wrong-crl.p7s",
            "cades-cades-ats-v3-wrong-cert.p7m",
            "cades-dss-1220-CAdES-BpLTA_removed_ocsp.p7m",
            "cades-cades-dss1997.p7m",
        ];
        assert_eq!(stale, expected_stale.contains(file), "{file}");
    }
}

/// `file`'s bytes with the byte at `at` changed.
fn altered(file: &str, at: usize, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(corpus(file)).unwrap();
    bytes[at] ^= 0x01;
    let dir = std::env::temp_dir().join(format!("cie-sign-ats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The offset of the last byte of the DER element starting at `at` in `file`.
fn element_end(file: &str, at: usize) -> usize {
    let bytes = std::fs::read(corpus(file)).unwrap();
    let (len, header) = match bytes[at + 1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let k = usize::from(n & 0x7F);
            (bytes[at + 2..at + 2 + k].iter().fold(0, |a, b| a << 8 | usize::from(*b)), 2 + k)
        }
    };
    at + header + len - 1
}

/// Where `needle` is in `file`, the `nth` time.
fn find(file: &str, needle: &[u8], nth: usize) -> usize {
    let bytes = std::fs::read(corpus(file)).unwrap();
    bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).nth(nth).unwrap()
}

fn assert_archive_fails(path: &Path, content: Option<&str>) {
    let report = verify(path, content);
    assert_eq!(report.indication(), Indication::TotalFailed, "{}", path.display());
    let s = &report.signatures[0];
    assert!(
        s.problems.iter().any(|p| p.message.starts_with("the archive timestamp does not match")
            && p.sub.indication() == Indication::TotalFailed),
        "{}: {:?}",
        path.display(),
        s.problems
    );
    assert!(s.timestamps.iter().any(|t| t.kind == TimestampKind::Archive && t.indication() == Indication::TotalFailed));
}

#[test]
fn hand_altered_copies_fail() {
    // v2 (dss-1619): a byte of the complete-certificate-refs attribute (id-aa-ets-certificateRefs,
    // 1.2.840.113549.1.9.16.2.21), which only the archive time-stamp covers: the last byte of
    // its values (inside the last reference's serial number).
    let refs = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x15];
    let file = "cades-dss-1619-CAdES-XL-T1-Double-AV2.png.p7m";
    let at = element_end(file, find(file, &refs, 0) + refs.len());
    assert_archive_fails(&altered(file, at, "v2-refs.p7m"), None);
    // v2 detached (dss-1344): the same, with the content given.
    let file = "cades-dss-1344-screenshot.png.signed_qes_detached.p7s";
    let at = element_end(file, find(file, &refs, 0) + refs.len());
    assert_archive_fails(&altered(file, at, "v2-detached.p7s"), Some("cades-dss-1344-screenshot.png"));
    // v3 (CAdESDoubleLTA): a byte of the ats-hash-index (0.4.0.1733.2.5) inside the first
    // archive token, outside what its TSA signs: its last byte (inside the last hash).
    let index = [0x06, 0x06, 0x04, 0x00, 0x8D, 0x45, 0x02, 0x05];
    let file = "cades-CAdESDoubleLTA.p7m";
    let at = element_end(file, find(file, &index, 0) + index.len());
    assert_archive_fails(&altered(file, at, "v3-index.p7m"), None);
    // v3: a byte of the token's TSTInfo imprint (the last byte before genTime's tag 0x18 0x0F
    // in the archive token: the imprint's hash ends there... found as the OID of the v3
    // attribute, then the first GeneralizedTime after it).
    let v3 = [0x06, 0x06, 0x04, 0x00, 0x8D, 0x45, 0x02, 0x04];
    let bytes = std::fs::read(corpus(file)).unwrap();
    let start = find(file, &v3, 0);
    let serial_and_time = bytes[start..].windows(2).position(|w| w == [0x18, 0x0F] || w == [0x18, 0x13]).unwrap();
    // Back over the serial number INTEGER: the imprint's OCTET STRING ends before it.
    let time_at = start + serial_and_time;
    let int_at = (time_at.saturating_sub(40)..time_at)
        .rev()
        .find(|&i| bytes[i] == 0x02 && usize::from(bytes[i + 1]) + i + 2 == time_at)
        .unwrap();
    assert_archive_fails(&altered(file, int_at - 1, "v3-imprint.p7m"), None);
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("cie-sign-ats-{}", std::process::id())));
}

/// One DER element at `at`: (header length, content length).
fn tlv(buf: &[u8], at: usize) -> (usize, usize) {
    let first = buf[at + 1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    (2 + n, buf[at + 2..at + 2 + n].iter().fold(0usize, |acc, b| acc << 8 | usize::from(*b)))
}

/// The offsets of the elements inside the constructed element at `at`.
fn children(buf: &[u8], at: usize) -> Vec<usize> {
    let (h, l) = tlv(buf, at);
    let (mut pos, end) = (at + h, at + h + l);
    let mut out = Vec::new();
    while pos < end {
        out.push(pos);
        let (eh, el) = tlv(buf, pos);
        pos += eh + el;
    }
    out
}

/// A DER header: `tag` and the length `len`.
fn header(tag: u8, len: usize) -> Vec<u8> {
    match len {
        0..0x80 => vec![tag, len as u8],
        0x80..0x100 => vec![tag, 0x81, len as u8],
        0x100..0x10000 => vec![tag, 0x82, (len >> 8) as u8, len as u8],
        _ => vec![tag, 0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8],
    }
}

fn element(buf: &[u8], at: usize) -> &[u8] {
    let (h, l) = tlv(buf, at);
    &buf[at..at + h + l]
}

/// The archive-time-stamp-v2 imprint input of the only SignerInfo of `p7m` (a DER ContentInfo),
/// per ETSI TS 101 733 §6.4.1, written here from the standard: the encapContentInfo, the
/// certificates and crls fields, then the SignerInfo's fields, its unsigned attributes so far
/// with their `[1]` tag and length.
fn v2_input(p7m: &[u8]) -> Vec<u8> {
    let explicit = children(p7m, 0)[1];
    let sd = children(p7m, explicit)[0];
    let fields = children(p7m, sd);
    let mut input = element(p7m, fields[2]).to_vec();
    for &f in &fields[3..fields.len() - 1] {
        input.extend_from_slice(element(p7m, f));
    }
    let si = children(p7m, *fields.last().unwrap())[0];
    for f in children(p7m, si) {
        input.extend_from_slice(element(p7m, f));
    }
    input
}

/// `p7m` with `attribute` (DER) added last to the unsigned attributes `[1]` of its only
/// SignerInfo (the field made when there is none), every enclosing length rewritten.
fn with_unsigned_attribute(p7m: &[u8], attribute: &[u8]) -> Vec<u8> {
    let explicit = children(p7m, 0)[1];
    let sd = children(p7m, explicit)[0];
    let set = *children(p7m, sd).last().unwrap();
    let si = children(p7m, set)[0];
    let last = *children(p7m, si).last().unwrap();
    let (added, mut path) = if p7m[last] == 0xA1 {
        (attribute.to_vec(), vec![last, si, set, sd, explicit, 0])
    } else {
        ([header(0xA1, attribute.len()), attribute.to_vec()].concat(), vec![si, set, sd, explicit, 0])
    };
    let (h, l) = tlv(p7m, path[0]);
    let insert = path[0] + h + l;
    let mut out = p7m.to_vec();
    out.splice(insert..insert, added.iter().copied());
    let mut grown = added.len();
    for e in path.drain(..) {
        let (eh, el) = tlv(p7m, e);
        let new = header(p7m[e], el + grown);
        grown += new.len() - eh;
        out.splice(e..e + eh, new);
    }
    out
}

/// `p7m` with an archive-time-stamp-v2 attribute from `tsa` added by hand: SEQUENCE {
/// id-aa-ets-archiveTimestampV2, SET { token over [`v2_input`] } }.
fn archive(tsa: &tsa::LocalTsa, p7m: &[u8]) -> Vec<u8> {
    let token = tsa.token_for_digest(&HashAlg::Sha256.hash(&v2_input(p7m)));
    let oid = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x30];
    let set = [header(0x31, token.len()), token].concat();
    let attribute = [header(0x30, oid.len() + set.len()), oid.to_vec(), set].concat();
    with_unsigned_attribute(p7m, &attribute)
}

fn utc_from_now(secs: i64) -> Time {
    let now = SystemTime::now();
    let t = if secs >= 0 { now + Duration::from_secs(secs as u64) } else { now - Duration::from_secs((-secs) as u64) };
    Time::UtcTime(UtcTime::from_date_time(DateTime::from_system_time(t).unwrap()).unwrap())
}

#[test]
fn a_verified_archive_timestamp_proves_existence() {
    let scratch = std::env::temp_dir().join(format!("cie-sign-ats-poe-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let tsa = tsa::LocalTsa::start(&scratch);
    let ca_key = test_key("ats-ca");
    let key = test_key("ats-signer");
    let ca = certificate(&Spec {
        serial: 1,
        subject: cn("cie archive test CA"),
        issuer: cn("cie archive test CA"),
        validity: years(2020, 2040),
        ca: true,
        subject_key: &ca_key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let cert = certificate(&Spec {
        serial: 2,
        subject: cn("MARIO ROSSI"),
        issuer: cn("cie archive test CA"),
        validity: Validity { not_before: utc_from_now(-3600), not_after: utc_from_now(4) },
        ca: false,
        subject_key: &key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let mut signer = HandSigner { key, cert };
    let mut plain = Vec::new();
    cades::sign_enveloping(
        &mut signer,
        &SignOptions::default(),
        &mut Cursor::new(b"verbale n. 7".to_vec()),
        &mut plain,
        &mut Silent,
    )
    .unwrap();
    // The archive time-stamp: its token over the v2 imprint, in the attribute
    // SEQUENCE { id-aa-ets-archiveTimestampV2, SET { token } }.
    let archived = archive(&tsa, &plain);
    let mut trust = Trust::none();
    trust.add(&ca).unwrap();
    trust.add(&tsa.root_pem()).unwrap();
    let verify_bytes = |bytes: &[u8]| cie_sign::verify::verify_p7m(bytes, None, &trust).unwrap();

    let r = verify_bytes(&archived);
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    let t = &r.signatures[0].timestamps[0];
    assert_eq!(t.kind, TimestampKind::Archive);
    assert!(t.proves_existence(), "{t:?}");

    // Once the signer's certificate has expired: the archive time-stamp proves the signature
    // existed while it was valid; without it, nothing does.
    std::thread::sleep(Duration::from_secs(6));
    let r = verify_bytes(&archived);
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    let r = verify_bytes(&plain);
    assert_eq!(
        (r.indication(), r.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::OutOfBoundsNoPoe))
    );
    // The TSA not trusted: the archive time-stamp is no proof.
    let mut signer_only = Trust::none();
    signer_only.add(&ca).unwrap();
    let r = cie_sign::verify::verify_p7m(&archived, None, &signer_only).unwrap();
    assert_eq!(
        (r.indication(), r.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::OutOfBoundsNoPoe))
    );
    // A byte of the signature value changed by hand: the signature and the archive time-stamp
    // both fail.
    let mut altered = archived.clone();
    let explicit = children(&altered, 0)[1];
    let sd = children(&altered, explicit)[0];
    let si = children(&altered, *children(&altered, sd).last().unwrap())[0];
    let value = children(&altered, si)[5];
    let (h, _) = tlv(&altered, value);
    altered[value + h + 10] ^= 0x01;
    let r = verify_bytes(&altered);
    assert_eq!(r.indication(), Indication::TotalFailed);
    assert!(r.signatures[0].problems.iter().any(|p| p.message.starts_with("the archive timestamp does not match")));
    drop(tsa);
    let _ = std::fs::remove_dir_all(scratch);
}

/// Past signature validation kept simple (ETSI EN 319 102-1 §5.6.2.4): a signature timestamp
/// whose TSA certificate (from the loopback PKI, `openssl ca -enddate`) expires seconds later,
/// then an archive time-stamp v2 (another TSA, inserted by hand) over the signature and that
/// timestamp. Once the first TSA's certificate has expired, the signature timestamp alone proves
/// nothing (OUT_OF_BOUNDS_NO_POE); under the archive time-stamp it is validated at the archive's
/// time and proves the signature's time again.
#[test]
fn an_archive_timestamp_keeps_an_earlier_timestamp_valid() {
    let scratch = std::env::temp_dir().join(format!("cie-sign-ats-earlier-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let pki = revocation_pki::RevocationPki::start(&scratch, "ats");
    let end = DateTime::from_system_time(SystemTime::now() + Duration::from_secs(5)).unwrap();
    let end = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        end.year() % 100,
        end.month(),
        end.day(),
        end.hour(),
        end.minutes(),
        end.seconds()
    );
    pki.issue_until("tsa1", "tsa", &end);
    let dir = pki.dir().to_path_buf();
    let first = tsa::LocalTsa::start_with(&scratch, &dir.join("tsa1.pem"), &dir.join("tsa1.key"), &pki.ca_path());
    let ca_key = test_key("ats-ca");
    let key = test_key("ats-signer");
    let ca = certificate(&Spec {
        serial: 1,
        subject: cn("cie archive test CA"),
        issuer: cn("cie archive test CA"),
        validity: years(2020, 2040),
        ca: true,
        subject_key: &ca_key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let cert = certificate(&Spec {
        serial: 3,
        subject: cn("MARIO ROSSI"),
        issuer: cn("cie archive test CA"),
        validity: years(2020, 2040),
        ca: false,
        subject_key: &key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let mut signer = HandSigner { key, cert };
    let mut stamped = Vec::new();
    let options = SignOptions { timestamp: Some(first.url().to_owned()), ..SignOptions::default() };
    cades::sign_enveloping(
        &mut signer,
        &options,
        &mut Cursor::new(b"verbale n. 8".to_vec()),
        &mut stamped,
        &mut Silent,
    )
    .unwrap();
    drop(first);
    let second = tsa::LocalTsa::start(&scratch);
    let archived = archive(&second, &stamped);
    let mut trust = Trust::none();
    for anchor in [ca, std::fs::read(pki.ca_path()).unwrap(), second.root_pem()] {
        trust.add(&anchor).unwrap();
    }
    let kinds = |r: &Report| -> Vec<(TimestampKind, bool)> {
        r.signatures[0].timestamps.iter().map(|t| (t.kind, t.proves_existence())).collect()
    };
    let r = cie_sign::verify::verify_p7m(&archived, None, &trust).unwrap();
    assert_eq!(kinds(&r), [(TimestampKind::Signature, true), (TimestampKind::Archive, true)], "{r:?}");

    std::thread::sleep(Duration::from_secs(7));
    let r = cie_sign::verify::verify_p7m(&stamped, None, &trust).unwrap();
    let t = &r.signatures[0].timestamps[0];
    assert_eq!(
        (t.indication(), t.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::OutOfBoundsNoPoe))
    );
    let r = cie_sign::verify::verify_p7m(&archived, None, &trust).unwrap();
    assert_eq!(kinds(&r), [(TimestampKind::Signature, true), (TimestampKind::Archive, true)], "{r:?}");
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
    drop(second);
    drop(pki);
    let _ = std::fs::remove_dir_all(scratch);
}
