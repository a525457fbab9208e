//! The card commands of PROTOCOL.md, one builder each, named as the specification names them.
//!
//! Every builder returns the command in clear form ([`Command`]); how it travels (plain,
//! chained, under secure messaging) is the caller's choice, as PROTOCOL.md says for each. The
//! instruction bytes are the names of [`crate::ins`], the algorithm references and fixed values
//! those of [`crate::interop`].

use crate::apdu::Command;
use crate::ins;
use crate::interop;
use crate::pin::{self, Pin, Secret, PIN_REF};
use crate::sm::push_len;

/// Class byte of every command: interindustry, no chaining, no secure messaging (the channel
/// and the chaining set their bits when they send).
pub const CLA: u8 = 0x00;

/// Key `81`: the holder's signing key (PROTOCOL.md §2.3, §7.1).
pub const SIGNATURE_KEY: u8 = 0x81;
/// Key `82`: the chip authentication key of DAPP, public half in EF 1004 (PROTOCOL.md §2.3).
pub const CHIP_KEY: u8 = 0x82;
/// Key `83`: the "servizi" key, a deterministic signature without PIN (PROTOCOL.md §7.1, §8.4).
pub const SERVICES_KEY: u8 = 0x83;
/// Key `84`: the external-authentication CA key (PROTOCOL.md §4.2).
pub const CA_KEY: u8 = 0x84;

/// Tag of the DH generator g in GET DATA (PROTOCOL.md §4.1).
pub const DH_G: u8 = 0x97;
/// Tag of the DH prime p in GET DATA (PROTOCOL.md §4.1).
pub const DH_P: u8 = 0x98;
/// Tag of the DH subgroup order q in GET DATA (PROTOCOL.md §4.1).
pub const DH_Q: u8 = 0x99;

/// P1-P2 of GET DATA: `3F FF`, the current DF (PROTOCOL.md §4.1).
const CURRENT_DF: (u8, u8) = (0x3F, 0xFF);

fn get_data(header_list: &[u8]) -> Command {
    Command::new(CLA, ins::GET_DATA, CURRENT_DF.0, CURRENT_DF.1).with_data(header_list)
}

/// SELECT by name with no answer data, `00 A4 04 0C Lc <AID>`: the IAS application on
/// Gemalto and STM chips (PROTOCOL.md §1.2), the CIE application DF_CIE (§2.1).
pub fn select_by_name(aid: &[u8]) -> Command {
    Command::new(CLA, ins::SELECT, 0x04, 0x0C).with_data(aid)
}

/// SELECT of the MF with no data field at all, `00 A4 00 00` (PROTOCOL.md §1.2: NXP-class
/// chips, where the IAS AID is absent).
pub fn select_master_file() -> Command {
    Command::new(CLA, ins::SELECT, 0x00, 0x00)
}

/// SELECT of an EF under the current DF, FCP requested and no Le, `00 A4 02 04 02 <FID>`
/// (PROTOCOL.md §2.5 step 1).
pub fn select_ef(fid: u16) -> Command {
    Command::new(CLA, ins::SELECT, 0x02, 0x04).with_data(fid.to_be_bytes())
}

/// READ BINARY of the selected EF, `00 B0 <offset> <Le>` (PROTOCOL.md §2.5 step 2): the
/// offset is P1-P2 and stays at most `7FFF` (P1 bit 8 clear; the read loop stops there).
pub fn read_binary(offset: u16, le: u16) -> Command {
    Command::new(CLA, ins::READ_BINARY, (offset >> 8) as u8, offset as u8).with_le(le)
}

/// GET DATA of one DH domain parameter, three-call form (PROTOCOL.md §4.1):
/// `00 CB 3F FF 0C 4D 0A 70 08 BF A1 01 04 A3 02 <tag> 00` with `tag` [`DH_G`], [`DH_P`] or
/// [`DH_Q`].
pub fn get_data_dh_parameter(tag: u8) -> Command {
    get_data(&[0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, tag, 0x00])
}

/// GET DATA of the three DH domain parameters at once, one-call form of the first Gemalto
/// generation (PROTOCOL.md §4.1): `00 CB 3F FF 0A 4D 08 70 06 BF A1 01 02 A3 80`.
pub fn get_data_dh_parameters() -> Command {
    get_data(&[0x4D, 0x08, 0x70, 0x06, 0xBF, 0xA1, 0x01, 0x02, 0xA3, 0x80])
}

/// GET DATA of the CA key `84` (PROTOCOL.md §4.2): `00 CB 3F FF 0B 4D 09 70 07 BF A0 04 03 7F
/// 49 80`.
pub fn get_data_ca_key() -> Command {
    get_data(&[0x4D, 0x09, 0x70, 0x07, 0xBF, 0xA0, 0x04, 0x03, 0x7F, 0x49, 0x80])
}

/// GET DATA of the card's ephemeral DH public value (PROTOCOL.md §4.3 step 4):
/// `00 CB 3F FF 06 4D 04 A6 02 91 00`.
pub fn get_data_dh_public_value() -> Command {
    get_data(&[0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00])
}

/// MSE SET KAT with the host's DH public value (PROTOCOL.md §4.3 step 3):
/// `00 22 41 A6 Lc 80 01 9B 83 01 81 91 <len> <y_IFD>`; 266 bytes of data for a 2048-bit group,
/// so it is sent with plain command chaining.
pub fn mse_set_kat(y_ifd: &[u8]) -> Command {
    let mut data = vec![0x80, 0x01, interop::ALG_DH_DAPP, 0x83, 0x01, 0x81, 0x91];
    push_len(&mut data, y_ifd.len());
    data.extend_from_slice(y_ifd);
    Command::new(CLA, ins::MSE, 0x41, 0xA6).with_data(data)
}

/// MSE SET DST for the verification of the terminal certificate with the CA key `84`
/// (PROTOCOL.md §4.4.2 step 1): `00 22 81 B6 06 80 01 41 83 01 84`, with the Le `00` of the
/// official host.
pub fn mse_set_dst() -> Command {
    Command::new(CLA, ins::MSE, 0x81, 0xB6)
        .with_data([0x80, 0x01, interop::ALG_CERT_VERIFY, 0x83, 0x01, CA_KEY])
        .with_le(256)
}

/// PSO VERIFY CERTIFICATE of the terminal certificate (PROTOCOL.md §4.4.1, §4.4.2 step 2):
/// `00 2A 00 AE <certificate>` (354 bytes, so chained under secure messaging).
pub fn pso_verify_certificate(certificate: &[u8]) -> Command {
    Command::new(CLA, ins::PSO, 0x00, 0xAE).with_data(certificate)
}

/// MSE SET AT for external authentication, selecting the terminal key by its CHR
/// (PROTOCOL.md §4.4.2 step 3): `00 22 81 A4 0E 83 0C <CHR_IFD>`.
pub fn mse_set_at_external_authentication() -> Command {
    let mut data = vec![0x83, 0x0C];
    data.extend_from_slice(&interop::CHR_IFD);
    Command::new(CLA, ins::MSE, 0x81, 0xA4).with_data(data)
}

/// GET CHALLENGE of 8 bytes, RND.ICC (PROTOCOL.md §4.4.2 step 4): `00 84 00 00 08`.
pub fn get_challenge() -> Command {
    Command::new(CLA, ins::GET_CHALLENGE, 0x00, 0x00).with_le(8)
}

/// EXTERNAL AUTHENTICATE with SN.IFD followed by SIG_IFD (PROTOCOL.md §4.4.2 step 5):
/// `00 82 00 00 <data>`.
pub fn external_authenticate(data: impl Into<Vec<u8>>) -> Command {
    Command::new(CLA, ins::EXTERNAL_AUTHENTICATE, 0x00, 0x00).with_data(data)
}

/// MSE SET AT for the chip's internal authentication in DAPP, key `82` with algorithm `9B`
/// (PROTOCOL.md §4.4.2 step 6): `00 22 41 A4 06 84 01 82 80 01 9B` (key before algorithm).
pub fn mse_set_at_chip_authentication() -> Command {
    Command::new(CLA, ins::MSE, 0x41, 0xA4).with_data([0x84, 0x01, CHIP_KEY, 0x80, 0x01, interop::ALG_DH_DAPP])
}

/// MSE SET AT for a PKCS#1 v1.5 signature with `key`, [`SIGNATURE_KEY`] or [`SERVICES_KEY`]
/// (PROTOCOL.md §7.1): `00 22 41 A4 06 80 01 02 84 01 <key>` (algorithm before key).
pub fn mse_set_at_signature(key: u8) -> Command {
    Command::new(CLA, ins::MSE, 0x41, 0xA4).with_data([0x80, 0x01, interop::ALG_RSA_PKCS1, 0x84, 0x01, key])
}

/// INTERNAL AUTHENTICATE with no Le (PROTOCOL.md §4.4.2 step 7 with RND.IFD, §7.1 with the
/// data to sign): `00 88 00 00 Lc <data>`.
pub fn internal_authenticate(data: impl Into<Vec<u8>>) -> Command {
    Command::new(CLA, ins::INTERNAL_AUTHENTICATE, 0x00, 0x00).with_data(data)
}

/// VERIFY of a PIN or PUK (PROTOCOL.md §6): `00 20 00 <reference> 08 <digits>`. The command
/// zeroizes its copy of the digits on drop.
pub fn verify<S: Secret>(secret: &S) -> Command {
    Command::new(CLA, ins::VERIFY, 0x00, S::REFERENCE).with_data(secret.digits().to_vec())
}

/// VERIFY with no data field, `00 20 00 <reference>`: asks for the tries left without
/// spending one (ISO/IEC 7816-4 VERIFY with an absent data field; PROTOCOL.md §6: only the
/// fallback of [`get_data_tries`], which the CIE specification does not define).
pub fn verify_status(reference: u8) -> Command {
    Command::new(CLA, ins::VERIFY, 0x00, reference)
}

/// GET DATA of the data object control parameters (DOCP `A0`) of the CHV object of the PIN
/// (`81` → `BF 81 01`) or PUK (`82` → `BF 81 02`), which carry the counters `9A` (maximum)
/// and `9B` (tries left) (PROTOCOL.md §6; IAS-ECC GET DATA of an SDO with an extended header
/// list): `00 CB 3F FF 0A 4D 08 70 06 BF 81 <n> 02 A0 80 00`. Sent under secure messaging
/// after device authentication.
pub fn get_data_tries(reference: u8) -> Command {
    let sdo = pin::chv_sdo(reference);
    get_data(&[0x4D, 0x08, 0x70, 0x06, sdo[0], sdo[1], sdo[2], 0x02, pin::DOCP, 0x80]).with_le(256)
}

/// CHANGE REFERENCE DATA of the PIN, old and new (PROTOCOL.md §6):
/// `00 24 00 81 10 <old PIN> <new PIN>`.
pub fn change_reference_data(old: &Pin, new: &Pin) -> Command {
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(old.digits());
    data.extend_from_slice(new.digits());
    Command::new(CLA, ins::CHANGE_REFERENCE_DATA, 0x00, PIN_REF).with_data(data)
}

/// RESET RETRY COUNTER of the PIN with a new PIN, the PUK already verified (PROTOCOL.md §6):
/// `00 2C 02 81 08 <new PIN>`.
pub fn reset_retry_counter(new_pin: &Pin) -> Command {
    Command::new(CLA, ins::RESET_RETRY_COUNTER, 0x02, PIN_REF).with_data(new_pin.digits().to_vec())
}

#[cfg(test)]
mod tests {
    //! The expected bytes are written out from PROTOCOL.md, section by section.

    use super::*;
    use crate::pin::Puk;

    fn bytes(cmd: Command) -> Vec<u8> {
        cmd.to_bytes().unwrap()
    }

    #[test]
    fn selection_and_files() {
        // §1.2
        assert_eq!(
            bytes(select_by_name(&interop::IAS_AID)),
            [
                0x00, 0xA4, 0x04, 0x0C, 0x0D, 0xA0, 0x00, 0x00, 0x00, 0x30, 0x80, 0x00, 0x00, 0x00, 0x09, 0x81, 0x60,
                0x01
            ]
        );
        assert_eq!(bytes(select_master_file()), [0x00, 0xA4, 0x00, 0x00]);
        // §2.1
        assert_eq!(
            bytes(select_by_name(&interop::CIE_AID)),
            [0x00, 0xA4, 0x04, 0x0C, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x39]
        );
        // §2.5
        assert_eq!(bytes(select_ef(0x1003)), [0x00, 0xA4, 0x02, 0x04, 0x02, 0x10, 0x03]);
        assert_eq!(bytes(read_binary(0x0180, 0x80)), [0x00, 0xB0, 0x01, 0x80, 0x80]);
        assert_eq!(bytes(read_binary(0, 256)), [0x00, 0xB0, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn secure_channel() {
        // §4.1
        assert_eq!(
            bytes(get_data_dh_parameter(DH_P)),
            [0x00, 0xCB, 0x3F, 0xFF, 0x0C, 0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x98, 0x00]
        );
        assert_eq!(
            bytes(get_data_dh_parameters()),
            [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0xA1, 0x01, 0x02, 0xA3, 0x80]
        );
        // §4.2
        assert_eq!(
            bytes(get_data_ca_key()),
            [0x00, 0xCB, 0x3F, 0xFF, 0x0B, 0x4D, 0x09, 0x70, 0x07, 0xBF, 0xA0, 0x04, 0x03, 0x7F, 0x49, 0x80]
        );
        // §4.3 steps 3 and 4
        let kat = mse_set_kat(&[0x5A; 256]);
        assert_eq!((kat.cla, kat.ins, kat.p1, kat.p2, kat.data.len()), (0x00, 0x22, 0x41, 0xA6, 266));
        assert_eq!(kat.data[..11], [0x80, 0x01, 0x9B, 0x83, 0x01, 0x81, 0x91, 0x82, 0x01, 0x00, 0x5A]);
        assert_eq!(
            bytes(get_data_dh_public_value()),
            [0x00, 0xCB, 0x3F, 0xFF, 0x06, 0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00]
        );
        // §4.4.2 steps 1 to 7
        assert_eq!(bytes(mse_set_dst()), [0x00, 0x22, 0x81, 0xB6, 0x06, 0x80, 0x01, 0x41, 0x83, 0x01, 0x84, 0x00]);
        let pso = pso_verify_certificate(&[0x7F; 354]);
        assert_eq!((pso.ins, pso.p1, pso.p2, pso.data.len()), (0x2A, 0x00, 0xAE, 354));
        assert_eq!(
            bytes(mse_set_at_external_authentication()),
            [
                0x00, 0x22, 0x81, 0xA4, 0x0E, 0x83, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x01
            ]
        );
        assert_eq!(bytes(get_challenge()), [0x00, 0x84, 0x00, 0x00, 0x08]);
        let ext = external_authenticate(vec![0x11; 264]);
        assert_eq!((ext.ins, ext.p1, ext.p2, ext.data.len(), ext.le), (0x82, 0x00, 0x00, 264, None));
        assert_eq!(
            bytes(mse_set_at_chip_authentication()),
            [0x00, 0x22, 0x41, 0xA4, 0x06, 0x84, 0x01, 0x82, 0x80, 0x01, 0x9B]
        );
        assert_eq!(
            bytes(internal_authenticate([1, 2, 3, 4, 5, 6, 7, 8])),
            [0x00, 0x88, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]
        );
    }

    #[test]
    fn signing() {
        // §7.1
        assert_eq!(
            bytes(mse_set_at_signature(SIGNATURE_KEY)),
            [0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x81]
        );
        assert_eq!(
            bytes(mse_set_at_signature(SERVICES_KEY)),
            [0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x83]
        );
    }

    #[test]
    fn pin_and_puk() {
        // §6
        let pin = Pin::new("12345678").unwrap();
        assert_eq!(bytes(verify(&pin)), b"\x00\x20\x00\x81\x0812345678");
        assert_eq!(bytes(verify(&Puk::new("87654321").unwrap())), b"\x00\x20\x00\x82\x0887654321");
        assert_eq!(bytes(verify_status(0x81)), [0x00, 0x20, 0x00, 0x81]);
        assert_eq!(
            bytes(get_data_tries(0x81)),
            [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x01, 0x02, 0xA0, 0x80, 0x00]
        );
        assert_eq!(
            bytes(get_data_tries(0x82)),
            [0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x02, 0x02, 0xA0, 0x80, 0x00]
        );
        let new = Pin::new("11223344").unwrap();
        assert_eq!(bytes(change_reference_data(&pin, &new)), b"\x00\x24\x00\x81\x101234567811223344");
        assert_eq!(bytes(reset_retry_counter(&new)), b"\x00\x2C\x02\x81\x0811223344");
    }
}
