//! Passive authentication through the agent (`Request::VerifySod`): the same report as
//! `Session::verify_sod` in a process of its own, the chain checked by the client against the
//! CSCAs it trusts; the card number and certificate checked only for a logged-in client, never
//! on another client's login.

mod common;

use cie_core::csca::CscaSet;
use cie_core::pcsc_backend::PcscTransport;
use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sod::{Chain, SodReport};
use cie_sim::fixtures;
use common::start;

fn test_csca() -> CscaSet {
    let mut set = CscaSet::new();
    set.add_der(fixtures::csca_certificate()).unwrap();
    set
}

/// `verify_sod` in a session of this process (the agent's channel is replaced meanwhile).
fn in_process(reader: &str, trust: &CscaSet, pin: bool) -> SodReport {
    let mut s = Session::open(PcscTransport::connect(reader).expect("connect")).expect("open");
    if pin {
        s.verify_pin(&Pin::new(fixtures::TEST_PIN.as_bytes()).unwrap()).expect("PIN");
    }
    s.verify_sod(trust).expect("verify_sod in-process")
}

#[test]
fn the_agents_report_is_the_in_process_report() {
    let running = start();
    let reader = running.stack.reader_name().to_owned();
    // Public data groups: NIS (A1), chip key (A4), EF 1005 (A5), EF.DH (1B).
    let public = [0xA1, 0xA4, 0xA5, 0x1B];
    let mut anonymous = running.client();
    for trust in [test_csca(), CscaSet::italian(), CscaSet::new()] {
        let through = anonymous.verify_sod(None, &trust).expect("verify_sod through the agent");
        let local = in_process(&reader, &trust, false);
        assert_eq!(through, local, "the same report both ways");
        assert_eq!(through.checked, public);
        assert!(through.chip_authenticated, "the anti-clone check ran");
    }
    let trusted = anonymous.verify_sod(None, &test_csca()).unwrap();
    assert!(matches!(&trusted.chain, Chain::Trusted { anchor, .. } if anchor.der() == fixtures::csca_certificate()));
    let foreign = anonymous.verify_sod(None, &CscaSet::italian()).unwrap();
    assert!(matches!(foreign.chain, Chain::Untrusted(_)), "{:?}", foreign.chain);

    // Logged in: the card number (A2) and the certificate (A3) too, as in-process with a PIN.
    let mut holder = running.logged_in_client();
    let through = holder.verify_sod(None, &test_csca()).expect("verify_sod, logged in");
    assert_eq!(through, in_process(&reader, &test_csca(), true));
    let mut checked = through.checked.clone();
    checked.sort_unstable();
    assert_eq!(checked, [0x1B, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5]);

    // Another client's login does not make this one's check read the holder's files.
    let again = anonymous.verify_sod(None, &test_csca()).unwrap();
    assert_eq!(again.checked, public, "no use of another client's login");
    assert_eq!(running.logged_in_count(), 1);
}
