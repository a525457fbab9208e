//! Every signature in the file, each with its level (docs/VERIFY.md "Levels"): parallel
//! signers made by `openssl cms -sign` / `-resign`, countersignatures in DSS's public test
//! suite (tests/corpus/dss, MANIFEST), envelopes inside envelopes made by `openssl cms -sign`
//! of a `.p7m`, and a `.p7m` of a PDF that pyHanko's suite signed. A broken countersignature
//! fails on its own line and makes the document fail; an inner content altered before the
//! outer signature fails at the inner level; nesting beyond the bound ends in a limit error.

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::{verify_file, Error, Indication, Report, Silent, SubIndication, Trust};

/// A fresh directory under the target's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl").args(args).current_dir(&self.0).output().expect("openssl (xtask PACKAGES)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    /// Key `NAME.key` and self-signed certificate `NAME.pem`.
    fn signer(&self, name: &str) {
        let (key, cert, subj) = (format!("{name}.key"), format!("{name}.pem"), format!("/CN={name}/C=IT"));
        self.openssl(&[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &cert, "-subj", &subj, "-days",
            "30",
        ]);
    }
    /// `openssl cms -sign` of `input` by `who` into `output` (enveloping, DER).
    fn sign(&self, who: &str, input: &str, output: &str) {
        let (key, cert) = (format!("{who}.key"), format!("{who}.pem"));
        self.openssl(&[
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-md",
            "sha256",
            "-in",
            input,
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-outform",
            "DER",
            "-out",
            output,
        ]);
    }
    fn trust(&self, names: &[&str]) -> Trust {
        let mut t = Trust::none();
        for n in names {
            t.add(&std::fs::read(self.path(&format!("{n}.pem"))).unwrap()).unwrap();
        }
        t
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn levels(r: &Report) -> Vec<&str> {
    r.signatures.iter().map(|s| s.level.as_str()).collect()
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dss").join(name)
}

/// (tag, header length, content length) of the element at `at`.
fn tlv(buf: &[u8], at: usize) -> (u8, usize, usize) {
    let first = buf[at + 1];
    if first < 0x80 {
        return (buf[at], 2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    (buf[at], 2 + n, buf[at + 2..at + 2 + n].iter().fold(0usize, |a, b| a << 8 | usize::from(*b)))
}

fn children(buf: &[u8], at: usize) -> Vec<usize> {
    let (_, h, l) = tlv(buf, at);
    let (mut pos, end) = (at + h, at + h + l);
    let mut out = Vec::new();
    while pos < end {
        out.push(pos);
        let (_, h, l) = tlv(buf, pos);
        pos += h + l;
    }
    out
}

#[test]
fn countersignature_of_a_third_party_file() {
    // DSS's CAdESDetachedWithCounterSigTest: one signature and its countersignature, both
    // intact (DSS expects the signatures intact; the certificates expired since).
    let dir = Scratch::new("countersig");
    // The file is BER (indefinite lengths): read as it is.
    let der = std::fs::read(corpus("detached_with_counter_sig.p7s")).unwrap();
    std::fs::write(dir.path("cs.p7s"), &der).unwrap();
    let content = corpus("detached_with_counter_sig");
    let r = verify_file(&dir.path("cs.p7s"), Some(&content), &Trust::none(), &mut Silent).unwrap();
    assert_eq!(levels(&r), ["1", "1.1"]);
    assert_eq!(r.signatures[1].countersigns(), Some("1"));
    assert_eq!(r.signatures[1].signer.as_ref().unwrap().name, "Jakub Lejtnar");
    for s in &r.signatures {
        assert_ne!(s.indication(), Indication::TotalFailed, "{} {:?}", s.level, s.problems);
    }

    // The countersignature's value altered (its last byte, written here): that signature
    // fails with its reason, the main one stays as it was, the document fails.
    let counter_oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x06];
    let at = der.windows(counter_oid.len()).position(|w| w == counter_oid).unwrap() + counter_oid.len();
    let si = children(&der, at)[0];
    // The signature OCTET STRING (an unsigned timestamp follows it).
    let value = children(&der, si).into_iter().rfind(|&c| der[c] == 0x04).unwrap();
    let (_, h, l) = tlv(&der, value);
    let mut broken = der.clone();
    broken[value + h + l - 1] ^= 0x01;
    std::fs::write(dir.path("broken.p7s"), &broken).unwrap();
    let b = verify_file(&dir.path("broken.p7s"), Some(&content), &Trust::none(), &mut Silent).unwrap();
    assert_eq!(levels(&b), ["1", "1.1"]);
    assert_eq!(b.signatures[0].indication(), r.signatures[0].indication(), "{:?}", b.signatures[0].problems);
    assert_eq!(b.signatures[1].indication(), Indication::TotalFailed);
    assert_eq!(b.signatures[1].sub_indication(), Some(SubIndication::SigCryptoFailure));
    assert_eq!(b.indication(), Indication::TotalFailed);
    assert_eq!(b.sub_indication(), Some(SubIndication::SigCryptoFailure));
}

#[test]
fn parallel_signers_and_envelopes_inside_envelopes() {
    let dir = Scratch::new("nested");
    dir.signer("alice");
    dir.signer("bob");
    let trust = dir.trust(&["alice", "bob"]);
    std::fs::write(dir.path("domanda.txt"), b"Domanda di iscrizione.\n").unwrap();

    // Parallel signers: alice signs, bob adds his SignerInfo with openssl cms -resign.
    dir.sign("alice", "domanda.txt", "one.p7m");
    dir.openssl(&[
        "cms", "-resign", "-binary", "-inform", "DER", "-in", "one.p7m", "-signer", "bob.pem", "-inkey", "bob.key",
        "-outform", "DER", "-out", "two.p7m",
    ]);
    let r = verify_file(&dir.path("two.p7m"), None, &trust, &mut Silent).unwrap();
    assert_eq!(levels(&r), ["1", "2"]);
    assert!(r.all_valid(), "{:?}", r.signatures);
    let names: Vec<&str> = r.signatures.iter().map(|s| s.signer.as_ref().unwrap().name.as_str()).collect();
    assert!(names.contains(&"alice") && names.contains(&"bob"), "{names:?}");

    // Busta nella busta: bob signs alice's .p7m, then alice signs that; verified streaming
    // from the file and in memory (Base64).
    dir.sign("bob", "one.p7m", "nested.p7m");
    dir.sign("alice", "nested.p7m", "nested2.p7m");
    let r = verify_file(&dir.path("nested2.p7m"), None, &trust, &mut Silent).unwrap();
    assert_eq!(levels(&r), ["1", "1/1", "1/1/1"]);
    assert!(r.all_valid(), "{:?}", r.signatures);
    assert_eq!(r.signatures[2].signer.as_ref().unwrap().name, "alice");
    let r = cie_sign::nested::verify_p7m(&std::fs::read(dir.path("nested.p7m")).unwrap(), None, &trust).unwrap();
    assert_eq!(levels(&r), ["1", "1/1"]);
    assert!(r.all_valid());

    // The inner content altered before the outer signature was made: the outer signature
    // holds, the inner one fails, and so does the document.
    let mut altered = std::fs::read(dir.path("one.p7m")).unwrap();
    let at = altered.windows(7).position(|w| w == b"Domanda").unwrap();
    altered[at] = b'd';
    std::fs::write(dir.path("altered.p7m"), &altered).unwrap();
    dir.sign("bob", "altered.p7m", "outer.p7m");
    let r = verify_file(&dir.path("outer.p7m"), None, &trust, &mut Silent).unwrap();
    assert_eq!(levels(&r), ["1", "1/1"]);
    assert!(r.signatures[0].is_valid(), "{:?}", r.signatures[0].problems);
    assert_eq!(r.signatures[1].sub_indication(), Some(SubIndication::HashFailure));
    assert_eq!(r.indication(), Indication::TotalFailed);

    // Nested beyond the bound: a limit error, not unbounded work.
    let mut last = "one.p7m".to_string();
    for i in 0..cie_sign::nested::MAX_ENVELOPE_DEPTH {
        let next = format!("deep{i}.p7m");
        dir.sign("bob", &last, &next);
        last = next;
    }
    let e = verify_file(&dir.path(&last), None, &trust, &mut Silent).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e}");
}

#[test]
fn envelope_of_a_signed_pdf() {
    // pyHanko's sig-with-ski-sid.pdf (test_verify_sig_with_ski_sid: intact), signed again
    // as a whole by openssl cms -sign, as Italian offices do with a PAdES PDF.
    let suite = std::env::var_os("CIE_PYHANKO_SDIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/third-party/pyhanko-0.38.0"));
    let pdf = suite.join("pyhanko_testing_commons/test_data/data/pdf/sig-with-ski-sid.pdf");
    assert!(pdf.is_file(), "{} missing: run `cargo xtask test` (it fetches pyHanko's sdist)", pdf.display());
    let dir = Scratch::new("pdf-envelope");
    dir.signer("carla");
    std::fs::copy(&pdf, dir.path("doc.pdf")).unwrap();
    dir.sign("carla", "doc.pdf", "doc.pdf.p7m");
    let r = verify_file(&dir.path("doc.pdf.p7m"), None, &dir.trust(&["carla"]), &mut Silent).unwrap();
    assert_eq!(levels(&r), ["1", "1/1"]);
    assert!(r.signatures[0].is_valid(), "{:?}", r.signatures[0].problems);
    assert!(r.signatures[1].field.is_some());
    assert_ne!(r.signatures[1].indication(), Indication::TotalFailed, "{:?}", r.signatures[1].problems);
    assert!(r.modifications.is_empty());
}

/// `si` with `inner` as its only countersignature (the attribute written here, unsigned).
fn countersigned_by(
    mut si: cms::signed_data::SignerInfo,
    inner: &cms::signed_data::SignerInfo,
) -> cms::signed_data::SignerInfo {
    use der::asn1::{Any, SetOfVec};
    let value = Any::encode_from(inner).unwrap();
    let attr = x509_cert::attr::Attribute {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.6"),
        values: SetOfVec::try_from(vec![value]).unwrap(),
    };
    si.unsigned_attrs = Some(SetOfVec::try_from(vec![attr]).unwrap());
    si
}

/// The SignedData of `p7m` with its only SignerInfo replaced by `si`, as a DER ContentInfo.
fn with_signer_info(p7m: &[u8], si: cms::signed_data::SignerInfo) -> Vec<u8> {
    use der::Encode;
    let mut sd = cie_sign::cades::parse_signed_data(p7m).unwrap();
    sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    let ci = cms::content_info::ContentInfo {
        content_type: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2"),
        content: der::asn1::Any::encode_from(&sd).unwrap(),
    };
    ci.to_der().unwrap()
}

#[test]
fn countersignatures_that_do_not_sign_their_parent_and_nesting_past_the_bound() {
    let dir = Scratch::new("counter-depth");
    dir.signer("dario");
    std::fs::write(dir.path("t.txt"), b"Atto.\n").unwrap();
    dir.sign("dario", "t.txt", "t.p7m");
    let p7m = std::fs::read(dir.path("t.p7m")).unwrap();
    let trust = dir.trust(&["dario"]);
    let si = cie_sign::cades::parse_signed_data(&p7m).unwrap().signer_infos.0.get(0).unwrap().clone();

    // The signature's own SignerInfo copied in as its countersignature, twice nested: the
    // copies sign the content, not the value above them, so each fails on its own line
    // (message digest, no content-type allowed) while signature 1 stays valid.
    let two = countersigned_by(si.clone(), &countersigned_by(si.clone(), &si));
    let r = cie_sign::nested::verify_p7m(&with_signer_info(&p7m, two), None, &trust).unwrap();
    assert_eq!(levels(&r), ["1", "1.1", "1.1.1"]);
    assert!(r.signatures[0].is_valid(), "{:?}", r.signatures[0].problems);
    for s in &r.signatures[1..] {
        assert_eq!(s.indication(), Indication::TotalFailed, "{}: {:?}", s.level, s.problems);
        assert!(s.problems.iter().any(|p| p.message.contains("content-type")), "{:?}", s.problems);
    }
    assert_eq!(r.signatures[2].countersigns(), Some("1.1"));
    assert_eq!(r.indication(), Indication::TotalFailed);

    // Nested one deeper than the bound: a limit error.
    let mut deep = si.clone();
    for _ in 0..=cie_sign::verify::MAX_COUNTERSIGNATURE_DEPTH {
        deep = countersigned_by(si.clone(), &deep);
    }
    let e = cie_sign::nested::verify_p7m(&with_signer_info(&p7m, deep), None, &trust).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e}");
}
