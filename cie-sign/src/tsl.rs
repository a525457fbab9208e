//! EU trusted lists (ETSI TS 119 612 v2 XML): a national list (the services of one Member
//! State's trust service providers) or the EU list of lists (LOTL), whose PointersToOtherTSL
//! name each national list and the certificates that may sign it. A list is used only when its
//! enveloped XML signature (`xmldsig`) verifies with a certificate the user gives for it, or,
//! for a national list, with one that a used LOTL names for its territory, and when its
//! NextUpdate has not passed. Its CA/QC services then become trust anchors
//! (`chain::Trust::add_service`), each usable at a validation time only while its status was a
//! positive one (`trusted_service`).
//!
//! Everything read is bounded: the file's size, the parser's node count (no DTD, so no entity
//! can expand), and the counts of providers, services, history entries, pointers and
//! certificates; hostile XML gives a [`TslError`], never a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use roxmltree::{Document, Node};

use crate::chain::{Cert, Trust};
use crate::reason::{ListProblem, Reason};
use crate::trusted_service::{Criterion, ListOutcome, QualificationElement, StatusPeriod, TrustedService};
use crate::xmldsig::{self, DsigError};

/// Largest list file read.
pub const MAX_LIST_BYTES: usize = xmldsig::MAX_XML_BYTES;
/// Most trust service providers in one list.
const MAX_PROVIDERS: usize = 2_000;
/// Most services in one list.
const MAX_SERVICES: usize = 20_000;
/// Most history entries of one service.
const MAX_HISTORY: usize = 200;
/// Most pointers of a list of lists.
const MAX_POINTERS: usize = 200;
/// Most qualification elements of one service.
const MAX_QUALIFICATIONS: usize = 64;
/// Most certificates of one service or pointer.
const MAX_IDENTITY_CERTS: usize = 16;
/// Most lists read at once.
const MAX_LISTS: usize = 100;
/// The TSLType of the EU list of lists (TS 119 612 §5.3.3).
const LOTL_TYPE: &str = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists";

/// Why a list is not used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TslError {
    /// The file is not well-formed XML the reader accepts (a DTD, an entity, bad syntax ...).
    Xml(String),
    /// A limit on the file's size or its counts was exceeded.
    Limit(String),
    /// The XML is not a trusted list, or a required field is missing or malformed.
    Format(String),
    /// Its signature is missing, does not verify, or is not by the expected signer.
    Signature(DsigError),
    /// Its NextUpdate has passed: the list is no longer current.
    Expired(String),
    /// No signing certificate was given for it, nor named by a list of lists.
    NoSigner,
}

impl TslError {
    /// The reason, to be told in English or Italian.
    pub fn reason(&self) -> Reason {
        Reason::TrustedList(match self {
            TslError::Xml(w) => ListProblem::Xml(w.clone()),
            TslError::Limit(w) => ListProblem::Limit(w.clone()),
            TslError::Format(w) => ListProblem::Format(w.clone()),
            TslError::Signature(e) => e.problem(),
            TslError::Expired(when) => ListProblem::Expired(when.clone()),
            TslError::NoSigner => ListProblem::NoSigner,
        })
    }

    /// The reason in English.
    pub fn message(&self) -> String {
        self.reason().to_string()
    }
}

impl std::fmt::Display for TslError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

fn format(w: impl Into<String>) -> TslError {
    TslError::Format(w.into())
}

/// A list file to read, and the certificates given as its signers.
#[derive(Clone, Debug)]
pub struct ListSource {
    /// Its name in reports (the file name).
    pub name: String,
    /// Its bytes.
    pub xml: Vec<u8>,
    /// The certificates the user trusts to sign it.
    pub signers: Vec<Cert>,
}

/// A pointer of a list of lists to a national list.
#[derive(Clone, Debug)]
struct Pointer {
    territory: String,
    certs: Vec<Cert>,
}

/// A parsed trusted list (signature not yet checked).
#[derive(Debug)]
struct Parsed {
    territory: String,
    is_lotl: bool,
    next_update: Option<(Duration, String)>,
    pointers: Vec<Pointer>,
    services: Vec<(Vec<Cert>, TrustedService)>,
}

/// Reads the lists of `sources`, checks each one's signature and freshness at `now` (seconds
/// since the Unix epoch), and adds the CA/QC services of those used to `trust`, and what became
/// of each list ([`Trust::trusted_lists`]); returns the latter, in order.
pub fn add_lists(trust: &mut Trust, sources: &[ListSource], now: Duration) -> Vec<ListOutcome> {
    let mut outcomes = Vec::new();
    let mut parsed: Vec<Option<(Parsed, String)>> = Vec::new();
    for (k, s) in sources.iter().enumerate() {
        let mut outcome =
            ListOutcome { name: s.name.clone(), territory: None, is_lotl: false, anchors: 0, refused: None };
        if k >= MAX_LISTS {
            outcome.refused = Some(TslError::Limit(format!("more than {MAX_LISTS} trusted lists")).reason());
            parsed.push(None);
        } else {
            match read(&s.xml) {
                Ok((p, text)) => {
                    outcome.territory = Some(p.territory.clone());
                    outcome.is_lotl = p.is_lotl;
                    parsed.push(Some((p, text)));
                }
                Err(e) => {
                    outcome.refused = Some(e.reason());
                    parsed.push(None);
                }
            }
        }
        outcomes.push(outcome);
    }
    // Lists of lists first: their pointers name the signers of the national lists.
    let mut pointers: Vec<Pointer> = Vec::new();
    for lotl_pass in [true, false] {
        for (k, entry) in parsed.iter().enumerate() {
            let Some((p, text)) = entry else { continue };
            if p.is_lotl != lotl_pass {
                continue;
            }
            let mut signers = sources[k].signers.clone();
            if !p.is_lotl {
                signers.extend(
                    pointers
                        .iter()
                        .filter(|x| x.territory.eq_ignore_ascii_case(&p.territory))
                        .flat_map(|x| x.certs.clone()),
                );
            }
            match check(text, p, &signers, now) {
                Ok(()) => {
                    if p.is_lotl {
                        pointers.extend(p.pointers.iter().cloned());
                    } else {
                        for (certs, svc) in p.services.iter().filter(|(_, s)| s.is_ca_qc()) {
                            for c in certs {
                                trust.add_service(c.clone(), svc.clone());
                                outcomes[k].anchors += 1;
                            }
                        }
                    }
                }
                Err(e) => outcomes[k].refused = Some(e.reason()),
            }
        }
    }
    for o in &outcomes {
        trust.add_list_outcome(o.clone());
    }
    outcomes
}

/// The signature and freshness checks of a parsed list.
fn check(text: &str, p: &Parsed, signers: &[Cert], now: Duration) -> Result<(), TslError> {
    if signers.is_empty() {
        return Err(TslError::NoSigner);
    }
    let doc = parse_xml(text)?;
    xmldsig::verify_enveloped(text, &doc, signers).map_err(TslError::Signature)?;
    match &p.next_update {
        Some((t, shown)) if *t < now => Err(TslError::Expired(shown.clone())),
        // A list without NextUpdate is a closed list (TS 119 612 §5.3.15): no longer kept.
        None => Err(format("it has no next update: the scheme has ended")),
        _ => Ok(()),
    }
}

fn parse_xml(text: &str) -> Result<Document<'_>, TslError> {
    xmldsig::parse(text).map_err(|e| match e {
        xmldsig::XmlError::Limit(w) => TslError::Limit(w),
        xmldsig::XmlError::Syntax(w) => TslError::Xml(w),
    })
}

/// Parses a list: the XML, then its fields; the text is kept for the signature check.
fn read(bytes: &[u8]) -> Result<(Parsed, String), TslError> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(TslError::Limit(format!("a list larger than {} MiB", MAX_LIST_BYTES >> 20)));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| TslError::Xml("not UTF-8".into()))?.to_owned();
    let parsed = {
        let doc = parse_xml(&text)?;
        parse(&doc)?
    };
    Ok((parsed, text))
}

/// Reads a list's fields without checking its signature (for the fuzz target and tests).
pub fn parse_unchecked(bytes: &[u8]) -> Result<(String, usize), TslError> {
    let (p, _) = read(bytes)?;
    Ok((p.territory, p.services.len() + p.pointers.len()))
}

fn parse(doc: &Document<'_>) -> Result<Parsed, TslError> {
    let root = doc.root_element();
    if root.tag_name().name() != "TrustServiceStatusList" {
        return Err(format("the document element is not TrustServiceStatusList"));
    }
    let scheme = child(root, "SchemeInformation")?;
    let territory = text_of(child(scheme, "SchemeTerritory")?)?;
    let tsl_type = text_of(child(scheme, "TSLType")?)?;
    let is_lotl = tsl_type == LOTL_TYPE;
    let next_update = match children(scheme, "NextUpdate").next().and_then(|n| children(n, "dateTime").next()) {
        Some(n) => {
            let t = text_of(n)?;
            Some((date_time(&t)?, t))
        }
        None => None,
    };
    let mut pointers = Vec::new();
    if let Some(list) = children(scheme, "PointersToOtherTSL").next() {
        for (k, ptr) in children(list, "OtherTSLPointer").enumerate() {
            if k >= MAX_POINTERS {
                return Err(TslError::Limit(format!("more than {MAX_POINTERS} pointers to other lists")));
            }
            let territory = ptr
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "SchemeTerritory")
                .map(text_of)
                .transpose()?
                .unwrap_or_default();
            let mut certs = Vec::new();
            if let Some(ids) = children(ptr, "ServiceDigitalIdentities").next() {
                for id in children(ids, "ServiceDigitalIdentity") {
                    certs.extend(identity_certs(id)?);
                }
            }
            if certs.len() > MAX_IDENTITY_CERTS * 4 {
                return Err(TslError::Limit("too many certificates in one pointer".into()));
            }
            pointers.push(Pointer { territory, certs });
        }
    }
    let mut services = Vec::new();
    if let Some(list) = children(root, "TrustServiceProviderList").next() {
        for (k, tsp) in children(list, "TrustServiceProvider").enumerate() {
            if k >= MAX_PROVIDERS {
                return Err(TslError::Limit(format!("more than {MAX_PROVIDERS} trust service providers")));
            }
            let provider = children(tsp, "TSPInformation")
                .next()
                .and_then(|i| children(i, "TSPName").next())
                .map(name_of)
                .unwrap_or_default();
            let Some(svcs) = children(tsp, "TSPServices").next() else { continue };
            for svc in children(svcs, "TSPService") {
                if services.len() >= MAX_SERVICES {
                    return Err(TslError::Limit(format!("more than {MAX_SERVICES} services")));
                }
                services.push(service(svc, &territory, &provider)?);
            }
        }
    }
    Ok(Parsed { territory, is_lotl, next_update, pointers, services })
}

/// One TSPService: its certificates and what the path check needs.
fn service(svc: Node<'_, '_>, territory: &str, provider: &str) -> Result<(Vec<Cert>, TrustedService), TslError> {
    let info = child(svc, "ServiceInformation")?;
    let service_type = text_of(child(info, "ServiceTypeIdentifier")?)?;
    let name = children(info, "ServiceName").next().map(name_of).unwrap_or_default();
    let certs = identity_certs(child(info, "ServiceDigitalIdentity")?)?;
    let mut statuses = vec![status(info)?];
    if let Some(history) = children(svc, "ServiceHistory").next() {
        for (k, h) in children(history, "ServiceHistoryInstance").enumerate() {
            if k >= MAX_HISTORY {
                return Err(TslError::Limit(format!("more than {MAX_HISTORY} history entries in a service")));
            }
            // A history entry of another type (the service was once something else) does not
            // make it a qualified CA then.
            if text_of(child(h, "ServiceTypeIdentifier")?)? == service_type {
                statuses.push(status(h)?);
            }
        }
    }
    let mut qualifications = Vec::new();
    if let Some(ext) = children(info, "ServiceInformationExtensions").next() {
        for q in ext.descendants().filter(|n| n.is_element() && n.tag_name().name() == "QualificationElement") {
            if qualifications.len() >= MAX_QUALIFICATIONS {
                return Err(TslError::Limit(format!("more than {MAX_QUALIFICATIONS} qualifications in a service")));
            }
            qualifications.push(qualification(q));
        }
    }
    let svc = TrustedService {
        territory: territory.to_owned(),
        provider: provider.to_owned(),
        name,
        service_type,
        statuses,
        qualifications,
    };
    Ok((certs, svc))
}

/// A QualificationElement: its qualifiers and its CriteriaList's KeyUsage and PolicySet
/// criteria (anything else is [`Criterion::Unsupported`], which selects no certificate).
fn qualification(q: Node<'_, '_>) -> QualificationElement {
    let qualifiers = q
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Qualifier")
        .take(16)
        .filter_map(|n| n.attribute("uri").map(str::to_owned))
        .collect();
    let Some(list) = children(q, "CriteriaList").next() else {
        return QualificationElement { qualifiers, assert: "all".into(), criteria: vec![Criterion::Unsupported] };
    };
    let criteria = list
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() != "Description")
        .take(16)
        .map(|n| match n.tag_name().name() {
            "KeyUsage" => Criterion::KeyUsage(
                n.children()
                    .filter(|b| b.is_element())
                    .take(16)
                    .map(|b| (b.attribute("name").unwrap_or("").to_owned(), b.text().map(str::trim) == Some("true")))
                    .collect(),
            ),
            "PolicySet" => Criterion::PolicySet(
                n.descendants()
                    .filter(|i| i.is_element() && i.tag_name().name() == "Identifier")
                    .take(16)
                    .map(|i| {
                        let t = i.text().unwrap_or("").trim();
                        t.strip_prefix("urn:oid:").unwrap_or(t).to_owned()
                    })
                    .collect(),
            ),
            _ => Criterion::Unsupported,
        })
        .collect();
    QualificationElement { qualifiers, assert: list.attribute("assert").unwrap_or("all").to_owned(), criteria }
}

fn status(node: Node<'_, '_>) -> Result<StatusPeriod, TslError> {
    let status = text_of(child(node, "ServiceStatus")?)?;
    let from = date_time(&text_of(child(node, "StatusStartingTime")?)?)?;
    Ok(StatusPeriod { status, from })
}

/// The X.509 certificates of a ServiceDigitalIdentity.
fn identity_certs(id: Node<'_, '_>) -> Result<Vec<Cert>, TslError> {
    let mut certs = Vec::new();
    for d in children(id, "DigitalId") {
        for c in children(d, "X509Certificate") {
            if certs.len() >= MAX_IDENTITY_CERTS {
                return Err(TslError::Limit(format!(
                    "more than {MAX_IDENTITY_CERTS} certificates in a digital identity"
                )));
            }
            let b64: String = c.text().unwrap_or("").chars().filter(|c| !c.is_ascii_whitespace()).collect();
            use base64ct::Encoding;
            let der = base64ct::Base64::decode_vec(&b64).map_err(|_| format("an X509Certificate is not Base64"))?;
            certs.push(Cert::from_der(&der).map_err(|e| format(format!("an X509Certificate cannot be read: {e}")))?);
        }
    }
    Ok(certs)
}

/// The first Name of a multilingual name list, English preferred.
fn name_of(list: Node<'_, '_>) -> String {
    let names: Vec<Node<'_, '_>> = children(list, "Name").take(64).collect();
    let en = names.iter().find(|n| n.attribute(("http://www.w3.org/XML/1998/namespace", "lang")) == Some("en"));
    en.or(names.first()).and_then(|n| n.text()).map(|t| t.trim().chars().take(256).collect()).unwrap_or_default()
}

fn children<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn child<'a, 'i: 'a>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, TslError> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .ok_or_else(|| format(format!("no {name} in {}", node.tag_name().name())))
}

fn text_of(node: Node<'_, '_>) -> Result<String, TslError> {
    let t = node.text().unwrap_or("").trim();
    if t.len() > 4096 {
        return Err(TslError::Limit(format!("a {} longer than 4096 bytes", node.tag_name().name())));
    }
    Ok(t.to_owned())
}

/// An xsd:dateTime (`2024-05-10T00:00:00Z`, fractions and `+hh:mm` offsets allowed), as seconds
/// since the Unix epoch.
pub(crate) fn date_time(s: &str) -> Result<Duration, TslError> {
    let bad = || format(format!("\"{}\" is not a date and time", crate::verdict::shown(s)));
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r).filter(|x| x.bytes().all(|c| c.is_ascii_digit())).and_then(|x| x.parse::<u32>().ok())
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
        (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
    else {
        return Err(bad());
    };
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset: i64 = match rest.as_bytes() {
        b"" | b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            let v = i64::from((h1 - b'0') * 10 + (h2 - b'0')) * 3600 + i64::from((m1 - b'0') * 10 + (m2 - b'0')) * 60;
            if *sign == b'-' {
                v
            } else {
                -v
            }
        }
        _ => return Err(bad()),
    };
    let year = u16::try_from(y).map_err(|_| bad())?;
    let small = |v: u32| u8::try_from(v).map_err(|_| bad());
    let dt = der::DateTime::new(year, small(mo)?, small(d)?, small(h)?, small(mi)?, small(se)?).map_err(|_| bad())?;
    let t = i64::try_from(dt.unix_duration().as_secs()).map_err(|_| bad())? + offset;
    Ok(Duration::from_secs(u64::try_from(t).map_err(|_| bad())?))
}

/// The environment variable that lists the trusted-list directories, replacing the defaults.
pub const TSL_ENV: &str = "CIE_TRUSTED_LISTS";
/// Most files read from one directory.
const MAX_DIR_FILES: usize = 1000;

/// `/etc/cie/tsl` and the user's `$XDG_CONFIG_HOME/cie/tsl` (`~/.config/cie/tsl`).
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/etc/cie/tsl")];
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config {
        dirs.push(c.join("cie").join("tsl"));
    }
    dirs
}

/// The configured lists: in each directory of `CIE_TRUSTED_LISTS` (separated by `:`) when it is
/// set, else of [`default_dirs`] that exist, every `NAME.xml`, signed by the certificate(s) in
/// `NAME.pem`, `NAME.crt`, `NAME.cer` or `NAME.der` beside it (a national list without one is
/// used when a list of lists in the same set names its signer).
pub fn configured() -> crate::Result<Vec<ListSource>> {
    let dirs: Vec<PathBuf> = match std::env::var_os(TSL_ENV) {
        Some(list) => std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect(),
        None => default_dirs().into_iter().filter(|d| d.is_dir()).collect(),
    };
    let mut out = Vec::new();
    for d in dirs {
        out.extend(from_dir(&d)?);
    }
    Ok(out)
}

/// The lists of one directory ([`configured`]).
pub fn from_dir(dir: &Path) -> crate::Result<Vec<ListSource>> {
    let named = |e: std::io::Error| crate::Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(named)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files.into_iter().take(MAX_DIR_FILES) {
        let mut signers = Vec::new();
        for ext in ["pem", "crt", "cer", "der"] {
            let c = f.with_extension(ext);
            if c.is_file() {
                let mut t = Trust::none();
                t.add_path(&c)?;
                signers.extend(t.anchors().iter().cloned());
            }
        }
        out.push(source(&f, signers)?);
    }
    Ok(out)
}

/// A list file read (at most [`MAX_LIST_BYTES`]), with its signers.
pub fn source(path: &Path, signers: Vec<Cert>) -> crate::Result<ListSource> {
    use std::io::Read;
    let named = |e: std::io::Error| crate::Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())));
    let mut xml = Vec::new();
    std::fs::File::open(path).map_err(named)?.take(MAX_LIST_BYTES as u64 + 1).read_to_end(&mut xml).map_err(named)?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok(ListSource { name, xml, signers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times() {
        assert_eq!(date_time("1970-01-01T00:00:00Z"), Ok(Duration::from_secs(0)));
        assert_eq!(date_time("1970-01-01T01:00:00.123+01:00"), Ok(Duration::from_secs(0)));
        assert_eq!(date_time("1970-01-01T00:00:00-01:00"), Ok(Duration::from_secs(3600)));
        assert!(date_time("1970-13-01T00:00:00Z").is_err());
        assert!(date_time("1970-01-01T00:00:00Zx").is_err());
        assert!(date_time("1970-01-01").is_err());
        assert!(date_time("١٩٧٠-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn hostile_xml_is_a_typed_error() {
        let dtd = b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>";
        assert!(matches!(read(dtd), Err(TslError::Xml(_))));
        assert!(matches!(read(b"<a><b></a>"), Err(TslError::Xml(_))));
        assert!(matches!(read(b"\xff\xfe"), Err(TslError::Xml(_))));
        assert!(matches!(read(b"<x/>"), Err(TslError::Format(_))));
        let deep = "<a>".repeat(100_000);
        assert!(read(deep.as_bytes()).is_err());
    }
}
