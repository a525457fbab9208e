//! The one script of a whole host session (DESIGN.md §3), run by the `host_session` fuzz target
//! against a fuzzed card and by the seed recorder (`cargo xtask fuzz-seeds`, which includes this
//! file by path) against the simulator, so a recorded seed replays the target's exact sequence
//! of commands. It depends on cie-core only.
//!
//! `ops` switches the optional operations on: bit 0 the card binding signature, bit 1 passive
//! authentication, bit 2 the PIN status, bit 3 the serial number, bit 4 a PIN change, bit 5 a
//! PIN unblock.

use cie_core::pin::{Pin, Puk};
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::transport::Transport;

/// The new PIN of the script's PIN change and unblock.
pub const NEW_PIN: &str = "87654321";

/// Runs the script on an open session: the binding signature (optional), passive
/// authentication (optional), PIN verification (DH, DAPP, VERIFY), the PIN status (optional),
/// the certificate, the serial number (optional), two signatures, a PIN change (optional) and
/// an unblock (optional). Every result is ignored: a hostile card may fail any step.
pub fn run<T: Transport>(s: &mut Session<T>, ops: u8, pin: &Pin, puk: &Puk) {
    let Ok(new_pin) = Pin::new(NEW_PIN) else { return };
    if ops & 1 != 0 {
        let _ = s.card_binding_signature();
    }
    if ops & 2 != 0 {
        let _ = s.verify_sod(&cie_core::csca::CscaSet::new());
    }
    let _ = s.verify_pin(pin);
    if ops & 4 != 0 {
        let _ = s.pin_status();
    }
    let _ = s.certificate();
    if ops & 8 != 0 {
        let _ = s.serial();
    }
    let _ = s.sign(HashAlg::Sha256, b"fuzz");
    let _ = s.sign_digest(HashAlg::Sha1, &[0x5A; 20]);
    if ops & 16 != 0 {
        let _ = s.change_pin(pin, &new_pin);
    }
    if ops & 32 != 0 {
        let _ = s.unblock_pin(puk, &new_pin);
    }
}
