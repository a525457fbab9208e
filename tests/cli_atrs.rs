//! The full citizen flow (`cie demo`: detect, secure channel, PIN, card number, certificate,
//! EF.SOD, signature) through pcscd + vpcd for every real CIE ATR of pcsc-tools' list
//! (cie-core's tests/atr_table.rs gives each one's source), each presented by the simulator
//! profile of the chip it names (`StackOptions::atr`, `cie-sim --atr`); the all-zero ATR names
//! no chip and is served by an NXP-class card, which probing must find by the MF. One stack per
//! ATR; the test prints the seconds each took.

mod cli_util;

use std::time::Instant;

use cie_sim::stack::StackOptions;
use cie_sim::{Atr, Profile};
use cli_util::*;

/// (ATR as listed, the profile of its chip, the generation `cie demo` must report).
const REAL_ATRS: &[(&str, Profile, &str)] = &[
    ("3B 8E 80 01 80 31 80 65 49 54 4E 58 50 12 0F FF 82 90 F0", Profile::Nxp, "NXP"),
    ("3B 8E 80 01 80 31 80 65 49 54 4E 58 50 12 0F FF FF FF E2", Profile::Nxp, "NXP"),
    ("3B 8F 80 01 80 31 80 65 B0 85 04 00 11 12 0F FF 82 90 00 8A", Profile::Gemalto, "Gemalto"),
    ("3B 8B 80 01 80 66 47 50 00 B8 00 7F 82 90 00 2E", Profile::Stm, "STM"),
    ("3B 80 80 01 01", Profile::Stm2, "STM2"),
    ("3B 8B 80 01 80 66 47 50 00 B8 00 94 82 90 00 C5", Profile::Stm3, "STM3"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 41 12 0F FF 82 90 00 88", Profile::Actalis, "Actalis"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 43 12 0F FF 82 90 00 8A", Profile::Actalis2023, "Actalis2023"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 42 12 0F FF 82 90 00 8B", Profile::Bit4id, "Bit4id"),
    // Recorded without its TCK.
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 42 12 0F FF 82 90 00", Profile::Bit4id, "Bit4id"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 44 12 0F FF 82 90 00 8D", Profile::Bit4id2023, "Bit4id2023"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 49 12 0F FF 82 90 00 80", Profile::Bit4idB9547, "Bit4id_B9547"),
    ("3B 8F 80 01 80 31 80 65 49 54 4A 34 4C 12 0F FF 82 90 00 85", Profile::ActalisB946, "Actalis_B946"),
    // No hint: the IAS AID is tried first (6A 82 on this chip), then the MF.
    ("3B 8F 80 01 00 00 00 00 00 00 00 00 00 00 00 FF 82 90 00 E3", Profile::Nxp, "unknown (MF)"),
];

#[test]
fn the_citizen_flow_runs_for_every_real_atr() {
    let all = Instant::now();
    let mut times = Vec::new();
    for (atr, profile, generation) in REAL_ATRS {
        let start = Instant::now();
        let options = StackOptions {
            profile: Some(profile.name().into()),
            atr: Some(Atr::from_hex(atr).unwrap()),
            ..StackOptions::default()
        };
        let mut card = Card::start_with(&format!("atr-{}", times.len()), options);
        let cache = card.dir.join("cache");
        let r = card.cie_env(&[("XDG_CACHE_HOME", cache.to_str().unwrap())], &["demo", "--pin-stdin"], TEST_PIN);
        assert_eq!(r.code, Some(0), "{atr} ({profile}): {r:?}");
        assert_eq!(r.stdout.lines().last(), Some("demo ok"), "{atr}: {r:?}");
        let detected = format!("{generation} in \"Virtual PCD 00 00\", ATR {atr}");
        assert!(r.stdout.contains(&detected), "{atr}: want {detected:?} in {r:?}");
        assert!(r.stdout.contains(&format!("NIS {TEST_NIS}")), "{atr}: {r:?}");
        // The PIN went to the card: the counter counts it (and any PIN status query by VERIFY).
        let counts = card.stack.counts().unwrap();
        assert!(counts.pin_commands >= 1 && counts.apdus > counts.pin_commands, "{atr}: {counts:?}");
        drop(card);
        times.push((atr, start.elapsed().as_secs_f64()));
    }
    for (atr, secs) in &times {
        eprintln!("{secs:5.2} s  {atr}");
    }
    eprintln!("{:5.2} s  all {} ATRs", all.elapsed().as_secs_f64(), times.len());
}
