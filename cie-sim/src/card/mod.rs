//! The simulated card: one state machine that answers command APDUs like a CIE 3.0 (IAS applet)
//! does, per PROTOCOL.md §10.
//!
//! [`SimCard::process`] runs every APDU through the same pipeline:
//! parse → CLA check → GET RESPONSE (served from the pending buffer, never SM-wrapped) →
//! secure messaging (unwrap with `sm::unprotect_command`, exact §5.2 layout; a plain command
//! closes an open session, §5.5) → command chaining (§5.3, §10.2) → the command handlers
//! (modules `fs`, `keys`, `dapp`, `pin`, `sign`) → response wrapping (`sm::protect_response`,
//! trailer = DO99 status) → `61 xx` splitting at 256 bytes.
//!
//! Everything here is the card's own implementation, written from PROTOCOL.md: APDU parsing
//! (`apdu`), status words (`sw`), constants (`consts`), secure messaging (`sm`). Nothing of the
//! host library is used (a test fails if a file of this directory names it), so a protocol bug
//! cannot hide by being made identically on both sides.
//!
//! Beside it, [`ForeignCard`] (`foreign`) is a card that is not a CIE at all (a health or bank
//! card put on the reader by mistake): its own ATR, and `6A 82` to the CIE's selections.

#![forbid(unsafe_code)]

mod apdu;
pub(crate) mod consts;
mod crypto;
mod dapp;
mod foreign;
mod fs;
mod keys;
mod pin;
mod secret;
mod sign;
mod sign_fault;
mod sm;
mod state;
mod sw;
mod tlv;

pub use foreign::{ForeignCard, ForeignKind, FOREIGN_ATR};
pub use sign_fault::{SignFault, SignFaultSwitch};

use apdu::Command;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sm::{protect_response, unprotect_command};
use sw::StatusWord;
use zeroize::Zeroizing;

use crate::atr::Atr;
use crate::image::CardImage;
use crate::profile::Profile;
use secret::{Secret, PIN_TRIES, PUK_TRIES};
use state::{After, Chain, Pending, Volatile};

/// CLA chaining bit (ISO 7816-4 §5.1.1).
const CLA_CHAINING: u8 = 0x10;
/// CLA secure-messaging bits (PROTOCOL.md §5.2).
const CLA_SM: u8 = 0x0C;
/// Largest response segment; the rest is announced with `61 xx` (§10.3).
const MAX_SEGMENT: usize = 256;
/// Largest data one READ BINARY answers, whatever Le asks: 231 bytes (`E7`) on real cards
/// (PROTOCOL.md §2.5, §11.3). [`SimCard::with_read_binary_max`] changes it.
pub const READ_BINARY_MAX: usize = 231;
/// Largest data a command chain may collect (the longest real one is a 354-byte certificate).
const MAX_CHAIN: usize = 4096;
/// Instructions that accept command chaining: MSE SET (DH public value), PSO VERIFY
/// CERTIFICATE, EXTERNAL and INTERNAL AUTHENTICATE (§4.3, §4.4.2, §5.3).
const CHAINABLE: [u8; 4] = [0x22, 0x2A, 0x82, 0x88];

/// PIN and PUK of a simulated card (8 ASCII digits each, §6). These are test credentials of a
/// virtual card; [`SimCard::new`] copies them into zeroizing storage.
#[derive(Clone)]
pub struct SimOptions {
    /// The user PIN (reference `81`).
    pub pin: String,
    /// The PUK (reference `82`).
    pub puk: String,
}

impl Default for SimOptions {
    /// PIN `12345678`, PUK `87654321`.
    fn default() -> Self {
        SimOptions { pin: "12345678".into(), puk: "87654321".into() }
    }
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimOptions { pin: <redacted>, puk: <redacted> }")
    }
}

/// Outcome of a command handler: response data and status word.
pub(crate) struct Reply {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Reply {
    /// Data with `90 00`.
    pub(crate) fn ok(data: Vec<u8>) -> Self {
        Reply { data, sw: StatusWord::OK }
    }

    /// `90 00` without data.
    pub(crate) fn done() -> Self {
        Reply { data: Vec::new(), sw: StatusWord::OK }
    }

    /// Just a status word.
    pub(crate) fn status(sw: StatusWord) -> Self {
        Reply { data: Vec::new(), sw }
    }
}

/// What a command handler returns; `Err(sw)` is answered with `sw` and no data.
pub(crate) type CardResult = Result<Reply, StatusWord>;

/// A software CIE 3.0 (PROTOCOL.md §10): file system, DH key exchange, device authentication,
/// secure messaging, PIN/PUK with persistent counters, signatures.
pub struct SimCard {
    profile: Profile,
    /// The answer to reset: the profile's, or one given with [`SimCard::with_atr`].
    atr: Vec<u8>,
    image: CardImage,
    /// EF.ATR (`2F01`) content: the ATR's historical bytes [invented; §2.2 gives no content].
    ef_atr: Vec<u8>,
    pin: Secret,
    puk: Secret,
    rng: ChaCha20Rng,
    commands: u64,
    /// Fault injection for the key-`81` signature (kept across resets).
    sign_fault: SignFaultSwitch,
    /// Largest data one READ BINARY answers ([`READ_BINARY_MAX`] unless changed).
    read_binary_max: usize,
    v: Volatile,
}

impl std::fmt::Debug for SimCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCard")
            .field("profile", &self.profile)
            .field("pin_tries_left", &self.pin.tries)
            .field("puk_tries_left", &self.puk.tries)
            .field("sm_open", &self.v.sm.is_some())
            .field("commands", &self.commands)
            .finish_non_exhaustive()
    }
}

/// A copy of the card as it is now: files, keys, PIN and PUK with their counters, the volatile
/// state (an open secure-messaging session included) and the random stream, which the copy
/// continues from the same point. The copy has its own signature fault switch, set to the
/// fault in force. Secrets stay in zeroizing storage in both.
impl Clone for SimCard {
    fn clone(&self) -> SimCard {
        let sign_fault = SignFaultSwitch::default();
        sign_fault.set(self.sign_fault.get());
        SimCard {
            profile: self.profile,
            atr: self.atr.clone(),
            image: self.image.clone(),
            ef_atr: self.ef_atr.clone(),
            pin: self.pin.clone(),
            puk: self.puk.clone(),
            rng: self.rng.clone(),
            commands: self.commands,
            sign_fault,
            read_binary_max: self.read_binary_max,
            v: self.v.clone(),
        }
    }
}

impl SimCard {
    /// A card of generation `profile` personalised with `image`, PIN/PUK from `options`, full
    /// counters (PIN 3, PUK 10 tries, §6), just powered on.
    pub fn new(profile: Profile, image: CardImage, options: SimOptions) -> SimCard {
        let SimOptions { pin, puk } = options;
        let pin = Zeroizing::new(pin);
        let puk = Zeroizing::new(puk);
        SimCard {
            profile,
            atr: profile.atr().to_vec(),
            image,
            ef_atr: profile.historical_bytes().to_vec(),
            pin: Secret::new(pin.as_bytes(), PIN_TRIES),
            puk: Secret::new(puk.as_bytes(), PUK_TRIES),
            rng: ChaCha20Rng::from_entropy(),
            commands: 0,
            sign_fault: SignFaultSwitch::default(),
            read_binary_max: READ_BINARY_MAX,
            v: Volatile::default(),
        }
    }

    /// The same card answering at most `max` bytes (1..=256) to one READ BINARY: 231
    /// ([`READ_BINARY_MAX`]) as real cards do by default, 256 for the simulator's old behaviour
    /// (`cie-sim --read-binary-max 256`), so that hosts are tested on both.
    pub fn with_read_binary_max(mut self, max: usize) -> SimCard {
        self.read_binary_max = max.clamp(1, MAX_SEGMENT);
        self
    }

    /// Largest data one READ BINARY answers (PROTOCOL.md §2.5).
    pub fn read_binary_max(&self) -> usize {
        self.read_binary_max
    }

    /// The same card presenting `atr` instead of its profile's (§1.1; `cie-sim --atr`): a
    /// reader builds the ATR of a contactless card, so one chip can appear with several.
    pub fn with_atr(mut self, atr: &Atr) -> SimCard {
        self.atr = atr.as_bytes().to_vec();
        self
    }

    /// The answer to reset: the profile's (§1.1) unless [`SimCard::with_atr`] gave another.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// Warm reset: all volatile state of §10.2 is cleared (MF selected, secure messaging off,
    /// security status, buffers); PIN/PUK and their counters are persistent and kept.
    pub fn reset(&mut self) {
        self.v = Volatile::default();
    }

    /// Processes one command APDU and returns `response data || SW1 SW2` (§10.3). Never panics,
    /// whatever the input.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.process_with_fault(apdu, false)
    }

    /// PIN tries left (3 when fresh, 0 when blocked; §6).
    pub fn pin_tries_left(&self) -> u8 {
        self.pin.tries
    }

    /// PUK tries left (10 when fresh, 0 when blocked; §6).
    pub fn puk_tries_left(&self) -> u8 {
        self.puk.tries
    }

    /// The generation this card impersonates (§1.1).
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The card's personalisation (§10.1).
    pub fn image(&self) -> &CardImage {
        &self.image
    }

    /// Number of APDUs [`SimCard::process`] has handled since the card was created (resets do
    /// not clear it).
    pub fn commands_processed(&self) -> u64 {
        self.commands
    }

    /// Makes every following key-`81` signature faulty as `fault` says ([`SignFault::None`]:
    /// correct again). Fault injection for tests.
    pub fn set_sign_fault(&mut self, fault: SignFault) {
        self.sign_fault.set(fault);
    }

    /// A switch that sets this card's [`SignFault`] from another thread.
    pub fn sign_fault_switch(&self) -> SignFaultSwitch {
        self.sign_fault.clone()
    }

    /// Whether a secure-messaging session is open (§5; for tests and diagnostics).
    pub fn secure_messaging_open(&self) -> bool {
        self.v.sm.is_some()
    }

    /// [`SimCard::process`], optionally flipping a bit of the DO8E MAC of the SM response this
    /// APDU produces or serves (fault injection for [`crate::transport::SimHandle`]). Plain
    /// responses are left untouched.
    pub(crate) fn process_with_fault(&mut self, apdu: &[u8], corrupt_mac: bool) -> Vec<u8> {
        self.commands = self.commands.saturating_add(1);
        self.v.after = None;
        let out = self.run(apdu, corrupt_mac);
        self.v.after = None;
        out
    }

    fn run(&mut self, apdu: &[u8], corrupt_mac: bool) -> Vec<u8> {
        let cmd = match Command::parse(apdu) {
            Ok(cmd) => cmd,
            Err(sw) => {
                // Not even a valid APDU: nothing can be wrapped, and the session cannot continue.
                self.v.pending = None;
                self.v.close_session();
                return sw.to_bytes().to_vec();
            }
        };
        if !matches!(cmd.cla, 0x00 | 0x10 | 0x0C | 0x1C) {
            self.v.pending = None;
            return StatusWord::CLA_NOT_SUPPORTED.to_bytes().to_vec();
        }
        if cmd.ins == 0xC0 {
            return self.get_response(&cmd, corrupt_mac);
        }
        self.v.pending = None;
        let outer_le = cmd.le;

        if cmd.cla & CLA_SM == CLA_SM {
            let Some(mut session) = self.v.sm.take() else {
                // SM objects but no session keys to check them with (nothing to close).
                return StatusWord::SM_OBJECTS_INCORRECT.to_bytes().to_vec();
            };
            let clear = match unprotect_command(&session.keys, &mut session.ssc, &cmd) {
                Ok(clear) => clear,
                Err(sw) => {
                    // §5.5: plain 69 87 / 69 88, session closed, security status dropped.
                    self.v.close_session();
                    return sw.to_bytes().to_vec();
                }
            };
            let reply = self.execute(clear, true);
            let mut body = protect_response(&session.keys, &mut session.ssc, &reply.data, reply.sw);
            if corrupt_mac {
                flip_last(&mut body);
            }
            match self.v.after.take() {
                None => self.v.sm = Some(session),
                Some(After::SetSsc(ssc)) => {
                    session.ssc = ssc;
                    self.v.sm = Some(session);
                }
                Some(After::CloseSm) => {}
                Some(After::OpenSm(new)) => self.v.sm = Some(new),
            }
            self.frame(body, reply.sw, outer_le, true)
        } else {
            if self.v.sm.is_some() {
                // §5.5: a plain command closes the session, then runs in plain.
                self.v.close_session();
            }
            let reply = self.execute(cmd, false);
            if let Some(After::OpenSm(new)) = self.v.after.take() {
                self.v.sm = Some(new);
            }
            self.frame(reply.data, reply.sw, outer_le, false)
        }
    }

    /// Sends at most one segment (256 bytes, or Le when smaller) and keeps the rest for GET
    /// RESPONSE, announced with `61 xx` (§10.3).
    fn frame(&mut self, mut body: Vec<u8>, sw: StatusWord, le: Option<u16>, sm: bool) -> Vec<u8> {
        let limit = le.map_or(MAX_SEGMENT, usize::from).clamp(1, MAX_SEGMENT);
        if body.len() > limit {
            let rest = body.split_off(limit);
            body.extend_from_slice(&more_data(rest.len()).to_bytes());
            self.v.pending = Some(Pending { bytes: rest, sw, sm });
        } else {
            body.extend_from_slice(&sw.to_bytes());
        }
        body
    }

    /// GET RESPONSE `00 C0 00 00 Le` (CLA `0C` without SM objects accepted too: an LNX quirk,
    /// §5.4). Serves the pending buffer; never SM-wrapped.
    fn get_response(&mut self, cmd: &Command, corrupt_mac: bool) -> Vec<u8> {
        let sw = if cmd.cla & CLA_CHAINING != 0 {
            StatusWord::CHAINING_NOT_SUPPORTED
        } else if (cmd.p1, cmd.p2) != (0, 0) {
            StatusWord::INCORRECT_P1P2
        } else if !cmd.data.is_empty() {
            StatusWord::WRONG_LENGTH
        } else if let Some(mut pending) = self.v.pending.take() {
            if corrupt_mac && pending.sm {
                flip_last(&mut pending.bytes);
            }
            let n = usize::from(cmd.le.unwrap_or(256)).min(pending.bytes.len());
            let rest = pending.bytes.split_off(n);
            let mut out = std::mem::take(&mut pending.bytes);
            if rest.is_empty() {
                out.extend_from_slice(&pending.sw.to_bytes());
            } else {
                out.extend_from_slice(&more_data(rest.len()).to_bytes());
                pending.bytes = rest;
                self.v.pending = Some(pending);
            }
            return out;
        } else {
            StatusWord::CONDITIONS_NOT_SATISFIED
        };
        sw.to_bytes().to_vec()
    }

    /// Command chaining (§5.3, §10.2), then the command itself.
    fn execute(&mut self, cmd: Command, sm: bool) -> Reply {
        let chained = cmd.cla & CLA_CHAINING != 0;
        if let Some(c) = &self.v.chain {
            if (c.ins, c.p1, c.p2, c.sm) != (cmd.ins, cmd.p1, cmd.p2, sm) {
                // Any non-continuation command drops the chain.
                self.v.chain = None;
            }
        }
        if chained {
            if !CHAINABLE.contains(&cmd.ins) {
                self.v.chain = None;
                return Reply::status(StatusWord::CHAINING_NOT_SUPPORTED);
            }
            let chain = self.v.chain.get_or_insert_with(|| Chain {
                ins: cmd.ins,
                p1: cmd.p1,
                p2: cmd.p2,
                sm,
                data: Zeroizing::new(Vec::new()),
            });
            if chain.data.len() + cmd.data.len() > MAX_CHAIN {
                self.v.chain = None;
                return Reply::status(StatusWord::WRONG_LENGTH);
            }
            chain.data.extend_from_slice(&cmd.data);
            return Reply::done();
        }
        let cmd = match self.v.chain.take() {
            Some(mut chain) => {
                chain.data.extend_from_slice(&cmd.data);
                Command {
                    cla: cmd.cla,
                    ins: cmd.ins,
                    p1: cmd.p1,
                    p2: cmd.p2,
                    data: std::mem::take(&mut *chain.data),
                    le: cmd.le,
                }
            }
            None => cmd,
        };
        self.dispatch(&cmd, sm).unwrap_or_else(Reply::status)
    }

    fn dispatch(&mut self, cmd: &Command, sm: bool) -> CardResult {
        match cmd.ins {
            0xA4 => self.select(cmd),
            0xB0 => self.read_binary(cmd, sm),
            0xB1 => self.read_binary_odd(cmd, sm),
            0xCB => self.get_data(cmd, sm),
            0x22 => self.mse_set(cmd, sm),
            0x2A => self.verify_certificate(cmd, sm),
            0x84 => self.get_challenge(cmd),
            0x82 => self.external_authenticate(cmd, sm),
            0x88 => self.internal_authenticate(cmd, sm),
            0x20 => self.verify(cmd, sm),
            0x24 => self.change_reference_data(cmd, sm),
            0x2C => self.reset_retry_counter(cmd, sm),
            _ => Err(StatusWord::INS_NOT_SUPPORTED),
        }
    }
}

/// `61 xx` for `remaining` bytes (`61 00` when 256 or more remain).
fn more_data(remaining: usize) -> StatusWord {
    StatusWord::more_data(if remaining >= 256 { 0 } else { remaining as u8 })
}

/// Flips the lowest bit of the last byte (the last MAC byte of an SM response body).
fn flip_last(bytes: &mut [u8]) {
    if let Some(b) = bytes.last_mut() {
        *b ^= 0x01;
    }
}
