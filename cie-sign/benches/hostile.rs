//! Verification of hostile documents against the budget of security issue 19, item 5:
//! verification time linear in the file's size, at most 1 s per MiB plus 0.5 s, and peak memory
//! at most 64 MiB above the file's size.
//!
//! `cargo bench -p cie-sign --bench hostile [-- NAME...]` builds each hostile file in code (no
//! fixture file), writes it to a temporary directory and verifies it with
//! [`cie_sign::verify_file`], without and with a trust anchor (the test PKI's citizen CA), each
//! run in a child process (this binary again, `--child`) with a wall-clock timeout
//! (`CIE_HOSTILE_TIMEOUT`, 20 s by default) and an address-space limit of 2 GiB, so that a hang,
//! an exponential blow-up or a crash of the current code is reported (TIMEOUT, OOM, CRASH) and
//! the bench still ends. It prints figures and PASS/OVER against the budget; it asserts nothing
//! (performance is measured here, never asserted in tests).
//!
//! Memory is the peak of the heap (a counting global allocator in the child) above what it held
//! before the verification started.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cie_core::sign::HashAlg;
use cie_sign::cades::{self, SignOptions};
use cie_sign::pades::{self, PadesOptions};
use cie_sign::{verify_file, Signer, Trust};
use cie_sim::fixtures;
use cie_sim::image::SodProfile;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignerInfos};
use der::asn1::{BitString, ObjectIdentifier, SetOfVec, UtcTime};
use der::{Any, Decode, Encode};
use rsa::pkcs8::EncodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

// ---------------------------------------------------------------------------------------------
// Heap accounting.

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Signers and PDF building blocks.

/// A key and its certificate as a [`Signer`] (PKCS#1 v1.5 over the DigestInfo).
struct KeySigner {
    key: RsaPrivateKey,
    cert: Vec<u8>,
}

impl Signer for KeySigner {
    fn certificate(&mut self) -> cie_sign::Result<Vec<u8>> {
        Ok(self.cert.clone())
    }
    fn sign_digest(&mut self, alg: HashAlg, digest: &[u8]) -> cie_sign::Result<Vec<u8>> {
        let info = [alg.digest_info_prefix(), digest].concat();
        Ok(self.key.sign(Pkcs1v15Sign::new_unprefixed(), &info).expect("RSA signature"))
    }
}

/// The test card's holder key `81` and certificate (issued by the citizen CA), without a card.
fn citizen() -> KeySigner {
    let image = fixtures::card_image(SodProfile::Sha256Pkcs1);
    let cert = cie_core::sod::der_trim(&image.certificate).unwrap_or(&image.certificate).to_vec();
    KeySigner { key: image.key_sign, cert }
}

/// A classic PDF: objects numbered from 1 (the catalog first), a cross-reference table, a
/// trailer (`/Size`, `/Root 1 0 R` and `trailer_extra`).
fn pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn obj(s: impl AsRef<str>) -> Vec<u8> {
    s.as_ref().as_bytes().to_vec()
}

const PAGE: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>";
const PAGES: &str = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";

/// A one-page PDF whose page carries a stream of `padding` bytes (so that the file has about
/// that size), signed once (PAdES, by the citizen key).
fn signed_pdf(padding: usize) -> Vec<u8> {
    let base = pdf(
        &[
            obj("<< /Type /Catalog /Pages 2 0 R >>"),
            obj(PAGES),
            obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>"),
            padding_stream(padding),
        ],
        "",
    );
    pades::sign(&mut citizen(), &base, &PadesOptions::default()).expect("signing the PDF")
}

/// [`signed_pdf`] followed by an update (an unused object) without a cross-reference table: the
/// last revision is read from a table rebuilt by scanning the whole file.
fn damaged_table(padding: usize) -> Vec<u8> {
    let mut pdf = signed_pdf(padding);
    pdf.extend_from_slice(b"\n99 0 obj\n(unused)\nendobj\n%%EOF\n");
    pdf
}

/// A stream object of `padding` bytes.
fn padding_stream(padding: usize) -> Vec<u8> {
    let mut stream = format!("<< /Length {padding} >>\nstream\n").into_bytes();
    // Incompressible-looking bytes, no "endstream" inside.
    let mut x = 0x2545_4f46u32;
    stream.extend((0..padding).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b'a' + (x % 26) as u8
    }));
    stream.extend_from_slice(b"\nendstream");
    stream
}

// ---------------------------------------------------------------------------------------------
// The hostile files.

/// The page tree and the field tree point back to themselves through direct dictionaries (the
/// issue's ~455-byte file): a walk that follows /Kids without remembering the dictionaries it
/// went through visits 2^depth paths.
fn kids_cycle() -> Vec<u8> {
    pdf(
        &[
            obj("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>"),
            obj("<< /Type /Pages /Kids [ << /Type /Pages /Kids [2 0 R 2 0 R] >> << /Kids [2 0 R] >> ] /Count 2 >>"),
            obj("<< /FT /Sig /T (f) /Kids [ << /T (a) /FT /Sig /Kids [3 0 R 3 0 R] >> << /T (b) /Kids [3 0 R] >> ] >>"),
        ],
        "",
    )
}

/// An object stream whose Flate data decodes to `mib` MiB (lopdf decodes object streams while
/// loading): about 1 KiB of file per MiB.
fn objstm_bomb(mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(b"5 0 ").unwrap();
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..mib {
        z.write_all(&block).unwrap();
    }
    let data = z.finish().unwrap();
    let mut stream =
        format!("<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", data.len()).into_bytes();
    stream.extend_from_slice(&data);
    stream.extend_from_slice(b"\nendstream");
    pdf(&[obj("<< /Type /Catalog /Pages 2 0 R >>"), obj(PAGES), obj(PAGE), stream], "")
}

/// 10,000 nested arrays in one object.
fn nested_arrays(depth: usize) -> Vec<u8> {
    let nested = "[".repeat(depth) + &"]".repeat(depth);
    pdf(&[obj("<< /Type /Catalog /Pages 2 0 R /Nested 4 0 R >>"), obj(PAGES), obj(PAGE), obj(nested)], "")
}

/// `n` signature fields whose /V is the same signature dictionary, which is a real signature
/// over the whole file: each field costs a hash of the file and a signature check.
fn fields_one_signature(n: usize, padding: usize) -> Vec<u8> {
    let first = 5;
    let sig = first + n; // the object number `prepare` gives the signature dictionary
    let refs: Vec<String> = (first..first + n).map(|i| format!("{i} 0 R")).collect();
    let mut objects = vec![
        obj(format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{}] /SigFlags 3 >> >>", refs.join(" "))),
        obj(PAGES),
        obj(PAGE),
        padding_stream(padding),
    ];
    for i in 0..n {
        objects.push(obj(format!("<< /FT /Sig /T (s{i}) /V {sig} 0 R >>")));
    }
    let base = pdf(&objects, "");
    pades::sign(&mut citizen(), &base, &PadesOptions::default()).expect("signing the PDF")
}

/// A signed PDF followed by `n` incremental updates (a new object, a cross-reference section
/// and a trailer with /Prev each).
fn incremental_updates(n: usize) -> Vec<u8> {
    let mut data = signed_pdf(0);
    let last_startxref = |d: &[u8]| -> usize {
        let p = d.windows(9).rposition(|w| w == b"startxref").unwrap();
        let s: String = d[p + 9..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| char::from(b))
            .collect();
        s.parse().unwrap()
    };
    for i in 0..n {
        let size = 100 + i; // above every object number of the signed PDF
        let prev = last_startxref(&data);
        let offset = data.len() + 1;
        data.extend_from_slice(format!("\n{size} 0 obj\n<< /Update {i} >>\nendobj\n").as_bytes());
        let xref = data.len();
        data.extend_from_slice(
            format!(
                "xref\n{size} 1\n{offset:010} 00000 n \ntrailer\n<< /Size {} /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n",
                size + 1
            )
            .as_bytes(),
        );
    }
    data
}

/// A detached `.p7s` with `n` certificates and `signers` SignerInfos: every certificate has the same
/// subject and issuer name (so each is a candidate issuer of every other) and a signature that
/// no candidate's key verifies; every SignerInfo is a valid signature of the content by its own
/// certificate's key. Returns (p7s, content).
fn many_signers(n: usize, signers: usize) -> (Vec<u8>, Vec<u8>) {
    // Test keys of the simulator (2048 bits), used here for something else: no key generation.
    let image = fixtures::card_image(SodProfile::Sha256Pkcs1);
    let (key, other) = (image.key_dapp, image.key_servizi);
    let name = Name::from_str("CN=cie hostile signer,O=cie bench").expect("name");
    let spki_der = key.to_public_key().to_public_key_der().expect("SPKI");
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).expect("SPKI");
    let alg = AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: Some(Any::null()),
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let day = Duration::from_secs(86_400);
    let content = b"hostile content\n".to_vec();
    let mut certs = Vec::new();
    let mut infos = Vec::new();
    let mut first = None;
    for i in 0..n {
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[0x01, (i >> 8) as u8, i as u8]).expect("serial"),
            signature: alg.clone(),
            issuer: name.clone(),
            validity: Validity {
                not_before: Time::UtcTime(UtcTime::from_unix_duration(now - day).unwrap()),
                not_after: Time::UtcTime(UtcTime::from_unix_duration(now + 365 * day).unwrap()),
            },
            subject: name.clone(),
            subject_public_key_info: spki.clone(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        };
        let digest = Sha256::digest(tbs.to_der().unwrap());
        let sig = other.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
        let cert = Certificate {
            tbs_certificate: tbs,
            signature_algorithm: alg.clone(),
            signature: BitString::from_bytes(&sig).unwrap(),
        };
        let mut signer = KeySigner { key: key.clone(), cert: cert.to_der().unwrap() };
        let p7s = cades::sign_detached(&mut signer, &SignOptions::default(), &mut &content[..], &mut cie_sign::Silent)
            .expect("signing");
        let mut sd = cades::parse_signed_data(&p7s).expect("our own SignedData");
        for c in sd.certificates.take().into_iter().flat_map(|s| s.0.into_vec()) {
            certs.push(c);
        }
        if i < signers {
            infos.extend(sd.signer_infos.0.clone().into_vec());
        }
        first.get_or_insert(sd);
    }
    let mut sd = first.expect("n > 0");
    sd.certificates = Some(CertificateSet(SetOfVec::try_from(certs).expect("certificate set")));
    sd.signer_infos = SignerInfos(SetOfVec::try_from(infos).expect("signer infos"));
    let ci = ContentInfo { content_type: cades::OID_SIGNED_DATA, content: Any::encode_from(&sd).unwrap() };
    (ci.to_der().unwrap(), content)
}

// ---------------------------------------------------------------------------------------------
// Running and reporting.

/// One row: a file, its optional content, and whether a trust anchor is given.
struct Case {
    name: &'static str,
    path: PathBuf,
    content: Option<PathBuf>,
}

/// What a child reported.
enum Outcome {
    Done { wall: Duration, peak_heap: usize, verdict: String },
    Timeout,
    Oom(String),
    Crash(String),
}

const MIB: f64 = 1024.0 * 1024.0;

/// The child side: verify, print one `RESULT` line.
fn child(path: &Path, content: Option<&Path>, with_trust: bool) {
    let mut trust = Trust::none();
    if with_trust {
        trust.add(fixtures::citizen_ca_certificate()).expect("citizen CA");
    }
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = Instant::now();
    let result = verify_file(path, content, &trust, &mut cie_sign::Silent);
    let wall = t.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    let verdict = match result {
        Ok(r) => {
            let valid = r.signatures.iter().filter(|s| s.is_valid()).count();
            let sub = r.sub_indication().map(|s| format!("/{}", s.as_str())).unwrap_or_default();
            format!("{} signature(s), {valid} valid: {}{sub}", r.signatures.len(), r.indication().as_str())
        }
        Err(e) => format!("error: {e}"),
    };
    let verdict: String = verdict.replace('\n', " ").chars().take(90).collect();
    println!("RESULT {} {} {}", wall.as_nanos(), peak, verdict);
}

fn run_child(case: &Case, with_trust: bool, timeout: Duration) -> Outcome {
    let exe = std::env::current_exe().expect("bench executable");
    // `ulimit -v` (RLIMIT_AS, KiB) in a shell that then becomes the child.
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg("ulimit -v 2097152 && exec \"$0\" \"$@\"").arg(&exe).arg("--child").arg(&case.path);
    cmd.arg(case.content.as_deref().unwrap_or(Path::new("-")));
    cmd.arg(if with_trust { "trust" } else { "none" });
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("child");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let Some(status) = status else { return Outcome::Timeout };
    if let Some(line) = out.lines().find_map(|l| l.strip_prefix("RESULT ")) {
        let mut parts = line.splitn(3, ' ');
        let wall = Duration::from_nanos(parts.next().and_then(|v| v.parse().ok()).unwrap_or(0));
        let peak_heap = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        return Outcome::Done { wall, peak_heap, verdict: parts.next().unwrap_or("").to_owned() };
    }
    let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(90).collect::<String>();
    let signal = {
        use std::os::unix::process::ExitStatusExt;
        status.signal().map(|s| format!("signal {s}")).unwrap_or_else(|| format!("{status}"))
    };
    if err.contains("memory allocation") || err.contains("capacity overflow") {
        Outcome::Oom(format!("{signal}: {last}"))
    } else {
        Outcome::Crash(format!("{signal}: {last}"))
    }
}

/// `--seeds DIR`: writes the fuzz seeds made by our own signer (the simulated card in-process,
/// through a real session) and small versions of the hostile files to `DIR/<target>/`
/// (fuzz/README.md, "Document seeds"; `cargo xtask fuzz-seeds` runs this).
fn write_seeds(dir: &Path) {
    use cie_core::pin::Pin;
    use cie_core::session::Session;
    use cie_sim::{Profile, SimCard, SimHandle, SimOptions};

    let write = |target: &str, name: &str, mode: Option<u8>, bytes: &[u8]| {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).expect("seed directory");
        let data = [mode.as_slice(), bytes].concat();
        assert!(data.len() <= 64 * 1024, "seed {target}/{name} is {} bytes", data.len());
        std::fs::write(d.join(name), data).expect("writing a seed");
    };
    let card = SimCard::new(Profile::Nxp, fixtures::card_image(SodProfile::Sha256Pkcs1), SimOptions::default());
    let handle = SimHandle::new(card);
    let mut s = Session::open(handle.connect()).expect("session with the simulated card");
    s.verify_pin(&Pin::new(fixtures::TEST_PIN).expect("PIN")).expect("PIN verified");
    let content = b"Contenuto firmato con la CIE simulata.\n";
    let mut opts = SignOptions::default();
    let mut enveloping = Vec::new();
    cades::sign_enveloping(
        &mut s,
        &opts,
        &mut std::io::Cursor::new(&content[..]),
        &mut enveloping,
        &mut cie_sign::Silent,
    )
    .expect("enveloping signature");
    opts.hash = HashAlg::Sha512;
    let detached =
        cades::sign_detached(&mut s, &opts, &mut &content[..], &mut cie_sign::Silent).expect("detached signature");
    opts.hash = HashAlg::Sha256;
    let cosigned = cades::cosign(&mut s, &opts, &enveloping, None).expect("co-signature");
    let mut with_len = (content.len() as u16).to_be_bytes().to_vec();
    with_len.extend_from_slice(content);
    write("cms_verify", "cie_enveloping_trust", Some(1), &enveloping);
    write("cms_verify", "cie_enveloping_stream_trust", Some(5), &enveloping);
    write("cms_verify", "cie_cosigned_trust", Some(1), &cosigned);
    write("cms_verify", "cie_detached_sha512_trust", Some(3), &[&with_len[..], &detached].concat());
    write("cms_verify", "cie_detached_wrong_content", Some(3), &[&[0, 1, b'x'][..], &detached].concat());
    write("p7m_extract", "cie_enveloping", None, &enveloping);
    write("p7m_extract", "cie_cosigned", None, &cosigned);

    let small = PadesOptions { reserve: 4096, ..PadesOptions::default() };
    let base = pdf(&[obj("<< /Type /Catalog /Pages 2 0 R >>"), obj(PAGES), obj(PAGE)], "");
    let signed = pades::sign(&mut s, &base, &small).expect("PAdES signature");
    let twice = pades::sign(&mut s, &signed, &small).expect("second PAdES signature");
    write("pdf_verify", "cie_unsigned", Some(0), &base);
    write("pdf_verify", "cie_signed_trust", Some(1), &signed);
    write("pdf_verify", "cie_signed_twice_trust", Some(1 | 8), &twice);
    write("pdf_verify", "cie_signed_sha512_prepare", Some(4), &signed);

    // The hostile shapes, small enough for seeds.
    write("pdf_verify", "hostile_kids_cycle", Some(1), &kids_cycle());
    write("pdf_verify", "hostile_nested_arrays_300", Some(0), &nested_arrays(300));
    let fields = {
        let n = 200;
        let refs: Vec<String> = (4..4 + n).map(|i| format!("{i} 0 R")).collect();
        let mut objects = vec![
            obj(format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{}] >> >>", refs.join(" "))),
            obj(PAGES),
            obj(PAGE),
        ];
        objects.extend((0..n).map(|i| obj(format!("<< /FT /Sig /T (s{i}) /V {} 0 R >>", 4 + n))));
        pades::sign(&mut citizen(), &pdf(&objects, ""), &small).expect("signing")
    };
    write("pdf_verify", "hostile_fields_200_one_signature", Some(1), &fields);
    let (p7s, content) = many_signers(40, 40);
    let mut with_len = (content.len() as u16).to_be_bytes().to_vec();
    with_len.extend_from_slice(&content);
    write("cms_verify", "hostile_signers_40_detached_trust", Some(3), &[&with_len[..], &p7s].concat());
    write("cms_verify", "hostile_signers_40_parse", Some(6), &p7s);
    eprintln!("seeds written under {}", dir.display());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let content = Some(PathBuf::from(&args[2])).filter(|p| p.as_os_str() != "-");
        child(Path::new(&args[1]), content.as_deref(), args[3] == "trust");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--seeds") {
        write_seeds(Path::new(args.get(i + 1).expect("--seeds DIR")));
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let timeout =
        Duration::from_secs(std::env::var("CIE_HOSTILE_TIMEOUT").ok().and_then(|v| v.parse().ok()).unwrap_or(20));
    let dir = std::env::temp_dir().join(format!("cie-sign-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");

    type Build = Box<dyn Fn() -> (Vec<u8>, Option<Vec<u8>>)>;
    let builders: Vec<(&'static str, Build)> = vec![
        ("kids_cycle.pdf", Box::new(|| (kids_cycle(), None))),
        ("nested_arrays_10000.pdf", Box::new(|| (nested_arrays(10_000), None))),
        ("objstm_flate_bomb_512MiB.pdf", Box::new(|| (objstm_bomb(512), None))),
        ("fields_1000_one_signature.pdf", Box::new(|| (fields_one_signature(1000, 0), None))),
        // 10,000 fields in 4 MiB: each field hashes the whole file again (fields x size).
        ("fields_10000_one_signature_4MiB.pdf", Box::new(|| (fields_one_signature(10_000, 4 << 20), None))),
        ("incremental_updates_1000.pdf", Box::new(|| (incremental_updates(1000), None))),
        ("linear_1MiB.pdf", Box::new(|| (signed_pdf(1024 * 1024 - 40 * 1024), None))),
        ("linear_16MiB.pdf", Box::new(|| (signed_pdf(16 * 1024 * 1024 - 40 * 1024), None))),
        ("damaged_table_16MiB.pdf", Box::new(|| (damaged_table(16 * 1024 * 1024 - 40 * 1024), None))),
        (
            "signers_200.p7s",
            Box::new(|| {
                let (p7s, content) = many_signers(200, 200);
                (p7s, Some(content))
            }),
        ),
        // At the verifier's limits (64 signers, 128 certificates): everything is read and checked.
        (
            "signers_64_certs_128.p7s",
            Box::new(|| {
                let (p7s, content) = many_signers(128, 64);
                (p7s, Some(content))
            }),
        ),
    ];
    let mut cases = Vec::new();
    for (name, build) in &builders {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let t = Instant::now();
        let (bytes, content) = build();
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("writing the hostile file");
        let content = content.map(|c| {
            let p = dir.join(format!("{name}.content"));
            std::fs::write(&p, c).expect("writing the content");
            p
        });
        eprintln!("built {name}: {} bytes in {:.2} s", bytes.len(), t.elapsed().as_secs_f64());
        cases.push(Case { name, path, content });
    }

    println!("\nBudget (security issue 19, item 5): time <= 1 s/MiB + 0.5 s; heap peak <= 64 MiB + size.");
    println!("Each run in a child: timeout {} s, address space 2 GiB.\n", timeout.as_secs());
    println!("| file | trust | size | wall | heap peak | time budget | memory budget | result | verdict |");
    println!("|---|---|---:|---:|---:|---:|---:|---|---|");
    for case in &cases {
        let size = std::fs::metadata(&case.path).map(|m| m.len()).unwrap_or(0);
        let time_budget = size as f64 / MIB + 0.5;
        let mem_budget = 64.0 * MIB + size as f64;
        for with_trust in [false, true] {
            let (wall, heap, result, verdict) = match run_child(case, with_trust, timeout) {
                Outcome::Done { wall, peak_heap, verdict } => {
                    let t_ok = wall.as_secs_f64() <= time_budget;
                    let m_ok = peak_heap as f64 <= mem_budget;
                    let result = match (t_ok, m_ok) {
                        (true, true) => "PASS".to_owned(),
                        (false, true) => "OVER (time)".to_owned(),
                        (true, false) => "OVER (memory)".to_owned(),
                        (false, false) => "OVER (time, memory)".to_owned(),
                    };
                    (
                        format!("{:.3} s", wall.as_secs_f64()),
                        format!("{:.1} MiB", peak_heap as f64 / MIB),
                        result,
                        verdict,
                    )
                }
                Outcome::Timeout => (format!("> {} s", timeout.as_secs()), "?".into(), "TIMEOUT".into(), String::new()),
                Outcome::Oom(m) => ("-".into(), "> 2 GiB".into(), "OOM".into(), m),
                Outcome::Crash(m) => ("-".into(), "?".into(), "CRASH".into(), m),
            };
            println!(
                "| {} | {} | {} | {wall} | {heap} | {time_budget:.2} s | {:.0} MiB | {result} | {} |",
                case.name,
                if with_trust { "citizen CA" } else { "none" },
                size,
                mem_budget / MIB,
                verdict.replace('|', "/"),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
