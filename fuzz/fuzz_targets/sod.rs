//! Passive authentication (PROTOCOL.md §8.2-§8.3) and certificate parsing on hostile bytes.
//! Input: `[mode][rest]`.
//!
//! Modes: 0 `sod::verify_sod(rest)` with the test card's data groups and its CSCA; 1 the test
//! card's EF.SOD with `rest` as the CSCA certificate; 2 `rest` as the holder certificate, parsed
//! the way the session does (X.509 DER, then its RSA SubjectPublicKeyInfo); 3 `der_trim` then
//! `verify_sod` without a CSCA.
#![no_main]

use cie_core::csca::CscaSet;
use cie_core::sod::{self, DataGroup};
use cie_fuzz::image;
use libfuzzer_sys::fuzz_target;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use x509_cert::der::{Decode, Encode};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let i = image();
    let trim = |d: &'static [u8]| sod::der_trim(d).unwrap_or(d);
    let groups = [
        DataGroup { number: 0xA1, content: &i.nis },
        DataGroup { number: 0xA2, content: &i.serial },
        DataGroup { number: 0xA3, content: trim(&i.certificate) },
        DataGroup { number: 0xA4, content: trim(&i.int_kpub) },
        DataGroup { number: 0xA5, content: trim(&i.servizi_kpub) },
        DataGroup { number: 0x1B, content: trim(&i.ef_dh) },
    ];
    let mut csca = CscaSet::new();
    csca.add_der(cie_sim::fixtures::csca_certificate()).expect("the test CSCA parses");
    match mode % 4 {
        0 => {
            if let Ok(report) = sod::verify_sod(rest, &groups, &csca) {
                // Only a correctly signed EF.SOD passes: it must list every group we gave.
                assert_eq!(report.checked.len(), groups.len());
                assert!(report.trusted());
            }
        }
        1 => {
            let mut set = CscaSet::new();
            if set.add_der(rest).is_ok() {
                let _ = sod::verify_sod(trim(&i.sod), &groups, &set);
            }
        }
        2 => {
            if let Ok(cert) = x509_cert::Certificate::from_der(rest) {
                if let Ok(spki) = cert.tbs_certificate.subject_public_key_info.to_der() {
                    let _ = RsaPublicKey::from_public_key_der(&spki);
                }
                let _ = cert.to_der();
            }
        }
        _ => {
            if let Ok(t) = sod::der_trim(rest) {
                assert!(t.len() <= rest.len());
                let _ = sod::verify_sod(t, &groups[..2], &CscaSet::new());
            }
        }
    }
});
