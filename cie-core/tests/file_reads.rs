//! Reading the card's files (PROTOCOL.md §2.5) on a card that caps READ BINARY answers at 231
//! bytes, as real cards do (the simulator's default), and on one that answers 256 (the former
//! simulator, `with_read_binary_max(256)`): the same bytes come out, and the APDUs it takes are
//! counted (the figures of PROTOCOL.md §9.1).

mod common;

use cie_core::apdu::{self, Command};
use cie_core::files::{self, Plain};
use cie_core::interop::CIE_AID;
use cie_core::session::Session;
use cie_core::transport::{Counting, Transport};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use common::*;

fn handle(read_binary_max: usize) -> SimHandle {
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    SimHandle::new(card.with_read_binary_max(read_binary_max))
}

/// APDUs to read the holder's certificate (EF 1003) under secure messaging after the PIN:
/// SELECT + one READ BINARY of 231 bytes per chunk, the last one ending with `62 82`.
#[test]
fn certificate_reads_in_231_byte_chunks_on_both_cards() {
    let expected = fixtures::card_image(SodProfile::Sha256Pkcs1).certificate;
    assert_eq!(expected.len(), 1561, "the simulator's certificate changed: update PROTOCOL.md §9.1");
    for max in [231, 256] {
        let h = handle(max);
        let transport = Counting::new(h.connect());
        let counter = transport.counter();
        let mut session = Session::open(transport).unwrap();
        session.verify_pin(&pin()).unwrap();
        let before = exchanges(&counter);
        let cert = session.certificate().unwrap();
        let cost = exchanges(&counter) - before;
        assert_eq!(cert, expected, "read_binary_max {max}");
        // 1561 = 6 × 231 + 175: SELECT + 7 READ BINARY, whatever the card could give, since
        // the host asks 231 under SM (the largest answer whose protected form fits 256 bytes).
        assert_eq!(cost, 8, "read_binary_max {max}");
        // Cached: no APDU the second time.
        session.certificate().unwrap();
        assert_eq!(exchanges(&counter) - before, 8);
    }
}

/// Plain reads ask Le 00 (256): a 231-byte card answers 231 with `90 00` and the host goes on
/// from where the answer ended; a 256-byte card answers 256. Every file comes out whole.
#[test]
fn plain_files_read_whole_on_both_cards() {
    let image = fixtures::card_image(SodProfile::Sha256Pkcs1);
    let files = [
        (files::EF_NIS, &image.nis),
        (files::EF_INT_KPUB, &image.int_kpub),
        (files::EF_SERVIZI_KPUB, &image.servizi_kpub),
        (files::EF_SOD, &image.sod),
    ];
    for max in [231usize, 256] {
        let h = handle(max);
        let mut transport = h.connect();
        let mut link = transport.transaction().unwrap();
        apdu::transmit(link.as_mut(), &Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(CIE_AID))
            .unwrap()
            .ok("SELECT")
            .unwrap();
        for (fid, content) in files {
            let before = h.apdus();
            let read = files::read_file(&mut Plain(link.as_mut()), fid).unwrap();
            let cost = h.apdus() - before;
            assert_eq!(&read, content, "{fid:04X} with read_binary_max {max}");
            // SELECT, then full answers of `max` bytes and a last one ending the file: a
            // partial one with 62 82, or 6B 00 after a file that is a multiple of `max`.
            let reads = content.len() / max + 1;
            assert_eq!(cost as usize, 1 + reads, "{fid:04X} ({} bytes) with read_binary_max {max}", content.len());
        }
    }
}
