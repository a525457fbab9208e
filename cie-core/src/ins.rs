//! Instruction bytes (INS) of the card commands the host sends, named as PROTOCOL.md and
//! ISO 7816-4 name the commands (PROTOCOL.md §10.3 lists them from the card's side).
//!
//! The command builders are in `commands`; these names are also what the APDU codec (GET
//! RESPONSE) and the trace redaction of `transport` need, below the builders.

/// SELECT (PROTOCOL.md §1.2, §2.1, §2.5).
pub const SELECT: u8 = 0xA4;
/// READ BINARY (PROTOCOL.md §2.5).
pub const READ_BINARY: u8 = 0xB0;
/// GET DATA (PROTOCOL.md §4.1-§4.3).
pub const GET_DATA: u8 = 0xCB;
/// GET RESPONSE, after a `61 xx` answer (PROTOCOL.md §10.3).
pub const GET_RESPONSE: u8 = 0xC0;
/// MANAGE SECURITY ENVIRONMENT, "MSE" (PROTOCOL.md §4.3, §4.4.2, §7.1).
pub const MSE: u8 = 0x22;
/// PERFORM SECURITY OPERATION, "PSO" (PROTOCOL.md §4.4.2).
pub const PSO: u8 = 0x2A;
/// GET CHALLENGE (PROTOCOL.md §4.4.2).
pub const GET_CHALLENGE: u8 = 0x84;
/// EXTERNAL AUTHENTICATE (PROTOCOL.md §4.4.2).
pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
/// INTERNAL AUTHENTICATE (PROTOCOL.md §4.4.2, §7.1).
pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
/// VERIFY (PROTOCOL.md §6).
pub const VERIFY: u8 = 0x20;
/// CHANGE REFERENCE DATA (PROTOCOL.md §6).
pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
/// RESET RETRY COUNTER (PROTOCOL.md §6).
pub const RESET_RETRY_COUNTER: u8 = 0x2C;
