//! Card generations the simulator can impersonate (PROTOCOL.md §1.1, §1.2).
//!
//! Profiles differ only where §1.2 says they do: the ATR, whether the IAS AID selects the MF
//! (Gemalto/STM) or is unknown (`6A 82`, NXP-class chips), and whether the one-call GET DATA for
//! the DH parameters (`A3 80`, §4.1) is answered (CIE_Gemalto only).

/// One CIE 3.0 generation (the `CIE_Type` values of the official middleware, §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// NXP chip (`CIE_NXP`).
    Nxp,
    /// Gemalto, first generation (`CIE_Gemalto`): the only one answering the one-call DH GET DATA.
    Gemalto,
    /// Gemalto, second generation (`CIE_Gemalto2`).
    Gemalto2,
    /// STMicroelectronics (`CIE_STM`).
    Stm,
    /// STMicroelectronics, second generation (`CIE_STM2`).
    Stm2,
    /// STMicroelectronics, third generation (`CIE_STM3`).
    Stm3,
    /// Actalis on NXP JCOP4 (`CIE_ACTALIS`).
    Actalis,
    /// Actalis 2023 (`CIE_ACTALIS2`).
    Actalis2023,
    /// Bit4id on NXP JCOP4 (`CIE_BIT4ID`).
    Bit4id,
    /// Bit4id 2023 (`CIE_BIT4ID2`).
    Bit4id2023,
    /// Bit4id applet B9547 (`CIE_BIT4ID3`).
    Bit4idB9547,
    /// Actalis applet B946 on NXP JCOP4 ("ITJ4L"; listed by pcsc-tools, not in the official
    /// middleware's table).
    ActalisB946,
}

/// §1.1 ATRs, as pcsc-tools' smartcard_list.txt lists them (commit 3e819c605e93). STM2 has no
/// known full form: its ATR is built by us (see [`Profile::atr`]).
///
/// NXP: "Italian Electronic Contactless Identity Card v. 3.0 (CIE 3.0) - ICAO 9303 Compliant".
/// T0 = `8E`: 14 historical bytes, the last two `82 90` (no `00`), TCK `F0`.
const ATR_NXP: [u8; 19] =
    [0x3B, 0x8E, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4E, 0x58, 0x50, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0xF0];
const ATR_GEMALTO: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x00, 0x11, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x8A,
];
const ATR_GEMALTO2: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x03, 0x00, 0xEF, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x73,
];
/// "Italian Card Identity" (the STM3 shape with `… B8 00 7F`).
const ATR_STM: [u8; 16] =
    [0x3B, 0x8B, 0x80, 0x01, 0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x7F, 0x82, 0x90, 0x00, 0x2E];
/// Built: the STM2 pattern `80 80 01 01` is itself the tail of a complete ATR without historical
/// bytes: T0 = `80` (TD1 follows, K = 0), TD1 = `80` (T=0, TD2 follows), TD2 = `01` (T=1),
/// TCK = `01`.
const ATR_STM2: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];
const ATR_STM3: [u8; 16] =
    [0x3B, 0x8B, 0x80, 0x01, 0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x94, 0x82, 0x90, 0x00, 0xC5];
const ATR_ACTALIS: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x41, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x88,
];
const ATR_ACTALIS2023: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x43, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x8A,
];
const ATR_BIT4ID: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x42, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x8B,
];
const ATR_BIT4ID2023: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x44, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x8D,
];
const ATR_BIT4ID_B9547: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x49, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x80,
];
/// "Italian electronic identifity card (CIE)" ("ITJ4L").
const ATR_ACTALIS_B946: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x4C, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00,
    0x85,
];

impl Profile {
    /// Every profile, in the order of the official middleware's ATR table (§1.1), then ITJ4L.
    pub const ALL: [Profile; 12] = [
        Profile::Nxp,
        Profile::Gemalto,
        Profile::Gemalto2,
        Profile::Stm,
        Profile::Stm2,
        Profile::Stm3,
        Profile::Actalis,
        Profile::Actalis2023,
        Profile::Bit4id,
        Profile::Bit4id2023,
        Profile::Bit4idB9547,
        Profile::ActalisB946,
    ];

    /// The generation's name (§1.1), e.g. `"NXP"`, `"Bit4id_B9547"`: the same spelling as the
    /// host library's `Generation::name` (its `tests/generations.rs` checks it).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Nxp => "NXP",
            Profile::Gemalto => "Gemalto",
            Profile::Gemalto2 => "Gemalto2",
            Profile::Stm => "STM",
            Profile::Stm2 => "STM2",
            Profile::Stm3 => "STM3",
            Profile::Actalis => "Actalis",
            Profile::Actalis2023 => "Actalis2023",
            Profile::Bit4id => "Bit4id",
            Profile::Bit4id2023 => "Bit4id2023",
            Profile::Bit4idB9547 => "Bit4id_B9547",
            Profile::ActalisB946 => "Actalis_B946",
        }
    }

    /// Parses a profile name: case-insensitive, `-`, `_` and spaces ignored, so `"nxp"`,
    /// `"bit4id-b9547"`, `"Bit4idB9547"` and `"actalis_2023"` are all accepted.
    pub fn from_name(s: &str) -> Option<Profile> {
        fn norm(s: &str) -> String {
            s.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
        }
        let wanted = norm(s);
        Profile::ALL.into_iter().find(|p| norm(p.name()) == wanted)
    }

    /// The answer to reset (§1.1): the ATR real readers report for the chip, from pcsc-tools'
    /// list. STM2 has only a pattern in the official table, `80 80 01 01`, which is the tail of
    /// the pseudo-ATR `3B 80 80 01 01` of any contactless card without historical bytes: that
    /// is its ATR here. `cie-sim --atr` ([`crate::SimCard::with_atr`]) presents any other.
    pub fn atr(self) -> &'static [u8] {
        match self {
            Profile::Nxp => &ATR_NXP,
            Profile::Gemalto => &ATR_GEMALTO,
            Profile::Gemalto2 => &ATR_GEMALTO2,
            Profile::Stm => &ATR_STM,
            Profile::Stm2 => &ATR_STM2,
            Profile::Stm3 => &ATR_STM3,
            Profile::Actalis => &ATR_ACTALIS,
            Profile::Actalis2023 => &ATR_ACTALIS2023,
            Profile::Bit4id => &ATR_BIT4ID,
            Profile::Bit4id2023 => &ATR_BIT4ID2023,
            Profile::Bit4idB9547 => &ATR_BIT4ID_B9547,
            Profile::ActalisB946 => &ATR_ACTALIS_B946,
        }
    }

    /// The historical bytes of [`Profile::atr`] (T0's low nibble counts them; they sit right
    /// before TCK in every ATR above).
    pub fn historical_bytes(self) -> &'static [u8] {
        let atr = self.atr();
        let k = usize::from(atr[1] & 0x0F);
        &atr[atr.len() - 1 - k..atr.len() - 1]
    }

    /// Whether SELECT by the IAS AID selects the MF (Gemalto, Gemalto2, STM*). NXP-class chips
    /// (NXP, Actalis*, Bit4id*) answer `6A 82` and are reached with `00 A4 00 00` (§1.2).
    pub fn has_ias_aid(self) -> bool {
        matches!(self, Profile::Gemalto | Profile::Gemalto2 | Profile::Stm | Profile::Stm2 | Profile::Stm3)
    }

    /// Whether the one-call GET DATA for the DH parameters (`… BF A1 01 02 A3 80`, §4.1) is
    /// answered. Only CIE_Gemalto is known to use it (§1.2); every other profile answers it with
    /// `6A 88` (referenced data not found), our choice for the open point §11.8.
    pub fn dh_params_one_call(self) -> bool {
        self == Profile::Gemalto
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official middleware's ATR patterns, in table order (§1.1), then ITJ4L's (ours).
    const PATTERNS: [&[u8]; 12] = [
        &[0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4E, 0x58, 0x50],
        &[0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x00, 0x11],
        &[0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x03, 0x00, 0xEF],
        &[0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x7F],
        &[0x80, 0x80, 0x01, 0x01],
        &[0x80, 0x01, 0x80, 0x66, 0x47, 0x50, 0x00, 0xB8, 0x00, 0x94, 0x82, 0x90, 0x00, 0xC5],
        &[0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x41, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00, 0x88],
        &[0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x43, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00, 0x8A],
        &[0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x42, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00, 0x8B],
        &[0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x44, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00, 0x8D],
        &[0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x49, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00, 0x80],
        &[0x80, 0x65, 0x49, 0x54, 0x4A, 0x34, 0x4C],
    ];

    /// `IsSubset` of the official middleware: sorted multiset inclusion.
    fn is_subset(atr: &[u8], pattern: &[u8]) -> bool {
        let mut a = atr.to_vec();
        let mut p = pattern.to_vec();
        a.sort_unstable();
        p.sort_unstable();
        let mut i = 0;
        for b in p {
            while i < a.len() && a[i] < b {
                i += 1;
            }
            if i == a.len() || a[i] != b {
                return false;
            }
            i += 1;
        }
        true
    }

    #[test]
    fn each_atr_is_recognised_as_its_own_generation() {
        for (i, p) in Profile::ALL.into_iter().enumerate() {
            let first = PATTERNS.iter().position(|pat| is_subset(p.atr(), pat));
            assert_eq!(first, Some(i), "{p}");
            // Also found as contiguous bytes, by a host that searches substrings.
            let first = PATTERNS.iter().position(|pat| p.atr().windows(pat.len()).any(|w| w == *pat));
            assert_eq!(first, Some(i), "{p}");
        }
    }

    #[test]
    fn the_foreign_card_s_atr_matches_no_pattern() {
        let atr = crate::card::FOREIGN_ATR;
        for pat in PATTERNS {
            assert!(!is_subset(&atr, pat), "{pat:02X?}");
            assert!(!atr.windows(pat.len()).any(|w| w == pat), "{pat:02X?}");
        }
    }

    #[test]
    fn atrs_are_well_formed() {
        for p in Profile::ALL {
            let atr = p.atr();
            assert_eq!(atr[0], 0x3B, "{p}");
            // T0 = 8x: TD1 present; TD1 = 80 (T=0, TD2 follows); TD2 = 01 (T=1, nothing follows).
            assert_eq!(atr[1] & 0xF0, 0x80, "{p}");
            assert_eq!(&atr[2..4], &[0x80, 0x01], "{p}");
            assert_eq!(atr.len(), 4 + usize::from(atr[1] & 0x0F) + 1, "{p}");
            // TCK: XOR of T0 .. TCK is zero.
            assert_eq!(atr[1..].iter().fold(0u8, |a, b| a ^ b), 0, "{p}");
            assert_eq!(p.historical_bytes().len(), usize::from(atr[1] & 0x0F));
        }
        assert_eq!(Profile::Nxp.historical_bytes()[0], 0x80);
        assert_eq!(*Profile::Stm3.historical_bytes().last().unwrap(), 0x00);
        assert_eq!(Profile::Nxp.historical_bytes().len(), 14);
        assert_eq!(*Profile::Nxp.historical_bytes().last().unwrap(), 0x90);
        assert!(Profile::Stm2.historical_bytes().is_empty());
    }

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
            assert_eq!(Profile::from_name(&p.name().to_uppercase()), Some(p));
        }
        assert_eq!(Profile::from_name("bit4id-b9547"), Some(Profile::Bit4idB9547));
        assert_eq!(Profile::from_name("Bit4idB9547"), Some(Profile::Bit4idB9547));
        assert_eq!(Profile::from_name("actalis-2023"), Some(Profile::Actalis2023));
        assert_eq!(Profile::from_name("nxp"), Some(Profile::Nxp));
        assert_eq!(Profile::from_name("infineon"), None);
        assert_eq!(Profile::from_name(""), None);
    }

    #[test]
    fn variant_flags() {
        let ias: Vec<_> = Profile::ALL.into_iter().filter(|p| p.has_ias_aid()).collect();
        assert_eq!(ias, [Profile::Gemalto, Profile::Gemalto2, Profile::Stm, Profile::Stm2, Profile::Stm3]);
        let one: Vec<_> = Profile::ALL.into_iter().filter(|p| p.dh_params_one_call()).collect();
        assert_eq!(one, [Profile::Gemalto]);
    }
}
