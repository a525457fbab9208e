//! The generation hint (`Generation::from_atr`, PROTOCOL.md §1.1) over the ATRs real readers
//! report, written out by hand from pcsc-tools' `smartcard_list.txt`
//! (LudovicRousseau/pcsc-tools, commit 3e819c605e93, 2026-06-03; the line of each entry is
//! given; entries also in Debian's pcsc-tools 1.6.2 list are marked "1.6.2"): every Italian
//! identity-card entry, and cards that are not a CIE. A hint only picks the first probe and
//! names the chip: a card that is not a CIE may get one (the same bytes as a CIE, or the
//! official middleware's multiset rule), and probing refutes it (tests/cli_foreign.rs of the
//! `cie` crate proves that through pcscd). The simulator presents the same ATRs.

use cie_core::variant::{Generation, RootSelect};
use cie_sim::card::ForeignKind;
use cie_sim::profile::Profile;

/// An ATR from the list: hex, its line and description, and the hint the host must give.
struct Entry {
    atr: &'static str,
    source: &'static str,
    hint: Option<Generation>,
}

const fn e(atr: &'static str, source: &'static str, hint: Option<Generation>) -> Entry {
    Entry { atr, source, hint }
}

use Generation::*;

/// Every entry of the list that names an Italian identity card (CIE 3.0 and its contact-era
/// predecessor), with its expected hint.
const IDENTITY_CARDS: &[Entry] = &[
    e("3B 8B 80 01 80 66 47 50 00 B8 00 7F 82 90 00 2E", "7908, 1.6.2: Italian Card Identity (eID)", Some(Stm)),
    e(
        "3B 8B 80 01 80 66 47 50 00 B8 00 94 82 90 00 C5",
        "7912, 1.6.2: Italian Electronic Contactless Identity Card v. 3.0 (CIE 3.0) (eID)",
        Some(Stm3),
    ),
    e(
        "3B 8E 80 01 80 31 80 65 49 54 4E 58 50 12 0F FF 82 90 F0",
        "8602, 1.6.2: Italian Electronic Contactless Identity Card v. 3.0 (CIE 3.0) - ICAO 9303 Compliant",
        Some(Nxp),
    ),
    e(
        "3B 8E 80 01 80 31 80 65 49 54 4E 58 50 12 0F FF FF FF E2",
        "8606, 1.6.2: Italian identity card, 2nd version (eID)",
        Some(Nxp),
    ),
    // All-zero historical bytes: nothing to go by. No hint: the unknown card is probed by the
    // IAS AID first, then the MF.
    e("3B 8F 80 01 00 00 00 00 00 00 00 00 00 00 00 FF 82 90 00 E3", "8702, 1.6.2: CIE (eID)", None),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 41 12 0F FF 82 90 00 88",
        "8891: CIE - Carta di Identità Elettronica - Italian ID Card (eID) (ITJ4A)",
        Some(Actalis),
    ),
    // Recorded without its TCK.
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 42 12 0F FF 82 90 00",
        "8895: Italian Identity Card CIE (eID) (ITJ4B, no TCK)",
        Some(Bit4id),
    ),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 42 12 0F FF 82 90 00 8B",
        "8899, 1.6.2: Identity Card (eID) (ITJ4B)",
        Some(Bit4id),
    ),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 43 12 0F FF 82 90 00 8A",
        "8902: Electronic Identity (CIE) (eID) (ITJ4C)",
        Some(Actalis2023),
    ),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 44 12 0F FF 82 90 00 8D",
        "8905: CIE Italian Electronic Identity Card (eID) (ITJ4D)",
        Some(Bit4id2023),
    ),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 49 12 0F FF 82 90 00 80",
        "8908: Italian Identity Card (eID) (ITJ4I)",
        Some(Bit4idB9547),
    ),
    e(
        "3B 8F 80 01 80 31 80 65 49 54 4A 34 4C 12 0F FF 82 90 00 85",
        "8912: Italian electronic identifity card (CIE) (eID) (ITJ4L)",
        Some(ActalisB946),
    ),
    // Listed for a Dutch driver licence too: the ATR alone never proves a CIE.
    e(
        "3B 8F 80 01 80 31 80 65 B0 85 04 00 11 12 0F FF 82 90 00 8A",
        "8940, 1.6.2: Dutch driver licence (eID) / Italian electronic identity card (eID)",
        Some(Gemalto),
    ),
    // The contact interface of a municipal card of the CIE 2.0 era: no CIE 3.0 fragment.
    e(
        "3B FE 91 00 FF 91 81 71 FE 40 00 41 20 00 51 77 91 80 31 80 65 B0 85 03 00 FB",
        "16089, 1.6.2: Italian Card Identity (CIE Comune di Parma) (eID)",
        None,
    ),
    // The pseudo-ATR of any contactless card without historical bytes (passports, CNS, some
    // STM CIEs). The official table's only STM2 fragment, `80 80 01 01`, is its tail: the hint
    // stays STM2 so that such a CIE is named as the official middleware names it; it changes
    // nothing sent (STM2 and an unknown card are both probed by the IAS AID first), and
    // probing refutes it for a card that is not a CIE.
    e(
        "3B 80 80 01 01",
        "6407, 1.6.2: ISO 14443 Type B without historical bytes / Electronic Passport / ... / Carta nazionale dei servizi",
        Some(Stm2),
    ),
];

/// Cards that are not a CIE: Italian health cards, passports, bank cards, a foreign eID.
const OTHER_CARDS: &[Entry] = &[
    e(
        "3B 88 80 01 00 00 00 00 03 81 91 00 1A",
        "6980, 1.6.2: Italian healthcare card (TS) National Service Card (CNS) NFC Interface (eID)",
        None,
    ),
    e(
        "3B 8B 80 01 00 31 C1 64 08 92 33 54 00 90 00 F3",
        "7776, 1.6.2: Italian healthcare card (TS) National Service Card (CNS) (HealthCare)",
        None,
    ),
    e(
        "3B 8C 80 01 50 FE 51 56 9F 00 00 00 00 33 81 91 18",
        "8380, 1.6.2: Repubblica Italiana - Tessera Sanitaria (HealthCare)",
        None,
    ),
    e(
        "3B DF 18 00 81 31 FE 7D 00 6B 02 0C 01 82 01 11 01 43 4E 53 10 31 80 FC",
        "14003, 1.6.2: Italian healthcare card (TS) National Service Card (CNS) (HealthCare)",
        None,
    ),
    e("3B 85 80 01 A0 00 00 00 00 A4", "6710, 1.6.2: Italian Passport (passport)", None),
    // Gemalto2's fragment `80 31 80 65 B0 85 03 00 EF` as a multiset (not contiguous): the
    // official rule hints a CIE; probing refutes it.
    e(
        "3B 8F 80 01 80 91 E1 31 98 65 B0 85 03 00 EF 73 94 41 C0 8D",
        "9428, 1.6.2: Italian Passport (passport)",
        Some(Gemalto2),
    ),
    e(
        "3B 8F 80 01 80 91 E1 31 98 65 B0 85 03 00 EF 73 94 41 FF B2",
        "9432, 1.6.2: Italian Passport (passport)",
        Some(Gemalto2),
    ),
    e(
        "3B 8C 80 01 50 89 DC A9 6E 00 00 00 00 80 81 71 BF",
        "8202, 1.6.2: Cartafreccia VISA (Italian Railways Prepaid + Loyalty Card) (Bank)",
        None,
    ),
    e(
        "3B 6E 00 00 00 31 C0 65 77 B2 01 03 47 71 D6 8C 61 37",
        "3310, 1.6.2: Italian Soldintasca Sanpaolo prepaid VISA-Electron (contact, T=0)",
        None,
    ),
    // STM2's `80 80 01 01` as a multiset: the official rule hints a CIE; probing refutes it.
    e(
        "3B 8E 80 01 80 31 80 66 B1 84 0C 01 6E 01 83 00 90 00 1C",
        "8634, 1.6.2: UK Lloyds Bank Gold Visa Debit (Contact & Contactless) / ... (Bank)",
        Some(Stm2),
    ),
    e(
        "3B FF 96 00 00 81 31 FE 43 80 31 80 65 B0 85 04 01 20 12 0F FF 82 90 00 D0",
        "17110, 1.6.2: Portuguese National Identity Card (eID)",
        None,
    ),
];

fn bytes(hex: &str) -> Vec<u8> {
    hex.split(' ').map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|e| panic!("{hex}: {e}"))).collect()
}

#[test]
fn every_italian_identity_card_atr_gets_its_hint() {
    for entry in IDENTITY_CARDS.iter().chain(OTHER_CARDS) {
        assert_eq!(Generation::from_atr(&bytes(entry.atr)), entry.hint, "{} ({})", entry.atr, entry.source);
    }
    // The list's CIE 3.0 chips are all named (none of them falls back to an unknown card).
    let named = IDENTITY_CARDS.iter().filter(|e| e.hint.is_some()).count();
    assert_eq!(named, IDENTITY_CARDS.len() - 2, "all but the all-zero and the CIE 2.0 contact ATR");
}

#[test]
fn an_unknown_jcop4_letter_is_still_reached_by_the_master_file() {
    // "ITJ4" with letters no list has (E, Z), TCK recomputed: a JCOP4 chip, reached by the MF.
    for (letter, tck) in [(0x45, 0x8C), (0x5A, 0x93)] {
        let mut atr = bytes("3B 8F 80 01 80 31 80 65 49 54 4A 34 00 12 0F FF 82 90 00 00");
        atr[12] = letter;
        atr[19] = tck;
        assert_eq!(atr[1..].iter().fold(0, |a, b| a ^ b), 0u8, "TCK");
        let hint = Generation::from_atr(&atr);
        assert_eq!(hint, Some(Unknown(RootSelect::MasterFile)), "ITJ4{}", letter as char);
        assert_eq!(hint.map(Generation::root_select), Some(RootSelect::MasterFile));
    }
    // Every named JCOP4 generation is reached by the MF too.
    for g in [Actalis, Actalis2023, Bit4id, Bit4id2023, Bit4idB9547, ActalisB946] {
        assert_eq!(g.root_select(), RootSelect::MasterFile, "{g}");
    }
}

#[test]
fn the_simulator_presents_the_listed_atrs() {
    // Each profile whose chip the list names presents the listed ATR, byte for byte.
    for (profile, atr) in [
        (Profile::Nxp, IDENTITY_CARDS[2].atr),
        (Profile::Stm, IDENTITY_CARDS[0].atr),
        (Profile::Stm3, IDENTITY_CARDS[1].atr),
        (Profile::Actalis, IDENTITY_CARDS[5].atr),
        (Profile::Bit4id, IDENTITY_CARDS[7].atr),
        (Profile::Actalis2023, IDENTITY_CARDS[8].atr),
        (Profile::Bit4id2023, IDENTITY_CARDS[9].atr),
        (Profile::Bit4idB9547, IDENTITY_CARDS[10].atr),
        (Profile::ActalisB946, IDENTITY_CARDS[11].atr),
        (Profile::Gemalto, IDENTITY_CARDS[12].atr),
        (Profile::Stm2, IDENTITY_CARDS[14].atr),
    ] {
        assert_eq!(profile.atr(), bytes(atr), "{profile}");
    }
    // And its cards that are not a CIE present the listed ATRs of their kind.
    for (kind, atr) in [
        (ForeignKind::Cns, OTHER_CARDS[0].atr),
        (ForeignKind::Passport, OTHER_CARDS[5].atr),
        (ForeignKind::Bank, OTHER_CARDS[7].atr),
        (ForeignKind::Bare, IDENTITY_CARDS[14].atr),
    ] {
        assert_eq!(kind.atr(), bytes(atr), "{kind}");
    }
    assert_eq!(Generation::from_atr(ForeignKind::Other.atr()), None);
}
