//! The built module in the clients citizens and integrators use, each against the simulated
//! card behind an isolated pcscd and each under `timeout` (TESTING.md, "PKCS#11 clients"):
//! OpenSC pkcs11-tool (--test, --sign verified by openssl), NSS certutil/modutil, the OpenSSL
//! pkcs11 engine with curl in a TLS 1.2 client-certificate handshake against openssl s_server,
//! GnuTLS p11tool through a p11-kit module file, Java 17 SunPKCS11 (keytool, a signature), and
//! pyHanko's PKCS#11 PDF signer (checked by pyHanko, poppler's pdfsig and cie-sign). The one
//! server, openssl s_server, is the test's own child, killed and reaped when the test ends
//! however it ends (`Server`). OpenSSH, PyKCS11 and gnutls-cli: clients_more.rs; the helpers
//! both share: common/client.rs.
//!
//! Debian packages: opensc, libnss3-tools, libengine-pkcs11-openssl, curl, openssl, gnutls-bin,
//! p11-kit, openjdk-17-jdk-headless, poppler-utils (plus the stack's pcscd, vsmartcard-vpcd,
//! iproute2); pyHanko from PyPI in the virtual environment `cargo xtask test` prepares.

mod common;

// cie-sign's test PDFs; its helpers are `pub` for cie-sign's own test crates.
#[allow(unreachable_pub)]
#[path = "../../cie-sign/tests/common/pdf.rs"]
mod pdf;

use std::path::{Path, PathBuf};

use cie_sim::fixtures;
use common::client::*;

#[test]
fn pkcs11_tool_test_suite_passes() {
    let c = Client::new("p11test");
    let m = c.module.clone();
    // `--allow-sw`: pkcs11-tool tests only mechanisms flagged CKF_HW unless told otherwise, and
    // the module flags none (verification runs on the host; README.md, "Mechanism flags").
    let out = ok(c.cmd(120, "pkcs11-tool").arg("--module").arg(&m).args([
        "--test",
        "--allow-sw",
        "--login",
        "--pin",
        fixtures::TEST_PIN,
    ]));
    assert!(out.contains("No errors"), "{out}");
    assert!(out.contains("all 4 signature functions seem to work"), "{out}");
    let listed = ok(c.cmd(60, "pkcs11-tool").arg("--module").arg(&m).args([
        "--list-objects",
        "--login",
        "--pin",
        fixtures::TEST_PIN,
    ]));
    assert!(listed.contains("Certificate Object") && listed.contains("Private Key Object"), "{listed}");
    assert!(listed.contains("MARIO ROSSI (CIE)"), "{listed}");
}

#[test]
fn pkcs11_tool_signature_verifies_with_openssl() {
    let c = Client::new("p11sign");
    let input = c.path("document.txt");
    std::fs::write(&input, b"a document signed with the CIE through pkcs11-tool\n").unwrap();
    let sig = c.path("document.sig");
    ok(c.cmd(60, "pkcs11-tool")
        .arg("--module")
        .arg(&c.module)
        .args([
            "--login",
            "--pin",
            fixtures::TEST_PIN,
            "--sign",
            "--mechanism",
            "SHA256-RSA-PKCS",
            "--id",
            &key_id_hex(),
        ])
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&sig));
    let public = c.citizen_public_pem();
    let verified = ok(c
        .cmd(20, "openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&input));
    assert!(verified.contains("Verified OK"), "{verified}");
}

fn nss_db(c: &Client, friendly: bool) -> String {
    let db = format!("sql:{}", c.path("nssdb").display());
    std::fs::create_dir_all(c.path("nssdb")).unwrap();
    ok(c.cmd(30, "certutil").args(["-N", "-d", &db, "--empty-password"]));
    let mut add = c.cmd(30, "modutil");
    add.args(["-dbdir", &db, "-add", "cie", "-libfile"]).arg(&c.module).arg("-force");
    if friendly {
        add.args(["-mechanisms", "FRIENDLY"]);
    }
    ok(&mut add);
    db
}

#[test]
fn nss_lists_the_certificate() {
    let c = Client::new("nss");
    let db = nss_db(&c, false);
    let modules = ok(c.cmd(30, "modutil").args(["-dbdir", &db, "-list"]));
    assert!(modules.contains("cie") && modules.contains("CIE 378215946021"), "{modules}");
    let pinfile = c.path("pin.txt");
    std::fs::write(&pinfile, format!("{}\n", fixtures::TEST_PIN)).unwrap();
    let listed = ok(c.cmd(60, "certutil").args(["-L", "-d", &db, "-h", "all", "-f"]).arg(&pinfile));
    assert!(listed.contains("CIE 378215946021:MARIO ROSSI (CIE)"), "{listed}");
}

#[test]
fn nss_lists_the_certificate_without_pin_from_the_cache() {
    let c = Client::new("nsscache");
    // A first use with the PIN fills the certificate cache...
    ok(c.cmd(60, "pkcs11-tool")
        .arg("--module")
        .arg(&c.module)
        .args(["--login", "--pin", fixtures::TEST_PIN, "--list-objects"])
        .env_remove("CIE_PKCS11_CACHE"));
    // (one certificate file and one card-constants file).
    let entries = std::fs::read_dir(c.home.join(".cache/cie")).unwrap().count();
    assert_eq!(entries, 2);
    // ...so a later client sees the certificate without any PIN.
    let db = nss_db(&c, true);
    let listed = ok(c.cmd(60, "certutil").args(["-L", "-d", &db, "-h", "all"]).env_remove("CIE_PKCS11_CACHE"));
    assert!(listed.contains("CIE 378215946021:MARIO ROSSI (CIE)"), "{listed}");
}

#[test]
fn openssl_engine_and_curl_do_a_tls12_client_certificate_handshake() {
    let c = Client::new("tls");
    require("curl");
    let client_pem = c.citizen_pem();
    let server = TlsServer::start(&c);

    // The card signs PKCS#1 v1.5 only (PROTOCOL.md §7.1): the client must not pick RSA-PSS
    // from the server's list, which OpenSSL would do by default even in TLS 1.2.
    let conf = c.path("openssl-client.cnf");
    std::fs::write(&conf, OPENSSL_CLIENT_CONF).unwrap();
    let key_uri = format!("{TOKEN_URI};type=private;pin-value={}", fixtures::TEST_PIN);
    let page = ok(c
        .cmd(60, "curl")
        .env("PKCS11_MODULE_PATH", &c.module)
        .env("OPENSSL_CONF", &conf)
        .args(["--silent", "--show-error", "--insecure", "--tlsv1.2", "--tls-max", "1.2"])
        .args(["--engine", "pkcs11", "--key-type", "ENG", "--key", &key_uri, "--cert"])
        .arg(&client_pem)
        .arg(format!("https://127.0.0.1:{}/", server.port)));
    assert!(page.contains("TLSv1.2"), "{page}");
    let seen = format!("{page}\n{}", server.log());
    assert!(
        seen.contains("RSSMRA80A01H501U") && seen.contains("ROSSI"),
        "the server shows the citizen's subject:\n{seen}"
    );
    server.stop();
}

#[test]
fn gnutls_p11tool_sees_the_objects_through_p11_kit() {
    let c = Client::new("p11tool");
    let modules = p11kit_modules(&c);
    let tokens = ok(with_p11kit_modules(&c, 60, &modules, "p11tool").arg("--list-tokens"));
    assert!(tokens.contains("CIE 378215946021"), "{tokens}");
    let all = ok(with_p11kit_modules(&c, 60, &modules, "p11tool")
        .args(["--list-all", "--login", TOKEN_URI])
        .env("GNUTLS_PIN", fixtures::TEST_PIN));
    assert!(all.contains("Type: X.509 Certificate"), "{all}");
    assert!(all.contains("Type: Private key"), "{all}");
    assert!(all.contains("Type: Public key"), "{all}");
    assert!(all.contains("MARIO ROSSI (CIE)"), "{all}");
}

const JAVA_SIGN: &str = r#"
import java.security.*;
import java.security.cert.X509Certificate;
import java.util.Collections;

public class CieSign {
    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray());
        for (String alias : Collections.list(ks.aliases())) {
            if (!ks.isKeyEntry(alias)) continue;
            PrivateKey key = (PrivateKey) ks.getKey(alias, null);
            X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
            byte[] data = "signed in Java through SunPKCS11".getBytes("UTF-8");
            Signature s = Signature.getInstance("SHA256withRSA", p);
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withRSA", "SunRsaSign");
            v.initVerify(cert.getPublicKey());
            v.update(data);
            System.out.println("alias " + alias + " subject " + cert.getSubjectX500Principal());
            System.out.println(v.verify(sig) ? "SIGNATURE VERIFIED" : "SIGNATURE BROKEN");
            return;
        }
        System.out.println("NO KEY ENTRY");
    }
}
"#;

#[test]
fn java_sunpkcs11_lists_the_key_and_signs() {
    let c = Client::new("java");
    let cfg = c.path("cie-pkcs11.cfg");
    std::fs::write(&cfg, format!("name = CIE\nlibrary = {}\nslotListIndex = 0\n", c.module.display())).unwrap();
    let listed = ok(c
        .cmd(120, "keytool")
        .args([
            "-list",
            "-keystore",
            "NONE",
            "-storetype",
            "PKCS11",
            "-providerClass",
            "sun.security.pkcs11.SunPKCS11",
            "-providerArg",
        ])
        .arg(&cfg)
        .args(["-storepass", fixtures::TEST_PIN]));
    assert!(listed.contains("PrivateKeyEntry"), "{listed}");
    let source = c.path("CieSign.java");
    std::fs::write(&source, JAVA_SIGN).unwrap();
    let out = ok(c.cmd(120, "java").arg(&source).arg(&cfg).arg(fixtures::TEST_PIN));
    assert!(out.contains("SIGNATURE VERIFIED"), "{out}");
    assert!(out.contains("ROSSI"), "{out}");
}

/// The pyHanko executable (`$CIE_PYHANKO`, set by `cargo xtask test`, else the workspace's
/// target/pyhanko-venv).
fn pyhanko() -> PathBuf {
    let p = std::env::var_os("CIE_PYHANKO")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyhanko-venv/bin/pyhanko"));
    assert!(p.is_file(), "{} missing: run `cargo xtask test` (it installs pyHanko)", p.display());
    p
}

#[test]
fn pyhanko_signs_a_pdf_through_the_module() {
    let c = Client::new("pyhanko");
    let input = c.path("modulo.pdf");
    std::fs::write(&input, pdf::classic_pdf("1.7", "Firmato con pyHanko")).unwrap();
    let ca = c.pem("ca", fixtures::citizen_ca_certificate());
    // The test card's PIN in pyHanko's configuration (a test credential).
    let config = c.path("pyhanko.yml");
    std::fs::write(
        &config,
        format!(
            "pkcs11-setups:\n  cie:\n    module-path: \"{}\"\n    token-criteria:\n      label: \"CIE {}\"\n    \
             cert-label: \"MARIO ROSSI (CIE)\"\n    key-label: \"MARIO ROSSI (CIE)\"\n    user-pin: \"{}\"\n\
             validation-contexts:\n  cie:\n    trust: \"{}\"\n    trust-replace: true\n    \
             signer-key-usage-policy:\n      key-usage: [digital_signature]\n",
            c.module.display(),
            fixtures::TEST_NIS,
            fixtures::TEST_PIN,
            ca.display()
        ),
    )
    .unwrap();
    let signed = c.path("modulo-firmato.pdf");
    let exe = pyhanko();
    let exe = exe.to_str().unwrap();
    ok(c.cmd(180, exe)
        .arg("--config")
        .arg(&config)
        .args(["sign", "addsig", "--field", "Firma"])
        .args(["pkcs11", "--p11-setup", "cie"])
        .arg(&input)
        .arg(&signed));

    let out = ok(c
        .cmd(120, exe)
        .arg("--config")
        .arg(&config)
        .args(["sign", "validate", "--validation-context", "cie", "--no-revocation-check", "--pretty-print"])
        .arg(&signed));
    assert!(out.contains("The signature is judged VALID.") && out.contains("Test CA per la Carta"), "{out}");
    let out = ok(c.cmd(60, "pdfsig").arg(&signed));
    assert!(out.contains("Signature Validation: Signature is Valid."), "{out}");
    let mut trust = cie_sign::Trust::none();
    trust.add(fixtures::citizen_ca_certificate()).unwrap();
    let report = cie_sign::pades::verify_pdf(&std::fs::read(&signed).unwrap(), &trust).unwrap();
    assert!(report.all_valid() && report.signatures.len() == 1, "{report:?}");
    assert_eq!(report.signatures[0].field.as_deref(), Some("Firma"));
}
