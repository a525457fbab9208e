//! Enveloped XML signatures made by xmlsec1 (an independent signer, libxml2's canonicalization)
//! over documents chosen to exercise canonicalization (prefixed and default namespaces,
//! namespaces declared but unused, escapes, comments, processing instructions, xml:lang,
//! attributes out of order), in each canonicalization and algorithm a trusted list may use,
//! verified by cie-sign: every one verifies with the signer's certificate, none with another,
//! and a byte changed by hand in the signed content breaks it.

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::chain::Cert;
use cie_sign::xmldsig::{verify_document, DsigError};

const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const INC: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const INC_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("cie-xmldsig-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A key and self-signed certificate: `rsa` or `ec`.
fn key(dir: &Path, name: &str, kind: &str) -> Cert {
    let new_key: &[&str] =
        if kind == "ec" { &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] } else { &["-newkey", "rsa:2048"] };
    let (k, c) = (format!("{name}.key"), format!("{name}.pem"));
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj"];
    let subj = format!("/CN={name}/C=IT");
    args.push(&subj);
    args.extend_from_slice(new_key);
    args.extend_from_slice(&["-keyout", &k, "-out", &c]);
    run(dir, "openssl", &args);
    let pem = std::fs::read(dir.join(&c)).unwrap();
    let mut t = cie_sign::Trust::none();
    t.add(&pem).unwrap();
    t.anchors()[0].clone()
}

/// A signature template: SignedInfo with `c14n`, `method`, one reference to `uri` with the
/// enveloped transform and `transform` (none when empty), SHA-`digest`.
fn template(c14n: &str, method: &str, uri: &str, transform: &str, digest: &str, prefix_list: Option<&str>) -> String {
    let inclusive = prefix_list
        .map(|l| format!("<ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" PrefixList=\"{l}\"/>"))
        .unwrap_or_default();
    let second = if transform.is_empty() {
        String::new()
    } else {
        format!("<ds:Transform Algorithm=\"{transform}\">{inclusive}</ds:Transform>")
    };
    format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"sig-1\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"{c14n}\"/><ds:SignatureMethod Algorithm=\"{method}\"/>\
         <ds:Reference URI=\"{uri}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>{second}</ds:Transforms>\
         <ds:DigestMethod Algorithm=\"{digest}\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
    )
}

/// A document with awkward content; the signature template goes before the root's end.
fn document(root_prefix: bool, signature: &str) -> String {
    let (open, close) = if root_prefix {
        ("<tsl:TrustServiceStatusList xmlns:tsl=\"http://uri.etsi.org/02231/v2#\" xmlns:unused=\"urn:unused\" xml:lang=\"it\" Id=\"TSL-1\" b=\"2\" a=\"1\">", "</tsl:TrustServiceStatusList>")
    } else {
        ("<TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\" xmlns:unused=\"urn:unused\" xml:lang=\"it\" Id=\"TSL-1\" b=\"2\" a=\"1\">", "</TrustServiceStatusList>")
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- before -->\n<?keep this?>\n{open}\r\n  <SchemeInformation xmlns=\"urn:other\" z:q=\"1\" xmlns:z=\"urn:z\">\
         <a   x = 'quote\"d' y=\"tab&#9;nl&#10;cr&#13;lt&lt;amp&amp;\">t &lt; &gt; &amp; &#13; é €<![CDATA[ <cdata> & ]]></a>\
         <!-- inside --><?pi   data  ?><b xmlns=\"\"><c/></b><z:d/></SchemeInformation>\n  {signature}\n{close}\n<!-- after -->\n"
    )
}

/// Signs `xml` with xmlsec1 and the key `name`.
fn sign(dir: &Path, name: &str, xml: &str, id: bool) -> Vec<u8> {
    std::fs::write(dir.join("t.xml"), xml).unwrap();
    let pair = format!("{name}.key,{name}.pem");
    let mut args = vec!["--sign", "--privkey-pem", &pair, "--output", "s.xml"];
    if id {
        args.extend_from_slice(&["--id-attr:Id", "TrustServiceStatusList"]);
    }
    args.push("t.xml");
    run(dir, "xmlsec1", &args);
    std::fs::read(dir.join("s.xml")).unwrap()
}

#[test]
fn signatures_by_xmlsec1_verify_in_every_canonicalization() {
    let s = scratch("c14n");
    let rsa = key(&s.0, "rsa", "rsa");
    let ec = key(&s.0, "ec", "ec");
    let other = key(&s.0, "other", "rsa");
    let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    let rsa256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    let cases: Vec<(&str, bool, String, bool)> = vec![
        ("exclusive, URI=\"\"", true, template(EXC, rsa256, "", EXC, sha256, None), false),
        ("exclusive, default namespace", false, template(EXC, rsa256, "", EXC, sha256, None), false),
        ("inclusive", true, template(INC, rsa256, "", INC, sha256, None), false),
        ("inclusive, default namespace", false, template(INC, rsa256, "", INC, sha256, None), false),
        (
            "inclusive with comments for SignedInfo, no c14n transform",
            false,
            template(INC_COMMENTS, rsa256, "", "", sha256, None),
            false,
        ),
        ("exclusive with a prefix list", true, template(EXC, rsa256, "", EXC, sha256, Some("unused #default")), false),
        ("reference by Id", true, template(EXC, rsa256, "#TSL-1", EXC, sha256, None), true),
        ("reference by Id, inclusive", false, template(INC, rsa256, "#TSL-1", INC, sha256, None), true),
        (
            "SHA-512",
            true,
            template(
                EXC,
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
                "",
                EXC,
                "http://www.w3.org/2001/04/xmlenc#sha512",
                None,
            ),
            false,
        ),
        (
            "SHA-384",
            false,
            template(
                INC,
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
                "",
                EXC,
                "http://www.w3.org/2001/04/xmldsig-more#sha384",
                None,
            ),
            false,
        ),
    ];
    for (what, prefixed, sig, id) in &cases {
        let signed = sign(&s.0, "rsa", &document(*prefixed, sig), *id);
        assert_eq!(verify_document(&signed, &[other.clone(), rsa.clone()]), Ok(1), "{what}");
        assert!(
            matches!(verify_document(&signed, std::slice::from_ref(&other)), Err(DsigError::WrongSigner(_))),
            "{what}"
        );
        // A byte of the signed content changed by hand: "t &lt;" becomes "u &lt;".
        let text = String::from_utf8(signed.clone()).unwrap();
        let altered = text.replacen(">t &lt;", ">u &lt;", 1);
        assert_ne!(altered, text);
        assert!(
            matches!(verify_document(altered.as_bytes(), std::slice::from_ref(&rsa)), Err(DsigError::Altered(_))),
            "{what}"
        );
    }
    // ECDSA P-256 (the value is r || s).
    let sig = template(EXC, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "", EXC, sha256, None);
    let signed = sign(&s.0, "ec", &document(true, &sig), false);
    assert_eq!(verify_document(&signed, std::slice::from_ref(&ec)), Ok(0), "ECDSA");
    assert!(matches!(
        verify_document(&signed, std::slice::from_ref(&rsa)),
        Err(DsigError::Format(_) | DsigError::WrongSigner(_))
    ));
}

#[test]
fn what_the_verifier_does_not_follow_is_refused() {
    let s = scratch("refused");
    let rsa = key(&s.0, "rsa", "rsa");
    let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    let rsa256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    // An XPath transform (written by hand into a signed document).
    let signed = sign(&s.0, "rsa", &document(true, &template(EXC, rsa256, "", EXC, sha256, None)), false);
    let text = String::from_utf8(signed).unwrap();
    let xpath = text.replacen(EXC, "http://www.w3.org/TR/1999/REC-xpath-19991116", 2);
    assert!(matches!(verify_document(xpath.as_bytes(), std::slice::from_ref(&rsa)), Err(DsigError::Format(_))));
    // SHA-1 digests.
    let sha1 = text.replacen(sha256, "http://www.w3.org/2000/09/xmldsig#sha1", 1);
    assert!(
        matches!(verify_document(sha1.as_bytes(), std::slice::from_ref(&rsa)), Err(DsigError::Format(w)) if w.contains("SHA-1"))
    );
    // No signature at all, a DTD, a second signature.
    assert!(matches!(verify_document(b"<a/>", std::slice::from_ref(&rsa)), Err(DsigError::Missing(_))));
    let dtd = text.replacen("<!-- before -->", "<!DOCTYPE x [<!ENTITY e 'x'>]>", 1);
    assert!(matches!(verify_document(dtd.as_bytes(), std::slice::from_ref(&rsa)), Err(DsigError::Format(_))));
    let end = text.rfind("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let start = text.find("<ds:Signature").unwrap();
    let twice = format!("{}{}{}", &text[..end], &text[start..end], &text[end..]);
    assert!(matches!(verify_document(twice.as_bytes(), &[rsa]), Err(DsigError::Format(_))));
}
