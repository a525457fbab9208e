//! `cie demo`: the citizen authentication flow, step by step, with time and APDU exchanges.

use std::time::Instant;

use cie_core::pin::Pin;
use cie_core::session::PinStatus;
use cie_core::sign::HashAlg;
use cie_core::{Credential, Error, Transport};
use clap::Args;
use rand_core::{OsRng, RngCore};

use super::Run;
use crate::card::{self, CardSession};
use crate::ctx::Ctx;
use crate::failure::Failure;
use crate::holder;
use crate::pin_input::{prompt, read_secret};

/// Run the citizen authentication flow, step by step
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct DemoArgs {}

impl Run for DemoArgs {
    /// Runs the demo against the card in `--reader` (or the first CIE found); no progress
    /// messages: the steps are the output.
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        demo(ctx)
    }
}

/// The time and APDU count of the steps so far.
struct Steps {
    /// When the demo started.
    start: Instant,
    /// When the last step ended.
    last: Instant,
    /// APDU exchanges when the last step ended.
    apdus: u64,
}

impl Steps {
    /// Prints the step just done with its time and APDU exchanges.
    fn done(&mut self, session: &CardSession, what: &str, detail: &str) {
        let now = Instant::now();
        let apdus = session.transport().counter().stats().exchanges;
        println!(
            "  {:<32} {:>8.1} ms {:>4} APDUs  {detail}",
            what,
            (now - self.last).as_secs_f64() * 1000.0,
            apdus - self.apdus
        );
        self.last = now;
        self.apdus = apdus;
    }
}

/// The steps of the demo, each with its time and APDU exchanges.
fn demo(ctx: &Ctx) -> Result<(), Failure> {
    println!("cie demo: citizen authentication with the CIE");
    let start = Instant::now();
    let mut s = card::open(ctx.globals.reader.as_deref())?;
    let mut steps = Steps { start, last: start, apdus: 0 };
    let generation = s.generation();
    let atr = cie_core::transport::hex(s.atr());
    let name = s.transport().name();
    steps.done(&s, "detect the card", &format!("{generation} in \"{name}\", ATR {atr}"));
    println!("  {:<32} {:>8} {:>4}        NIS {}", "read the NIS", "", "", s.nis());

    let tries = s.pin_status()?;
    let tries = match tries {
        PinStatus::Blocked => return Err(Error::Blocked(Credential::Pin).into()),
        PinStatus::TriesLeft(n) => format!("PIN: {}", cie_core::error::tries_text(n)),
        PinStatus::Verified => "PIN already verified".into(),
    };
    steps.done(&s, "open the secure channel", &format!("DH + device authentication; {tries}"));

    let pin = read_secret::<Pin>(ctx.globals.pin_source, &prompt(Credential::Pin, tr!(PromptPin)))?;
    steps.last = Instant::now();
    s.verify_pin(&pin)?;
    drop(pin);
    steps.done(&s, "verify the PIN", "ok");

    let serial = s.serial()?;
    steps.done(&s, "read the card number", &serial);

    let cert = s.certificate()?;
    steps.done(&s, "read the certificate", &format!("{} bytes", cert.len()));

    // The data against EF.SOD; `cie verify-sod` checks the chain to the CSCA.
    let report = s.verify_sod(&cie_core::csca::CscaSet::new())?;
    let groups: Vec<String> = report.checked.iter().map(|g| format!("{g:02X}")).collect();
    let algorithm = format!("{} hashes, {}", cie_core::sod::hash_label(report.digest), report.signature);
    steps.done(&s, "verify EF.SOD", &format!("{algorithm}, data groups {} match", groups.join(" ")));

    let mut challenge = [0u8; 32];
    OsRng.fill_bytes(&mut challenge);
    let signature = s.sign(HashAlg::Sha256, &challenge)?;
    steps.done(&s, "sign a random challenge", &format!("SHA-256, {} bytes", signature.len()));

    cie_core::certificate::verify(&cert, HashAlg::Sha256, &challenge, &signature)?;
    steps.done(&s, "verify the signature", "valid (certificate's public key)");

    let holder = holder::holder(&cert).map_err(Error::Malformed)?;
    let total = steps.start.elapsed().as_secs_f64() * 1000.0;
    let apdus = s.transport().counter().stats();
    println!(
        "  total: {total:.1} ms, {} APDU exchanges, {} bytes sent, {} bytes received",
        apdus.exchanges, apdus.bytes_sent, apdus.bytes_received
    );
    println!("cardholder: {}", holder.name());
    println!("subject: {}", holder.subject);
    println!("demo ok");
    Ok(())
}
