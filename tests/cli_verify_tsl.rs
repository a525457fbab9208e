//! `cie verify --tsl`: trusted lists and qualified signatures end to end, through the real
//! binary. The test makes its own PKI with OpenSSL (a qualified CA, certificates with and
//! without QC statements, the signers of the lists), writes an EU list of lists (LOTL) and
//! Italian national lists (ETSI TS 119 612 XML) whose CA/QC service is that CA, and signs them
//! with xmlsec1 (an independent XML signer); documents are signed by `openssl cms` (CAdES)
//! and pyHanko (PAdES). Checked:
//! a qualified electronic signature is reported as such (English, Italian, JSON), through a
//! LOTL and with the national list's own signer, and through the configured directory; a
//! certificate without QcSSCD is valid but not qualified; one not under the list is not
//! qualified; and a list altered by hand after signing, signed by another key, past its
//! NextUpdate, or whose service was withdrawn before the validation time is not used, with
//! its reason (a service withdrawn only after it still makes the signature qualified). No
//! card is needed.

mod cli_util;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli_util::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} (xtask/src/packages.rs): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// QCStatements (ETSI EN 319 412-5) written by hand: QcCompliance, QcSSCD, QcType esign.
const QC_FULL: &str = "DER:30:29:30:08:06:06:04:00:8E:46:01:01:30:08:06:06:04:00:8E:46:01:04:\
                       30:13:06:06:04:00:8E:46:01:06:30:09:06:07:04:00:8E:46:01:06:01";
/// QcCompliance and QcType esign, no QcSSCD.
const QC_NO_SSCD: &str = "DER:30:1F:30:08:06:06:04:00:8E:46:01:01:\
                          30:13:06:06:04:00:8E:46:01:06:30:09:06:07:04:00:8E:46:01:06:01";

/// The test PKI and documents, in one directory.
struct Pki {
    dir: Dir,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = Dir::new("cie-tsl", name);
        let d = &dir.0;
        // The lists' signers (RSA, as the EU lists use) and an intruder.
        for signer in ["lotl-signer", "it-signer", "intruder"] {
            let subj = format!("/CN={signer}/C=IT");
            let (k, c) = (format!("{signer}.key"), format!("{signer}.pem"));
            run(
                d,
                "openssl",
                &[
                    "req", "-x509", "-nodes", "-days", "3650", "-newkey", "rsa:2048", "-subj", &subj, "-keyout", &k,
                    "-out", &c,
                ],
            );
        }
        // The qualified CA of the list, and another CA not on it (EC P-256).
        for ca in ["qualified-ca", "other-ca"] {
            let subj = format!("/CN=Test {ca}/O=Test QTSP/C=IT");
            let (k, c) = (format!("{ca}.key"), format!("{ca}.pem"));
            run(
                d,
                "openssl",
                &[
                    "req",
                    "-x509",
                    "-nodes",
                    "-days",
                    "3650",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-subj",
                    &subj,
                    "-keyout",
                    &k,
                    "-out",
                    &c,
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            );
        }
        std::fs::write(d.join("document.txt"), "Contratto di prova, firmato.\n").unwrap();
        // Signers: qualified (QC statements with QcSSCD), qualified without QcSSCD, none, and
        // a qualified-looking certificate from the CA that is not on the list.
        for (leaf, ca, qc) in [
            ("qes", "qualified-ca", Some(QC_FULL)),
            ("no-sscd", "qualified-ca", Some(QC_NO_SSCD)),
            ("plain", "qualified-ca", None),
            ("unlisted", "other-ca", Some(QC_FULL)),
        ] {
            let subj = format!("/CN=MARIO ROSSI {leaf}/serialNumber=TINIT-RSSMRA80A01H501U/C=IT");
            let (k, csr, c, ext) =
                (format!("{leaf}.key"), format!("{leaf}.csr"), format!("{leaf}.pem"), format!("{leaf}.ext"));
            let mut extensions = "basicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation\n".to_owned();
            if let Some(qc) = qc {
                extensions.push_str(&format!("1.3.6.1.5.5.7.1.3={qc}\n"));
            }
            std::fs::write(d.join(&ext), extensions).unwrap();
            run(
                d,
                "openssl",
                &[
                    "req",
                    "-new",
                    "-nodes",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-subj",
                    &subj,
                    "-keyout",
                    &k,
                    "-out",
                    &csr,
                ],
            );
            let (ca_cert, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            run(
                d,
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &ca_cert,
                    "-CAkey",
                    &ca_key,
                    "-CAcreateserial",
                    "-days",
                    "3000",
                    "-extfile",
                    &ext,
                    "-out",
                    &c,
                ],
            );
            let p7m = format!("{leaf}.p7m");
            run(
                d,
                "openssl",
                &[
                    "cms",
                    "-sign",
                    "-binary",
                    "-nodetach",
                    "-cades",
                    "-md",
                    "sha256",
                    "-in",
                    "document.txt",
                    "-signer",
                    &c,
                    "-inkey",
                    &k,
                    "-outform",
                    "DER",
                    "-out",
                    &p7m,
                ],
            );
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The Base64 DER of a PEM certificate of the PKI.
    fn b64(&self, name: &str) -> String {
        let pem = std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap();
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// Signs `xml` (with its signature template) with xmlsec1 and `signer`'s key into `out`.
    fn sign_list(&self, xml: &str, signer: &str, out: &str) -> PathBuf {
        let template = self.path(&format!("{out}.template"));
        std::fs::write(&template, xml).unwrap();
        let pair = format!("{signer}.key,{signer}.pem");
        run(&self.dir.0, "xmlsec1", &["--sign", "--privkey-pem", &pair, "--output", out, s(&template)]);
        std::fs::remove_file(template).unwrap();
        self.path(out)
    }

    /// The Italian national list with the qualified CA as a CA/QC service whose statuses are
    /// `history` (status, starting time; the first is the current one), next update `next`.
    fn national(&self, history: &[(&str, &str)], next: &str, signer: &str, out: &str) -> PathBuf {
        self.national_with(history, next, "", signer, out)
    }

    /// [`Pki::national`] with `extensions` (ServiceInformationExtensions content) in the service.
    fn national_with(
        &self,
        history: &[(&str, &str)],
        next: &str,
        extensions: &str,
        signer: &str,
        out: &str,
    ) -> PathBuf {
        let status = |(st, from): &(&str, &str)| {
            format!(
                "<tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{st}</tsl:ServiceStatus>\
                 <tsl:StatusStartingTime>{from}</tsl:StatusStartingTime>"
            )
        };
        let ca = self.b64("qualified-ca");
        let identity = format!(
            "<tsl:ServiceDigitalIdentity><tsl:DigitalId><tsl:X509Certificate>{ca}</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity>"
        );
        let svc_type = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
        let older: String = history[1..]
            .iter()
            .map(|h| {
                format!(
                    "<tsl:ServiceHistoryInstance><tsl:ServiceTypeIdentifier>{svc_type}</tsl:ServiceTypeIdentifier>\
                     <tsl:ServiceName><tsl:Name xml:lang=\"en\">Test qualified CA</tsl:Name></tsl:ServiceName>{identity}{}</tsl:ServiceHistoryInstance>",
                    status(h)
                )
            })
            .collect();
        let body = format!(
            "<tsl:SchemeInformation><tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier><tsl:TSLSequenceNumber>7</tsl:TSLSequenceNumber>\
             <tsl:TSLType>http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric</tsl:TSLType>\
             <tsl:SchemeOperatorName><tsl:Name xml:lang=\"it\">Agenzia di prova</tsl:Name></tsl:SchemeOperatorName>\
             <tsl:SchemeTerritory>IT</tsl:SchemeTerritory><tsl:ListIssueDateTime>2024-01-01T00:00:00Z</tsl:ListIssueDateTime>\
             <tsl:NextUpdate><tsl:dateTime>{next}</tsl:dateTime></tsl:NextUpdate></tsl:SchemeInformation>\n\
             <tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPInformation><tsl:TSPName>\
             <tsl:Name xml:lang=\"en\">Test QTSP S.p.A.</tsl:Name></tsl:TSPName></tsl:TSPInformation><tsl:TSPServices><tsl:TSPService>\
             <tsl:ServiceInformation><tsl:ServiceTypeIdentifier>{svc_type}</tsl:ServiceTypeIdentifier>\
             <tsl:ServiceName><tsl:Name xml:lang=\"en\">Test qualified CA</tsl:Name></tsl:ServiceName>{identity}{}{extensions}</tsl:ServiceInformation>\
             <tsl:ServiceHistory>{older}</tsl:ServiceHistory></tsl:TSPService></tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList>",
            status(&history[0])
        );
        self.sign_list(&list(&body), signer, out)
    }

    /// The list of lists: a pointer to the Italian list naming `it-signer` as its signer.
    fn lotl(&self, out: &str) -> PathBuf {
        let it = self.b64("it-signer");
        let body = format!(
            "<tsl:SchemeInformation><tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier><tsl:TSLSequenceNumber>300</tsl:TSLSequenceNumber>\
             <tsl:TSLType>http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists</tsl:TSLType>\
             <tsl:SchemeTerritory>EU</tsl:SchemeTerritory><tsl:ListIssueDateTime>2024-01-01T00:00:00Z</tsl:ListIssueDateTime>\
             <tsl:NextUpdate><tsl:dateTime>2099-01-01T00:00:00Z</tsl:dateTime></tsl:NextUpdate>\
             <tsl:PointersToOtherTSL><tsl:OtherTSLPointer><tsl:ServiceDigitalIdentities><tsl:ServiceDigitalIdentity><tsl:DigitalId>\
             <tsl:X509Certificate>{it}</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity></tsl:ServiceDigitalIdentities>\
             <tsl:TSLLocation>https://example.invalid/IT_TSL.xml</tsl:TSLLocation><tsl:AdditionalInformation><tsl:OtherInformation>\
             <tsl:SchemeTerritory>IT</tsl:SchemeTerritory></tsl:OtherInformation></tsl:AdditionalInformation></tsl:OtherTSLPointer>\
             </tsl:PointersToOtherTSL></tsl:SchemeInformation>"
        );
        self.sign_list(&list(&body), "lotl-signer", out)
    }
}

/// A trusted list around `body`, with the enveloped signature template TS 119 612 §5.7 uses.
fn list(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tsl:TrustServiceStatusList xmlns:tsl=\"http://uri.etsi.org/02231/v2#\" \
         xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"TSL\" TSLTag=\"http://uri.etsi.org/19612/TSLTag\">\n{body}\n\
         <ds:Signature Id=\"sig\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></tsl:TrustServiceStatusList>\n"
    )
}

const GRANTED_2020: (&str, &str) = ("granted", "2020-01-01T00:00:00Z");
const FUTURE: &str = "2099-01-01T00:00:00Z";

fn verify(pki: &Pki, lists: &[&Path], signer: &str, p7m: &str, extra: &[&str]) -> Run {
    let signer = pki.path(&format!("{signer}.pem"));
    let p7m = pki.path(p7m);
    let mut args = vec!["verify"];
    for l in lists {
        args.extend_from_slice(&["--tsl", s(l)]);
    }
    args.extend_from_slice(&["--tsl-signer", s(&signer)]);
    args.extend_from_slice(extra);
    args.push(s(&p7m));
    cie_with_socket(None, &args, "")
}

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

#[test]
fn a_qualified_signature_through_the_lists_in_english_italian_and_json() {
    let pki = Pki::new("qualified");
    let it = pki.national(&[GRANTED_2020], FUTURE, "it-signer", "IT.xml");
    let lotl = pki.lotl("LOTL.xml");

    // Through the list of lists: its signer given, the national list's named by it.
    let r = verify(&pki, &[&lotl, &it], "lotl-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("trusted list LOTL.xml (EU): used, 0 qualified CA certificates"), "{r:?}");
    assert!(r.stdout.contains("trusted list IT.xml (IT): used, 1 qualified CA certificates"), "{r:?}");
    assert!(
        r.stdout.contains(
            "  qualified:    yes, a qualified electronic signature (certificate issued under the qualified service \"Test qualified CA (IT)\" of a trusted list)"
        ),
        "{r:?}"
    );
    // A batch: the lists said once, before the files; each signature's qualification in its
    // file's block.
    let (it_signer, qes, no_sscd) = (pki.path("it-signer.pem"), pki.path("qes.p7m"), pki.path("no-sscd.p7m"));
    let r =
        cie_with_socket(None, &["verify", "--tsl", s(&it), "--tsl-signer", s(&it_signer), s(&qes), s(&no_sscd)], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout.matches("trusted list IT.xml (IT): used, 1 qualified CA certificates").count(), 1, "{r:?}");
    let blocks: Vec<&str> = r.stdout.split("\n\n").collect();
    assert!(blocks[0].starts_with("trusted list IT.xml"), "{r:?}");
    let block_of = |name: &str| blocks.iter().find(|b| b.contains(name)).copied().unwrap_or_default();
    assert!(block_of("qes.p7m").contains("qualified:    yes, a qualified electronic signature"), "{r:?}");
    assert!(
        block_of("no-sscd.p7m").contains("qualified:    no, a qualified certificate whose key is not in a qualified"),
        "{r:?}"
    );
    // The national list with its own signer given.
    let r = verify(&pki, &[&it], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
    // Italian.
    let signer = pki.path("it-signer.pem");
    let qes = pki.path("qes.p7m");
    let args = ["verify", "--tsl", s(&it), "--tsl-signer", s(&signer), s(&qes)];
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &args, "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("lista di fiducia IT.xml (IT): usata, 1 certificati di CA qualificate"), "{r:?}");
    assert!(r.stdout.contains("  qualificata:     sì, firma elettronica qualificata"), "{r:?}");
    // JSON.
    let lotl_signer = pki.path("lotl-signer.pem");
    let args = ["--json", "verify", "--tsl", s(&lotl), "--tsl", s(&it), "--tsl-signer", s(&lotl_signer), s(&qes)];
    let r = cie_with_socket(None, &args, "");
    assert_eq!(r.code, Some(0), "{r:?}");
    let j = json_of(&r);
    assert_eq!(j["signatures"][0]["qualification"], "qualified", "{r:?}");
    assert_eq!(j["signatures"][0]["qualified_service"], "Test qualified CA (IT)");
    assert_eq!(j["trusted_lists"][0]["list_of_lists"], true);
    assert_eq!(j["trusted_lists"][1]["used"], true);
    assert_eq!(j["trusted_lists"][1]["anchors"], 1);

    // The configured directory: each list next to its signer (IT.xml has none: the LOTL names it).
    let config = pki.path("config");
    std::fs::create_dir_all(config.join("cie/tsl")).unwrap();
    std::fs::copy(&lotl, config.join("cie/tsl/LOTL.xml")).unwrap();
    std::fs::copy(pki.path("lotl-signer.pem"), config.join("cie/tsl/LOTL.pem")).unwrap();
    std::fs::copy(&it, config.join("cie/tsl/IT.xml")).unwrap();
    let r = cie_with_env(
        None,
        &[("LC_ALL", "C")],
        &[("!CIE_TRUSTED_LISTS", ""), ("XDG_CONFIG_HOME", s(&config))],
        &["verify", s(&qes)],
        "",
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
}

#[test]
fn what_is_not_qualified_says_what_it_lacks() {
    let pki = Pki::new("lacks");
    let it = pki.national(&[GRANTED_2020], FUTURE, "it-signer", "IT.xml");
    // Qualified certificate without QcSSCD: valid, not qualified.
    let r = verify(&pki, &[&it], "it-signer", "no-sscd.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains(
            "qualified:    no, a qualified certificate whose key is not in a qualified signature creation device"
        ),
        "{r:?}"
    );
    let (signer, doc) = (pki.path("it-signer.pem"), pki.path("no-sscd.p7m"));
    let r = cie_with_socket(None, &["--json", "verify", "--tsl", s(&it), "--tsl-signer", s(&signer), s(&doc)], "");
    assert_eq!(json_of(&r)["signatures"][0]["qualification"], "no_qscd", "{r:?}");
    // No QC statements at all: an advanced signature.
    let r = verify(&pki, &[&it], "it-signer", "plain.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    no, the certificate does not state it is qualified"), "{r:?}");
    // A CA not on the list: no path without --ca; with it, valid but not under a qualified CA.
    let r = verify(&pki, &[&it], "it-signer", "unlisted.p7m", &[]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("qualified:    no, the signature is not valid"), "{r:?}");
    let ca = pki.path("other-ca.pem");
    let r = verify(&pki, &[&it], "it-signer", "unlisted.p7m", &["--ca", s(&ca)]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains("qualified:    no, the certificate is not issued under a qualified CA of a trusted list"),
        "{r:?}"
    );
    // Without any list, no qualification line.
    let r = cie_with_socket(None, &["verify", "--ca", s(&pki.path("qualified-ca.pem")), s(&pki.path("qes.p7m"))], "");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!r.stdout.contains("qualified:"), "{r:?}");
}

#[test]
fn lists_that_cannot_be_relied_on_are_not_used() {
    let pki = Pki::new("refused");
    let it = pki.national(&[GRANTED_2020], FUTURE, "it-signer", "IT.xml");
    let lotl = pki.lotl("LOTL.xml");
    let refused = |r: &Run, reason: &str| {
        assert_eq!(r.code, Some(6), "{r:?}");
        assert!(r.stdout.contains("(IT): NOT used: ") && r.stdout.contains(reason), "{reason}: {r:?}");
        assert!(r.stdout.contains("qualified:    no, the signature is not valid"), "{r:?}");
    };
    // Its signed content changed by hand after signing (the service's name).
    let text = std::fs::read_to_string(&it).unwrap();
    let changed = text.replacen("Test QTSP S.p.A.", "Test QTSP S.p.B.", 1);
    assert_ne!(changed, text);
    let altered = pki.path("IT-altered.xml");
    std::fs::write(&altered, changed).unwrap();
    refused(&verify(&pki, &[&altered], "it-signer", "qes.p7m", &[]), "the list was changed after it was signed");
    refused(&verify(&pki, &[&lotl, &altered], "lotl-signer", "qes.p7m", &[]), "changed after it was signed");
    // The same reason in Italian.
    let (signer, qes) = (pki.path("it-signer.pem"), pki.path("qes.p7m"));
    let args = ["verify", "--tsl", s(&altered), "--tsl-signer", s(&signer), s(&qes)];
    let r = cie_with_locale(None, &[("LANG", "it_IT.UTF-8")], &args, "");
    assert!(r.stdout.contains("(IT): NON usata: la lista è stata modificata dopo la firma ("), "{r:?}");
    // Signed by another key than the given one, or than the one the LOTL names.
    let intruder = pki.national(&[GRANTED_2020], FUTURE, "intruder", "IT-intruder.xml");
    refused(
        &verify(&pki, &[&intruder], "it-signer", "qes.p7m", &[]),
        "does not verify with the expected signing certificate (it names \"C=IT,CN=intruder\")",
    );
    refused(&verify(&pki, &[&lotl, &intruder], "lotl-signer", "qes.p7m", &[]), "expected signing certificate");
    // A national list given with no signer and no list of lists.
    let r = cie_with_socket(None, &["verify", "--tsl", s(&it), s(&pki.path("qes.p7m"))], "");
    refused(&r, "no signing certificate is given for it");
    // Past its NextUpdate.
    let stale = pki.national(&[GRANTED_2020], "2021-06-30T00:00:00Z", "it-signer", "IT-stale.xml");
    refused(&verify(&pki, &[&stale], "it-signer", "qes.p7m", &[]), "its next update was due on 2021-06-30T00:00:00Z");
    // Hostile XML: a DTD with an entity.
    let dtd = pki.path("IT-dtd.xml");
    std::fs::write(&dtd, text.replacen("<tsl:Trust", "<!DOCTYPE x [<!ENTITY e 'x'>]><tsl:Trust", 1)).unwrap();
    let r = verify(&pki, &[&dtd], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("IT-dtd.xml (?): NOT used: not readable XML"), "{r:?}");
}

#[test]
fn a_service_counts_by_its_status_at_the_validation_time() {
    let pki = Pki::new("status");
    // Withdrawn in 2021, before now (the validation time): its CA is no anchor.
    let withdrawn =
        pki.national(&[("withdrawn", "2021-01-01T00:00:00Z"), GRANTED_2020], FUTURE, "it-signer", "IT-w.xml");
    let r = verify(&pki, &[&withdrawn], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("used, 1 qualified CA certificates"), "{r:?}");
    assert!(
        r.stdout.contains("the trusted list's service \"Test qualified CA\" of \"Test QTSP S.p.A.\" (IT) was not usable at the validation time: its status was \"withdrawn\""),
        "{r:?}"
    );
    // Withdrawn only after the validation time: still qualified.
    let later = pki.national(&[("withdrawn", "2098-01-01T00:00:00Z"), GRANTED_2020], FUTURE, "it-signer", "IT-l.xml");
    let r = verify(&pki, &[&later], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
    // Granted only from a time after the validation time: not yet an anchor.
    let future = pki.national(&[("granted", "2098-01-01T00:00:00Z")], FUTURE, "it-signer", "IT-f.xml");
    let r = verify(&pki, &[&future], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(6), "{r:?}");
    assert!(r.stdout.contains("had no status yet at the validation time"), "{r:?}");
}

/// A Qualifications extension (TS 119 612 §5.5.9.2) with one element: `qualifier` for the
/// certificates `criteria` select.
fn qualification(qualifier: &str, criteria: &str) -> String {
    format!(
        "<tsl:ServiceInformationExtensions><tsl:Extension Critical=\"true\">\
         <q:Qualifications xmlns:q=\"http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#\">\
         <q:QualificationElement><q:Qualifiers><q:Qualifier uri=\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/{qualifier}\"/>\
         </q:Qualifiers><q:CriteriaList assert=\"all\">{criteria}</q:CriteriaList></q:QualificationElement>\
         </q:Qualifications></tsl:Extension></tsl:ServiceInformationExtensions>"
    )
}

#[test]
fn the_lists_qualifications_apply_to_the_certificates_their_criteria_select() {
    let pki = Pki::new("qualifications");
    let non_repudiation = "<q:KeyUsage><q:KeyUsageBit name=\"nonRepudiation\">true</q:KeyUsageBit></q:KeyUsage>";
    let other_policy = "<q:PolicySet><q:PolicyIdentifier><Identifier xmlns=\"http://uri.etsi.org/01903/v1.3.2#\">urn:oid:1.3.6.1.4.1.99999.1</Identifier></q:PolicyIdentifier></q:PolicySet>";
    // QCWithQSCD for the certificates with nonRepudiation: the certificate without QcSSCD too.
    let ext = qualification("QCWithQSCD", non_repudiation);
    let with = pki.national_with(&[GRANTED_2020], FUTURE, &ext, "it-signer", "IT-qscd.xml");
    let r = verify(&pki, &[&with], "it-signer", "no-sscd.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
    // QCNoQSCD for the same certificates: not qualified, though the certificate says QcSSCD.
    let ext = qualification("QCNoQSCD", non_repudiation);
    let without = pki.national_with(&[GRANTED_2020], FUTURE, &ext, "it-signer", "IT-noqscd.xml");
    let r = verify(&pki, &[&without], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains("qualified:    no, a qualified certificate whose key is not in a qualified signature"),
        "{r:?}"
    );
    // QCNoQSCD for a policy the certificates do not assert: it does not apply.
    let ext = qualification("QCNoQSCD", other_policy);
    let elsewhere = pki.national_with(&[GRANTED_2020], FUTURE, &ext, "it-signer", "IT-policy.xml");
    let r = verify(&pki, &[&elsewhere], "it-signer", "qes.p7m", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
    let r = verify(&pki, &[&elsewhere], "it-signer", "no-sscd.p7m", &[]);
    assert!(r.stdout.contains("qualified:    no, a qualified certificate whose key"), "{r:?}");
}

/// pyHanko (installed by `cargo xtask test` into target/pyhanko-venv, or `CIE_PYHANKO`).
fn pyhanko() -> PathBuf {
    let p = match std::env::var_os("CIE_PYHANKO") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyhanko-venv/bin/pyhanko"),
    };
    assert!(
        p.exists(),
        "{} missing: run `cargo xtask test` (it installs pyHanko into target/pyhanko-venv)",
        p.display()
    );
    p
}

/// A one-page PDF written out with its cross-reference table.
fn small_pdf() -> Vec<u8> {
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj{o}endobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    pdf
}

#[test]
fn a_pades_signature_by_pyhanko_is_qualified_too() {
    let pki = Pki::new("pades");
    let it = pki.national(&[GRANTED_2020], FUTURE, "it-signer", "IT.xml");
    std::fs::write(pki.path("unsigned.pdf"), small_pdf()).unwrap();
    for leaf in ["qes", "no-sscd"] {
        let out = format!("{leaf}.pdf");
        let (key, cert) = (format!("{leaf}.key"), format!("{leaf}.pem"));
        let args = [
            "sign",
            "addsig",
            "--field",
            "Sig1",
            "pemder",
            "--key",
            &key,
            "--cert",
            &cert,
            "--no-pass",
            "unsigned.pdf",
            &out,
        ];
        run(&pki.dir.0, s(&pyhanko()), &args);
    }
    let r = verify(&pki, &[&it], "it-signer", "qes.pdf", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    yes"), "{r:?}");
    let r = verify(&pki, &[&it], "it-signer", "no-sscd.pdf", &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("qualified:    no, a qualified certificate whose key"), "{r:?}");
}
