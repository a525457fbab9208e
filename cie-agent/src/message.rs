//! The requests a client sends and the replies the agent gives, with their hand-written
//! encoder and decoder. Every request is answered by exactly one reply. Secrets (PIN, PUK) in
//! a request are zeroized when it drops and shown as `********` by `Debug`.

use cie_core::session::PinStatus;
use cie_core::sign::HashAlg;
use cie_core::sod::{Chain, LdsVersionInfo, SignatureAlgorithm, SodReport};
use zeroize::Zeroizing;

use crate::codec::{Cursor, DecodeError, Out};
use crate::wire_error::{decode_error, encode_error};

/// The most cards a reply lists.
const MAX_CARDS: usize = 64;

/// A PIN or PUK as the client typed it (validated by the agent exactly as in-process, so a
/// wrong format gives the same error), zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(pub Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps the digits of a PIN or PUK.
    pub fn new(bytes: &[u8]) -> SecretBytes {
        SecretBytes(Zeroizing::new(bytes.to_vec()))
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

/// What a client asks. `reader` chooses the card: `None` is the first reader holding a CIE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The readers holding a CIE, with their NIS.
    ListCards,
    /// A card's public data.
    CardInfo {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// The card number (EF 1002; needs this client logged in, as in-process).
    ReadSerial {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// The holder's certificate (needs this client logged in, as in-process).
    ReadCertificate {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// VERIFY of this client's PIN under the card's open channel.
    Login {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The PIN.
        pin: SecretBytes,
    },
    /// Drops this client's login.
    Logout {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// A PKCS#1 v1.5 signature of a digest.
    SignDigest {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The digest's algorithm.
        alg: HashAlg,
        /// The digest.
        digest: Vec<u8>,
    },
    /// A PKCS#1 v1.5 signature of a DigestInfo built by the client.
    SignDigestInfo {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The DER DigestInfo.
        digest_info: Vec<u8>,
    },
    /// The PIN's tries left, as this client sees them.
    PinStatus {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// Changes the PIN.
    ChangePin {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The current PIN.
        old: SecretBytes,
        /// The new PIN.
        new: SecretBytes,
    },
    /// Unblocks the PIN with the PUK and sets a new one.
    UnblockPin {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The PUK.
        puk: SecretBytes,
        /// The new PIN.
        new: SecretBytes,
    },
    /// The card's key-83 signature over its NIS: deterministic, no PIN needed; the key of the
    /// clients' certificate cache (DESIGN.md §5). Answered with [`Reply::Signature`].
    CardBinding {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// VERIFY of the PUK (a PKCS#11 security officer's login); no login state is kept.
    VerifyPuk {
        /// The reader, or the first CIE.
        reader: Option<String>,
        /// The PUK.
        puk: SecretBytes,
    },
    /// Passive authentication of the card (EF.SOD, its data groups, the anti-clone check),
    /// with no trust anchor: answered with [`Reply::Sod`], whose chain the client checks
    /// against the CSCA certificates it trusts (`cie_core::sod::chain_of`). The card number
    /// and certificate are checked only for a logged-in client.
    VerifySod {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// The PUK's tries left (answered with [`Reply::PinStatus`]), spending none.
    PukStatus {
        /// The reader, or the first CIE.
        reader: Option<String>,
    },
    /// The agent's cards, clients and idle timer.
    Status,
    /// Asks the agent to exit.
    Stop,
}

/// One card as [`Request::ListCards`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardEntry {
    /// The reader's name.
    pub reader: String,
    /// The card's NIS.
    pub nis: String,
}

/// A card's public data ([`Request::CardInfo`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardInfo {
    /// The reader's name.
    pub reader: String,
    /// The card's NIS.
    pub nis: String,
    /// The answer to reset.
    pub atr: Vec<u8>,
    /// The card generation's name.
    pub generation: String,
    /// The chip's manufacturer.
    pub manufacturer: String,
    /// This client is logged in.
    pub logged_in: bool,
}

/// One card in [`AgentStatus`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardStatus {
    /// The reader's name.
    pub reader: String,
    /// The card's NIS, when a session is open.
    pub nis: Option<String>,
    /// Clients logged in to it.
    pub logged_in_clients: u32,
}

/// The agent's state ([`Request::Status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentStatus {
    /// The agent's process id.
    pub pid: u32,
    /// The cards it holds a worker for.
    pub cards: Vec<CardStatus>,
    /// Connected clients (the asking one included).
    pub clients: u32,
    /// The idle time after which it exits, in seconds (0: never).
    pub idle_timeout_secs: u64,
    /// Seconds since it was last busy.
    pub idle_secs: u64,
}

/// What the agent answers.
#[derive(Debug)]
pub enum Reply {
    /// The operation succeeded and returns nothing.
    Done,
    /// [`Request::ListCards`].
    Cards(Vec<CardEntry>),
    /// [`Request::CardInfo`].
    Info(CardInfo),
    /// A DER certificate.
    Certificate(Vec<u8>),
    /// A signature.
    Signature(Vec<u8>),
    /// [`Request::ReadSerial`].
    Serial(String),
    /// [`Request::PinStatus`].
    PinStatus(PinStatus),
    /// [`Request::Status`].
    Status(AgentStatus),
    /// [`Request::VerifySod`]: the report, its chain [`Chain::NotChecked`] (not sent).
    Sod(SodReport),
    /// The operation failed with cie-core's error, as it would have in-process.
    Failed(cie_core::Error),
    /// The agent could not run the operation (bad request, shutting down); the client may fall
    /// back to the in-process path.
    Refused(String),
}

fn hash_tag(alg: HashAlg) -> u8 {
    match alg {
        HashAlg::Sha1 => 1,
        HashAlg::Sha224 => 2,
        HashAlg::Sha256 => 3,
        HashAlg::Sha384 => 4,
        HashAlg::Sha512 => 5,
        HashAlg::Sha3_256 => 6,
        HashAlg::Sha3_384 => 7,
        HashAlg::Sha3_512 => 8,
    }
}

fn hash_alg(tag: u8) -> Result<HashAlg, DecodeError> {
    Ok(match tag {
        1 => HashAlg::Sha1,
        2 => HashAlg::Sha224,
        3 => HashAlg::Sha256,
        4 => HashAlg::Sha384,
        5 => HashAlg::Sha512,
        6 => HashAlg::Sha3_256,
        7 => HashAlg::Sha3_384,
        8 => HashAlg::Sha3_512,
        t => return Err(DecodeError::UnknownTag(t)),
    })
}

impl Request {
    /// The frame body of this request (zeroized on drop).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let out = match self {
            Request::ListCards => Out::new(0x01),
            Request::CardInfo { reader } => with_reader(0x02, reader),
            Request::ReadCertificate { reader } => with_reader(0x03, reader),
            Request::Login { reader, pin } => {
                let mut o = with_reader(0x04, reader);
                o.secret(&pin.0);
                o
            }
            Request::Logout { reader } => with_reader(0x05, reader),
            Request::SignDigest { reader, alg, digest } => {
                let mut o = with_reader(0x06, reader);
                o.u8(hash_tag(*alg)).bytes(digest);
                o
            }
            Request::SignDigestInfo { reader, digest_info } => {
                let mut o = with_reader(0x07, reader);
                o.bytes(digest_info);
                o
            }
            Request::PinStatus { reader } => with_reader(0x08, reader),
            Request::ChangePin { reader, old, new } => {
                let mut o = with_reader(0x09, reader);
                o.secret(&old.0).secret(&new.0);
                o
            }
            Request::UnblockPin { reader, puk, new } => {
                let mut o = with_reader(0x0A, reader);
                o.secret(&puk.0).secret(&new.0);
                o
            }
            Request::Status => Out::new(0x0B),
            Request::Stop => Out::new(0x0C),
            Request::ReadSerial { reader } => with_reader(0x0D, reader),
            Request::CardBinding { reader } => with_reader(0x0E, reader),
            Request::VerifyPuk { reader, puk } => {
                let mut o = with_reader(0x0F, reader);
                o.secret(&puk.0);
                o
            }
            Request::VerifySod { reader } => with_reader(0x10, reader),
            Request::PukStatus { reader } => with_reader(0x11, reader),
        };
        out.0
    }

    /// Decodes a frame body; anything but exactly one well-formed request is an error.
    pub fn decode(body: &[u8]) -> Result<Request, DecodeError> {
        let mut cur = Cursor::new(body);
        let request = match cur.u8()? {
            0x01 => Request::ListCards,
            0x02 => Request::CardInfo { reader: cur.opt_text()? },
            0x03 => Request::ReadCertificate { reader: cur.opt_text()? },
            0x04 => Request::Login { reader: cur.opt_text()?, pin: SecretBytes(cur.secret()?) },
            0x05 => Request::Logout { reader: cur.opt_text()? },
            0x06 => Request::SignDigest { reader: cur.opt_text()?, alg: hash_alg(cur.u8()?)?, digest: cur.bytes()? },
            0x07 => Request::SignDigestInfo { reader: cur.opt_text()?, digest_info: cur.bytes()? },
            0x08 => Request::PinStatus { reader: cur.opt_text()? },
            0x09 => Request::ChangePin {
                reader: cur.opt_text()?,
                old: SecretBytes(cur.secret()?),
                new: SecretBytes(cur.secret()?),
            },
            0x0A => Request::UnblockPin {
                reader: cur.opt_text()?,
                puk: SecretBytes(cur.secret()?),
                new: SecretBytes(cur.secret()?),
            },
            0x0B => Request::Status,
            0x0C => Request::Stop,
            0x0D => Request::ReadSerial { reader: cur.opt_text()? },
            0x0E => Request::CardBinding { reader: cur.opt_text()? },
            0x0F => Request::VerifyPuk { reader: cur.opt_text()?, puk: SecretBytes(cur.secret()?) },
            0x10 => Request::VerifySod { reader: cur.opt_text()? },
            0x11 => Request::PukStatus { reader: cur.opt_text()? },
            t => return Err(DecodeError::UnknownTag(t)),
        };
        cur.finish()?;
        Ok(request)
    }

    /// The reader this request names, for the card requests.
    pub fn reader(&self) -> Option<&str> {
        match self {
            Request::CardInfo { reader }
            | Request::ReadSerial { reader }
            | Request::ReadCertificate { reader }
            | Request::Login { reader, .. }
            | Request::Logout { reader }
            | Request::SignDigest { reader, .. }
            | Request::SignDigestInfo { reader, .. }
            | Request::PinStatus { reader }
            | Request::ChangePin { reader, .. }
            | Request::UnblockPin { reader, .. }
            | Request::CardBinding { reader }
            | Request::VerifyPuk { reader, .. }
            | Request::VerifySod { reader }
            | Request::PukStatus { reader } => reader.as_deref(),
            Request::ListCards | Request::Status | Request::Stop => None,
        }
    }
}

/// A [`SodReport`] without its chain: hash, signature algorithm, LDS version and version
/// info, the listed and checked data groups, the Document Signer certificate, the anti-clone
/// result.
fn encode_sod(o: &mut Out, r: &SodReport) {
    o.u8(hash_tag(r.digest));
    match r.signature {
        SignatureAlgorithm::Pkcs1(h) => o.u8(0).u8(hash_tag(h)),
        SignatureAlgorithm::Pss { hash, salt } => {
            o.u8(1).u8(hash_tag(hash)).u32(u32::try_from(salt).unwrap_or(u32::MAX))
        }
    };
    o.u8(r.lds_version);
    match &r.lds_version_info {
        Some(i) => o.bool(true).text(&i.lds_version).text(&i.unicode_version),
        None => o.bool(false),
    };
    o.bytes(&r.listed).bytes(&r.checked).bytes(&r.document_signer).bool(r.chip_authenticated);
}

fn decode_sod(cur: &mut Cursor<'_>) -> Result<SodReport, DecodeError> {
    let digest = hash_alg(cur.u8()?)?;
    let signature = match cur.u8()? {
        0 => SignatureAlgorithm::Pkcs1(hash_alg(cur.u8()?)?),
        1 => SignatureAlgorithm::Pss { hash: hash_alg(cur.u8()?)?, salt: cur.u32()? as usize },
        t => return Err(DecodeError::UnknownTag(t)),
    };
    let lds_version = cur.u8()?;
    let lds_version_info = if cur.bool()? {
        Some(LdsVersionInfo { lds_version: cur.text()?, unicode_version: cur.text()? })
    } else {
        None
    };
    Ok(SodReport {
        digest,
        signature,
        lds_version,
        lds_version_info,
        listed: cur.bytes()?,
        checked: cur.bytes()?,
        document_signer: cur.bytes()?,
        chain: Chain::NotChecked,
        chip_authenticated: cur.bool()?,
    })
}

fn with_reader(tag: u8, reader: &Option<String>) -> Out {
    let mut o = Out::new(tag);
    o.opt_text(reader.as_deref());
    o
}

impl Reply {
    /// The frame body of this reply.
    pub fn encode(&self) -> Vec<u8> {
        let mut o;
        match self {
            Reply::Done => o = Out::new(0x80),
            Reply::Cards(cards) => {
                o = Out::new(0x81);
                let cards = &cards[..cards.len().min(MAX_CARDS)];
                o.count(cards.len());
                for c in cards {
                    o.text(&c.reader).text(&c.nis);
                }
            }
            Reply::Info(i) => {
                o = Out::new(0x82);
                o.text(&i.reader)
                    .text(&i.nis)
                    .bytes(&i.atr)
                    .text(&i.generation)
                    .text(&i.manufacturer)
                    .bool(i.logged_in);
            }
            Reply::Certificate(der) => {
                o = Out::new(0x83);
                o.bytes(der);
            }
            Reply::Signature(sig) => {
                o = Out::new(0x84);
                o.bytes(sig);
            }
            Reply::PinStatus(s) => {
                o = Out::new(0x85);
                match s {
                    PinStatus::Verified => o.u8(0),
                    PinStatus::TriesLeft(n) => o.u8(1).u8(*n),
                    PinStatus::Blocked => o.u8(2),
                };
            }
            Reply::Status(s) => {
                o = Out::new(0x86);
                o.u32(s.pid);
                let cards = &s.cards[..s.cards.len().min(MAX_CARDS)];
                o.count(cards.len());
                for c in cards {
                    o.text(&c.reader).opt_text(c.nis.as_deref()).u32(c.logged_in_clients);
                }
                o.u32(s.clients).u64(s.idle_timeout_secs).u64(s.idle_secs);
            }
            Reply::Failed(e) => {
                o = Out::new(0x87);
                encode_error(&mut o, e);
            }
            Reply::Refused(why) => {
                o = Out::new(0x88);
                o.text(why);
            }
            Reply::Serial(serial) => {
                o = Out::new(0x89);
                o.text(serial);
            }
            Reply::Sod(report) => {
                o = Out::new(0x8A);
                encode_sod(&mut o, report);
            }
        }
        o.0.to_vec()
    }

    /// Decodes a frame body; anything but exactly one well-formed reply is an error.
    pub fn decode(body: &[u8]) -> Result<Reply, DecodeError> {
        let mut cur = Cursor::new(body);
        let reply = match cur.u8()? {
            0x80 => Reply::Done,
            0x81 => {
                let n = cur.count(MAX_CARDS)?;
                let mut cards = Vec::with_capacity(n);
                for _ in 0..n {
                    cards.push(CardEntry { reader: cur.text()?, nis: cur.text()? });
                }
                Reply::Cards(cards)
            }
            0x82 => Reply::Info(CardInfo {
                reader: cur.text()?,
                nis: cur.text()?,
                atr: cur.bytes()?,
                generation: cur.text()?,
                manufacturer: cur.text()?,
                logged_in: cur.bool()?,
            }),
            0x83 => Reply::Certificate(cur.bytes()?),
            0x84 => Reply::Signature(cur.bytes()?),
            0x85 => Reply::PinStatus(match cur.u8()? {
                0 => PinStatus::Verified,
                1 => PinStatus::TriesLeft(cur.u8()?),
                2 => PinStatus::Blocked,
                t => return Err(DecodeError::UnknownTag(t)),
            }),
            0x86 => {
                let pid = cur.u32()?;
                let n = cur.count(MAX_CARDS)?;
                let mut cards = Vec::with_capacity(n);
                for _ in 0..n {
                    cards.push(CardStatus { reader: cur.text()?, nis: cur.opt_text()?, logged_in_clients: cur.u32()? });
                }
                Reply::Status(AgentStatus {
                    pid,
                    cards,
                    clients: cur.u32()?,
                    idle_timeout_secs: cur.u64()?,
                    idle_secs: cur.u64()?,
                })
            }
            0x87 => Reply::Failed(decode_error(&mut cur)?),
            0x88 => Reply::Refused(cur.text()?),
            0x89 => Reply::Serial(cur.text()?),
            0x8A => Reply::Sod(decode_sod(&mut cur)?),
            t => return Err(DecodeError::UnknownTag(t)),
        };
        cur.finish()?;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> Vec<Request> {
        let r = Some("Virtual PCD 00 00".to_string());
        vec![
            Request::ListCards,
            Request::CardInfo { reader: None },
            Request::ReadCertificate { reader: r.clone() },
            Request::ReadSerial { reader: None },
            Request::Login { reader: r.clone(), pin: SecretBytes::new(b"12345678") },
            Request::Logout { reader: None },
            Request::SignDigest { reader: None, alg: HashAlg::Sha256, digest: vec![1; 32] },
            Request::SignDigestInfo { reader: r.clone(), digest_info: vec![0x30, 0] },
            Request::PinStatus { reader: None },
            Request::ChangePin { reader: None, old: SecretBytes::new(b"1"), new: SecretBytes::new(b"2") },
            Request::UnblockPin { reader: r.clone(), puk: SecretBytes::new(b"3"), new: SecretBytes::new(b"4") },
            Request::CardBinding { reader: r.clone() },
            Request::VerifyPuk { reader: r.clone(), puk: SecretBytes::new(b"87654321") },
            Request::PukStatus { reader: r.clone() },
            Request::PukStatus { reader: None },
            Request::VerifySod { reader: r },
            Request::Status,
            Request::Stop,
        ]
    }

    #[test]
    fn requests_round_trip_and_every_cut_is_refused() {
        for req in requests() {
            let body = req.encode();
            assert_eq!(Request::decode(&body).unwrap(), req);
            for cut in 0..body.len() {
                assert!(Request::decode(&body[..cut]).is_err(), "{req:?} cut at {cut}");
            }
            let mut longer = body.to_vec();
            longer.push(0);
            assert_eq!(Request::decode(&longer), Err(DecodeError::Trailing));
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let req = Request::Login { reader: None, pin: SecretBytes::new(b"12345678") };
        let text = format!("{req:?}");
        assert!(!text.contains("12345678") && text.contains("********"), "{text}");
    }

    #[test]
    fn replies_round_trip() {
        let replies = vec![
            Reply::Done,
            Reply::Cards(vec![CardEntry { reader: "r".into(), nis: "123".into() }]),
            Reply::Info(CardInfo {
                reader: "r".into(),
                nis: "1".into(),
                atr: vec![0x3B],
                generation: "NXP".into(),
                manufacturer: "NXP".into(),
                logged_in: true,
            }),
            Reply::Serial("CA00000AA".into()),
            Reply::Certificate(vec![0x30, 1, 2]),
            Reply::Signature(vec![9; 256]),
            Reply::PinStatus(PinStatus::TriesLeft(2)),
            Reply::PinStatus(PinStatus::Verified),
            Reply::PinStatus(PinStatus::Blocked),
            Reply::Status(AgentStatus {
                pid: 7,
                cards: vec![CardStatus { reader: "r".into(), nis: None, logged_in_clients: 2 }],
                clients: 3,
                idle_timeout_secs: 600,
                idle_secs: 4,
            }),
            Reply::Failed(cie_core::Error::LoginRequired),
            Reply::Refused("no".into()),
            Reply::Sod(SodReport {
                digest: HashAlg::Sha256,
                signature: SignatureAlgorithm::Pkcs1(HashAlg::Sha1),
                lds_version: 0,
                lds_version_info: None,
                listed: vec![0xA5, 0xA4, 0xA1, 0xA3, 0xA2, 0x1B],
                checked: vec![0xA1, 0xA4, 0xA5, 0x1B],
                document_signer: vec![0x30, 0x03, 1, 2, 3],
                chain: Chain::NotChecked,
                chip_authenticated: true,
            }),
            Reply::Sod(SodReport {
                digest: HashAlg::Sha512,
                signature: SignatureAlgorithm::Pss { hash: HashAlg::Sha512, salt: 64 },
                lds_version: 1,
                lds_version_info: Some(LdsVersionInfo { lds_version: "0108".into(), unicode_version: "040000".into() }),
                listed: vec![0xA5, 0x1B],
                checked: vec![],
                document_signer: vec![],
                chain: Chain::NotChecked,
                chip_authenticated: false,
            }),
        ];
        for reply in replies {
            let body = reply.encode();
            let back = Reply::decode(&body).unwrap();
            assert_eq!(format!("{back:?}"), format!("{reply:?}"));
            for cut in 0..body.len() {
                assert!(Reply::decode(&body[..cut]).is_err());
            }
        }
    }
}
