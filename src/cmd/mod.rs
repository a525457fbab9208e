//! The commands of the `cie` tool, one module each.

pub mod cert;
pub mod document;
pub mod info;
pub mod pin;
pub mod readers;
pub mod sign;
pub mod sod;
