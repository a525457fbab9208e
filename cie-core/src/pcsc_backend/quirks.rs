//! The reader-quirk table (DESIGN.md §7): the one place that knows about individual readers,
//! and the check that keeps extended-length APDUs away from readers that cannot carry them.

/// Reader behaviours that need a workaround, looked up by [`quirks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderQuirks {
    /// The reader cannot carry extended-length APDUs. cie-core only ever sends short APDUs
    /// (it chains long data, PROTOCOL.md §4.3 and §5.3), so on such readers an extended APDU is
    /// refused before it reaches the reader instead of failing in an obscure way.
    pub no_extended_apdu: bool,
}

/// The reader-quirk table, the one place that knows about individual readers: `(substring of
/// the PC/SC reader name, quirks)`; the first matching row wins.
///
/// Known entries:
/// - `ACR122`: ACS ACR122U, a PN53x-based NFC reader. Its firmware frames APDUs for the PN53x
///   and does not carry extended-length APDUs (a known limitation, e.g. why it is unsuitable
///   for the German eID); short APDUs work, which is all the CIE protocol needs.
///
/// Readers not listed need no workaround. The virtual reader of the test stack ("Virtual PCD",
/// vsmartcard's vpcd) lacks `SCARD_ATTR_ATR_STRING`; that is covered for every reader by always
/// reading the ATR with `SCardStatus`, so it has no row.
const QUIRKS: &[(&str, ReaderQuirks)] = &[("ACR122", ReaderQuirks { no_extended_apdu: true })];

/// The quirks of a reader, by its PC/SC name (see the quirk table in this module's source).
pub fn quirks(reader_name: &str) -> ReaderQuirks {
    QUIRKS.iter().find(|(pattern, _)| reader_name.contains(pattern)).map(|(_, q)| *q).unwrap_or_default()
}

/// True when `apdu` is encoded as an extended-length APDU (ISO 7816-4 §5.1: a `00` byte where
/// a short Lc or Le would stand, followed by two length bytes).
pub(super) fn is_extended(apdu: &[u8]) -> bool {
    apdu.len() >= 7 && apdu[4] == 0x00
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quirk_lookup() {
        assert!(quirks("ACS ACR122U PICC Interface 00 00").no_extended_apdu);
        assert_eq!(quirks("Virtual PCD 00 00"), ReaderQuirks::default());
        assert_eq!(
            quirks("Generic Smart Card Reader Interface [Smart Card Reader Interface] (20070818000000) 00 00"),
            ReaderQuirks::default()
        );
    }

    #[test]
    fn detects_extended_apdus() {
        assert!(!is_extended(&[0x00, 0xA4, 0x00, 0x00]));
        assert!(!is_extended(&[0x00, 0xB0, 0x00, 0x00, 0x00])); // short case 2, Le = 256
        assert!(!is_extended(&[0x00, 0xA4, 0x04, 0x0C, 0x02, 0x3F, 0x00]));
        assert!(is_extended(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00])); // case 2E
        assert!(is_extended(&[0x00, 0x2A, 0x00, 0xAE, 0x00, 0x00, 0x01, 0xAB]));
        // case 3E
    }
}
