//! The test card's own numbers: its credentials and the identity numbers its personalisation
//! and test PKI are built around ([`crate::pki`]); re-exported by [`crate::fixtures`].

/// PIN of the test card (8 digits, PROTOCOL.md §6).
pub const TEST_PIN: &str = "12345678";
/// PUK of the test card (8 digits, PROTOCOL.md §6).
pub const TEST_PUK: &str = "87654321";
/// NIS of the test card: the 12 ASCII digits of EF 1001, packed BCD in EF.SN.ICC[5..11)
/// (PROTOCOL.md §2.2, §2.4).
pub const TEST_NIS: &str = "378215946021";
/// Card number of the test card, EF 1002 (9 characters: 2 letters, 5 digits, 2 letters;
/// PROTOCOL.md §2.2).
pub const TEST_SERIAL: &str = "CA00000AA";
