//! Verdicts as ETSI EN 319 102-1 §5.1.3 states them: an indication (TOTAL-PASSED, TOTAL-FAILED,
//! INDETERMINATE) with a sub-indication saying why, per signature and per document.
//!
//! Policy: a signature is TOTAL-PASSED only when it is intact, its certificate chains to a trust
//! anchor, every certificate of the chain is valid at the validation time (the current time,
//! until a verified timestamp proves an earlier existence) and its algorithms are accepted.
//! Revocation is checked with the data the signature carries (and, on request, fetched online):
//! a certificate revoked at or before the validation time does not pass (reports say when
//! nothing was checked). A document is TOTAL-PASSED only when every
//! signature is, and (PDF) nothing after the last signed revision is a change the signatures do
//! not permit.

use std::fmt;

use crate::reason::{Language, Reason};

/// The main indication (ETSI EN 319 102-1 §5.1.3, table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Indication {
    /// Intact, trusted, valid at the validation time.
    TotalPassed,
    /// Intact as far as can be told, but something needed to pass is missing or unknowable
    /// (no trusted chain, an unsupported or weak algorithm, a certificate out of its validity
    /// without proof of existence).
    Indeterminate,
    /// Altered, cryptographically wrong, malformed or (PDF) modified after signing.
    TotalFailed,
}

impl Indication {
    /// The ETSI spelling: `TOTAL-PASSED`, `TOTAL-FAILED`, `INDETERMINATE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::TotalFailed => "TOTAL-FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

impl fmt::Display for Indication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature or document did not pass (ETSI EN 319 102-1 §5.1.3, table 5; the last one
/// is this project's own, for PDFs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubIndication {
    /// TOTAL-FAILED: the signature is not in a form that can be checked (malformed CMS,
    /// missing mandatory attribute, a /ByteRange that does not fit).
    FormatFailure,
    /// TOTAL-FAILED: the signed data's digest differs from the signed one.
    HashFailure,
    /// TOTAL-FAILED: the signature value does not verify with the signer's key.
    SigCryptoFailure,
    /// TOTAL-FAILED (PDF, document level): bytes after the last signed revision change what
    /// the signatures cover in ways they do not permit.
    ModifiedAfterSigning,
    /// INDETERMINATE: the signer's certificate is not in the signature, or the
    /// signing-certificate attribute names another one.
    NoSigningCertificateFound,
    /// TOTAL-FAILED: the signer's certificate was revoked, and the signature states it was made
    /// after (its signing-time attribute is at or after the revocation).
    Revoked,
    /// INDETERMINATE: the signer's certificate was revoked at or before the validation time,
    /// and nothing proves the signature was made before the revocation.
    RevokedNoPoe,
    /// INDETERMINATE: a CA certificate of the path was revoked at or before the validation
    /// time, and nothing proves the signature was made before the revocation.
    RevokedCaNoPoe,
    /// INDETERMINATE: no path from the signer's certificate to a trust anchor.
    NoCertificateChainFound,
    /// INDETERMINATE: a certificate of the path is unusable (its signature does not verify,
    /// an issuer that is not a CA, a path too long).
    CertificateChainGeneralFailure,
    /// INDETERMINATE: a certificate of the path is out of its validity at the validation time
    /// and nothing proves the signature existed while it was valid.
    OutOfBoundsNoPoe,
    /// INDETERMINATE: a certificate of the path is not yet valid at the validation time.
    NotYetValid,
    /// INDETERMINATE: an algorithm this verifier does not support.
    CryptoConstraintsFailure,
    /// INDETERMINATE: an algorithm no longer considered secure (SHA-1), with nothing proving
    /// the signature was made before it was retired.
    CryptoConstraintsFailureNoPoe,
    /// INDETERMINATE: the signature is of a kind this verifier does not check (a PDF
    /// /SubFilter other than ETSI.CAdES.detached, adbe.pkcs7.detached and ETSI.RFC3161).
    SigConstraintsFailure,
    /// INDETERMINATE: the document has no signature to check.
    SignedDataNotFound,
}

impl SubIndication {
    /// The indication this sub-indication belongs to.
    pub fn indication(self) -> Indication {
        match self {
            SubIndication::FormatFailure
            | SubIndication::HashFailure
            | SubIndication::SigCryptoFailure
            | SubIndication::ModifiedAfterSigning
            | SubIndication::Revoked => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }

    /// The ETSI spelling (`HASH_FAILURE`, `NO_CERTIFICATE_CHAIN_FOUND`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SubIndication::FormatFailure => "FORMAT_FAILURE",
            SubIndication::HashFailure => "HASH_FAILURE",
            SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            SubIndication::ModifiedAfterSigning => "MODIFIED_AFTER_SIGNING",
            SubIndication::Revoked => "REVOKED",
            SubIndication::RevokedNoPoe => "REVOKED_NO_POE",
            SubIndication::RevokedCaNoPoe => "REVOKED_CA_NO_POE",
            SubIndication::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
            SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            SubIndication::NotYetValid => "NOT_YET_VALID",
            SubIndication::CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
            SubIndication::CryptoConstraintsFailureNoPoe => "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
            SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            SubIndication::SignedDataNotFound => "SIGNED_DATA_NOT_FOUND",
        }
    }
}

impl fmt::Display for SubIndication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason a signature or document did not pass, typed and in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind of reason.
    pub sub: SubIndication,
    /// The reason in English, safe to print ([`shown`] applied): `reason`'s English text.
    pub message: String,
    /// The reason, with its data ([`Problem::text`] tells it in a language).
    pub reason: Box<Reason>,
}

impl Problem {
    /// A problem of kind `sub` for `reason`.
    pub fn new(sub: SubIndication, reason: Reason) -> Problem {
        Problem { sub, message: shown(&reason.text(Language::English)), reason: Box::new(reason) }
    }

    /// The reason in `lang`, safe to print ([`shown`] applied).
    pub fn text(&self, lang: Language) -> String {
        shown(&self.reason.text(lang))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The overall verdict of a list of problems: TOTAL-PASSED when there is none, otherwise the
/// worst indication with the first problem of that indication's sub-indication.
pub fn verdict(problems: &[Problem]) -> (Indication, Option<SubIndication>) {
    let worst = problems.iter().map(|p| p.sub.indication()).max();
    match worst {
        None => (Indication::TotalPassed, None),
        Some(i) => (i, problems.iter().find(|p| p.sub.indication() == i).map(|p| p.sub)),
    }
}

/// `text` made safe to show on a terminal, in a log or in JSON read by people: C0 and C1
/// control characters, DEL, bidirectional overrides and isolates, and the line and paragraph
/// separators are written as `\u{XXXX}` (Unicode TR #9 §2; ECMA-48 for the controls), so a
/// name in a document cannot rewrite the lines around it or reorder what is shown.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{061c}' | '\u{2028}' | '\u{2029}');
        if hidden {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_indication_wins() {
        assert_eq!(verdict(&[]), (Indication::TotalPassed, None));
        let p = [
            Problem::new(SubIndication::NoCertificateChainFound, Reason::NoTrustAnchors),
            Problem::new(SubIndication::HashFailure, Reason::ContentAltered),
            Problem::new(SubIndication::SigCryptoFailure, Reason::SignatureInvalid),
        ];
        assert_eq!(verdict(&p), (Indication::TotalFailed, Some(SubIndication::HashFailure)));
        assert_eq!(verdict(&p[..1]), (Indication::Indeterminate, Some(SubIndication::NoCertificateChainFound)));
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(shown("Mario Rossi"), "Mario Rossi");
        assert_eq!(shown("Nicol\u{f2}"), "Nicol\u{f2}");
        assert_eq!(shown("a\nb"), "a\\u{000a}b");
        assert_eq!(shown("\u{1b}[2J"), "\\u{001b}[2J");
        assert_eq!(shown("x\u{85}y"), "x\\u{0085}y");
        assert_eq!(shown("\u{202e}fdp.exe"), "\\u{202e}fdp.exe");
        assert_eq!(shown("\u{2067}z\u{2069}"), "\\u{2067}z\\u{2069}");
    }
}
