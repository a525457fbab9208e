//! Issue 19, the CMS side: documents a hostile sender makes (certificates assembled by hand,
//! SignedData put together field by field) must never come out TOTAL-PASSED unless they are
//! intact, trusted and valid now; each case states the verdict it must get.

#[path = "common/certs.rs"]
mod certs;
mod common;

use std::io::Cursor;
use std::time::{Duration, SystemTime};

use certs::*;
use cie_sign::cades::{self, SignOptions};
use cie_sign::verify::{verify_p7m, MAX_CERTIFICATES, MAX_SIGNER_INFOS};
use cie_sign::{Chain, Error, HashAlg, Indication, SubIndication, Trust};
use cie_sim::fixtures;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData, SignerInfos};
use common::card;
use der::asn1::SetOfVec;
use der::{Decode, Encode};
use x509_cert::Certificate;

fn trust_of(ders: &[&[u8]]) -> Trust {
    let mut t = Trust::none();
    for d in ders {
        t.add(d).unwrap();
    }
    t
}

/// An enveloping .p7m of `content` by `signer`, claiming `claimed` as signing time.
fn p7m_by(signer: &mut HandSigner, hash: HashAlg, claimed: Option<SystemTime>, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = SignOptions { hash, signing_time: claimed, timestamp: None };
    cades::sign_enveloping(signer, &opts, &mut Cursor::new(content), &mut out, &mut cie_sign::Silent).unwrap();
    out
}

fn year(y: u64) -> SystemTime {
    // 1 July of year `y` (close enough: 365.25 days a year).
    SystemTime::UNIX_EPOCH + Duration::from_secs((y - 1970) * 31_557_600 + 182 * 86_400)
}

fn sub(r: &cie_sign::Report) -> Vec<SubIndication> {
    r.signatures[0].problems.iter().map(|p| p.sub).collect()
}

/// A CA of our own (2015-2040) and a leaf under it with the given validity.
fn ca_and_leaf(leaf_validity: x509_cert::time::Validity, leaf_hash: HashAlg) -> (Vec<u8>, HandSigner) {
    let ca_key = test_key("hostile ca");
    let leaf_key = test_key("hostile leaf");
    let ca = certificate(&Spec {
        serial: 1,
        subject: cn("Hostile Test CA"),
        issuer: cn("Hostile Test CA"),
        validity: years(2015, 2040),
        ca: true,
        subject_key: &ca_key,
        issuer_key: &ca_key,
        hash: HashAlg::Sha256,
    });
    let leaf = certificate(&Spec {
        serial: 2,
        subject: name(&[("2.5.4.42", "MARIO"), ("2.5.4.4", "ROSSI"), ("2.5.4.5", "TINIT-RSSMRA80A01H501U")]),
        issuer: cn("Hostile Test CA"),
        validity: leaf_validity,
        ca: false,
        subject_key: &leaf_key,
        issuer_key: &ca_key,
        hash: leaf_hash,
    });
    (ca, HandSigner { key: leaf_key, cert: leaf })
}

#[test]
fn expired_certificate_is_checked_now_not_at_the_claimed_time() {
    // Issue 19 item 3: expired in 2021, signing-time attribute of 2020. Before: VALID.
    let (ca, mut signer) = ca_and_leaf(years(2019, 2021), HashAlg::Sha256);
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, Some(year(2020)), b"contratto");
    let r = verify_p7m(&p7m, None, &trust_of(&[&ca])).unwrap();
    assert_eq!(r.indication(), Indication::Indeterminate, "{r:?}");
    assert_eq!(r.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe));
    assert!(matches!(r.signatures[0].chain, Chain::Trusted(_)), "the path itself is fine: {r:?}");
    assert_eq!(sub(&r), [SubIndication::OutOfBoundsNoPoe], "{r:?}");
    // The claim is shown as such.
    assert_eq!(r.signatures[0].signing_time.map(|t| t.year()), Some(2020));
    assert!(!r.all_valid());

    // A certificate not valid before 2039: not yet valid now.
    let (ca, mut signer) = ca_and_leaf(years(2039, 2040), HashAlg::Sha256);
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"contratto");
    let r = verify_p7m(&p7m, None, &trust_of(&[&ca])).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::NotYetValid), "{r:?}");

    // The same chain, valid now: TOTAL-PASSED.
    let (ca, mut signer) = ca_and_leaf(years(2020, 2039), HashAlg::Sha256);
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, Some(year(2020)), b"contratto");
    let r = verify_p7m(&p7m, None, &trust_of(&[&ca])).unwrap();
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:?}");
}

#[test]
fn a_self_made_certificate_is_not_trusted() {
    // Issue 19 item 4: any name and fiscal code, self-signed, no anchors. Before: VALID.
    let key = test_key("self made");
    let subject = name(&[("2.5.4.42", "MARIO"), ("2.5.4.4", "ROSSI"), ("2.5.4.5", "TINIT-RSSMRA80A01H501U")]);
    let cert = certificate(&Spec {
        serial: 7,
        subject: subject.clone(),
        issuer: subject.clone(),
        validity: years(2020, 2039),
        ca: false,
        subject_key: &key,
        issuer_key: &key,
        hash: HashAlg::Sha256,
    });
    let mut signer = HandSigner { key, cert };
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"delega");
    let r = verify_p7m(&p7m, None, &Trust::none()).unwrap();
    assert_eq!(r.indication(), Indication::Indeterminate, "{r:?}");
    assert_eq!(r.sub_indication(), Some(SubIndication::NoCertificateChainFound));
    assert_eq!(r.signatures[0].chain, Chain::NotChecked);
    assert_eq!(r.signatures[0].signer.as_ref().unwrap().fiscal_code.as_deref(), Some("RSSMRA80A01H501U"));
    // With the citizen CA as anchor: still no path.
    let r = verify_p7m(&p7m, None, &trust_of(&[fixtures::citizen_ca_certificate()])).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::NoCertificateChainFound), "{r:?}");
    assert!(matches!(r.signatures[0].chain, Chain::Untrusted(_)));

    // Self-signed, but its own signature is broken: the certificate's signature is checked.
    let other = test_key("someone else");
    let forged = certificate(&Spec {
        serial: 8,
        subject: subject.clone(),
        issuer: subject,
        validity: years(2020, 2039),
        ca: false,
        subject_key: &signer.key,
        issuer_key: &other,
        hash: HashAlg::Sha256,
    });
    signer.cert = forged;
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"delega");
    let r = verify_p7m(&p7m, None, &Trust::none()).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::CertificateChainGeneralFailure), "{r:?}");

    // Claiming the citizen CA as issuer, signed by another key: the link does not verify.
    let ca = Certificate::from_der(fixtures::citizen_ca_certificate()).unwrap();
    let impostor = certificate(&Spec {
        serial: 9,
        subject: cn("MARIO ROSSI"),
        issuer: ca.tbs_certificate.subject.clone(),
        validity: years(2020, 2039),
        ca: false,
        subject_key: &signer.key,
        issuer_key: &other,
        hash: HashAlg::Sha256,
    });
    signer.cert = impostor;
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"delega");
    let r = verify_p7m(&p7m, None, &trust_of(&[fixtures::citizen_ca_certificate()])).unwrap();
    assert_eq!(r.indication(), Indication::Indeterminate, "{r:?}");
    assert_eq!(r.sub_indication(), Some(SubIndication::CertificateChainGeneralFailure), "{r:?}");
    assert!(r.signatures[0].problems[0].message.contains("does not verify"), "{r:?}");
}

#[test]
fn the_card_passes_only_with_its_ca() {
    let (_h, mut s) = card();
    let mut p7m = Vec::new();
    cades::sign_enveloping(&mut s, &SignOptions::default(), &mut Cursor::new(b"x"), &mut p7m, &mut cie_sign::Silent)
        .unwrap();
    let r = verify_p7m(&p7m, None, &Trust::none()).unwrap();
    assert_eq!(
        (r.indication(), r.sub_indication()),
        (Indication::Indeterminate, Some(SubIndication::NoCertificateChainFound))
    );
    let r = verify_p7m(&p7m, None, &trust_of(&[fixtures::citizen_ca_certificate()])).unwrap();
    assert_eq!((r.indication(), r.sub_indication()), (Indication::TotalPassed, None), "{r:?}");
    assert!(r.all_valid() && r.signatures[0].is_valid());
}

#[test]
fn sha1_is_a_weak_algorithm() {
    // Issue 19 item 7: SHA-1 in the signature, or in the certificate's signature.
    let (ca, mut signer) = ca_and_leaf(years(2020, 2039), HashAlg::Sha256);
    let p7m = p7m_by(&mut signer, HashAlg::Sha1, None, b"x");
    let r = verify_p7m(&p7m, None, &trust_of(&[&ca])).unwrap();
    assert_eq!(r.indication(), Indication::Indeterminate, "{r:?}");
    assert_eq!(r.sub_indication(), Some(SubIndication::CryptoConstraintsFailureNoPoe));
    assert!(r.signatures[0].problems.iter().all(|p| !p.message.contains("modified")), "no alteration hint: {r:?}");

    let (ca, mut signer) = ca_and_leaf(years(2020, 2039), HashAlg::Sha1);
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"x");
    let r = verify_p7m(&p7m, None, &trust_of(&[&ca])).unwrap();
    assert_eq!(r.sub_indication(), Some(SubIndication::CryptoConstraintsFailureNoPoe), "{r:?}");
}

#[test]
fn supplied_content_must_be_the_enveloped_content() {
    // Issue 19 item 2: an enveloping .p7m saved as contract.txt.p7s next to a forged
    // contract.txt. Before: VALID for the forged file.
    let (_h, mut s) = card();
    let dir = std::env::temp_dir().join(format!("cie-sign-content-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut p7m = Vec::new();
    cades::sign_enveloping(
        &mut s,
        &SignOptions::default(),
        &mut Cursor::new(b"PAY 10 EUR"),
        &mut p7m,
        &mut cie_sign::Silent,
    )
    .unwrap();
    let sig = dir.join("contract.txt.p7s");
    std::fs::write(&sig, &p7m).unwrap();
    let ca = trust_of(&[fixtures::citizen_ca_certificate()]);
    for forged in [&b"PAY 1000000 EUR"[..], b"PAY 10 EUR\n", b"PAY 10 EU", b""] {
        std::fs::write(dir.join("contract.txt"), forged).unwrap();
        let e = cie_sign::verify_file(&sig, Some(&dir.join("contract.txt")), &ca, &mut cie_sign::Silent).unwrap_err();
        assert!(matches!(e, Error::ContentMismatch(_)), "{e:?}");
        assert!(e.to_string().contains("differs from the content inside the signature"), "{e}");
        let e = verify_p7m(&p7m, Some(&mut &forged[..]), &ca).unwrap_err();
        assert!(matches!(e, Error::ContentMismatch(_)), "{e:?}");
    }
    // The same bytes: verified as usual.
    std::fs::write(dir.join("contract.txt"), b"PAY 10 EUR").unwrap();
    let r = cie_sign::verify_file(&sig, Some(&dir.join("contract.txt")), &ca, &mut cie_sign::Silent).unwrap();
    assert!(r.all_valid(), "{r:?}");
    let r = verify_p7m(&p7m, Some(&mut &b"PAY 10 EUR"[..]), &ca).unwrap();
    assert!(r.all_valid(), "{r:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of `p7m` with its SignerInfos repeated to `infos` and its certificates padded with
/// copies of `extra` (each made distinct by its serial) to `certs`.
fn inflated(p7m: &[u8], infos: usize, extra: &dyn Fn(u8) -> Vec<u8>, certs: usize) -> Vec<u8> {
    let ci = ContentInfo::from_der(p7m).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let si = sd.signer_infos.0.get(0).unwrap().clone();
    let mut list = vec![si.clone(); infos];
    for (i, s) in list.iter_mut().enumerate() {
        // Distinct signatures (a SET OF keeps duplicates apart only if they differ).
        let mut v = s.signature.as_bytes().to_vec();
        let last = v.len() - 1;
        v[last] = v[last].wrapping_add((i % 250) as u8);
        v[last - 1] = v[last - 1].wrapping_add((i / 250) as u8);
        s.signature = der::asn1::OctetString::new(v).unwrap();
    }
    sd.signer_infos = SignerInfos(SetOfVec::try_from(list).unwrap());
    let mut set: Vec<CertificateChoices> = sd.certificates.take().map(|c| c.0.into_vec()).unwrap_or_default();
    let mut serial = 10u8;
    while set.len() < certs {
        set.push(CertificateChoices::Certificate(Certificate::from_der(&extra(serial)).unwrap()));
        serial = serial.wrapping_add(1);
    }
    sd.certificates = Some(CertificateSet(SetOfVec::try_from(set).unwrap()));
    ContentInfo { content_type: ci.content_type, content: der::asn1::Any::encode_from(&sd).unwrap() }.to_der().unwrap()
}

#[test]
fn too_many_signers_or_certificates_are_refused() {
    // Issue 19 item 5: 200 certificates and 200 SignerInfos (12 s with --ca before).
    let (ca, mut signer) = ca_and_leaf(years(2020, 2039), HashAlg::Sha256);
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"x");
    let ca_key = test_key("hostile ca");
    // Certificates that all claim the CA's name as subject: each a candidate issuer.
    let decoy = |serial: u8| {
        certificate(&Spec {
            serial,
            subject: cn("Hostile Test CA"),
            issuer: cn("Hostile Test CA"),
            validity: years(2015, 2040),
            ca: true,
            subject_key: &signer.key,
            issuer_key: &ca_key,
            hash: HashAlg::Sha256,
        })
    };
    let trust = trust_of(&[&ca]);
    let big = inflated(&p7m, 200, &decoy, 200);
    let e = verify_p7m(&big, None, &trust).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "{e:?}");
    assert!(e.to_string().contains("at most 64"), "{e}");
    let dir = std::env::temp_dir().join(format!("cie-sign-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.p7m"), &big).unwrap();
    let e = cie_sign::verify_file(&dir.join("big.p7m"), None, &trust, &mut cie_sign::Silent).unwrap_err();
    assert!(matches!(e, Error::Limit(_)), "the streaming path too: {e:?}");
    std::fs::remove_dir_all(&dir).unwrap();

    let e = verify_p7m(&inflated(&p7m, 2, &decoy, MAX_CERTIFICATES + 1), None, &trust).unwrap_err();
    assert!(e.to_string().contains(&format!("at most {MAX_CERTIFICATES}")), "{e}");

    // At the limits: every SignerInfo gets a verdict (the first intact, the others altered),
    // and the chain is built once for the one leaf they share.
    let r = verify_p7m(&inflated(&p7m, MAX_SIGNER_INFOS, &decoy, MAX_CERTIFICATES), None, &trust).unwrap();
    assert_eq!(r.signatures.len(), MAX_SIGNER_INFOS);
    let failed = r.signatures.iter().filter(|s| s.sub_indication() == Some(SubIndication::SigCryptoFailure)).count();
    assert_eq!(failed, MAX_SIGNER_INFOS - 1, "{r:?}");
    assert_eq!(r.indication(), Indication::TotalFailed);
}

#[test]
fn names_from_a_certificate_are_escaped() {
    // Issue 19 item 7: a name with an ANSI escape, a newline and a right-to-left override.
    let key = test_key("escapes");
    let evil = "MARIO\u{1b}[2J\nresult: all valid \u{202e}fdp.exe";
    let cert = certificate(&Spec {
        serial: 3,
        subject: cn(evil),
        issuer: cn(evil),
        validity: years(2020, 2039),
        ca: false,
        subject_key: &key,
        issuer_key: &key,
        hash: HashAlg::Sha256,
    });
    let mut signer = HandSigner { key, cert };
    let p7m = p7m_by(&mut signer, HashAlg::Sha256, None, b"x");
    let r = verify_p7m(&p7m, None, &Trust::none()).unwrap();
    let who = r.signatures[0].signer.as_ref().unwrap();
    for text in [&who.name, &who.subject, &who.issuer] {
        assert!(!text.chars().any(|c| c.is_control() || c == '\u{202e}'), "{text:?}");
        assert!(text.contains("\\u{202e}"), "{text:?}");
    }
    assert!(who.name.contains("\\u{001b}[2J\\u{000a}result"), "{:?}", who.name);
}
