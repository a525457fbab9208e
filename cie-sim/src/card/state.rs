//! The card's volatile state (PROTOCOL.md §10.2): current DF/EF, the secure-messaging session,
//! DH values, security environment, authentication status, chaining and GET RESPONSE buffers.
//! A warm reset replaces the whole [`Volatile`] with its default.

use super::sm::{SmKeys, Ssc};
use super::sw::StatusWord;
use num_bigint::BigUint;
use zeroize::Zeroizing;

/// The selected dedicated file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Df {
    /// The master file (also selected by the IAS AID on Gemalto/STM).
    #[default]
    Mf,
    /// DF_CIE (AID `A0 00 00 00 00 39`).
    Cie,
}

/// An open secure-messaging session: keys from the DH exchange and the running counter.
#[derive(Clone)]
pub(crate) struct SmSession {
    pub keys: SmKeys,
    pub ssc: Ssc,
}

/// Public DH values of the current exchange, byte-exact as exchanged (they enter the DAPP hashes).
#[derive(Clone, Default)]
pub(crate) struct DhValues {
    /// y_IFD exactly as received in DO91 of MSE SET `41 A6`.
    pub y_ifd: Option<Vec<u8>>,
    /// y_ICC as sent in the GET DATA `A6/91` answer (len(p) bytes).
    pub y_icc: Option<Vec<u8>>,
}

/// The current security environment set by MSE SET (§4.4.2, §7.1).
#[derive(Clone, Default)]
pub(crate) struct SecurityEnv {
    /// MSE SET `81 B6` selected the CA key `84` with algorithm `41`.
    pub dst_ca: bool,
    /// MSE SET `81 A4` selected a verified terminal key by its CHR.
    pub ext_chr: Option<[u8; 12]>,
    /// MSE SET `41 A4`: (key reference, algorithm) for INTERNAL AUTHENTICATE.
    pub int: Option<(u8, u8)>,
}

/// A terminal public key extracted by PSO VERIFY CERTIFICATE, bound to its CHR.
#[derive(Clone)]
pub(crate) struct TmpKey {
    pub chr: [u8; 12],
    pub n: BigUint,
    pub e: BigUint,
}

/// A command chain being collected (CLA bit `10`, §5.3, §10.2).
#[derive(Clone)]
pub(crate) struct Chain {
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub sm: bool,
    pub data: Zeroizing<Vec<u8>>,
}

/// Response bytes not yet fetched with GET RESPONSE, and the status word that ends them.
#[derive(Clone)]
pub(crate) struct Pending {
    pub bytes: Vec<u8>,
    pub sw: StatusWord,
    /// The bytes are an SM-protected response (they end with DO8E).
    pub sm: bool,
}

/// What to do with the secure-messaging session once the current response is wrapped.
#[derive(Clone)]
pub(crate) enum After {
    /// Set the counter (after the DAPP INTERNAL AUTHENTICATE, §4.4.3).
    SetSsc(Ssc),
    /// Close the session (MSE SET `41 A6` starts a new key exchange).
    CloseSm,
    /// Open a new session (GET DATA `A6/91` finished the key exchange).
    OpenSm(SmSession),
}

/// All volatile state; `Volatile::default()` is the state after a reset.
#[derive(Clone, Default)]
pub(crate) struct Volatile {
    pub df: Df,
    pub ef: Option<u16>,
    pub sm: Option<SmSession>,
    pub dh: DhValues,
    pub se: SecurityEnv,
    pub tmp_keys: Vec<TmpKey>,
    /// RND.ICC of the last GET CHALLENGE, single use.
    pub challenge: Option<[u8; 8]>,
    /// RND.ICC consumed by a successful EXTERNAL AUTHENTICATE (for the SSC of §4.4.3).
    pub dapp_rnd_icc: Option<[u8; 8]>,
    /// EXTERNAL AUTHENTICATE succeeded in this SM session.
    pub terminal: bool,
    /// PIN verified in this SM session.
    pub pin_ok: bool,
    /// PUK verified in this SM session.
    pub puk_ok: bool,
    pub chain: Option<Chain>,
    pub pending: Option<Pending>,
    pub after: Option<After>,
}

impl Volatile {
    /// Drops everything bound to the secure-messaging session: keys, DH values, security
    /// environment, temporary keys, challenge and every security status (§5.5, §10.2).
    pub(super) fn close_session(&mut self) {
        self.sm = None;
        self.clear_session_state();
    }

    /// Like [`Volatile::close_session`] but leaves `sm` itself alone (used while the session is
    /// taken out to wrap the current response).
    pub(super) fn clear_session_state(&mut self) {
        self.dh = DhValues::default();
        self.se = SecurityEnv::default();
        self.tmp_keys.clear();
        self.challenge = None;
        self.dapp_rnd_icc = None;
        self.terminal = false;
        self.pin_ok = false;
        self.puk_ok = false;
        self.chain = None;
    }
}
