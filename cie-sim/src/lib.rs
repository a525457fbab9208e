//! cie-sim: a software CIE 3.0.
pub mod image;
