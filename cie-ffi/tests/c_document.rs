//! The C example `examples/document.c`, compiled against the generated header and libcie, run
//! under valgrind through pcscd with the virtual card: it signs a PDF (PAdES) and a file
//! (CAdES .p7m, and a detached signature from a buffer), verifies them against the citizen CA
//! and extracts the .p7m, printing the ETSI verdicts (`cie_report_indication`,
//! `cie_report_sub_indication`...). Without the CA and with no installed trust anchor
//! (`CIE_TRUST_ANCHORS` empty) the .p7m is INDETERMINATE. Its outputs are then checked by
//! `openssl cms -verify` and `pdfsig`; valgrind finds no leak and no invalid access.

mod common;

// cie-sign's test generators, whose items are `pub` for cie-sign's own tests.
#[allow(unreachable_pub)]
#[path = "../../cie-sign/tests/common/pdf.rs"]
mod pdf;

use std::process::Command;

use common::*;

#[test]
fn c_document_example_under_valgrind_signs_verifies_and_extracts() {
    let dir = temp_dir("document");
    let exe = compile_example(&dir, "document", &direct_flags());
    let stack = stack();
    let input = dir.join("modulo.pdf");
    std::fs::write(&input, pdf::classic_pdf("1.7", "Modulo firmato da C")).unwrap();
    let data = crate_dir().join("examples/document.c");
    let ca_der = dir.join("ca.der");
    std::fs::write(&ca_der, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let ca = dir.join("ca.pem");
    let out = run(Command::new("openssl").args(["x509", "-inform", "DER", "-in"]).arg(&ca_der).arg("-out").arg(&ca));
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run_with_input(
        Command::new("timeout")
            .args(["900", "valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible"])
            .args(["--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=97"])
            .arg(&exe)
            .arg(&input)
            .arg(&data)
            .arg(&ca)
            .arg(&dir)
            .env("PCSCLITE_CSOCK_NAME", stack.socket_path())
            // No installed trust anchor: only the CA given counts.
            .env("CIE_TRUST_ANCHORS", ""),
        b"12345678\n",
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "status {:?}:\n{stdout}\n{stderr}", out.status.code());
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    assert_eq!(stdout.matches(": VALID, chain trusted, TOTAL-PASSED\n").count(), 3, "{stdout}");
    assert_eq!(stdout.matches(" document: TOTAL-PASSED\n").count(), 3, "{stdout}");
    let (_, without) = stdout.split_once("without CA.pem").expect("verified without the CA");
    assert!(without.contains(": NOT VALID, chain not checked, INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{stdout}");
    assert!(without.contains(" document: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{stdout}");
    assert!(stdout.contains("signing time claimed by the signer (not proven): "), "{stdout}");
    assert!(stdout.contains("signer: MARIO ROSSI") && stdout.contains("fiscal code: RSSMRA80A01H501U"), "{stdout}");
    drop(stack);

    let signed = dir.join("signed.pdf");
    let out = run(Command::new("pdfsig").arg(&signed));
    assert!(text(&out.stdout).contains("Signature Validation: Signature is Valid."), "{}", text(&out.stdout));
    let out = run(Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-purpose", "any", "-in"])
        .arg(dir.join("data.p7m"))
        .arg("-CAfile")
        .arg(&ca)
        .arg("-out")
        .arg(dir.join("openssl-out")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-purpose", "any", "-in"])
        .arg(dir.join("data.p7s"))
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(&ca)
        .arg("-out")
        .arg("/dev/null"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let original = std::fs::read(&data).unwrap();
    assert_eq!(std::fs::read(dir.join("openssl-out")).unwrap(), original);
    assert_eq!(std::fs::read(dir.join("extracted")).unwrap(), original);
    let _ = std::fs::remove_dir_all(&dir);
}
