//! CAdES archive time-stamps (issue 23 item 4): archive-time-stamp-v2 and -v3 of DSS's test
//! files (enveloping and detached, one to two per signature, v3 with ats-hash-index and
//! ats-hash-index-v3) verified intact and reported, and copies altered by hand (a byte of the
//! data an archive time-stamp covers, a byte of its token) failing with "the archive timestamp
//! does not match".

use std::path::{Path, PathBuf};

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
}
