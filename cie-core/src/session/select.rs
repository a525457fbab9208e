//! Finding the card's applications and its static data (PROTOCOL.md §1.2, §2): probing the
//! root selection, selecting the CIE application, and reading EF.SN.ICC, the NIS and the chip
//! key in plain, or taking them from stored card constants (DESIGN.md §5).

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::RsaPublicKey;

use super::state::State;
use crate::apdu::Response;
use crate::card_constants::CardConstants;
use crate::commands;
use crate::error::{Error, Result};
use crate::files::{self, Plain};
use crate::interop;
use crate::sod::der_trim;
use crate::sw::StatusWord;
use crate::transport::Link;
use crate::variant::{Generation, RootSelect};

impl State {
    /// SELECT of the root the way this generation selects it (PROTOCOL.md §1.2): the IAS
    /// application by name, or the MF. Any status word is returned; `90 00` makes the root the
    /// current selection.
    pub(super) fn select_root(&mut self, link: &mut dyn Link) -> Result<Response> {
        let cmd = match self.card.generation.root_select() {
            RootSelect::IasAid => commands::select_by_name(&interop::IAS_AID),
            RootSelect::MasterFile => commands::select_master_file(),
        };
        let resp = self.exchanger(link).send(&cmd)?;
        self.selection.in_root = resp.sw.is_ok();
        self.selection.in_cie_df = false;
        Ok(resp)
    }

    /// SELECT of the CIE application DF_CIE (PROTOCOL.md §2.1); a card without it is not a CIE.
    pub(super) fn select_cie(&mut self, link: &mut dyn Link) -> Result<()> {
        let resp = self.exchanger(link).send(&commands::select_by_name(&interop::CIE_AID))?;
        self.selection.in_root = false;
        if !resp.sw.is_ok() {
            return Err(Error::NotCie(format!("the CIE application is missing ({})", resp.sw)));
        }
        self.selection.in_cie_df = true;
        Ok(())
    }

    /// Probes the root selection (§1.2): the ATR's hint first, then the other way.
    fn probe_root(&mut self, link: &mut dyn Link) -> Result<()> {
        let hinted = self.card.generation.root_select();
        if self.select_root(link)?.sw.is_ok() {
            return Ok(());
        }
        let other = match hinted {
            RootSelect::IasAid => RootSelect::MasterFile,
            RootSelect::MasterFile => RootSelect::IasAid,
        };
        self.card.generation = Generation::Unknown(other);
        let resp = self.select_root(link)?;
        if !resp.sw.is_ok() {
            return Err(Error::NotCie(format!("neither the IAS application nor the MF can be selected ({})", resp.sw)));
        }
        Ok(())
    }

    /// Selects the root (probing, §1.2) and reads EF.SN.ICC (§2): three exchanges.
    pub(super) fn read_sn_icc(&mut self, link: &mut dyn Link) -> Result<()> {
        self.probe_root(link)?;
        self.card.sn_icc = files::read_file(&mut Plain(&mut *link), files::EF_SN_ICC).map_err(|e| match e {
            Error::Card { sw, .. } if sw == StatusWord::FILE_NOT_FOUND => Error::NotCie("no EF.SN.ICC".into()),
            e => e,
        })?;
        // Selecting an EF under the root leaves the root the current DF.
        Ok(())
    }

    /// Takes stored constants if they fit this card (its NIS as carried by EF.SN.ICC, when it
    /// carries one, and the root selection that just worked); false if they do not.
    pub(super) fn adopt_constants(&mut self, c: CardConstants) -> bool {
        if files::nis_from_sn_icc(&self.card.sn_icc).is_some_and(|nis| nis != c.nis)
            || c.root != self.card.generation.root_select()
        {
            tracing::info!("stored card constants belong to another card; reading the card");
            return false;
        }
        let Ok(chip_key) = RsaPublicKey::from_pkcs1_der(&c.chip_key_der) else { return false };
        self.card.nis = c.nis;
        self.card.chip_key = Some(chip_key);
        self.card.chip_key_der = c.chip_key_der;
        self.card.group = Some(c.group);
        self.card.ca = Some(c.ca);
        self.card.terminal_certificate = None;
        self.card.constants_unconfirmed = true;
        true
    }

    /// Reads the rest of the static data after EF.SN.ICC: the NIS and the chip key (§2).
    pub(super) fn read_static(&mut self, link: &mut dyn Link) -> Result<()> {
        self.select_cie(link)?;
        let nis = files::read_file(&mut Plain(&mut *link), files::EF_NIS)?;
        let nis = nis.get(..12).ok_or_else(|| Error::malformed("NIS shorter than 12 bytes"))?;
        if !nis.iter().all(u8::is_ascii_digit) {
            return Err(Error::malformed("NIS is not 12 digits"));
        }
        let key = files::read_file(&mut Plain(&mut *link), files::EF_INT_KPUB)?;
        let key = der_trim(&key)?.to_vec();
        self.card.chip_key =
            Some(RsaPublicKey::from_pkcs1_der(&key).map_err(|e| Error::malformed(format!("chip key (EF 1004): {e}")))?);
        self.card.chip_key_der = key;
        self.card.constants_to_store = true;
        self.card.nis = String::from_utf8_lossy(nis).into_owned();
        if files::nis_from_sn_icc(&self.card.sn_icc).as_deref() != Some(self.card.nis.as_str()) {
            tracing::warn!("EF.SN.ICC does not carry the NIS of EF 1001");
        }
        Ok(())
    }

    /// Makes the CIE application the current DF, selecting the root first when needed.
    pub(super) fn ensure_selected(&mut self, link: &mut dyn Link) -> Result<()> {
        if !self.selection.in_cie_df {
            if !self.selection.in_root {
                self.select_root(link)?.ok("SELECT root")?;
            }
            self.select_cie(link)?;
        }
        Ok(())
    }
}
