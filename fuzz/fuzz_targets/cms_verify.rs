//! `.p7m` / `.p7s` parsing and verification (cie-sign's CAdES side) on hostile bytes.
//! Input: `[mode][rest]`.
//!
//! Mode bit 0: the trust anchors hold the test PKI's citizen CA (the issuer of the card's
//! certificate), so that chain building and checking run; else no anchor. Bits 1-2:
//! 0 `nested::verify_p7m(rest)` (enveloping; DER or Base64; countersignatures and envelopes
//! inside envelopes); 1 detached: `rest` is
//! `[2-byte big-endian length][content][p7s]`, `verify_p7m(p7s, Some(content))`;
//! 2 `verify::verify_enveloping_file` on a cursor over `rest` (the streaming path);
//! 3 `cades::parse_signed_data(rest)`, its encapsulated content, and its DER re-encoding.
#![no_main]

use std::io::Cursor;

use cie_sign::verify::{verify_enveloping_file, verify_p7m};
use cie_sign::cades;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let trust = if mode & 1 == 1 { cie_fuzz::citizen_trust() } else { cie_fuzz::no_trust() };
    match (mode >> 1) & 3 {
        0 => {
            if let Ok(report) = cie_sign::nested::verify_p7m(rest, None, trust) {
                let _ = (report.all_valid(), report.indication(), report.sub_indication());
            }
        }
        1 => {
            let mut input = cie_fuzz::Input::new(rest);
            let content = input.bytes_chunk().unwrap_or_default();
            let mut reader = content;
            if let Ok(report) = verify_p7m(input.rest(), Some(&mut reader), trust) {
                let _ = (report.all_valid(), report.indication());
            }
        }
        2 => {
            let mut cursor = Cursor::new(rest);
            if let Ok(Some(report)) = verify_enveloping_file(&mut cursor, trust) {
                let _ = (report.all_valid(), report.indication());
                // When the in-memory path reads it too, both find the same signers and verdicts.
                if let Ok(whole) = verify_p7m(rest, None, trust) {
                    assert_eq!(report.signatures.len(), whole.signatures.len());
                    assert_eq!(report.all_valid(), whole.all_valid(), "streamed and in-memory verdicts differ");
                }
            }
        }
        _ => {
            if let Ok(sd) = cades::parse_signed_data(rest) {
                let _ = cades::encapsulated_content(&sd);
                let _ = der::Encode::to_der(&sd);
            }
        }
    }
});
