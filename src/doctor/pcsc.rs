//! The PC/SC links: pcscd installed, running and reachable by this user; the readers
//! (contactless or contact as their names tell, readers known for trouble named); a CIE on
//! one of them, its generation and ATR; the PIN and PUK tries left (asking spends none).

use std::io::ErrorKind;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use cie_core::pcsc_backend::PcscTransport;
use cie_core::session::PinStatus;
use cie_core::transport::hex;
use cie_core::{Error, Transport, TransportError};
use cie_sign::verdict::shown;

use super::Check;
use crate::card;
use crate::failure::Failure;
use crate::i18n::Text;

/// Where pcsc-lite's clients reach pcscd: `PCSCLITE_CSOCK_NAME`, else the default socket.
fn socket() -> PathBuf {
    std::env::var_os("PCSCLITE_CSOCK_NAME")
        .filter(|s| !s.is_empty())
        .map_or_else(|| PathBuf::from("/run/pcscd/pcscd.comm"), PathBuf::from)
}

/// The pcscd program, if installed.
fn pcscd_program() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"].map(PathBuf::from).into();
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    dirs.into_iter().map(|d| d.join("pcscd")).find(|p| p.is_file())
}

/// How a reader reaches the card, as far as its PC/SC name tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReaderKind {
    Contactless,
    Contact,
    Unknown,
}

/// The kind of a reader from its PC/SC name: dual readers show up as two readers, their
/// contactless interface named `PICC` or `CL`, their contact one `ICC`.
fn reader_kind(name: &str) -> ReaderKind {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let contactless = ["PICC", "CL", "NFC", "CONTACTLESS", "ACR122", "ACR122U", "ACR1252", "ACR1255U", "PN533"];
    if words.iter().any(|w| contactless.contains(w)) || upper.contains("CONTACTLESS") || upper.contains("ACR122") {
        ReaderKind::Contactless
    } else if words.iter().any(|w| ["ICC", "SAM", "CONTACT"].contains(w)) {
        ReaderKind::Contact
    } else {
        ReaderKind::Unknown
    }
}

/// Readers known for trouble with the CIE, by a part of their PC/SC name: `(part, model)`.
const TROUBLESOME: &[(&str, &str)] = &[("ACR122", "ACS ACR122U")];

/// The pcscd, reader, card and PIN checks, in order; after a broken link the ones that depend
/// on it are left out.
pub(super) fn checks(reader: Option<&str>) -> Vec<Check> {
    let mut checks = Vec::new();
    let subject = || tr!(DoctorLinkPcscd);
    let Some(program) = pcscd_program() else {
        checks.push(Check::problem("pcscd", subject(), tr!(DoctorPcscdMissing), tr!(DoctorAdvicePcscdInstall)));
        return checks;
    };
    let socket = socket();
    let path = socket.display();
    // A connection of our own first: it tells a stopped service (no socket, or nobody behind
    // it) from one that refuses this user (it accepts, then closes: polkit).
    if let Err(e) = UnixStream::connect(&socket) {
        let (finding, advice) = match e.kind() {
            ErrorKind::NotFound => (tr!(DoctorPcscdNoSocket, socket = path), tr!(DoctorAdvicePcscdStart)),
            ErrorKind::ConnectionRefused => (tr!(DoctorPcscdStale, socket = path), tr!(DoctorAdvicePcscdStart)),
            ErrorKind::PermissionDenied => (tr!(DoctorPcscdPermission, socket = path), tr!(DoctorAdvicePcscdUser)),
            _ => (tr!(DoctorPcscdUnreachable, socket = path, detail = e.to_string()), tr!(DoctorAdvicePcscdStart)),
        };
        checks.push(Check::problem("pcscd", subject(), finding, advice));
        return checks;
    }
    let readers = match PcscTransport::list_readers() {
        Ok(r) => Ok(r),
        Err(TransportError::ReaderUnavailable(_)) => Err(None),
        // pcscd closes the connection of a client polkit refuses; pcsc-lite's client reads the
        // cut answer as SCARD_W_SECURITY_VIOLATION (the pcsc crate's "security violation") or
        // a lost service.
        Err(e @ (TransportError::ServiceUnavailable(_) | TransportError::Other(_))) if refused(&e) => {
            checks.push(Check::problem(
                "pcscd",
                subject(),
                tr!(DoctorPcscdRefused, socket = path),
                tr!(DoctorAdvicePcscdPolkit),
            ));
            return checks;
        }
        Err(e) => Err(Some(e)),
    };
    checks.push(Check::ok("pcscd", subject(), tr!(DoctorPcscdOk, program = program.display(), socket = path)));
    let readers = match readers {
        Ok(r) => r,
        Err(e) => {
            let finding = e.map_or_else(|| tr!(DoctorReadersNone), |e| Failure::from(e).message());
            checks.push(Check::problem("readers", tr!(DoctorLinkReaders), finding, tr!(DoctorAdviceConnectReader)));
            return checks;
        }
    };
    checks.extend(reader_checks(&readers));
    checks.extend(card_checks(reader));
    checks
}

/// Whether a PC/SC error after a successful connection to the socket means pcscd refused us.
fn refused(e: &TransportError) -> bool {
    match e {
        TransportError::ServiceUnavailable(_) => true,
        TransportError::Other(d) => d.to_ascii_lowercase().contains("security violation"),
        _ => false,
    }
}

/// One check listing the readers with their kinds, and a note per reader known for trouble.
fn reader_checks(readers: &[String]) -> Vec<Check> {
    let described: Vec<String> = readers
        .iter()
        .map(|r| {
            let kind = match reader_kind(r) {
                ReaderKind::Contactless => tr!(DoctorReaderContactless),
                ReaderKind::Contact => tr!(DoctorReaderContact),
                ReaderKind::Unknown => tr!(DoctorReaderKindUnknown),
            };
            format!("{} ({kind})", shown(r))
        })
        .collect();
    let list = described.join("; ");
    let mut checks = Vec::new();
    if readers.iter().all(|r| reader_kind(r) == ReaderKind::Contact) {
        checks.push(Check::problem(
            "readers",
            tr!(DoctorLinkReaders),
            tr!(DoctorReadersContactOnly, readers = list),
            tr!(DoctorAdviceContactless),
        ));
    } else {
        checks.push(Check::ok("readers", tr!(DoctorLinkReaders), tr!(DoctorReadersList, readers = list)));
    }
    for r in readers {
        if let Some((_, model)) = TROUBLESOME.iter().find(|(part, _)| r.contains(part)) {
            checks.push(Check::note(
                "readers",
                tr!(DoctorLinkReader, reader = shown(r)),
                tr!(DoctorReaderTroublesome, model = *model),
                Some(tr!(DoctorAdviceTroublesome)),
            ));
        }
    }
    checks
}

/// The card in `reader` (or the first reader holding a CIE), then its PIN and PUK counters.
fn card_checks(reader: Option<&str>) -> Vec<Check> {
    let subject = || tr!(DoctorLinkCard);
    let mut s = match card::open(reader) {
        Ok(s) => s,
        Err(f) => {
            let advice = match &f {
                Failure::Card(Error::Transport(TransportError::NoCard)) => tr!(DoctorAdviceNoCard),
                Failure::Card(Error::NotCie(_)) => tr!(DoctorAdviceNotCie),
                _ => f.advice(),
            };
            return vec![Check::problem("card", subject(), f.message(), advice)];
        }
    };
    let generation = s.generation();
    let mut checks = vec![Check::ok(
        "card",
        subject(),
        tr!(
            DoctorCardOk,
            generation = generation.name(),
            manufacturer = generation.manufacturer(),
            atr = hex(s.atr()),
            reader = shown(&s.transport().name())
        ),
    )];
    checks.push(tries_check(s.pin_status(), s.puk_status()));
    checks
}

/// What the PIN and PUK counters say.
fn tries_check(pin: Result<PinStatus, Error>, puk: Result<PinStatus, Error>) -> Check {
    let subject = tr!(DoctorLinkPin);
    let (pin, puk) = match (pin, puk) {
        (Ok(pin), Ok(puk)) => (pin, puk),
        (Err(e), _) | (_, Err(e)) => {
            let f = Failure::from(e);
            return Check::problem("pin", subject, tr!(DoctorTriesUnknown, detail = f.message()), f.advice());
        }
    };
    let words = |s: PinStatus| -> Text {
        match s {
            PinStatus::TriesLeft(n) => tr!(DoctorTriesLeft, tries = n),
            PinStatus::Blocked => tr!(DoctorTriesBlocked),
            PinStatus::Verified => tr!(DoctorTriesVerified),
        }
    };
    let finding = tr!(DoctorPinPuk, pin = words(pin), puk = words(puk));
    match (pin, puk) {
        (_, PinStatus::Blocked) => Check::problem("pin", subject, finding, tr!(AdvicePukBlocked)),
        (PinStatus::Blocked, _) => Check::problem("pin", subject, finding, tr!(AdvicePinBlocked)),
        (PinStatus::TriesLeft(n), _) if n < 3 => Check::note("pin", subject, finding, Some(tr!(DoctorAdvicePinLow))),
        (_, PinStatus::TriesLeft(n)) if n < 10 => Check::note("pin", subject, finding, Some(tr!(DoctorAdvicePukLow))),
        _ => Check::ok("pin", subject, finding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn reader_kinds_from_names() {
        assert_eq!(reader_kind("ACS ACR122U PICC Interface 00 00"), ReaderKind::Contactless);
        assert_eq!(reader_kind("ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00"), ReaderKind::Contactless);
        assert_eq!(
            reader_kind("HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422CL Smartcard Reader] 01 00"),
            ReaderKind::Unknown
        );
        assert_eq!(
            reader_kind("Identiv uTrust 3700 F CL Reader [uTrust 3700 F CL Reader] 00 00"),
            ReaderKind::Contactless
        );
        assert_eq!(reader_kind("ACS ACR1252 1S CL Reader [ACR1252 Dual Reader SAM] 00 01"), ReaderKind::Contactless);
        assert_eq!(reader_kind("Gemalto PC Twin Reader (ICC) 00 00"), ReaderKind::Contact);
        assert_eq!(reader_kind("Virtual PCD 00 00"), ReaderKind::Unknown);
    }

    #[test]
    fn the_acr122u_is_named() {
        let checks = reader_checks(&["ACS ACR122U PICC Interface 00 00".to_owned()]);
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].status, Status::Ok);
        assert_eq!(checks[1].status, Status::Note);
        assert!(checks[1].finding.english().contains("ACS ACR122U"), "{:?}", checks[1]);
        let only_contact = reader_checks(&["Gemalto PC Twin Reader (ICC) 00 00".to_owned()]);
        assert_eq!(only_contact[0].status, Status::Problem);
        assert!(only_contact[0].advice.as_ref().unwrap().english().contains("contactless"));
    }

    #[test]
    fn a_refusal_is_told_from_other_failures() {
        assert!(refused(&TransportError::ServiceUnavailable("x".into())));
        let cut = "PC/SC: PC/SC error: Access was denied because of a security violation";
        assert!(refused(&TransportError::Other(cut.into())));
        assert!(!refused(&TransportError::Other("PC/SC: PC/SC error: Internal error".into())));
        assert!(!refused(&TransportError::NoCard));
    }

    #[test]
    fn tries() {
        let t = |pin, puk| tries_check(Ok(pin), Ok(puk));
        let c = t(PinStatus::TriesLeft(3), PinStatus::TriesLeft(10));
        assert_eq!((c.status, c.finding.english().as_str()), (Status::Ok, "PIN 3 tries left, PUK 10 tries left"));
        assert_eq!(t(PinStatus::TriesLeft(2), PinStatus::TriesLeft(10)).status, Status::Note);
        let c = t(PinStatus::Blocked, PinStatus::TriesLeft(10));
        assert!(c.status == Status::Problem && c.advice.unwrap().english().contains("cie pin unblock"));
        let c = t(PinStatus::Blocked, PinStatus::Blocked);
        assert!(c.status == Status::Problem && c.advice.unwrap().english().contains("new one"));
        let e = tries_check(Err(Error::Transport(TransportError::CardRemoved)), Ok(PinStatus::Blocked));
        assert_eq!(e.status, Status::Problem);
    }
}
