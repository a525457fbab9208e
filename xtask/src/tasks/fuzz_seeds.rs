//! `cargo xtask fuzz-seeds` records the seed corpora `fuzz/seeds/<target>/` of the fuzz targets
//! ([`super::fuzz`]) from real sessions with the in-process simulator.
//!
//! Seed formats are the targets' input formats (see `fuzz/src/lib.rs` and each target's header):
//! chunks are a 2-byte big-endian length and the bytes.

use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};

use cie_core::apdu::{self, Command as Apdu};
use cie_core::files::{self, Plain};
use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::sm::{self, SmKeys, Ssc};
use cie_core::transport::{Link, Transport, TransportError};
use cie_core::{dapp, dh, StatusWord};
use cie_sim::image::{CardImage, SodProfile};
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};

use crate::command::{cargo, run, step, Result};
use crate::packages::ensure_pyhanko;
use crate::paths::{target_dir, workspace_root};

/// The `host_session` target's script, the same file (the fuzz crate is outside the workspace
/// and links libFuzzer, so it is included by path rather than depended on). Its items are the
/// fuzz crate's public API, private here.
#[allow(unreachable_pub)]
#[path = "../../../fuzz/src/session_script.rs"]
mod session_script;

/// Appends one chunk (2-byte big-endian length, bytes).
fn push_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("seed chunks are short");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// (command, answer) pairs in order.
type Exchanges = Vec<(Vec<u8>, Vec<u8>)>;
type Log = Arc<Mutex<Exchanges>>;

/// Records every (command, answer) pair going through a link.
struct Recorder<L> {
    inner: L,
    log: Log,
}

impl<L: Link> Link for Recorder<L> {
    fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        let answer = self.inner.transmit(command)?;
        if let Ok(mut log) = self.log.lock() {
            log.push((command.to_vec(), answer.clone()));
        }
        Ok(answer)
    }
}

/// A transport whose links record (see [`Recorder`]).
struct RecordingTransport<T> {
    inner: T,
    log: Log,
}

impl<T: Transport> Transport for RecordingTransport<T> {
    fn transaction(&mut self) -> std::result::Result<Box<dyn Link + '_>, TransportError> {
        let inner = self.inner.transaction()?;
        Ok(Box::new(Recorder { inner, log: self.log.clone() }))
    }
    fn atr(&mut self) -> std::result::Result<Vec<u8>, TransportError> {
        self.inner.atr()
    }
}

/// The simulated card as a plain link.
struct CardLink<'a>(&'a mut SimCard);

impl Link for CardLink<'_> {
    fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        Ok(self.0.process(command))
    }
}

/// The card the seeds are recorded with: the fuzz card (`cie_sim::fuzz_card`) in a fuzz build of
/// the recorder, as the fuzz targets use it; the test card otherwise (this module's tests).
fn image(profile: SodProfile) -> CardImage {
    if cfg!(fuzzing) {
        cie_sim::fuzz_card::image(profile)
    } else {
        fixtures::card_image(profile)
    }
}

fn card(profile: Profile) -> SimCard {
    SimCard::new(profile, image(SodProfile::Sha256Pkcs1), SimOptions::default())
}

fn answers(log: &Log) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, answer) in log.lock().map(|l| l.clone()).unwrap_or_default() {
        push_chunk(&mut out, &answer);
    }
    out
}

/// Runs `f` on a fresh card (CIE application selected) with a recording link; returns the
/// card's answers as chunks.
fn record_link(profile: Profile, f: impl FnOnce(&mut dyn Link)) -> Vec<u8> {
    record_link_on(card(profile), f)
}

/// [`record_link`] on the test card with its real key sizes (long answers: `61 xx` and GET
/// RESPONSE), for the parsers that fuzz builds still run on such answers.
fn record_link_real(profile: Profile, f: impl FnOnce(&mut dyn Link)) -> Vec<u8> {
    record_link_on(SimCard::new(profile, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default()), f)
}

fn record_link_on(mut card: SimCard, f: impl FnOnce(&mut dyn Link)) -> Vec<u8> {
    let select = Apdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(cie_core::interop::CIE_AID);
    let _ = card.process(&select.to_bytes().unwrap_or_default());
    let log = Log::default();
    f(&mut Recorder { inner: CardLink(&mut card), log: log.clone() });
    answers(&log)
}

/// A whole session as the `host_session` target runs it: the same script (`ops` as there).
fn record_session(profile: Profile, ops: u8, pin: &str) -> Option<(Vec<u8>, Exchanges)> {
    let handle = SimHandle::new(card(profile));
    let log = Log::default();
    let transport = RecordingTransport { inner: handle.connect(), log: log.clone() };
    let atr = handle.with_card(|c| c.atr().to_vec());
    let mut s = Session::open(transport).ok()?;
    let pin = Pin::new(pin).ok()?;
    let puk = Puk::new(fixtures::TEST_PUK).ok()?;
    session_script::run(&mut s, ops, &pin, &puk);
    let mut seed = vec![ops];
    push_chunk(&mut seed, &atr);
    seed.extend_from_slice(&answers(&log));
    let pairs = log.lock().map(|l| l.clone()).unwrap_or_default();
    Some((seed, pairs))
}

/// Clear commands of the secure-messaging phase, for `sim_card` seeds (PROTOCOL.md §2, §6, §7).
fn clear_commands() -> Vec<Vec<u8>> {
    let digest_info = cie_core::sign::digest_info_of(HashAlg::Sha256, b"seed");
    let cmds = [
        Apdu::new(0x00, 0xA4, 0x02, 0x04).with_data([0x10, 0x03]),
        Apdu::new(0x00, 0xB0, 0x00, 0x00).with_le(231),
        Apdu::new(0x00, 0xB0, 0x00, 0xE7).with_le(231),
        Apdu::new(0x00, 0xB1, 0x00, 0x02).with_data([0x54, 0x02, 0x00, 0x00]).with_le(231),
        Apdu::new(0x00, 0x22, 0x41, 0xA4).with_data([0x80, 0x01, 0x02, 0x84, 0x01, 0x81]),
        Apdu::new(0x00, 0x88, 0x00, 0x00).with_data(digest_info),
        Apdu::new(0x00, 0x20, 0x00, 0x81),
        Apdu::new(0x00, 0x84, 0x00, 0x00).with_le(8),
        Apdu::new(0x00, 0xCB, 0x3F, 0xFF).with_data([0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00]),
        Apdu::new(0x00, 0x24, 0x00, 0x81).with_data(b"1234567887654321".to_vec()),
        Apdu::new(0x00, 0x20, 0x00, 0x82).with_data(fixtures::TEST_PUK.as_bytes().to_vec()),
        Apdu::new(0x00, 0x2C, 0x03, 0x81),
        Apdu::new(0x00, 0x2C, 0x02, 0x81).with_data(b"12345678".to_vec()),
        Apdu::new(0x00, 0x22, 0x41, 0xA4).with_data([0x80, 0x01, 0x02, 0x84, 0x01, 0x83]),
        Apdu::new(0x00, 0x88, 0x00, 0x00).with_data(fixtures::TEST_NIS.as_bytes().to_vec()),
        Apdu::new(0x00, 0xA4, 0x02, 0x04).with_data([0x10, 0x02]),
        Apdu::new(0x00, 0xB0, 0x00, 0x00).with_le(231),
        Apdu::new(0x00, 0xA4, 0x00, 0x00),
        Apdu::new(0x00, 0xA4, 0x02, 0x04).with_data([0xD0, 0x04]),
        Apdu::new(0x00, 0xB0, 0x00, 0x00).with_le(231),
    ];
    cmds.iter().filter_map(|c| c.to_bytes().ok()).collect()
}

/// The document targets' seeds (`cms_verify`, `pdf_verify`, `p7m_extract`; fuzz/README.md,
/// "Document seeds"): our own signer's files and the hostile shapes from cie-sign's `hostile`
/// bench (`--seeds`), then the files of openssl, pyHanko and qpdf (`fuzz/doc-seeds.sh`, with the
/// pyHanko of `cargo xtask install-deps`).
fn record_document_seeds() -> Result<()> {
    let root = workspace_root();
    let seeds = root.join("fuzz/seeds");
    step("document seeds from cie-sign (the simulated card in-process) and the hostile bench files");
    run(cargo().args(["bench", "--quiet", "-p", "cie-sign", "--bench", "hostile", "--", "--seeds"]).arg(&seeds))?;
    step("document seeds from openssl cms, pyHanko and qpdf (fuzz/doc-seeds.sh)");
    let pyhanko = ensure_pyhanko()?;
    run(Command::new("bash").arg(root.join("fuzz/doc-seeds.sh")).arg(pyhanko))
}

/// `cargo xtask fuzz-seeds`: writes `fuzz/seeds/<target>/*` (small files, committed).
///
/// The fuzz targets run a fuzz build of cie-core (`--cfg fuzzing`) against the fuzz card, whose
/// small DH group and CA key a normal build refuses: so the recording is done by a fuzz build of
/// this recorder, made in its own target directory (`<target>/fuzz-seeds`, the workspace's build
/// untouched) and run by the normal one.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    if !cfg!(fuzzing) {
        step("building the seed recorder with --cfg fuzzing, as the fuzz targets are built");
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        flags.push_str(" --cfg fuzzing");
        let mut cmd = cargo();
        cmd.args(["run", "--quiet", "--package", "xtask", "--target-dir"])
            .arg(target_dir().join("fuzz-seeds"))
            .args(["--", "fuzz-seeds"])
            .args(args)
            .env("RUSTFLAGS", flags.trim());
        run(&mut cmd)?;
        record_document_seeds()?;
        return Ok(ExitCode::SUCCESS);
    }
    let dir = workspace_root().join("fuzz/seeds");
    let mut written = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> Result<()> {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let p = d.join(name);
        std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        written += 1;
        Ok(())
    };

    // host_session: whole sessions, minimal and with every optional operation.
    let mut plain_apdus = Vec::new();
    for (profile, ops, pin, name) in [
        (Profile::Nxp, 0u8, fixtures::TEST_PIN, "nxp_min"),
        (Profile::Nxp, 0x3F, fixtures::TEST_PIN, "nxp_all"),
        (Profile::Gemalto, 0x0F, fixtures::TEST_PIN, "gemalto"),
        (Profile::Stm3, 0x04, "00000000", "stm3_wrong_pin"),
    ] {
        let (seed, pairs) = record_session(profile, ops, pin).ok_or("recording a session failed")?;
        write("host_session", name, &seed)?;
        if profile == Profile::Nxp && ops == 0x3F {
            plain_apdus = pairs.into_iter().map(|(c, _)| c).collect();
        }
    }

    // sim_card: the recorded commands in plain (mode 0); clear commands after the handshake
    // (mode 1) and after the PIN (mode 2), protected by the harness (flag 1).
    let mut seed = vec![0u8, 0];
    for c in &plain_apdus {
        push_chunk(&mut seed, &[&[0u8][..], c].concat());
    }
    write("sim_card", "plain_session", &seed)?;
    for (mode, profile, name) in [(1u8, 0u8, "sm_nxp"), (2, 1, "sm_pin_gemalto"), (2, 5, "sm_pin_stm3")] {
        let mut seed = vec![mode, profile];
        for c in clear_commands() {
            push_chunk(&mut seed, &[&[1u8][..], &c].concat());
        }
        write("sim_card", name, &seed)?;
    }

    // apdu_tlv: GET DATA answers and file reads recorded from the card.
    let nxp = Profile::Nxp;
    write("apdu_tlv", "dh_three_calls", &[&[1u8][..], &record_link(nxp, |l| drop(dh::read_group(l, false)))].concat())?;
    write(
        "apdu_tlv",
        "dh_one_call",
        &[&[2u8][..], &record_link(Profile::Gemalto, |l| drop(dh::read_group(l, true)))].concat(),
    )?;
    write("apdu_tlv", "ca_key", &[&[3u8][..], &record_link(nxp, |l| drop(dapp::read_ca_key(l)))].concat())?;
    // The test card's 2048-bit group and CA key too: long answers, chained with GET RESPONSE.
    let real = record_link_real(nxp, |l| drop(dh::read_group(l, false)));
    write("apdu_tlv", "dh_three_calls_2048", &[&[1u8][..], &real].concat())?;
    let real = record_link_real(nxp, |l| drop(dapp::read_ca_key(l)));
    write("apdu_tlv", "ca_key_2048", &[&[3u8][..], &real].concat())?;
    let i256 = image(SodProfile::Sha256Pkcs1);
    let group = dh::DhGroup { g: i256.dh_g.clone(), p: i256.dh_p.clone(), q: i256.dh_q.clone() };
    write("apdu_tlv", "dh_exchange", &[&[4u8][..], &record_link(nxp, |l| drop(dh::exchange(l, &group)))].concat())?;
    let get_p = Apdu::new(0x00, 0xCB, 0x3F, 0xFF)
        .with_data([0x4D, 0x0A, 0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x98, 0x00]);
    let mut seed = vec![5u8];
    push_chunk(&mut seed, &get_p.to_bytes().map_err(|e| e.to_string())?);
    seed.extend_from_slice(&record_link_real(nxp, |l| drop(apdu::transmit(l, &get_p))));
    write("apdu_tlv", "transmit_get_response", &seed)?;
    for (fid, name) in [(files::EF_INT_KPUB, "read_1004"), (files::EF_NIS, "read_1001"), (files::EF_SOD, "read_1006")] {
        let mut seed = vec![6u8];
        seed.extend_from_slice(&fid.to_be_bytes());
        seed.extend_from_slice(&record_link(nxp, |l| drop(files::read_file(&mut Plain(l), fid))));
        write("apdu_tlv", name, &seed)?;
    }
    let ca_answer = {
        let mut card = card(nxp);
        let cmd = Apdu::new(0x00, 0xCB, 0x3F, 0xFF)
            .with_data([0x4D, 0x09, 0x70, 0x07, 0xBF, 0xA0, 0x04, 0x03, 0x7F, 0x49, 0x80]);
        apdu::transmit(&mut CardLink(&mut card), &cmd).map_err(|e| e.to_string())?.to_bytes()
    };
    write("apdu_tlv", "raw_ca_key_answer", &[&[0u8][..], &ca_answer].concat())?;

    // sod: both EF.SOD profiles, the PKI's certificates.
    let i512 = image(SodProfile::Sha512Pss);
    write("sod", "sod_sha256", &[&[0u8][..], &i256.sod].concat())?;
    write("sod", "sod_sha512", &[&[0u8][..], &i512.sod].concat())?;
    write("sod", "csca", &[&[1u8][..], fixtures::csca_certificate()].concat())?;
    write("sod", "ds_as_csca", &[&[1u8][..], fixtures::document_signer_certificate()].concat())?;
    write("sod", "citizen_certificate", &[&[2u8][..], &i256.certificate].concat())?;
    write("sod", "citizen_ca", &[&[2u8][..], fixtures::citizen_ca_certificate()].concat())?;
    write("sod", "trim_sod", &[&[3u8][..], &i512.sod].concat())?;

    // sm_unwrap: protected objects built with known keys and counter.
    let keys = SmKeys::new(*b"0123456789abcdef", *b"fedcba9876543210");
    let ssc = Ssc([0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    let head = [&keys.enc()[..], &keys.mac_key()[..], &ssc.0[..]].concat();
    let seed = |mode: u8, rest: &[u8]| [&head[..], &[mode], rest].concat();
    let body = sm::protect_response(&keys, &mut ssc.clone(), &[0x42; 231], StatusWord::OK);
    write("sm_unwrap", "response_231", &seed(0, &body))?;
    let body = sm::protect_response(&keys, &mut ssc.clone(), &[], StatusWord::tries_left(2));
    write("sm_unwrap", "response_63c2", &seed(0, &body))?;
    let verify = Apdu::new(0x00, 0x20, 0x00, 0x81).with_data(b"12345678".to_vec());
    let read_odd = Apdu::new(0x00, 0xB1, 0x00, 0x06).with_data([0x54, 0x02, 0x00, 0x00]).with_le(231);
    for (cmd, name) in [(&verify, "command_verify"), (&read_odd, "command_odd_ins")] {
        let p = sm::protect_command(&keys, &mut ssc.clone(), cmd).to_bytes().map_err(|e| e.to_string())?;
        write("sm_unwrap", name, &seed(1, &p))?;
        write("sm_unwrap", &format!("{name}_clear"), &seed(4, &cmd.to_bytes().map_err(|e| e.to_string())?))?;
    }
    let mut objects = vec![0x87, 0x11, 0x01];
    objects.extend_from_slice(&[0xAA; 16]);
    objects.extend_from_slice(&[0x99, 0x02, 0x90, 0x00]);
    write("sm_unwrap", "objects_response", &seed(2, &objects))?;
    write("sm_unwrap", "objects_command", &seed(3, &[&[0x0C, 0xB0, 0x00, 0x00, 0x97, 0x01, 0x00][..]].concat()))?;
    write("sm_unwrap", "round_trip_response", &seed(5, &[0x62, 0x82, 1, 2, 3]))?;
    let mut script = Vec::new();
    push_chunk(&mut script, &verify.to_bytes().map_err(|e| e.to_string())?);
    script.push(2);
    push_chunk(&mut script, &[1, 0x90, 0x00]);
    push_chunk(&mut script, &[1, 0x90, 0x00, 1, 2, 3, 4]);
    push_chunk(&mut script, &[0, 0x69, 0x88]);
    write("sm_unwrap", "channel", &seed(6, &script))?;

    // pkcs11_args: find everything, read attributes with every buffer convention, sign.
    let find_all = [0u8, 0, 0, 1, 0, 8, 2, 0];
    let attrs = [3u8, 0, 1, 5, 4, 0, 6, 20, 9, 0, 3, 40, 0xFF, 0, 0, 1, 0, 15, 4];
    let sign = [5u8, 0, 3, 0, 3, 6, 0, 0, 4, 0x5A, 0x5A, 0x5A, 0x5A, 0, 6, 0, 0, 4, 0x5A, 0x5A, 0x5A, 0x5A, 0xFF];
    let multi = [5u8, 0, 0, 0, 3, 7, 0, 0, 2, 1, 2, 8, 0, 0, 8, 0, 0xFF];
    let pin = [11u8, 0, 0, 8, b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', 0, 4, b'1', b'2', b'3', b'4', 10, 0];
    write(
        "pkcs11_args",
        "cache_objects",
        &[&[0x01u8][..], &find_all, &attrs, &[4, 0, 2, 14, 0, 15, 1, 16, 1, 3]].concat(),
    )?;
    write("pkcs11_args", "login_sign", &[&[0x47u8][..], &find_all, &attrs, &sign, &multi].concat())?;
    write("pkcs11_args", "no_login_sign", &[&[0x05u8][..], &find_all, &sign, &pin, &[18, 1, 1, 19, 0]].concat())?;
    write(
        "pkcs11_args",
        "c_entry_points",
        &[&[0x81u8, 0, 1, 0, 7][..], b"PKCS 11", &[3, 0, 1, 0, 1, 2], &[1, 0, 0, 4, 0, 0, 40]].concat(),
    )?;

    step(&format!("wrote {written} seed files under {}", dir.display()));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_session_replays_its_plain_part() {
        // The seed's ATR and first answers are the card's, in order.
        let (seed, pairs) = record_session(Profile::Nxp, 0, fixtures::TEST_PIN).unwrap();
        assert_eq!(seed[0], 0);
        let atr = Profile::Nxp.atr();
        assert_eq!(&seed[3..3 + atr.len()], atr);
        assert_eq!(u16::from_be_bytes([seed[1], seed[2]]) as usize, atr.len());
        // Open (4 selects/reads at least), DH, DAPP, VERIFY, certificate, two signatures.
        assert!(pairs.len() > 30, "{} exchanges", pairs.len());
        let first_answer = &pairs[0].1;
        let at = 3 + atr.len();
        assert_eq!(&seed[at + 2..at + 2 + first_answer.len()], &first_answer[..]);
    }
}
