//! Byte values the card side needs, written from PROTOCOL.md (Appendix B, §4.4), independently
//! of the host's constants.

/// IAS-ECC application AID (§2.1, Appendix B).
pub(crate) const IAS_AID: [u8; 13] = [0xA0, 0x00, 0x00, 0x00, 0x30, 0x80, 0x00, 0x00, 0x00, 0x09, 0x81, 0x60, 0x01];
/// DF_CIE AID (§2.1, Appendix B).
pub(crate) const CIE_AID: [u8; 6] = [0xA0, 0x00, 0x00, 0x00, 0x00, 0x39];
/// Algorithm `9B`: DH key agreement (MSE SET `41 A6`) and DAPP internal authentication (§4.3, §4.4.2).
pub(crate) const ALG_DH_DAPP: u8 = 0x9B;
/// Algorithm `41`: certificate verification, ISO/IEC 9796-2 scheme 1 with SHA-256 (§4.4.2 step 1).
pub(crate) const ALG_CERT_VERIFY: u8 = 0x41;
/// Algorithm `02`: PKCS#1 v1.5 signature of caller data (§7.1).
pub(crate) const ALG_RSA_PKCS1: u8 = 0x02;
/// Certificate profile identifier of the terminal CV certificate (§4.4.1).
pub(crate) const CPI: u8 = 0x8A;
/// Device-authentication OID of the terminal certificate, with the SHA-256 indicator (§4.4.1).
pub(crate) const TERMINAL_CERT_OID: [u8; 9] = [0x2A, 0x81, 0x22, 0xF4, 0x2A, 0x02, 0x04, 0x01, 0x04];
