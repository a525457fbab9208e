//! Reading the card's files in a session (PROTOCOL.md §2.2, §2.5): the holder's certificate
//! and the card number under secure messaging after the PIN, and the files of passive
//! authentication (§8.2-§8.3).

use super::state::State;
use super::Session;
use crate::certificate;
use crate::commands;
use crate::csca::CscaSet;
use crate::error::{Error, Result};
use crate::files;
use crate::internal_auth;
use crate::primitives;
use crate::sod::{self, der_trim, DataGroup, SodReport};
use crate::transport::{Link, Transport};

impl<T: Transport> Session<T> {
    /// The holder's authentication certificate (EF 1003, DER, trimmed), read under secure
    /// messaging after PIN verification and then cached.
    pub fn certificate(&mut self) -> Result<Vec<u8>> {
        if let Some(c) = &self.state.card.certificate {
            return Ok(c.clone());
        }
        self.run_with_recovery(|st, link| st.read_certificate(link))
    }

    /// The card number (EF 1002, first 9 characters), read under SM after PIN verification.
    pub fn serial(&mut self) -> Result<String> {
        if let Some(s) = &self.state.card.serial {
            return Ok(s.clone());
        }
        self.run_with_recovery(|st, link| {
            st.ensure_user(link)?;
            let raw = files::read_file(st.exchanger(link).as_mut(), files::EF_SERIAL)?;
            let s = serial_text(&raw)?;
            st.card.serial = Some(s.clone());
            Ok(s)
        })
    }

    /// Passive authentication (§8.2-§8.3): reads EF.SOD and the data groups readable now
    /// (NIS, both public keys, EF.DH; serial and certificate too when the PIN is verified),
    /// and checks every one against EF.SOD, and the Document Signer against the CSCA
    /// certificates of `trust` (§8.3.2: [`CscaSet::system`] for real cards; an empty set checks
    /// no chain). Then the anti-clone check (§8.3.3): the chip signs a fresh random challenge
    /// with key `83`, verified with EF 1005, whose hash EF.SOD vouches for; a chip that cannot
    /// is an error ([`Error::PassiveAuthentication`]), as a forged EF.SOD is.
    pub fn verify_sod(&mut self, trust: &CscaSet) -> Result<SodReport> {
        let logged_in = self.state.credentials.pin.is_some() || self.state.credentials.pin_verified;
        self.passive_authentication(trust, logged_in)
    }

    /// [`Session::verify_sod`] choosing the files: with `holder_files` the card number and the
    /// certificate are read (under the verified PIN, which must be there:
    /// [`Error::LoginRequired`] otherwise) and checked too; without, only the files anyone may
    /// read, even when the PIN is verified. The card agent uses the first for a logged-in
    /// client and the second for any other, so a client never uses another's login
    /// (DESIGN.md §8).
    pub fn verify_sod_with(&mut self, trust: &CscaSet, holder_files: bool) -> Result<SodReport> {
        self.passive_authentication(trust, holder_files)
    }

    fn passive_authentication(&mut self, trust: &CscaSet, logged_in: bool) -> Result<SodReport> {
        if logged_in {
            self.certificate()?;
            self.serial()?;
        }
        let (ef_sod, servizi, ef_dh) = self.run_with_recovery(|st, link| {
            if logged_in {
                st.ensure_user(link)?;
            } else {
                st.ensure_selected(link)?;
            }
            let ef_sod = files::read_file(st.exchanger(link).as_mut(), files::EF_SOD)?;
            let servizi = files::read_file(st.exchanger(link).as_mut(), files::EF_SERVIZI_KPUB)?;
            // EF.DH lives under the MF.
            st.select_root(link)?;
            st.selection.in_cie_df = false;
            let ef_dh = files::read_file(st.exchanger(link).as_mut(), files::EF_DH)?;
            st.select_cie(link)?;
            Ok((ef_sod, servizi, ef_dh))
        })?;
        let card = &self.state.card;
        let servizi = der_trim(&servizi)?;
        let ef_dh = der_trim(&ef_dh)?;
        let serial = card.serial.as_ref().filter(|_| logged_in).map(|s| s.as_bytes().to_vec());
        let mut groups = vec![
            DataGroup { number: 0xA1, content: card.nis.as_bytes() },
            DataGroup { number: 0xA4, content: &card.chip_key_der },
            DataGroup { number: 0xA5, content: servizi },
            DataGroup { number: 0x1B, content: ef_dh },
        ];
        if let Some(s) = &serial {
            groups.push(DataGroup { number: 0xA2, content: s });
        }
        if let Some(c) = card.certificate.as_ref().filter(|_| logged_in) {
            groups.push(DataGroup { number: 0xA3, content: c });
        }
        let mut report = sod::verify_sod(der_trim(&ef_sod)?, &groups, trust)?;
        if !report.checked.contains(&0xA5) {
            return Err(Error::PassiveAuthentication("EF.SOD does not vouch for EF 1005 (no DG A5)".into()));
        }
        let servizi = servizi.to_vec();
        self.authenticate_chip(&servizi)?;
        report.chip_authenticated = true;
        Ok(report)
    }

    /// The anti-clone check (PROTOCOL.md §8.3.3; NIS manual): MSE SET AT for key `83`, then
    /// INTERNAL AUTHENTICATE of 16 fresh random bytes; the answer must recover, with the key of
    /// `ef_1005`, to the challenge in PKCS#1 v1.5 block type 1 ([`internal_auth::verify_answer`]).
    /// Sent in plain, or under secure messaging when a channel is open.
    fn authenticate_chip(&mut self, ef_1005: &[u8]) -> Result<()> {
        let mut challenge = [0u8; CHIP_CHALLENGE_LEN];
        primitives::fill_random(&mut challenge);
        let answer = self.run_with_recovery(|st, link| {
            st.ensure_selected(link)?;
            let mut x = st.exchanger(link);
            x.send(&commands::mse_set_at_signature(commands::SERVICES_KEY))?.ok("MSE SET AT (key 83)")?;
            x.send(&commands::internal_authenticate(challenge.to_vec()))?.ok("INTERNAL AUTHENTICATE (key 83)")
        })?;
        internal_auth::verify_answer(ef_1005, &challenge, &answer).map_err(|e| {
            Error::PassiveAuthentication(format!(
                "the chip did not prove it holds the key EF.SOD vouches for (key 83 answer: {e}): not the genuine chip"
            ))
        })
    }
}

/// Bytes of the anti-clone challenge, as the official NIS kit sends (PROTOCOL.md §8.3.3).
const CHIP_CHALLENGE_LEN: usize = 16;

impl State {
    /// Reads the holder's certificate (EF 1003) under secure messaging after the PIN, and
    /// keeps it and its public key.
    pub(super) fn read_certificate(&mut self, link: &mut dyn Link) -> Result<Vec<u8>> {
        self.ensure_user(link)?;
        let raw = files::read_file(self.exchanger(link).as_mut(), files::EF_CERTIFICATE)?;
        let der = der_trim(&raw)?.to_vec();
        let key = certificate::public_key(&der)?;
        self.card.certificate_key = Some(key);
        self.card.certificate = Some(der.clone());
        Ok(der)
    }
}

/// The card number from EF 1002: the first 9 bytes, printable ASCII.
fn serial_text(raw: &[u8]) -> Result<String> {
    let s = raw.get(..9).ok_or_else(|| Error::malformed("serial number shorter than 9 bytes"))?;
    if !s.iter().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::malformed("serial number is not alphanumeric"));
    }
    Ok(String::from_utf8_lossy(s).into_owned())
}
