//! The file system of PROTOCOL.md §2.1-§2.2: SELECT (MF, IAS AID, DF_CIE, EF with FCP) and READ
//! BINARY (offset or SFI, and the odd-INS `B1` form), with the access conditions of §2.2/§10.3.

use super::apdu::Command;
use super::consts::{CIE_AID, IAS_AID};
use super::sw::StatusWord;

use super::state::Df;
use super::tlv;
use super::{CardResult, Reply, SimCard};

/// Who may read an EF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Always, plain or SM.
    Always,
    /// Only under SM, after device authentication and PIN verification (EF 1002, 1003;
    /// [inferred], §11.4).
    SmPin,
}

/// One elementary file of §2.2.
#[derive(Clone, Copy)]
struct Ef {
    fid: u16,
    /// Short file identifier. D003's is unknown (§2.2): we give it `03`, mirroring its FID.
    sfi: u8,
    df: Df,
    access: Access,
}

const FILES: [Ef; 9] = [
    Ef { fid: 0xD003, sfi: 0x03, df: Df::Mf, access: Access::Always },
    Ef { fid: 0xD004, sfi: 0x1B, df: Df::Mf, access: Access::Always },
    Ef { fid: 0x2F01, sfi: 0x1D, df: Df::Mf, access: Access::Always },
    Ef { fid: 0x1001, sfi: 0x01, df: Df::Cie, access: Access::Always },
    Ef { fid: 0x1002, sfi: 0x02, df: Df::Cie, access: Access::SmPin },
    Ef { fid: 0x1003, sfi: 0x03, df: Df::Cie, access: Access::SmPin },
    Ef { fid: 0x1004, sfi: 0x04, df: Df::Cie, access: Access::Always },
    Ef { fid: 0x1005, sfi: 0x05, df: Df::Cie, access: Access::Always },
    Ef { fid: 0x1006, sfi: 0x06, df: Df::Cie, access: Access::Always },
];

fn find_fid(df: Df, fid: u16) -> Option<Ef> {
    FILES.iter().copied().find(|f| f.df == df && f.fid == fid)
}

fn find_sfi(df: Df, sfi: u8) -> Option<Ef> {
    FILES.iter().copied().find(|f| f.df == df && f.sfi == sfi)
}

/// The 29-byte FCP of an EF (§2.5 step 1, the JCOP4 shape):
/// `6F 1B 80 02 <size> 82 01 01 88 01 <SFI<<3> 83 02 <FID> 8A 01 05 A1 08 8C 02 01 00 9C 02 01 00`.
fn fcp(ef: Ef, size: usize) -> Vec<u8> {
    let size = u16::try_from(size).unwrap_or(u16::MAX).to_be_bytes();
    let fid = ef.fid.to_be_bytes();
    vec![
        0x6F,
        0x1B,
        0x80,
        0x02,
        size[0],
        size[1],
        0x82,
        0x01,
        0x01,
        0x88,
        0x01,
        ef.sfi << 3,
        0x83,
        0x02,
        fid[0],
        fid[1],
        0x8A,
        0x01,
        0x05,
        0xA1,
        0x08,
        0x8C,
        0x02,
        0x01,
        0x00,
        0x9C,
        0x02,
        0x01,
        0x00,
    ]
}

/// FCP of a DF selected by name with P2 `00`/`04`: `62 L { 82 01 38, 84 L <AID> }` [inferred:
/// no trace shows it; the official flows use P2 `0C`].
fn df_fcp(aid: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x82, 0x01, 0x38];
    inner.extend_from_slice(&tlv::encode(&[0x84], aid));
    tlv::encode(&[0x62], &inner)
}

impl SimCard {
    fn content(&self, fid: u16) -> &[u8] {
        let i = &self.image;
        match fid {
            0xD003 => &i.sn_icc,
            0xD004 => &i.ef_dh,
            0x2F01 => &self.ef_atr,
            0x1001 => &i.nis,
            0x1002 => &i.serial,
            0x1003 => &i.certificate,
            0x1004 => &i.int_kpub,
            0x1005 => &i.servizi_kpub,
            0x1006 => &i.sod,
            _ => &[],
        }
    }

    fn select_df(&mut self, df: Df) {
        self.v.df = df;
        self.v.ef = None;
        // The security environment is bound to the DF (§10.2 [inferred]).
        self.v.se = Default::default();
    }

    /// SELECT (§2.1, §10.3): `00 00` [+ `3F 00`] → MF; `04 xx` + AID → IAS AID (MF, or `6A 82` on
    /// NXP-class profiles) / DF_CIE; `02 xx` (or `00 xx`) + FID → EF in the current DF, FCP
    /// returned for P2 `04`/`00`.
    pub(super) fn select(&mut self, cmd: &Command) -> CardResult {
        let want_fcp = match cmd.p2 {
            0x0C => false,
            0x00 | 0x04 => true,
            _ => return Err(StatusWord::INCORRECT_P1P2),
        };
        match cmd.p1 {
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                self.select_df(Df::Mf);
                Ok(Reply::done())
            }
            0x00 | 0x02 => {
                let fid: [u8; 2] = cmd.data.as_slice().try_into().map_err(|_| StatusWord::WRONG_LENGTH)?;
                let fid = u16::from_be_bytes(fid);
                let ef = find_fid(self.v.df, fid).ok_or(StatusWord::FILE_NOT_FOUND)?;
                self.v.ef = Some(fid);
                Ok(if want_fcp { Reply::ok(fcp(ef, self.content(fid).len())) } else { Reply::done() })
            }
            0x04 => {
                let (df, aid): (Df, &[u8]) = if cmd.data == IAS_AID && self.profile.has_ias_aid() {
                    (Df::Mf, &IAS_AID)
                } else if cmd.data == CIE_AID {
                    (Df::Cie, &CIE_AID)
                } else if cmd.data.is_empty() {
                    return Err(StatusWord::WRONG_LENGTH);
                } else {
                    return Err(StatusWord::FILE_NOT_FOUND);
                };
                self.select_df(df);
                Ok(if want_fcp { Reply::ok(df_fcp(aid)) } else { Reply::done() })
            }
            _ => Err(StatusWord::INCORRECT_P1P2),
        }
    }

    /// The EF to read: by SFI (which also selects it) or the current one; then the access check.
    fn ef_for_read(&mut self, sfi: Option<u8>, sm: bool) -> Result<Ef, StatusWord> {
        let ef = match sfi {
            Some(sfi) => {
                let ef = find_sfi(self.v.df, sfi).ok_or(StatusWord::FILE_NOT_FOUND)?;
                self.v.ef = Some(ef.fid);
                ef
            }
            None => {
                let fid = self.v.ef.ok_or(StatusWord::NO_CURRENT_EF)?;
                find_fid(self.v.df, fid).ok_or(StatusWord::NO_CURRENT_EF)?
            }
        };
        if ef.access == Access::SmPin && !(sm && self.v.terminal && self.v.pin_ok) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        Ok(ef)
    }

    /// `count` bytes from `offset` of the EF: `90 00`, or `62 82` with the bytes up to the end,
    /// or `6B 00` when the offset is at or beyond the end (§2.5 step 2, §10.3).
    fn read_range(&self, ef: Ef, offset: usize, count: usize) -> Result<(Vec<u8>, StatusWord), StatusWord> {
        let content = self.content(ef.fid);
        if offset >= content.len() {
            return Err(StatusWord::WRONG_OFFSET);
        }
        let end = offset.saturating_add(count).min(content.len());
        let data = content[offset..end].to_vec();
        let sw = if data.len() < count { StatusWord::END_OF_FILE } else { StatusWord::OK };
        Ok((data, sw))
    }

    /// How many bytes one READ BINARY answers for `le` (absent = 256): Le is a maximum, and the
    /// card never answers more than its cap (231 on real cards, §2.5): a longer Le gets the
    /// capped answer with `90 00` while the file goes on, not `6C xx` nor `67 00` ([inferred]
    /// from the public hosts' read loops, §11.3).
    fn read_count(&self, le: Option<u16>) -> usize {
        usize::from(le.unwrap_or(256)).min(self.read_binary_max)
    }

    /// READ BINARY `B0`: P1 bit 8 clear → offset P1P2 (15 bits) in the current EF; set → SFI in
    /// P1 bits 5..1, offset P2. Le (absent: 256) is capped at the card's maximum
    /// ([`SimCard::read_count`]).
    pub(super) fn read_binary(&mut self, cmd: &Command, sm: bool) -> CardResult {
        if !cmd.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (sfi, offset) = if cmd.p1 & 0x80 != 0 {
            let sfi = cmd.p1 & 0x1F;
            if cmd.p1 & 0x60 != 0 || sfi == 0 {
                return Err(StatusWord::INCORRECT_P1P2);
            }
            (Some(sfi), usize::from(cmd.p2))
        } else {
            (None, usize::from(u16::from_be_bytes([cmd.p1, cmd.p2])))
        };
        let ef = self.ef_for_read(sfi, sm)?;
        let count = self.read_count(cmd.le);
        let (data, sw) = self.read_range(ef, offset, count)?;
        Ok(Reply { data, sw })
    }

    /// READ BINARY odd INS `B1` (§2.2, PGI): data = offset DO `54 01|02 <offset>`; P1P2 = `00 00`
    /// (current EF), `00 <SFI>` (SFI < 32) or a FID in the current DF. The answer is the data
    /// wrapped in a discretionary-data object `53 L <data>`, the whole fitting Le (Le `E7` → 228
    /// data bytes).
    pub(super) fn read_binary_odd(&mut self, cmd: &Command, sm: bool) -> CardResult {
        let (offset_do, rest) = tlv::read(&cmd.data).ok_or(StatusWord::WRONG_DATA)?;
        if offset_do.tag != 0x54 || !rest.is_empty() || offset_do.value.is_empty() || offset_do.value.len() > 2 {
            return Err(StatusWord::WRONG_DATA);
        }
        let offset = offset_do.value.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let p1p2 = u16::from_be_bytes([cmd.p1, cmd.p2]);
        let ef = match p1p2 {
            0 => self.ef_for_read(None, sm)?,
            1..=0x1F => self.ef_for_read(Some(cmd.p2), sm)?,
            fid => {
                find_fid(self.v.df, fid).ok_or(StatusWord::FILE_NOT_FOUND)?;
                self.v.ef = Some(fid);
                self.ef_for_read(None, sm)?
            }
        };
        // The wrapped answer obeys the same cap as READ BINARY `B0` (Le `E7` → 228 data bytes).
        let le = self.read_count(cmd.le);
        // The largest n with header(n) + n <= Le.
        let count = (0..=le).rev().find(|&n| n + tlv::header_len(n) <= le).unwrap_or(0);
        if count == 0 {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (data, sw) = self.read_range(ef, offset, count)?;
        Ok(Reply { data: tlv::encode(&[0x53], &data), sw })
    }
}
