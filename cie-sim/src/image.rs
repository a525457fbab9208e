//! The personalisation of one simulated card: its files, keys and DH group (PROTOCOL.md §10.1).

use rsa::RsaPrivateKey;

/// Which EF.SOD profile the card carries, as real cards have them (PROTOCOL.md §8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SodProfile {
    /// Old profile: SHA-256 data-group digests, PKCS#1 v1.5 signature sha1WithRSAEncryption,
    /// LDS version 0, data groups `A5 A4 A1 A3 A2 1B`, the file zero-padded to 3,072 bytes;
    /// the Document Signer certificate signed sha1WithRSAEncryption by the CSCA.
    Sha256Pkcs1,
    /// New profile: SHA-512 digests, RSASSA-PSS with SHA-512, MGF1-SHA-512 and salt 64, LDS
    /// version 1 with ldsVersionInfo ("0108", "040000"), data groups `A5 1B A4 A3 A2 A1`; the
    /// Document Signer certificate signed RSASSA-PSS by the CSCA.
    Sha512Pss,
}

/// Everything that personalises one simulated card. PIN and PUK are not part of the image:
/// they are chosen when the card is created.
#[derive(Clone)]
pub struct CardImage {
    /// EF.SN.ICC (`D003`), 12 bytes; bytes `[5..11)` are the NIS in packed BCD (§2.4).
    pub sn_icc: Vec<u8>,
    /// EF.DH (`D004`): DER of the DH domain parameters.
    pub ef_dh: Vec<u8>,
    /// EF.ID_Servizi (`1001`): the 12 ASCII digits of the NIS.
    pub nis: Vec<u8>,
    /// EF.Seriale (`1002`): the card number, ASCII (9 characters).
    pub serial: Vec<u8>,
    /// EF.Cert_CIE (`1003`): the holder's X.509 authentication certificate, DER.
    pub certificate: Vec<u8>,
    /// EF.Int.Kpub (`1004`): PKCS#1 RSAPublicKey DER of key `82`.
    pub int_kpub: Vec<u8>,
    /// EF.Servizi_Int.Kpub (`1005`): PKCS#1 RSAPublicKey DER of key `83`.
    pub servizi_kpub: Vec<u8>,
    /// EF.SOD (`1006`): the CMS SignedData over the data groups, in `profile`.
    pub sod: Vec<u8>,
    /// The EF.SOD profile.
    pub sod_profile: SodProfile,
    /// DH generator g, 256 bytes big-endian.
    pub dh_g: Vec<u8>,
    /// DH prime p, 256 bytes big-endian.
    pub dh_p: Vec<u8>,
    /// DH subgroup order q, 32 bytes big-endian.
    pub dh_q: Vec<u8>,
    /// Key `81`: the holder's signing/authentication key (its public half is in `certificate`).
    pub key_sign: RsaPrivateKey,
    /// Key `82`: the chip (DAPP) internal-authentication key (public half in EF 1004).
    pub key_dapp: RsaPrivateKey,
    /// Key `83`: the "servizi" internal-authentication key (public half in EF 1005).
    pub key_servizi: RsaPrivateKey,
    /// Key `84`: the external-authentication CA modulus n' (256 bytes).
    pub ca_modulus: Vec<u8>,
    /// Key `84`: the CA public exponent e' = d_CA^-1 mod lambda(n') (DESIGN.md §4).
    pub ca_exponent: Vec<u8>,
    /// Key `84`: CHR, 12 bytes; CAR = CHR[4..12).
    pub ca_chr: Vec<u8>,
    /// Key `84`: CHA, 7 bytes; the first 6 are the CA AID.
    pub ca_cha: Vec<u8>,
}
