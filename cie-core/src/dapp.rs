//! Device authentication with privacy protection, DAPP (PROTOCOL.md §4.2, §4.4).
//!
//! The host re-issues the terminal CV certificate signed with the public CA private exponent
//! ([`crate::interop::CA_PRIVATE_EXPONENT`]) under the card's CA modulus, proves possession of the
//! terminal key (EXTERNAL AUTHENTICATE) and checks the chip's answer with key `82` (EF 1004).
//! Both signatures bind the DH values and the domain parameters.

use std::sync::Mutex;

use num_bigint::BigUint;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::apdu::{self, Command};
use crate::channel::SecureChannel;
use crate::commands;
use crate::dh::{to_fixed, DhGroup};
use crate::error::{Error, Result};
use crate::interop;
use crate::primitives;
use crate::sm::{push_len, Ssc};
use crate::tlv;
use crate::transport::Link;

/// Key `84`: the external-authentication CA public key and its identifiers (§4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaKey {
    /// Modulus n (leading zeros stripped).
    pub modulus: Vec<u8>,
    /// Public exponent e.
    pub exponent: Vec<u8>,
    /// Certificate holder reference (12 bytes); CAR = CHR[4..12).
    pub chr: Vec<u8>,
    /// Certificate holder authorisation; CA AID = CHA[0..6).
    pub cha: Vec<u8>,
}

impl CaKey {
    /// CAR of the terminal certificate: CHR[4..12) (§4.2).
    pub fn car(&self) -> Result<&[u8]> {
        self.chr.get(4..12).ok_or_else(|| Error::malformed("CA CHR shorter than 12 bytes"))
    }

    /// CA AID: CHA[0..6) (§4.2).
    pub fn aid(&self) -> Result<&[u8]> {
        self.cha.get(..6).ok_or_else(|| Error::malformed("CA CHA shorter than 6 bytes"))
    }
}

/// Shortest CA modulus accepted, in bytes: 128 (1024 bits). Fuzz builds only (`--cfg fuzzing`)
/// accept 64, for the simulator's fuzz card (fuzz/README.md, "Fast path").
pub const MIN_CA_MODULUS_LEN: usize = if cfg!(fuzzing) { 64 } else { 128 };

/// Reads key `84` with GET DATA `BF A0 04` / `7F 49` (§4.2), in plain.
pub fn read_ca_key<L: Link + ?Sized>(link: &mut L) -> Result<CaKey> {
    let data = apdu::transmit(link, &commands::get_data_ca_key())?.ok("GET DATA CA key")?;
    let root = tlv::parse(&data)?;
    let key = tlv::child(tlv::child(&root, 0xBFA004)?, 0x7F49)?;
    let get = |t| -> Result<Vec<u8>> { Ok(tlv::primitive(tlv::child(key, t)?)?.to_vec()) };
    let modulus = strip_zeros(&get(0x81)?).to_vec();
    let ca = CaKey { modulus, exponent: get(0x82)?, chr: get(0x5F20)?, cha: get(0x5F4C)? };
    if ca.modulus.len() < MIN_CA_MODULUS_LEN || ca.exponent.is_empty() {
        return Err(Error::malformed("implausible CA key"));
    }
    ca.car()?;
    ca.aid()?;
    Ok(ca)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// Appends a TLV with a one- or two-byte tag.
fn push_tlv(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    out.extend_from_slice(tag);
    push_len(out, value.len());
    out.extend_from_slice(value);
}

/// Builds the terminal CV certificate for this card's CA and signs it with the public CA
/// private exponent, ISO/IEC 9796-2 scheme 1 with SHA-256 (§4.4.1). The signature is checked
/// with the card's CA public key before use ("Errore in verifica firma" in the official host).
///
/// The certificate is a function of public data only (the CA key and the fixed terminal key),
/// and every CIE carries the same CA key: the certificates issued for the last few CA keys are
/// kept for the process, so that a new session does not pay two RSA-2048 exponentiations again.
/// A CA key that does not match the private exponent is refused each time.
pub fn terminal_certificate(ca: &CaKey) -> Result<Vec<u8>> {
    static ISSUED: Mutex<Vec<(CaKey, Vec<u8>)>> = Mutex::new(Vec::new());
    let lock = || ISSUED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, cert)) = lock().iter().find(|(k, _)| k == ca) {
        return Ok(cert.clone());
    }
    let cert = issue_terminal_certificate(ca)?;
    let mut issued = lock();
    if issued.len() >= MAX_ISSUED {
        issued.remove(0);
    }
    issued.push((ca.clone(), cert.clone()));
    Ok(cert)
}

/// How many certificates [`terminal_certificate`] keeps (one per distinct CA key).
const MAX_ISSUED: usize = 4;

fn issue_terminal_certificate(ca: &CaKey) -> Result<Vec<u8>> {
    let car = ca.car()?;
    let mut body = Vec::with_capacity(297);
    body.push(interop::CPI);
    body.extend_from_slice(car);
    body.extend_from_slice(&interop::CHR_IFD);
    body.extend_from_slice(ca.aid()?);
    body.push(0x01);
    body.extend_from_slice(&interop::TERMINAL_CERT_OID);
    body.extend_from_slice(&interop::TERMINAL_MODULUS);
    body.extend_from_slice(&interop::TERMINAL_PUBLIC_EXPONENT);

    let k = ca.modulus.len();
    if k < 34 + 1 || body.len() < k - 34 {
        return Err(Error::DeviceAuthentication("CA modulus size unsupported".into()));
    }
    let recoverable = k - 34;
    let mut m = Vec::with_capacity(k);
    m.push(0x6A);
    m.extend_from_slice(&body[..recoverable]);
    m.extend_from_slice(&Sha256::digest(&body));
    m.push(0xBC);

    let n = BigUint::from_bytes_be(&ca.modulus);
    let mi = BigUint::from_bytes_be(&m);
    if mi >= n {
        return Err(Error::DeviceAuthentication("terminal certificate does not fit the CA modulus".into()));
    }
    // Remembered in fuzz builds (`primitives`), so a refused CA key repeated by the fuzzer is
    // not paid for again.
    let s = primitives::modpow(&mi, &BigUint::from_bytes_be(&interop::CA_PRIVATE_EXPONENT), &n);
    if primitives::modpow(&s, &BigUint::from_bytes_be(&ca.exponent), &n) != mi {
        return Err(Error::DeviceAuthentication(
            "the card's CA key does not match the published CA private exponent".into(),
        ));
    }
    let sig = to_fixed(&s, k)?;

    let mut inner = Vec::with_capacity(k + 100);
    push_tlv(&mut inner, &[0x5F, 0x37], &sig);
    push_tlv(&mut inner, &[0x5F, 0x38], &body[recoverable..]);
    push_tlv(&mut inner, &[0x42], car);
    let mut cert = Vec::with_capacity(inner.len() + 5);
    push_tlv(&mut cert, &[0x7F, 0x21], &inner);
    Ok(cert)
}

/// Everything DAPP hashes, as exchanged byte for byte.
pub struct DappInput<'a> {
    /// The DH group as read from the card.
    pub group: &'a DhGroup,
    /// Host DH public value as sent.
    pub y_ifd: &'a [u8],
    /// Card DH public value as received.
    pub y_icc: &'a [u8],
    /// The terminal certificate from [`terminal_certificate`].
    pub certificate: &'a [u8],
    /// Key `82`'s public key (EF 1004).
    pub chip_key: &'a RsaPublicKey,
}

fn dapp_hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Runs the seven DAPP commands under secure messaging (§4.4.2) and returns the counter to use
/// from the next command on (§4.4.3).
pub fn authenticate<L: Link + ?Sized>(channel: &mut SecureChannel, link: &mut L, input: &DappInput<'_>) -> Result<Ssc> {
    let mut send = |cmd: Command, what: &'static str| -> Result<Vec<u8>> { channel.transmit(link, &cmd)?.ok(what) };

    // 1-2: the card verifies our certificate with key 84.
    send(commands::mse_set_dst(), "MSE SET DST")?;
    send(commands::pso_verify_certificate(input.certificate), "PSO VERIFY CERTIFICATE")?;

    // 3-5: external authentication of the terminal key.
    send(commands::mse_set_at_external_authentication(), "MSE SET AT (external)")?;
    let challenge = send(commands::get_challenge(), "GET CHALLENGE")?;
    let rnd_icc: [u8; 8] =
        challenge.as_slice().try_into().map_err(|_| Error::DeviceAuthentication("challenge is not 8 bytes".into()))?;

    let n_ifd = BigUint::from_bytes_be(&interop::TERMINAL_MODULUS);
    let k_ifd = interop::TERMINAL_MODULUS.len();
    let mut prnd = vec![0u8; k_ifd - 34];
    primitives::fill_random(&mut prnd);
    let g = input.group;
    let h = dapp_hash(&[&prnd, input.y_ifd, &interop::SN_IFD, &rnd_icc, input.y_icc, &g.g, &g.p, &g.q]);
    let mut m = Vec::with_capacity(k_ifd);
    m.push(0x6A);
    m.extend_from_slice(&prnd);
    m.extend_from_slice(&h);
    m.push(0xBC);
    let d_ifd = BigUint::from_bytes_be(&interop::TERMINAL_PRIVATE_EXPONENT);
    let sig = primitives::modpow(&BigUint::from_bytes_be(&m), &d_ifd, &n_ifd);
    let mut ext = interop::SN_IFD.to_vec();
    ext.extend_from_slice(&to_fixed(&sig, k_ifd)?);
    send(commands::external_authenticate(ext), "EXTERNAL AUTHENTICATE")?;

    // 6-7: the chip proves itself with key 82.
    send(commands::mse_set_at_chip_authentication(), "MSE SET AT (internal)")?;
    let mut rnd_ifd = [0u8; 8];
    primitives::fill_random(&mut rnd_ifd);
    let answer = send(commands::internal_authenticate(rnd_ifd), "INTERNAL AUTHENTICATE (DAPP)")?;
    verify_chip_answer(&answer, &rnd_ifd, input)?;
    Ok(Ssc::after_dapp(&rnd_icc, &rnd_ifd))
}

/// Checks SN.ICC || SIG_ICC from the chip (§4.4.2, card step 7).
fn verify_chip_answer(answer: &[u8], rnd_ifd: &[u8; 8], input: &DappInput<'_>) -> Result<()> {
    let fail = |why: &str| Error::DeviceAuthentication(format!("chip authentication failed: {why}"));
    if answer.len() < 8 + 64 {
        return Err(fail("answer too short"));
    }
    let (sn_icc, sig) = answer.split_at(8);
    let key = input.chip_key;
    let s = BigUint::from_bytes_be(sig);
    let n = BigUint::from_bytes_be(&key.n().to_bytes_be());
    if s >= n {
        return Err(fail("signature out of range"));
    }
    let e = BigUint::from_bytes_be(&key.e().to_bytes_be());
    let x = to_fixed(&primitives::modpow(&s, &e, &n), key.size())?;
    let len = x.len();
    if len < 34 || x[0] != 0x6A || x[len - 1] != 0xBC {
        return Err(fail("bad signature format"));
    }
    let prnd2 = &x[1..len - 33];
    let h2 = &x[len - 33..len - 1];
    let g = input.group;
    let expected = dapp_hash(&[prnd2, input.y_icc, sn_icc, rnd_ifd, input.y_ifd, &g.g, &g.p, &g.q]);
    if !bool::from(expected.ct_eq(h2)) {
        return Err(fail("hash mismatch"));
    }
    Ok(())
}
