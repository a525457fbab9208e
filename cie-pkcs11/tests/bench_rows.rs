//! The APDU costs of the bench report's rows (`cargo xtask bench-report`), asserted in-process
//! against the simulator (DESIGN.md §3): times are only reported, counts are deterministic.

#[path = "../examples/bench_rows/rows.rs"]
#[allow(dead_code)]
mod rows;

use cie_pkcs11::backend::InProcessBackend;
use cie_pkcs11::{Config, Module};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use rows::{Metered, Row, SharedMeter};

fn exchanges(rows: &[Row], prefix: &str) -> u64 {
    rows.iter().find(|r| r.name.starts_with(prefix)).unwrap_or_else(|| panic!("no row {prefix}")).wire.exchanges
}

#[test]
fn bench_rows_meet_the_design_targets() {
    for profile in [Profile::Nxp, Profile::Gemalto] {
        let meter = SharedMeter::default();
        let card =
            SimHandle::new(SimCard::new(profile, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default()));
        let backend = InProcessBackend::new();
        let (c, m) = (card.clone(), meter.clone());
        backend
            .add_reader("Simulated Reader 00", move || Ok(Box::new(Metered { inner: c.connect(), meter: m.clone() })));
        let cache = std::env::temp_dir().join(format!("cie-bench-rows-{profile:?}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&cache);
        let new_module = || Module::with_backend(backend.clone(), Config::with_cache_dir(&cache));
        let p11 = rows::pkcs11_rows(&new_module, &meter, fixtures::TEST_PIN.as_bytes(), b"24681357").unwrap();
        let _ = std::fs::remove_dir_all(&cache);
        let direct = rows::session_rows(
            Metered { inner: card.connect(), meter: meter.clone() },
            &meter,
            fixtures::TEST_PIN,
            "24681357",
        )
        .unwrap();
        for r in p11.iter().chain(&direct) {
            eprintln!("{profile:?}: {} = {:?}", r.name, r.wire);
            // The meter saw every APDU the simulator processed, and only those.
            assert!(r.wire.sent >= 4 * r.wire.exchanges && r.wire.received >= 2 * r.wire.exchanges);
        }
        assert!(exchanges(&p11, "C_Login (card already seen") <= 17, "C_Login on a card already seen");
        assert!(exchanges(&direct, "Session::verify_pin (card seen") <= 17);
        assert_eq!(exchanges(&p11, "C_OpenSession"), 0);
        // Issue 13: a card seen before is enumerated with no card crypto in at most 3
        // exchanges, and a login in a new process costs at most DH + DAPP + VERIFY + 1.
        assert!(exchanges(&p11, rows::ENUMERATION_SEEN) <= 3, "enumeration of a card seen before");
        // A card never seen costs what opening a cie-core session does: no key-83 signature
        // (C_GetSlotList, C_GetTokenInfo and C_GetMechanismList do no card crypto).
        assert_eq!(
            exchanges(&p11, "C_Initialize → C_GetTokenInfo (card never seen)"),
            exchanges(&direct, "Session::open")
        );
        assert!(exchanges(&p11, rows::LOGIN_NEW_PROCESS) <= 16, "C_Login in a new process");
        // The certificate comes from the cache keyed by the key-83 signature, computed only now
        // that objects are asked for (MSE SET + INTERNAL AUTHENTICATE, + GET RESPONSE under SM).
        assert!(exchanges(&p11, "C_FindObjects + C_GetAttributeValue (new process") <= 3);
        assert_eq!(exchanges(&p11, "C_Sign after login"), 3);
        // The first time the certificate is read once, when objects are first asked for.
        assert!(exchanges(&p11, "C_FindObjects + C_GetAttributeValue (first") > 2);
        assert!(exchanges(&p11, "further C_Sign") <= 3, "a signature after login");
        assert!(exchanges(&p11, "first C_Sign") <= 3, "the first signature after login too");
        assert!(p11.iter().any(|r| r.name == format!("further C_Sign — sign after login: {} APDUs", r.wire.exchanges)));
        // The PKCS#11 layer adds no APDU of its own to a signature or a PIN change.
        assert_eq!(exchanges(&p11, "further C_Sign"), exchanges(&direct, "Session::sign (further)"));
        assert_eq!(exchanges(&p11, "C_SetPIN"), exchanges(&direct, "Session::change_pin"));
        // The card saw exactly what was metered plus the unmeasured PIN changes back.
        assert_eq!(card.with_card(|c| c.pin_tries_left()), 3);
    }
}
