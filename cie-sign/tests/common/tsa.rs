//! A Time-Stamping Authority on the loopback for the tests: OpenSSL's own TSA (`openssl ts
//! -reply`, a real RFC 3161 implementation) behind a minimal HTTP server in a thread of the
//! test. Its keys and certificates are made by `openssl req`/`x509` in a scratch directory:
//! a root and a TSA certificate with the critical extended key usage id-kp-timeStamping.
//! Each request runs one `openssl ts` process, waited for before the answer is sent.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running local TSA; stopped (its thread joined, its directory removed) on drop.
pub(crate) struct LocalTsa {
    dir: PathBuf,
    url: String,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("running openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl LocalTsa {
    /// Makes the TSA's keys and certificates in a new directory under `scratch` and starts
    /// serving on 127.0.0.1 (a free port).
    pub(crate) fn start(scratch: &Path) -> LocalTsa {
        let dir = scratch.join(format!("tsa-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ext.cnf"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
        )
        .unwrap();
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "root.key",
                "-out",
                "root.pem",
                "-subj",
                "/CN=cie test TSA root",
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "tsa.key",
                "-out",
                "tsa.csr",
                "-subj",
                "/CN=cie test TSA",
            ],
        );
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "7",
                "-days",
                "30",
                "-sha256",
                "-extfile",
                "ext.cnf",
                "-out",
                "tsa.pem",
            ],
        );
        LocalTsa::serving(dir)
    }

    /// A TSA signing with the certificate `cert` and key `key` (PEM) issued by `ca` (PEM, put
    /// in its tokens), made elsewhere (a PKI with revocation services), in a new directory
    /// under `scratch`.
    pub(crate) fn start_with(scratch: &Path, cert: &Path, key: &Path, ca: &Path) -> LocalTsa {
        let dir = scratch.join(format!("tsa-given-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (from, to) in [(cert, "tsa.pem"), (key, "tsa.key"), (ca, "root.pem")] {
            std::fs::copy(from, dir.join(to)).unwrap();
        }
        LocalTsa::serving(dir)
    }

    /// Serves from `dir`, which holds tsa.pem, tsa.key and root.pem.
    fn serving(dir: PathBuf) -> LocalTsa {
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        std::fs::write(
            dir.join("ts.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = {}\nserial = $dir/serial\ncrypto_device = builtin\n\
                 signer_cert = $dir/tsa.pem\ncerts = $dir/root.pem\nsigner_key = $dir/tsa.key\nsigner_digest = sha256\n\
                 default_policy = 1.3.6.1.4.1.99999.1\ndigests = sha256, sha384, sha512\naccuracy = secs:1\n\
                 ordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                dir.display()
            ),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsr", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let (d, s, n) = (dir.clone(), stop.clone(), served.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = serve(&d, conn, &n);
                }
            }
        });
        LocalTsa { dir, url, stop, served, thread: Some(thread) }
    }

    /// The TSA's address (`http://127.0.0.1:PORT/tsr`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The TSA's root certificate (PEM), to trust.
    pub(crate) fn root_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("root.pem")).unwrap()
    }

    /// The root certificate's path.
    pub(crate) fn root_path(&self) -> PathBuf {
        self.dir.join("root.pem")
    }

    /// A token (the TimeStampToken, DER) over the SHA-256 digest `digest`, made by `openssl ts
    /// -query -digest` and `openssl ts -reply -token_out` with the TSA's keys, not through
    /// HTTP.
    pub(crate) fn token_for_digest(&self, digest: &[u8]) -> Vec<u8> {
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        openssl(&self.dir, &["ts", "-query", "-sha256", "-digest", &hex, "-cert", "-out", "direct.tsq"]);
        openssl(
            &self.dir,
            &["ts", "-reply", "-config", "ts.cnf", "-queryfile", "direct.tsq", "-token_out", "-out", "direct.tst"],
        );
        std::fs::read(self.dir.join("direct.tst")).unwrap()
    }

    /// Requests answered so far.
    pub(crate) fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

/// Answers one HTTP request: the body is the query, the answer OpenSSL's reply; `served`
/// counts the replies, before they are sent.
fn serve(dir: &Path, mut conn: TcpStream, served: &AtomicUsize) -> std::io::Result<()> {
    let (_, body) = crate::http_request::read_request(&mut conn)?;
    let query = dir.join(format!("q-{:?}.tsq", std::thread::current().id()));
    let reply = query.with_extension("tsr");
    std::fs::write(&query, &body)?;
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config", "ts.cnf", "-queryfile"])
        .arg(&query)
        .arg("-out")
        .arg(&reply)
        .current_dir(dir)
        .output()?;
    let body = if out.status.success() { std::fs::read(&reply)? } else { Vec::new() };
    let status = if body.is_empty() { "500 Internal Server Error" } else { "200 OK" };
    if !body.is_empty() {
        served.fetch_add(1, Ordering::SeqCst);
    }
    let head = format!(
        "HTTP/1.0 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(&body)?;
    if body.is_empty() {
        return Err(std::io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    Ok(())
}

impl Drop for LocalTsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://").trim_end_matches("/tsr"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
