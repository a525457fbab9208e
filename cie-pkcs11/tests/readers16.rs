//! A service desk with 16 readers (issue 13): the virtual stack serves 16 vpcd readers, each
//! with its own simulated card. `C_GetSlotList` shows them; cards inserted and removed in
//! random order are each reported once by `C_WaitForSlotEvent`; one thread per slot signs on
//! all 16 cards at once (every signature verified with the certificate).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use cie_pkcs11::{Ckr, Config, Module, Output, PcscBackend};
use cie_sim::fixtures;
use cie_sim::stack::{StackOptions, VirtualStack};
use common::verify_digest_info;
use cryptoki_sys::*;

const READERS: usize = 16;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Every pending event, without blocking: the slots reported, in order.
fn drain_events(m: &Module) -> Vec<CK_SLOT_ID> {
    let mut seen = Vec::new();
    loop {
        match m.wait_for_slot_event(CKF_DONT_BLOCK) {
            Ok(slot) => seen.push(slot),
            Err(Ckr(CKR_NO_EVENT)) => return seen,
            Err(e) => panic!("C_WaitForSlotEvent: {e}"),
        }
    }
}

#[test]
fn sixteen_readers_events_and_concurrent_signatures() {
    let _serial = common::serial();
    let mut stack = VirtualStack::start(StackOptions { readers: READERS, ..StackOptions::default() })
        .unwrap_or_else(|e| panic!("starting a {READERS}-reader stack: {e}"));
    stack.export_socket_env();
    let m = Arc::new(Module::with_backend(PcscBackend::new(), Config::without_cache()));
    m.initialize(None).unwrap();

    let all = m.slot_list(false, true).unwrap();
    assert_eq!(all.len(), READERS, "one slot per reader");
    assert_eq!(m.slot_list(true, true).unwrap(), all, "a card in every reader");
    let slot_of = |k: usize| -> CK_SLOT_ID {
        let name = stack.reader_name_at(k);
        *all.iter()
            .find(|&&s| String::from_utf8_lossy(&m.slot_info(s).unwrap().slotDescription).trim_end() == name)
            .unwrap_or_else(|| panic!("no slot for reader {name:?}"))
    };
    let slots: Vec<CK_SLOT_ID> = (0..READERS).map(slot_of).collect();
    assert_eq!(slots.iter().collect::<BTreeSet<_>>().len(), READERS);
    assert!(drain_events(&m).is_empty(), "the cards present at C_Initialize are no event");

    // Random insertions and removals, a few readers at a time: each change reported once.
    let mut present = [true; READERS];
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    for round in 0..8 {
        let mut changed = BTreeSet::new();
        while changed.len() < 1 + rng.below(4) {
            changed.insert(rng.below(READERS));
        }
        let order: Vec<usize> = changed.iter().copied().collect();
        // The first change wakes a thread blocked in C_WaitForSlotEvent.
        let waiter = {
            let m = m.clone();
            std::thread::spawn(move || m.wait_for_slot_event(0))
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        for &k in &order {
            if present[k] {
                stack.remove_card_at(k).unwrap();
            } else {
                stack.insert_card_at(k).unwrap();
            }
            present[k] = !present[k];
        }
        let mut reported = vec![waiter.join().unwrap().unwrap_or_else(|e| panic!("round {round}: {e}"))];
        reported.extend(drain_events(&m));
        let expected: Vec<CK_SLOT_ID> = order.iter().map(|&k| slots[k]).collect();
        let mut got = reported.clone();
        got.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(got, want, "round {round}: changed readers {order:?}, reported {reported:?}");
        let with_token: BTreeSet<CK_SLOT_ID> = m.slot_list(true, true).unwrap().into_iter().collect();
        let want_tokens: BTreeSet<CK_SLOT_ID> = (0..READERS).filter(|&k| present[k]).map(|k| slots[k]).collect();
        assert_eq!(with_token, want_tokens, "round {round}: C_GetSlotList(tokenPresent)");
    }
    for (k, _) in present.iter().enumerate().filter(|(_, &p)| !p) {
        stack.insert_card_at(k).unwrap();
    }
    drain_events(&m);

    // One thread per slot: open, log in, sign, each on its own card, all at once.
    let threads: Vec<_> = slots
        .iter()
        .map(|&slot| {
            let m = m.clone();
            std::thread::spawn(move || {
                let s = m.open_session(slot, CKF_SERIAL_SESSION).unwrap();
                m.login(s, CKU_USER, fixtures::TEST_PIN.as_bytes()).unwrap();
                m.find_init(s, &[(CKA_CLASS, CKO_PRIVATE_KEY.to_ne_bytes().to_vec())]).unwrap();
                let handle = m.find_next(s, 1).unwrap()[0];
                m.find_final(s).unwrap();
                for i in 0..3 {
                    let data = format!("slot {slot} signature {i}");
                    m.sign_init(s, CKM_SHA256_RSA_PKCS, false, handle).unwrap();
                    let Output::Bytes(sig) = m.sign(s, data.as_bytes(), Some(512)).unwrap() else {
                        panic!("no signature")
                    };
                    let info = cie_core::sign::digest_info_of(cie_core::sign::HashAlg::Sha256, data.as_bytes());
                    verify_digest_info(&info, &sig);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    m.finalize().unwrap();
}
