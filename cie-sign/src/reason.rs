//! Why a signature did not pass, and what was noticed about it, as typed reasons with the
//! data each needs (names, dates, algorithms, counts), told in English and in Italian.
//!
//! Every problem ([`crate::verdict::Problem`]) and every note of a report is a [`Reason`], so a
//! program can tell reasons apart without reading sentences, and every user of the library (the
//! `cie` command, the C ABI) shows the same words in the person's language. Texts name causes
//! in words: algorithms by their names ("MD5"), never by an object identifier unless nothing
//! names it, and then labelled ("unknown digest algorithm 1.2.3.4"). Data quoted from the
//! document is kept as found; whoever prints a text escapes it ([`crate::verdict::shown`]).
//! The Italian follows the terms of Italian signature software and AgID (firma, firmatario,
//! marca temporale, certificato scaduto, revocato, non attendibile...).

use std::fmt;

/// A language the reasons are told in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    English,
    /// Italian.
    Italian,
}

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 2] = [Language::English, Language::Italian];

    /// The language of a tag or locale name: `it`, `it_IT.UTF-8`, `it-IT` are Italian,
    /// anything else English.
    pub fn of_tag(tag: &str) -> Language {
        let language = tag.split(['_', '-', '.', '@']).next().unwrap_or_default();
        if language.eq_ignore_ascii_case("it") {
            Language::Italian
        } else {
            Language::English
        }
    }
}

/// The usual name of a digest algorithm ("SHA-256").
pub fn hash_name(h: cie_core::sign::HashAlg) -> &'static str {
    use cie_core::sign::HashAlg;
    match h {
        HashAlg::Sha1 => "SHA-1",
        HashAlg::Sha224 => "SHA-224",
        HashAlg::Sha256 => "SHA-256",
        HashAlg::Sha384 => "SHA-384",
        HashAlg::Sha512 => "SHA-512",
        HashAlg::Sha3_256 => "SHA3-256",
        HashAlg::Sha3_384 => "SHA3-384",
        HashAlg::Sha3_512 => "SHA3-512",
    }
}

/// An algorithm a reason names, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// A digest algorithm by name ("MD5", "RIPEMD-160", "SHA-256").
    Digest(&'static str),
    /// An RSA PKCS#1 v1.5 signature with this digest ("MD5").
    RsaWith(&'static str),
    /// A signature algorithm by name ("DSA", "Ed448").
    Signature(&'static str),
    /// A digest algorithm this verifier does not know: its identifier.
    UnknownDigest(String),
    /// A signature algorithm this verifier does not know: its identifier.
    UnknownSignature(String),
    /// ECDSA on a curve this verifier does not know: the curve's identifier.
    UnknownCurve(String),
    /// RSASSA-PSS with a mask generation function other than MGF1: its identifier.
    PssMaskGeneration(String),
    /// RSASSA-PSS whose MGF1 hash (first) differs from the message hash (second).
    PssMixedHashes(&'static str, &'static str),
    /// Ed25519 over the content itself (no signed attributes).
    Ed25519WithoutAttributes,
    /// A curve's name ("P-256") given where a signature algorithm belongs.
    CurveAsSignature(&'static str),
}

impl Algorithm {
    /// The algorithm in words, in `lang`.
    pub fn text(&self, lang: Language) -> String {
        use Language::{English as En, Italian as It};
        match (self, lang) {
            (Algorithm::Digest(n), En) => format!("digest algorithm {n}"),
            (Algorithm::Digest(n), It) => format!("algoritmo di hash {n}"),
            (Algorithm::RsaWith(h), En) => format!("signature algorithm RSA with {h}"),
            (Algorithm::RsaWith(h), It) => format!("algoritmo di firma RSA con {h}"),
            (Algorithm::Signature(n), En) => format!("signature algorithm {n}"),
            (Algorithm::Signature(n), It) => format!("algoritmo di firma {n}"),
            (Algorithm::UnknownDigest(oid), En) => format!("unknown digest algorithm {oid}"),
            (Algorithm::UnknownDigest(oid), It) => format!("algoritmo di hash sconosciuto {oid}"),
            (Algorithm::UnknownSignature(oid), En) => format!("unknown signature algorithm {oid}"),
            (Algorithm::UnknownSignature(oid), It) => format!("algoritmo di firma sconosciuto {oid}"),
            (Algorithm::UnknownCurve(oid), En) => format!("ECDSA on an unknown curve {oid}"),
            (Algorithm::UnknownCurve(oid), It) => format!("ECDSA su una curva sconosciuta {oid}"),
            (Algorithm::PssMaskGeneration(oid), En) => {
                format!("RSASSA-PSS with an unknown mask generation function {oid}")
            }
            (Algorithm::PssMaskGeneration(oid), It) => {
                format!("RSASSA-PSS con una funzione di generazione della maschera sconosciuta {oid}")
            }
            (Algorithm::PssMixedHashes(mgf, hash), En) => {
                format!("RSASSA-PSS with MGF1 over {mgf} while the message is hashed with {hash}")
            }
            (Algorithm::PssMixedHashes(mgf, hash), It) => {
                format!("RSASSA-PSS con MGF1 su {mgf} mentre il messaggio è sottoposto a hash con {hash}")
            }
            (Algorithm::Ed25519WithoutAttributes, En) => {
                "Ed25519 without signed attributes (the content signed directly)".into()
            }
            (Algorithm::CurveAsSignature(c), En) => {
                format!("the curve {c} given where a signature algorithm belongs")
            }
            (Algorithm::CurveAsSignature(c), It) => format!("la curva {c} indicata al posto di un algoritmo di firma"),
            (Algorithm::Ed25519WithoutAttributes, It) => {
                "Ed25519 senza attributi firmati (contenuto firmato direttamente)".into()
            }
        }
    }
}

/// Why a signature could not be checked with its algorithm (as opposed to checked and found
/// wrong).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlgorithmProblem {
    /// A weak algorithm (MD5, MD2, RIPEMD-160).
    Weak(Algorithm),
    /// An algorithm or curve this verifier does not implement.
    Unsupported(Algorithm),
    /// The public key cannot be loaded (malformed, wrong size, not a point of its curve); the
    /// technical detail, in English.
    Key(String),
    /// The algorithm identifier is malformed or does not match the key; the technical detail,
    /// in English.
    Format(String),
    /// The signature algorithm hashes with one digest (first), the digest algorithm names
    /// another (second).
    HashMismatch(&'static str, &'static str),
}

impl AlgorithmProblem {
    /// The problem in words, in `lang`.
    pub fn text(&self, lang: Language) -> String {
        use Language::{English as En, Italian as It};
        match (self, lang) {
            (AlgorithmProblem::Weak(a), En) => format!("weak algorithm: {} (too weak), refused", a.text(lang)),
            (AlgorithmProblem::Weak(a), It) => {
                format!("algoritmo debole: {} (troppo debole), rifiutato", a.text(lang))
            }
            (AlgorithmProblem::Unsupported(a), En) => format!("unsupported algorithm: {}", a.text(lang)),
            (AlgorithmProblem::Unsupported(a), It) => format!("algoritmo non supportato: {}", a.text(lang)),
            (AlgorithmProblem::Key(d), En) => format!("the public key cannot be loaded ({d})"),
            (AlgorithmProblem::Key(d), It) => format!("la chiave pubblica non può essere caricata ({d})"),
            (AlgorithmProblem::Format(d), En) => format!("malformed signature algorithm ({d})"),
            (AlgorithmProblem::Format(d), It) => format!("algoritmo di firma malformato ({d})"),
            (AlgorithmProblem::HashMismatch(signature, digest), En) => format!(
                "inconsistent algorithms: the signature algorithm hashes with {signature}, the digest algorithm is \
                 {digest}"
            ),
            (AlgorithmProblem::HashMismatch(signature, digest), It) => format!(
                "algoritmi incoerenti: l'algoritmo di firma usa l'hash {signature}, l'algoritmo di hash indicato è \
                 {digest}"
            ),
        }
    }
}

/// Which certificate of a path a reason is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateRole {
    /// The signer's (or the TSA's) own certificate.
    Signer,
    /// A CA certificate between it and the anchor.
    Ca,
    /// The trust anchor.
    Anchor,
    /// A timestamping authority's own certificate.
    Tsa,
    /// A CA certificate of a timestamping authority's chain.
    TsaCa,
}

impl CertificateRole {
    fn text(self, lang: Language) -> &'static str {
        match (self, lang) {
            (CertificateRole::Signer, Language::English) => "the signer's certificate",
            (CertificateRole::Signer, Language::Italian) => "il certificato del firmatario",
            (CertificateRole::Ca, Language::English) => "the CA certificate",
            (CertificateRole::Ca, Language::Italian) => "il certificato della CA",
            (CertificateRole::Anchor, Language::English) => "the trust anchor",
            (CertificateRole::Anchor, Language::Italian) => "il certificato della CA attendibile",
            (CertificateRole::Tsa, Language::English) => "the TSA's certificate",
            (CertificateRole::Tsa, Language::Italian) => "il certificato della TSA (autorità di marcatura temporale)",
            (CertificateRole::TsaCa, Language::English) => "the CA certificate of the TSA",
            (CertificateRole::TsaCa, Language::Italian) => "il certificato della CA della TSA",
        }
    }
}

/// What is wrong with a CAdES archive time-stamp v3's hash index (ETSI EN 319 122-1 §5.5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashIndexProblem {
    /// The token carries no ats-hash-index(-v3).
    Absent,
    /// The index cannot be read.
    Malformed,
    /// The index lists more entries than this verifier reads.
    TooLong,
    /// The index hashes with an algorithm this verifier does not know (its identifier).
    UnknownHash(String),
    /// This many certificates it archived are no longer in the signature.
    CertificatesGone(usize),
    /// This many CRLs or OCSP responses it archived are no longer in the signature.
    RevocationGone(usize),
    /// This many unsigned attributes it archived are no longer in the signature.
    AttributesGone(usize),
}

impl HashIndexProblem {
    /// What follows "the archive timestamp's hash index".
    fn text(&self, lang: Language) -> String {
        let it = lang == Language::Italian;
        let gone = |n: &usize, en: &str, itw: &str| {
            if it {
                format!("non corrisponde alla firma: {n} {itw} archiviati non sono più nella firma")
            } else {
                format!("does not match the signature: {n} {en} it archived are no longer in the signature")
            }
        };
        match self {
            HashIndexProblem::Absent if it => "manca (nessun ats-hash-index)".into(),
            HashIndexProblem::Absent => "is absent (no ats-hash-index)".into(),
            HashIndexProblem::Malformed if it => "è malformato".into(),
            HashIndexProblem::Malformed => "is malformed".into(),
            HashIndexProblem::TooLong if it => "è troppo lungo".into(),
            HashIndexProblem::TooLong => "is too long".into(),
            HashIndexProblem::UnknownHash(oid) if it => format!("usa un algoritmo di hash sconosciuto {oid}"),
            HashIndexProblem::UnknownHash(oid) => format!("uses an unknown hash algorithm {oid}"),
            HashIndexProblem::CertificatesGone(n) => gone(n, "certificate(s)", "certificati"),
            HashIndexProblem::RevocationGone(n) => gone(n, "CRL(s) or OCSP response(s)", "CRL o risposte OCSP"),
            HashIndexProblem::AttributesGone(n) => gone(n, "unsigned attribute(s)", "attributi non firmati"),
        }
    }
}

/// Why a trusted list (ETSI TS 119 612) is not used; details from the XML reader in English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListProblem {
    /// Not well-formed XML the reader accepts (a DTD, an entity, bad syntax ...).
    Xml(String),
    /// A limit on its size or its counts was exceeded.
    Limit(String),
    /// Not a trusted list, or a required field missing or malformed.
    Format(String),
    /// It carries no signature where an enveloped one must be.
    NotSigned(String),
    /// Its signature is malformed or uses what this verifier does not follow.
    SignatureUnchecked(String),
    /// A reference's digest does not match: the list was changed after it was signed.
    Altered(String),
    /// The signature does not verify with the expected signing certificates (the certificate
    /// the signature names, if any).
    WrongSigner(Option<String>),
    /// Its NextUpdate (as written) has passed.
    Expired(String),
    /// No signing certificate was given for it, nor named by a list of lists.
    NoSigner,
}

impl ListProblem {
    /// The problem in words, in `lang`.
    pub fn text(&self, lang: Language) -> String {
        use Language::{English as En, Italian as It};
        match (self, lang) {
            (ListProblem::Xml(w), En) => format!("not readable XML: {w}"),
            (ListProblem::Xml(w), It) => format!("XML non leggibile ({w})"),
            (ListProblem::Limit(w), En) => format!("limit exceeded: {w}"),
            (ListProblem::Limit(w), It) => format!("limite superato ({w})"),
            (ListProblem::Format(w), En) => format!("not a trusted list: {w}"),
            (ListProblem::Format(w), It) => format!("non è una lista di fiducia ({w})"),
            (ListProblem::NotSigned(w), En) => format!("the list is not signed: {w}"),
            (ListProblem::NotSigned(w), It) => format!("la lista non è firmata ({w})"),
            (ListProblem::SignatureUnchecked(w), En) => format!("the list's signature cannot be checked: {w}"),
            (ListProblem::SignatureUnchecked(w), It) => format!("la firma della lista non può essere verificata ({w})"),
            (ListProblem::Altered(w), En) => format!("the list was changed after it was signed: {w}"),
            (ListProblem::Altered(w), It) => format!("la lista è stata modificata dopo la firma ({w})"),
            (ListProblem::WrongSigner(Some(s)), En) => {
                format!("the list's signature does not verify with the expected signing certificate (it names \"{s}\")")
            }
            (ListProblem::WrongSigner(Some(s)), It) => {
                format!("la firma della lista non risulta valida con il certificato di firma atteso (indica \"{s}\")")
            }
            (ListProblem::WrongSigner(None), En) => {
                "the list's signature does not verify with the expected signing certificate".into()
            }
            (ListProblem::WrongSigner(None), It) => {
                "la firma della lista non risulta valida con il certificato di firma atteso".into()
            }
            (ListProblem::Expired(when), En) => format!("its next update was due on {when}: the list is out of date"),
            (ListProblem::Expired(when), It) => {
                format!("il suo aggiornamento era previsto per il {when}: la lista non è aggiornata")
            }
            (ListProblem::NoSigner, En) => {
                "no signing certificate is given for it, nor named by a list of lists".into()
            }
            (ListProblem::NoSigner, It) => {
                "non è indicato alcun certificato di firma per la lista, né da una lista delle liste".into()
            }
        }
    }
}

/// A piece of revocation data a reason names: a CRL or an OCSP response, who issued it, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationSource {
    /// An OCSP response (otherwise a CRL).
    pub ocsp: bool,
    /// Who issued it (the CRL's issuer, the responder), empty if unknown.
    pub issuer: String,
    /// Its thisUpdate.
    pub this_update: Option<der::DateTime>,
    /// Fetched online (`--online`), not carried by the signature.
    pub online: bool,
}

impl RevocationSource {
    fn text(&self, lang: Language) -> String {
        let it = lang == Language::Italian;
        let mut s = match (self.ocsp, it) {
            (true, false) => "the OCSP response".to_owned(),
            (true, true) => "la risposta OCSP".to_owned(),
            (false, false) => "the CRL".to_owned(),
            (false, true) => "la CRL".to_owned(),
        };
        if !self.issuer.is_empty() {
            s += &if it { format!(" di \"{}\"", self.issuer) } else { format!(" of \"{}\"", self.issuer) };
        }
        if let Some(t) = self.this_update {
            s += &if it { format!(" del {t}") } else { format!(" of {t}") };
        }
        if self.online {
            s += if it { " (scaricata in linea)" } else { " (fetched online)" };
        }
        s
    }
}

/// A CRL reason code (RFC 5280 §5.3.1) in `lang`, from its English words.
fn crl_reason(words: &str, lang: Language) -> &str {
    if lang == Language::English {
        return words;
    }
    match words {
        "unspecified" => "non specificato",
        "key compromise" => "chiave compromessa",
        "CA compromise" => "CA compromessa",
        "affiliation changed" => "cambio di affiliazione",
        "superseded" => "sostituito",
        "cessation of operation" => "cessazione dell'attività",
        "certificate on hold" => "certificato sospeso",
        "removed from the CRL" => "rimosso dalla CRL",
        "privilege withdrawn" => "privilegio revocato",
        "attribute authority compromise" => "autorità di attributo compromessa",
        other => other,
    }
}

/// Why a piece of revocation data could not be used, in `lang`, from the English the CRL and
/// OCSP checks give (`crl.rs`, `ocsp.rs`, `revocation_check.rs`); a detail with data of its
/// own (a parser's message) keeps its English after the words that introduce it.
fn unverifiable(detail: &str, lang: Language) -> String {
    let detail = without_offsets(detail);
    if lang == Language::English {
        return detail;
    }
    let fixed = match detail.as_str() {
        "the CRL cannot be read" => "la CRL non è leggibile",
        "the CRL's signature is malformed" => "la firma della CRL è malformata",
        "its signature does not verify with the issuer's key" => {
            "la sua firma non è valida con la chiave dell'emittente"
        }
        "its signature does not verify" => "la sua firma non è valida",
        "a delta CRL, which does not list every revocation" => "è una CRL delta, che non elenca tutte le revoche",
        "an indirect CRL (entries of other issuers), not supported" => {
            "è una CRL indiretta (voci di altri emittenti), non supportata"
        }
        "the response cannot be read" => "la risposta non è leggibile",
        "its signature is malformed" => "la sua firma è malformata",
        "its signature does not verify with the responder's certificate" => {
            "la sua firma non è valida con il certificato del servizio OCSP"
        }
        "its signature verifies with the responder's certificate, but the issuer's certificate is not available \
         to tell whether that responder may answer for it" => {
            "la sua firma è valida con il certificato del servizio OCSP, ma il certificato dell'emittente non è \
             disponibile per sapere se quel servizio può rispondere per esso"
        }
        "its responder is neither the certificate's issuer nor a responder the issuer authorised \
         (id-kp-OCSPSigning)" => {
            "il servizio che risponde non è né l'emittente del certificato né un servizio autorizzato \
             dall'emittente (OCSP Signing)"
        }
        "the responder's certificate was not valid when the response was produced" => {
            "il certificato del servizio OCSP non era valido quando la risposta è stata prodotta"
        }
        "it is dated in the future (its thisUpdate is after now)" => {
            "è datata nel futuro (il suo thisUpdate è successivo all'ora attuale)"
        }
        _ => {
            let pairs = [
                ("unreadable CRL: ", "CRL illeggibile: "),
                ("unreadable OCSP response: ", "risposta OCSP illeggibile: "),
                ("its signature cannot be checked: ", "la sua firma non può essere verificata: "),
                ("an unknown critical extension ", "un'estensione critica sconosciuta "),
            ];
            return pairs
                .iter()
                .find_map(|(en, it)| detail.strip_prefix(en).map(|rest| format!("{it}{rest}")))
                .unwrap_or(detail);
        }
    };
    fixed.to_owned()
}

/// One reason a signature did not pass, or one observation about it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    // The signer and the signed attributes (verify.rs).
    /// The signer's certificate is not in the signature.
    SignerCertificateMissing,
    /// The signature cannot be checked with its algorithm or key.
    Algorithm(AlgorithmProblem),
    /// The digest algorithm is given as an RSA signature algorithm with this hash.
    DigestGivenAsSignatureAlgorithm(&'static str),
    /// The content-type attribute names another content type.
    ContentTypeMismatch,
    /// The content-type signed attribute is missing.
    ContentTypeMissing,
    /// A countersignature carries a content-type attribute.
    ContentTypeInCountersignature,
    /// A signed attribute (by name) has several values or appears twice.
    AttributeNotSingle(String),
    /// The content's digest differs from the signed one: the content was altered.
    ContentAltered,
    /// The message-digest attribute is malformed.
    MessageDigestMalformed,
    /// The message-digest signed attribute is missing.
    MessageDigestMissing,
    /// The signing-time attribute is malformed.
    SigningTimeMalformed,
    /// The signing-certificate(-v2) attribute (`v2`) is empty.
    SigningCertificateEmpty {
        /// signing-certificate-v2 (otherwise signing-certificate).
        v2: bool,
    },
    /// The signing-certificate(-v2) attribute names another certificate.
    SigningCertificateOther {
        /// signing-certificate-v2 (otherwise signing-certificate).
        v2: bool,
    },
    /// The signing-certificate(-v2) attribute names another serial number.
    SigningCertificateOtherSerial {
        /// signing-certificate-v2 (otherwise signing-certificate).
        v2: bool,
    },
    /// The signing-certificate(-v2) attribute cannot be read.
    SigningCertificateMalformed {
        /// signing-certificate-v2 (otherwise signing-certificate).
        v2: bool,
    },
    /// The signing-certificate-v2 attribute hashes with an algorithm not supported.
    SigningCertificateHash(Algorithm),
    /// Note: no signed attributes (plain PKCS#7).
    NoSignedAttributes,
    /// Note: no signing-certificate(-v2) attribute (CMS, not CAdES-BES).
    NotCades,
    /// Note: the signed attributes verified only once sorted in DER order.
    AttributesVerifiedSorted,
    /// The signature value does not verify with the signer's certificate.
    SignatureInvalid,
    /// The signature uses SHA-1 and nothing proves it older than 2011.
    Sha1Signature,
    /// A signature timestamp is broken, for this cause.
    TimestampBroken(Box<Reason>),
    /// The trusted list's service of the signer's issuer was not usable at the validation time
    /// (withdrawn, or no status yet: `status` is `None`).
    ServiceNotUsable {
        /// The service's name.
        service: String,
        /// Its provider.
        provider: String,
        /// The list's territory.
        territory: String,
        /// Its status at that time (the last part of the status URI), if it had one.
        status: Option<String>,
    },
    /// A trusted list is not used, for this reason.
    TrustedList(ListProblem),
    /// A CAdES archive time-stamp does not match what it covers, for this cause.
    ArchiveTimestampBroken(Box<Reason>),
    /// An archive time-stamp this verifier cannot check where it is (a countersignature's, a
    /// PDF signature's).
    ArchiveTimestampNotChecked,
    /// An archive time-stamp v3's hash index: a problem, or a note when it lists what is gone.
    ArchiveHashIndex(HashIndexProblem),
    /// A signed attribute that must be single is written more than once (RFC 5652 §11).
    SignedAttributeRepeated(String),
    /// Note: a signed attribute is written several times, identical copies.
    SignedAttributeCopies {
        /// The attribute's name.
        name: String,
        /// How many times it is written.
        copies: usize,
    },
    /// Note: revocation was not checked (a TSA's own signature).
    RevocationNotChecked,
    /// A countersignature cannot be read (technical detail, in English).
    CountersignatureUnreadable(String),
    // Timestamps (timestamp.rs, verify.rs).
    /// The timestamp token cannot be read (technical detail, in English).
    TimestampUnreadable(String),
    /// The token's content is not a TSTInfo.
    TimestampNotTstInfo,
    /// The token carries no TSTInfo.
    TimestampWithoutTstInfo,
    /// The TSTInfo is malformed (technical detail, in English).
    TstInfoMalformed(String),
    /// A timestamp with this many signers (it must have one).
    TimestampSigners(usize),
    /// The timestamp hashes with an algorithm not supported.
    TimestampHash(Algorithm),
    /// The timestamp's imprint differs from the time-stamped data.
    TimestampImprintMismatch,
    /// The timestamp's certificate has no extended key usage.
    TsaWithoutKeyUsage,
    /// The TSA certificate's extended key usage is malformed.
    TsaKeyUsageMalformed,
    /// The timestamp's certificate is not for timestamping only.
    TsaNotTimestampingOnly,
    // The certificate path (chain.rs).
    /// The signature of the certificate `subject` by `issuer` does not verify.
    CertificateSignatureInvalid {
        /// The certificate.
        subject: String,
        /// Its issuer.
        issuer: String,
    },
    /// The signature on the certificate `subject` cannot be checked.
    CertificateSignatureUnchecked {
        /// The certificate.
        subject: String,
        /// Why.
        cause: AlgorithmProblem,
    },
    /// The certificate `subject` is signed with SHA-1.
    CertificateSha1(String),
    /// The issuer `subject` is not a CA certificate.
    NotCa(String),
    /// The certificate chain is too long.
    ChainTooLong,
    /// The self-signed certificate `subject` does not verify.
    SelfSignedInvalid(String),
    /// No trust anchor is configured.
    NoTrustAnchors,
    /// The self-signed certificate `subject` is not a trust anchor.
    SelfSignedUntrusted(String),
    /// The issuer (by name) is not among the trust anchors.
    IssuerUntrusted(String),
    /// A certificate expired on `date`.
    Expired {
        /// Which certificate of the path.
        role: CertificateRole,
        /// Its subject.
        subject: String,
        /// Its notAfter.
        date: String,
        /// Checked at a time a timestamp proves (otherwise at the current time).
        proven: bool,
    },
    /// A certificate is not valid before `date`.
    NotYetValid {
        /// Which certificate of the path.
        role: CertificateRole,
        /// Its subject.
        subject: String,
        /// Its notBefore.
        date: String,
    },
    // PDF signatures (pades.rs, pdf/diff.rs).
    /// The signature dictionary is not in the revision its /ByteRange covers.
    SignatureDictionaryOutsideRevision,
    /// /Contents is not a timestamp token (technical detail, in English).
    ContentsNotTimestamp(String),
    /// A /SubFilter (quoted) this verifier does not check.
    SubFilterNotChecked(String),
    /// The CMS signature is malformed (technical detail, in English).
    CmsMalformed(String),
    /// /Contents is not a CMS SignedData.
    ContentsNotSignedData,
    /// /Contents is not a CMS signature (technical detail, in English).
    ContentsNotCms(String),
    /// A PDF signature's CMS carries content.
    PdfSignatureWithContent,
    /// ETSI.CAdES.detached without signing-certificate-v2.
    PadesWithoutSigningCertificate,
    /// Note: incremental updates follow this signature.
    ExtendedAfterSignature,
    /// The signed bytes do not end a revision.
    SignedBytesNotRevision,
    /// The signed revision cannot be read (technical detail, in English).
    RevisionUnreadable(String),
    /// Note: the signed revision's cross-reference table was rebuilt.
    CrossReferenceRebuiltSigned,
    /// Note: a later update's cross-reference table was rebuilt.
    CrossReferenceRebuiltLater,
    /// Note: bytes that are not a revision follow the last signed revision.
    TrailingBytes,
    /// The signature has no valid /ByteRange.
    NoByteRange,
    /// The /ByteRange goes past the end of the file.
    ByteRangeOutsideFile,
    /// The /ByteRange is another signature's.
    ByteRangeOfAnother,
    /// The /ByteRange's gap is not exactly this signature's /Contents.
    ByteRangeGap,
    /// Note: the XMP metadata was changed after signing.
    MetadataChanged,
    /// Note: the document information dictionary was changed after signing.
    InfoChanged,
    /// Note: a visible signature field was added to this page after the signature.
    VisibleSignatureFieldAdded(usize),
    // Envelopes inside envelopes (nested.rs).
    /// Note: the content is larger than this many MiB and was not searched for signatures.
    InnerTooLarge(u64),
    /// Note: the PDF inside could not be searched (technical detail, in English).
    InnerPdfUnreadable(String),
    /// The envelope inside cannot be verified (technical detail, in English).
    InnerEnvelopeUnreadable(String),
    // Revocation (revocation_check.rs).
    /// Note: revocation data in the signature cannot be used (technical detail, in English).
    RevocationDataUnusable(String),
    /// Note: only the first this many CRLs and OCSP responses were read.
    RevocationItemsCut(usize),
    /// Note: revocation was not checked, the signer's issuer certificate is missing.
    RevocationNoIssuer,
    /// Note: the online revocation check failed (technical detail, in English).
    OnlineCheckFailed(String),
    /// Note: the revocation of a TSA's certificate was not checked: no data for it.
    TsaRevocationNoData,
    /// Note: revocation was not checked, no data for the signer (`online`: it was asked).
    RevocationNoData {
        /// `--online` was given.
        online: bool,
    },
    /// Note: revocation data says the certificate `subject` is good.
    RevocationGood {
        /// The certificate.
        subject: String,
        /// The data.
        source: Box<RevocationSource>,
    },
    /// Note: the responder does not know the certificate `subject`.
    RevocationUnknown {
        /// The certificate.
        subject: String,
        /// The data.
        source: Box<RevocationSource>,
    },
    /// Note: revocation data about `subject` cannot be verified (technical detail, in English).
    RevocationUnverifiable {
        /// The certificate.
        subject: String,
        /// The data.
        source: Box<RevocationSource>,
        /// Why.
        detail: String,
    },
    /// A certificate was revoked (a problem), or (`after_proof`, a note) revoked after the time
    /// a timestamp proves.
    Revoked {
        /// Which certificate.
        role: CertificateRole,
        /// Its subject.
        subject: String,
        /// When it was revoked.
        time: der::DateTime,
        /// The CRL reason, in English words ([`crate::evidence`]).
        reason: Option<&'static str>,
        /// The data saying so.
        source: Box<RevocationSource>,
        /// How it weighs on the signature.
        weight: Revocation,
    },
}

/// How a revocation weighs on the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// Before the signing time the signer states (TOTAL-FAILED, REVOKED).
    BeforeClaimedTime(der::DateTime),
    /// Before the validation time (`proven`: a time a timestamp proves, otherwise now), with
    /// nothing proving the signature older.
    BeforeValidation {
        /// The validation time is proven by a timestamp.
        proven: bool,
    },
    /// After the time a timestamp proves: the signature was made before (a note).
    AfterProof,
    /// A TSA's certificate revoked at or before its timestamp's time: the timestamp is not
    /// trusted.
    BeforeTimestamp,
    /// A TSA's certificate revoked after its timestamp's time (a note).
    AfterTimestamp,
    /// Only told (a note on the data, no weighing).
    Told,
}

/// `text` without what a parser appends about where it stopped (" at DER byte 12"): an offset
/// tells a person nothing. For every technical detail shown to people (errors too).
pub fn without_offsets(text: &str) -> String {
    const AT: &str = " at DER byte ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        rest = rest[i + AT.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// A technical detail as shown ([`without_offsets`]).
fn detail(text: &str) -> String {
    without_offsets(text)
}

impl Reason {
    /// The reason in words, in `lang` (data quoted from the document as found: escape it with
    /// [`crate::verdict::shown`] before printing).
    pub fn text(&self, lang: Language) -> String {
        match lang {
            Language::English => self.english(),
            Language::Italian => self.italian(),
        }
    }

    fn english(&self) -> String {
        let en = Language::English;
        let sc = |v2: &bool| if *v2 { "signing-certificate-v2" } else { "signing-certificate" };
        match self {
            Reason::SignerCertificateMissing => "the signer's certificate is not included in the signature".into(),
            Reason::Algorithm(p) => p.text(en),
            Reason::DigestGivenAsSignatureAlgorithm(h) => format!(
                "the digest algorithm is given as RSA with {h}, a signature algorithm: the signature does not say \
                 which digest it signs"
            ),
            Reason::ContentTypeMismatch => "the content-type attribute does not match the content".into(),
            Reason::ContentTypeMissing => "the content-type signed attribute is missing".into(),
            Reason::ContentTypeInCountersignature => "a countersignature must not have a content-type attribute".into(),
            Reason::AttributeNotSingle(a) => format!("the signed attribute {a} must have exactly one value"),
            Reason::ContentAltered => {
                "the content was modified after signing: its digest differs from the signed one".into()
            }
            Reason::MessageDigestMalformed => "the message-digest attribute is malformed".into(),
            Reason::MessageDigestMissing => "the message-digest signed attribute is missing".into(),
            Reason::SigningTimeMalformed => "the signing-time attribute is malformed".into(),
            Reason::SigningCertificateEmpty { v2 } => format!("the {} attribute is empty", sc(v2)),
            Reason::SigningCertificateOther { v2 } => {
                format!("the {} attribute names another certificate (hash differs)", sc(v2))
            }
            Reason::SigningCertificateOtherSerial { v2 } => {
                format!("the {} attribute names another serial number", sc(v2))
            }
            Reason::SigningCertificateMalformed { v2 } => format!("the {} attribute is malformed", sc(v2)),
            Reason::SigningCertificateHash(a) => {
                format!("the signing-certificate-v2 attribute uses an unsupported {}", a.text(en))
            }
            Reason::NoSignedAttributes => "no signed attributes: a plain PKCS#7 signature, not CAdES".into(),
            Reason::NotCades => "no signing-certificate(-v2) attribute: a CMS signature, not CAdES-BES".into(),
            Reason::AttributesVerifiedSorted => {
                "the signed attributes verified only once re-encoded in DER order, not as they are in the file".into()
            }
            Reason::SignatureInvalid => "the signature does not verify with the signer's certificate".into(),
            Reason::Sha1Signature => "weak algorithm: SHA-1 is no longer accepted for signatures made after \
                                      2011-01-01, and nothing proves this one is older"
                .into(),
            Reason::TimestampBroken(cause) => format!("the signature timestamp is broken: {}", cause.english()),
            Reason::ArchiveTimestampBroken(cause) => {
                format!("the archive timestamp does not match: {}", cause.english())
            }
            Reason::ArchiveTimestampNotChecked => "the archive timestamp could not be checked here".into(),
            Reason::TrustedList(p) => p.text(Language::English),
            Reason::ServiceNotUsable { service, provider, territory, status: Some(st) } => format!(
                "the trusted list's service \"{service}\" of \"{provider}\" ({territory}) was not usable at the \
                 validation time: its status was \"{st}\""
            ),
            Reason::ServiceNotUsable { service, provider, territory, status: None } => format!(
                "the trusted list's service \"{service}\" of \"{provider}\" ({territory}) had no status yet at the \
                 validation time"
            ),
            Reason::ArchiveHashIndex(p) => format!("the archive timestamp's hash index {}", p.text(Language::English)),
            Reason::SignedAttributeRepeated(a) => {
                format!("the {a} signed attribute is written more than once; it must be single (RFC 5652 §11)")
            }
            Reason::SignedAttributeCopies { name, copies } => format!(
                "the signed attribute {name} is written {copies} times (identical copies): read once; the signature \
                 covers them as written"
            ),
            Reason::RevocationNotChecked => "revocation was not checked".into(),
            Reason::CountersignatureUnreadable(d) => format!("the countersignature cannot be read ({})", detail(d)),
            Reason::TimestampUnreadable(d) => format!("the timestamp cannot be read ({})", detail(d)),
            Reason::TimestampNotTstInfo => "the timestamp's content is not a TSTInfo".into(),
            Reason::TimestampWithoutTstInfo => "the timestamp carries no TSTInfo".into(),
            Reason::TstInfoMalformed(d) => format!("the timestamp's TSTInfo is malformed ({})", detail(d)),
            Reason::TimestampSigners(n) => format!("a timestamp has one signer, this one {n}"),
            Reason::TimestampHash(a) => format!("the timestamp uses an unsupported {}", a.text(en)),
            Reason::TimestampImprintMismatch => {
                "the timestamp does not match what it should time-stamp (its imprint differs)".into()
            }
            Reason::TsaWithoutKeyUsage => {
                "the timestamp's certificate has no extended key usage: it is not a TSA certificate".into()
            }
            Reason::TsaKeyUsageMalformed => "the TSA certificate's extended key usage is malformed".into(),
            Reason::TsaNotTimestampingOnly => {
                "the timestamp's certificate is not for timestamping only (RFC 3161 §2.3)".into()
            }
            Reason::CertificateSignatureInvalid { subject, issuer } => {
                format!("the signature of \"{subject}\" by \"{issuer}\" does not verify")
            }
            Reason::CertificateSignatureUnchecked { subject, cause } => {
                format!("the signature on the certificate \"{subject}\" cannot be checked: {}", cause.text(en))
            }
            Reason::CertificateSha1(s) => format!(
                "weak algorithm: the certificate \"{s}\" is signed with SHA-1, no longer accepted for signatures \
                 made after 2011-01-01"
            ),
            Reason::NotCa(s) => format!("\"{s}\" is not a CA certificate"),
            Reason::ChainTooLong => "the certificate chain is too long".into(),
            Reason::SelfSignedInvalid(s) => format!("the self-signed certificate \"{s}\" does not verify"),
            Reason::NoTrustAnchors => {
                "no trust anchor is configured: the signer's identity is not confirmed by a trusted authority".into()
            }
            Reason::SelfSignedUntrusted(s) => {
                format!("the self-signed certificate \"{s}\" is not trusted: it is not a trust anchor")
            }
            Reason::IssuerUntrusted(i) => {
                format!("no path to a trusted CA: the issuer \"{i}\" is not among the trusted CAs")
            }
            Reason::Expired { role, subject, date, proven: true } => format!(
                "certificate expired: {} \"{subject}\" expired on {date}, before the time the signature timestamp \
                 proves",
                role.text(en)
            ),
            Reason::Expired { role, subject, date, proven: false } => format!(
                "certificate expired: {} \"{subject}\" expired on {date} (checked at the current time: no \
                 timestamp proves the signature was made before)",
                role.text(en)
            ),
            Reason::NotYetValid { role, subject, date } => {
                format!("certificate not yet valid: {} \"{subject}\" is not valid before {date}", role.text(en))
            }
            Reason::SignatureDictionaryOutsideRevision => {
                "the signature dictionary is not in the revision its /ByteRange covers: the file was modified".into()
            }
            Reason::ContentsNotTimestamp(d) => format!("/Contents is not a timestamp token ({})", detail(d)),
            Reason::SubFilterNotChecked(s) => format!("SubFilter /{s} is not checked by this verifier"),
            Reason::CmsMalformed(d) => format!("the CMS signature is malformed ({})", detail(d)),
            Reason::ContentsNotSignedData => "/Contents is not a CMS SignedData".into(),
            Reason::ContentsNotCms(d) => format!("/Contents is not a CMS signature ({})", detail(d)),
            Reason::PdfSignatureWithContent => "the CMS carries content: a PDF signature must be detached".into(),
            Reason::PadesWithoutSigningCertificate => {
                "ETSI.CAdES.detached without signing-certificate-v2 (ETSI EN 319 142-1 §6.3)".into()
            }
            Reason::ExtendedAfterSignature => {
                "the document was extended after this signature by incremental updates".into()
            }
            Reason::SignedBytesNotRevision => "the signed bytes do not end a revision of the document".into(),
            Reason::RevisionUnreadable(d) => {
                format!("the revision this signature covers cannot be read ({})", detail(d))
            }
            Reason::CrossReferenceRebuiltSigned => "the cross-reference table of the signed revision is damaged: it \
                                                    was rebuilt from the objects the signature covers, as PDF \
                                                    viewers do"
                .into(),
            Reason::CrossReferenceRebuiltLater => "the cross-reference table of an update after this signature is \
                                                   damaged: it was rebuilt from the objects in the file, as PDF \
                                                   viewers do, and the changes compared on it"
                .into(),
            Reason::TrailingBytes => "bytes that are not a revision follow the last signed revision".into(),
            Reason::NoByteRange => "the signature has no valid /ByteRange".into(),
            Reason::ByteRangeOutsideFile => {
                "the /ByteRange does not fit the file: the file was truncated or modified".into()
            }
            Reason::ByteRangeOfAnother => "the /ByteRange is another signature's: it does not leave out this \
                                           signature's /Contents (the file was modified)"
                .into(),
            Reason::ByteRangeGap => "the /ByteRange does not leave out exactly the /Contents of its signature \
                                     dictionary: the file was modified"
                .into(),
            Reason::MetadataChanged => "the XMP metadata (/Metadata) was changed after signing".into(),
            Reason::InfoChanged => "the document information dictionary (/Info) was changed after signing".into(),
            Reason::VisibleSignatureFieldAdded(page) => format!(
                "a visible signature field was added to page {page} after this signature: what it shows is not \
                 covered by this signature"
            ),
            Reason::InnerTooLarge(mib) => {
                format!("the content is larger than {mib} MiB: it was not searched for signatures of its own")
            }
            Reason::InnerPdfUnreadable(d) => {
                format!("the PDF inside could not be searched for signatures ({})", detail(d))
            }
            Reason::InnerEnvelopeUnreadable(d) => format!("the envelope inside cannot be verified ({})", detail(d)),
            Reason::RevocationDataUnusable(d) => {
                format!("revocation data in the signature cannot be used ({})", detail(d))
            }
            Reason::RevocationItemsCut(n) => format!("only the first {n} CRLs and OCSP responses were read"),
            Reason::RevocationNoIssuer => {
                "revocation was not checked: the issuer's certificate of the signer is not available".into()
            }
            Reason::OnlineCheckFailed(d) => format!("online revocation check failed ({})", detail(d)),
            Reason::TsaRevocationNoData => {
                "revocation of the TSA's certificate was not checked: no revocation data for it".into()
            }
            Reason::RevocationNoData { online: true } => {
                "revocation was not checked: no revocation data for the signer's certificate".into()
            }
            Reason::RevocationNoData { online: false } => {
                "revocation was not checked: the signature carries no revocation data for the signer's certificate \
                 (cie verify --online asks its OCSP responder or CRL distribution point)"
                    .into()
            }
            Reason::RevocationGood { subject, source } => {
                format!("revocation: \"{subject}\" is good per {}", source.text(en))
            }
            Reason::RevocationUnknown { subject, source } => {
                format!("revocation: \"{subject}\" is unknown to the responder per {}", source.text(en))
            }
            Reason::RevocationUnverifiable { subject, source, detail: d } => format!(
                "revocation data about \"{subject}\" cannot be verified and was not used ({}): {}",
                source.text(en),
                detail(d)
            ),
            Reason::Revoked { role, subject, time, reason, source, weight } => {
                let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                let whose = if *weight == Revocation::Told { String::new() } else { format!("{} ", role.text(en)) };
                let head = format!("{whose}\"{subject}\" was revoked on {time}{why} per {}", source.text(en));
                match weight {
                    Revocation::BeforeClaimedTime(c) => {
                        format!("{head}, before the signing time the signature states ({c})")
                    }
                    Revocation::BeforeValidation { proven } => format!(
                        "{head}, before {}, and nothing proves the signature was made before",
                        if *proven { "the time the signature timestamp proves" } else { "now" }
                    ),
                    Revocation::AfterProof => {
                        format!("{head}, after the time the signature timestamp proves: the signature was made before")
                    }
                    Revocation::BeforeTimestamp => {
                        format!("{head}, at or before the time of the timestamp: the timestamp is not trusted")
                    }
                    Revocation::AfterTimestamp => format!("{head}, after the time of the timestamp"),
                    Revocation::Told => format!("revocation: {head}"),
                }
            }
        }
    }

    fn italian(&self) -> String {
        let it = Language::Italian;
        let sc = |v2: &bool| if *v2 { "signing-certificate-v2" } else { "signing-certificate" };
        match self {
            Reason::SignerCertificateMissing => "il certificato del firmatario non è incluso nella firma".into(),
            Reason::Algorithm(p) => p.text(it),
            Reason::DigestGivenAsSignatureAlgorithm(h) => format!(
                "l'algoritmo di hash è indicato come RSA con {h}, che è un algoritmo di firma: la firma non dice \
                 quale impronta firma"
            ),
            Reason::ContentTypeMismatch => "l'attributo content-type non corrisponde al contenuto".into(),
            Reason::ContentTypeMissing => "manca l'attributo firmato content-type".into(),
            Reason::ContentTypeInCountersignature => "una controfirma non deve avere l'attributo content-type".into(),
            Reason::AttributeNotSingle(a) => format!("l'attributo firmato {a} deve avere un solo valore"),
            Reason::ContentAltered => "documento modificato dopo la firma: la sua impronta non corrisponde a quella \
                                       firmata"
                .into(),
            Reason::MessageDigestMalformed => "l'attributo message-digest è malformato".into(),
            Reason::MessageDigestMissing => "manca l'attributo firmato message-digest".into(),
            Reason::SigningTimeMalformed => "l'attributo signing-time (data di firma) è malformato".into(),
            Reason::SigningCertificateEmpty { v2 } => format!("l'attributo {} è vuoto", sc(v2)),
            Reason::SigningCertificateOther { v2 } => {
                format!("l'attributo {} indica un altro certificato (l'impronta è diversa)", sc(v2))
            }
            Reason::SigningCertificateOtherSerial { v2 } => {
                format!("l'attributo {} indica un altro numero di serie", sc(v2))
            }
            Reason::SigningCertificateMalformed { v2 } => format!("l'attributo {} è malformato", sc(v2)),
            Reason::SigningCertificateHash(a) => {
                format!("l'attributo signing-certificate-v2 usa un {} non supportato", a.text(it))
            }
            Reason::NoSignedAttributes => "nessun attributo firmato: una firma PKCS#7 semplice, non CAdES".into(),
            Reason::NotCades => "manca l'attributo signing-certificate(-v2): una firma CMS, non CAdES-BES".into(),
            Reason::AttributesVerifiedSorted => "gli attributi firmati risultano validi solo dopo averli ricodificati \
                                                 nell'ordine DER, non come sono nel file"
                .into(),
            Reason::SignatureInvalid => "la firma non risulta valida con il certificato del firmatario".into(),
            Reason::Sha1Signature => "algoritmo debole: SHA-1 non è più accettato per le firme apposte dopo il \
                                      1° gennaio 2011 e nulla prova che questa sia anteriore"
                .into(),
            Reason::TimestampBroken(cause) => {
                format!("la marca temporale della firma non è valida: {}", cause.italian())
            }
            Reason::ArchiveTimestampBroken(cause) => {
                format!("la marca temporale di archiviazione non corrisponde: {}", cause.italian())
            }
            Reason::ArchiveTimestampNotChecked => "la marca temporale di archiviazione non può essere verificata \
                                                   qui"
            .into(),
            Reason::TrustedList(p) => p.text(Language::Italian),
            Reason::ServiceNotUsable { service, provider, territory, status: Some(st) } => format!(
                "il servizio \"{service}\" di \"{provider}\" ({territory}) della lista di fiducia non era \
                 utilizzabile all'ora della verifica: il suo stato era \"{st}\""
            ),
            Reason::ServiceNotUsable { service, provider, territory, status: None } => format!(
                "il servizio \"{service}\" di \"{provider}\" ({territory}) della lista di fiducia non aveva ancora \
                 uno stato all'ora della verifica"
            ),
            Reason::ArchiveHashIndex(p) => {
                format!("l'indice delle impronte della marca temporale di archiviazione {}", p.text(Language::Italian))
            }
            Reason::SignedAttributeRepeated(a) => {
                format!("l'attributo firmato {a} è scritto più di una volta; deve essere unico (RFC 5652 §11)")
            }
            Reason::SignedAttributeCopies { name, copies } => format!(
                "l'attributo firmato {name} è scritto {copies} volte (copie identiche): è letto una volta; la firma \
                 le copre come sono scritte"
            ),
            Reason::RevocationNotChecked => "lo stato di revoca non è stato verificato".into(),
            Reason::CountersignatureUnreadable(d) => format!("la controfirma non è leggibile ({})", detail(d)),
            Reason::TimestampUnreadable(d) => format!("la marca temporale non è leggibile ({})", detail(d)),
            Reason::TimestampNotTstInfo => "il contenuto della marca temporale non è un TSTInfo".into(),
            Reason::TimestampWithoutTstInfo => "la marca temporale non contiene un TSTInfo".into(),
            Reason::TstInfoMalformed(d) => format!("il TSTInfo della marca temporale è malformato ({})", detail(d)),
            Reason::TimestampSigners(n) => {
                format!("una marca temporale ha un solo firmatario, questa ne ha {n}")
            }
            Reason::TimestampHash(a) => format!("la marca temporale usa un {} non supportato", a.text(it)),
            Reason::TimestampImprintMismatch => "la marca temporale non corrisponde a ciò che dovrebbe marcare (la \
                                                 sua impronta è diversa)"
                .into(),
            Reason::TsaWithoutKeyUsage => "il certificato della marca temporale non ha l'estensione extended key \
                                           usage: non è il certificato di una TSA"
                .into(),
            Reason::TsaKeyUsageMalformed => {
                "l'estensione extended key usage del certificato della TSA è malformata".into()
            }
            Reason::TsaNotTimestampingOnly => "il certificato della marca temporale non è riservato alla sola \
                                               marcatura temporale (RFC 3161 §2.3)"
                .into(),
            Reason::CertificateSignatureInvalid { subject, issuer } => {
                format!("la firma di \"{issuer}\" sul certificato \"{subject}\" non è valida")
            }
            Reason::CertificateSignatureUnchecked { subject, cause } => {
                format!("la firma sul certificato \"{subject}\" non può essere verificata: {}", cause.text(it))
            }
            Reason::CertificateSha1(s) => format!(
                "algoritmo debole: il certificato \"{s}\" è firmato con SHA-1, non più accettato per le firme \
                 apposte dopo il 1° gennaio 2011"
            ),
            Reason::NotCa(s) => format!("\"{s}\" non è il certificato di una CA"),
            Reason::ChainTooLong => "la catena dei certificati è troppo lunga".into(),
            Reason::SelfSignedInvalid(s) => format!("il certificato autofirmato \"{s}\" non è valido"),
            Reason::NoTrustAnchors => "nessuna CA attendibile è configurata: l'identità del firmatario non è \
                                       confermata da un'autorità attendibile"
                .into(),
            Reason::SelfSignedUntrusted(s) => {
                format!("il certificato autofirmato \"{s}\" non è attendibile: non è tra le CA attendibili")
            }
            Reason::IssuerUntrusted(i) => {
                format!("nessuna catena porta a una CA attendibile: l'emittente \"{i}\" non è tra le CA attendibili")
            }
            Reason::Expired { role, subject, date, proven: true } => format!(
                "certificato scaduto: {} \"{subject}\" è scaduto il {date}, prima dell'ora provata dalla marca \
                 temporale della firma",
                role.text(it)
            ),
            Reason::Expired { role, subject, date, proven: false } => format!(
                "certificato scaduto: {} \"{subject}\" è scaduto il {date} (verificato all'ora attuale: nessuna \
                 marca temporale prova che la firma sia stata apposta prima)",
                role.text(it)
            ),
            Reason::NotYetValid { role, subject, date } => {
                format!("certificato non ancora valido: {} \"{subject}\" è valido solo dal {date}", role.text(it))
            }
            Reason::SignatureDictionaryOutsideRevision => "il dizionario della firma non è nella revisione coperta \
                                                           dal suo /ByteRange: il file è stato modificato"
                .into(),
            Reason::ContentsNotTimestamp(d) => format!("/Contents non è una marca temporale ({})", detail(d)),
            Reason::SubFilterNotChecked(s) => format!("il SubFilter /{s} non è verificato da questo programma"),
            Reason::CmsMalformed(d) => format!("la firma CMS è malformata ({})", detail(d)),
            Reason::ContentsNotSignedData => "/Contents non è una SignedData CMS".into(),
            Reason::ContentsNotCms(d) => format!("/Contents non è una firma CMS ({})", detail(d)),
            Reason::PdfSignatureWithContent => {
                "la firma CMS contiene il documento: una firma PDF deve essere staccata (detached)".into()
            }
            Reason::PadesWithoutSigningCertificate => {
                "ETSI.CAdES.detached senza l'attributo signing-certificate-v2 (ETSI EN 319 142-1 §6.3)".into()
            }
            Reason::ExtendedAfterSignature => {
                "dopo questa firma il documento è stato esteso con aggiornamenti incrementali".into()
            }
            Reason::SignedBytesNotRevision => "i byte firmati non terminano una revisione del documento".into(),
            Reason::RevisionUnreadable(d) => {
                format!("la revisione coperta da questa firma non è leggibile ({})", detail(d))
            }
            Reason::CrossReferenceRebuiltSigned => "la tabella dei riferimenti incrociati della revisione firmata è \
                                                    danneggiata: è stata ricostruita dagli oggetti coperti dalla \
                                                    firma, come fanno i lettori PDF"
                .into(),
            Reason::CrossReferenceRebuiltLater => "la tabella dei riferimenti incrociati di un aggiornamento \
                                                   successivo a questa firma è danneggiata: è stata ricostruita \
                                                   dagli oggetti del file, come fanno i lettori PDF, e le modifiche \
                                                   sono state confrontate su di essa"
                .into(),
            Reason::TrailingBytes => "dopo l'ultima revisione firmata seguono byte che non sono una revisione".into(),
            Reason::NoByteRange => "la firma non ha un /ByteRange valido".into(),
            Reason::ByteRangeOutsideFile => {
                "il /ByteRange va oltre la fine del file: il file è stato troncato o modificato".into()
            }
            Reason::ByteRangeOfAnother => "il /ByteRange è quello di un'altra firma: non esclude il /Contents di \
                                           questa firma (il file è stato modificato)"
                .into(),
            Reason::ByteRangeGap => "il /ByteRange non esclude esattamente il /Contents del dizionario della firma: \
                                     il file è stato modificato"
                .into(),
            Reason::MetadataChanged => "i metadati XMP (/Metadata) sono stati modificati dopo la firma".into(),
            Reason::InfoChanged => {
                "il dizionario delle informazioni del documento (/Info) è stato modificato dopo la firma".into()
            }
            Reason::VisibleSignatureFieldAdded(page) => format!(
                "dopo questa firma è stato aggiunto un campo firma visibile a pagina {page}: ciò che mostra non è \
                 coperto da questa firma"
            ),
            Reason::InnerTooLarge(mib) => {
                format!("il contenuto supera {mib} MiB: non è stato esaminato alla ricerca di firme proprie")
            }
            Reason::InnerPdfUnreadable(d) => {
                format!("non è stato possibile cercare firme nel PDF contenuto ({})", detail(d))
            }
            Reason::InnerEnvelopeUnreadable(d) => {
                format!("la busta contenuta non può essere verificata ({})", detail(d))
            }
            Reason::RevocationDataUnusable(d) => {
                format!("i dati di revoca contenuti nella firma non sono utilizzabili ({})", detail(d))
            }
            Reason::RevocationItemsCut(n) => format!("sono state lette solo le prime {n} CRL e risposte OCSP"),
            Reason::RevocationNoIssuer => "lo stato di revoca non è stato verificato: il certificato \
                                           dell'emittente del firmatario non è disponibile"
                .into(),
            Reason::OnlineCheckFailed(d) => format!("la verifica in linea della revoca non è riuscita ({})", detail(d)),
            Reason::TsaRevocationNoData => "lo stato di revoca del certificato della TSA non è stato verificato: non \
                                             ci sono dati di revoca per esso"
                .into(),
            Reason::RevocationNoData { online: true } => {
                "lo stato di revoca non è stato verificato: non ci sono dati di revoca per il certificato del \
                 firmatario"
                    .into()
            }
            Reason::RevocationNoData { online: false } => "lo stato di revoca non è stato verificato: la firma non \
                                                           contiene dati di revoca per il certificato del \
                                                           firmatario (cie verify --online interroga il suo \
                                                           servizio OCSP o la sua CRL)"
                .into(),
            Reason::RevocationGood { subject, source } => {
                format!("revoca: \"{subject}\" è valido (non revocato) secondo {}", source.text(it))
            }
            Reason::RevocationUnknown { subject, source } => {
                format!("revoca: \"{subject}\" è sconosciuto al servizio secondo {}", source.text(it))
            }
            Reason::RevocationUnverifiable { subject, source, detail: d } => format!(
                "i dati di revoca su \"{subject}\" non sono verificabili e non sono stati usati ({}): {}",
                source.text(it),
                unverifiable(d, it)
            ),
            Reason::Revoked { role, subject, time, reason, source, weight } => {
                let why = reason.map(|r| format!(" ({})", crl_reason(r, it))).unwrap_or_default();
                let whose = if *weight == Revocation::Told { String::new() } else { format!("{} ", role.text(it)) };
                let head = format!("{whose}\"{subject}\" è stato revocato il {time}{why} secondo {}", source.text(it));
                match weight {
                    Revocation::BeforeClaimedTime(c) => {
                        format!("{head}, prima della data di firma dichiarata nella firma ({c})")
                    }
                    Revocation::BeforeValidation { proven } => format!(
                        "{head}, prima {}, e nulla prova che la firma sia stata apposta prima",
                        if *proven { "dell'ora provata dalla marca temporale della firma" } else { "dell'ora attuale" }
                    ),
                    Revocation::AfterProof => format!(
                        "{head}, dopo l'ora provata dalla marca temporale della firma: la firma è stata apposta prima"
                    ),
                    Revocation::BeforeTimestamp => {
                        format!("{head}, non dopo l'ora della marca temporale: la marca temporale non è attendibile")
                    }
                    Revocation::AfterTimestamp => format!("{head}, dopo l'ora della marca temporale"),
                    Revocation::Told => format!("revoca: {head}"),
                }
            }
        }
    }
}

impl fmt::Display for Reason {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One reason of every variant (and every sub-case that changes the words).
    fn every_reason() -> Vec<Reason> {
        let t = der::DateTime::new(2024, 3, 1, 12, 0, 0).unwrap();
        let source =
            Box::new(RevocationSource { ocsp: true, issuer: "CN=OCSP".into(), this_update: Some(t), online: true });
        let crl = Box::new(RevocationSource { ocsp: false, issuer: String::new(), this_update: None, online: false });
        let algorithms = [
            Algorithm::Digest("MD5"),
            Algorithm::RsaWith("MD5"),
            Algorithm::Signature("DSA"),
            Algorithm::UnknownDigest("1.2.3.4".into()),
            Algorithm::UnknownSignature("1.2.3.4".into()),
            Algorithm::UnknownCurve("1.2.3.4".into()),
            Algorithm::PssMaskGeneration("1.2.3.4".into()),
            Algorithm::PssMixedHashes("SHA-1", "SHA-256"),
            Algorithm::Ed25519WithoutAttributes,
            Algorithm::CurveAsSignature("P-256"),
        ];
        let mut all: Vec<Reason> = algorithms
            .iter()
            .flat_map(|a| {
                [
                    Reason::Algorithm(AlgorithmProblem::Weak(a.clone())),
                    Reason::Algorithm(AlgorithmProblem::Unsupported(a.clone())),
                ]
            })
            .collect();
        let roles = [
            CertificateRole::Signer,
            CertificateRole::Ca,
            CertificateRole::Anchor,
            CertificateRole::Tsa,
            CertificateRole::TsaCa,
        ];
        for role in roles {
            for proven in [true, false] {
                all.push(Reason::Expired { role, subject: "CN=X".into(), date: "2020-01-01".into(), proven });
            }
            all.push(Reason::NotYetValid { role, subject: "CN=X".into(), date: "2030-01-01".into() });
        }
        for weight in [
            Revocation::BeforeClaimedTime(t),
            Revocation::BeforeValidation { proven: true },
            Revocation::BeforeValidation { proven: false },
            Revocation::AfterProof,
            Revocation::BeforeTimestamp,
            Revocation::AfterTimestamp,
            Revocation::Told,
        ] {
            for (reason, source) in [(Some("key compromise"), &source), (None, &crl)] {
                let subject = "CN=X".into();
                let source = source.clone();
                all.push(Reason::Revoked { role: CertificateRole::Signer, subject, time: t, reason, source, weight });
            }
        }
        all.extend([
            Reason::SignerCertificateMissing,
            Reason::Algorithm(AlgorithmProblem::Key("RSA key: bad".into())),
            Reason::Algorithm(AlgorithmProblem::Format("no hash".into())),
            Reason::Algorithm(AlgorithmProblem::HashMismatch("SHA-512", "SHA-256")),
            Reason::DigestGivenAsSignatureAlgorithm("SHA-256"),
            Reason::ContentTypeMismatch,
            Reason::ContentTypeMissing,
            Reason::ContentTypeInCountersignature,
            Reason::AttributeNotSingle("signing-time".into()),
            Reason::ContentAltered,
            Reason::MessageDigestMalformed,
            Reason::MessageDigestMissing,
            Reason::SigningTimeMalformed,
            Reason::SigningCertificateEmpty { v2: true },
            Reason::SigningCertificateOther { v2: false },
            Reason::SigningCertificateOtherSerial { v2: true },
            Reason::SigningCertificateMalformed { v2: false },
            Reason::SigningCertificateHash(Algorithm::UnknownDigest("1.2.3".into())),
            Reason::NoSignedAttributes,
            Reason::NotCades,
            Reason::AttributesVerifiedSorted,
            Reason::SignatureInvalid,
            Reason::Sha1Signature,
            Reason::TimestampBroken(Box::new(Reason::TimestampImprintMismatch)),
            Reason::ArchiveTimestampBroken(Box::new(Reason::TimestampImprintMismatch)),
            Reason::ArchiveTimestampNotChecked,
            Reason::TrustedList(ListProblem::Xml("x".into())),
            Reason::TrustedList(ListProblem::Limit("x".into())),
            Reason::TrustedList(ListProblem::Format("x".into())),
            Reason::TrustedList(ListProblem::NotSigned("x".into())),
            Reason::TrustedList(ListProblem::SignatureUnchecked("x".into())),
            Reason::TrustedList(ListProblem::Altered("x".into())),
            Reason::TrustedList(ListProblem::WrongSigner(Some("CN=X".into()))),
            Reason::TrustedList(ListProblem::WrongSigner(None)),
            Reason::TrustedList(ListProblem::Expired("2020-01-01".into())),
            Reason::TrustedList(ListProblem::NoSigner),
            Reason::ServiceNotUsable {
                service: "CA".into(),
                provider: "TSP".into(),
                territory: "IT".into(),
                status: Some("withdrawn".into()),
            },
            Reason::ServiceNotUsable {
                service: "CA".into(),
                provider: "TSP".into(),
                territory: "IT".into(),
                status: None,
            },
            Reason::ArchiveHashIndex(HashIndexProblem::Absent),
            Reason::ArchiveHashIndex(HashIndexProblem::Malformed),
            Reason::ArchiveHashIndex(HashIndexProblem::TooLong),
            Reason::ArchiveHashIndex(HashIndexProblem::UnknownHash("1.2.3.4".into())),
            Reason::ArchiveHashIndex(HashIndexProblem::CertificatesGone(2)),
            Reason::ArchiveHashIndex(HashIndexProblem::RevocationGone(1)),
            Reason::ArchiveHashIndex(HashIndexProblem::AttributesGone(3)),
            Reason::SignedAttributeRepeated("message-digest".into()),
            Reason::SignedAttributeCopies { name: "content-time-stamp".into(), copies: 2 },
            Reason::RevocationNotChecked,
            Reason::CountersignatureUnreadable("x".into()),
            Reason::TimestampUnreadable("x".into()),
            Reason::TimestampNotTstInfo,
            Reason::TimestampWithoutTstInfo,
            Reason::TstInfoMalformed("x".into()),
            Reason::TimestampSigners(2),
            Reason::TimestampHash(Algorithm::Digest("MD5")),
            Reason::TimestampImprintMismatch,
            Reason::TsaWithoutKeyUsage,
            Reason::TsaKeyUsageMalformed,
            Reason::TsaNotTimestampingOnly,
            Reason::CertificateSignatureInvalid { subject: "CN=A".into(), issuer: "CN=B".into() },
            Reason::CertificateSignatureUnchecked {
                subject: "CN=A".into(),
                cause: AlgorithmProblem::Weak(Algorithm::RsaWith("MD5")),
            },
            Reason::CertificateSha1("CN=A".into()),
            Reason::NotCa("CN=A".into()),
            Reason::ChainTooLong,
            Reason::SelfSignedInvalid("CN=A".into()),
            Reason::NoTrustAnchors,
            Reason::SelfSignedUntrusted("CN=A".into()),
            Reason::IssuerUntrusted("CN=B".into()),
            Reason::SignatureDictionaryOutsideRevision,
            Reason::ContentsNotTimestamp("x".into()),
            Reason::SubFilterNotChecked("x".into()),
            Reason::CmsMalformed("x".into()),
            Reason::ContentsNotSignedData,
            Reason::ContentsNotCms("x".into()),
            Reason::PdfSignatureWithContent,
            Reason::PadesWithoutSigningCertificate,
            Reason::ExtendedAfterSignature,
            Reason::SignedBytesNotRevision,
            Reason::RevisionUnreadable("x".into()),
            Reason::CrossReferenceRebuiltSigned,
            Reason::CrossReferenceRebuiltLater,
            Reason::TrailingBytes,
            Reason::NoByteRange,
            Reason::ByteRangeOutsideFile,
            Reason::ByteRangeOfAnother,
            Reason::ByteRangeGap,
            Reason::MetadataChanged,
            Reason::InfoChanged,
            Reason::VisibleSignatureFieldAdded(2),
            Reason::InnerTooLarge(64),
            Reason::InnerPdfUnreadable("x".into()),
            Reason::InnerEnvelopeUnreadable("x".into()),
            Reason::RevocationDataUnusable("x".into()),
            Reason::RevocationItemsCut(64),
            Reason::RevocationNoIssuer,
            Reason::OnlineCheckFailed("x".into()),
            Reason::TsaRevocationNoData,
            Reason::RevocationNoData { online: true },
            Reason::RevocationNoData { online: false },
            Reason::RevocationGood { subject: "CN=X".into(), source: source.clone() },
            Reason::RevocationUnknown { subject: "CN=X".into(), source: crl.clone() },
            Reason::RevocationUnverifiable { subject: "CN=X".into(), source, detail: "x".into() },
        ]);
        all
    }

    /// The variant's position: this match lists every variant (a new one does not compile
    /// until it is added here), and `every_reason` must give one of each.
    fn variant(r: &Reason) -> usize {
        match r {
            Reason::SignerCertificateMissing => 0,
            Reason::Algorithm(_) => 1,
            Reason::DigestGivenAsSignatureAlgorithm(_) => 2,
            Reason::ContentTypeMismatch => 3,
            Reason::ContentTypeMissing => 4,
            Reason::ContentTypeInCountersignature => 5,
            Reason::AttributeNotSingle(_) => 6,
            Reason::ContentAltered => 7,
            Reason::MessageDigestMalformed => 8,
            Reason::MessageDigestMissing => 9,
            Reason::SigningTimeMalformed => 10,
            Reason::SigningCertificateEmpty { .. } => 11,
            Reason::SigningCertificateOther { .. } => 12,
            Reason::SigningCertificateOtherSerial { .. } => 13,
            Reason::SigningCertificateMalformed { .. } => 14,
            Reason::SigningCertificateHash(_) => 15,
            Reason::NoSignedAttributes => 16,
            Reason::NotCades => 17,
            Reason::AttributesVerifiedSorted => 18,
            Reason::SignatureInvalid => 19,
            Reason::Sha1Signature => 20,
            Reason::TimestampBroken(_) => 21,
            Reason::RevocationNotChecked => 22,
            Reason::CountersignatureUnreadable(_) => 23,
            Reason::TimestampUnreadable(_) => 24,
            Reason::TimestampNotTstInfo => 25,
            Reason::TimestampWithoutTstInfo => 26,
            Reason::TstInfoMalformed(_) => 27,
            Reason::TimestampSigners(_) => 28,
            Reason::TimestampHash(_) => 29,
            Reason::TimestampImprintMismatch => 30,
            Reason::TsaWithoutKeyUsage => 31,
            Reason::TsaKeyUsageMalformed => 32,
            Reason::TsaNotTimestampingOnly => 33,
            Reason::CertificateSignatureInvalid { .. } => 34,
            Reason::CertificateSignatureUnchecked { .. } => 35,
            Reason::CertificateSha1(_) => 36,
            Reason::NotCa(_) => 37,
            Reason::ChainTooLong => 38,
            Reason::SelfSignedInvalid(_) => 39,
            Reason::NoTrustAnchors => 40,
            Reason::SelfSignedUntrusted(_) => 41,
            Reason::IssuerUntrusted(_) => 42,
            Reason::Expired { .. } => 43,
            Reason::NotYetValid { .. } => 44,
            Reason::SignatureDictionaryOutsideRevision => 45,
            Reason::ContentsNotTimestamp(_) => 46,
            Reason::SubFilterNotChecked(_) => 47,
            Reason::CmsMalformed(_) => 48,
            Reason::ContentsNotSignedData => 49,
            Reason::ContentsNotCms(_) => 50,
            Reason::PdfSignatureWithContent => 51,
            Reason::PadesWithoutSigningCertificate => 52,
            Reason::ExtendedAfterSignature => 53,
            Reason::SignedBytesNotRevision => 54,
            Reason::RevisionUnreadable(_) => 55,
            Reason::CrossReferenceRebuiltSigned => 56,
            Reason::CrossReferenceRebuiltLater => 57,
            Reason::TrailingBytes => 58,
            Reason::NoByteRange => 59,
            Reason::ByteRangeOfAnother => 60,
            Reason::ByteRangeGap => 61,
            Reason::MetadataChanged => 62,
            Reason::InfoChanged => 63,
            Reason::VisibleSignatureFieldAdded(_) => 64,
            Reason::InnerTooLarge(_) => 65,
            Reason::InnerPdfUnreadable(_) => 66,
            Reason::InnerEnvelopeUnreadable(_) => 67,
            Reason::RevocationDataUnusable(_) => 68,
            Reason::RevocationItemsCut(_) => 69,
            Reason::RevocationNoIssuer => 70,
            Reason::OnlineCheckFailed(_) => 71,
            Reason::RevocationNoData { .. } => 72,
            Reason::RevocationGood { .. } => 73,
            Reason::RevocationUnknown { .. } => 74,
            Reason::RevocationUnverifiable { .. } => 75,
            Reason::Revoked { .. } => 76,
            Reason::ByteRangeOutsideFile => 77,
            Reason::TsaRevocationNoData => 78,
            Reason::ArchiveTimestampBroken(_) => 79,
            Reason::ArchiveTimestampNotChecked => 80,
            Reason::ArchiveHashIndex(_) => 81,
            Reason::SignedAttributeRepeated(_) => 82,
            Reason::SignedAttributeCopies { .. } => 83,
            Reason::ServiceNotUsable { .. } => 84,
            Reason::TrustedList(_) => 85,
        }
    }

    /// Every reason has a non-empty English and a non-empty, different Italian text.
    #[test]
    fn every_reason_in_english_and_italian() {
        let all = every_reason();
        let mut seen = [false; 86];
        for r in &all {
            seen[variant(r)] = true;
            let (en, it) = (r.text(Language::English), r.text(Language::Italian));
            assert!(!en.trim().is_empty() && !it.trim().is_empty(), "{r:?}");
            assert_ne!(en, it, "{r:?}");
            assert_eq!(r.to_string(), en);
        }
        let missing: Vec<usize> = (0..seen.len()).filter(|&i| !seen[i]).collect();
        assert!(missing.is_empty(), "variants without an example: {missing:?}");
    }

    /// The example of the issue, in both languages; an unknown identifier is labelled.
    #[test]
    fn weak_digest_in_words() {
        let md5 = Reason::Algorithm(AlgorithmProblem::Weak(Algorithm::Digest("MD5")));
        assert!(md5.text(Language::English).contains("digest algorithm MD5 (too weak)"));
        assert!(md5.text(Language::Italian).contains("algoritmo di hash MD5 (troppo debole)"));
        let unknown = Reason::Algorithm(AlgorithmProblem::Unsupported(Algorithm::UnknownDigest("1.2.3.4".into())));
        assert!(unknown.text(Language::English).contains("unknown digest algorithm 1.2.3.4"));
        assert!(unknown.text(Language::Italian).contains("algoritmo di hash sconosciuto 1.2.3.4"));
    }

    /// The CRL and OCSP checks' reasons in Italian: the fixed ones whole, the others' words.
    #[test]
    fn revocation_details_in_italian() {
        let it = Language::Italian;
        assert_eq!(unverifiable("its signature does not verify", it), "la sua firma non è valida");
        assert_eq!(
            unverifiable("an unknown critical extension 1.2.3.4", it),
            "un'estensione critica sconosciuta 1.2.3.4"
        );
        assert_eq!(unverifiable("something new", it), "something new");
        for d in [
            "the CRL cannot be read",
            "its signature verifies with the responder's certificate, but the issuer's certificate is not available \
             to tell whether that responder may answer for it",
            "its responder is neither the certificate's issuer nor a responder the issuer authorised \
             (id-kp-OCSPSigning)",
        ] {
            assert_ne!(unverifiable(d, it), d);
        }
    }

    /// Parser offsets are dropped from technical details.
    #[test]
    fn offsets_are_dropped() {
        let r = Reason::CmsMalformed("ASN.1 DER message is incomplete at DER byte 1234".into());
        assert_eq!(r.text(Language::English), "the CMS signature is malformed (ASN.1 DER message is incomplete)");
        assert_eq!(without_offsets("a at DER byte 5: b at DER byte 66, c"), "a: b, c");
    }

    #[test]
    fn languages_of_tags() {
        assert_eq!(Language::of_tag("it_IT.UTF-8"), Language::Italian);
        assert_eq!(Language::of_tag("IT"), Language::Italian);
        assert_eq!(Language::of_tag("en_US"), Language::English);
        assert_eq!(Language::of_tag(""), Language::English);
    }
}
