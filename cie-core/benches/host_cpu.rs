//! Host CPU of the secure-channel handshake (PROTOCOL.md §4.3-§4.4) and of a signature (§7),
//! measured against replayed card answers so that only the host's computations count (the
//! card's DH, certificate check and RSA private operations are not in these figures), and, for
//! comparison, the same operations in-process against the simulator (host + simulated card).

use std::hint::black_box;
use std::time::Duration;

use cie_core::apdu::Command;
use cie_core::channel::SecureChannel;
use cie_core::dapp::{self, CaKey, DappInput};
use cie_core::dh::{self, DhGroup, DhKeyPair};
use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sign::{digest_info_of, HashAlg};
use cie_core::sm::{self, SmKeys, Ssc, SM_CHUNK};
use cie_core::transport::{Link, TransportError};
use cie_core::{Error, StatusWord};
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use num_bigint::BigUint;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use x509_cert::der::{Decode, Encode};

/// A card that answers with a fixed list of raw responses, in order (restarted by `rewind`).
struct Replay {
    answers: Vec<Vec<u8>>,
    next: usize,
}

impl Replay {
    fn new(answers: Vec<Vec<u8>>) -> Self {
        Replay { answers, next: 0 }
    }
    fn rewind(&mut self) -> &mut Self {
        self.next = 0;
        self
    }
}

impl Link for Replay {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let a = self.answers.get(self.next).cloned().ok_or(TransportError::Other("replay exhausted".into()))?;
        self.next += 1;
        Ok(a)
    }
}

/// Raw answers for a response body as a card sends it: at most 256 bytes, then `61 xx` and
/// the GET RESPONSE answer (PROTOCOL.md §10.3).
fn framed(mut body: Vec<u8>, sw: StatusWord) -> Vec<Vec<u8>> {
    if body.len() <= 256 {
        body.extend_from_slice(&sw.to_bytes());
        return vec![body];
    }
    let mut rest = body.split_off(256);
    body.extend_from_slice(&[0x61, rest.len() as u8]);
    rest.extend_from_slice(&sw.to_bytes());
    vec![body, rest]
}

/// Protected answers to a sequence of SM exchanges starting at counter `ssc` (each exchange
/// steps the counter for the command and for the answer).
fn protected_answers(keys: &SmKeys, mut ssc: Ssc, data: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in data {
        ssc.increment();
        out.extend(framed(sm::protect_response(keys, &mut ssc, d, StatusWord::OK), StatusWord::OK));
    }
    out
}

struct Fixture {
    image: CardImage,
    group: DhGroup,
    ca: CaKey,
    chip_key: RsaPublicKey,
    certificate_key: RsaPublicKey,
    keys: SmKeys,
}

fn fixture() -> Fixture {
    let image = fixtures::card_image(SodProfile::Sha256Pkcs1);
    let group = DhGroup { g: image.dh_g.clone(), p: image.dh_p.clone(), q: image.dh_q.clone() };
    let ca = CaKey {
        modulus: image.ca_modulus.clone(),
        exponent: image.ca_exponent.clone(),
        chr: image.ca_chr.clone(),
        cha: image.ca_cha.clone(),
    };
    let chip_key = RsaPublicKey::from_pkcs1_der(cie_core::sod::der_trim(&image.int_kpub).unwrap()).unwrap();
    let cert = x509_cert::Certificate::from_der(cie_core::sod::der_trim(&image.certificate).unwrap()).unwrap();
    let certificate_key =
        RsaPublicKey::from_public_key_der(&cert.tbs_certificate.subject_public_key_info.to_der().unwrap()).unwrap();
    let keys = SmKeys::new(*b"0123456789abcdef", *b"fedcba9876543210");
    Fixture { image, group, ca, chip_key, certificate_key, keys }
}

/// The plain answers of the DH exchange (§4.3): two `90 00` for the chained MSE SET, then the
/// card's public value.
fn dh_answers(f: &Fixture) -> Vec<Vec<u8>> {
    let y_icc = DhKeyPair::generate(&f.group).unwrap().public;
    let mut body = vec![0xA6, 0x82, 0x01, 0x04, 0x91, 0x82, 0x01, 0x00];
    body.extend_from_slice(&y_icc);
    let mut out = vec![vec![0x90, 0x00], vec![0x90, 0x00]];
    out.extend(framed(body, StatusWord::OK));
    out
}

/// The protected DAPP answers (§4.4.2) for a channel opened with `f.keys`: nine SM exchanges
/// (the certificate and EXTERNAL AUTHENTICATE are chained in two); the chip's answer is a
/// well-formed signature by key `82` over a hash that cannot match, so the host does all of
/// its work and fails only at the final comparison.
fn dapp_answers(f: &Fixture, certificate: &[u8]) -> Vec<Vec<u8>> {
    let k = 256;
    let mut m = vec![0x6A];
    m.extend_from_slice(&[0x33; 256 - 34]);
    m.extend_from_slice(&[0u8; 32]);
    m.push(0xBC);
    let key = &f.image.key_dapp;
    let s = BigUint::from_bytes_be(&m).modpow(key.d(), key.n());
    let mut answer = vec![0x11; 8];
    answer.extend_from_slice(&dh::to_fixed(&s, k).unwrap());
    let challenge = [0x22u8; 8];
    let mut data: Vec<&[u8]> = vec![&[]]; // MSE SET DST
    data.extend(std::iter::repeat_n(&[][..], certificate.len().div_ceil(SM_CHUNK))); // PSO
    data.extend([&[][..], &challenge[..]]); // MSE SET AT, GET CHALLENGE
    data.extend(std::iter::repeat_n(&[][..], (8 + k).div_ceil(SM_CHUNK))); // EXTERNAL AUTHENTICATE
    data.extend([&[][..], &answer[..]]); // MSE SET AT, INTERNAL AUTHENTICATE
    protected_answers(&f.keys, Ssc::INITIAL, &data)
}

fn bench_handshake(c: &mut Criterion) {
    let f = fixture();
    let certificate = dapp::terminal_certificate(&f.ca).unwrap();
    let kx_answers = dh_answers(&f);
    let dapp = dapp_answers(&f, &certificate);
    let y_ifd = DhKeyPair::generate(&f.group).unwrap().public;
    let y_icc = DhKeyPair::generate(&f.group).unwrap().public;
    let input =
        DappInput { group: &f.group, y_ifd: &y_ifd, y_icc: &y_icc, certificate: &certificate, chip_key: &f.chip_key };
    let mut replay = Replay::new(dapp.clone());
    // The replay goes all the way: only the chip's hash differs.
    let r = dapp::authenticate(&mut SecureChannel::new(f.keys.clone()), &mut replay, &input);
    assert!(matches!(&r, Err(Error::DeviceAuthentication(m)) if m.contains("hash mismatch")), "{r:?}");

    let mut g = c.benchmark_group("handshake_host");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("dh_key_pair", |b| b.iter(|| DhKeyPair::generate(black_box(&f.group)).unwrap()));
    let pair = DhKeyPair::generate(&f.group).unwrap();
    g.bench_function("dh_shared_secret", |b| b.iter(|| pair.shared_secret(&f.group, black_box(&y_icc)).unwrap()));
    let mut kx = Replay::new(kx_answers);
    g.bench_function("dh_exchange", |b| b.iter(|| dh::exchange(kx.rewind(), &f.group).unwrap()));
    g.bench_function("terminal_certificate", |b| b.iter(|| dapp::terminal_certificate(black_box(&f.ca)).unwrap()));
    g.bench_function("dapp", |b| {
        b.iter(|| dapp::authenticate(&mut SecureChannel::new(f.keys.clone()), replay.rewind(), &input))
    });
    // What the session computes for a new channel on a card whose static data is cached.
    let mut dapp_replay = Replay::new(dapp);
    g.bench_function("dh_and_dapp", |b| {
        b.iter(|| {
            let x = dh::exchange(kx.rewind(), &f.group).unwrap();
            let input = DappInput {
                group: &f.group,
                y_ifd: &x.y_ifd,
                y_icc: &x.y_icc,
                certificate: &certificate,
                chip_key: &f.chip_key,
            };
            dapp::authenticate(&mut SecureChannel::new(f.keys.clone()), dapp_replay.rewind(), &input)
        })
    });
    g.finish();
}

fn bench_sign(c: &mut Criterion) {
    let f = fixture();
    let data = [0x5Au8; 1024];
    let di = digest_info_of(HashAlg::Sha256, &data);
    let signature = f.image.key_sign.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap();
    let start = Ssc([0, 0, 0, 0, 0x10, 0x20, 0x30, 0x40]);
    let mut replay = Replay::new(protected_answers(&f.keys, start, &[&[], &signature]));
    let mut channel = SecureChannel::new(f.keys.clone());
    let mse = Command::new(0x00, 0x22, 0x41, 0xA4).with_data([0x80, 0x01, 0x02, 0x84, 0x01, 0x81]);

    let mut g = c.benchmark_group("sign_host");
    // As Session::sign_digest_info after login: DigestInfo, MSE SET AT + INTERNAL AUTHENTICATE
    // under SM, and the check of the card's signature with the certificate's key.
    g.bench_function("sha256_1KiB", |b| {
        b.iter(|| {
            channel.set_ssc(start);
            replay.rewind();
            let di = digest_info_of(HashAlg::Sha256, black_box(&data));
            channel.transmit(&mut replay, &mse).unwrap().ok("MSE SET").unwrap();
            let cmd = Command::new(0x00, 0x88, 0x00, 0x00).with_data(di.clone());
            let sig = channel.transmit(&mut replay, &cmd).unwrap().ok("INTERNAL AUTHENTICATE").unwrap();
            f.certificate_key.verify(Pkcs1v15Sign::new_unprefixed(), &di, &sig).unwrap();
            sig
        })
    });
    g.bench_function("verify_only", |b| {
        b.iter(|| f.certificate_key.verify(Pkcs1v15Sign::new_unprefixed(), black_box(&di), &signature).unwrap())
    });
    g.finish();
}

fn bench_in_process(c: &mut Criterion) {
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let mut s = Session::open(handle.connect()).unwrap();
    let pin = Pin::new(fixtures::TEST_PIN).unwrap();
    s.verify_pin(&pin).unwrap();
    s.certificate().unwrap();

    let mut g = c.benchmark_group("in_process_with_simulator");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    // Host and simulated card in one thread: the simulator's RSA private operation included.
    g.bench_function("sign_after_login", |b| b.iter(|| s.sign(HashAlg::Sha256, black_box(b"challenge")).unwrap()));
    g.bench_function("login_new_channel", |b| {
        b.iter(|| {
            s.logout();
            s.verify_pin(&pin).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_handshake, bench_sign, bench_in_process);
criterion_main!(benches);
