//! cie-sim: a software CIE 3.0.
pub mod image;
pub mod fixtures;
pub mod pki;
pub mod latency;
pub mod stack;
pub mod vpcd;
