//! Damaged and unusual cross-reference tables (ISO 32000-1 §7.5.4, §7.5.8): signed PDFs from
//! pyHanko's test suite whose signed revision has a broken table, a hybrid-reference or a
//! linearized layout (tests/corpus/xref/MANIFEST), are read as poppler's `pdfsig` and pyHanko's
//! non-strict reader read them; tables damaged by hand after the signature are rebuilt, and the
//! changes they hide are still found; recovery never makes an altered document valid.

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::pades;
use cie_sign::{Indication, Report, SubIndication, Trust};

const REBUILT_SIGNED: &str = "the cross-reference table of the signed revision is damaged";
const REBUILT_LATER: &str = "the cross-reference table of an update after this signature is damaged";

fn corpus(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xref").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// pyHanko's test root, the anchor of its signer "Alice" (expired 2022-01-01).
fn root() -> Trust {
    let mut t = Trust::none();
    t.add(&corpus("pyhanko-root.cert.pem")).unwrap();
    t
}

fn notes(r: &Report) -> Vec<String> {
    r.signatures.iter().flat_map(|s| s.notes.iter().map(ToString::to_string)).collect()
}

/// `pdfsig` on `bytes`: (signatures said valid, "Total document signed" lines, output).
fn pdfsig(name: &str, bytes: &[u8]) -> (usize, usize, String) {
    let path: PathBuf = std::env::temp_dir().join(format!("cie-xref-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdfsig").arg(&path).output();
    std::fs::remove_file(&path).unwrap();
    let out = out.expect("pdfsig (poppler-utils, installed by `cargo xtask test`)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (text.matches("Signature is Valid.").count(), text.matches("Total document signed").count(), text)
}

/// The signature is intact, its chain found, and the only reason it is not TOTAL-PASSED is
/// the expired certificate.
fn intact(name: &str, r: &Report) {
    assert_eq!(r.signatures.len(), 1, "{name}: {r:?}");
    assert!(r.modifications.is_empty(), "{name}: {:?}", r.modifications);
    let s = &r.signatures[0];
    assert!(matches!(s.chain, cie_sign::Chain::Trusted(_)), "{name}: {:?}", s.chain);
    assert_eq!(s.sub_indication(), Some(SubIndication::OutOfBoundsNoPoe), "{name}: {:?}", s.problems);
}

#[test]
fn signed_revisions_with_damaged_tables_are_read_as_pdfsig_reads_them() {
    for (name, rebuilt) in [
        ("signed-minimal.pdf", false),
        ("signed-linearized-minimal.pdf", false),
        ("signed-minimal-with-orphaned-xrefs.pdf", false),
        ("signed-minimal-hybrid-xref.pdf", false),
        ("signed-minimal-hybrid-xref-mswordstyle.pdf", false),
        ("signed-minimal-startxref-obo1.pdf", true),
        ("signed-minimal-startxref-obo2.pdf", true),
        ("signed-minimal-startxref-obo4.pdf", true),
        ("signed-minimal-startxref-obo6.pdf", true),
        ("signed-minimal-badxref.pdf", true),
        ("signed-malformed-xref-space-padded.pdf", true),
    ] {
        let bytes = corpus(name);
        let (valid, whole, out) = pdfsig(name, &bytes);
        assert_eq!((valid, whole), (1, 1), "{name}: pdfsig: {out}");
        let r = pades::verify_pdf(&bytes, &root()).unwrap_or_else(|e| panic!("{name}: {e}"));
        intact(name, &r);
        assert_eq!(notes(&r).iter().any(|n| n.contains(REBUILT_SIGNED)), rebuilt, "{name}: {:?}", notes(&r));
    }
}

#[test]
fn altered_signed_bytes_fail_whatever_the_table() {
    // "Hello World" changed to "Hello Wurld" (any case) inside the signed range of files read
    // from their table and from a rebuilt one: pdfsig finds the digest changed, and so must we.
    for name in ["signed-minimal.pdf", "signed-minimal-badxref.pdf", "signed-minimal-startxref-obo4.pdf"] {
        let mut bytes = corpus(name);
        let at = bytes.windows(11).position(|w| w.eq_ignore_ascii_case(b"Hello World")).unwrap();
        bytes[at + 7] = b'u';
        let (valid, _, out) = pdfsig(name, &bytes);
        assert_eq!(valid, 0, "{name}: pdfsig: {out}");
        let r = pades::verify_pdf(&bytes, &root()).unwrap();
        assert_eq!(r.indication(), Indication::TotalFailed, "{name}: {r:?}");
        assert_eq!(r.signatures[0].sub_indication(), Some(SubIndication::HashFailure), "{name}");
    }
}

/// The offset after the file's last `startxref`.
fn last_startxref(pdf: &[u8]) -> usize {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap() + 9;
    let digits: String = pdf[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    digits.parse().unwrap()
}

/// How the table of a hand-written update is damaged.
#[derive(Clone, Copy, Debug)]
enum Damage {
    None,
    /// `startxref` points 7 bytes too far.
    Startxref,
    /// Every offset 3 bytes short (as if bytes were removed before the objects).
    Offsets,
    /// No table, no trailer, no `startxref`: objects and `%%EOF` only.
    Missing,
}

/// `signed` followed by an update writing `objects` (number, body), with its table damaged as
/// `damage` says; `extra` more entries (number, offset) are listed in the table as they are.
fn update(signed: &[u8], objects: &[(u32, &str)], extra: &[(u32, usize)], damage: Damage) -> Vec<u8> {
    let prev = last_startxref(signed);
    let mut pdf = signed.to_vec();
    let mut entries = Vec::new();
    for (n, body) in objects {
        entries.push((*n, pdf.len() + 1));
        pdf.extend_from_slice(format!("\n{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    entries.extend_from_slice(extra);
    if let Damage::Missing = damage {
        pdf.extend_from_slice(b"%%EOF\n");
        return pdf;
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n");
    for (n, off) in entries {
        let off = if let Damage::Offsets = damage { off - 3 } else { off };
        pdf.extend_from_slice(format!("{n} 1\n{off:010} 00000 n \n").as_bytes());
    }
    let start = if let Damage::Startxref = damage { xref + 7 } else { xref };
    let root = {
        let at = signed.windows(5).rposition(|w| w == b"/Root").unwrap() + 5;
        let r: String = signed[at..].iter().take_while(|&&b| b != b'R').map(|&b| char::from(b)).collect();
        r.trim().to_owned() + " R"
    };
    let info = if signed.windows(9).any(|w| w == b"/Info 9 0") { " /Info 9 0 R" } else { "" };
    pdf.extend_from_slice(
        format!("trailer\n<< /Root {root} /Size 1000{info} /Prev {prev} >>\nstartxref\n{start}\n%%EOF\n").as_bytes(),
    );
    pdf
}

const INFO_AGAIN: &str = "<<\n/ModDate (D\\07220261207093952Z)\n/Producer (pyHanko 0\\05638\\0560)\n>>";
/// The page's content stream of signed-minimal.pdf, with other words of the same length.
const CONTENT_CHANGED: &str =
    "<< /Length 55 >>\nstream\n  BT\n    /F1 18 Tf\n    0 0 Td\n    (Hello Wurld) Tj\n  ET\nendstream";
const CONTENT_SAME: &str =
    "<< /Length 55 >>\nstream\n  BT\n    /F1 18 Tf\n    0 0 Td\n    (Hello World) Tj\n  ET\nendstream";

#[test]
fn damaged_tables_after_the_signature_are_rebuilt() {
    // An update that rewrites the /Info dictionary unchanged, with its table intact, pointed
    // at wrongly, shifted, or missing: pdfsig still finds the signature valid (not covering
    // the whole file), and the document is as intact as before, with a note on the rebuilt
    // table. (pyHanko's non-strict reader refuses the three damaged ones: it finds a table only
    // near where startxref points and reads objects only where the table says.)
    let signed = corpus("signed-minimal.pdf");
    for damage in [Damage::None, Damage::Startxref, Damage::Offsets, Damage::Missing] {
        let pdf = update(&signed, &[(9, INFO_AGAIN)], &[], damage);
        let (valid, whole, out) = pdfsig("info.pdf", &pdf);
        assert_eq!((valid, whole), (1, 0), "{damage:?}: pdfsig: {out}");
        let r = pades::verify_pdf(&pdf, &root()).unwrap_or_else(|e| panic!("{damage:?}: {e}"));
        intact(&format!("{damage:?}"), &r);
        let noted = notes(&r).iter().any(|n| n.contains(REBUILT_LATER));
        assert_eq!(noted, !matches!(damage, Damage::None), "{damage:?}: {:?}", notes(&r));
    }
}

#[test]
fn object_streams_behind_a_damaged_table() {
    // Adobe Reader's double signature over a file with object streams (pyHanko's
    // test_double_sig_adobe_reader): the second signature's revision rewrites objects that
    // the first revision holds in object streams. An unused object appended behind a table
    // whose offset is shifted: pdfsig and pyHanko (non-strict) read it, and so must we, taking
    // each object's last definition, in a stream or not (else the second signature's changes
    // would seem undone). Behind a table that cannot be read at all, the order of streams and
    // plain objects is a guess: refused, as pdfsig and pyHanko refuse a wrong startxref (with
    // no table after the update, pdfsig reads the table before it and ignores the update;
    // pyHanko refuses: refused here too).
    let signed = corpus("minimal-two-fields-signed-twice.pdf");
    for damage in [Damage::None, Damage::Offsets] {
        let pdf = update(&signed, &[(900, "(unused)")], &[], damage);
        let (valid, _, out) = pdfsig("objstm.pdf", &pdf);
        assert_eq!(valid, 2, "{damage:?}: pdfsig: {out}");
        let r = pades::verify_pdf(&pdf, &Trust::none()).unwrap_or_else(|e| panic!("{damage:?}: {e}"));
        assert_eq!(r.signatures.len(), 2, "{damage:?}: {r:?}");
        assert!(r.modifications.is_empty(), "{damage:?}: {:?}", r.modifications);
        assert!(r.signatures.iter().all(|s| s.indication() != Indication::TotalFailed), "{damage:?}: {r:?}");
        let noted = notes(&r).iter().any(|n| n.contains(REBUILT_LATER));
        assert_eq!(noted, !matches!(damage, Damage::None), "{damage:?}: {:?}", notes(&r));
    }
    // The page tree (object 7, in an object stream of the first revision) emptied by a plain
    // definition in the update: the later plain definition counts, and is a modification.
    for damage in [Damage::None, Damage::Offsets] {
        let pdf = update(&signed, &[(7, "<< /Count 0 /Kids [ ] /Type /Pages >>")], &[], damage);
        let r = pades::verify_pdf(&pdf, &Trust::none()).unwrap_or_else(|e| panic!("{damage:?}: {e}"));
        assert_eq!(r.sub_indication(), Some(SubIndication::ModifiedAfterSigning), "{damage:?}: {r:?}");
    }
    for (damage, pdfsig_valid) in [(Damage::Startxref, 0), (Damage::Missing, 2)] {
        let pdf = update(&signed, &[(900, "(unused)")], &[], damage);
        let (valid, _, out) = pdfsig("objstm.pdf", &pdf);
        assert_eq!(valid, pdfsig_valid, "{damage:?}: pdfsig: {out}");
        let e = pades::verify_pdf(&pdf, &Trust::none()).expect_err("refused");
        assert!(e.to_string().contains("object streams"), "{damage:?}: {e}");
    }
}

#[test]
fn changes_behind_a_damaged_table_are_still_modifications() {
    // The page's content rewritten after signing, behind each kind of damage: the rebuilt
    // table reads the new content, as a viewer shows it, and the document fails.
    let signed = corpus("signed-minimal.pdf");
    for damage in [Damage::None, Damage::Startxref, Damage::Offsets, Damage::Missing] {
        let pdf = update(&signed, &[(4, CONTENT_CHANGED)], &[], damage);
        let r = pades::verify_pdf(&pdf, &root()).unwrap_or_else(|e| panic!("{damage:?}: {e}"));
        assert_eq!(
            (r.indication(), r.sub_indication()),
            (Indication::TotalFailed, Some(SubIndication::ModifiedAfterSigning)),
            "{damage:?}: {r:?}"
        );
        assert!(
            r.modifications.iter().map(ToString::to_string).any(|m| m.contains("content stream of page 1")),
            "{damage:?}: {:?}",
            r.modifications
        );
    }
}

#[test]
fn two_readings_of_one_file_never_pass() {
    let signed = corpus("signed-minimal.pdf");
    // The changed content listed in the table, an unchanged copy after it that the table does
    // not list, and a dangling entry that forces a rebuild: the table (a viewer reading it)
    // shows the change, the last definition does not. Refused, or failed: never intact.
    let dangling = [(7, 5)];
    let pdf = update(&signed, &[(4, CONTENT_CHANGED), (4, CONTENT_SAME)], &[], Damage::None);
    let first = pdf.windows(11).position(|w| w == b"Hello Wurld").unwrap();
    let listed = pdf[..first].windows(7).rposition(|w| w == b"4 0 obj").unwrap();
    let pdf = {
        let body_end = pdf.windows(4).rposition(|w| w == b"xref").unwrap();
        let mut p = pdf[..body_end].to_vec();
        p.extend_from_slice(
            format!("xref\n4 1\n{listed:010} 00000 n \n7 1\n{:010} 00000 n \n", dangling[0].1).as_bytes(),
        );
        p.extend_from_slice(
            format!(
                "trailer\n<< /Root 1 0 R /Size 10 /Prev {} >>\nstartxref\n{body_end}\n%%EOF\n",
                last_startxref(&signed)
            )
            .as_bytes(),
        );
        p
    };
    let e = pades::verify_pdf(&pdf, &root()).expect_err("two readings");
    assert!(e.to_string().contains("read in two ways"), "{e}");
    // The same two definitions behind a table that cannot be read at all: nothing says which
    // one a reader takes, so the document fails.
    for damage in [Damage::Startxref, Damage::Missing] {
        let pdf = update(&signed, &[(4, CONTENT_CHANGED), (4, CONTENT_SAME)], &[], damage);
        let r = pades::verify_pdf(&pdf, &root()).unwrap_or_else(|e| panic!("{damage:?}: {e}"));
        assert_eq!(r.sub_indication(), Some(SubIndication::ModifiedAfterSigning), "{damage:?}: {r:?}");
        assert!(
            r.modifications.iter().map(ToString::to_string).any(|m| m.contains("object 4 is defined more than once")),
            "{:?}",
            r.modifications
        );
        let pdf = update(&signed, &[(4, CONTENT_SAME), (4, CONTENT_CHANGED)], &[], damage);
        let r = pades::verify_pdf(&pdf, &root()).unwrap();
        assert_eq!(r.indication(), Indication::TotalFailed, "{damage:?}: {r:?}");
    }
}
