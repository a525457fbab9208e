//! The simulator's command processing (PROTOCOL.md §10): a card receives hostile input too.
//! Input: `[mode][profile][chunks...]`, each chunk `[flag][APDU]`.
//!
//! Mode 0 starts from a freshly powered card; mode 1 after the real host handshake (DH + DAPP
//! through cie-core's building blocks) and mode 2 also after VERIFY of the right PIN, so that the
//! secure messaging paths, the security status and the PIN-protected commands are reached. The
//! card is the fuzz card (`cie_fuzz::image`) and each run starts from a copy of a state made once
//! per (profile, mode) by `cie_fuzz::snapshot` (README.md, "Fast path"). Chunk flag bit 0: send
//! the APDU as a clear command protected under the open channel (when one is open); otherwise the
//! bytes go to the card as they are. Bit 1: warm-reset the card first.
//!
//! `SimCard::process` must never panic and must always answer at least a status word.
#![no_main]

use cie_core::apdu::Command;
use cie_fuzz::{CardLink, Input, Stage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (Some(mode), Some(profile)) = (input.byte(), input.byte()) else { return };
    let stage = match mode % 3 {
        0 => Stage::PoweredOn,
        1 => Stage::Channel,
        _ => Stage::PinVerified,
    };
    let (mut card, mut channel) = cie_fuzz::snapshot(usize::from(profile), stage);
    while let Some(chunk) = input.bytes_chunk() {
        let Some((&flag, apdu)) = chunk.split_first() else { continue };
        if flag & 2 != 0 {
            card.reset();
        }
        if flag & 1 != 0 {
            if let (Some(ch), Ok(clear)) = (channel.as_mut(), Command::parse(apdu)) {
                // Errors are fine: a refused command simply breaks the channel.
                let _ = ch.transmit(&mut CardLink(&mut card), &clear);
                continue;
            }
        }
        let answer = card.process(apdu);
        assert!(answer.len() >= 2, "every answer ends with a status word");
        assert!(answer.len() <= 256 + 2, "one response segment at most");
    }
});
