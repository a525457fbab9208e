//! The simulator's command processing (PROTOCOL.md §10): a card receives hostile input too.
//! Input: `[mode][profile][chunks...]`, each chunk `[flag][APDU]`.
//!
//! Mode 0 starts from a freshly powered card; mode 1 first runs the real host handshake (DH +
//! DAPP through cie-core's building blocks) and mode 2 also verifies the PIN, so that the secure
//! messaging paths, the security status and the PIN-protected commands are reached. Chunk flag
//! bit 0: send the APDU as a clear command protected under the open channel (when one is open);
//! otherwise the bytes go to the card as they are. Bit 1: warm-reset the card first.
//!
//! `SimCard::process` must never panic and must always answer at least a status word.
#![no_main]

use cie_core::apdu::Command;
use cie_core::pin::{self, Pin};
use cie_fuzz::{CardLink, Input};
use cie_sim::{Profile, SimCard, SimOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (Some(mode), Some(profile)) = (input.byte(), input.byte()) else { return };
    let profile = Profile::ALL[usize::from(profile) % Profile::ALL.len()];
    let mut card = SimCard::new(profile, cie_fuzz::image().clone(), SimOptions::default());
    let mut channel = None;
    if mode % 3 != 0 {
        let Some(mut ch) = cie_fuzz::open_channel(&mut card) else {
            panic!("the real handshake failed against the simulator ({profile:?})");
        };
        if mode % 3 == 2 {
            let pin = Pin::new(cie_sim::fixtures::TEST_PIN).expect("test PIN");
            let resp = ch.transmit(&mut CardLink(&mut card), &pin::verify_command(&pin));
            assert!(resp.is_ok_and(|r| r.sw.is_ok()), "VERIFY with the right PIN");
        }
        channel = Some(ch);
    }
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
