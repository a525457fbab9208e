//! Signed attributes checked as received (RFC 5652 §5.4): signatures made by `openssl cms
//! -sign` with a key and certificate `openssl req` makes, then rewritten here byte by byte
//! (the attributes put in another order, the SET re-signed by `openssl dgst -sign`) so that
//! the signer signed attributes that are not in DER order, as some signing applications do.
//! OpenSSL (`openssl cms -verify`) is the reference: what it accepts passes, what it refuses
//! fails. An attribute list reordered after signing verifies in neither form. A signed attribute
//! written twice (a copy made by hand, re-signed; DSS's copied content timestamp) is read and
//! noted, unless RFC 5652 §11 wants it single.

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::verify::verify_p7m;
use cie_sign::{AttributesForm, Indication, Report, SubIndication, Trust};

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
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Scratch, args: &[&str]) -> bool {
    let out = Command::new("openssl").args(args).current_dir(&dir.0).output().expect("openssl (xtask PACKAGES)");
    out.status.success()
}

/// One DER element at `at`: (identifier octet, header length, content length).
fn tlv(buf: &[u8], at: usize) -> (u8, usize, usize) {
    let first = buf[at + 1];
    if first < 0x80 {
        return (buf[at], 2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = buf[at + 2..at + 2 + n].iter().fold(0usize, |acc, b| acc << 8 | usize::from(*b));
    (buf[at], 2 + n, len)
}

/// The offsets of the elements inside the constructed element at `at`.
fn children(buf: &[u8], at: usize) -> Vec<usize> {
    let (_, hdr, len) = tlv(buf, at);
    let (mut pos, end) = (at + hdr, at + hdr + len);
    let mut out = Vec::new();
    while pos < end {
        out.push(pos);
        let (_, h, l) = tlv(buf, pos);
        pos += h + l;
    }
    out
}

/// Where the first SignerInfo's signed attributes `[0]` and signature OCTET STRING lie.
fn locate(p7m: &[u8]) -> (usize, usize) {
    let explicit = children(p7m, 0)[1];
    let signed_data = children(p7m, explicit)[0];
    let set = *children(p7m, signed_data).last().unwrap();
    let si = children(p7m, set)[0];
    let fields = children(p7m, si);
    assert_eq!(p7m[fields[3]], 0xa0, "openssl cms writes signed attributes");
    (fields[3], fields[5])
}

/// The p7m with its first SignerInfo's attributes in the order `order` (indices into the
/// order they have in the file), lengths unchanged.
fn reorder(p7m: &[u8], order: &[usize]) -> Vec<u8> {
    let (attrs, _) = locate(p7m);
    let parts: Vec<&[u8]> = children(p7m, attrs)
        .into_iter()
        .map(|at| {
            let (_, h, l) = tlv(p7m, at);
            &p7m[at..at + h + l]
        })
        .collect();
    assert_eq!(order.len(), parts.len());
    let (_, h, l) = tlv(p7m, attrs);
    let body: Vec<u8> = order.iter().flat_map(|&i| parts[i].iter().copied()).collect();
    assert_eq!(body.len(), l);
    let mut out = p7m.to_vec();
    out[attrs + h..attrs + h + l].copy_from_slice(&body);
    out
}

/// Re-signs the p7m's signed attributes as they now are in the file (tag SET) with
/// `openssl dgst -sha256 -sign`, and writes the new signature value in place.
fn resign(dir: &Scratch, p7m: &[u8]) -> Vec<u8> {
    let (attrs, sig) = locate(p7m);
    let (_, h, l) = tlv(p7m, attrs);
    let mut set = p7m[attrs..attrs + h + l].to_vec();
    set[0] = 0x31;
    std::fs::write(dir.path("attrs.der"), &set).unwrap();
    assert!(openssl(dir, &["dgst", "-sha256", "-sign", "key.pem", "-out", "attrs.sig", "attrs.der"]));
    let value = std::fs::read(dir.path("attrs.sig")).unwrap();
    let (_, sh, sl) = tlv(p7m, sig);
    assert_eq!(value.len(), sl);
    let mut out = p7m.to_vec();
    out[sig + sh..sig + sh + sl].copy_from_slice(&value);
    out
}

/// Whether `openssl cms -verify` (signature only, no chain) accepts `p7m`.
fn openssl_accepts(dir: &Scratch, p7m: &[u8]) -> bool {
    std::fs::write(dir.path("check.p7m"), p7m).unwrap();
    openssl(dir, &["cms", "-verify", "-binary", "-inform", "DER", "-in", "check.p7m", "-noverify", "-out", "/dev/null"])
}

fn verify(dir: &Scratch, p7m: &[u8]) -> Report {
    let mut trust = Trust::none();
    trust.add(&std::fs::read(dir.path("cert.pem")).unwrap()).unwrap();
    verify_p7m(p7m, None, &trust).unwrap()
}

/// A key, its self-signed certificate and an enveloping signature, all by openssl.
fn signed_by_openssl(dir: &Scratch) -> Vec<u8> {
    std::fs::write(dir.path("content.txt"), b"Domanda di iscrizione, firmata.\n").unwrap();
    assert!(openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=Firmatario di prova/C=IT",
            "-days",
            "30",
        ]
    ));
    assert!(openssl(
        dir,
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-md",
            "sha256",
            "-in",
            "content.txt",
            "-signer",
            "cert.pem",
            "-inkey",
            "key.pem",
            "-outform",
            "DER",
            "-out",
            "signed.p7m",
        ]
    ));
    std::fs::read(dir.path("signed.p7m")).unwrap()
}

#[test]
fn attributes_signed_in_the_order_received() {
    let dir = Scratch::new("signed-attributes");
    let p7m = signed_by_openssl(&dir);
    let (attrs, _) = locate(&p7m);
    let n = children(&p7m, attrs).len();
    assert!(n >= 3, "openssl cms signs content-type, signing-time, S/MIME capabilities and message-digest");

    // As openssl wrote it (DER order): verifies as received.
    let r = verify(&dir, &p7m);
    assert_eq!(r.indication(), Indication::TotalPassed, "{:?}", r.signatures);
    assert_eq!(r.signatures[0].signed_attributes, Some(AttributesForm::AsReceived));

    // Reversed and re-signed in that order: OpenSSL accepts it, and so do we, as received.
    let reversed: Vec<usize> = (0..n).rev().collect();
    let unsorted = resign(&dir, &reorder(&p7m, &reversed));
    assert_ne!(unsorted, p7m);
    assert!(openssl_accepts(&dir, &unsorted), "the reference accepts the re-signed file");
    let r = verify(&dir, &unsorted);
    assert_eq!(r.indication(), Indication::TotalPassed, "{:?}", r.signatures);
    assert_eq!(r.signatures[0].signed_attributes, Some(AttributesForm::AsReceived));

    // That file with its attributes rotated once more, not re-signed: neither the order
    // signed nor DER order. OpenSSL refuses it; so do we, in either form.
    let rotated: Vec<usize> = (1..n).chain([0]).collect();
    let moved = reorder(&unsorted, &rotated);
    assert!(!openssl_accepts(&dir, &moved), "the reference refuses attributes reordered after signing");
    let r = verify(&dir, &moved);
    assert_eq!(r.indication(), Indication::TotalFailed, "{:?}", r.signatures);
    assert_eq!(r.sub_indication(), Some(SubIndication::SigCryptoFailure));
    assert_eq!(r.signatures[0].signed_attributes, None);

    // The DER-order signature of openssl with its attributes written reversed (the form a
    // signer that sorts when signing but not when writing produces): the bytes as received
    // do not verify, the DER-sorted form does, and the report says so.
    let written_unsorted = reorder(&p7m, &reversed);
    let r = verify(&dir, &written_unsorted);
    assert_eq!(r.indication(), Indication::TotalPassed, "{:?}", r.signatures);
    assert_eq!(r.signatures[0].signed_attributes, Some(AttributesForm::DerSorted));
    assert!(
        r.signatures[0].notes.iter().map(ToString::to_string).any(|n| n.contains("DER order")),
        "{:?}",
        r.signatures[0].notes
    );

    // An altered content still fails whatever the order: the message digest is checked on the
    // decoded attributes.
    let mut altered = unsorted.clone();
    let at = altered.windows(8).position(|w| w == b"Domanda ").unwrap();
    altered[at] = b'd';
    let r = verify(&dir, &altered);
    assert_eq!(r.sub_indication(), Some(SubIndication::HashFailure), "{:?}", r.signatures);
}

#[test]
fn third_party_attributes_written_out_of_der_order() {
    // DSS's CAdESDigestComputationDERTest (tests/corpus/dss/MANIFEST): the attributes are
    // written out of DER order but were signed in DER order; DSS finds the signature intact,
    // OpenSSL refuses it. Here: intact through the DER-sorted fallback, and said so.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dss/DER_reordered_prova.txt.p7m");
    // The file is BER (indefinite lengths): read as it is.
    let r = verify_p7m(&std::fs::read(path).unwrap(), None, &Trust::none()).unwrap();
    assert_eq!(r.signatures.len(), 1);
    let s = &r.signatures[0];
    assert_eq!(s.signed_attributes, Some(AttributesForm::DerSorted), "{:?}", s.problems);
    assert_ne!(s.indication(), Indication::TotalFailed, "{:?}", s.problems);
    assert_eq!(s.signer.as_ref().unwrap().name, "Nometest1 Cognometest1");
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

/// The p7m with its first SignerInfo's signed attribute `index` written a second time right
/// after itself, every enclosing length rewritten (ContentInfo, [0], SignedData, signerInfos,
/// SignerInfo, [0] signedAttrs).
fn attribute_repeated(p7m: &[u8], index: usize) -> Vec<u8> {
    let explicit = children(p7m, 0)[1];
    let signed_data = children(p7m, explicit)[0];
    let set = *children(p7m, signed_data).last().unwrap();
    let si = children(p7m, set)[0];
    let attrs = children(p7m, si)[3];
    let at = children(p7m, attrs)[index];
    let (_, h, l) = tlv(p7m, at);
    let copy = &p7m[at..at + h + l];
    // Inside out: each element rebuilt with the copy inserted after the attribute.
    let insert = at + h + l;
    let mut path = [0, explicit, signed_data, set, si, attrs];
    path.reverse();
    let mut out = p7m.to_vec();
    out.splice(insert..insert, copy.iter().copied());
    let mut grown = copy.len();
    for &e in &path {
        let (tag, eh, el) = tlv(p7m, e);
        let new = header(tag, el + grown);
        grown += new.len() - eh;
        out.splice(e..e + eh, new);
    }
    out
}

#[test]
fn a_signed_attribute_written_twice() {
    let dir = Scratch::new("repeated-attributes");
    let p7m = signed_by_openssl(&dir);
    let (attrs, _) = locate(&p7m);
    let oids: Vec<Vec<u8>> = children(&p7m, attrs)
        .into_iter()
        .map(|at| {
            let oid = children(&p7m, at)[0];
            let (_, h, l) = tlv(&p7m, oid);
            p7m[oid..oid + h + l].to_vec()
        })
        .collect();
    let find = |oid: &[u8]| oids.iter().position(|o| o.ends_with(oid)).unwrap();
    // S/MIME capabilities (1.2.840.113549.1.9.15) copied whole and the SET re-signed as
    // written: read, TOTAL-PASSED on the bytes as received, the copy noted; OpenSSL agrees.
    let caps = find(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0F]);
    let twice = resign(&dir, &attribute_repeated(&p7m, caps));
    assert!(openssl_accepts(&dir, &twice), "the reference reads the copy");
    let r = verify(&dir, &twice);
    assert_eq!(r.indication(), Indication::TotalPassed, "{:?}", r.signatures);
    assert_eq!(r.signatures[0].signed_attributes, Some(AttributesForm::AsReceived));
    assert!(
        r.signatures[0].notes.iter().any(|n| n.to_string().contains("is written 2 times (identical copies)")),
        "{:?}",
        r.signatures
    );
    // The message-digest attribute (1.2.840.113549.1.9.4) copied and re-signed: RFC 5652 §11.2
    // wants it single, so the signature fails as malformed, whatever the signature value says.
    let digest = find(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04]);
    let twice = resign(&dir, &attribute_repeated(&p7m, digest));
    let r = verify(&dir, &twice);
    assert_eq!(r.indication(), Indication::TotalFailed, "{:?}", r.signatures);
    assert_eq!(r.sub_indication(), Some(SubIndication::FormatFailure));
    assert!(
        r.signatures[0]
            .problems
            .iter()
            .any(|p| p.message.contains("message-digest signed attribute is written more than once")),
        "{:?}",
        r.signatures
    );
    // The content-type attribute likewise.
    let content_type = find(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03]);
    let r = verify(&dir, &resign(&dir, &attribute_repeated(&p7m, content_type)));
    assert_eq!(r.sub_indication(), Some(SubIndication::FormatFailure), "{:?}", r.signatures);
}

#[test]
fn third_party_copied_content_timestamp() {
    // DSS's CAdESLevelBWithCopiedContentTstTest (tests/corpus/esig-dss/MANIFEST): its content
    // timestamp signed attribute written twice; DSS finds the signature intact and valid,
    // OpenSSL too. Here: read, the signature intact on the attributes as received, the copy
    // noted.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/esig-dss/cades-cades-b-copied-cnttst.p7m");
    let r = verify_p7m(&std::fs::read(path).unwrap(), None, &Trust::none()).unwrap();
    assert_eq!(r.signatures.len(), 1);
    let s = &r.signatures[0];
    assert_eq!(s.signed_attributes, Some(AttributesForm::AsReceived), "{:?}", s.problems);
    assert_ne!(s.indication(), Indication::TotalFailed, "{:?}", s.problems);
    assert!(
        s.notes.iter().any(|n| n.to_string().contains("the signed attribute content-time-stamp is written 2 times")),
        "{:?}",
        s.notes
    );
}
