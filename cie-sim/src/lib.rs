//! cie-sim: a software CIE 3.0.
pub mod card;
pub mod fixtures;
pub mod fuzz_card;
mod host_keys;
pub mod image;
pub mod latency;
pub mod pki;
pub mod profile;
pub mod stack;
pub mod sweep;
pub mod transport;
pub mod vpcd;

pub use card::{SignFault, SimCard, SimOptions};
pub use profile::Profile;
pub use transport::{SimHandle, SimTransport};
