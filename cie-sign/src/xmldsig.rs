//! Enveloped XML signatures (W3C XML Signature 1.1, the profile ETSI TS 119 612 §5.7 and
//! XAdES use for trusted lists): one `ds:Signature`, a child of the document element, whose
//! references cover the whole document (URI "" or the document element's Id, with the
//! enveloped-signature transform) and optionally elements of the signature itself (XAdES
//! SignedProperties), each canonicalized (`xml_c14n`) and hashed with SHA-256/384/512; the
//! SignedInfo signed with RSA PKCS#1 v1.5, RSA-PSS (MGF1, salt the hash length) or ECDSA on
//! P-256/384/521. No XPath, XSLT or external reference is followed: any other transform or URI
//! is refused, so what the signature covers is what the list is read from.

use base64ct::{Base64, Encoding};
use cie_core::sign::HashAlg;
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Any, Encode, Sequence};
use roxmltree::{Document, Node};
use spki::AlgorithmIdentifierOwned;

use crate::algorithms::{self, AlgError};
use crate::chain::Cert;
use crate::reason::{Language, ListProblem};
use crate::xml_c14n::{self, Method};

/// The XML Signature namespace.
pub(crate) const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Largest XML document read.
pub const MAX_XML_BYTES: usize = 32 << 20;
/// Most XML nodes in one document.
const MAX_NODES: u32 = 2_000_000;
/// Most references in one SignedInfo.
const MAX_REFERENCES: usize = 8;
/// Most transforms in one reference.
const MAX_TRANSFORMS: usize = 4;

const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const C14N_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why a signature does not verify, or could not be checked, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DsigError {
    /// The document carries no signature (or it is not where an enveloped signature must be).
    Missing(String),
    /// The signature is malformed or uses what this verifier does not follow.
    Format(String),
    /// A reference's digest does not match: the signed content was changed.
    Altered(String),
    /// The signature value does not verify with any of the given certificates; the
    /// certificate the signature names, if it carries one.
    WrongSigner(Option<String>),
}

impl DsigError {
    /// The problem, to be told in English or Italian.
    pub fn problem(&self) -> ListProblem {
        match self {
            DsigError::Missing(w) => ListProblem::NotSigned(w.clone()),
            DsigError::Format(w) => ListProblem::SignatureUnchecked(w.clone()),
            DsigError::Altered(w) => ListProblem::Altered(w.clone()),
            DsigError::WrongSigner(s) => ListProblem::WrongSigner(s.clone()),
        }
    }

    /// The message a person reads, in English.
    pub fn message(&self) -> String {
        self.problem().text(Language::English)
    }
}

/// Why a text is not XML the reader accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Too many nodes.
    Limit(String),
    /// Not well-formed, or a DTD (refused: no entity is ever expanded).
    Syntax(String),
}

/// Parses XML with the bounds of this crate: no DTD, at most `MAX_NODES` nodes.
pub(crate) fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    let opt = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..Default::default() };
    Document::parse_with_options(text, opt).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => XmlError::Limit(format!("more than {MAX_NODES} XML nodes")),
        e => XmlError::Syntax(e.to_string()),
    })
}

fn format(w: impl Into<String>) -> DsigError {
    DsigError::Format(w.into())
}

/// Verifies the enveloped signature of the XML document `xml` (UTF-8, no DTD, at most
/// [`MAX_XML_BYTES`]) with one of `signers`; returns the index of the certificate
/// that verified it.
pub fn verify_document(xml: &[u8], signers: &[Cert]) -> Result<usize, DsigError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(format("the document is too large"));
    }
    let text =
        std::str::from_utf8(xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml)).map_err(|_| format("not UTF-8"))?;
    let doc = parse(text).map_err(|e| match e {
        XmlError::Limit(w) | XmlError::Syntax(w) => format(w),
    })?;
    verify_enveloped(text, &doc, signers)
}

/// Verifies the enveloped signature of `doc` (parsed from `text`) with one of `signers`;
/// returns the index of the certificate that verified it.
pub(crate) fn verify_enveloped(text: &str, doc: &Document<'_>, signers: &[Cert]) -> Result<usize, DsigError> {
    let root = doc.root_element();
    let mut sigs = root.children().filter(|n| n.is_element() && n.tag_name().namespace() == Some(NS_DS));
    let signature = sigs.next().ok_or_else(|| DsigError::Missing("no ds:Signature in the document element".into()))?;
    if signature.tag_name().name() != "Signature" || sigs.next().is_some() {
        return Err(format("the document element holds more than one ds: element"));
    }
    let signed_info = ds_child(signature, "SignedInfo")?;
    let (c14n, comments) = ds_child(signed_info, "CanonicalizationMethod").and_then(c14n_method)?;
    let method = ds_child(signed_info, "SignatureMethod")?.attribute("Algorithm").unwrap_or("");
    let alg = SignatureAlg::from_uri(method)?;
    let mut covers_document = false;
    let refs: Vec<Node<'_, '_>> = ds_children(signed_info, "Reference").collect();
    if refs.is_empty() || refs.len() > MAX_REFERENCES {
        return Err(format(format!("a SignedInfo with {} references", refs.len())));
    }
    for r in refs {
        covers_document |= check_reference(text, doc, signature, r)?;
    }
    if !covers_document {
        return Err(format("no reference covers the whole list"));
    }
    let signed = xml_c14n::canonicalize(text, signed_info, None, &c14n, comments).map_err(|e| format(e.0))?;
    let value = base64_of(ds_child(signature, "SignatureValue")?)?;
    let embedded = embedded_certificate(signature);
    for (k, signer) in signers.iter().enumerate() {
        match alg.verify(signer, &signed, &value) {
            Ok(true) => return Ok(k),
            Ok(false) => {}
            Err(e) => {
                if signers.len() == 1 {
                    return Err(format(e.text(Language::English)));
                }
            }
        }
    }
    Err(DsigError::WrongSigner(embedded.map(|c| c.subject())))
}

/// The first certificate of the signature's KeyInfo, if it carries one.
fn embedded_certificate(signature: Node<'_, '_>) -> Option<Cert> {
    let x509 = ds_child(signature, "KeyInfo").ok()?;
    let data = ds_children(x509, "X509Data").next()?;
    let c = ds_children(data, "X509Certificate").next()?;
    Cert::from_der(&base64_of(c).ok()?).ok()
}

/// Checks one Reference's digest; true when it covers the document element.
fn check_reference(
    text: &str,
    doc: &Document<'_>,
    signature: Node<'_, '_>,
    r: Node<'_, '_>,
) -> Result<bool, DsigError> {
    let uri = r.attribute("URI").ok_or_else(|| format("a Reference without URI"))?;
    let root = doc.root_element();
    let (target, whole) = if uri.is_empty() {
        (doc.root(), true)
    } else if let Some(id) = uri.strip_prefix('#') {
        let node = by_id(doc, id)?;
        (node, node == root)
    } else {
        return Err(format(format!("a Reference to \"{uri}\" (only the list itself is followed)")));
    };
    let mut enveloped = false;
    let mut c14n: Option<(Method, bool)> = None;
    if let Ok(transforms) = ds_child(r, "Transforms") {
        let list: Vec<Node<'_, '_>> = ds_children(transforms, "Transform").collect();
        if list.len() > MAX_TRANSFORMS || transforms.children().filter(|n| n.is_element()).count() != list.len() {
            return Err(format("too many or unknown transforms"));
        }
        for t in list {
            if c14n.is_some() {
                return Err(format("a transform after canonicalization"));
            }
            if t.attribute("Algorithm") == Some(ENVELOPED) {
                enveloped = true;
            } else {
                c14n = Some(c14n_method(t)?);
            }
        }
    }
    if whole && !enveloped {
        return Err(format("the reference to the list lacks the enveloped-signature transform"));
    }
    if !whole && !target.ancestors().any(|a| a == signature) {
        return Err(format(format!("the reference \"#{}\" is neither the list nor part of its signature", uri)));
    }
    // A same-document reference drops comments (XML Signature §4.4.3.3), so a "with comments"
    // transform canonicalizes as the plain one.
    let (method, _with_comments) = c14n.unwrap_or((Method::Inclusive, false));
    let exclude = enveloped.then(|| signature.id());
    let bytes = xml_c14n::canonicalize(text, target, exclude, &method, false).map_err(|e| format(e.0))?;
    let dm = ds_child(r, "DigestMethod")?.attribute("Algorithm").unwrap_or("");
    let hash = digest_uri(dm)?;
    let expected = base64_of(ds_child(r, "DigestValue")?)?;
    if hash.hash(&bytes) != expected {
        return Err(DsigError::Altered(if whole {
            "the digest of its content does not match".into()
        } else {
            format!("the digest of the signed element \"#{uri}\" does not match")
        }));
    }
    Ok(whole)
}

/// The one element whose Id (or ID, id) attribute is `id`; two are refused.
fn by_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Result<Node<'a, 'i>, DsigError> {
    let mut found = doc.descendants().filter(|n| {
        n.is_element()
            && n.attributes()
                .any(|a| a.namespace().is_none() && matches!(a.name(), "Id" | "ID" | "id") && a.value() == id)
    });
    let node = found.next().ok_or_else(|| format(format!("no element has the Id \"{id}\"")))?;
    if found.next().is_some() {
        return Err(format(format!("two elements have the Id \"{id}\"")));
    }
    Ok(node)
}

/// A canonicalization method element: the method and whether comments are kept.
fn c14n_method(node: Node<'_, '_>) -> Result<(Method, bool), DsigError> {
    let alg = node.attribute("Algorithm").unwrap_or("");
    let prefixes = || {
        node.children()
            .find(|n| n.is_element() && n.tag_name().name() == "InclusiveNamespaces")
            .and_then(|n| n.attribute("PrefixList"))
            .map(|l| {
                l.split_ascii_whitespace()
                    .take(64)
                    .map(|p| if p == "#default" { String::new() } else { p.to_owned() })
                    .collect()
            })
            .unwrap_or_default()
    };
    match alg {
        C14N => Ok((Method::Inclusive, false)),
        C14N_COMMENTS => Ok((Method::Inclusive, true)),
        EXC_C14N => Ok((Method::Exclusive(prefixes()), false)),
        EXC_C14N_COMMENTS => Ok((Method::Exclusive(prefixes()), true)),
        other => Err(format(format!("the transform or canonicalization \"{other}\" is not supported"))),
    }
}

fn digest_uri(uri: &str) -> Result<HashAlg, DsigError> {
    match uri {
        "http://www.w3.org/2001/04/xmlenc#sha256" => Ok(HashAlg::Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Ok(HashAlg::Sha384),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Ok(HashAlg::Sha512),
        "http://www.w3.org/2000/09/xmldsig#sha1" => {
            Err(format("weak algorithm: digest algorithm SHA-1 (too weak), refused"))
        }
        other => Err(format(format!("the digest algorithm \"{other}\" is not supported"))),
    }
}

/// A SignatureMethod.
#[derive(Clone, Copy, Debug)]
enum SignatureAlg {
    Pkcs1(HashAlg),
    Pss(HashAlg),
    Ecdsa(HashAlg),
}

impl SignatureAlg {
    fn from_uri(uri: &str) -> Result<SignatureAlg, DsigError> {
        Ok(match uri {
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => SignatureAlg::Pkcs1(HashAlg::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => SignatureAlg::Pkcs1(HashAlg::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => SignatureAlg::Pkcs1(HashAlg::Sha512),
            "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => SignatureAlg::Pss(HashAlg::Sha256),
            "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => SignatureAlg::Pss(HashAlg::Sha384),
            "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => SignatureAlg::Pss(HashAlg::Sha512),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => SignatureAlg::Ecdsa(HashAlg::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => SignatureAlg::Ecdsa(HashAlg::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => SignatureAlg::Ecdsa(HashAlg::Sha512),
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => {
                return Err(format("weak algorithm: signature algorithm RSA with SHA-1 (too weak), refused"))
            }
            other => return Err(format(format!("the signature algorithm \"{other}\" is not supported"))),
        })
    }

    /// Checks `value` over `signed` with `signer`'s key, through the one signature checker
    /// (`algorithms`), the XML algorithm named by its ASN.1 identifier.
    fn verify(self, signer: &Cert, signed: &[u8], value: &[u8]) -> Result<bool, AlgError> {
        let spki = &signer.cert.tbs_certificate.subject_public_key_info;
        let (alg, hash, sig) = match self {
            SignatureAlg::Pkcs1(h) => {
                (AlgorithmIdentifierOwned { oid: rsa_pkcs1_oid(h), parameters: None }, h, value.to_vec())
            }
            SignatureAlg::Pss(h) => (pss_identifier(h)?, h, value.to_vec()),
            SignatureAlg::Ecdsa(h) => {
                let oid = match h {
                    HashAlg::Sha384 => "1.2.840.10045.4.3.3",
                    HashAlg::Sha512 => "1.2.840.10045.4.3.4",
                    _ => "1.2.840.10045.4.3.2",
                };
                let Some(der) = ecdsa_der(value) else { return Ok(false) };
                (AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap(oid), parameters: None }, h, der)
            }
        };
        algorithms::verify(spki, &alg, Some(hash), algorithms::Input::Message(signed), &sig)
    }
}

fn rsa_pkcs1_oid(h: HashAlg) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(match h {
        HashAlg::Sha384 => "1.2.840.113549.1.1.12",
        HashAlg::Sha512 => "1.2.840.113549.1.1.13",
        _ => "1.2.840.113549.1.1.11",
    })
}

/// RSASSA-PSS-params for `h`: MGF1 with `h`, salt the hash length (RFC 6931 §2.3.10).
#[derive(Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    hash: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    mgf: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    salt: u32,
}

fn pss_identifier(h: HashAlg) -> Result<AlgorithmIdentifierOwned, AlgError> {
    let hash = AlgorithmIdentifierOwned { oid: h.oid(), parameters: None };
    let inner = Any::encode_from(&hash).map_err(|e| AlgError::Format(e.to_string()))?;
    let mgf =
        AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8"), parameters: Some(inner) };
    let salt = u32::try_from(h.hash(b"").len()).map_err(|e| AlgError::Format(e.to_string()))?;
    let params = Any::encode_from(&PssParams { hash, mgf, salt }).map_err(|e| AlgError::Format(e.to_string()))?;
    Ok(AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
        parameters: Some(params),
    })
}

/// An XML ECDSA value (r and s, each the field's length, RFC 4050 §3.3) as a DER
/// ECDSA-Sig-Value.
fn ecdsa_der(value: &[u8]) -> Option<Vec<u8>> {
    if value.is_empty() || value.len() % 2 != 0 || value.len() > 264 {
        return None;
    }
    let (r, s) = value.split_at(value.len() / 2);
    let trim = |x: &[u8]| -> Vec<u8> {
        let first = x.iter().position(|b| *b != 0).unwrap_or(x.len().saturating_sub(1));
        x[first..].to_vec()
    };
    #[derive(Sequence)]
    struct Sig<'a> {
        r: UintRef<'a>,
        s: UintRef<'a>,
    }
    let (r, s) = (trim(r), trim(s));
    Sig { r: UintRef::new(&r).ok()?, s: UintRef::new(&s).ok()? }.to_der().ok()
}

/// The one child element `ds:name` of `node`.
fn ds_child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, DsigError> {
    let mut it = node
        .children()
        .filter(|n| n.is_element() && n.tag_name().namespace() == Some(NS_DS) && n.tag_name().name() == name);
    let first = it.next().ok_or_else(|| format(format!("no ds:{name}")))?;
    if it.next().is_some() {
        return Err(format(format!("two ds:{name}")));
    }
    Ok(first)
}

fn ds_children<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().namespace() == Some(NS_DS) && n.tag_name().name() == name)
}

/// The Base64 text of an element (whitespace allowed anywhere).
fn base64_of(node: Node<'_, '_>) -> Result<Vec<u8>, DsigError> {
    let text: String = node.text().unwrap_or("").chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Base64::decode_vec(&text).map_err(|_| format(format!("the ds:{} is not Base64", node.tag_name().name())))
}
