//! The message catalogue: every sentence the citizen-facing commands print, in English and in
//! Italian, from the Project Fluent files `src/i18n/en.ftl` and `src/i18n/it.ftl` embedded in
//! the binary.
//!
//! The language follows the POSIX locale variables, first set and non-empty of `LC_ALL`,
//! `LC_MESSAGES`, `LANG` (POSIX.1-2017 §8.2): `it`, `it_*` or `it-*` is Italian, anything else
//! (`C`, `POSIX`, `en_*`, unset) English. `--json` output and exit codes never depend on it:
//! JSON carries the English text ([`Text::english`]).
//!
//! The code names messages through [`Msg`] only, each with the variables it takes; the unit
//! tests check that both files define exactly the ids of [`Msg`] and format each without error.

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// English, the default.
    En,
    /// Italian.
    It,
}

impl Lang {
    /// Every language, English first.
    #[cfg(test)]
    pub(crate) const ALL: [Lang; 2] = [Lang::En, Lang::It];

    /// The language of a locale name such as `it_IT.UTF-8`, `it`, `en_US` or `C`.
    pub(crate) fn of_locale(locale: &str) -> Lang {
        let language = locale.split(['_', '-', '.', '@']).next().unwrap_or_default();
        if language.eq_ignore_ascii_case("it") {
            Lang::It
        } else {
            Lang::En
        }
    }

    /// The language chosen by the locale variables that `var` reads: the first non-empty of
    /// `LC_ALL`, `LC_MESSAGES` and `LANG` decides.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|name| var(name).filter(|v| !v.is_empty()))
            .map_or(Lang::En, |locale| Lang::of_locale(&locale))
    }

    /// The language of this process's environment (read once).
    pub(crate) fn current() -> Lang {
        static CURRENT: OnceLock<Lang> = OnceLock::new();
        *CURRENT
            .get_or_init(|| Lang::from_vars(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())))
    }

    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("i18n/en.ftl"),
            Lang::It => include_str!("i18n/it.ftl"),
        }
    }
}

macro_rules! messages {
    ($($variant:ident = $id:literal [$($arg:ident),*],)*) => {
        /// A message of the catalogue (its id in the `.ftl` files, and the variables it takes).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Msg {
            $(
                #[doc = concat!("`", $id, "`")]
                $variant,
            )*
        }

        impl Msg {
            /// Every message.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Msg] = &[$(Msg::$variant),*];

            /// The id in the `.ftl` files.
            pub(crate) fn id(self) -> &'static str {
                match self {
                    $(Msg::$variant => $id,)*
                }
            }

            /// The variables the message takes.
            pub(crate) fn variables(self) -> &'static [&'static str] {
                match self {
                    $(Msg::$variant => &[$(stringify!($arg)),*],)*
                }
            }
        }
    };
}

messages! {
    ErrorLine = "error-line" [message],
    HintLine = "hint-line" [hint],
    WrongCredential = "wrong-credential" [credential],
    WrongCredentialTries = "wrong-credential-tries" [credential, tries],
    CredentialBlocked = "credential-blocked" [credential],
    CredentialFormat = "credential-format" [credential],
    LoginRequired = "login-required" [],
    NoCard = "no-card" [],
    ReaderUnavailable = "reader-unavailable" [detail],
    ServiceUnavailable = "service-unavailable" [detail],
    CardRemoved = "card-removed" [],
    CardReset = "card-reset" [],
    CardBusy = "card-busy" [],
    TransportFailure = "transport-failure" [detail],
    NotCie = "not-cie" [detail],
    PassiveAuthentication = "passive-authentication" [detail],
    CardAnswer = "card-answer" [detail],
    OtherFailure = "other-failure" [detail],
    AdviceUsage = "advice-usage" [],
    AdviceDocument = "advice-document" [],
    AdviceInvalid = "advice-invalid" [],
    AdviceAltered = "advice-altered" [],
    AdviceModified = "advice-modified" [],
    AdviceMalformed = "advice-malformed" [],
    AdviceNoChain = "advice-no-chain" [],
    AdviceChainFailure = "advice-chain-failure" [],
    AdviceNoSigningCertificate = "advice-no-signing-certificate" [],
    AdviceCertificateTime = "advice-certificate-time" [],
    AdviceUnsupportedAlgorithm = "advice-unsupported-algorithm" [],
    AdviceWeakAlgorithm = "advice-weak-algorithm" [],
    AdviceNoSignature = "advice-no-signature" [],
    AdviceVerifySummary = "advice-verify-summary" [],
    AdviceContentDiffers = "advice-content-differs" [],
    AdviceTrustAnchors = "advice-trust-anchors" [],
    AdviceDocumentUnsupported = "advice-document-unsupported" [],
    AdviceCancelled = "advice-cancelled" [],
    AdviceFile = "advice-file" [],
    AdvicePinLastTry = "advice-pin-last-try" [],
    AdvicePin = "advice-pin" [],
    AdvicePuk = "advice-puk" [],
    AdvicePinBlocked = "advice-pin-blocked" [],
    AdvicePukBlocked = "advice-puk-blocked" [],
    AdviceFormat = "advice-format" [],
    AdviceLogin = "advice-login" [],
    AdviceNoCard = "advice-no-card" [],
    AdviceNoReader = "advice-no-reader" [],
    AdviceService = "advice-service" [],
    AdviceRemoved = "advice-removed" [],
    AdviceReset = "advice-reset" [],
    AdviceBusy = "advice-busy" [],
    AdviceNotCie = "advice-not-cie" [],
    AdvicePassive = "advice-passive" [],
    AdviceTransport = "advice-transport" [],
    AdviceCard = "advice-card" [],
    AdviceOther = "advice-other" [],
    FileError = "file-error" [path, detail],
    SameOutput = "same-output" [],
    RawWithoutFormat = "raw-without-format" [],
    DerToTerminal = "der-to-terminal" [],
    SignatureToTerminal = "signature-to-terminal" [],
    JsonSignatureStdout = "json-signature-stdout" [],
    NewPinsDiffer = "new-pins-differ" [],
    SecretOnCommandLine = "secret-on-command-line" [option],
    SignNeedsOutput = "sign-needs-output" [],
    StdinTwice = "stdin-twice" [],
    DocumentsNeedFiles = "documents-need-files" [],
    CosignNeedsCades = "cosign-needs-cades" [],
    TimestampNeedsDocument = "timestamp-needs-document" [],
    TimestampNeedsHttp = "timestamp-needs-http" [url],
    ExtractNeedsOutput = "extract-needs-output" [],
    VerifyContentOneFile = "verify-content-one-file" [],
    NoHelpOn = "no-help-on" [topic],
    DocumentError = "document-error" [detail],
    DocumentUnsupported = "document-unsupported" [detail],
    ContentDiffers = "content-differs" [file],
    ContentDiffersDetail = "content-differs-detail" [detail],
    TrustAnchorsError = "trust-anchors-error" [detail],
    PromptSecret = "prompt-secret" [credential],
    PromptPin = "prompt-pin" [],
    PromptCurrentPin = "prompt-current-pin" [],
    PromptPuk = "prompt-puk" [],
    PromptNewPin = "prompt-new-pin" [],
    PromptNewPinAgain = "prompt-new-pin-again" [],
    ConfirmLastTry = "confirm-last-try" [],
    LastTryCancelled = "last-try-cancelled" [],
    NoTerminal = "no-terminal" [],
    CannotReadSecret = "cannot-read-secret" [credential, detail],
    CannotReadSecretStdin = "cannot-read-secret-stdin" [credential, detail],
    StdinEnded = "stdin-ended" [credential],
    CannotAsk = "cannot-ask" [detail],
    Progress = "progress" [step],
    StepConnect = "step-connect" [reader],
    StepSearch = "step-search" [],
    StepLogin = "step-login" [],
    StepPinStatus = "step-pin-status" [],
    StepReadSerial = "step-read-serial" [],
    StepReadCertificate = "step-read-certificate" [],
    StepSignDigest = "step-sign-digest" [hash],
    StepSignDocument = "step-sign-document" [file, format],
    StepChangePin = "step-change-pin" [],
    StepUnblockPin = "step-unblock-pin" [],
    StepReadSod = "step-read-sod" [],
    ProgressLeft = "progress-left" [eta],
    ProgressHashing = "progress-hashing" [file],
    ProgressReading = "progress-reading" [file],
    ProgressVerifying = "progress-verifying" [file],
    ProgressExtracting = "progress-extracting" [file],
    InfoReader = "info-reader" [reader],
    InfoCard = "info-card" [generation, manufacturer],
    InfoAtr = "info-atr" [atr],
    InfoNis = "info-nis" [nis],
    InfoPinBlocked = "info-pin-blocked" [],
    InfoPinTries = "info-pin-tries" [tries],
    InfoPinVerified = "info-pin-verified" [],
    InfoSerial = "info-serial" [serial],
    InfoHolder = "info-holder" [holder],
    InfoSubject = "info-subject" [subject],
    NoName = "no-name" [],
    PinChanged = "pin-changed" [],
    PinUnblocked = "pin-unblocked" [],
    RawSigned = "raw-signed" [file, holder, bytes, hash, output],
    CertificateWritten = "certificate-written" [holder, output, format, bytes],
    DocumentSigned = "document-signed" [file, holder, format, hash, output],
    VerifyHeader = "verify-header" [file, kind, count],
    SignedContentInside = "signed-content-inside" [name],
    SignedContentDetached = "signed-content-detached" [name],
    UnnamedContent = "unnamed-content" [],
    VerifyFileError = "verify-file-error" [file, message],
    VerifySummary = "verify-summary" [count, passed, failed, indeterminate, errors],
    VerifySummaryLine = "verify-summary-line" [summary],
    VerifyNotChecked = "verify-not-checked" [hint],
    VerifyDetachedContent = "verify-detached-content" [file, signature],
    VerifyEmptyDirectory = "verify-empty-directory" [dir],
    VerifyTooDeep = "verify-too-deep" [dir, max],
    VerifyTooManyFiles = "verify-too-many-files" [max],
    SignatureHeading = "signature-heading" [index, verdict],
    SignatureFieldHeading = "signature-field-heading" [index, field, verdict],
    CountersignatureHeading = "countersignature-heading" [index, parent, verdict],
    DocumentTimestampHeading = "document-timestamp-heading" [index, field, verdict],
    VerdictPassed = "verdict-passed" [],
    VerdictFailed = "verdict-failed" [sub],
    VerdictIndeterminate = "verdict-indeterminate" [sub],
    SignerLine = "signer-line" [name],
    FiscalCodeLine = "fiscal-code-line" [code],
    NoFiscalCode = "no-fiscal-code" [],
    SubjectLine = "subject-line" [subject],
    IssuerLine = "issuer-line" [issuer],
    ReasonLine = "reason-line" [text],
    LocationLine = "location-line" [text],
    PdfNameLine = "pdf-name-line" [text],
    SigningTimeLine = "signing-time-line" [time],
    NoTimeLine = "no-time-line" [],
    TimestampProofLine = "timestamp-proof-line" [time, tsa],
    DocumentTimestampProofLine = "document-timestamp-proof-line" [time, tsa],
    TimestampNoProofLine = "timestamp-no-proof-line" [time, tsa, verdict],
    ArchiveTimestampProofLine = "archive-timestamp-proof-line" [time, tsa],
    ArchiveTimestampNoProofLine = "archive-timestamp-no-proof-line" [time, tsa, verdict],
    TimestampProblemLine = "timestamp-problem-line" [problem],
    FormatCadesLine = "format-cades-line" [hash],
    FormatCmsLine = "format-cms-line" [hash],
    AttributesAsReceivedLine = "attributes-as-received-line" [],
    AttributesDerSortedLine = "attributes-der-sorted-line" [],
    EncodingBerLine = "encoding-ber-line" [],
    ChainNotChecked = "chain-not-checked" [],
    ChainTrusted = "chain-trusted" [anchor],
    ChainUntrusted = "chain-untrusted" [reason],
    CoverageWhole = "coverage-whole" [],
    CoverageRevision = "coverage-revision" [],
    NoteLine = "note-line" [note],
    ProblemLine = "problem-line" [problem],
    ChainsNotChecked = "chains-not-checked" [],
    QualifiedYes = "qualified-yes" [service],
    QualifiedNotValid = "qualified-not-valid" [],
    QualifiedNoCa = "qualified-no-ca" [],
    QualifiedNoQc = "qualified-no-qc" [],
    QualifiedNoQscd = "qualified-no-qscd" [],
    QualifiedNotEsign = "qualified-not-esign" [kind],
    TslUsed = "tsl-used" [file, territory, anchors],
    TslRefused = "tsl-refused" [file, territory, reason],
    ModificationLine = "modification-line" [modification],
    ResultPassed = "result-passed" [count],
    ResultNotPassed = "result-not-passed" [indication, sub, reason],
    VerdictError = "verdict-error" [indication, sub, reason],
    ReasonFormat = "reason-format" [],
    ReasonHash = "reason-hash" [],
    ReasonSigCrypto = "reason-sig-crypto" [],
    ReasonModified = "reason-modified" [modifications],
    ModificationItem = "modification-item" [modification],
    ModificationList = "modification-list" [first, next],
    ReasonNoSigningCertificate = "reason-no-signing-certificate" [],
    ReasonNoChain = "reason-no-chain" [],
    ReasonChainFailure = "reason-chain-failure" [],
    ReasonOutOfBounds = "reason-out-of-bounds" [],
    ReasonNotYetValid = "reason-not-yet-valid" [],
    ReasonUnsupportedAlgorithm = "reason-unsupported-algorithm" [],
    ReasonWeakAlgorithm = "reason-weak-algorithm" [],
    ReasonNoSignature = "reason-no-signature" [],
    ReasonRevoked = "reason-revoked" [],
    ReasonRevokedNoPoe = "reason-revoked-no-poe" [],
    ReasonRevokedCaNoPoe = "reason-revoked-ca-no-poe" [],
    ReasonOther = "reason-other" [],
    Extracted = "extracted" [file, bytes, output],
    ExtractedLevel = "extracted-level" [file, bytes, level, output],
    ExtractedBer = "extracted-ber" [file],
    SodValid = "sod-valid" [algorithm, version],
    SodGroup = "sod-group" [group, name],
    GroupNis = "group-nis" [],
    GroupSerial = "group-serial" [],
    GroupCertificate = "group-certificate" [],
    GroupChipKey = "group-chip-key" [],
    GroupServicesKey = "group-services-key" [],
    GroupDh = "group-dh" [],
    GroupOther = "group-other" [],
    SodCscaTrusted = "sod-csca-trusted" [subject],
    SodCscaFingerprint = "sod-csca-fingerprint" [fingerprint, algorithm],
    SodCscaNotChecked = "sod-csca-not-checked" [],
    SodChipAuthenticated = "sod-chip-authenticated" [],
    SodLoginNotChecked = "sod-login-not-checked" [],
    SodNoGroupGiven = "sod-no-group-given" [],
    SodUntrusted = "sod-untrusted" [detail],
    AdviceSodUntrusted = "advice-sod-untrusted" [],
    SodDgNeedsSod = "sod-dg-needs-sod" [],
    SodBadDg = "sod-bad-dg" [value],
    CscaError = "csca-error" [detail],
    PlaceShared = "place-shared" [],
    PlaceFirefox = "place-firefox" [name],
    PlaceSandboxed = "place-sandboxed" [name],
    PlaceServer = "place-server" [],
    BrowserSandboxedUnchanged = "browser-sandboxed-unchanged" [],
    BrowserAlready = "browser-already" [module],
    BrowserRegisteredCreated = "browser-registered-created" [module],
    BrowserRegistered = "browser-registered" [module],
    BrowserReregistered = "browser-reregistered" [module],
    BrowserNotRegistered = "browser-not-registered" [],
    BrowserRemoved = "browser-removed" [],
    BrowserNoDatabase = "browser-no-database" [],
    BrowserRegisteredAs = "browser-registered-as" [name, module],
    BrowserModuleMissing = "browser-module-missing" [],
    BrowserFriendly = "browser-friendly" [],
    BrowserToolFailed = "browser-tool-failed" [detail],
    BrowserNoP11Kit = "browser-no-p11-kit" [],
    BrowserUnitWriteFailed = "browser-unit-write-failed" [detail],
    BrowserUnitRemoveFailed = "browser-unit-remove-failed" [detail],
    BrowserUnitWritten = "browser-unit-written" [],
    BrowserUnitUnchanged = "browser-unit-unchanged" [],
    BrowserUnitStarted = "browser-unit-started" [],
    BrowserUnitNotStarted = "browser-unit-not-started" [unit],
    BrowserUnitSummary = "browser-unit-summary" [written, started, address],
    BrowserServerRemoved = "browser-server-removed" [],
    BrowserServerRemovedStopped = "browser-server-removed-stopped" [],
    BrowserServerRunning = "browser-server-running" [address],
    BrowserServerNotRunning = "browser-server-not-running" [address],
    BrowserCardNotVisible = "browser-card-not-visible" [],
    BrowserCardVisible = "browser-card-visible" [tokens],
    BrowserCardUnknown = "browser-card-unknown" [detail],
    BrowserRestart = "browser-restart" [browsers],
    BrowserAnd = "browser-and" [first, second],
    BrowserFirstUse = "browser-first-use" [],
    BrowserNoModuleFile = "browser-no-module-file" [path],
    BrowserNoModule = "browser-no-module" [],
    BrowserNoHome = "browser-no-home" [],
    StepDoctor = "step-doctor" [],
    AdviceDiagnosed = "advice-diagnosed" [],
    DoctorStatusOk = "doctor-status-ok" [],
    DoctorStatusNote = "doctor-status-note" [],
    DoctorStatusProblem = "doctor-status-problem" [],
    DoctorTodo = "doctor-todo" [advice],
    DoctorAllOk = "doctor-all-ok" [],
    DoctorProblems = "doctor-problems" [count],
    DoctorReportHeader = "doctor-report-header" [],
    DoctorReportWritten = "doctor-report-written" [path],
    DoctorLinkPcscd = "doctor-link-pcscd" [],
    DoctorLinkReaders = "doctor-link-readers" [],
    DoctorLinkReader = "doctor-link-reader" [reader],
    DoctorLinkCard = "doctor-link-card" [],
    DoctorLinkPin = "doctor-link-pin" [],
    DoctorLinkModule = "doctor-link-module" [],
    DoctorLinkP11Kit = "doctor-link-p11-kit" [],
    DoctorLinkBrowsers = "doctor-link-browsers" [],
    DoctorLinkCache = "doctor-link-cache" [],
    DoctorLinkVersions = "doctor-link-versions" [],
    DoctorPlaceNumber = "doctor-place-number" [number],
    DoctorPcscdMissing = "doctor-pcscd-missing" [],
    DoctorAdvicePcscdInstall = "doctor-advice-pcscd-install" [],
    DoctorPcscdNoSocket = "doctor-pcscd-no-socket" [socket],
    DoctorPcscdStale = "doctor-pcscd-stale" [socket],
    DoctorAdvicePcscdStart = "doctor-advice-pcscd-start" [],
    DoctorPcscdPermission = "doctor-pcscd-permission" [socket],
    DoctorAdvicePcscdUser = "doctor-advice-pcscd-user" [],
    DoctorPcscdRefused = "doctor-pcscd-refused" [socket],
    DoctorAdvicePcscdPolkit = "doctor-advice-pcscd-polkit" [],
    DoctorPcscdUnreachable = "doctor-pcscd-unreachable" [socket, detail],
    DoctorPcscdOk = "doctor-pcscd-ok" [program, socket],
    DoctorReadersNone = "doctor-readers-none" [],
    DoctorAdviceConnectReader = "doctor-advice-connect-reader" [],
    DoctorReadersList = "doctor-readers-list" [readers],
    DoctorReadersContactOnly = "doctor-readers-contact-only" [readers],
    DoctorAdviceContactless = "doctor-advice-contactless" [],
    DoctorReaderContactless = "doctor-reader-contactless" [],
    DoctorReaderContact = "doctor-reader-contact" [],
    DoctorReaderKindUnknown = "doctor-reader-kind-unknown" [],
    DoctorReaderTroublesome = "doctor-reader-troublesome" [model],
    DoctorAdviceTroublesome = "doctor-advice-troublesome" [],
    DoctorCardOk = "doctor-card-ok" [generation, manufacturer, atr, reader],
    DoctorAdviceNoCard = "doctor-advice-no-card" [],
    DoctorAdviceNotCie = "doctor-advice-not-cie" [],
    DoctorPinPuk = "doctor-pin-puk" [pin, puk],
    DoctorTriesLeft = "doctor-tries-left" [tries],
    DoctorTriesBlocked = "doctor-tries-blocked" [],
    DoctorTriesVerified = "doctor-tries-verified" [],
    DoctorTriesUnknown = "doctor-tries-unknown" [detail],
    DoctorAdvicePinLow = "doctor-advice-pin-low" [],
    DoctorAdvicePukLow = "doctor-advice-puk-low" [],
    DoctorModuleMissing = "doctor-module-missing" [],
    DoctorAdviceInstallPackage = "doctor-advice-install-package" [],
    DoctorModuleBroken = "doctor-module-broken" [path, detail],
    DoctorModuleOk = "doctor-module-ok" [path, description, version, cryptoki],
    DoctorP11KitRegistered = "doctor-p11-kit-registered" [file],
    DoctorP11KitNotRegistered = "doctor-p11-kit-not-registered" [],
    DoctorAdviceP11Kit = "doctor-advice-p11-kit" [],
    DoctorDbMissing = "doctor-db-missing" [dir],
    DoctorAdviceBrowserSetup = "doctor-advice-browser-setup" [],
    DoctorAdviceBrowserSetupRestart = "doctor-advice-browser-setup-restart" [browsers],
    DoctorDbNotRegistered = "doctor-db-not-registered" [],
    DoctorDbTwice = "doctor-db-twice" [count],
    DoctorDbFriendly = "doctor-db-friendly" [module],
    DoctorDbStale = "doctor-db-stale" [module],
    DoctorDbStartedBefore = "doctor-db-started-before" [browsers],
    DoctorAdviceRestart = "doctor-advice-restart" [browsers],
    DoctorDbOtherCopy = "doctor-db-other-copy" [module],
    DoctorDbOk = "doctor-db-ok" [module],
    DoctorDbSandboxed = "doctor-db-sandboxed" [],
    DoctorAdviceSandboxed = "doctor-advice-sandboxed" [],
    DoctorDbSandboxedServed = "doctor-db-sandboxed-served" [address],
    DoctorCacheOff = "doctor-cache-off" [],
    DoctorCacheEmpty = "doctor-cache-empty" [dir],
    DoctorCacheOk = "doctor-cache-ok" [dir, certificates, cards],
    DoctorCacheNotPrivate = "doctor-cache-not-private" [dir],
    DoctorAdviceCache = "doctor-advice-cache" [dir],
    DoctorVersions = "doctor-versions" [cie, module, pcsc, system],
    AgentListening = "agent-listening" [path],
    AgentSocket = "agent-socket" [detail],
    AgentNotRunning = "agent-not-running" [],
    AgentStopped = "agent-stopped" [],
    AgentStatus = "agent-status" [pid, socket, clients, idle, timeout],
    AgentCard = "agent-card" [reader, nis, clients],
    AgentCardClosed = "agent-card-closed" [reader],
    AdviceAgent = "advice-agent" [],
    AgentInstalled = "agent-installed" [dir],
}

/// A value for a message's variable: a number (plural forms are chosen by it), a string, or
/// another message (rendered in the same language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// A number.
    Num(i64),
    /// A string, shown as it is.
    Str(String),
    /// A message of the catalogue.
    Text(Box<Text>),
    /// A reason cie-sign gives, told in the language ([`cie_sign::Reason::text`]) and escaped.
    Reason(Box<cie_sign::Reason>),
    /// A change after signing cie-sign found, told in the language and escaped.
    Modification(Box<cie_sign::Modification>),
}

impl From<&cie_sign::Modification> for Arg {
    fn from(m: &cie_sign::Modification) -> Arg {
        Arg::Modification(Box::new(m.clone()))
    }
}

impl From<&cie_sign::Reason> for Arg {
    fn from(r: &cie_sign::Reason) -> Arg {
        Arg::Reason(Box::new(r.clone()))
    }
}

impl Lang {
    /// The language cie-sign tells its reasons in.
    pub(crate) fn of_reasons(self) -> cie_sign::Language {
        match self {
            Lang::En => cie_sign::Language::English,
            Lang::It => cie_sign::Language::Italian,
        }
    }
}

impl From<Text> for Arg {
    fn from(t: Text) -> Arg {
        Arg::Text(Box::new(t))
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}

impl From<std::path::Display<'_>> for Arg {
    fn from(p: std::path::Display<'_>) -> Arg {
        Arg::Str(p.to_string())
    }
}

impl From<u8> for Arg {
    fn from(n: u8) -> Arg {
        Arg::Num(n.into())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A message with its variables' values, to be rendered in a language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    msg: Msg,
    args: Vec<(&'static str, Arg)>,
}

impl Text {
    /// The message `msg` with `args` (debug builds check they are the message's variables).
    pub(crate) fn new(msg: Msg, args: Vec<(&'static str, Arg)>) -> Text {
        debug_assert!(
            args.len() == msg.variables().len() && args.iter().all(|(name, _)| msg.variables().contains(name)),
            "{} takes {:?}",
            msg.id(),
            msg.variables()
        );
        Text { msg, args }
    }

    /// Which message.
    pub(crate) fn msg(&self) -> Msg {
        self.msg
    }

    /// The text in `lang`.
    pub(crate) fn render(&self, lang: Lang) -> String {
        format(lang, self.msg, &self.args).0
    }

    /// The text in English, as `--json` output carries it.
    pub(crate) fn english(&self) -> String {
        self.render(Lang::En)
    }
}

/// In the language of the environment ([`Lang::current`]).
impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::current()))
    }
}

/// A [`Text`]: `tr!(Msg)` or `tr!(Msg, name = value, ...)`, each value convertible to [`Arg`].
macro_rules! tr {
    ($msg:ident $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Text::new(
            $crate::i18n::Msg::$msg,
            vec![$((stringify!($name), $crate::i18n::Arg::from($value))),*],
        )
    };
}

/// The catalogue of one language: parsed once, Unicode isolation marks off (they would show
/// as stray characters in a terminal).
fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; 2] = [OnceLock::new(), OnceLock::new()];
    BUNDLES[lang as usize].get_or_init(|| {
        let langid: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![langid]);
        bundle.set_use_isolating(false);
        // The unit tests check that both files parse whole; a broken entry is skipped.
        let resource = FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
        let _ = bundle.add_resource(resource);
        bundle
    })
}

/// Formats `msg` in `lang`; also returns the number of formatting errors (missing variable,
/// unknown reference). A message missing from the catalogue shows as its id.
fn format(lang: Lang, msg: Msg, args: &[(&'static str, Arg)]) -> (String, usize) {
    let bundle = bundle(lang);
    let Some(pattern) = bundle.get_message(msg.id()).and_then(|m| m.value()) else {
        return (msg.id().to_owned(), 1);
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let value = match value {
            Arg::Num(n) => FluentValue::from(*n),
            Arg::Str(s) => FluentValue::String(Cow::Borrowed(s.as_str())),
            Arg::Text(t) => FluentValue::String(Cow::Owned(t.render(lang))),
            Arg::Reason(r) => FluentValue::String(Cow::Owned(cie_sign::verdict::shown(&r.text(lang.of_reasons())))),
            Arg::Modification(m) => {
                FluentValue::String(Cow::Owned(cie_sign::verdict::shown(&m.text(lang.of_reasons()))))
            }
        };
        fluent_args.set(*name, value);
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned();
    (text, errors.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast::Entry;

    /// The ids a catalogue file defines: messages, and terms (`-name`, shared text that only
    /// messages use); panics on a syntax error.
    fn ids(lang: Lang) -> (Vec<String>, Vec<String>) {
        let resource = match FluentResource::try_new(lang.source().to_owned()) {
            Ok(r) => r,
            Err((_, errors)) => panic!("{}.ftl does not parse: {errors:?}", lang.tag()),
        };
        let (mut messages, mut terms) = (Vec::new(), Vec::new());
        for entry in resource.entries() {
            match entry {
                Entry::Message(m) => messages.push(m.id.name.to_owned()),
                Entry::Term(t) => terms.push(t.id.name.to_owned()),
                _ => {}
            }
        }
        messages.sort();
        terms.sort();
        (messages, terms)
    }

    #[test]
    fn catalogues_parse_and_define_the_same_ids_as_msg() {
        let mut expected: Vec<String> = Msg::ALL.iter().map(|m| m.id().to_owned()).collect();
        expected.sort();
        let before = expected.len();
        expected.dedup();
        assert_eq!(before, expected.len(), "an id is listed twice in Msg");
        for lang in Lang::ALL {
            assert_eq!(ids(lang).0, expected, "{}.ftl", lang.tag());
        }
        assert_eq!(ids(Lang::En).1, ids(Lang::It).1, "the same terms");
    }

    #[test]
    fn every_message_formats_with_its_variables() {
        for lang in Lang::ALL {
            for &msg in Msg::ALL {
                let args: Vec<(&'static str, Arg)> = msg.variables().iter().map(|v| (*v, Arg::Num(2))).collect();
                let (text, errors) = format(lang, msg, &args);
                assert_eq!(errors, 0, "{}.ftl: {} -> {text:?}", lang.tag(), msg.id());
                assert!(!text.trim().is_empty(), "{}.ftl: {} is empty", lang.tag(), msg.id());
                // No bidi isolation marks around placeables.
                assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text:?}");
            }
        }
    }

    #[test]
    fn a_variable_the_message_does_not_declare_is_an_error() {
        // A misspelt variable in a catalogue would be reported this way by the test above.
        let (_, errors) = format(Lang::En, Msg::NoHelpOn, &[]);
        assert_eq!(errors, 1);
    }

    #[test]
    fn plural_forms() {
        let wrong = |lang, n: u8| tr!(WrongCredentialTries, credential = "PIN", tries = n).render(lang);
        assert_eq!(wrong(Lang::En, 2), "wrong PIN: 2 tries left");
        assert_eq!(wrong(Lang::En, 1), "wrong PIN: 1 try left");
        assert_eq!(wrong(Lang::It, 2), "PIN errato: restano 2 tentativi");
        assert_eq!(wrong(Lang::It, 1), "PIN errato: resta 1 tentativo");
        assert_eq!(tr!(PinChanged).english(), "PIN changed");
        assert_eq!(tr!(PromptPin).render(Lang::It), "PIN della CIE (8 cifre): ");
    }

    #[test]
    fn language_from_the_locale_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LANG", "it_IT.UTF-8")])), Lang::It);
        assert_eq!(Lang::from_vars(env(&[("LANG", "it")])), Lang::It);
        assert_eq!(Lang::from_vars(env(&[("LANG", "it-CH")])), Lang::It);
        assert_eq!(Lang::from_vars(env(&[("LANG", "C")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LANG", "POSIX")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LANG", "en_GB.UTF-8")])), Lang::En);
        // "italic" is not Italian: only the language part counts.
        assert_eq!(Lang::from_vars(env(&[("LANG", "italic")])), Lang::En);
        // LC_ALL, then LC_MESSAGES, then LANG; an empty variable counts as unset.
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", "C"), ("LANG", "it_IT.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", "it_IT.UTF-8"), ("LANG", "C")])), Lang::It);
        assert_eq!(Lang::from_vars(env(&[("LC_MESSAGES", "it_IT"), ("LANG", "en_US")])), Lang::It);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", ""), ("LC_MESSAGES", "C"), ("LANG", "it_IT")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "it_IT")])), Lang::It);
    }
}
