//! Every command's `--json` output, parsed with serde_json and held against the example of
//! docs/JSON.md: the same keys in the same order, values of the same types (`null` standing
//! for any type, as the "or null" fields are documented). Then a file name with a terminal
//! escape and a byte that is not UTF-8: escaped in the JSON, never raw.

mod cli_util;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cli_util::{readme, tool, Card, Run, TEST_PIN};
use serde_json::Value;

/// The first ```json block under each `## ` heading of docs/JSON.md, by heading, and the keys
/// its tables mark "sometimes" (absent from some outputs).
fn documented() -> (BTreeMap<String, Value>, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/JSON.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut examples = BTreeMap::new();
    let mut optional = Vec::new();
    let mut heading = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("## ") {
            heading = Some(h.to_owned());
        } else if line == "```json" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            let value = serde_json::from_str(&block.join("\n")).unwrap_or_else(|e| panic!("{heading:?}: {e}"));
            let h = heading.take().expect("a json block under a heading");
            examples.insert(h, value);
        } else if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            if cells.len() > 2 && cells[2].starts_with("sometimes") {
                optional.push(cells[0].trim_end_matches('`').to_owned());
            }
        }
    }
    (examples, optional)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Why `got` does not have the shape of `doc`, if it does not: keys in the documented order,
/// only `optional` ones may be missing.
fn shape_differs(doc: &Value, got: &Value, optional: &[String], at: &str) -> Option<String> {
    match (doc, got) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Object(d), Value::Object(g)) => {
            let dk: Vec<&String> = d.keys().filter(|k| g.contains_key(*k) || !optional.contains(k)).collect();
            let gk: Vec<&String> = g.keys().collect();
            if dk != gk {
                return Some(format!("{at}: keys {gk:?}, documented {dk:?}"));
            }
            g.iter().find_map(|(k, v)| shape_differs(&d[k], v, optional, &format!("{at}.{k}")))
        }
        (Value::Array(d), Value::Array(g)) => match d.first() {
            Some(first) => {
                g.iter().enumerate().find_map(|(i, v)| shape_differs(first, v, optional, &format!("{at}[{i}]")))
            }
            None => None,
        },
        _ if kind(doc) == kind(got) => None,
        _ => Some(format!("{at}: {} where the example has {}", kind(got), kind(doc))),
    }
}

/// The one line `r` printed, parsed.
fn parsed(r: &Run) -> Value {
    let line = r.stdout.trim_end_matches('\n');
    assert!(!line.is_empty() && !line.contains('\n'), "one line of JSON: {r:?}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The module `cie browser setup` registers (built by `cargo build --workspace`).
fn module() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let module = [deps.parent().unwrap(), deps]
        .iter()
        .map(|d| d.join("libcie_pkcs11.so"))
        .find(|p| p.is_file())
        .expect("libcie_pkcs11.so not built: run `cargo build --workspace` first");
    std::fs::canonicalize(module).unwrap()
}

#[test]
fn every_command_prints_the_documented_keys() {
    let (examples, optional) = documented();
    assert_eq!(optional, ["pem", "anchor", "tokens"]);
    let mut card = Card::start("json");
    let mut seen: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut check = |heading: &'static str, r: Run, code: i32| {
        assert_eq!(r.code, Some(code), "{heading}: {r:?}");
        seen.entry(heading).or_default().push(parsed(&r));
    };
    let doc = card.path("domanda.txt");
    std::fs::write(&doc, "domanda di iscrizione\n").unwrap();
    let ca = card.path("ca.der");
    std::fs::write(&ca, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let (p7m, sig, content) = (card.path("domanda.txt.p7m"), card.path("readme.sig"), card.path("content.txt"));

    check("`cie --json readers`", card.cie(&["--json", "readers"], ""), 0);
    check("`cie --json info`", card.cie(&["--json", "info"], ""), 0);
    check("`cie --json info`", card.cie(&["--json", "info", "--pin-stdin"], TEST_PIN), 0);
    check("`cie --json cert`", card.cie(&["--json", "cert", "--pin-stdin"], TEST_PIN), 0);
    let r = card.cie(&["--json", "sign", "--pin-stdin", "-i", s(&readme()), "-o", s(&sig)], TEST_PIN);
    check("`cie --json sign` (`--format raw`, the default)", r, 0);
    let r = card.cie(&["--json", "sign", "--format", "cades", "--pin-stdin", "-i", s(&doc)], TEST_PIN);
    check("`cie --json sign --format cades|cades-detached|pades`", r, 0);
    let verify = "`cie --json verify`";
    check(verify, card.cie(&["--json", "verify", s(&p7m), "--ca", s(&ca)], ""), 0);
    // INDETERMINATE (no trust anchor): the report is still the output, no error object.
    check(verify, card.cie(&["--json", "verify", s(&p7m)], ""), 6);
    check("`cie --json extract`", card.cie(&["--json", "extract", s(&p7m), "-o", s(&content)], ""), 0);
    assert_eq!(std::fs::read(&content).unwrap(), std::fs::read(&doc).unwrap());
    // The simulator's card is not issued by an Italian CSCA: intact but untrusted, exit 6.
    check("`cie --json verify-sod`", card.cie(&["--json", "verify-sod"], ""), 6);
    let csca = card.path("csca.der");
    std::fs::write(&csca, cie_sim::fixtures::csca_certificate()).unwrap();
    check("`cie --json verify-sod`", card.cie(&["--json", "verify-sod", "--csca", s(&csca)], ""), 0);
    let pin = "`cie --json pin change` and `cie --json pin unblock`";
    check(pin, card.cie(&["--json", "pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n24681357\n")), 0);
    check(pin, card.cie(&["--json", "pin", "change", "--pin-stdin"], &format!("24681357\n{TEST_PIN}\n")), 0);

    // The browsers: a Chromium database in a scratch home, the module registered, its status.
    let home = card.path("home");
    let nssdb = home.join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).unwrap();
    let (ok, _, err) = tool(
        "certutil",
        &["-N".as_ref(), "-d".as_ref(), format!("sql:{}", nssdb.display()).as_ref(), "--empty-password".as_ref()],
    );
    assert!(ok, "certutil (libnss3-tools, installed by `cargo xtask test`): {err}");
    let env = [("HOME", s(&home))];
    let browser = "`cie --json browser setup|status|remove`";
    check(browser, card.cie_env(&env, &["--json", "browser", "setup", "--module", s(&module())], ""), 0);
    let r = card.cie_env(&env, &["--json", "browser", "status"], "");
    assert!(r.stdout.contains(r#""tokens":["CIE 378215946021"]"#), "{r:?}");
    check(browser, r, 0);
    check(browser, card.cie_env(&env, &["--json", "browser", "remove"], ""), 0);

    // The card agent: started in the foreground, asked for its status, stopped.
    let run_dir = card.path("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    std::fs::set_permissions(&run_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let agent_env = [("XDG_RUNTIME_DIR", s(&run_dir))];
    let mut agent = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_cie"))
            .args(["agent", "--idle", "0"])
            .env("XDG_RUNTIME_DIR", &run_dir)
            .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
            .stdout(Stdio::null())
            .spawn()
            .expect("cie agent"),
    );
    let agent_socket = run_dir.join("cie/agent.sock");
    let mut client = (0..400)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            cie_agent::AgentClient::connect_to(&agent_socket).ok()
        })
        .expect("the agent's socket answers");
    client.card_info(None).expect("a card session in the agent");
    check("`cie --json agent status`", card.cie_env(&agent_env, &["--json", "agent", "status"], ""), 0);
    check(
        "`cie --json agent stop` and `cie --json agent install`",
        card.cie_env(&agent_env, &["--json", "agent", "stop"], ""),
        0,
    );
    assert!(agent.0.wait().unwrap().success());

    // Failures: a file that is not there, no card.
    let failed = "When a command fails";
    check(failed, card.cie(&["--json", "extract", s(&card.path("missing.p7m"))], ""), 1);
    card.stack.remove_card().unwrap();
    let r = card.cie(&["--json", "info"], "");
    assert!(r.stdout.contains(r#""exit_code":5"#), "{r:?}");
    check(failed, r, 5);
    // The doctor with no card: at least that link is a problem (exit 7); its findings are the
    // output, no error object.
    check("`cie --json doctor`", card.cie_env(&env, &["--json", "doctor"], ""), 7);
    card.stack.insert_card().unwrap();

    let documented: Vec<&String> = examples.keys().collect();
    let run: Vec<&&str> = seen.keys().collect();
    assert_eq!(documented, run, "every documented output is checked, every output is documented");
    for (heading, outputs) in &seen {
        for got in outputs {
            if let Some(why) = shape_differs(&examples[*heading], got, &optional, "$") {
                panic!("{heading}: {why}\n{got}");
            }
        }
    }
    // The keys of `cie verify --json` listed in docs/VERIFY.md too.
    let verify_md = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/VERIFY.md")).unwrap();
    for key in examples[verify]
        .as_object()
        .unwrap()
        .keys()
        .chain(examples[verify]["signatures"][0].as_object().unwrap().keys())
    {
        assert!(verify_md.contains(&format!("`{key}`")), "docs/VERIFY.md does not name `{key}`");
    }
}

/// Runs `cie ARGS` (some not UTF-8) against `card`, in English, no trust anchor.
fn cie_os(card: &Card, args: &[&OsStr]) -> (Option<i32>, Vec<u8>) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(env!("CARGO_BIN_EXE_cie"))
        .args(args)
        .env("LC_ALL", "C")
        .env("CIE_TRUST_ANCHORS", "")
        .env("PCSCLITE_CSOCK_NAME", card.stack.socket_path())
        .env_remove("CIE_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.code(), out.stdout)
}

#[test]
fn names_with_escapes_and_bytes_not_utf8_stay_escaped() {
    let card = Card::start("json-names");
    let doc = card.path("doc.txt");
    std::fs::write(&doc, "x\n").unwrap();
    let r = card.cie(&["sign", "--format", "cades", "--pin-stdin", "-q", "-i", s(&doc)], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    // ESC [2J (clear the screen) and a newline in the file's name, and 0xFF (never UTF-8) for
    // `verify`, whose FILE is any path (`extract` takes UTF-8 names).
    let escapes = card.dir.join("a\u{1b}[2J\n.p7m");
    let not_utf8 = card.dir.join(OsStr::from_bytes(b"a\x1b[2J\n\xff.p7m"));
    let out = card.path("out.txt");
    for (file, args) in [
        (
            &escapes,
            vec![OsStr::new("--json"), OsStr::new("extract"), escapes.as_os_str(), OsStr::new("-o"), out.as_os_str()],
        ),
        (&not_utf8, vec![OsStr::new("--json"), OsStr::new("verify"), not_utf8.as_os_str()]),
    ] {
        std::fs::copy(card.path("doc.txt.p7m"), file).unwrap();
        let (code, stdout) = cie_os(&card, &args);
        assert!(code == Some(0) || code == Some(6), "{code:?}: {}", String::from_utf8_lossy(&stdout));
        // One line, nothing a terminal would obey, valid UTF-8.
        assert!(!stdout.contains(&0x1b) && stdout.iter().filter(|b| **b == b'\n').count() == 1, "{stdout:?}");
        let line = String::from_utf8(stdout).unwrap();
        assert!(line.contains(r#"/a\u001b[2J\n"#), "{line}");
        let j: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(j["file"].as_str().unwrap(), file.to_string_lossy(), "{line}");
    }
    assert!(std::fs::read(&out).unwrap() == b"x\n");
}

/// A child process killed and reaped on drop.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
