//! Secure messaging on the card, written from PROTOCOL.md: session keys from the DH secret
//! (§4.3 step 6), the send sequence counter (§4.3 step 7, §4.4.3, §5.1), 3DES-CBC with a zero IV,
//! ISO/IEC 9797-1 MAC algorithm 3 and padding method 2 (§5.1), the exact object layout of a
//! protected command (§5.2) and the protected answer (§5.4), and the card's reaction to SM
//! errors (§5.5). Only RustCrypto primitives are used (SHA-256, DES/3DES, CBC, retail MAC).

use cbc::cipher::{block_padding::NoPadding, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use retail_mac::{KeyInit, Mac, RetailMac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::apdu::Command;
use super::crypto::ct_eq;
use super::sw::StatusWord;

/// CLA bits that mark a protected command (§5.2 step 2).
const CLA_SM_BITS: u8 = 0x0C;
/// Length of DO8E's value (§5.2 step 6, §5.4).
const MAC_LEN: usize = 8;
/// DES block size.
const BLOCK: usize = 8;

/// K_ENC and K_MAC of one session (two-key 3DES each), wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SmKeys {
    enc: [u8; 16],
    mac: [u8; 16],
}

impl SmKeys {
    /// §4.3 step 6: `K_ENC = SHA-256(Z || 00 00 00 01)[0..16)`,
    /// `K_MAC = SHA-256(Z || 00 00 00 02)[0..16)`, Z as exchanged (len(p) bytes).
    pub(super) fn derive(z: &[u8]) -> SmKeys {
        let half = |counter: u8| {
            let digest = Sha256::new().chain_update(z).chain_update([0, 0, 0, counter]).finalize();
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            key
        };
        SmKeys { enc: half(1), mac: half(2) }
    }
}

/// The send sequence counter: an 8-byte big-endian number (§5.1), kept here as a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ssc(u64);

impl Ssc {
    /// Right after the DH exchange: `00 00 00 00 00 00 00 01` (§4.3 step 7).
    pub(super) const INITIAL: Ssc = Ssc(1);

    /// After the DAPP INTERNAL AUTHENTICATE answer: the last four bytes of the card's challenge
    /// followed by the last four bytes of the host's random (§4.4.3).
    pub(super) fn after_dapp(rnd_icc: &[u8; 8], rnd_ifd: &[u8; 8]) -> Ssc {
        let [_, _, _, _, a, b, c, d] = *rnd_icc;
        let [_, _, _, _, e, f, g, h] = *rnd_ifd;
        Ssc(u64::from_be_bytes([a, b, c, d, e, f, g, h]))
    }

    /// Steps the counter (before every command check and every answer, §5.1) and returns the
    /// new value as the 8 bytes that enter the MAC.
    fn step(&mut self) -> [u8; 8] {
        self.0 = self.0.wrapping_add(1);
        self.0.to_be_bytes()
    }
}

/// Padding method 2: `80`, then `00` up to a multiple of 8 (always at least one byte, §5.1).
fn pad_into(out: &mut Vec<u8>) {
    out.push(0x80);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
}

/// The length of `block_data` without its method-2 padding, if the padding is well formed.
fn unpadded_len(block_data: &[u8]) -> Option<usize> {
    let tail = block_data.len().saturating_sub(BLOCK);
    let marker = block_data.iter().rposition(|&b| b != 0)?;
    (marker >= tail && block_data[marker] == 0x80).then_some(marker)
}

/// 3DES-EDE2 CBC encryption with a zero IV of already padded data (§5.1).
fn encrypt(key: &[u8; 16], data: &mut [u8]) {
    let len = data.len();
    let mode = cbc::Encryptor::<des::TdesEde2>::new(key.into(), &[0u8; BLOCK].into());
    // The caller pads to whole blocks, so this cannot fail.
    let _ = mode.encrypt_padded::<NoPadding>(data, len);
}

/// 3DES-EDE2 CBC decryption with a zero IV; the input is whole blocks.
fn decrypt(key: &[u8; 16], data: &mut [u8]) -> bool {
    let mode = cbc::Decryptor::<des::TdesEde2>::new(key.into(), &[0u8; BLOCK].into());
    mode.decrypt_padded::<NoPadding>(data).is_ok()
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES over `pad(message)` (§5.1).
fn retail_mac(key: &[u8; 16], message: &[u8]) -> [u8; MAC_LEN] {
    let mut padded = Zeroizing::new(message.to_vec());
    pad_into(&mut padded);
    let mut mac = <RetailMac<des::Des> as KeyInit>::new(key.into());
    mac.update(&padded);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// One data object: tag, value, offset of the tag in the data field.
type Object<'a> = (u8, &'a [u8], usize);

/// Reads data objects one after the other: a one-byte tag, then a BER length (`00`-`7F`,
/// `81 xx`, `82 xx xx`) that must fit in what is left.
struct Objects<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Objects<'a> {
    /// The next object as (tag, value, offset of its tag), `Ok(None)` at the end, `69 88` when
    /// a length is cut short or runs past the data.
    fn next(&mut self) -> Result<Option<Object<'a>>, StatusWord> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let Some((&tag, after_tag)) = rest.split_first() else {
            return Ok(None);
        };
        let bad = StatusWord::SM_OBJECTS_INCORRECT;
        let (len, after_len) = match after_tag {
            [n @ 0x00..=0x7F, more @ ..] => (usize::from(*n), more),
            [0x81, n, more @ ..] => (usize::from(*n), more),
            [0x82, hi, lo, more @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), more),
            _ => return Err(bad),
        };
        let value = after_len.get(..len).ok_or(bad)?;
        self.pos = self.bytes.len() - after_len.len() + len;
        Ok(Some((tag, value, start)))
    }
}

/// Checks and opens a protected command for one counter step (§5.2, §5.5). The data field
/// must be exactly `[DO87 (even INS) | DO85 (odd INS)] [DO97] DO8E`: DO87 = `01` + whole
/// blocks, DO85 whole blocks, DO97 one byte, DO8E eight bytes and last. The layout is checked
/// before the MAC, the MAC before decryption. No DO8E where it belongs is `69 87`; any other
/// deviation, a wrong MAC or bad padding is `69 88`.
pub(crate) fn unprotect_command(keys: &SmKeys, ssc: &mut Ssc, cmd: &Command) -> Result<Command, StatusWord> {
    let counter = ssc.step();
    let bad = StatusWord::SM_OBJECTS_INCORRECT;
    let cryptogram_tag = if cmd.ins & 1 == 1 { 0x85 } else { 0x87 };
    let mut objects = Objects { bytes: &cmd.data, pos: 0 };

    let mut next = objects.next()?;
    let mut cryptogram = None;
    if let Some((tag, value, _)) = next {
        if tag == cryptogram_tag {
            let blocks = if tag == 0x87 {
                match value.split_first() {
                    Some((0x01, blocks)) => blocks,
                    _ => return Err(bad),
                }
            } else {
                value
            };
            if blocks.is_empty() || blocks.len() % BLOCK != 0 {
                return Err(bad);
            }
            cryptogram = Some(blocks);
            next = objects.next()?;
        }
    }
    let mut le = None;
    if let Some((0x97, value, _)) = next {
        let [byte] = value else { return Err(bad) };
        le = Some(if *byte == 0 { 256 } else { u16::from(*byte) });
        next = objects.next()?;
    }
    let (mac, mac_at) = match next {
        None => return Err(StatusWord::SM_OBJECTS_MISSING),
        Some((0x8E, value, at)) if value.len() == MAC_LEN => (value, at),
        Some(_) => return Err(bad),
    };
    if objects.next()?.is_some() {
        return Err(bad);
    }

    // MAC input: SSC || pad(CLA INS P1 P2) || objects before DO8E, padded (§5.2 step 5).
    let mut input = Vec::with_capacity(16 + mac_at + BLOCK);
    input.extend_from_slice(&counter);
    input.extend_from_slice(&[cmd.cla, cmd.ins, cmd.p1, cmd.p2]);
    pad_into(&mut input);
    input.extend_from_slice(&cmd.data[..mac_at]);
    if !ct_eq(&retail_mac(&keys.mac, &input), mac) {
        return Err(bad);
    }

    let mut data = Vec::new();
    if let Some(blocks) = cryptogram {
        let mut clear = Zeroizing::new(blocks.to_vec());
        if !decrypt(&keys.enc, &mut clear) {
            return Err(bad);
        }
        let len = unpadded_len(&clear).ok_or(bad)?;
        data = clear[..len].to_vec();
    }
    Ok(Command { cla: cmd.cla & !CLA_SM_BITS, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data, le })
}

/// Protects an answer for one counter step (§5.4): `[DO87] DO99 DO8E`, DO87 = `87 L 01`
/// followed by the encrypted padded data, MAC over `SSC || DO87 || DO99`. The caller appends the
/// trailer (equal to DO99, §5.5).
pub(crate) fn protect_response(keys: &SmKeys, ssc: &mut Ssc, data: &[u8], sw: StatusWord) -> Vec<u8> {
    let counter = ssc.step();
    let mut body = Vec::with_capacity(data.len() + 32);
    if !data.is_empty() {
        let mut blocks = Zeroizing::new(data.to_vec());
        pad_into(&mut blocks);
        encrypt(&keys.enc, &mut blocks);
        body.push(0x87);
        let len = blocks.len() + 1;
        match len {
            0..=0x7F => body.push(len as u8),
            0x80..=0xFF => body.extend_from_slice(&[0x81, len as u8]),
            _ => body.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        }
        body.push(0x01);
        body.extend_from_slice(&blocks);
    }
    body.extend_from_slice(&[0x99, 0x02, sw.sw1(), sw.sw2()]);
    let mut input = counter.to_vec();
    input.extend_from_slice(&body);
    let mac = retail_mac(&keys.mac, &input);
    body.extend_from_slice(&[0x8E, MAC_LEN as u8]);
    body.extend_from_slice(&mac);
    body
}

#[cfg(test)]
mod tests {
    //! Vectors written out by hand from PROTOCOL.md. Where a MAC had to be valid so that only
    //! the layout is wrong, it was computed once with a throwaway Python reference of §5
    //! (python3 + `cryptography`: `hashlib.sha256` and `TripleDES` CBC/ECB for the retail MAC),
    //! which first reproduced the §5.6 vectors.
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Z = 00 01 .. FF, the §5.6 secret.
    fn keys() -> SmKeys {
        SmKeys::derive(&(0..=255u8).collect::<Vec<u8>>())
    }

    /// §4.3 step 6 with the §5.6 values, and two more Z computed with Python's hashlib.
    #[test]
    fn key_derivation() {
        let k = keys();
        assert_eq!(k.enc.to_vec(), h("20D0CA4184B64CF791DA828CC135E354"));
        assert_eq!(k.mac.to_vec(), h("9B0BB985660ADF0B819D798B8A6D9071"));
        let k = SmKeys::derive(&[0xFF; 256]);
        assert_eq!(k.enc.to_vec(), h("DA817B65EEADB2FE5C25D0E57347F4ED"));
        assert_eq!(k.mac.to_vec(), h("D6957647BEFC6A77C4E6CE40691A0F67"));
        let mut z = [0u8; 256];
        z[255] = 1;
        let k = SmKeys::derive(&z);
        assert_eq!(k.enc.to_vec(), h("4FD5A7FFA519B1D0D1D493AEAE6C451B"));
        assert_eq!(k.mac.to_vec(), h("23BE364465212C3CB3195001BE8EF98A"));
    }

    /// §4.3 step 7 and §4.4.3: 1 after DH; RND.ICC[4..8) || RND.IFD[4..8) after DAPP.
    #[test]
    fn counter_after_dh_and_dapp() {
        let mut ssc = Ssc::INITIAL;
        assert_eq!(ssc.step(), [0, 0, 0, 0, 0, 0, 0, 2]);
        let rnd_icc = [0xA1, 0xA2, 0xA3, 0xA4, 0x11, 0x22, 0x33, 0x44];
        let rnd_ifd = [0xB1, 0xB2, 0xB3, 0xB4, 0x55, 0x66, 0x77, 0x88];
        let mut ssc = Ssc::after_dapp(&rnd_icc, &rnd_ifd);
        assert_eq!(ssc.step(), [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x89]);
        let mut top = Ssc(u64::MAX);
        assert_eq!(top.step(), [0; 8]);
    }

    fn open(apdu: &str, before: Ssc) -> Result<Command, StatusWord> {
        let cmd = Command::parse(&h(apdu)).unwrap();
        unprotect_command(&keys(), &mut before.clone(), &cmd)
    }

    /// The §5.6 vectors: MSE SET (counter 1 before), VERIFY after DAPP (counter
    /// 11 22 33 44 55 66 77 88 before), READ BINARY and the answers.
    #[test]
    fn section_5_6_vectors() {
        let c =
            open("0C 22 81 B6 18 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 00", Ssc(1))
                .unwrap();
        assert_eq!((c.cla, c.ins, c.p1, c.p2, c.le), (0x00, 0x22, 0x81, 0xB6, Some(256)));
        assert_eq!(c.data, h("80 01 41 83 01 84"));
        let mut ssc = Ssc(2);
        assert_eq!(
            protect_response(&keys(), &mut ssc, &[], StatusWord::OK),
            h("99 02 90 00 8E 08 6D DD 67 02 02 3F 1F 87")
        );

        let after_dapp = Ssc::after_dapp(&[0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44], &[0, 0, 0, 0, 0x55, 0x66, 0x77, 0x88]);
        let c = open(
            "0C 20 00 81 1D 87 11 01 C0 C0 20 86 4C CC E3 90 B9 B0 B1 12 67 FF 1A 97 8E 08 D9 75 C9 BC B1 DD F2 42 00",
            after_dapp,
        )
        .unwrap();
        assert_eq!(c.data, b"12345678");
        let mut ssc = Ssc(0x1122334455667789);
        let wrapped = protect_response(&keys(), &mut ssc, &[], StatusWord::tries_left(2));
        assert_eq!(wrapped, h("99 02 63 C2 8E 08 C4 DF 83 77 C1 BC 4D 39"));
        let c = open("0C B0 00 00 0D 97 01 80 8E 08 88 C1 46 95 6D 43 A2 5D 00", ssc).unwrap();
        assert_eq!((c.data.len(), c.le), (0, Some(0x80)));
        let mut ssc = Ssc(0x112233445566778B);
        assert_eq!(
            protect_response(&keys(), &mut ssc, b"123456789", StatusWord::END_OF_FILE),
            h("87 11 01 C0 C0 20 86 4C CC E3 90 27 00 22 59 8B 5D 64 68 99 02 62 82 8E 08 BB 14 69 DD 48 C8 00 33")
        );
    }

    /// §5.2 layout: every deviation is 69 88 even with a MAC that is valid over the objects
    /// before DO8E; a missing DO8E is 69 87.
    #[test]
    fn command_layout_is_exact() {
        let incorrect = Err(StatusWord::SM_OBJECTS_INCORRECT);
        let check = |apdu: &str| open(apdu, Ssc(1));
        // Trailing DO87 after a valid MAC (the §5.6 MSE SET with its own DO87 replayed).
        assert!(
            check(
                "0C 22 81 B6 23 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 \
                 87 09 01 F5 CF EB E9 57 0F D6 FF 00"
            ) == incorrect
        );
        // Trailing DO99.
        assert!(
            check(
                "0C 22 81 B6 1C 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 \
                 99 02 90 00 00"
            ) == incorrect
        );
        // Duplicated DO87 (reference MAC 9E 36 8B 51 4E 79 C9 6E).
        assert!(
            check(
                "0C 22 81 B6 23 87 09 01 F5 CF EB E9 57 0F D6 FF 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 \
                 8E 08 9E 36 8B 51 4E 79 C9 6E 00"
            ) == incorrect
        );
        // Unknown tag 53 before DO8E (reference MAC 29 87 E5 54 CF 68 3C 04).
        assert!(
            check(
                "0C 22 81 B6 1B 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 53 01 00 \
                 8E 08 29 87 E5 54 CF 68 3C 04 00"
            ) == incorrect
        );
        // DO97 before DO87 (reference MAC E2 9D 33 91 57 6E 5E C2).
        assert!(
            check("0C 22 81 B6 18 97 01 00 87 09 01 F5 CF EB E9 57 0F D6 FF 8E 08 E2 9D 33 91 57 6E 5E C2 00")
                == incorrect
        );
        // DO85 with an even INS (reference MAC A0 B2 62 E3 12 E1 8B 2B).
        assert!(
            check("0C 22 81 B6 17 85 08 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 A0 B2 62 E3 12 E1 8B 2B 00")
                == incorrect
        );
        // DO8E of 7 and of 9 bytes.
        assert!(
            check("0C 22 81 B6 17 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 07 87 C9 A9 85 3E AB 27 00")
                == incorrect
        );
        assert!(
            check("0C 22 81 B6 19 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 09 87 C9 A9 85 3E AB 27 00 00 00")
                == incorrect
        );
        // Truncated lengths: DO87 running past the data, a cut two-byte length.
        assert!(check("0C 22 81 B6 05 87 81 F5 CF EB 00") == incorrect);
        assert!(check("0C 22 81 B6 03 87 82 01 00") == incorrect);
        // DO97 of two bytes; DO87 without the 01 indicator.
        assert!(check("0C 22 81 B6 0E 97 02 00 00 8E 08 87 C9 A9 85 3E AB 27 00 00") == incorrect);
        assert!(
            check("0C 22 81 B6 18 87 09 02 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 00")
                == incorrect
        );
        // No DO8E.
        assert!(check("0C 22 81 B6 03 97 01 00 00") == Err(StatusWord::SM_OBJECTS_MISSING));
        // And the unmodified command still opens.
        assert!(
            check("0C 22 81 B6 18 87 09 01 F5 CF EB E9 57 0F D6 FF 97 01 00 8E 08 87 C9 A9 85 3E AB 27 00 00").is_ok()
        );
    }

    #[test]
    fn padding() {
        let mut v = vec![1, 2, 3];
        pad_into(&mut v);
        assert_eq!(v, [1, 2, 3, 0x80, 0, 0, 0, 0]);
        let mut v = vec![0; 8];
        pad_into(&mut v);
        assert_eq!(v.len(), 16);
        assert_eq!(unpadded_len(&[1, 2, 0x80, 0, 0, 0, 0, 0]), Some(2));
        assert_eq!(unpadded_len(&[1, 2, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(unpadded_len(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(unpadded_len(&[0; 8]), None);
    }
}
