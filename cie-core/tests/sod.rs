//! Passive authentication (PROTOCOL.md §8.2-§8.3) against the simulator's committed EF.SOD
//! fixtures, in both profiles.

use cie_core::sod::{der_trim, verify_sod, DataGroup, SodAlgorithm};
use cie_core::Error;
use cie_sim::fixtures::{
    card_image, citizen_ca_certificate, csca_certificate, document_signer_certificate, document_signer_key,
};
use cie_sim::image::{CardImage, SodProfile};

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
        let report = verify_sod(&image.sod, &groups(&image), Some(csca_certificate())).unwrap();
        let (algorithm, version) = match profile {
            SodProfile::Sha256Pkcs1 => (SodAlgorithm::Sha256Pkcs1, 0),
            SodProfile::Sha512Pss => (SodAlgorithm::Sha512Pss, 1),
        };
        assert_eq!(report.algorithm, algorithm);
        assert_eq!(report.lds_version, version);
        assert_eq!(report.checked, ALL_DGS);
        assert!(report.csca_verified);
        assert_eq!(report.document_signer, document_signer_certificate());

        let report = verify_sod(&image.sod, &groups(&image), None).unwrap();
        assert!(!report.csca_verified);
        assert_eq!(report.checked, ALL_DGS);
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
    let err = message(verify_sod(&image.sod, &dg, None).unwrap_err());
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
            let err = message(verify_sod(&image.sod, &groups, None).unwrap_err());
            assert!(err.contains(&format!("DG {number:02X}")) && err.contains("does not match"), "{err}");
        }
    }
}

#[test]
fn unlisted_group_is_named() {
    let image = card_image(SodProfile::Sha256Pkcs1);
    let dg = [DataGroup { number: 0xa6, content: b"anything" }];
    let err = message(verify_sod(&image.sod, &dg, None).unwrap_err());
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
    let report = verify_sod(&sod, &without_a5, Some(csca_certificate())).unwrap();
    assert_eq!(report.checked, [0xa1, 0xa2, 0xa3, 0xa4, 0x1b]);
    let err = message(verify_sod(&sod, &all, None).unwrap_err());
    assert!(err.contains("DG A5 is not listed"), "{err}");
}

#[test]
fn tampered_signature_is_rejected() {
    for profile in PROFILES {
        let image = card_image(profile);
        let mut sod = image.sod.clone();
        // The signature value is the last field of the only SignerInfo.
        let last = sod.len() - 1;
        sod[last] ^= 0x01;
        let err = message(verify_sod(&sod, &groups(&image), None).unwrap_err());
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
        let err = message(verify_sod(&sod, &groups(&image), None).unwrap_err());
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
        let err = message(verify_sod(&sod, &groups(&image), None).unwrap_err());
        assert!(err.contains("messageDigest"), "{err}");
    }
}

#[test]
fn wrong_csca_is_rejected() {
    for profile in PROFILES {
        let image = card_image(profile);
        // Another CA altogether: issuer name differs.
        let err = message(verify_sod(&image.sod, &groups(&image), Some(citizen_ca_certificate())).unwrap_err());
        assert!(err.contains("CSCA"), "{err}");
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
        let err = message(verify_sod(&image.sod, &groups(&image), Some(&forged)).unwrap_err());
        assert!(err.contains("CSCA signature"), "{err}");
        // Garbage is an error, not a panic.
        assert!(verify_sod(&image.sod, &groups(&image), Some(&[0x30, 0x00])).is_err());
    }
}

#[test]
fn truncated_sod_is_an_error_not_a_panic() {
    for profile in PROFILES {
        let image = card_image(profile);
        for len in 0..image.sod.len() {
            assert!(verify_sod(&image.sod[..len], &groups(&image), None).is_err(), "prefix of {len} bytes accepted");
        }
        // Trailing padding after the outer TLV is tolerated (files are read whole).
        let mut padded = image.sod.clone();
        padded.extend([0u8; 16]);
        assert!(verify_sod(&padded, &groups(&image), None).is_ok());
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
                let result = verify_sod(&sod, &groups, Some(csca_certificate()));
                if let Some((name, _)) = region {
                    // A flip inside a signed region is always caught, with the named error.
                    match result {
                        Err(Error::PassiveAuthentication(_)) => refused += 1,
                        other => panic!("{profile:?}: byte {i} of the {name} ^ {mask:02X}: {other:?}"),
                    }
                }
            }
        }
        let covered: usize = regions.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(refused, covered * 3, "{profile:?}: every flip in a signed region refused");
        assert!(covered > image.sod.len() / 2, "{profile:?}: the regions cover most of EF.SOD");
    }
}
