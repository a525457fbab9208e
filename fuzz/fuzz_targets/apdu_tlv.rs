//! APDU responses and BER-TLV parsing, and the parsers of the GET DATA answers (PROTOCOL.md
//! §2.5, §4.1-§4.3). Input: `[mode][rest]`; in the script modes `rest` is the card's answers as
//! chunks (see `cie_fuzz`).
//!
//! Modes: 0 `Response::parse`, `Command::parse` and the TLV helpers on raw bytes; 1 and 2 the DH
//! parameters (`dh::read_group`, three-call and one-call form) and a key pair in the group read; 3 the CA key
//! (`dapp::read_ca_key`) and, when it reads, the terminal certificate for it; 4 the DH exchange
//! with the test card's group (the card's public value `A6/91` and its subgroup check); 5
//! `apdu::transmit` of a command from the first chunk (GET RESPONSE, `6C xx`, chaining); 6 a
//! whole file read (`files::read_file`, SELECT + the READ BINARY loop).
#![no_main]

use cie_core::apdu::{self, Command, Response};
use cie_core::files::{self, Plain};
use cie_core::{dapp, dh, tlv};
use cie_fuzz::{Input, ScriptLink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let Some(mode) = input.byte() else { return };
    match mode % 7 {
        0 => raw(input.rest()),
        1 | 2 => {
            // A group the host accepts must also be usable: key generation must end quickly.
            if let Ok(group) = dh::read_group(&mut ScriptLink::new(input), mode % 7 == 2) {
                let _ = dh::DhKeyPair::generate(&group);
            }
        }
        3 => {
            if let Ok(ca) = dapp::read_ca_key(&mut ScriptLink::new(input)) {
                let _ = dapp::terminal_certificate(&ca);
            }
        }
        4 => {
            let _ = dh::exchange(&mut ScriptLink::new(input), &cie_fuzz::group());
        }
        5 => {
            let Some(cmd) = input.bytes_chunk() else { return };
            let Ok(cmd) = Command::parse(cmd) else { return };
            let mut link = ScriptLink::new(input);
            if let Ok(resp) = apdu::transmit(&mut link, &cmd) {
                assert!(resp.data.len() <= 64 * 1024 + 256, "bounded GET RESPONSE collection");
            }
        }
        _ => {
            let Some(fid) = input.array::<2>() else { return };
            let mut link = ScriptLink::new(input);
            if let Ok(content) = files::read_file(&mut Plain(&mut link), u16::from_be_bytes(fid)) {
                assert!(content.len() <= files::MAX_FILE + 256, "file size bound");
            }
        }
    }
});

fn raw(bytes: &[u8]) {
    if let Ok(resp) = Response::parse(bytes) {
        assert_eq!(resp.to_bytes(), bytes);
    }
    if let Ok(cmd) = Command::parse(bytes) {
        // A parsed short APDU encodes back to the same bytes.
        assert_eq!(cmd.to_bytes().ok().as_deref(), Some(bytes));
    }
    if let Ok(t) = tlv::parse(bytes) {
        if let Ok(children) = tlv::children(&t) {
            for c in children {
                let _ = tlv::primitive(c);
            }
        }
    }
    for path in [
        &[0x70, 0xBFA101, 0xA3, 0x97][..],
        &[0x70, 0xBFA101, 0xA3, 0x98],
        &[0x70, 0xBFA101, 0xA3, 0x99],
        &[0x70, 0xBFA004, 0x7F49, 0x81],
        &[0xA6, 0x91],
    ] {
        let _ = tlv::value_at(bytes, path);
    }
}
