//! Why a command failed: the exit code scripts see and the advice people read.
//!
//! Exit codes: 0 ok (for `cie verify`: the document is TOTAL-PASSED), 1 error or, for `cie
//! verify`, TOTAL-FAILED (altered, malformed, modified after signing), 2 usage, 3 wrong PIN or
//! PUK, 4 PIN or PUK blocked, 5 no reader or no card, 6 `cie verify` INDETERMINATE (intact as far
//! as can be told, but not confirmed: no trusted chain, an expired certificate, an unsupported
//! or weak algorithm, no signature at all) and `cie verify-sod` not trusted (EF.SOD intact, its
//! Document Signer issued by no CSCA of the trust set), 7 `cie doctor` found a link with a problem (it printed
//! each with what to do).

use cie_agent::ClientError;
use cie_core::{Credential, Error, TransportError};
use cie_sign::SubIndication;

use crate::i18n::{Msg, Text};

/// A failed command. Its message and advice are catalogue texts ([`Text`]): shown in the
/// user's language, and in English in `--json` output.
#[derive(Debug)]
pub(crate) enum Failure {
    /// From the card or the protocol library.
    Card(Error),
    /// A mistake on the command line or in what was typed (exit 2).
    Usage(Text),
    /// A file could not be read or written (exit 1).
    File(Text),
    /// A document or signature could not be read or made (exit 1).
    Document(Text),
    /// Verification found the document TOTAL-FAILED (exit 1), for the reason the
    /// sub-indication names; the report was printed.
    Invalid(Text, Option<SubIndication>),
    /// Verification found the document INDETERMINATE (exit 6): nothing says it was altered, but
    /// it could not be confirmed; the report was printed.
    Indeterminate(Text, Option<SubIndication>),
    /// The user declined to go on (exit 1); nothing was sent to the card.
    Cancelled(Text),
    /// `cie doctor` found links with a problem (exit 7); it printed each with its advice.
    Diagnosed(Text),
}

impl From<cie_sign::Error> for Failure {
    fn from(e: cie_sign::Error) -> Failure {
        match e {
            cie_sign::Error::Card(e) => Failure::Card(e),
            // The card agent failed under a document's signature (crate::card).
            cie_sign::Error::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<ClientError>()) => {
                match e.into_inner().map(|inner| inner.downcast::<ClientError>()) {
                    Some(Ok(agent)) => Failure::from(*agent),
                    Some(Err(inner)) => document_error(&inner),
                    None => document_error(&"I/O"),
                }
            }
            cie_sign::Error::ContentMismatch(d) => {
                Failure::Document(tr!(ContentDiffersDetail, detail = cie_sign::verdict::shown(&d)))
            }
            other => document_error(&other),
        }
    }
}

/// A document could not be read or made, for reason `e`.
fn document_error(e: &dyn std::fmt::Display) -> Failure {
    // Details may quote the document: shown escapes what a terminal would obey.
    // Parser offsets ("at DER byte 12") tell a person nothing: dropped.
    let detail = cie_sign::reason::without_offsets(&e.to_string());
    Failure::Document(tr!(DocumentError, detail = cie_sign::verdict::shown(&detail)))
}

/// An error through the card agent: the card's own error as it is (the same exit code and
/// message as in-process), or the agent's failure.
impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        match e {
            ClientError::Card(e) => Failure::Card(e),
            other => Failure::File(tr!(AgentSocket, detail = other.to_string())),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Card(e)
    }
}

impl From<TransportError> for Failure {
    fn from(e: TransportError) -> Failure {
        Failure::Card(e.into())
    }
}

/// The message in the user's language.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

/// "PIN" or "PUK": the same word in both languages.
fn credential(c: Credential) -> &'static str {
    match c {
        Credential::Pin => "PIN",
        Credential::Puk => "PUK",
    }
}

impl Failure {
    /// Exit codes, distinct for the cases scripts care about: 1 other (and TOTAL-FAILED), 2
    /// usage, 3 wrong PIN or PUK, 4 PIN or PUK blocked, 5 no reader or no card, 6
    /// INDETERMINATE, 7 `cie doctor` found a problem.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Indeterminate(..) => 6,
            Failure::Diagnosed(_) => 7,
            Failure::File(_) | Failure::Document(_) | Failure::Invalid(..) | Failure::Cancelled(_) => 1,
            Failure::Card(e) => match e {
                Error::WrongCredential { .. } => 3,
                Error::Blocked(_) => 4,
                Error::Transport(
                    TransportError::NoCard
                    | TransportError::ReaderUnavailable(_)
                    | TransportError::ServiceUnavailable(_)
                    | TransportError::CardRemoved,
                ) => 5,
                Error::InvalidCredentialFormat(_) | Error::InvalidArgument(_) => 2,
                _ => 1,
            },
        }
    }

    /// What went wrong. The English texts are those of cie-core's errors; the details the card
    /// or the libraries give (status words, parser messages) stay as they are.
    pub(crate) fn message(&self) -> Text {
        let e = match self {
            Failure::Usage(t)
            | Failure::File(t)
            | Failure::Document(t)
            | Failure::Invalid(t, _)
            | Failure::Indeterminate(t, _)
            | Failure::Cancelled(t)
            | Failure::Diagnosed(t) => return t.clone(),
            Failure::Card(e) => e,
        };
        match e {
            Error::WrongCredential { credential: c, tries_left: Some(n) } => {
                tr!(WrongCredentialTries, credential = credential(*c), tries = *n)
            }
            Error::WrongCredential { credential: c, tries_left: None } => {
                tr!(WrongCredential, credential = credential(*c))
            }
            Error::Blocked(c) => tr!(CredentialBlocked, credential = credential(*c)),
            Error::InvalidCredentialFormat(c) => tr!(CredentialFormat, credential = credential(*c)),
            Error::LoginRequired => tr!(LoginRequired),
            Error::Transport(TransportError::NoCard) => tr!(NoCard),
            Error::Transport(TransportError::ReaderUnavailable(d)) => tr!(ReaderUnavailable, detail = d),
            Error::Transport(TransportError::ServiceUnavailable(d)) => tr!(ServiceUnavailable, detail = d),
            Error::Transport(TransportError::CardRemoved) => tr!(CardRemoved),
            Error::Transport(TransportError::CardReset) => tr!(CardReset),
            Error::Transport(TransportError::Busy) => tr!(CardBusy),
            Error::Transport(TransportError::Other(d)) => tr!(TransportFailure, detail = d),
            Error::NotCie(d) => tr!(NotCie, detail = d),
            Error::PassiveAuthentication(d) => tr!(PassiveAuthentication, detail = d),
            Error::Card { .. }
            | Error::SecureMessaging(_)
            | Error::Malformed(_)
            | Error::DeviceAuthentication(_)
            | Error::CardSignature(_) => tr!(CardAnswer, detail = e.to_string()),
            _ => tr!(OtherFailure, detail = e.to_string()),
        }
    }

    /// What to do next.
    pub(crate) fn advice(&self) -> Text {
        let Failure::Card(e) = self else {
            return match self {
                Failure::Usage(_) => tr!(AdviceUsage),
                Failure::Document(t) if matches!(t.msg(), Msg::ContentDiffers | Msg::ContentDiffersDetail) => {
                    tr!(AdviceContentDiffers)
                }
                Failure::Document(t) if t.msg() == Msg::DocumentUnsupported => tr!(AdviceDocumentUnsupported),
                Failure::Document(_) => tr!(AdviceDocument),
                Failure::Invalid(t, _) | Failure::Indeterminate(t, _) if t.msg() == Msg::VerifySummary => {
                    tr!(AdviceVerifySummary)
                }
                Failure::Indeterminate(t, _) if t.msg() == Msg::SodUntrusted => tr!(AdviceSodUntrusted),
                Failure::Invalid(_, sub) | Failure::Indeterminate(_, sub) => verdict_advice(*sub),
                Failure::Cancelled(_) => tr!(AdviceCancelled),
                Failure::Diagnosed(_) => tr!(AdviceDiagnosed),
                Failure::File(t) if t.msg() == Msg::TrustAnchorsError => tr!(AdviceTrustAnchors),
                Failure::File(t) if matches!(t.msg(), Msg::AgentSocket | Msg::AgentNotRunning) => tr!(AdviceAgent),
                _ => tr!(AdviceFile),
            };
        };
        match e {
            Error::WrongCredential { credential: Credential::Pin, tries_left: Some(1) } => tr!(AdvicePinLastTry),
            Error::WrongCredential { credential: Credential::Pin, .. } => tr!(AdvicePin),
            Error::WrongCredential { credential: Credential::Puk, .. } => tr!(AdvicePuk),
            Error::Blocked(Credential::Pin) => tr!(AdvicePinBlocked),
            Error::Blocked(Credential::Puk) => tr!(AdvicePukBlocked),
            Error::InvalidCredentialFormat(_) => tr!(AdviceFormat),
            Error::LoginRequired => tr!(AdviceLogin),
            Error::Transport(TransportError::NoCard) => tr!(AdviceNoCard),
            Error::Transport(TransportError::ReaderUnavailable(_)) => tr!(AdviceNoReader),
            Error::Transport(TransportError::ServiceUnavailable(_)) => tr!(AdviceService),
            Error::Transport(TransportError::CardRemoved) => tr!(AdviceRemoved),
            Error::Transport(TransportError::CardReset) => tr!(AdviceReset),
            Error::Transport(TransportError::Busy) => tr!(AdviceBusy),
            Error::NotCie(_) => tr!(AdviceNotCie),
            Error::PassiveAuthentication(_) => tr!(AdvicePassive),
            Error::Transport(_) => tr!(AdviceTransport),
            Error::Card { .. } | Error::SecureMessaging(_) | Error::Malformed(_) | Error::DeviceAuthentication(_) => {
                tr!(AdviceCard)
            }
            _ => tr!(AdviceOther),
        }
    }
}

/// A file error with its path (the system's reason stays in English).
pub(crate) fn file_error(path: &std::path::Path, e: std::io::Error) -> Failure {
    Failure::File(tr!(FileError, path = path.display(), detail = e.to_string()))
}

/// What to do about a verification verdict: only a TOTAL-FAILED for a changed content or
/// signature speaks of alteration; an untrusted chain, an expired certificate or an unsupported
/// algorithm say what is missing instead.
pub(crate) fn verdict_advice(sub: Option<SubIndication>) -> Text {
    match sub {
        Some(SubIndication::HashFailure | SubIndication::SigCryptoFailure) => tr!(AdviceAltered),
        Some(SubIndication::ModifiedAfterSigning) => tr!(AdviceModified),
        Some(SubIndication::FormatFailure) => tr!(AdviceMalformed),
        Some(SubIndication::NoCertificateChainFound) => tr!(AdviceNoChain),
        Some(SubIndication::CertificateChainGeneralFailure) => tr!(AdviceChainFailure),
        Some(SubIndication::NoSigningCertificateFound) => tr!(AdviceNoSigningCertificate),
        Some(SubIndication::OutOfBoundsNoPoe | SubIndication::NotYetValid) => tr!(AdviceCertificateTime),
        Some(SubIndication::CryptoConstraintsFailure) => tr!(AdviceUnsupportedAlgorithm),
        Some(SubIndication::CryptoConstraintsFailureNoPoe) => tr!(AdviceWeakAlgorithm),
        Some(SubIndication::SignedDataNotFound) => tr!(AdviceNoSignature),
        _ => tr!(AdviceInvalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn exit_codes() {
        let wrong = Failure::from(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) });
        assert_eq!(wrong.exit_code(), 3);
        assert_eq!(Failure::from(Error::Blocked(Credential::Pin)).exit_code(), 4);
        assert_eq!(Failure::from(TransportError::NoCard).exit_code(), 5);
        assert_eq!(Failure::from(TransportError::ReaderUnavailable("x".into())).exit_code(), 5);
        assert_eq!(Failure::Usage(tr!(SameOutput)).exit_code(), 2);
        assert_eq!(Failure::File(tr!(AdviceFile)).exit_code(), 1);
        assert_eq!(Failure::Invalid(tr!(AdviceFile), Some(SubIndication::HashFailure)).exit_code(), 1);
        let untrusted = Failure::Indeterminate(tr!(AdviceFile), Some(SubIndication::NoCertificateChainFound));
        assert_eq!(untrusted.exit_code(), 6);
        assert_eq!(Failure::from(Error::NotCie("x".into())).exit_code(), 1);
        // A session state error: not a usage error (2), and reported as a bug to report.
        assert_eq!(Failure::from(Error::NoSecureChannel).exit_code(), 1);
        assert!(Failure::from(Error::NoSecureChannel).advice().english().contains("report it"));
        assert!(Failure::from(Error::Blocked(Credential::Pin)).advice().english().contains("cie pin unblock"));
    }

    /// An agent's failure under a document's signature (carried through cie-sign's I/O error)
    /// is reported as raw `cie sign` reports it; a card error through the agent as in-process.
    #[test]
    fn agent_failures_under_a_document_signature() {
        let agent = || ClientError::Io(std::io::ErrorKind::UnexpectedEof.into());
        let direct = Failure::from(agent());
        let wrapped = Failure::from(cie_sign::Error::Io(std::io::Error::other(agent())));
        assert!(matches!(&wrapped, Failure::File(t) if t.msg() == Msg::AgentSocket), "{wrapped:?}");
        assert_eq!(wrapped.to_string(), direct.to_string());
        assert_eq!((wrapped.exit_code(), wrapped.advice().english()), (1, direct.advice().english()));
        let card = ClientError::Card(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(1) });
        let card = Failure::from(cie_sign::Error::Io(std::io::Error::other(card)));
        assert_eq!(card.exit_code(), 3, "{card:?}");
        // Any other I/O error stays a document error.
        let other = Failure::from(cie_sign::Error::Io(std::io::Error::other("disk full")));
        assert!(matches!(&other, Failure::Document(_)) && other.to_string().contains("disk full"), "{other:?}");
    }

    /// Only a changed content or signature is called altered; an untrusted chain, an expired
    /// certificate or an unsupported algorithm are not.
    #[test]
    fn hints_follow_the_sub_indication() {
        let advice = |sub| verdict_advice(Some(sub)).english();
        for sub in [SubIndication::HashFailure, SubIndication::SigCryptoFailure, SubIndication::ModifiedAfterSigning] {
            assert!(advice(sub).contains("changed after"), "{sub}: {}", advice(sub));
        }
        for sub in [
            SubIndication::NoCertificateChainFound,
            SubIndication::CertificateChainGeneralFailure,
            SubIndication::OutOfBoundsNoPoe,
            SubIndication::NotYetValid,
            SubIndication::CryptoConstraintsFailure,
            SubIndication::CryptoConstraintsFailureNoPoe,
            SubIndication::NoSigningCertificateFound,
            SubIndication::SignedDataNotFound,
            SubIndication::FormatFailure,
        ] {
            for lang in Lang::ALL {
                let text = verdict_advice(Some(sub)).render(lang);
                for word in ["altered", "changed after", "alterat", "modificat"] {
                    assert!(!text.contains(word), "{sub} {lang:?}: {text}");
                }
            }
        }
        assert!(advice(SubIndication::NoCertificateChainFound).contains("--ca"));
    }

    /// The English messages are cie-core's own texts, so scripts and tests that read them see
    /// the same words as before the catalogue.
    #[test]
    fn english_messages_are_the_library_texts() {
        let errors = [
            Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) },
            Error::WrongCredential { credential: Credential::Pin, tries_left: Some(1) },
            Error::WrongCredential { credential: Credential::Puk, tries_left: None },
            Error::Blocked(Credential::Pin),
            Error::InvalidCredentialFormat(Credential::Puk),
            Error::LoginRequired,
            TransportError::NoCard.into(),
            TransportError::ReaderUnavailable("r: gone".into()).into(),
            TransportError::ServiceUnavailable("pcscd down".into()).into(),
            TransportError::CardRemoved.into(),
            TransportError::CardReset.into(),
            TransportError::Busy.into(),
            TransportError::Other("x".into()).into(),
            Error::NotCie("x".into()),
            Error::PassiveAuthentication("x".into()),
            Error::malformed("x"),
            Error::NoSecureChannel,
        ];
        for e in errors {
            let text = e.to_string();
            assert_eq!(Failure::from(e).message().english(), text);
        }
    }

    #[test]
    fn italian_messages() {
        let it = |e: Error| Failure::from(e).message().render(Lang::It);
        assert_eq!(
            it(Error::WrongCredential { credential: Credential::Pin, tries_left: Some(2) }),
            "PIN errato: restano 2 tentativi"
        );
        assert_eq!(it(Error::Blocked(Credential::Puk)), "PUK bloccato");
        assert!(Failure::from(Error::Blocked(Credential::Pin)).advice().render(Lang::It).contains("cie pin unblock"));
    }
}
