//! A trusted list (ETSI TS 119 612 XML) on hostile bytes: what `cie verify --tsl` reads.
//! Input: `[mode][xml]`.
//!
//! `tsl::parse_unchecked` (the bounded XML reader: no DTD, node limit; the list's fields), then
//! `xmldsig::verify_document` (the enveloped signature: references, transforms, inclusive and
//! exclusive canonicalization, Base64, the signature check) against the test PKI's citizen CA
//! certificate, and `tsl::add_lists` on the same bytes as a national list (mode bit 0) or with
//! no signer, at a fixed time. A list may be used only when its signature verified.
#![no_main]

use std::time::Duration;

use cie_sign::tsl::{self, ListSource};
use cie_sign::xmldsig;
use cie_sign::Trust;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, xml)) = data.split_first() else { return };
    let _ = tsl::parse_unchecked(xml);
    let signers = if mode & 1 == 1 { cie_fuzz::citizen_trust().anchors().to_vec() } else { Vec::new() };
    let signed = xmldsig::verify_document(xml, &signers).is_ok();
    let mut trust = Trust::none();
    let source = ListSource { name: "fuzz.xml".into(), xml: xml.to_vec(), signers };
    let outcomes = tsl::add_lists(&mut trust, &[source], Duration::from_secs(1_700_000_000));
    if !signed {
        assert!(outcomes.iter().all(|o| o.refused.is_some()), "a list whose signature fails was used");
        assert!(trust.is_empty());
    }
});
