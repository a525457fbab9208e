//! Test-side helpers for driving the simulated card with hand-built APDUs. Only the pure SM
//! primitives of cie-core are used (protect/unprotect, KDF); DH, DAPP and certificate building
//! are written out here, per PROTOCOL.md §4, independently of cie-core's host session logic.

#![allow(dead_code)]

use cie_core::apdu::Command;
use cie_core::interop;
use cie_core::sm::{protect_command, unprotect_response, SmKeys, Ssc};
use cie_core::sw::StatusWord;
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::{fixtures, Profile, SimCard, SimOptions};
use num_bigint::BigUint;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};

pub(crate) const IAS_AID: [u8; 13] = interop::IAS_AID;
pub(crate) const SELECT_MF: [u8; 4] = [0x00, 0xA4, 0x00, 0x00];
pub(crate) const SELECT_CIE: [u8; 11] = [0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39];
pub(crate) const GET_G: [u8; 17] =
    [0x00, 0xCB, 0x3F, 0xFF, 0x0C, 0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x97, 0x00];
pub(crate) const GET_P: [u8; 17] =
    [0x00, 0xCB, 0x3F, 0xFF, 0x0C, 0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x98, 0x00];
pub(crate) const GET_Q: [u8; 17] =
    [0x00, 0xCB, 0x3F, 0xFF, 0x0C, 0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x99, 0x00];
pub(crate) const GET_DH_ALL: [u8; 15] =
    [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0xA1, 0x01, 0x02, 0xA3, 0x80];
pub(crate) const GET_CA_KEY: [u8; 16] =
    [0x00, 0xCB, 0x3F, 0xFF, 0x0B, 0x4D, 0x09, 0x70, 0x07, 0xBF, 0xA0, 0x04, 0x03, 0x7F, 0x49, 0x80];
pub(crate) const GET_Y_ICC: [u8; 11] = [0x00, 0xCB, 0x3F, 0xFF, 0x06, 0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00];

pub(crate) const OK: StatusWord = StatusWord::OK;

pub(crate) fn image() -> CardImage {
    fixtures::card_image(SodProfile::Sha256Pkcs1)
}

pub(crate) fn card(profile: Profile) -> SimCard {
    SimCard::new(profile, image(), SimOptions::default())
}

/// Splits a raw response into data and status word.
pub(crate) fn split(resp: &[u8]) -> (Vec<u8>, StatusWord) {
    assert!(resp.len() >= 2, "response without status word: {resp:02X?}");
    let (d, sw) = resp.split_at(resp.len() - 2);
    (d.to_vec(), StatusWord::new(sw[0], sw[1]))
}

/// One APDU, no GET RESPONSE.
pub(crate) fn send(card: &mut SimCard, apdu: &[u8]) -> (Vec<u8>, StatusWord) {
    split(&card.process(apdu))
}

/// Just the status word of one APDU.
pub(crate) fn sw(card: &mut SimCard, apdu: &[u8]) -> StatusWord {
    send(card, apdu).1
}

/// One APDU, then GET RESPONSE `00 C0 00 00 xx` while the card answers `61 xx`. Returns the
/// concatenated data, the final status word and the number of APDUs sent.
pub(crate) fn exchange(card: &mut SimCard, apdu: &[u8]) -> (Vec<u8>, StatusWord, usize) {
    let (mut data, mut status) = send(card, apdu);
    let mut n = 1;
    while status.sw1() == 0x61 {
        let (more, s) = send(card, &[0x00, 0xC0, 0x00, 0x00, status.sw2()]);
        data.extend_from_slice(&more);
        status = s;
        n += 1;
        assert!(n < 16, "endless GET RESPONSE");
    }
    (data, status, n)
}

/// Encodes a DER length.
pub(crate) fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=0x7F => vec![len as u8],
        0x80..=0xFF => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

/// `tag || DER length || value`.
pub(crate) fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = tag.to_vec();
    v.extend(der_len(value.len()));
    v.extend_from_slice(value);
    v
}

/// Big-endian on exactly `len` bytes.
pub(crate) fn fixed(x: &BigUint, len: usize) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut v = vec![0u8; len.saturating_sub(b.len())];
    v.extend_from_slice(&b);
    v
}

/// The content of the innermost `9x` object of a DH parameter answer (§4.1).
pub(crate) fn dh_value(resp: &[u8]) -> Vec<u8> {
    // 70 L { BF A1 01 L { A3 L { 9x L value } } }: skip four headers.
    let mut rest = resp;
    for tag_len in [1usize, 3, 1, 1] {
        rest = &rest[tag_len..];
        let (len, hdr) = match rest[0] {
            0x81 => (rest[1] as usize, 2),
            0x82 => (((rest[1] as usize) << 8) | rest[2] as usize, 3),
            l => (l as usize, 1),
        };
        rest = &rest[hdr..hdr + len];
    }
    rest.to_vec()
}

/// Host side of a secure-messaging channel (§5), for tests.
pub(crate) struct Channel {
    pub keys: SmKeys,
    pub ssc: Ssc,
    pub y_ifd: Vec<u8>,
    pub y_icc: Vec<u8>,
    pub rng: ChaCha20Rng,
}

impl Channel {
    /// Sends one SM APDU (no chaining) and returns (clear data, DO99 status) after checking that
    /// the outer trailer equals DO99. A plain error answer (no SM objects) is returned as is.
    pub(crate) fn send_one(&mut self, card: &mut SimCard, cmd: &Command) -> (Vec<u8>, StatusWord) {
        let p = protect_command(&self.keys, &mut self.ssc, cmd).to_bytes().unwrap();
        let (body, outer, _) = exchange(card, &p);
        if body.is_empty() {
            return (body, outer);
        }
        let r = unprotect_response(&self.keys, &mut self.ssc, &body).expect("response MAC");
        assert_eq!(r.sw, outer, "trailer must equal DO99");
        (r.data.clone(), r.sw)
    }

    /// Sends a clear command under SM, chaining in 231-byte chunks (§5.3); every intermediate
    /// chunk must be answered with a protected `90 00`.
    pub(crate) fn send(&mut self, card: &mut SimCard, cmd: &Command) -> (Vec<u8>, StatusWord) {
        if cmd.data.len() <= 231 {
            return self.send_one(card, cmd);
        }
        let chunks: Vec<&[u8]> = cmd.data.chunks(231).collect();
        let last = chunks.len() - 1;
        for chunk in &chunks[..last] {
            let part = Command::new(cmd.cla | 0x10, cmd.ins, cmd.p1, cmd.p2).with_data(*chunk);
            let (d, s) = self.send_one(card, &part);
            assert_eq!((d.len(), s), (0, OK), "intermediate chunk");
        }
        let mut part = Command::new(cmd.cla, cmd.ins, cmd.p1, cmd.p2).with_data(chunks[last]);
        part.le = cmd.le;
        self.send_one(card, &part)
    }

    /// Parses a clear APDU given as bytes and sends it under SM.
    pub(crate) fn apdu(&mut self, card: &mut SimCard, clear: &[u8]) -> (Vec<u8>, StatusWord) {
        self.send(card, &Command::parse(clear).unwrap())
    }
}

/// DH parameters as returned by the card.
pub(crate) struct DhParams {
    pub g: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
}

/// Reads g, p, q with the three-call GET DATA.
pub(crate) fn read_dh_params(card: &mut SimCard) -> DhParams {
    let mut get = |apdu: &[u8]| {
        let (d, s, _) = exchange(card, apdu);
        assert_eq!(s, OK);
        dh_value(&d)
    };
    DhParams { g: get(&GET_G), p: get(&GET_P), q: get(&GET_Q) }
}

/// Selects DF_CIE and runs the DH exchange of §4.3 (plain); returns the open channel.
pub(crate) fn dh(card: &mut SimCard, seed: u64) -> Channel {
    assert_eq!(sw(card, &SELECT_CIE), OK);
    let params = read_dh_params(card);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let p = BigUint::from_bytes_be(&params.p);
    let g = BigUint::from_bytes_be(&params.g);
    let mut x = [0u8; 32];
    rng.fill_bytes(&mut x);
    let x = BigUint::from_bytes_be(&x);
    let y_ifd = fixed(&g.modpow(&x, &p), 256);
    // MSE SET KAT, plain chaining in 255-byte chunks (§4.3 step 3).
    let mut data = vec![0x80, 0x01, 0x9B, 0x83, 0x01, 0x81];
    data.extend(tlv(&[0x91], &y_ifd));
    let mut first = vec![0x10, 0x22, 0x41, 0xA6, 0xFF];
    first.extend_from_slice(&data[..255]);
    assert_eq!(send(card, &first), (vec![], OK));
    let mut second = vec![0x00, 0x22, 0x41, 0xA6, (data.len() - 255) as u8];
    second.extend_from_slice(&data[255..]);
    assert_eq!(send(card, &second), (vec![], OK));
    let (resp, s, n) = exchange(card, &GET_Y_ICC);
    assert_eq!((s, n, resp.len()), (OK, 2, 264));
    assert_eq!(resp[..8], [0xA6, 0x82, 0x01, 0x04, 0x91, 0x82, 0x01, 0x00]);
    let y_icc = resp[8..].to_vec();
    let z = fixed(&BigUint::from_bytes_be(&y_icc).modpow(&x, &p), 256);
    Channel { keys: SmKeys::derive(&z), ssc: Ssc::INITIAL, y_ifd, y_icc, rng }
}

/// The terminal certificate of §4.4.1, signed with the public CA private exponent.
pub(crate) fn terminal_certificate(img: &CardImage) -> Vec<u8> {
    let car = &img.ca_chr[4..12];
    let mut body = vec![interop::CPI];
    body.extend_from_slice(car);
    body.extend_from_slice(&interop::CHR_IFD);
    body.extend_from_slice(&img.ca_cha[..6]);
    body.push(0x01);
    body.extend_from_slice(&interop::TERMINAL_CERT_OID);
    body.extend_from_slice(&interop::TERMINAL_MODULUS);
    body.extend_from_slice(&interop::TERMINAL_PUBLIC_EXPONENT);
    assert_eq!(body.len(), 297);
    let mut m = vec![0x6A];
    m.extend_from_slice(&body[..222]);
    m.extend_from_slice(&Sha256::digest(&body));
    m.push(0xBC);
    let n = BigUint::from_bytes_be(&img.ca_modulus);
    let d = BigUint::from_bytes_be(&interop::CA_PRIVATE_EXPONENT);
    let s = fixed(&BigUint::from_bytes_be(&m).modpow(&d, &n), 256);
    let mut inner = tlv(&[0x5F, 0x37], &s);
    inner.extend(tlv(&[0x5F, 0x38], &body[222..]));
    inner.extend(tlv(&[0x42], car));
    let cert = tlv(&[0x7F, 0x21], &inner);
    assert_eq!(cert.len(), 354);
    cert
}

/// SIG_IFD of §4.4.2 step 5 with the public terminal key.
pub(crate) fn terminal_signature(ch: &mut Channel, rnd_icc: &[u8], params: &DhParams) -> Vec<u8> {
    let mut prnd = vec![0u8; 222];
    ch.rng.fill_bytes(&mut prnd);
    let mut h = Sha256::new();
    for part in [&prnd[..], &ch.y_ifd, &interop::SN_IFD, rnd_icc, &ch.y_icc, &params.g, &params.p, &params.q] {
        h.update(part);
    }
    let mut m = vec![0x6A];
    m.extend_from_slice(&prnd);
    m.extend_from_slice(&h.finalize());
    m.push(0xBC);
    let n = BigUint::from_bytes_be(&interop::TERMINAL_MODULUS);
    let d = BigUint::from_bytes_be(&interop::TERMINAL_PRIVATE_EXPONENT);
    fixed(&BigUint::from_bytes_be(&m).modpow(&d, &n), 256)
}

/// The public key of EF 1004/1005 (PKCS#1 RSAPublicKey DER).
pub(crate) fn public_key(der: &[u8]) -> RsaPublicKey {
    RsaPublicKey::from_pkcs1_der(der).unwrap()
}

/// Checks SIG_ICC of §4.4.2 step 7 the way a host does.
pub(crate) fn check_chip_signature(img: &CardImage, ch: &Channel, rnd_ifd: &[u8], answer: &[u8], params: &DhParams) {
    assert_eq!(answer.len(), 8 + 256);
    let (sn_icc, sig) = answer.split_at(8);
    assert_eq!(sn_icc, &img.sn_icc[4..12], "SN.ICC = EF.SN.ICC[4..12)");
    let key = public_key(&img.int_kpub);
    let x = fixed(&BigUint::from_bytes_be(sig).modpow(key.e(), key.n()), 256);
    assert_eq!((x[0], x[255]), (0x6A, 0xBC));
    let mut h = Sha256::new();
    for part in [&x[1..223], &ch.y_icc, sn_icc, rnd_ifd, &ch.y_ifd, &params.g, &params.p, &params.q] {
        h.update(part);
    }
    assert_eq!(h.finalize().as_slice(), &x[223..255]);
}

/// DH + DAPP (§4.3, §4.4.2), asserting every step; returns the channel with SSC set per §4.4.3.
pub(crate) fn authenticate(card: &mut SimCard, seed: u64) -> Channel {
    let img = card.image().clone();
    let mut ch = dh(card, seed);
    let params = DhParams { g: img.dh_g.clone(), p: img.dh_p.clone(), q: img.dh_q.clone() };
    let cert = terminal_certificate(&img);
    let mse_dst = Command::parse(&[0x00, 0x22, 0x81, 0xB6, 0x06, 0x80, 0x01, 0x41, 0x83, 0x01, 0x84, 0x00]).unwrap();
    assert_eq!(ch.send(card, &mse_dst), (vec![], OK));
    assert_eq!(ch.send(card, &Command::new(0x00, 0x2A, 0x00, 0xAE).with_data(cert)), (vec![], OK));
    let mut mse_at = vec![0x83, 0x0C];
    mse_at.extend_from_slice(&interop::CHR_IFD);
    assert_eq!(ch.send(card, &Command::new(0x00, 0x22, 0x81, 0xA4).with_data(mse_at)), (vec![], OK));
    let (rnd_icc, s) = ch.send(card, &Command::new(0x00, 0x84, 0x00, 0x00).with_le(8));
    assert_eq!((rnd_icc.len(), s), (8, OK));
    let mut ext = interop::SN_IFD.to_vec();
    ext.extend(terminal_signature(&mut ch, &rnd_icc, &params));
    assert_eq!(ch.send(card, &Command::new(0x00, 0x82, 0x00, 0x00).with_data(ext)), (vec![], OK));
    let mse_int = [0x84, 0x01, 0x82, 0x80, 0x01, 0x9B];
    assert_eq!(ch.send(card, &Command::new(0x00, 0x22, 0x41, 0xA4).with_data(mse_int)), (vec![], OK));
    let mut rnd_ifd = [0u8; 8];
    ch.rng.fill_bytes(&mut rnd_ifd);
    let (answer, s) = ch.send(card, &Command::new(0x00, 0x88, 0x00, 0x00).with_data(rnd_ifd));
    assert_eq!(s, OK);
    check_chip_signature(&img, &ch, &rnd_ifd, &answer, &params);
    ch.ssc = Ssc::after_dapp(&rnd_icc.try_into().unwrap(), &rnd_ifd);
    ch
}

/// `00 20 00 81 08 <pin>` under SM.
pub(crate) fn verify(ch: &mut Channel, card: &mut SimCard, reference: u8, value: &[u8]) -> StatusWord {
    ch.send(card, &Command::new(0x00, 0x20, 0x00, reference).with_data(value)).1
}

/// Reads a whole EF of the current DF under SM (SELECT + READ BINARY loop of §2.5).
pub(crate) fn read_file_sm(ch: &mut Channel, card: &mut SimCard, fid: u16) -> (Vec<u8>, StatusWord) {
    let (fcp, s) = ch.send(card, &Command::new(0x00, 0xA4, 0x02, 0x04).with_data(fid.to_be_bytes()));
    if s != OK {
        return (fcp, s);
    }
    let mut out = Vec::new();
    loop {
        let off = out.len() as u16;
        let [hi, lo] = off.to_be_bytes();
        let (d, s) = ch.send(card, &Command::new(0x00, 0xB0, hi, lo).with_le(0x80));
        out.extend_from_slice(&d);
        match s {
            OK => continue,
            StatusWord::END_OF_FILE | StatusWord::WRONG_OFFSET => return (out, OK),
            other => return (out, other),
        }
    }
}

/// Reads a whole EF of the current DF in plain (SELECT P2=0C + READ BINARY loop).
pub(crate) fn read_file_plain(card: &mut SimCard, fid: u16) -> (Vec<u8>, StatusWord) {
    let [f0, f1] = fid.to_be_bytes();
    let s = sw(card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, f0, f1]);
    if s != OK {
        return (vec![], s);
    }
    let mut out = Vec::new();
    loop {
        let [hi, lo] = (out.len() as u16).to_be_bytes();
        let (d, s) = send(card, &[0x00, 0xB0, hi, lo, 0x80]);
        out.extend_from_slice(&d);
        match s {
            OK => continue,
            StatusWord::END_OF_FILE | StatusWord::WRONG_OFFSET => return (out, OK),
            other => return (out, other),
        }
    }
}
