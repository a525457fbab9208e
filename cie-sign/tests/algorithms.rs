//! Issue 23 item 6: signatures in every common algorithm, made by a real tool (OpenSSL: keys
//! from `openssl genpkey`, a CA and a leaf per algorithm, `openssl cms -sign`) in a scratch
//! directory at test time, verified by us with the CA as trust anchor and cross-checked with
//! `openssl cms -verify`; each one altered by a byte must fail as SIG_CRYPTO_FAILURE, MD5 is
//! refused as weak, ECDSA on the brainpool curves verifies (r, s out of range refused), a broken
//! key (a point off the curve) is reported as such.

use std::path::{Path, PathBuf};
use std::process::Command;

use cie_sign::verify::verify_p7m;
use cie_sign::{Indication, Report, SubIndication, Trust};

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cie-alg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl is installed");
    if !out.status.success() {
        eprintln!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

/// Key generation options for `openssl genpkey`.
fn genpkey(dir: &Path, out: &str, key: &[&str]) {
    let mut args = vec!["genpkey", "-out", out];
    args.extend_from_slice(key);
    assert!(openssl(dir, &args), "genpkey {key:?}");
}

/// A CA and a leaf, both with keys of `key`, certificates signed with `md` (and `sigopt`, for
/// PSS); then `content.txt` signed into `signed.p7m` with `sign_extra`. Returns false when
/// OpenSSL refuses to sign.
fn make(dir: &Path, key: &[&str], md: &str, sigopt: &[&str], sign_extra: &[&str]) -> bool {
    make_with(dir, key, false, md, sigopt, sign_extra)
}

/// [`make`], the EC keys converted to compressed points first (`openssl ec -conv_form
/// compressed`) when `compressed`, so that the certificates carry 02/03||X.
fn make_with(dir: &Path, key: &[&str], compressed: bool, md: &str, sigopt: &[&str], sign_extra: &[&str]) -> bool {
    std::fs::write(dir.join("content.txt"), b"Documento firmato per la prova degli algoritmi.\n").unwrap();
    std::fs::write(dir.join("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
        .unwrap();
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    )
    .unwrap();
    genpkey(dir, "ca.key", key);
    genpkey(dir, "leaf.key", key);
    if compressed {
        for k in ["ca.key", "leaf.key"] {
            assert!(openssl(dir, &["ec", "-in", k, "-conv_form", "compressed", "-out", k]), "{k} compressed");
        }
    }
    let mdopt = format!("-{md}");
    let mut ca = vec!["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Algorithm Test CA", "-days", "3650"];
    ca.extend_from_slice(&["-extensions", "v3_ca", "-addext", "basicConstraints=critical,CA:TRUE"]);
    if md != "none" {
        ca.push(&mdopt);
    }
    ca.extend_from_slice(sigopt);
    ca.extend_from_slice(&["-out", "ca.pem"]);
    assert!(openssl(dir, &ca), "CA");
    assert!(openssl(
        dir,
        &["req", "-new", "-key", "leaf.key", "-subj", "/CN=Algorithm Test Signer", "-out", "leaf.csr"]
    ));
    let mut leaf = vec!["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2"];
    leaf.extend_from_slice(&["-days", "365", "-extfile", "leaf.ext", "-out", "leaf.pem"]);
    if md != "none" {
        leaf.push(&mdopt);
    }
    leaf.extend_from_slice(sigopt);
    assert!(openssl(dir, &leaf), "leaf");
    assert!(openssl(dir, &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]));
    let mut sign = vec!["cms", "-sign", "-binary", "-nodetach", "-in", "content.txt", "-signer", "leaf.pem"];
    sign.extend_from_slice(&["-inkey", "leaf.key", "-outform", "DER", "-out", "signed.p7m"]);
    sign.extend_from_slice(sign_extra);
    openssl(dir, &sign)
}

fn openssl_accepts(dir: &Path, file: &str) -> bool {
    openssl(dir, &["cms", "-verify", "-binary", "-inform", "DER", "-in", file, "-CAfile", "ca.pem", "-out", "out.txt"])
}

fn ours(dir: &Path, file: &str) -> Report {
    let mut trust = Trust::none();
    trust.add(&std::fs::read(dir.join("ca.der")).unwrap()).unwrap();
    verify_p7m(&std::fs::read(dir.join(file)).unwrap(), None, &trust).unwrap()
}

fn problems(r: &Report) -> Vec<(SubIndication, String)> {
    r.signatures.iter().flat_map(|s| s.problems.iter().map(|p| (p.sub, p.message.clone()))).collect()
}

/// Signs with `key`, checks TOTAL-PASSED (and OpenSSL agrees), then the signature's last byte
/// altered: TOTAL-FAILED, SIG_CRYPTO_FAILURE (and OpenSSL refuses it too).
fn round_trip(name: &str, key: &[&str], md: &str, sigopt: &[&str], sign_extra: &[&str]) {
    let s = Scratch::new(name);
    assert!(make(&s.0, key, md, sigopt, sign_extra), "{name}: openssl signs");
    assert!(openssl_accepts(&s.0, "signed.p7m"), "{name}: openssl cms -verify accepts its own signature");
    let r = ours(&s.0, "signed.p7m");
    assert_eq!(r.indication(), Indication::TotalPassed, "{name}: {:?}", problems(&r));
    // The SignerInfo's signature is the file's last element: its last byte is altered.
    let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(s.path("altered.p7m"), &bytes).unwrap();
    assert!(!openssl_accepts(&s.0, "altered.p7m"), "{name}: openssl refuses the altered signature");
    let r = ours(&s.0, "altered.p7m");
    assert_eq!(r.indication(), Indication::TotalFailed, "{name} altered: {:?}", problems(&r));
    assert_eq!(r.sub_indication(), Some(SubIndication::SigCryptoFailure), "{name} altered: {:?}", problems(&r));
}

#[test]
fn rsa_pkcs1_v15_with_sha2_and_sha3() {
    round_trip(
        "rsa-sha256",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "sha256",
        &[],
        &["-md", "sha256"],
    );
    round_trip(
        "rsa-sha3",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "sha3-256",
        &[],
        &["-md", "sha3-256"],
    );
}

#[test]
fn rsa_key_larger_than_4096_bits() {
    round_trip(
        "rsa-4608",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4608"],
        "sha512",
        &[],
        &["-md", "sha512"],
    );
}

#[test]
fn rsa_pss_with_sha256_and_sha512() {
    let pss = ["-sigopt", "rsa_padding_mode:pss"];
    let key = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    round_trip("pss-sha256", &key, "sha256", &pss, &["-md", "sha256", "-keyopt", "rsa_padding_mode:pss"]);
    round_trip(
        "pss-sha512",
        &key,
        "sha512",
        &pss,
        &["-md", "sha512", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"],
    );
}

#[test]
fn ecdsa_on_the_nist_curves() {
    round_trip("p256", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha256", &[], &["-md", "sha256"]);
    round_trip("p384", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "sha384", &[], &["-md", "sha384"]);
    round_trip("p521", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"], "sha512", &[], &["-md", "sha512"]);
    // A digest shorter than half the field.
    round_trip(
        "p521-sha256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "sha256",
        &[],
        &["-md", "sha256"],
    );
}

/// OpenSSL 3.0's `cms -sign` cannot sign with Ed25519 ("no default digest"; with `-md` the
/// EdDSA provider refuses the digest), so the SignedData is assembled here around a signature
/// OpenSSL makes (`openssl pkeyutl -sign -rawin`, PureEdDSA over the DER signed attributes,
/// RFC 8419 §3.1) with keys and certificates from OpenSSL.
fn ed25519_p7m(dir: &Path) {
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::content_info::{CmsVersion, ContentInfo};
    use cms::signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
    };
    use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
    use der::{Any, DecodePem, Encode};
    use sha2::Digest;
    use spki::AlgorithmIdentifierOwned;
    use x509_cert::attr::Attribute;

    let oid = ObjectIdentifier::new_unwrap;
    let content = std::fs::read(dir.join("content.txt")).unwrap();
    let leaf = x509_cert::Certificate::from_pem(std::fs::read(dir.join("leaf.pem")).unwrap()).unwrap();
    let sha512 = AlgorithmIdentifierOwned { oid: oid("2.16.840.1.101.3.4.2.3"), parameters: None };
    let attr = |t: &str, v: Any| Attribute { oid: oid(t), values: SetOfVec::try_from(vec![v]).unwrap() };
    let attrs = SetOfVec::try_from(vec![
        attr("1.2.840.113549.1.9.3", Any::encode_from(&oid("1.2.840.113549.1.7.1")).unwrap()),
        attr(
            "1.2.840.113549.1.9.4",
            Any::encode_from(&OctetString::new(sha2::Sha512::digest(&content).to_vec()).unwrap()).unwrap(),
        ),
    ])
    .unwrap();
    std::fs::write(dir.join("attrs.der"), attrs.to_der().unwrap()).unwrap();
    let sign = ["pkeyutl", "-sign", "-rawin", "-inkey", "leaf.key", "-in", "attrs.der", "-out", "sig.bin"];
    assert!(openssl(dir, &sign), "pkeyutl signs with Ed25519");
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha512.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned { oid: oid("1.3.101.112"), parameters: None },
        signature: OctetString::new(std::fs::read(dir.join("sig.bin")).unwrap()).unwrap(),
        unsigned_attrs: None,
    };
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha512]).unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid("1.2.840.113549.1.7.1"),
            econtent: Some(Any::encode_from(&OctetString::new(content).unwrap()).unwrap()),
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![CertificateChoices::Certificate(leaf)]).unwrap())),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info]).unwrap()),
    };
    let ci = ContentInfo { content_type: oid("1.2.840.113549.1.7.2"), content: Any::encode_from(&sd).unwrap() };
    std::fs::write(dir.join("signed.p7m"), ci.to_der().unwrap()).unwrap();
}

#[test]
fn ed25519() {
    let s = Scratch::new("ed25519");
    // Keys and certificates by OpenSSL (its `cms -sign` fails for Ed25519: see ed25519_p7m).
    let _ = make(&s.0, &["-algorithm", "ED25519"], "none", &[], &[]);
    ed25519_p7m(&s.0);
    // OpenSSL 3.0's `cms -verify` cannot check Ed25519 either ("invalid digest"): the
    // reference is `pkeyutl -verify` over the same signed attributes.
    assert!(openssl(&s.0, &["x509", "-in", "leaf.pem", "-pubkey", "-noout", "-out", "leaf.pub"]));
    let check = ["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", "leaf.pub", "-in", "attrs.der", "-sigfile"];
    assert!(openssl(&s.0, &[&check[..], &["sig.bin"]].concat()), "openssl accepts the Ed25519 signature");
    let r = ours(&s.0, "signed.p7m");
    assert_eq!(r.indication(), Indication::TotalPassed, "{:?}", problems(&r));
    let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(s.path("altered.p7m"), &bytes).unwrap();
    let mut sig = std::fs::read(s.path("sig.bin")).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    std::fs::write(s.path("altered.bin"), &sig).unwrap();
    assert!(!openssl(&s.0, &[&check[..], &["altered.bin"]].concat()), "openssl refuses the altered signature");
    let r = ours(&s.0, "altered.p7m");
    assert_eq!(r.indication(), Indication::TotalFailed, "{:?}", problems(&r));
    assert_eq!(r.sub_indication(), Some(SubIndication::SigCryptoFailure));
}

/// brainpoolP256r1/384r1/512r1 (RFC 5639) with SHA-256, SHA-384 and SHA-512: each signature
/// (and each certificate) by OpenSSL verifies, its last byte altered fails (round_trip), and a
/// byte of the signed content altered by hand fails too, for us and for OpenSSL.
#[test]
fn ecdsa_on_the_brainpool_curves() {
    for curve in ["brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"] {
        let key = ["-algorithm", "EC", "-pkeyopt", &format!("ec_paramgen_curve:{curve}")];
        let key: Vec<&str> = key.iter().map(|k| k.as_ref()).collect();
        for md in ["sha256", "sha384", "sha512"] {
            round_trip(&format!("{curve}-{md}"), &key, md, &[], &["-md", md]);
        }
        let s = Scratch::new(&format!("{curve}-content"));
        assert!(make(&s.0, &key, "sha256", &[], &["-md", "sha256"]));
        let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
        let content = std::fs::read(s.path("content.txt")).unwrap();
        let at = bytes.windows(content.len()).position(|w| w == content).expect("the content is inside");
        bytes[at] ^= 0x20;
        std::fs::write(s.path("altered.p7m"), &bytes).unwrap();
        assert!(!openssl_accepts(&s.0, "altered.p7m"), "{curve}: openssl refuses the altered content");
        let r = ours(&s.0, "altered.p7m");
        assert_eq!(r.indication(), Indication::TotalFailed, "{curve} content altered: {:?}", problems(&r));
    }
}

/// Keys whose certificates carry compressed points (02/03||X) on each brainpool curve: decoded
/// (the square root taken), verified, and the signature altered fails.
#[test]
fn brainpool_compressed_points() {
    for curve in ["brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"] {
        let s = Scratch::new(&format!("{curve}-compressed"));
        let param = format!("ec_paramgen_curve:{curve}");
        let key = ["-algorithm", "EC", "-pkeyopt", &param];
        assert!(make_with(&s.0, &key, true, "sha384", &[], &["-md", "sha384"]));
        use der::DecodePem;
        let leaf = std::fs::read_to_string(s.path("leaf.pem")).unwrap();
        let der = x509_cert::Certificate::from_pem(leaf.as_bytes()).unwrap();
        let point = der.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes().to_vec();
        assert!(point[0] == 2 || point[0] == 3, "{curve}: a compressed point in the certificate");
        assert!(openssl_accepts(&s.0, "signed.p7m"));
        let r = ours(&s.0, "signed.p7m");
        assert_eq!(r.indication(), Indication::TotalPassed, "{curve}: {:?}", problems(&r));
        let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(s.path("altered.p7m"), &bytes).unwrap();
        let r = ours(&s.0, "altered.p7m");
        assert_eq!(r.sub_indication(), Some(SubIndication::SigCryptoFailure), "{curve}: {:?}", problems(&r));
    }
}

/// The order n of brainpoolP256r1 (RFC 5639 §3.4).
const BP256_N: &str = "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7";

/// A DER INTEGER of the unsigned big-endian `v` (short lengths only).
fn der_int(v: &[u8]) -> Vec<u8> {
    let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
    let mut body = if v.first().is_none_or(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
    body.extend(v);
    let mut out = vec![0x02, body.len() as u8];
    out.extend(body);
    out
}

/// r and s of a DER ECDSA-Sig-Value of brainpoolP256r1 (short lengths), as written.
fn r_and_s(sig: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!((sig[0], sig[2]), (0x30, 0x02));
    let rl = sig[3] as usize;
    let r = sig[4..4 + rl].to_vec();
    assert_eq!(sig[4 + rl], 0x02);
    let sl = sig[5 + rl] as usize;
    (r, sig[6 + rl..6 + rl + sl].to_vec())
}

/// `signed.p7m` with its SignerInfo's signature replaced, written to `out`.
fn with_signature(dir: &Path, out: &str, sig: Vec<u8>) {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};
    use der::{Decode, Encode};
    let ci = ContentInfo::from_der(&std::fs::read(dir.join("signed.p7m")).unwrap()).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let mut infos: Vec<_> = sd.signer_infos.0.into_vec();
    infos[0].signature = der::asn1::OctetString::new(sig).unwrap();
    sd.signer_infos = SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
    let ci = ContentInfo { content_type: ci.content_type, content: der::Any::encode_from(&sd).unwrap() };
    std::fs::write(dir.join(out), ci.to_der().unwrap()).unwrap();
}

/// r or s zero or not below n, written by hand into an OpenSSL signature on brainpoolP256r1:
/// refused as a signature that does not verify (and OpenSSL refuses them too); the same file
/// re-encoded with its own signature still verifies, so the refusal is the values'.
#[test]
fn brainpool_r_or_s_out_of_range_is_refused() {
    let s = Scratch::new("bp256-range");
    let key = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"];
    assert!(make(&s.0, &key, "sha256", &[], &["-md", "sha256"]));
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::Decode;
    let ci = ContentInfo::from_der(&std::fs::read(s.path("signed.p7m")).unwrap()).unwrap();
    let sd: SignedData = ci.content.decode_as().unwrap();
    let sig = sd.signer_infos.0.get(0).unwrap().signature.as_bytes().to_vec();
    let (r, sv) = r_and_s(&sig);
    let n: Vec<u8> =
        (0..BP256_N.len()).step_by(2).map(|i| u8::from_str_radix(&BP256_N[i..i + 2], 16).unwrap()).collect();
    let seq = |r: &[u8], s: &[u8]| {
        let mut body = der_int(r);
        body.extend(der_int(s));
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    };
    with_signature(&s.0, "same.p7m", seq(&r, &sv));
    assert!(openssl_accepts(&s.0, "same.p7m"));
    assert_eq!(ours(&s.0, "same.p7m").indication(), Indication::TotalPassed);
    let mut r_plus_n = n.clone();
    // r + n, when it fits in 256 bits, is r again modulo n: refused all the same.
    let mut carry = 0u16;
    let r32: Vec<u8> = {
        let r: Vec<u8> = r.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = vec![0u8; 32 - r.len()];
        v.extend(r);
        v
    };
    for i in (0..32).rev() {
        let t = r_plus_n[i] as u16 + r32[i] as u16 + carry;
        r_plus_n[i] = t as u8;
        carry = t >> 8;
    }
    let mut cases =
        vec![("r-zero", seq(&[0], &sv)), ("s-zero", seq(&r, &[0])), ("r-n", seq(&n, &sv)), ("s-n", seq(&r, &n))];
    if carry == 0 {
        cases.push(("r-plus-n", seq(&r_plus_n, &sv)));
    }
    for (name, sig) in cases {
        let file = format!("{name}.p7m");
        with_signature(&s.0, &file, sig);
        assert!(!openssl_accepts(&s.0, &file), "{name}: openssl refuses it");
        let rep = ours(&s.0, &file);
        assert_eq!(rep.indication(), Indication::TotalFailed, "{name}: {:?}", problems(&rep));
        assert_eq!(rep.sub_indication(), Some(SubIndication::SigCryptoFailure), "{name}: {:?}", problems(&rep));
    }
}

/// A coordinate byte of the signer's brainpoolP256r1 point changed by hand: the point is not on
/// the curve, and the key is reported as one that cannot be loaded, never as "does not verify".
#[test]
fn a_brainpool_point_off_the_curve_is_a_key_error() {
    let s = Scratch::new("bp256-badkey");
    let key = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"];
    assert!(make(&s.0, &key, "sha256", &[], &["-md", "sha256"]));
    let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
    let at = bytes.windows(4).position(|w| w == [0x03, 0x42, 0x00, 0x04]).expect("the leaf's point");
    assert_eq!(bytes.windows(4).filter(|w| *w == [0x03, 0x42, 0x00, 0x04]).count(), 1, "only the leaf is inside");
    // The last byte of Y.
    bytes[at + 4 + 63] ^= 0x01;
    std::fs::write(s.path("badkey.p7m"), &bytes).unwrap();
    let r = ours(&s.0, "badkey.p7m");
    assert_ne!(r.indication(), Indication::TotalPassed);
    let p = problems(&r);
    assert!(
        p.iter().any(|(sub, m)| *sub == SubIndication::FormatFailure
            && m.contains("public key cannot be loaded")
            && m.contains("not on the curve")
            && m.contains("brainpoolP256r1")),
        "{p:?}"
    );
    assert!(!p.iter().any(|(sub, _)| *sub == SubIndication::SigCryptoFailure), "{p:?}");
}

#[test]
fn md5_is_refused_as_weak_not_as_altered() {
    let s = Scratch::new("md5");
    let key = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    assert!(make(&s.0, &key, "sha256", &[], &["-md", "md5"]), "this OpenSSL signs with MD5");
    let r = ours(&s.0, "signed.p7m");
    assert_eq!(r.indication(), Indication::Indeterminate, "{:?}", problems(&r));
    assert_eq!(r.sub_indication(), Some(SubIndication::CryptoConstraintsFailureNoPoe));
    let p = problems(&r);
    assert!(p.iter().any(|(_, m)| m.contains("digest algorithm MD5") && m.contains("too weak")), "{p:?}");
    assert!(!p.iter().any(|(_, m)| m.contains("altered") || m.contains("does not verify")), "{p:?}");
}

#[test]
fn a_key_that_cannot_be_loaded_is_reported_as_such() {
    let s = Scratch::new("badkey");
    let key = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    assert!(make(&s.0, &key, "sha256", &[], &["-md", "sha256"]));
    // The signer's P-256 point (BIT STRING 03 42 00, then 04 for an uncompressed point) gets
    // the tag 07, which no SEC1 encoding has: the key cannot be loaded.
    let mut bytes = std::fs::read(s.path("signed.p7m")).unwrap();
    let at = bytes.windows(4).position(|w| w == [0x03, 0x42, 0x00, 0x04]).expect("the leaf's point");
    assert_eq!(bytes.windows(4).filter(|w| *w == [0x03, 0x42, 0x00, 0x04]).count(), 1, "only the leaf is inside");
    bytes[at + 3] = 0x07;
    std::fs::write(s.path("badkey.p7m"), &bytes).unwrap();
    let r = ours(&s.0, "badkey.p7m");
    assert_ne!(r.indication(), Indication::TotalPassed);
    let p = problems(&r);
    assert!(
        p.iter().any(|(sub, m)| *sub == SubIndication::FormatFailure
            && m.contains("public key cannot be loaded")
            && m.contains("P-256")),
        "{p:?}"
    );
    assert!(!p.iter().any(|(sub, _)| *sub == SubIndication::SigCryptoFailure), "{p:?}");
}

/// A signature algorithm given as the digest algorithm (sha256WithRSAEncryption, in esig/dss's
/// Signature-P-HU_NET-2.pdf; DSS's PAdESInvalidDigestAlgorithmTest says not valid): not
/// supported, and said in words, not as a bare identifier.
#[test]
fn a_signature_algorithm_given_as_digest_algorithm_is_named() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/esig-dss/pades-Signature-P-HU_NET-2.pdf");
    let r = cie_sign::verify_file(&path, None, &Trust::none(), &mut cie_sign::Silent).unwrap();
    let s = &r.signatures[0];
    assert_eq!(s.sub_indication(), Some(SubIndication::CryptoConstraintsFailure), "{s:?}");
    assert!(
        s.problems
            .iter()
            .any(|p| p.message.contains("given as RSA with SHA-256") && p.message.contains("a signature algorithm")),
        "{:?}",
        s.problems
    );
}
