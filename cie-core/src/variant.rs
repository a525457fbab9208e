//! CIE generations (PROTOCOL.md §1.1, §1.2, DESIGN.md §7).
//!
//! The generation is detected by probing (SELECT of the IAS AID, falling back to SELECT MF),
//! with the ATR used only as a hint to pick the first probe and to name the chip.

use std::fmt;

/// How the card's root application is selected (PROTOCOL.md §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RootSelect {
    /// `00 A4 04 0C 0D <IAS AID>` (Gemalto, STM chips).
    IasAid,
    /// `00 A4 00 00` (NXP JCOP chips: the IAS AID answers `6A 82`).
    MasterFile,
}

/// A known CIE 3.0 chip generation, or an unknown chip that behaves like a CIE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generation {
    /// NXP ("ITNXP").
    Nxp,
    /// Gemalto, first generation (one-call DH parameters).
    Gemalto,
    /// Gemalto, second generation.
    Gemalto2,
    /// STMicroelectronics.
    Stm,
    /// STMicroelectronics, second generation.
    Stm2,
    /// STMicroelectronics, third generation.
    Stm3,
    /// Actalis on JCOP4 ("ITJ4A").
    Actalis,
    /// Actalis 2023 ("ITJ4C").
    Actalis2023,
    /// Bit4id on JCOP4 ("ITJ4B").
    Bit4id,
    /// Bit4id 2023 ("ITJ4D").
    Bit4id2023,
    /// Bit4id applet B9547 ("ITJ4I").
    Bit4idB9547,
    /// Actalis applet B946 on JCOP4 ("ITJ4L"; pcsc-tools' smartcard_list.txt, not in the
    /// official middleware's table).
    ActalisB946,
    /// A card that answers like a CIE but whose ATR is not in the table.
    Unknown(RootSelect),
}

/// ATR fragments that identify each generation (PROTOCOL.md §1.1). They are first searched as
/// contiguous byte strings; only if none matches is the official middleware's multiset
/// inclusion applied (§1.1, in table order), so that a chip the official middleware recognises
/// is recognised here too (the full STM and STM2 ATRs are not public).
const ATR_HINTS: &[(Generation, &[u8])] = &[
    (Generation::Nxp, &[0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4E, 0x58, 0x50]),
    (Generation::Gemalto, &[0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x00, 0x11]),
    (Generation::Gemalto2, &[0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x03, 0x00, 0xEF]),
    (Generation::Stm3, &[0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x94]),
    (Generation::Stm, &[0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x7F]),
    (Generation::Stm2, &[0x80, 0x80, 0x01, 0x01]),
    (Generation::Actalis, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x41]),
    (Generation::Actalis2023, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x43]),
    (Generation::Bit4id, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x42]),
    (Generation::Bit4id2023, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x44]),
    (Generation::Bit4idB9547, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x49]),
    (Generation::ActalisB946, &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x4C]),
];

/// The JCOP4 family's historical bytes before the variant letter (`80 65` "ITJ4", PROTOCOL.md
/// §1.1): a card with a letter not in [`ATR_HINTS`] is still a JCOP4 chip, reached by the MF.
const JCOP4_FAMILY: &[u8] = &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34];

/// The official table order (PROTOCOL.md §1.1): the first multiset match wins. ITJ4L is not
/// in the official table: it is matched contiguously only.
const OFFICIAL_ORDER: &[Generation] = Generation::KNOWN.split_at(11).0;

/// True when every byte of `pattern` occurs in `atr` at least as often (multiset inclusion).
fn multiset_includes(atr: &[u8], pattern: &[u8]) -> bool {
    let mut counts = [0i32; 256];
    for &b in atr {
        counts[b as usize] += 1;
    }
    for &b in pattern {
        counts[b as usize] -= 1;
        if counts[b as usize] < 0 {
            return false;
        }
    }
    true
}

impl Generation {
    /// The twelve known generations.
    pub const KNOWN: [Generation; 12] = [
        Generation::Nxp,
        Generation::Gemalto,
        Generation::Gemalto2,
        Generation::Stm,
        Generation::Stm2,
        Generation::Stm3,
        Generation::Actalis,
        Generation::Actalis2023,
        Generation::Bit4id,
        Generation::Bit4id2023,
        Generation::Bit4idB9547,
        Generation::ActalisB946,
    ];

    /// The generation the ATR suggests, if any (PROTOCOL.md §1.1): a hint for the first probe
    /// and the chip's name, never proof of a CIE (a card that is not one can carry any of these
    /// bytes; probing decides). In order: a known fragment as contiguous bytes; the JCOP4
    /// family `80 65 "ITJ4"` with an unknown letter ([`Generation::Unknown`] reached by the MF);
    /// the official middleware's multiset rule.
    pub fn from_atr(atr: &[u8]) -> Option<Generation> {
        let contains = |pattern: &[u8]| atr.windows(pattern.len()).any(|w| w == pattern);
        if let Some((g, _)) = ATR_HINTS.iter().find(|(_, pattern)| contains(pattern)) {
            return Some(*g);
        }
        if contains(JCOP4_FAMILY) {
            return Some(Generation::Unknown(RootSelect::MasterFile));
        }
        OFFICIAL_ORDER
            .iter()
            .filter_map(|g| ATR_HINTS.iter().find(|(h, _)| h == g))
            .find(|(_, p)| multiset_includes(atr, p))
            .map(|(g, _)| *g)
    }

    /// How this generation selects its root application (PROTOCOL.md §1.2).
    pub fn root_select(self) -> RootSelect {
        match self {
            Generation::Gemalto | Generation::Gemalto2 | Generation::Stm | Generation::Stm2 | Generation::Stm3 => {
                RootSelect::IasAid
            }
            Generation::Unknown(r) => r,
            _ => RootSelect::MasterFile,
        }
    }

    /// True when the card returns g, p and q in one GET DATA (PROTOCOL.md §4.1; first Gemalto).
    pub fn dh_params_one_call(self) -> bool {
        self == Generation::Gemalto
    }

    /// The name used by the official middleware (PROTOCOL.md §1.1).
    pub fn name(self) -> &'static str {
        match self {
            Generation::Nxp => "NXP",
            Generation::Gemalto => "Gemalto",
            Generation::Gemalto2 => "Gemalto2",
            Generation::Stm => "STM",
            Generation::Stm2 => "STM2",
            Generation::Stm3 => "STM3",
            Generation::Actalis => "Actalis",
            Generation::Actalis2023 => "Actalis2023",
            Generation::Bit4id => "Bit4id",
            Generation::Bit4id2023 => "Bit4id2023",
            Generation::Bit4idB9547 => "Bit4id_B9547",
            Generation::ActalisB946 => "Actalis_B946",
            Generation::Unknown(RootSelect::IasAid) => "unknown (IAS AID)",
            Generation::Unknown(RootSelect::MasterFile) => "unknown (MF)",
        }
    }

    /// The chip manufacturer or issuer, for token information.
    pub fn manufacturer(self) -> &'static str {
        match self {
            Generation::Nxp => "NXP",
            Generation::Gemalto | Generation::Gemalto2 => "Gemalto",
            Generation::Stm | Generation::Stm2 | Generation::Stm3 => "STMicroelectronics",
            Generation::Actalis | Generation::Actalis2023 | Generation::ActalisB946 => "Actalis",
            Generation::Bit4id | Generation::Bit4id2023 | Generation::Bit4idB9547 => "Bit4id",
            Generation::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atr_hints() {
        let gemalto = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x00, 0x11, 0x12, 0x0F, 0xFF, 0x82, 0x90,
            0x00, 0x8A,
        ];
        assert_eq!(Generation::from_atr(&gemalto), Some(Generation::Gemalto));
        let stm3 = [0x3B, 0x8B, 0x80, 0x01, 0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x94, 0x82, 0x90, 0x00, 0xC5];
        assert_eq!(Generation::from_atr(&stm3), Some(Generation::Stm3));
        let b9547 = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x49, 0x12, 0x0F, 0xFF, 0x82, 0x90,
            0x00, 0x80,
        ];
        assert_eq!(Generation::from_atr(&b9547), Some(Generation::Bit4idB9547));
        assert_eq!(Generation::from_atr(&[0x3B, 0x00]), None);
        // No contiguous match: the official multiset rule decides (STM2's `80 80 01 01`).
        let stm2_like =
            [0x3B, 0x8B, 0x80, 0x01, 0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x01, 0x01, 0x82, 0x90, 0x00, 0x51];
        assert_eq!(Generation::from_atr(&stm2_like), Some(Generation::Stm2));
        assert_eq!(Generation::Bit4idB9547.root_select(), RootSelect::MasterFile);
        assert_eq!(Generation::Stm2.root_select(), RootSelect::IasAid);
        assert!(Generation::Gemalto.dh_params_one_call());
        assert!(!Generation::Gemalto2.dh_params_one_call());
    }
}
