//! PDF signature discovery and verification (`pades::verify_pdf`) and signing preparation
//! (`pades::prepare`) on the same hostile PDF. Input: `[mode][pdf]`.
//!
//! Mode bit 0: the trust anchors hold the test PKI's citizen CA, else none; bits 1-2: the
//! digest algorithm of the preparation (SHA-256, -384, -512, -1); bit 3: the prepared PDF is
//! finished with a small CMS (`rest`'s first bytes) and verified again.
#![no_main]

use std::time::{Duration, SystemTime};

use cie_sign::pades::{self, PadesOptions};
use cie_sign::HashAlg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, pdf)) = data.split_first() else { return };
    let trust = if mode & 1 == 1 { cie_fuzz::citizen_trust() } else { cie_fuzz::no_trust() };
    if let Ok(report) = pades::verify_pdf(pdf, trust) {
        let _ = (report.all_valid(), report.indication(), report.sub_indication());
    }
    let hash = [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512, HashAlg::Sha1][usize::from((mode >> 1) & 3)];
    let options = PadesOptions {
        hash,
        signing_time: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
        field_name: None,
        reserve: 64,
    };
    if let Ok(prepared) = pades::prepare(pdf, &options) {
        let [head, tail] = prepared.signed_ranges();
        assert!(head.len() >= pdf.len(), "the original bytes come first");
        assert_eq!(&head[..pdf.len()], pdf, "an incremental update keeps the original bytes");
        let _ = tail;
        let _ = prepared.digest(hash);
        if mode & 8 != 0 {
            let cms = &pdf[..pdf.len().min(prepared.capacity())];
            if let Ok(signed) = prepared.finish(cms) {
                let _ = pades::verify_pdf(&signed, trust);
            }
        }
    }
});
