//! A test PKI with revocation, made by OpenSSL's own CA (`openssl ca` with an index.txt, so
//! certificates can be revoked and CRLs generated with `-gencrl`), and its revocation services
//! on the loopback behind a minimal HTTP server in a thread of the test: `POST /ocsp` answered
//! by OpenSSL's OCSP responder (`openssl ocsp -index ... -reqin ... -respout`, a real RFC 6960
//! responder, one process per request, waited for before the answer is sent) signing with a
//! delegated responder certificate (id-kp-OCSPSigning), and `GET /crl` serving a CRL
//! generated from the index at that moment. The leaf certificates name both addresses
//! (authorityInfoAccess, cRLDistributionPoints). EC P-256 keys (fast to make). With
//! `CIE_KEEP_PKI` set, the directory is kept (to look at, or to take a fuzz seed from).

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A running test PKI; its server stopped (thread joined) and directory removed on drop.
pub(crate) struct RevocationPki {
    dir: PathBuf,
    addr: String,
    stop: Arc<AtomicBool>,
    /// OCSP requests answered.
    ocsp_served: Arc<AtomicUsize>,
    /// CRLs served.
    crl_served: Arc<AtomicUsize>,
    /// Whether the OCSP service answers (when false it answers HTTP 503, to test the CRL path).
    ocsp_up: Arc<AtomicBool>,
    /// Whether the responder names itself by key hash (`-resp_key_id`) rather than by name.
    by_key: Arc<AtomicBool>,
    /// Who signs the responses: `responder` (the delegated responder), `ca`, or another
    /// certificate of the PKI.
    signer: Arc<Mutex<String>>,
    thread: Option<JoinHandle<()>>,
}

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("running openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

impl RevocationPki {
    /// Makes the CA, the responder certificate and a directory under `scratch`, and starts
    /// serving on 127.0.0.1 (a free port).
    pub(crate) fn start(scratch: &Path, name: &str) -> RevocationPki {
        let dir = scratch.join(format!("cie-revocation-pki-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("newcerts")).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            format!(
                "[ ca ]\ndefault_ca = test_ca\n[ test_ca ]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\n\
                 certificate = ca.pem\nprivate_key = ca.key\nserial = serial\ncrlnumber = crlnumber\n\
                 default_md = sha256\ndefault_days = 30\ndefault_crl_days = 1\npolicy = any\nunique_subject = no\n\
                 [ any ]\ncommonName = supplied\n\
                 [ signer ]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n\
                 authorityInfoAccess = OCSP;URI:http://{addr}/ocsp\ncrlDistributionPoints = URI:http://{addr}/crl\n\
                 [ crl_only ]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n\
                 crlDistributionPoints = URI:http://{addr}/crl\n\
                 [ responder ]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n\
                 extendedKeyUsage = OCSPSigning\n\
                 [ tsa ]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n\
                 extendedKeyUsage = critical,timeStamping\n\
                 authorityInfoAccess = OCSP;URI:http://{addr}/ocsp\ncrlDistributionPoints = URI:http://{addr}/crl\n"
            ),
        )
        .unwrap();
        let mut args = vec!["req", "-x509"];
        args.extend(EC);
        args.extend([
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=cie revocation test CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&dir, &args);
        let stop = Arc::new(AtomicBool::new(false));
        let ocsp_served = Arc::new(AtomicUsize::new(0));
        let crl_served = Arc::new(AtomicUsize::new(0));
        let ocsp_up = Arc::new(AtomicBool::new(true));
        let by_key = Arc::new(AtomicBool::new(false));
        let signer = Arc::new(Mutex::new("responder".to_owned()));
        let mut pki = RevocationPki {
            dir: dir.clone(),
            addr,
            stop: stop.clone(),
            ocsp_served: ocsp_served.clone(),
            crl_served: crl_served.clone(),
            ocsp_up: ocsp_up.clone(),
            by_key: by_key.clone(),
            signer: signer.clone(),
            thread: None,
        };
        pki.issue("responder", "responder");
        let counters = Counters { ocsp_served, crl_served, ocsp_up, by_key, signer };
        pki.thread = Some(std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = serve(&dir, conn, &counters);
                }
            }
        }));
        pki
    }

    /// Issues a certificate `name` (key `name.key`, certificate `name.pem`) with the
    /// extensions of section `ext` (`signer`: OCSP and CRL addresses; `crl_only`: only the
    /// CRL address; `responder`; `tsa`: a TSA's, with both addresses); returns the
    /// certificate's path.
    pub(crate) fn issue(&self, name: &str, ext: &str) -> PathBuf {
        let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
        let subject = format!("/CN=cie revocation test {name}");
        let mut args = vec!["req"];
        args.extend(EC);
        args.extend(["-nodes", "-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(&self.dir, &args);
        openssl(
            &self.dir,
            &["ca", "-batch", "-config", "ca.cnf", "-extensions", ext, "-in", &csr, "-out", &pem, "-notext"],
        );
        self.dir.join(pem)
    }

    /// As [`RevocationPki::issue`], the certificate valid until `end` (`openssl ca -enddate`,
    /// `YYMMDDHHMMSSZ`).
    pub(crate) fn issue_until(&self, name: &str, ext: &str, end: &str) -> PathBuf {
        let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
        let subject = format!("/CN=cie revocation test {name}");
        let mut args = vec!["req"];
        args.extend(EC);
        args.extend(["-nodes", "-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(&self.dir, &args);
        openssl(
            &self.dir,
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-extensions",
                ext,
                "-enddate",
                end,
                "-in",
                &csr,
                "-out",
                &pem,
                "-notext",
            ],
        );
        self.dir.join(pem)
    }

    /// Revokes certificate `name` (reason keyCompromise).
    pub(crate) fn revoke(&self, name: &str) {
        let pem = format!("{name}.pem");
        openssl(&self.dir, &["ca", "-config", "ca.cnf", "-revoke", &pem, "-crl_reason", "keyCompromise"]);
    }

    /// Revokes certificate `name` without a reason (its CRL entry has no extension).
    pub(crate) fn revoke_without_reason(&self, name: &str) {
        let pem = format!("{name}.pem");
        openssl(&self.dir, &["ca", "-config", "ca.cnf", "-revoke", &pem]);
    }

    /// A CRL of the current index (DER), made by `openssl ca -gencrl`.
    pub(crate) fn crl(&self) -> Vec<u8> {
        crl(&self.dir).unwrap()
    }

    /// A version 1 CRL of the current index (DER: no version field, no extensions), made by
    /// `openssl ca -gencrl` with a configuration without `crlnumber` (every revocation without
    /// a reason, or OpenSSL writes version 2).
    pub(crate) fn crl_v1(&self) -> Vec<u8> {
        let config = std::fs::read_to_string(self.dir.join("ca.cnf")).unwrap();
        std::fs::write(self.dir.join("ca-v1.cnf"), config.replace("crlnumber = crlnumber\n", "")).unwrap();
        openssl(&self.dir, &["ca", "-config", "ca-v1.cnf", "-gencrl", "-out", "v1.pem"]);
        let text = String::from_utf8(openssl(&self.dir, &["crl", "-in", "v1.pem", "-noout", "-text"])).unwrap();
        assert!(text.contains("Version 1 (0x0)"), "{text}");
        openssl(&self.dir, &["crl", "-in", "v1.pem", "-outform", "DER", "-out", "v1.der"]);
        std::fs::read(self.dir.join("v1.der")).unwrap()
    }

    /// Signs `content` with certificate `name` (`openssl cms -sign`, CAdES-BES, DER, the
    /// content inside); returns the `.p7m`.
    pub(crate) fn sign(&self, name: &str, content: &[u8]) -> Vec<u8> {
        let data = self.dir.join(format!("{name}.data"));
        std::fs::write(&data, content).unwrap();
        let (pem, key, out) = (format!("{name}.pem"), format!("{name}.key"), format!("{name}.p7m"));
        let data = data.to_str().unwrap().to_owned();
        openssl(
            &self.dir,
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-cades",
                "-md",
                "sha256",
                "-in",
                &data,
                "-signer",
                &pem,
                "-inkey",
                &key,
                "-outform",
                "DER",
                "-out",
                &out,
            ],
        );
        std::fs::read(self.dir.join(out)).unwrap()
    }

    /// The CA certificate's path (PEM), to trust.
    pub(crate) fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The directory of the PKI's files.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// OCSP requests answered so far.
    pub(crate) fn ocsp_served(&self) -> usize {
        self.ocsp_served.load(Ordering::SeqCst)
    }

    /// CRLs served so far.
    pub(crate) fn crl_served(&self) -> usize {
        self.crl_served.load(Ordering::SeqCst)
    }

    /// Makes the responder name itself by its key's hash (`true`) or by its name.
    pub(crate) fn set_responder_by_key(&self, by_key: bool) {
        self.by_key.store(by_key, Ordering::SeqCst);
    }

    /// Makes certificate `name` (`responder`, the default; `ca`; any issued one) sign the
    /// OCSP responses.
    pub(crate) fn set_ocsp_signer(&self, name: &str) {
        *self.signer.lock().unwrap() = name.to_owned();
    }

    /// Makes the OCSP service answer HTTP 503 (`false`) or answer again.
    pub(crate) fn set_ocsp_up(&self, up: bool) {
        self.ocsp_up.store(up, Ordering::SeqCst);
    }
}

/// What the serving thread counts and obeys.
struct Counters {
    ocsp_served: Arc<AtomicUsize>,
    crl_served: Arc<AtomicUsize>,
    ocsp_up: Arc<AtomicBool>,
    by_key: Arc<AtomicBool>,
    signer: Arc<Mutex<String>>,
}

fn crl(dir: &Path) -> std::io::Result<Vec<u8>> {
    let name = format!("crl-{:?}", std::thread::current().id()).replace(['(', ')'], "");
    let (pem, der) = (format!("{name}.pem"), format!("{name}.der"));
    let run = |args: &[&str]| -> std::io::Result<()> {
        let out = Command::new("openssl").args(args).current_dir(dir).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned()))
        }
    };
    run(&["ca", "-config", "ca.cnf", "-gencrl", "-out", &pem])?;
    run(&["crl", "-in", &pem, "-outform", "DER", "-out", &der])?;
    std::fs::read(dir.join(der))
}

/// Answers one HTTP request: `POST /ocsp` with OpenSSL's responder, `GET /crl` with a fresh
/// CRL; counts what it served, before sending it.
fn serve(dir: &Path, mut conn: TcpStream, counters: &Counters) -> std::io::Result<()> {
    let (request_line, request) = crate::http_request::read_request(&mut conn)?;
    let (status, content_type, body) = if request_line.starts_with("POST /ocsp ") {
        if counters.ocsp_up.load(Ordering::SeqCst) {
            let tag = format!("{:?}", std::thread::current().id()).replace(['(', ')'], "");
            let (req, resp) = (dir.join(format!("req-{tag}.der")), dir.join(format!("resp-{tag}.der")));
            std::fs::write(&req, &request)?;
            let out = Command::new("openssl")
                .args(["ocsp", "-index", "index.txt", "-CA", "ca.pem", "-ndays", "1"])
                .args({
                    let name = counters.signer.lock().map(|n| n.clone()).unwrap_or_default();
                    ["-rsigner".to_owned(), format!("{name}.pem"), "-rkey".to_owned(), format!("{name}.key")]
                })
                .args(if counters.by_key.load(Ordering::SeqCst) { &["-resp_key_id"][..] } else { &[][..] })
                .arg("-reqin")
                .arg(&req)
                .arg("-respout")
                .arg(&resp)
                .current_dir(dir)
                .output()?;
            let body = if out.status.success() { std::fs::read(&resp)? } else { Vec::new() };
            if body.is_empty() {
                ("500 Internal Server Error", "text/plain", Vec::new())
            } else {
                counters.ocsp_served.fetch_add(1, Ordering::SeqCst);
                ("200 OK", "application/ocsp-response", body)
            }
        } else {
            ("503 Service Unavailable", "text/plain", Vec::new())
        }
    } else if request_line.starts_with("GET /crl ") {
        match crl(dir) {
            Ok(body) => {
                counters.crl_served.fetch_add(1, Ordering::SeqCst);
                ("200 OK", "application/pkix-crl", body)
            }
            Err(_) => ("500 Internal Server Error", "text/plain", Vec::new()),
        }
    } else {
        ("404 Not Found", "text/plain", Vec::new())
    };
    let head = format!("HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len());
    conn.write_all(head.as_bytes())?;
    conn.write_all(&body)
}

impl Drop for RevocationPki {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread.
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if std::env::var_os("CIE_KEEP_PKI").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `p7m` (a DER ContentInfo of a SignedData, as `openssl cms -sign -outform DER` writes it) with
/// `crl` (DER) added in its `crls [1]` field, written here byte by byte (not by the code under
/// test): the field goes before the last field, the signerInfos.
pub(crate) fn with_crl(p7m: &[u8], crl: &[u8]) -> Vec<u8> {
    let (ci_head, ci_len) = header(p7m);
    assert_eq!(p7m[0], 0x30);
    let ci = &p7m[ci_head..ci_head + ci_len];
    let (oid_head, oid_len) = header(ci);
    let oid = &ci[..oid_head + oid_len];
    let explicit = &ci[oid_head + oid_len..];
    assert_eq!(explicit[0], 0xA0);
    let (ex_head, ex_len) = header(explicit);
    let sd = &explicit[ex_head..ex_head + ex_len];
    assert_eq!(sd[0], 0x30);
    let (sd_head, sd_len) = header(sd);
    let fields = &sd[sd_head..sd_head + sd_len];
    let mut at = 0;
    let mut last = 0;
    while at < fields.len() {
        last = at;
        let (h, l) = header(&fields[at..]);
        at += h + l;
    }
    assert_eq!(fields[last], 0x31, "signerInfos last");
    let mut new_fields = fields[..last].to_vec();
    new_fields.extend(tlv(0xA1, crl));
    new_fields.extend_from_slice(&fields[last..]);
    let mut ci_body = oid.to_vec();
    ci_body.extend(tlv(0xA0, &tlv(0x30, &new_fields)));
    tlv(0x30, &ci_body)
}

/// The (header length, content length) of the DER element at the start of `der`.
fn header(der: &[u8]) -> (usize, usize) {
    let first = der[1];
    if first < 0x80 {
        return (2, first as usize);
    }
    let n = (first & 0x7F) as usize;
    let len = der[2..2 + n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
    (2 + n, len)
}

/// A DER element.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}
