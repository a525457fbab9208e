//! cie-sim: a software CIE 3.0, for tests, benchmarks, fuzzing and integrators (README.md).
//!
//! - **The card** ([`card`]): [`SimCard`], the card's state machine written from PROTOCOL.md
//!   §10, with its own APDU parser, status words, constants and secure messaging; it shares no
//!   code with cie-core (a test fails if a file of `src/card/` names it). Its generations are
//!   [`profile`]s, its personalisation an [`image`], its timing behind pcscd a [`latency`]
//!   model. Beside it, [`card::ForeignCard`] is a card that is not a CIE at all.
//! - **The plumbing** that puts the card in a reader, the only part that uses cie-core (its
//!   `Transport` trait): [`transport`] (in-process, [`SimHandle`] and [`SimTransport`]),
//!   [`vpcd`] (the card as a virtual card of vsmartcard's vpcd reader driver, run by the
//!   `cie-sim` binary), [`control`] (that binary's control lines and status lines) and
//!   [`stack`] (an isolated pcscd + vpcd + `cie-sim` in private namespaces); [`sweep`] runs an
//!   operation with a fault before each of its APDUs in turn.
//! - **Fixtures**: [`fixtures`], the committed test card (its numbers in `test_card`), and
//!   [`pki`], which generates that test PKI and personalisation (`host_keys` holds the
//!   official hosts' public constants it is built around).
//! - **Fuzz support**: [`fuzz_card`], a card with small keys that makes a whole handshake cost
//!   microseconds in the fuzz targets (`--cfg fuzzing` builds).
//!
//! Imports point one way: the plumbing uses the card; the card uses its image and profile;
//! the fixtures, pki and fuzz_card use the image and the card's constants (`card::consts`).
//! Nothing imports the plumbing, and the card imports neither the plumbing nor the fixtures.

pub mod atr;
pub mod card;
pub mod control;
pub mod fixtures;
pub mod fuzz_card;
mod host_keys;
pub mod image;
pub mod latency;
pub mod pki;
pub mod profile;
pub mod stack;
pub mod sweep;
mod test_card;
pub mod transport;
pub mod vpcd;

pub use atr::{Atr, AtrError};
pub use card::{SignFault, SimCard, SimOptions};
pub use profile::Profile;
pub use transport::{SimHandle, SimTransport};
