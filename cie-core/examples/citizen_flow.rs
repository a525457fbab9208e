//! The full citizen flow in-process against the simulated CIE, on every card generation:
//! open, PIN, certificate, a SHA-256 signature verified with the certificate's key, and
//! passive authentication of EF.SOD. Prints the APDU exchanges of login and of one signature.
//!
//! `cargo run --release -p cie-core --example citizen_flow`

use std::process::ExitCode;

use cie_core::pin::Pin;
use cie_core::session::Session;
use cie_core::sign::HashAlg;
use cie_core::transport::Counting;
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};

fn run(profile: Profile, sod: SodProfile) -> Result<(u64, u64, u64), Box<dyn std::error::Error>> {
    let card = SimCard::new(profile, fixtures::card_image(sod), SimOptions::default());
    let handle = SimHandle::new(card);
    let transport = Counting::new(handle.connect());
    let counter = transport.counter();
    let mut session = Session::open(transport)?;
    let opened = counter.stats().exchanges;
    if !session.generation().name().eq_ignore_ascii_case(profile.name()) {
        return Err(format!("detected {} instead of {}", session.generation(), profile.name()).into());
    }
    session.verify_pin(&Pin::new(fixtures::TEST_PIN)?)?;
    let login = counter.stats().exchanges - opened;
    let cert = session.certificate()?;
    session.sign(HashAlg::Sha256, b"warm-up")?;
    let before = counter.stats().exchanges;
    let challenge = b"citizen authentication challenge";
    let sig = session.sign(HashAlg::Sha256, challenge)?;
    let sign = counter.stats().exchanges - before;
    cie_core::certificate::verify(&cert, HashAlg::Sha256, challenge, &sig)?;
    let mut trust = cie_core::csca::CscaSet::new();
    trust.add_der(fixtures::csca_certificate())?;
    let report = session.verify_sod(&trust)?;
    if report.checked.len() != 6 || !report.trusted() {
        return Err("EF.SOD did not cover every data group".into());
    }
    Ok((opened, login, sign))
}

fn main() -> ExitCode {
    let mut ok = 0;
    println!("{:<14} {:>6} {:>6} {:>6}  EF.SOD", "generation", "open", "login", "sign");
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        let sod = if i % 2 == 0 { SodProfile::Sha256Pkcs1 } else { SodProfile::Sha512Pss };
        let sod_name = match sod {
            SodProfile::Sha256Pkcs1 => "SHA-256/PKCS#1",
            SodProfile::Sha512Pss => "SHA-512/PSS",
        };
        match run(profile, sod) {
            Ok((open, login, sign)) => {
                ok += 1;
                println!("{:<14} {open:>6} {login:>6} {sign:>6}  {sod_name} ok", profile.name());
            }
            Err(e) => println!("{:<14} FAILED: {e}", profile.name()),
        }
    }
    println!("(APDU exchanges: open = detection and public files, login = DH + DAPP + VERIFY, sign = one signature after login)");
    println!("citizen flow: {ok}/{} card generations ok", Profile::ALL.len());
    if ok == Profile::ALL.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
