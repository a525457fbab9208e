//! Passive authentication (PROTOCOL.md §8.2-§8.3) against the simulator's committed EF.SOD
//! fixtures, in both profiles.

use cie_core::csca::CscaSet;
use cie_core::sign::HashAlg;
use cie_core::sod::{der_trim, verify_sod, Chain, DataGroup, SignatureAlgorithm};
use cie_core::Error;
use cie_sim::fixtures::{
    card_image, citizen_ca_certificate, csca_certificate, document_signer_certificate, document_signer_certificate_for,
    document_signer_key,
};
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::pki::{build_sod_with, SodDigest, SodSignature, SodSpec};

const PROFILES: [SodProfile; 2] = [SodProfile::Sha256Pkcs1, SodProfile::Sha512Pss];
const ALL_DGS: [u8; 6] = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0x1b];

/// The six data groups as a host reads them (§8.2).
fn groups(image: &CardImage) -> Vec<DataGroup<'_>> {
    vec![
        DataGroup { number: 0xa1, content: &image.nis[..12] },
        DataGroup { number: 0xa2, content: &image.serial[..9] },
        DataGroup { number: 0xa3, content: der_trim(&image.certificate).unwrap() },
        DataGroup { number: 0xa4, content: der_trim(&image.int_kpub).unwrap() },
        DataGroup { number: 0xa5, content: der_trim(&image.servizi_kpub).unwrap() },
        DataGroup { number: 0x1b, content: der_trim(&image.ef_dh).unwrap() },
    ]
}

/// The simulator's test CSCA as the only trust anchor.
fn test_csca() -> CscaSet {
    let mut set = CscaSet::new();
    set.add_der(csca_certificate()).unwrap();
    set
}

fn none() -> CscaSet {
    CscaSet::new()
}

fn message(err: Error) -> String {
    match err {
        Error::PassiveAuthentication(m) => m,
        other => panic!("expected a passive-authentication error, got {other:?}"),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("pattern present")
}

#[test]
fn both_profiles_verify_with_all_six_groups() {
    for profile in PROFILES {
        let image = card_image(profile);
        let report = verify_sod(&image.sod, &groups(&image), &test_csca()).unwrap();
        // Written out from PROTOCOL.md §8.3 (the profiles of real cards).
        let pss = SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 };
        let sha1 = SignatureAlgorithm::Pkcs1(HashAlg::Sha1);
        let (digest, signature, version, listed, ds_signature) = match profile {
            SodProfile::Sha256Pkcs1 => (HashAlg::Sha256, sha1, 0, [0xa5, 0xa4, 0xa1, 0xa3, 0xa2, 0x1b], sha1),
            SodProfile::Sha512Pss => (HashAlg::Sha512, pss, 1, [0xa5, 0x1b, 0xa4, 0xa3, 0xa2, 0xa1], pss),
        };
        assert_eq!((report.digest, report.signature, report.lds_version), (digest, signature, version));
        assert_eq!(report.listed, listed, "{profile:?}: the data groups in the real cards' order");
        assert_eq!(report.lds_version_info.is_some(), version == 1);
        if let Some(info) = &report.lds_version_info {
            assert_eq!((info.lds_version.as_str(), info.unicode_version.as_str()), ("0108", "040000"));
        }
        assert_eq!(report.checked, ALL_DGS, "matched by number, in the order supplied");
        match &report.chain {
            Chain::Trusted { anchor, signature } => {
                assert_eq!(anchor.der(), csca_certificate());
                assert_eq!(*signature, ds_signature, "{profile:?}: the DS certificate's signature");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(report.document_signer, document_signer_certificate_for(profile));

        let report = verify_sod(&image.sod, &groups(&image), &none()).unwrap();
        assert_eq!(report.chain, Chain::NotChecked);
        assert_eq!(report.checked, ALL_DGS);
        // The Italian CSCAs do not know the simulator's test CSCA.
        let report = verify_sod(&image.sod, &groups(&image), &CscaSet::italian()).unwrap();
        assert!(matches!(report.chain, Chain::Untrusted(_)), "{:?}", report.chain);
    }
}

#[test]
fn padded_files_are_trimmed_before_hashing() {
    let image = card_image(SodProfile::Sha512Pss);
    let mut padded = image.certificate.clone();
    padded.extend([0u8; 37]);
    let trimmed = der_trim(&padded).unwrap();
    assert_eq!(trimmed, &image.certificate[..]);
    let dg = [DataGroup { number: 0xa3, content: &padded }];
    let err = message(verify_sod(&image.sod, &dg, &none()).unwrap_err());
    assert!(err.contains("DG A3"), "{err}");
}

#[test]
fn tampered_group_is_named() {
    for profile in PROFILES {
        let image = card_image(profile);
        for (index, number) in ALL_DGS.iter().enumerate() {
            let mut groups = groups(&image);
            let mut content = groups[index].content.to_vec();
            let last = content.len() - 1;
            content[last] ^= 0x01;
            groups[index].content = &content;
            let err = message(verify_sod(&image.sod, &groups, &none()).unwrap_err());
            assert!(err.contains(&format!("DG {number:02X}")) && err.contains("does not match"), "{err}");
        }
    }
}

#[test]
fn unlisted_group_is_named() {
    let image = card_image(SodProfile::Sha256Pkcs1);
    let dg = [DataGroup { number: 0xa6, content: b"anything" }];
    let err = message(verify_sod(&image.sod, &dg, &none()).unwrap_err());
    assert!(err.contains("DG A6 is not listed"), "{err}");
}

#[test]
fn validly_signed_sod_without_a_group_rejects_it() {
    let image = card_image(SodProfile::Sha512Pss);
    let all = groups(&image);
    let listed: Vec<(u8, &[u8])> = all.iter().filter(|g| g.number != 0xa5).map(|g| (g.number, g.content)).collect();
    let sod = cie_sim::pki::build_sod(
        SodProfile::Sha512Pss,
        &listed,
        &document_signer_key(),
        document_signer_certificate(),
        &mut cie_sim::pki::rng_for("test: sod without A5"),
    )
    .unwrap();
    let without_a5: Vec<DataGroup<'_>> = all.iter().copied().filter(|g| g.number != 0xa5).collect();
    let report = verify_sod(&sod, &without_a5, &test_csca()).unwrap();
    assert_eq!(report.checked, [0xa1, 0xa2, 0xa3, 0xa4, 0x1b]);
    let err = message(verify_sod(&sod, &all, &none()).unwrap_err());
    assert!(err.contains("DG A5 is not listed"), "{err}");
}

#[test]
fn tampered_signature_is_rejected() {
    for profile in PROFILES {
        let image = card_image(profile);
        let mut sod = image.sod.clone();
        // The signature value is the last field of the only SignerInfo (before any padding).
        let last = der_trim(&image.sod).unwrap().len() - 1;
        sod[last] ^= 0x01;
        let err = message(verify_sod(&sod, &groups(&image), &none()).unwrap_err());
        assert!(err.contains("signature"), "{err}");
    }
}

#[test]
fn tampered_message_digest_is_rejected() {
    const MESSAGE_DIGEST: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
    for profile in PROFILES {
        let image = card_image(profile);
        let mut sod = image.sod.clone();
        // 06 09 <oid> 31 len 04 len <digest>
        let at = find(&sod, &MESSAGE_DIGEST) + MESSAGE_DIGEST.len() + 4;
        sod[at] ^= 0x80;
        let err = message(verify_sod(&sod, &groups(&image), &none()).unwrap_err());
        assert!(err.contains("messageDigest"), "{err}");
    }
}

#[test]
fn tampered_lds_hash_is_rejected() {
    for profile in PROFILES {
        let image = card_image(profile);
        let mut sod = image.sod.clone();
        // Change the first byte of DG A1's hash inside the signed LDSSecurityObject.
        let at = find(&sod, &[0x02, 0x01, 0xa1, 0x04]) + 5;
        sod[at] ^= 0x01;
        let err = message(verify_sod(&sod, &groups(&image), &none()).unwrap_err());
        assert!(err.contains("messageDigest"), "{err}");
    }
}

/// The reason of an untrusted chain.
fn untrusted(chain: Chain) -> String {
    match chain {
        Chain::Untrusted(why) => why,
        other => panic!("expected an untrusted chain, got {other:?}"),
    }
}

#[test]
fn wrong_csca_leaves_the_card_untrusted() {
    for profile in PROFILES {
        let image = card_image(profile);
        // Another CA altogether: issuer name differs.
        let mut other = CscaSet::new();
        other.add_der(citizen_ca_certificate()).unwrap();
        let why = untrusted(verify_sod(&image.sod, &groups(&image), &other).unwrap().chain);
        assert!(why.contains("issuer name"), "{why}");
        // Same name as the real CSCA but another key.
        let csca = csca_certificate();
        let citizen_ca = citizen_ca_certificate();
        let modulus = |cert: &[u8]| {
            let at = find(cert, &[0x02, 0x82, 0x01, 0x01, 0x00]) + 5;
            at..at + 256
        };
        let mut forged = csca.to_vec();
        forged[modulus(csca)].copy_from_slice(&citizen_ca[modulus(citizen_ca)]);
        assert_ne!(forged, csca);
        let mut set = CscaSet::new();
        set.add_der(&forged).unwrap();
        let why = untrusted(verify_sod(&image.sod, &groups(&image), &set).unwrap().chain);
        assert!(why.contains("none verifies"), "{why}");
        // With the real one among others, the real one anchors it.
        set.add_der(csca).unwrap();
        assert!(verify_sod(&image.sod, &groups(&image), &set).unwrap().trusted());
        // Garbage is no certificate.
        assert!(CscaSet::new().add_der(&[0x30, 0x00]).is_err());
    }
}

#[test]
fn truncated_sod_is_an_error_not_a_panic() {
    for profile in PROFILES {
        let image = card_image(profile);
        let der_len = der_trim(&image.sod).unwrap().len();
        for len in 0..der_len {
            let result = verify_sod(&image.sod[..len], &groups(&image), &none());
            assert!(result.is_err(), "prefix of {len} bytes accepted");
        }
        // Padding after the outer TLV is tolerated (files are read whole); zeros or not.
        let mut padded = image.sod.clone();
        padded.extend([0u8; 16]);
        assert!(verify_sod(&padded, &groups(&image), &none()).is_ok());
        padded.extend([0xffu8; 16]);
        assert!(verify_sod(&padded, &groups(&image), &none()).is_ok());
    }
}

/// An EF.SOD signed by the simulator's Document Signer (certificate signed sha256WithRSA by
/// the test CSCA) shaped by `spec`, over the card's six data groups.
fn custom_sod(spec: SodSpec, name: &str) -> Vec<u8> {
    let image = card_image(SodProfile::Sha512Pss);
    let listed: Vec<(u8, &[u8])> = groups(&image).iter().map(|g| (g.number, g.content)).collect();
    build_sod_with(
        spec,
        &listed,
        &document_signer_key(),
        document_signer_certificate(),
        &mut cie_sim::pki::rng_for(name),
    )
    .unwrap()
}

#[test]
fn sha1_only_where_real_cards_use_it() {
    let image = card_image(SodProfile::Sha512Pss);
    let old = SodSpec::for_profile(SodProfile::Sha256Pkcs1);
    // sha1WithRSA with SHA-512 digests, or with LDS version 1: refused though validly signed.
    for (what, spec) in [
        ("SHA-512 digests", SodSpec { digest: SodDigest::Sha512, ..old }),
        ("LDS version 1", SodSpec { lds_version: 1, version_info: true, ..old }),
    ] {
        let sod = custom_sod(spec, what);
        let err = message(verify_sod(&sod, &groups(&image), &none()).unwrap_err());
        assert!(err.contains("sha1WithRSAEncryption outside the old profile"), "{what}: {err}");
    }
    // Other ICAO combinations are accepted: sha256WithRSA over SHA-256, LDS 0, no padding.
    let spec = SodSpec { signature: SodSignature::Sha256Rsa, pad_to: 0, ..old };
    let report = verify_sod(&custom_sod(spec, "sha256 rsa"), &groups(&image), &test_csca()).unwrap();
    assert_eq!(report.signature, SignatureAlgorithm::Pkcs1(HashAlg::Sha256));
    assert!(report.trusted());
    // A new-profile EF.SOD whose DS certificate is signed sha1WithRSA: its chain is refused.
    let new = SodSpec::for_profile(SodProfile::Sha512Pss);
    let listed: Vec<(u8, &[u8])> = groups(&image).iter().map(|g| (g.number, g.content)).collect();
    let sod = build_sod_with(
        new,
        &listed,
        &document_signer_key(),
        document_signer_certificate_for(SodProfile::Sha256Pkcs1),
        &mut cie_sim::pki::rng_for("pss sod, sha1 DS"),
    )
    .unwrap();
    let err = message(verify_sod(&sod, &groups(&image), &test_csca()).unwrap_err());
    assert!(err.contains("sha1WithRSAEncryption outside the old profile"), "{err}");
    // Without a trust set the chain is not looked at.
    assert!(verify_sod(&sod, &groups(&image), &none()).is_ok());
}

#[test]
fn lds_version_info_must_match_the_version() {
    let image = card_image(SodProfile::Sha512Pss);
    let new = SodSpec::for_profile(SodProfile::Sha512Pss);
    for (what, spec) in [
        ("LDS version 1 without ldsVersionInfo", SodSpec { version_info: false, ..new }),
        ("LDS version 0 with data after the hashes", SodSpec { lds_version: 0, ..new }),
        ("LDS version is neither 0 nor 1", SodSpec { lds_version: 2, ..new }),
    ] {
        let err = message(verify_sod(&custom_sod(spec, what), &groups(&image), &none()).unwrap_err());
        assert!(err.contains(what), "{what}: {err}");
    }
}

/// The byte ranges of an EF.SOD that a signature covers (§8.3): the LDS security object
/// (through messageDigest), the signed attributes and the Document Signer's signature over
/// them, and the Document Signer certificate's tbsCertificate (signed by the CSCA). Each is the
/// content of its DER object, found in the file by its bytes.
fn signed_regions(sod: &[u8]) -> Vec<(&'static str, std::ops::Range<usize>)> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode};
    // EF.SOD is the ContentInfo inside an application tag 77 (§8.2).
    let inner = der::asn1::AnyRef::from_der(sod).unwrap();
    assert_eq!(sod[0], 0x77);
    let info = ContentInfo::from_der(inner.value()).unwrap();
    let signed: SignedData = info.content.decode_as().unwrap();
    let content = |der: Vec<u8>| der::asn1::AnyRef::from_der(&der).unwrap().value().to_vec();
    let lds = signed.encap_content_info.econtent.as_ref().unwrap();
    let lds = content(lds.to_der().unwrap());
    let signer = signed.signer_infos.0.get(0).unwrap();
    let attrs = content(signer.signed_attrs.as_ref().unwrap().to_der().unwrap());
    let signature = signer.signature.as_bytes().to_vec();
    let certificates = signed.certificates.as_ref().unwrap();
    let CertificateChoices::Certificate(ds) = certificates.0.get(0).unwrap() else { panic!("DS certificate") };
    let tbs = content(ds.tbs_certificate.to_der().unwrap());
    [("LDS security object", lds), ("signed attributes", attrs), ("signature", signature), ("DS tbsCertificate", tbs)]
        .into_iter()
        .map(|(name, bytes)| {
            let at = find(sod, &bytes);
            (name, at..at + bytes.len())
        })
        .collect()
}

#[test]
fn corrupted_bytes_never_panic() {
    for profile in PROFILES {
        let image = card_image(profile);
        let groups = groups(&image);
        let regions = signed_regions(der_trim(&image.sod).unwrap());
        let mut refused = 0;
        for i in 0..image.sod.len() {
            let region = regions.iter().find(|(_, r)| r.contains(&i));
            for mask in [0x01u8, 0x80, 0xff] {
                let mut sod = image.sod.clone();
                sod[i] ^= mask;
                let result = verify_sod(&sod, &groups, &test_csca());
                if let Some((name, _)) = region {
                    // A flip inside a signed region is always caught: a named error, or (in the
                    // DS certificate, which the CSCA signed) a chain no longer trusted.
                    match result {
                        Err(Error::PassiveAuthentication(_)) => refused += 1,
                        Ok(r) if *name == "DS tbsCertificate" && !r.trusted() => refused += 1,
                        other => panic!("{profile:?}: byte {i} of the {name} ^ {mask:02X}: {other:?}"),
                    }
                }
            }
        }
        let covered: usize = regions.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(refused, covered * 3, "{profile:?}: every flip in a signed region refused");
        let der_len = der_trim(&image.sod).unwrap().len();
        assert!(covered > der_len / 2, "{profile:?}: the regions cover most of EF.SOD");
    }
}
