//! CAdES and PAdES signing and verification with the simulated card in-process and a second,
//! software signer under another CA: round trips, co-signatures, several PDF signatures,
//! tampering of content, attributes and signature, and untrusted chains.

mod common;

use std::io::Cursor;

use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::verify::verify_p7m;
use cie_sign::{Chain, HashAlg, Trust};
use cie_sim::fixtures;
use common::*;

fn citizen_ca() -> Trust {
    let mut t = Trust::none();
    t.add(fixtures::citizen_ca_certificate()).unwrap();
    t
}

fn both_cas() -> Trust {
    let mut t = citizen_ca();
    t.add(fixtures::csca_certificate()).unwrap();
    t
}

/// The offset of `needle` in `hay` (once).
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("needle present")
}

#[test]
fn enveloping_round_trip_extract_and_chain() {
    let (_h, mut s) = card();
    let content = b"Domanda di iscrizione anagrafica\n".repeat(5000);
    let mut p7m = Vec::new();
    let n = cades::sign_enveloping(
        &mut s,
        &SignOptions::default(),
        &mut Cursor::new(&content),
        &mut p7m,
        &mut cie_sign::Silent,
    )
    .unwrap();
    assert_eq!(n, content.len() as u64);
    assert_eq!(cades::extract(&p7m).unwrap(), content);

    let r = verify_p7m(&p7m, None, &citizen_ca()).unwrap();
    assert!(r.all_valid(), "{r:?}");
    let sig = &r.signatures[0];
    let who = sig.signer.as_ref().unwrap();
    assert_eq!(who.name, "MARIO ROSSI");
    assert_eq!(who.fiscal_code.as_deref(), Some("RSSMRA80A01H501U"));
    assert!(sig.cades && sig.signing_time.is_some() && sig.hash == Some(HashAlg::Sha256));
    assert!(matches!(sig.chain, Chain::Trusted(_)), "{:?}", sig.chain);

    // Without anchors: intact but untrusted (INDETERMINATE). With the wrong CA: not valid.
    let r = verify_p7m(&p7m, None, &Trust::none()).unwrap();
    assert!(!r.all_valid() && r.signatures[0].chain == Chain::NotChecked);
    assert_eq!(r.indication(), cie_sign::Indication::Indeterminate);
    let mut wrong = Trust::none();
    wrong.add(fixtures::csca_certificate()).unwrap();
    let r = verify_p7m(&p7m, None, &wrong).unwrap();
    assert!(!r.all_valid() && matches!(r.signatures[0].chain, Chain::Untrusted(_)), "{r:?}");

    // Other hashes; SHA-1 is intact but weak.
    for hash in [HashAlg::Sha384, HashAlg::Sha512, HashAlg::Sha1] {
        let mut p7m = Vec::new();
        let opts = SignOptions { hash, signing_time: None, timestamp: None };
        cades::sign_enveloping(&mut s, &opts, &mut Cursor::new(b"x"), &mut p7m, &mut cie_sign::Silent).unwrap();
        let r = verify_p7m(&p7m, None, &citizen_ca()).unwrap();
        assert!(r.all_valid() == (hash != HashAlg::Sha1) && r.signatures[0].hash == Some(hash), "{r:?}");
    }
}

#[test]
fn tampering_is_detected() {
    let (_h, mut s) = card();
    let content = b"Il sottoscritto dichiara di risiedere in via Roma 1".to_vec();
    let mut p7m = Vec::new();
    cades::sign_enveloping(
        &mut s,
        &SignOptions::default(),
        &mut Cursor::new(&content),
        &mut p7m,
        &mut cie_sign::Silent,
    )
    .unwrap();

    // A byte of the content.
    let mut t = p7m.clone();
    t[find(&p7m, b"via Roma")] = b'V';
    let r = verify_p7m(&t, None, &citizen_ca()).unwrap();
    assert!(!r.all_valid());
    assert!(r.signatures[0].problems.iter().any(|p| p.message.contains("modified")), "{r:?}");

    // A byte of a signed attribute: the signing time (UTCTime, tag 0x17, 13 bytes "YYMMDDhhmmssZ"),
    // the last UTCTime of the file (the certificate's validity comes before the SignerInfo).
    let mut t = p7m.clone();
    let time_at = p7m.windows(2).rposition(|w| w == [0x17, 0x0d]).unwrap() + 2;
    t[time_at + 1] = if t[time_at + 1] == b'0' { b'1' } else { b'0' };
    let r = verify_p7m(&t, None, &citizen_ca()).unwrap();
    assert!(!r.all_valid());
    assert!(r.signatures[0].problems.iter().any(|p| p.message.contains("does not verify")), "{r:?}");

    // A byte of the signature value (the last bytes of the file).
    let mut t = p7m.clone();
    let last = t.len() - 5;
    t[last] ^= 0x01;
    let r = verify_p7m(&t, None, &citizen_ca()).unwrap();
    assert!(r.signatures[0].problems.iter().any(|p| p.message.contains("does not verify")), "{r:?}");

    // Not a CMS at all, written out: a SEQUENCE holding a NULL.
    assert!(verify_p7m(&[0x30, 0x02, 0x05, 0x00], None, &Trust::none()).is_err());
}

#[test]
fn detached_and_cosignatures() {
    let (_h, mut s) = card();
    let content = b"allegato tecnico".to_vec();
    let p7s = cades::sign_detached(&mut s, &SignOptions::default(), &mut &content[..], &mut cie_sign::Silent).unwrap();
    let r = verify_p7m(&p7s, Some(&mut &content[..]), &citizen_ca()).unwrap();
    assert!(r.all_valid() && r.kind == cie_sign::DocumentKind::Detached, "{r:?}");
    assert!(verify_p7m(&p7s, None, &citizen_ca()).is_err(), "content needed");
    let r = verify_p7m(&p7s, Some(&mut &b"allegato tecnicO"[..]), &citizen_ca()).unwrap();
    assert!(!r.all_valid());
    assert!(cades::extract(&p7s).is_err());

    // Co-sign an enveloping .p7m with another key (SHA-512), then again with the card.
    let mut p7m = Vec::new();
    cades::sign_enveloping(
        &mut s,
        &SignOptions::default(),
        &mut Cursor::new(&content),
        &mut p7m,
        &mut cie_sign::Silent,
    )
    .unwrap();
    let mut other = SoftwareSigner::document_signer();
    let opts = SignOptions { hash: HashAlg::Sha512, signing_time: None, timestamp: None };
    let two = cades::cosign(&mut other, &opts, &p7m, None).unwrap();
    let three = cades::cosign(&mut s, &SignOptions::default(), &two, None).unwrap();
    let r = verify_p7m(&three, None, &both_cas()).unwrap();
    assert_eq!(r.signatures.len(), 3);
    assert!(r.all_valid(), "{r:?}");
    let names: Vec<_> = r.signatures.iter().map(|s| s.signer.as_ref().unwrap().name.clone()).collect();
    assert!(names.contains(&"cie-sim Test Document Signer".to_owned()), "{names:?}");
    assert_eq!(cades::extract(&three).unwrap(), content);
    // With only the citizen CA, the other signer's chain fails and so does the document.
    let r = verify_p7m(&three, None, &citizen_ca()).unwrap();
    assert_eq!(r.signatures.iter().filter(|s| s.is_valid()).count(), 2);

    // Co-signing a detached signature needs its content.
    assert!(cades::cosign(&mut other, &opts, &p7s, None).is_err());
    let two = cades::cosign(&mut other, &opts, &p7s, Some(&mut &content[..])).unwrap();
    assert!(verify_p7m(&two, Some(&mut &content[..]), &both_cas()).unwrap().all_valid());
}

#[test]
fn pdf_signed_twice_keeps_the_first_signature() {
    let (_h, mut s) = card();
    let pdf = classic_pdf("1.4", "Modulo di domanda");
    assert!(pades::verify_pdf(&pdf, &Trust::none()).unwrap().signatures.is_empty());
    let once = pades::sign(&mut s, &pdf, &PadesOptions::default()).unwrap();
    assert_eq!(&once[..pdf.len()], &pdf[..], "an incremental update only appends");
    let r = pades::verify_pdf(&once, &citizen_ca()).unwrap();
    assert!(r.all_valid(), "{r:?}");
    assert_eq!(r.signatures[0].field.as_deref(), Some("Signature1"));
    assert_eq!(r.signatures[0].covers_whole_document, Some(true));

    let mut other = SoftwareSigner::document_signer();
    let twice = pades::sign(&mut other, &once, &PadesOptions { hash: HashAlg::Sha512, ..Default::default() }).unwrap();
    assert_eq!(&twice[..once.len()], &once[..]);
    let r = pades::verify_pdf(&twice, &both_cas()).unwrap();
    assert_eq!(r.signatures.len(), 2);
    assert!(r.all_valid(), "{r:?}");
    assert_eq!(r.signatures[0].covers_whole_document, Some(false));
    assert_eq!(r.signatures[1].field.as_deref(), Some("Signature2"));

    // A byte of the page content changed in place: both signatures break.
    let mut t = twice.clone();
    t[find(&twice, b"Modulo")] = b'm';
    let r = pades::verify_pdf(&t, &both_cas()).unwrap();
    assert!(r.signatures.iter().all(|s| !s.is_valid()), "{r:?}");

    // Bytes appended without an xref are covered by no signature but the last one breaks:
    // its byte range no longer reaches the end.
    let mut t = twice.clone();
    t.extend_from_slice(b"% appended\n");
    let r = pades::verify_pdf(&t, &both_cas()).unwrap();
    assert!(r.signatures.iter().all(|s| s.covers_whole_document == Some(false)));
}

#[test]
fn pdf_with_xref_stream_and_prepared_external_signature() {
    let modern = xref_stream_pdf("1.5", "Xref streams");
    let (_h, mut s) = card();
    let signed = pades::sign(&mut s, &modern, &PadesOptions::default()).unwrap();
    assert!(lopdf::Document::load_mem(&signed).is_ok());
    assert!(pades::verify_pdf(&signed, &citizen_ca()).unwrap().all_valid());

    // An external signer through prepare/finish.
    let prepared = pades::prepare(&signed, &PadesOptions::default()).unwrap();
    let digest = prepared.digest(HashAlg::Sha256);
    let mut other = SoftwareSigner::document_signer();
    let cms = cades::sign_digest_detached(&mut other, HashAlg::Sha256, &digest, None).unwrap();
    assert!(cms.len() < prepared.capacity());
    let twice = prepared.finish(&cms).unwrap();
    let r = pades::verify_pdf(&twice, &both_cas()).unwrap();
    assert_eq!(r.signatures.len(), 2);
    assert!(r.all_valid(), "{r:?}");
}

#[test]
fn streamed_verification_and_extraction_match_the_in_memory_ones() {
    let (_h, mut s) = card();
    let content = b"0123456789".repeat(100_000);
    let mut p7m = Vec::new();
    cades::sign_enveloping(
        &mut s,
        &SignOptions::default(),
        &mut Cursor::new(&content),
        &mut p7m,
        &mut cie_sign::Silent,
    )
    .unwrap();
    let r = cie_sign::verify::verify_enveloping_file(&mut Cursor::new(&p7m), &citizen_ca()).unwrap().unwrap();
    assert!(r.all_valid(), "{r:?}");
    let mut out = Vec::new();
    assert_eq!(
        cades::extract_to(&mut Cursor::new(&p7m), &mut out, &mut cie_sign::Silent).unwrap(),
        content.len() as u64
    );
    assert_eq!(out, content);
    // A byte of the content changed: the streamed check finds it too.
    let mut t = p7m.clone();
    t[p7m.len() / 2] ^= 1;
    let r = cie_sign::verify::verify_enveloping_file(&mut Cursor::new(&t), &citizen_ca()).unwrap().unwrap();
    assert!(!r.all_valid());
    // Detached: no layout; truncated: an error, not a panic.
    let p7s = cades::sign_detached(&mut s, &SignOptions::default(), &mut &content[..], &mut cie_sign::Silent).unwrap();
    assert!(cie_sign::verify::verify_enveloping_file(&mut Cursor::new(&p7s), &Trust::none()).unwrap().is_none());
    assert!(cie_sign::verify::verify_enveloping_file(&mut Cursor::new(&p7m[..p7m.len() - 10]), &Trust::none()).is_err());
    assert!(cades::extract_to(&mut Cursor::new(&p7m[..200]), &mut Vec::new(), &mut cie_sign::Silent).is_err());
}

/// Records what an operation reports to its [`cie_sign::Progress`].
#[derive(Default)]
struct Recorded {
    totals: Vec<u64>,
    done: u64,
}

impl cie_sign::Progress for Recorded {
    fn total(&mut self, bytes: u64) {
        self.totals.push(bytes);
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
    }
}

/// Signing, verifying and extracting report every byte they read, and the totals they know.
#[test]
fn progress_counts_every_byte() {
    let (_h, mut s) = card();
    let content = b"abcdefgh".repeat(40_000);
    let len = content.len() as u64;
    let (mut p7m, mut p) = (Vec::new(), Recorded::default());
    cades::sign_enveloping(&mut s, &SignOptions::default(), &mut Cursor::new(&content), &mut p7m, &mut p).unwrap();
    // Read twice: once to hash, once to copy.
    assert_eq!((p.totals, p.done), (vec![2 * len], 2 * len));
    let mut p = Recorded::default();
    cades::sign_detached(&mut s, &SignOptions::default(), &mut &content[..], &mut p).unwrap();
    assert_eq!((p.totals, p.done), (vec![], len));
    let mut p = Recorded::default();
    cades::extract_to(&mut Cursor::new(&p7m), &mut Vec::new(), &mut p).unwrap();
    assert_eq!((p.totals, p.done), (vec![len], len));
    let mut p = Recorded::default();
    let r = cie_sign::verify::verify_enveloping_file_against(&mut Cursor::new(&p7m), None, &citizen_ca(), &mut p);
    assert!(r.unwrap().unwrap().all_valid());
    assert_eq!((p.totals, p.done), (vec![len], len));
    // A detached signature read whole, then its content.
    let dir = std::env::temp_dir().join(format!("cie-sign-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p7s = cades::sign_detached(&mut s, &SignOptions::default(), &mut &content[..], &mut cie_sign::Silent).unwrap();
    std::fs::write(dir.join("c.p7s"), &p7s).unwrap();
    std::fs::write(dir.join("c"), &content).unwrap();
    let mut p = Recorded::default();
    let r = cie_sign::verify_file(&dir.join("c.p7s"), Some(&dir.join("c")), &citizen_ca(), &mut p).unwrap();
    assert!(r.all_valid(), "{r:?}");
    let whole = p7s.len() as u64 + len;
    assert_eq!((p.totals, p.done), (vec![whole], whole));
    std::fs::remove_dir_all(&dir).unwrap();
}
