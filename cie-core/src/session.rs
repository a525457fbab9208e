//! The card session (DESIGN.md §3): `Connected -> SecureChannel (DH + DAPP) -> UserVerified`.
//!
//! A [`Session`] keeps the secure channel and the PIN status across operations and rebuilds
//! them only when it must: after a card reset (another process, a glitch), a secure-messaging
//! error, or a "security status not satisfied" answer. Static card data (EF.SN.ICC, NIS, chip
//! key, DH group, CA key, terminal certificate, holder certificate) is read once per insertion.
//! Every operation runs inside one exclusive transaction of the [`Transport`].

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::RsaPublicKey;

use crate::apdu::{self, Command};
use crate::card_constants::CardConstants;
use crate::channel::SecureChannel;
use crate::commands;
use crate::dapp::{self, CaKey, DappInput};
use crate::dh::{self, DhGroup};
use crate::error::{Credential, Error, Result};
use crate::files::{self, Exchanger, Plain, Secure};
use crate::interop;
use crate::pin::{self, Pin, Puk, Secret};
use crate::sign::{self, HashAlg, MAX_SIGN_INPUT};
use crate::sw::{StatusWord, SwKind};
use crate::transport::{Link, Transport, TransportError};
use crate::variant::{Generation, RootSelect};

/// What is known about the PIN's retry counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinStatus {
    /// Verified in the current secure channel.
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked: only the PUK can unblock it.
    Blocked,
}

/// A session with one CIE in one reader.
pub struct Session<T: Transport> {
    transport: T,
    state: State,
}

/// Card-side state the host tracks, and the static data read from the card.
struct State {
    atr: Vec<u8>,
    generation: Generation,
    sn_icc: Vec<u8>,
    nis: String,
    chip_key_der: Vec<u8>,
    chip_key: Option<RsaPublicKey>,
    group: Option<DhGroup>,
    ca: Option<CaKey>,
    terminal_certificate: Option<Vec<u8>>,
    certificate: Option<Vec<u8>>,
    certificate_key: Option<RsaPublicKey>,
    serial: Option<String>,
    channel: Option<SecureChannel>,
    /// The CIE application (DF_CIE) is the current DF.
    in_cie_df: bool,
    /// The PIN of the logged-in user, kept to re-verify after a reset (zeroized on drop).
    pin: Option<Pin>,
    /// The PIN was verified in the current secure channel.
    pin_verified: bool,
    /// Tries left as last reported by the card.
    pin_tries: Option<u8>,
    /// A PIN or PUK given by the caller has been sent in this attempt: never retry it.
    secret_sent: bool,
    /// Key `83` signature over the NIS.
    binding_signature: Option<Vec<u8>>,
    /// The root is the current selection (no need to select it before the CIE application).
    in_root: bool,
    /// The chip key, DH group and CA key came from [`CardConstants`] given by the caller and
    /// have not yet been confirmed by a handshake.
    constants_unconfirmed: bool,
    /// The constants were read from the card and not yet handed out for storage.
    constants_to_store: bool,
}

impl<T: Transport> Session<T> {
    /// Connects to the card: detects its generation by probing (§1.2, the ATR as a hint),
    /// selects the CIE application, and reads EF.SN.ICC, the NIS and the chip key (§2) in plain.
    pub fn open(transport: T) -> Result<Session<T>> {
        Session::open_with_constants(transport, |_| None)
    }

    /// Like [`Session::open`], but asks `known` for the [`CardConstants`] stored for this card
    /// (it gets EF.SN.ICC, the card's identity): when they decode and match EF.SN.ICC, opening
    /// costs three exchanges (root, SELECT and READ of EF.SN.ICC) and no card crypto, and the
    /// next secure channel skips reading the DH group, the CA key and the chip key. Constants
    /// that do not fit the card are noticed in the handshake and read again (DESIGN.md §5).
    pub fn open_with_constants(mut transport: T, known: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> Result<Session<T>> {
        crate::primitives::session_opened();
        let atr = transport.atr()?;
        let mut session = Session {
            transport,
            state: State {
                generation: Generation::from_atr(&atr).unwrap_or(Generation::Unknown(RootSelect::IasAid)),
                atr,
                sn_icc: Vec::new(),
                nis: String::new(),
                chip_key_der: Vec::new(),
                chip_key: None,
                group: None,
                ca: None,
                terminal_certificate: None,
                certificate: None,
                certificate_key: None,
                serial: None,
                channel: None,
                in_cie_df: false,
                pin: None,
                pin_verified: false,
                pin_tries: None,
                secret_sent: false,
                binding_signature: None,
                in_root: false,
                constants_unconfirmed: false,
                constants_to_store: false,
            },
        };
        let mut known = Some(known);
        session.run(|st, link| {
            st.read_sn_icc(link)?;
            let constants = known.take().and_then(|f| f(&st.sn_icc)).and_then(|bytes| {
                CardConstants::decode(&bytes).map_err(|e| tracing::info!("stored card constants unusable: {e}")).ok()
            });
            if constants.is_some_and(|c| st.adopt_constants(c)) {
                return Ok(());
            }
            st.read_static(link)
        })?;
        Ok(session)
    }

    /// The card's constants for a store, once after they were read from the card and confirmed
    /// by a secure channel (so a caller stores only what works); `None` otherwise.
    pub fn constants_to_store(&mut self) -> Option<Vec<u8>> {
        let st = &mut self.state;
        if !st.constants_to_store || st.channel.is_none() {
            return None;
        }
        let (Some(group), Some(ca)) = (&st.group, &st.ca) else { return None };
        st.constants_to_store = false;
        let root = st.generation.root_select();
        Some(
            CardConstants {
                root,
                nis: st.nis.clone(),
                chip_key_der: st.chip_key_der.clone(),
                group: group.clone(),
                ca: ca.clone(),
            }
            .encode(),
        )
    }

    /// The card generation.
    pub fn generation(&self) -> Generation {
        self.state.generation
    }

    /// The answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.state.atr
    }

    /// The NIS (Numero Identificativo per i Servizi, EF 1001), 12 digits.
    pub fn nis(&self) -> &str {
        &self.state.nis
    }

    /// EF.SN.ICC as read.
    pub fn sn_icc(&self) -> &[u8] {
        &self.state.sn_icc
    }

    /// The chip authentication public key (EF 1004), DER.
    pub fn chip_key_der(&self) -> &[u8] {
        &self.state.chip_key_der
    }

    /// True when a PIN has been verified and is held for this session.
    pub fn is_logged_in(&self) -> bool {
        self.state.pin.is_some()
    }

    /// Tries left as last reported by the card, if known.
    pub fn pin_tries_left(&self) -> Option<u8> {
        self.state.pin_tries
    }

    /// The certificate, if it has been read already (no card access).
    pub fn cached_certificate(&self) -> Option<&[u8]> {
        self.state.certificate.as_deref()
    }

    /// The transport, e.g. to read counters of a wrapper.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Ends the session and returns the transport.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Runs one operation inside a transaction, recovering once from a card reset or a broken
    /// secure channel (but never re-sending a PIN or PUK given by the caller).
    fn run<R>(&mut self, mut op: impl FnMut(&mut State, &mut dyn Link) -> Result<R>) -> Result<R> {
        let mut resets = 0;
        let mut rebuilds = 0;
        loop {
            self.state.secret_sent = false;
            let result = match self.transport.transaction() {
                Ok(mut link) => op(&mut self.state, &mut *link),
                Err(e) => Err(e.into()),
            };
            let secret_sent = self.state.secret_sent;
            match result {
                Err(Error::Transport(TransportError::CardReset)) => {
                    tracing::info!("card reset detected; re-establishing the session");
                    self.state.card_was_reset();
                    resets += 1;
                    if resets > 2 || secret_sent {
                        return Err(TransportError::CardReset.into());
                    }
                }
                Err(e) if State::needs_new_channel(&e) => {
                    self.state.drop_channel();
                    rebuilds += 1;
                    if rebuilds > 1 || secret_sent {
                        return Err(e);
                    }
                    tracing::info!("re-establishing the secure channel after: {e}");
                }
                Err(e @ Error::Transport(TransportError::CardRemoved | TransportError::NoCard)) => {
                    // The card is gone: forget the PIN and every card-side state (DESIGN.md §3).
                    self.state.pin = None;
                    self.state.card_was_reset();
                    return Err(e);
                }
                other => {
                    if self.state.channel.as_ref().is_some_and(|c| !c.is_usable()) {
                        self.state.drop_channel();
                    }
                    return other;
                }
            }
        }
    }

    /// Verifies the user PIN (§6) and keeps it in memory for this session, so that a card
    /// reset can be recovered without asking again. A wrong PIN spends exactly one try and is
    /// reported with the tries left.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<()> {
        let result = self.run(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, pin)
        });
        match &result {
            Ok(()) => {
                self.state.pin = Some(pin.clone());
                self.state.pin_verified = true;
            }
            Err(_) => {
                self.state.pin = None;
                self.state.pin_verified = false;
            }
        }
        result
    }

    /// Verifies the PUK (VERIFY `82`, §6) without changing anything; a wrong PUK spends one
    /// PUK try. The PUK status stays in the current secure channel until [`Session::logout`].
    pub fn verify_puk(&mut self, puk: &Puk) -> Result<()> {
        self.run(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, puk)
        })
    }

    /// Asks the card how many PIN tries are left without spending one (VERIFY with no data).
    pub fn pin_status(&mut self) -> Result<PinStatus> {
        self.run(|st, link| {
            st.ensure_channel(link)?;
            let resp = st.secure(link, &commands::verify_status(pin::PIN_REF))?;
            let status = match resp.sw.kind() {
                SwKind::Ok => PinStatus::Verified,
                SwKind::TriesLeft(0) | SwKind::AuthMethodBlocked => PinStatus::Blocked,
                SwKind::TriesLeft(n) => PinStatus::TriesLeft(n),
                _ => return Err(Error::card("VERIFY (status)", resp.sw)),
            };
            st.pin_tries = match status {
                PinStatus::Blocked => Some(0),
                PinStatus::TriesLeft(n) => Some(n),
                PinStatus::Verified => st.pin_tries,
            };
            Ok(status)
        })
    }

    /// Asks the card how many PUK tries are left (VERIFY `82` without data, §6), spending none:
    /// `TriesLeft(n)`, `Blocked`, or `Verified` when the PUK was verified in this channel.
    pub fn puk_status(&mut self) -> Result<PinStatus> {
        self.run(|st, link| {
            st.ensure_channel(link)?;
            let resp = st.secure(link, &commands::verify_status(pin::PUK_REF))?;
            match resp.sw.kind() {
                SwKind::Ok => Ok(PinStatus::Verified),
                SwKind::TriesLeft(0) | SwKind::AuthMethodBlocked => Ok(PinStatus::Blocked),
                SwKind::TriesLeft(n) => Ok(PinStatus::TriesLeft(n)),
                _ => Err(Error::card("VERIFY PUK (status)", resp.sw)),
            }
        })
    }

    /// Changes the PIN (CHANGE REFERENCE DATA, §6). A wrong old PIN spends one try.
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<()> {
        let result = self.run(|st, link| {
            st.ensure_channel(link)?;
            st.secret_sent = true;
            let resp = st.secure(link, &commands::change_reference_data(old, new))?;
            st.note_tries(resp.sw);
            pin::check_status(Credential::Pin, "CHANGE REFERENCE DATA", resp.sw)
        });
        match &result {
            Ok(()) => {
                if self.state.pin.is_some() {
                    self.state.pin = Some(new.clone());
                }
                self.state.pin_tries = Some(3);
            }
            Err(Error::WrongCredential { .. } | Error::Blocked(_)) => {
                self.state.pin = None;
                self.state.pin_verified = false;
            }
            Err(_) => {}
        }
        result
    }

    /// Unblocks the PIN with the PUK and sets a new PIN (VERIFY PUK, RESET RETRY COUNTER `02`,
    /// §6). A wrong PUK spends one PUK try.
    pub fn unblock_pin(&mut self, puk: &Puk, new_pin: &Pin) -> Result<()> {
        let result = self.run(|st, link| {
            st.ensure_channel(link)?;
            st.verify_secret(link, puk)?;
            let resp = st.secure(link, &commands::reset_retry_counter(new_pin))?;
            if !resp.sw.is_ok() {
                return Err(Error::card("RESET RETRY COUNTER", resp.sw));
            }
            Ok(())
        });
        if result.is_ok() {
            self.state.pin = None;
            self.state.pin_verified = false;
            self.state.pin_tries = Some(3);
            // The PUK status must not linger on the card: start a fresh channel next time.
            self.state.drop_channel();
        }
        result
    }

    /// Forgets the PIN and closes the secure channel (the card drops its PIN status with it).
    pub fn logout(&mut self) {
        self.state.pin = None;
        self.state.pin_verified = false;
        self.state.drop_channel();
    }

    /// The holder's authentication certificate (EF 1003, DER, trimmed), read under secure
    /// messaging after PIN verification and then cached.
    pub fn certificate(&mut self) -> Result<Vec<u8>> {
        if let Some(c) = &self.state.certificate {
            return Ok(c.clone());
        }
        self.run(|st, link| st.read_certificate(link))
    }

    /// The card number (EF 1002, first 9 characters), read under SM after PIN verification.
    pub fn serial(&mut self) -> Result<String> {
        if let Some(s) = &self.state.serial {
            return Ok(s.clone());
        }
        self.run(|st, link| {
            st.ensure_user(link)?;
            let raw = files::read_file(st.exchanger(link).as_mut(), files::EF_SERIAL)?;
            let s = serial_text(&raw)?;
            st.serial = Some(s.clone());
            Ok(s)
        })
    }

    /// Gives the session the holder's certificate from a trusted copy (a cache keyed by this
    /// card, DESIGN.md §5), so that signatures can be checked without reading EF 1003. Only
    /// its public key is kept: [`Session::certificate`] still reads the card.
    pub fn use_certificate_key(&mut self, certificate_der: &[u8]) -> Result<()> {
        self.state.certificate_key = Some(crate::certificate::public_key(certificate_der)?);
        Ok(())
    }

    /// True when the session knows the public key of the holder's signing key (from the card's
    /// certificate or from [`Session::use_certificate_key`]); no card access.
    pub fn knows_signing_key(&self) -> bool {
        self.state.certificate_key.is_some()
    }

    /// Signs a DigestInfo (or any data of at most 245 bytes) with the holder's key: the card
    /// adds PKCS#1 v1.5 type-1 padding (§7.1). After login this costs 3 APDU exchanges (plus
    /// the certificate read the first time, when its key is not known yet).
    ///
    /// Every answer is checked before it is returned: it must be exactly as long as the
    /// modulus and verify with the certificate's key, else [`Error::CardSignature`].
    pub fn sign_digest_info(&mut self, digest_info: &[u8]) -> Result<Vec<u8>> {
        if digest_info.is_empty() || digest_info.len() > MAX_SIGN_INPUT {
            return Err(Error::InvalidArgument(format!(
                "the card signs 1 to {MAX_SIGN_INPUT} bytes, got {}",
                digest_info.len()
            )));
        }
        if self.state.pin.is_none() && !self.state.pin_verified {
            return Err(Error::LoginRequired);
        }
        self.run(|st, link| {
            st.ensure_user(link)?;
            if st.certificate_key.is_none() {
                // Never hand on a signature that was not checked: learn the key first.
                st.read_certificate(link)?;
            }
            st.secure(link, &commands::mse_set_at_signature(commands::SIGNATURE_KEY))?.ok("MSE SET AT (signature)")?;
            let sig = st
                .secure(link, &commands::internal_authenticate(digest_info))?
                .ok("INTERNAL AUTHENTICATE (signature)")?;
            let key = st.certificate_key.as_ref().ok_or_else(|| Error::malformed("no certificate key"))?;
            crate::certificate::verify_digest_info(key, digest_info, &sig)?;
            Ok(sig)
        })
    }

    /// Hashes `data` and signs its DigestInfo.
    pub fn sign(&mut self, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest_info(&sign::digest_info_of(alg, data))
    }

    /// Signs a digest computed by the caller.
    pub fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest_info(&sign::digest_info(alg, digest)?)
    }

    /// The card's deterministic signature with key `83` over the ASCII NIS (§7.1, §8.4): no
    /// PIN needed, the same value every time for the same card, so it can key a per-card cache
    /// that is useless without the card. Cached per session.
    pub fn card_binding_signature(&mut self) -> Result<Vec<u8>> {
        if let Some(s) = &self.state.binding_signature {
            return Ok(s.clone());
        }
        let sig = self.run(|st, link| {
            st.ensure_selected(link)?;
            let nis = st.nis.as_bytes().to_vec();
            let mut x = st.exchanger(link);
            x.send(&commands::mse_set_at_signature(commands::SERVICES_KEY))?.ok("MSE SET AT (key 83)")?;
            x.send(&commands::internal_authenticate(nis))?.ok("INTERNAL AUTHENTICATE (key 83)")
        })?;
        self.state.binding_signature = Some(sig.clone());
        Ok(sig)
    }

    /// Passive authentication (§8.2-§8.3): reads EF.SOD and the data groups readable now
    /// (NIS, both public keys, EF.DH; serial and certificate too when the PIN is verified),
    /// and checks every one against EF.SOD, optionally against a CSCA certificate (DER).
    pub fn verify_sod(&mut self, csca: Option<&[u8]>) -> Result<crate::sod::SodReport> {
        let logged_in = self.state.pin.is_some() || self.state.pin_verified;
        if logged_in {
            self.certificate()?;
            self.serial()?;
        }
        let (sod, servizi, ef_dh) = self.run(|st, link| {
            if logged_in {
                st.ensure_user(link)?;
            } else {
                st.ensure_selected(link)?;
            }
            let sod = files::read_file(st.exchanger(link).as_mut(), files::EF_SOD)?;
            let servizi = files::read_file(st.exchanger(link).as_mut(), files::EF_SERVIZI_KPUB)?;
            // EF.DH lives under the MF.
            st.select_root(link)?;
            st.in_cie_df = false;
            let ef_dh = files::read_file(st.exchanger(link).as_mut(), files::EF_DH)?;
            st.select_cie(link)?;
            Ok((sod, servizi, ef_dh))
        })?;
        let st = &self.state;
        let nis = st.nis.as_bytes();
        let servizi = crate::sod::der_trim(&servizi)?;
        let ef_dh = crate::sod::der_trim(&ef_dh)?;
        let serial = st.serial.as_ref().map(|s| s.as_bytes().to_vec());
        let mut groups = vec![
            crate::sod::DataGroup { number: 0xA1, content: nis },
            crate::sod::DataGroup { number: 0xA4, content: &st.chip_key_der },
            crate::sod::DataGroup { number: 0xA5, content: servizi },
            crate::sod::DataGroup { number: 0x1B, content: ef_dh },
        ];
        if let Some(s) = &serial {
            groups.push(crate::sod::DataGroup { number: 0xA2, content: s });
        }
        if let Some(c) = &st.certificate {
            groups.push(crate::sod::DataGroup { number: 0xA3, content: c });
        }
        crate::sod::verify_sod(crate::sod::der_trim(&sod)?, &groups, csca)
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

impl State {
    /// Errors after which the secure channel must be rebuilt before retrying (§5.5).
    fn needs_new_channel(e: &Error) -> bool {
        match e {
            Error::SecureMessaging(_) => true,
            Error::Card { sw, .. } => matches!(
                sw.kind(),
                SwKind::SecurityStatusNotSatisfied | SwKind::SmObjectsMissing | SwKind::SmObjectsIncorrect
            ),
            _ => false,
        }
    }

    fn card_was_reset(&mut self) {
        self.drop_channel();
        self.in_cie_df = false;
        self.in_root = false;
    }

    fn drop_channel(&mut self) {
        self.channel = None;
        self.pin_verified = false;
    }

    /// The exchanger for the current state: secure messaging when a channel is open (a plain
    /// command would close it on the card).
    fn exchanger<'a>(&'a mut self, link: &'a mut dyn Link) -> Box<dyn Exchanger + 'a> {
        match &mut self.channel {
            Some(channel) => Box::new(Secure { channel, link }),
            None => Box::new(Plain(link)),
        }
    }

    fn secure(&mut self, link: &mut dyn Link, cmd: &Command) -> Result<apdu::Response> {
        match &mut self.channel {
            Some(channel) => channel.transmit(link, cmd),
            None => Err(Error::NoSecureChannel),
        }
    }

    fn select_root(&mut self, link: &mut dyn Link) -> Result<apdu::Response> {
        let cmd = match self.generation.root_select() {
            RootSelect::IasAid => commands::select_by_name(&interop::IAS_AID),
            RootSelect::MasterFile => commands::select_master_file(),
        };
        let resp = self.exchanger(link).send(&cmd)?;
        self.in_root = resp.sw.is_ok();
        self.in_cie_df = false;
        Ok(resp)
    }

    fn select_cie(&mut self, link: &mut dyn Link) -> Result<()> {
        let resp = self.exchanger(link).send(&commands::select_by_name(&interop::CIE_AID))?;
        self.in_root = false;
        if !resp.sw.is_ok() {
            return Err(Error::NotCie(format!("the CIE application is missing ({})", resp.sw)));
        }
        self.in_cie_df = true;
        Ok(())
    }

    /// Probes the root selection (§1.2): the ATR's hint first, then the other way.
    fn probe_root(&mut self, link: &mut dyn Link) -> Result<()> {
        let hinted = self.generation.root_select();
        if self.select_root(link)?.sw.is_ok() {
            return Ok(());
        }
        let other = match hinted {
            RootSelect::IasAid => RootSelect::MasterFile,
            RootSelect::MasterFile => RootSelect::IasAid,
        };
        self.generation = Generation::Unknown(other);
        let resp = self.select_root(link)?;
        if !resp.sw.is_ok() {
            return Err(Error::NotCie(format!("neither the IAS application nor the MF can be selected ({})", resp.sw)));
        }
        Ok(())
    }

    /// Selects the root (probing, §1.2) and reads EF.SN.ICC (§2): three exchanges.
    fn read_sn_icc(&mut self, link: &mut dyn Link) -> Result<()> {
        self.probe_root(link)?;
        self.sn_icc = files::read_file(&mut Plain(&mut *link), files::EF_SN_ICC).map_err(|e| match e {
            Error::Card { sw, .. } if sw == StatusWord::FILE_NOT_FOUND => Error::NotCie("no EF.SN.ICC".into()),
            e => e,
        })?;
        // Selecting an EF under the root leaves the root the current DF.
        Ok(())
    }

    /// Takes stored constants if they fit this card (its NIS as carried by EF.SN.ICC, when it
    /// carries one, and the root selection that just worked); false if they do not.
    fn adopt_constants(&mut self, c: CardConstants) -> bool {
        if files::nis_from_sn_icc(&self.sn_icc).is_some_and(|nis| nis != c.nis)
            || c.root != self.generation.root_select()
        {
            tracing::info!("stored card constants belong to another card; reading the card");
            return false;
        }
        let Ok(chip_key) = RsaPublicKey::from_pkcs1_der(&c.chip_key_der) else { return false };
        self.nis = c.nis;
        self.chip_key = Some(chip_key);
        self.chip_key_der = c.chip_key_der;
        self.group = Some(c.group);
        self.ca = Some(c.ca);
        self.terminal_certificate = None;
        self.constants_unconfirmed = true;
        true
    }

    /// Reads the rest of the static data after EF.SN.ICC: the NIS and the chip key (§2).
    fn read_static(&mut self, link: &mut dyn Link) -> Result<()> {
        self.select_cie(link)?;
        let nis = files::read_file(&mut Plain(&mut *link), files::EF_NIS)?;
        let nis = nis.get(..12).ok_or_else(|| Error::malformed("NIS shorter than 12 bytes"))?;
        if !nis.iter().all(u8::is_ascii_digit) {
            return Err(Error::malformed("NIS is not 12 digits"));
        }
        let key = files::read_file(&mut Plain(&mut *link), files::EF_INT_KPUB)?;
        let key = crate::sod::der_trim(&key)?.to_vec();
        self.chip_key =
            Some(RsaPublicKey::from_pkcs1_der(&key).map_err(|e| Error::malformed(format!("chip key (EF 1004): {e}")))?);
        self.chip_key_der = key;
        self.constants_to_store = true;
        self.nis = String::from_utf8_lossy(nis).into_owned();
        if files::nis_from_sn_icc(&self.sn_icc).as_deref() != Some(self.nis.as_str()) {
            tracing::warn!("EF.SN.ICC does not carry the NIS of EF 1001");
        }
        Ok(())
    }

    fn ensure_selected(&mut self, link: &mut dyn Link) -> Result<()> {
        if !self.in_cie_df {
            if !self.in_root {
                self.select_root(link)?.ok("SELECT root")?;
            }
            self.select_cie(link)?;
        }
        Ok(())
    }

    /// DH + DAPP (§4) unless a usable channel is open. Static parameters are cached. When they
    /// came from stored [`CardConstants`] and the handshake fails, they are read from the card
    /// and the handshake is run once more (no PIN has been sent at this point).
    fn ensure_channel(&mut self, link: &mut dyn Link) -> Result<()> {
        if self.channel.as_ref().is_some_and(SecureChannel::is_usable) {
            return Ok(());
        }
        self.drop_channel();
        self.ensure_selected(link)?;
        match self.handshake(link) {
            Err(e) if self.constants_unconfirmed && !matches!(e, Error::Transport(_)) => {
                tracing::info!("the stored card constants do not fit the card ({e}); reading them again");
                self.constants_unconfirmed = false;
                self.group = None;
                self.ca = None;
                self.terminal_certificate = None;
                self.chip_key = None;
                // A failed handshake may leave the card anywhere: start from the root.
                self.select_root(link)?.ok("SELECT root")?;
                self.read_static(link)?;
                self.handshake(link)
            }
            other => other,
        }
    }

    /// Reads what is missing of the DH group and the CA key, then DH + DAPP (§4).
    fn handshake(&mut self, link: &mut dyn Link) -> Result<()> {
        if self.group.is_none() {
            let one_call = self.generation.dh_params_one_call();
            let group = match dh::read_group(&mut *link, one_call) {
                Err(Error::Card { .. }) if one_call => dh::read_group(&mut *link, false)?,
                other => other?,
            };
            self.group = Some(group);
            self.constants_to_store = true;
        }
        if self.ca.is_none() {
            let ca = dapp::read_ca_key(&mut *link)?;
            self.ca = Some(ca);
            self.constants_to_store = true;
        }
        if self.terminal_certificate.is_none() {
            let ca = self.ca.as_ref().ok_or_else(|| Error::DeviceAuthentication("CA key missing".into()))?;
            self.terminal_certificate = Some(dapp::terminal_certificate(ca)?);
        }
        let (Some(group), Some(certificate), Some(chip_key)) =
            (&self.group, &self.terminal_certificate, &self.chip_key)
        else {
            return Err(Error::DeviceAuthentication("card data missing".into()));
        };
        let kx = dh::exchange(&mut *link, group)?;
        let mut channel = SecureChannel::new(kx.keys.clone());
        let input = DappInput { group, y_ifd: &kx.y_ifd, y_icc: &kx.y_icc, certificate, chip_key };
        let ssc = dapp::authenticate(&mut channel, &mut *link, &input)?;
        channel.set_ssc(ssc);
        self.channel = Some(channel);
        self.constants_unconfirmed = false;
        Ok(())
    }

    /// A secure channel with the PIN verified, re-verifying the held PIN if needed.
    fn ensure_user(&mut self, link: &mut dyn Link) -> Result<()> {
        self.ensure_channel(link)?;
        if self.pin_verified {
            return Ok(());
        }
        let Some(pin) = self.pin.clone() else {
            return Err(Error::LoginRequired);
        };
        let sent_before = self.secret_sent;
        match self.verify_secret(link, &pin) {
            Ok(()) => {
                // The held PIN is the card's: sending it again after a later reset in this
                // operation spends nothing.
                self.secret_sent = sent_before;
                self.pin_verified = true;
                Ok(())
            }
            Err(e @ (Error::WrongCredential { .. } | Error::Blocked(_))) => {
                // The PIN changed behind our back: forget it.
                self.pin = None;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    fn note_tries(&mut self, sw: StatusWord) {
        match sw.kind() {
            SwKind::Ok => self.pin_tries = Some(3),
            SwKind::TriesLeft(n) => self.pin_tries = Some(n),
            SwKind::AuthMethodBlocked => self.pin_tries = Some(0),
            _ => {}
        }
    }

    /// VERIFY with `secret`. Marks the secret as sent (never to be re-sent in this attempt)
    /// unless the transport answered the very first transmission with a reset: PC/SC refuses
    /// to transmit to a card that was reset since the handle last saw it, so the command did
    /// not reach the card and may be sent again once the channel is rebuilt.
    fn verify_secret<S: Secret>(&mut self, link: &mut dyn Link, secret: &S) -> Result<()> {
        let mut watched = Delivery { link, reached_card: false };
        let result = self.verify_secret_on(&mut watched, secret);
        self.secret_sent |= watched.reached_card;
        result
    }

    fn verify_secret_on<S: Secret>(&mut self, link: &mut dyn Link, secret: &S) -> Result<()> {
        let resp = self.secure(link, &commands::verify(secret))?;
        if S::KIND == Credential::Pin {
            self.note_tries(resp.sw);
            if resp.sw.is_ok() {
                self.pin_verified = true;
            }
        }
        pin::check_status(S::KIND, "VERIFY", resp.sw)
    }

    fn read_certificate(&mut self, link: &mut dyn Link) -> Result<Vec<u8>> {
        self.ensure_user(link)?;
        let raw = files::read_file(self.exchanger(link).as_mut(), files::EF_CERTIFICATE)?;
        let der = crate::sod::der_trim(&raw)?.to_vec();
        let key = crate::certificate::public_key(&der)?;
        self.certificate_key = Some(key);
        self.certificate = Some(der.clone());
        Ok(der)
    }
}

/// A link that notes whether a command may have reached the card: everything but a
/// [`TransportError::CardReset`] answer to a transmission counts as delivered.
struct Delivery<'a> {
    link: &'a mut dyn Link,
    reached_card: bool,
}

impl Link for Delivery<'_> {
    fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        let result = self.link.transmit(command);
        if !matches!(result, Err(TransportError::CardReset)) {
            self.reached_card = true;
        }
        result
    }
}
