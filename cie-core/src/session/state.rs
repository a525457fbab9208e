//! What a session knows, in three groups: the card's data (read once per insertion), where the
//! card is (current DF, secure channel: lost with a reset), and the credentials (the PIN held
//! for the session and what the card said of it).

use rsa::RsaPublicKey;

use crate::apdu::{Command, Response};
use crate::channel::SecureChannel;
use crate::dapp::CaKey;
use crate::dh::DhGroup;
use crate::error::{Error, Result};
use crate::files::{Exchanger, Plain, Secure};
use crate::pin::Pin;
use crate::transport::Link;
use crate::variant::{Generation, RootSelect};

/// Card-side state the host tracks, and the static data read from the card.
pub(super) struct State {
    /// What was read from the card (or taken from stored constants).
    pub(super) card: CardData,
    /// The card's current DF.
    pub(super) selection: Selection,
    /// The secure channel, when one is open.
    pub(super) channel: Option<SecureChannel>,
    /// The PIN and what is known of it.
    pub(super) credentials: Credentials,
}

/// The card's static data: read once per insertion, kept across resets.
pub(super) struct CardData {
    pub(super) atr: Vec<u8>,
    pub(super) generation: Generation,
    pub(super) sn_icc: Vec<u8>,
    pub(super) nis: String,
    pub(super) chip_key_der: Vec<u8>,
    pub(super) chip_key: Option<RsaPublicKey>,
    pub(super) group: Option<DhGroup>,
    pub(super) ca: Option<CaKey>,
    pub(super) terminal_certificate: Option<Vec<u8>>,
    pub(super) certificate: Option<Vec<u8>>,
    pub(super) certificate_key: Option<RsaPublicKey>,
    pub(super) serial: Option<String>,
    /// Key `83` signature over the NIS.
    pub(super) binding_signature: Option<Vec<u8>>,
    /// The chip key, DH group and CA key came from stored card constants given by the caller
    /// and have not yet been confirmed by a handshake.
    pub(super) constants_unconfirmed: bool,
    /// The constants were read from the card and not yet handed out for storage.
    pub(super) constants_to_store: bool,
    /// The card was reset since EF.SN.ICC was last read: before a new secure channel (and a
    /// held PIN) goes to it, it must show the same EF.SN.ICC (DESIGN.md §3).
    pub(super) identity_unconfirmed: bool,
}

/// The card's current selection (lost with a reset).
#[derive(Default)]
pub(super) struct Selection {
    /// The CIE application (DF_CIE) is the current DF.
    pub(super) in_cie_df: bool,
    /// The root is the current selection (no need to select it before the CIE application).
    pub(super) in_root: bool,
}

/// The PIN held for the session and what the card said of it.
#[derive(Default)]
pub(super) struct Credentials {
    /// The PIN of the logged-in user, kept to re-verify after a reset (zeroized on drop).
    pub(super) pin: Option<Pin>,
    /// The PIN was verified in the current secure channel.
    pub(super) pin_verified: bool,
    /// The PUK was verified in the current secure channel.
    pub(super) puk_verified: bool,
    /// Tries left as last reported by the card.
    pub(super) pin_tries: Option<u8>,
    /// A PIN or PUK given by the caller has been sent in this attempt: never retry it.
    pub(super) secret_sent: bool,
}

impl Credentials {
    /// Forgets the PIN held for the session and that it was verified (the PIN is zeroized).
    pub(super) fn forget_pin(&mut self) {
        self.pin = None;
        self.pin_verified = false;
    }
}

impl State {
    /// The state of a card just connected: nothing read, nothing selected, no PIN. The ATR
    /// hints at the generation (PROTOCOL.md §1.1); probing confirms it.
    pub(super) fn new(atr: Vec<u8>) -> State {
        State {
            card: CardData {
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
                binding_signature: None,
                constants_unconfirmed: false,
                constants_to_store: false,
                identity_unconfirmed: false,
            },
            selection: Selection::default(),
            channel: None,
            credentials: Credentials::default(),
        }
    }

    /// The card lost every card-side state: no channel, nothing selected.
    pub(super) fn card_was_reset(&mut self) {
        self.drop_channel();
        self.card.identity_unconfirmed = !self.card.sn_icc.is_empty();
        self.selection = Selection::default();
    }

    /// Closes the secure channel; the card's PIN status goes with it.
    pub(super) fn drop_channel(&mut self) {
        self.channel = None;
        self.credentials.pin_verified = false;
        self.credentials.puk_verified = false;
    }

    /// The exchanger for the current state: secure messaging when a channel is open (a plain
    /// command would close it on the card).
    pub(super) fn exchanger<'a>(&'a mut self, link: &'a mut dyn Link) -> Box<dyn Exchanger + 'a> {
        match &mut self.channel {
            Some(channel) => Box::new(Secure { channel, link }),
            None => Box::new(Plain(link)),
        }
    }

    /// Sends `cmd` under secure messaging; [`Error::NoSecureChannel`] when none is open.
    pub(super) fn secure(&mut self, link: &mut dyn Link, cmd: &Command) -> Result<Response> {
        match &mut self.channel {
            Some(channel) => channel.transmit(link, cmd),
            None => Err(Error::NoSecureChannel),
        }
    }
}
