//! Secure-messaging unwrapping (PROTOCOL.md §5) with keys and SSC taken from the input:
//! `[K_ENC 16][K_MAC 16][SSC 8][mode][rest]`.
//!
//! Modes: 0 `unprotect_response(rest)`; 1 `unprotect_command(rest)`; 2 and 3 the same with a
//! correct DO8E appended by the harness, so that hostile DO87/DO85/DO97/DO99 objects get past
//! the MAC check; 4 and 5 protect-then-unprotect round trips (command and response), which must
//! give back exactly what went in; 6 a whole [`SecureChannel`] exchange against a card script
//! whose chunks are either raw answers or `(SW, data)` pairs the harness protects with the right
//! keys and counter.
#![no_main]

use cie_core::apdu::{Command, Response};
use cie_core::channel::SecureChannel;
use cie_core::sm::{self, SmKeys, Ssc, CLA_SM};
use cie_core::transport::{Link, TransportError};
use cie_core::StatusWord;
use cie_fuzz::{Chunk, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (Some(enc), Some(mac), Some(ssc), Some(mode)) =
        (input.array::<16>(), input.array::<16>(), input.array::<8>(), input.byte())
    else {
        return;
    };
    let keys = SmKeys::new(enc, mac);
    let ssc = Ssc(ssc);
    let rest = input.rest();
    match mode % 7 {
        0 => {
            let _ = sm::unprotect_response(&keys, &mut ssc.clone(), rest);
        }
        1 => {
            if let Ok(cmd) = Command::parse(rest) {
                let _ = sm::unprotect_command(&keys, &mut ssc.clone(), &cmd);
            }
        }
        2 => {
            let body = with_response_mac(&keys, ssc, rest);
            let _ = sm::unprotect_response(&keys, &mut ssc.clone(), &body);
        }
        3 => {
            let Some((header, objects)) = rest.split_first_chunk::<4>() else { return };
            let data = with_command_mac(&keys, ssc, *header, objects);
            if data.len() <= 255 {
                let cmd = Command::new(header[0], header[1], header[2], header[3]).with_data(data);
                let _ = sm::unprotect_command(&keys, &mut ssc.clone(), &cmd);
            }
        }
        4 => command_round_trip(&keys, ssc, rest),
        5 => response_round_trip(&keys, ssc, rest),
        _ => channel_exchange(keys, ssc, Input::new(rest)),
    }
});

/// `pad(SSC+1 || objects)` MACed and appended as DO8E (PROTOCOL.md §5.4).
fn with_response_mac(keys: &SmKeys, mut ssc: Ssc, objects: &[u8]) -> Vec<u8> {
    ssc.increment();
    let mut input = ssc.0.to_vec();
    input.extend_from_slice(objects);
    let m = sm::mac(keys.mac_key(), &sm::pad(&input));
    let mut body = objects.to_vec();
    body.extend_from_slice(&[0x8E, 0x08]);
    body.extend_from_slice(&m);
    body
}

/// `pad(SSC+1 || pad(header) || objects)` MACed and appended as DO8E (PROTOCOL.md §5.2).
fn with_command_mac(keys: &SmKeys, mut ssc: Ssc, header: [u8; 4], objects: &[u8]) -> Vec<u8> {
    ssc.increment();
    let mut input = ssc.0.to_vec();
    input.extend_from_slice(&sm::pad(&header));
    input.extend_from_slice(objects);
    let m = sm::mac(keys.mac_key(), &sm::pad(&input));
    let mut data = objects.to_vec();
    data.extend_from_slice(&[0x8E, 0x08]);
    data.extend_from_slice(&m);
    data
}

fn command_round_trip(keys: &SmKeys, ssc: Ssc, rest: &[u8]) {
    let Ok(clear) = Command::parse(rest) else { return };
    if clear.data.len() > sm::SM_CHUNK {
        return;
    }
    let mut host = ssc;
    let protected = sm::protect_command(keys, &mut host, &clear);
    let bytes = protected.to_bytes().expect("a protected chunk of at most 231 bytes fits a short APDU");
    let parsed = Command::parse(&bytes).expect("our own protected APDU parses");
    let mut card = ssc;
    let back = sm::unprotect_command(keys, &mut card, &parsed).expect("our own protected APDU verifies");
    assert_eq!(host, card, "both sides step the counter once");
    assert_eq!(back.cla, clear.cla & !CLA_SM);
    assert_eq!((back.ins, back.p1, back.p2), (clear.ins, clear.p1, clear.p2));
    assert_eq!(back.data, clear.data);
    assert_eq!(back.le, clear.le);
}

fn response_round_trip(keys: &SmKeys, ssc: Ssc, rest: &[u8]) {
    let Some((sw, data)) = rest.split_first_chunk::<2>() else { return };
    let sw = StatusWord::new(sw[0], sw[1]);
    let mut card = ssc;
    let body = sm::protect_response(keys, &mut card, data, sw);
    let mut host = ssc;
    let back = sm::unprotect_response(keys, &mut host, &body).expect("our own protected response verifies");
    assert_eq!(host, card);
    assert_eq!(back, Response { data: data.to_vec(), sw });
}

/// A card that follows the host's counter: it verifies each protected command (keeping the
/// counter in step) and answers with the next script chunk, protected when the chunk asks so.
struct MirrorCard<'a> {
    keys: SmKeys,
    ssc: Ssc,
    script: Input<'a>,
}

impl Link for MirrorCard<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let chunk = match self.script.chunk() {
            Some(Chunk::Bytes(b)) => b,
            Some(Chunk::Fail(e)) => return Err(e),
            None => return Err(TransportError::Other("script exhausted".into())),
        };
        // Chunk: [flag][SW1 SW2][data]. Flag bit 0: protect (data, SW); else send chunk[1..] raw.
        let Some((&flag, rest)) = chunk.split_first() else { return Ok(Vec::new()) };
        if flag & 1 == 0 {
            return Ok(rest.to_vec());
        }
        let Some((sw, data)) = rest.split_first_chunk::<2>() else { return Ok(rest.to_vec()) };
        let sw = StatusWord::new(sw[0], sw[1]);
        if let Ok(cmd) = Command::parse(command) {
            if cmd.cla & CLA_SM == CLA_SM {
                let _ = sm::unprotect_command(&self.keys, &mut self.ssc, &cmd);
            }
        }
        let mut out = sm::protect_response(&self.keys, &mut self.ssc, data, sw);
        out.extend_from_slice(&sw.to_bytes());
        Ok(out)
    }
}

fn channel_exchange(keys: SmKeys, ssc: Ssc, mut input: Input<'_>) {
    let Some(cmd) = input.bytes_chunk() else { return };
    let Ok(mut cmd) = Command::parse(cmd) else { return };
    // Long data exercises SM chaining (§5.3): repeat the data field up to `factor` times.
    if let Some(factor) = input.byte() {
        let one = cmd.data.clone();
        for _ in 0..factor % 4 {
            cmd.data.extend_from_slice(&one);
        }
    }
    let mut channel = SecureChannel::new(keys.clone());
    channel.set_ssc(ssc);
    let mut card = MirrorCard { keys, ssc, script: input };
    let _ = channel.transmit(&mut card, &cmd);
    if channel.is_usable() {
        // A second command on the same channel: the counters must still agree.
        let _ = channel.transmit(&mut card, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(231));
    }
}
