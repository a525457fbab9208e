//! Shared pieces of the fuzz targets (`cargo xtask fuzz`; the targets are in `fuzz_targets/`).
//!
//! Input formats, also written by the seed recorder (`cargo xtask fuzz-seeds`):
//! * a *chunk* is a 2-byte big-endian length followed by that many bytes (fewer when the input
//!   ends first);
//! * in a card script (the card's side of a conversation), the lengths [`LEN_RESET`],
//!   [`LEN_REMOVED`] and [`LEN_FAILURE`] carry no bytes and stand for a transport failure
//!   instead of an answer, so that recovery paths are reached too.

pub mod session_script;

use std::sync::OnceLock;

use cie_core::apdu::Command;
use cie_core::channel::SecureChannel;
use cie_core::commands;
use cie_core::dapp::{self, CaKey, DappInput};
use cie_core::dh::{self, DhGroup};
use cie_core::pin::Pin;
use cie_core::transport::{Link, Transport, TransportError};
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::{Profile, SimCard, SimOptions};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::RsaPublicKey;

/// Chunk length meaning "the card was reset" ([`TransportError::CardReset`]).
pub const LEN_RESET: u16 = 0xFFFF;
/// Chunk length meaning "the card was removed" ([`TransportError::CardRemoved`]).
pub const LEN_REMOVED: u16 = 0xFFFE;
/// Chunk length meaning "some other transport failure" ([`TransportError::Other`]).
pub const LEN_FAILURE: u16 = 0xFFFD;

/// One element of a card script.
#[derive(Debug)]
pub enum Chunk<'a> {
    /// Bytes (an answer, an APDU, ...).
    Bytes(&'a [u8]),
    /// A transport failure instead of an answer.
    Fail(TransportError),
}

/// A cursor over fuzz input.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte.
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    /// The next `N` bytes.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.data.split_at_checked(N)?;
        self.data = rest;
        head.try_into().ok()
    }

    /// The next chunk (see the module documentation).
    pub fn chunk(&mut self) -> Option<Chunk<'a>> {
        let len = u16::from_be_bytes(self.array::<2>()?);
        let fail = match len {
            LEN_RESET => TransportError::CardReset,
            LEN_REMOVED => TransportError::CardRemoved,
            LEN_FAILURE => TransportError::Other("injected failure".into()),
            _ => {
                let n = usize::from(len).min(self.data.len());
                let (bytes, rest) = self.data.split_at(n);
                self.data = rest;
                return Some(Chunk::Bytes(bytes));
            }
        };
        Some(Chunk::Fail(fail))
    }

    /// The next chunk's bytes; a failure marker reads as no bytes.
    pub fn bytes_chunk(&mut self) -> Option<&'a [u8]> {
        match self.chunk()? {
            Chunk::Bytes(b) => Some(b),
            Chunk::Fail(_) => Some(&[]),
        }
    }

    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }
}

/// Appends `bytes` as one chunk (the recorder's side of [`Input::chunk`]).
pub fn push_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap_or(LEN_FAILURE - 1).min(LEN_FAILURE - 1);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

/// A card that answers every command with the next chunk of a script; when the script ends,
/// every transmit fails.
pub struct ScriptLink<'a> {
    input: Input<'a>,
    /// Commands received so far.
    pub commands: usize,
}

impl<'a> ScriptLink<'a> {
    /// A card whose answers are the chunks of `input`.
    pub fn new(input: Input<'a>) -> Self {
        ScriptLink { input, commands: 0 }
    }
}

impl Link for ScriptLink<'_> {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands += 1;
        match self.input.chunk() {
            Some(Chunk::Bytes(b)) => Ok(b.to_vec()),
            Some(Chunk::Fail(e)) => Err(e),
            None => Err(TransportError::Other("script exhausted".into())),
        }
    }
}

/// A [`Transport`] over a [`ScriptLink`]: the script's first chunk is the ATR.
pub struct ScriptTransport<'a> {
    atr: Vec<u8>,
    link: ScriptLink<'a>,
}

impl<'a> ScriptTransport<'a> {
    /// Takes the ATR chunk from `input`, then answers from the rest.
    pub fn new(mut input: Input<'a>) -> Self {
        let atr = input.bytes_chunk().unwrap_or_default().to_vec();
        ScriptTransport { atr, link: ScriptLink::new(input) }
    }
}

impl Transport for ScriptTransport<'_> {
    fn transaction(&mut self) -> Result<Box<dyn Link + '_>, TransportError> {
        Ok(Box::new(&mut self.link))
    }
    fn atr(&mut self) -> Result<Vec<u8>, TransportError> {
        Ok(self.atr.clone())
    }
}

/// The fuzz card's personalisation (old EF.SOD profile), built once: the test card with small
/// keys and DH group, which fuzz builds of cie-core accept (`cie_sim::fuzz_card`; README.md,
/// "Fast path").
pub fn image() -> &'static CardImage {
    static IMAGE: OnceLock<CardImage> = OnceLock::new();
    IMAGE.get_or_init(|| cie_sim::fuzz_card::image(SodProfile::Sha256Pkcs1))
}

/// Trust anchors holding the test PKI's citizen CA (the issuer of the card's certificate and of
/// the document seeds' signers), built once.
pub fn citizen_trust() -> &'static cie_sign::Trust {
    static TRUST: OnceLock<cie_sign::Trust> = OnceLock::new();
    TRUST.get_or_init(|| {
        let mut t = cie_sign::Trust::none();
        t.add(cie_sim::fixtures::citizen_ca_certificate()).expect("the citizen CA fixture is a certificate");
        t
    })
}

/// No trust anchor.
pub fn no_trust() -> &'static cie_sign::Trust {
    static TRUST: OnceLock<cie_sign::Trust> = OnceLock::new();
    TRUST.get_or_init(cie_sign::Trust::none)
}

/// The test card's DH group.
pub fn group() -> DhGroup {
    let i = image();
    DhGroup { g: i.dh_g.clone(), p: i.dh_p.clone(), q: i.dh_q.clone() }
}

/// The test card's CA key `84`.
pub fn ca_key() -> CaKey {
    let i = image();
    CaKey {
        modulus: i.ca_modulus.clone(),
        exponent: i.ca_exponent.clone(),
        chr: i.ca_chr.clone(),
        cha: i.ca_cha.clone(),
    }
}

/// The terminal certificate for the test card's CA (deterministic, built once).
pub fn terminal_certificate() -> &'static [u8] {
    static CERT: OnceLock<Vec<u8>> = OnceLock::new();
    CERT.get_or_init(|| dapp::terminal_certificate(&ca_key()).unwrap_or_default())
}

/// The test card's chip key (EF 1004).
pub fn chip_key() -> &'static RsaPublicKey {
    static KEY: OnceLock<RsaPublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let der = cie_core::sod::der_trim(&image().int_kpub).unwrap_or_default();
        RsaPublicKey::from_pkcs1_der(der).unwrap_or_else(|_| panic!("fixture EF 1004 is a PKCS#1 key"))
    })
}

/// A simulated card in a reader: every transmit goes to [`SimCard::process`].
pub struct CardLink<'a>(pub &'a mut SimCard);

impl Link for CardLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.process(command))
    }
}

/// Runs the real host handshake (select DF_CIE, DH, DAPP; PROTOCOL.md §4) against `card` with
/// cie-core's public building blocks and returns the open channel, or `None` if the card refused.
pub fn open_channel(card: &mut SimCard) -> Option<SecureChannel> {
    let mut link = CardLink(card);
    let select = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(cie_core::interop::CIE_AID);
    cie_core::apdu::transmit(&mut link, &select).ok()?.ok("SELECT").ok()?;
    let group = group();
    let kx = dh::exchange(&mut link, &group).ok()?;
    let mut channel = SecureChannel::new(kx.keys.clone());
    let input = DappInput {
        group: &group,
        y_ifd: &kx.y_ifd,
        y_icc: &kx.y_icc,
        certificate: terminal_certificate(),
        chip_key: chip_key(),
    };
    let ssc = dapp::authenticate(&mut channel, &mut link, &input).ok()?;
    channel.set_ssc(ssc);
    Some(channel)
}

/// How far [`snapshot`] takes a card before the fuzz input starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Just powered on.
    PoweredOn,
    /// After the real handshake (SELECT DF_CIE, DH, DAPP): secure messaging open.
    Channel,
    /// After the handshake and VERIFY of the right PIN under secure messaging.
    PinVerified,
}

const STAGES: usize = 3;
const PROFILES: usize = Profile::ALL.len();

/// A card of `profile` (an index into [`Profile::ALL`], modulo its length) at `stage`, and the
/// host's channel to it when one is open. The real handshake runs once per (profile, stage) and
/// process; every call returns a copy of that state, so each fuzz run starts from the same card
/// (counters, random stream, session keys) without paying the exponentiations again.
pub fn snapshot(profile: usize, stage: Stage) -> (SimCard, Option<SecureChannel>) {
    type Snapshot = (SimCard, Option<SecureChannel>);
    static SNAPSHOTS: [OnceLock<Snapshot>; PROFILES * STAGES] = [const { OnceLock::new() }; PROFILES * STAGES];
    let profile = profile % PROFILES;
    let cell = &SNAPSHOTS[profile * STAGES + stage as usize];
    let (card, channel) = cell.get_or_init(|| {
        let profile = Profile::ALL[profile];
        let mut card = SimCard::new(profile, image().clone(), SimOptions::default());
        if stage == Stage::PoweredOn {
            return (card, None);
        }
        let Some(mut channel) = open_channel(&mut card) else {
            panic!("the real handshake failed against the simulator ({profile:?})");
        };
        if stage == Stage::PinVerified {
            let pin = Pin::new(cie_sim::fixtures::TEST_PIN).expect("test PIN");
            let resp = channel.transmit(&mut CardLink(&mut card), &commands::verify(&pin));
            assert!(resp.is_ok_and(|r| r.sw.is_ok()), "VERIFY with the right PIN ({profile:?})");
        }
        (card, Some(channel))
    });
    (card.clone(), channel.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_and_failures() {
        let mut v = Vec::new();
        push_chunk(&mut v, &[1, 2, 3]);
        push_chunk(&mut v, &[]);
        v.extend_from_slice(&LEN_RESET.to_be_bytes());
        v.extend_from_slice(&[0, 9, 7]);
        let mut i = Input::new(&v);
        assert!(matches!(i.chunk(), Some(Chunk::Bytes([1, 2, 3]))));
        assert!(matches!(i.chunk(), Some(Chunk::Bytes([]))));
        assert!(matches!(i.chunk(), Some(Chunk::Fail(TransportError::CardReset))));
        assert!(matches!(i.chunk(), Some(Chunk::Bytes([7]))));
        assert!(i.chunk().is_none());
    }

    #[test]
    fn handshake_with_the_simulator() {
        let mut card = SimCard::new(Profile::Nxp, image().clone(), SimOptions::default());
        assert!(open_channel(&mut card).is_some());
        assert!(card.secure_messaging_open());
    }

    #[test]
    fn snapshots_start_where_the_handshake_left() {
        let (mut card, channel) = snapshot(1, Stage::PinVerified);
        let mut channel = channel.unwrap();
        // The PIN status answers "verified" under the snapshot's channel, in every copy.
        for _ in 0..2 {
            let status = Command::new(0x00, 0x20, 0x00, 0x81);
            let resp = channel.transmit(&mut CardLink(&mut card), &status).unwrap();
            assert!(resp.sw.is_ok(), "{}", resp.sw);
            let (c, ch) = snapshot(1, Stage::PinVerified);
            (card, channel) = (c, ch.unwrap());
        }
        let (card, channel) = snapshot(0, Stage::PoweredOn);
        assert!(channel.is_none() && !card.secure_messaging_open());
    }
}
