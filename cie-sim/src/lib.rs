//! cie-sim: a software CIE 3.0.
