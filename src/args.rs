//! Command-line parsing (hand-written: no parser crate to build). Global options may appear
//! anywhere; options that belong to one command are refused on the others.

use std::path::PathBuf;

use cie_core::sign::HashAlg;

use crate::pin_input::PinSource;

/// The help text.
pub const USAGE: &str = "usage: cie [OPTIONS] COMMAND [COMMAND OPTIONS]

commands:
  readers                         list the smart-card readers
  info                            reader, card generation, ATR, NIS, PIN tries left
                                  (with --login or --pin-stdin also the card number and holder)
  cert [--pem|--der] [-o FILE]    export the holder's certificate (PEM by default; needs the PIN)
  sign [--format F] [--hash ALG] [--cosign] -i FILE [-o OUT]
                                  sign FILE with the card. F: raw (default: OUT gets the bare
                                  RSA PKCS#1 v1.5 signature; -o needed), cades (FILE.p7m with
                                  FILE inside), cades-detached (FILE.p7s), pades (a signed PDF,
                                  FILE-signed.pdf; earlier signatures stay valid). --cosign:
                                  FILE is a .p7m, add a signature to it (cades).
                                  ALG: sha256 (default), sha384, sha512, sha224, sha1
  verify FILE [--ca CERT]... [--content DATA]
                                  check every signature of a .p7m/.p7s or PDF: integrity, signed
                                  attributes, certificate validity at signing time and, with
                                  --ca (PEM or DER, repeatable), the chain to that CA. DATA is
                                  the signed file of a detached signature. Exit 0 only if all
                                  signatures are valid
  extract FILE.p7m [-o OUT]       write the signed content of a .p7m (default: FILE without .p7m)
  verify-sod [--csca FILE]        passive authentication: check EF.SOD against the card's data,
                                  and the Document Signer against a CSCA certificate (PEM or DER)
  pin change                      change the PIN (asks the current PIN, then the new one twice)
  pin unblock                     unblock the PIN with the PUK and set a new PIN
  demo                            run the citizen authentication flow, step by step
  browser setup|status|remove     register the PKCS#11 module in the browsers' NSS databases
                                  (see cie browser --help)
  help [pin]                      this help; `help pin`: where PIN and PUK are, tries, unblocking

options:
  --reader NAME   use this reader instead of the first one holding a CIE
  --pin-stdin     read PIN/PUK from standard input, one per line, instead of the terminal:
                  pin change: current PIN, new PIN; pin unblock: PUK, new PIN (no repetition)
  --login         info, verify-sod: ask the PIN to also read the PIN-protected data
  --json          machine-readable output on standard output (errors too)
  -q, --quiet     no progress messages on standard error
  -h, --help      this help;  -V, --version  the version

The PIN and PUK are never accepted on the command line.
exit codes: 0 ok, 1 error, 2 usage, 3 wrong PIN/PUK, 4 PIN/PUK blocked, 5 no reader or no card
CIE_LOG=debug logs the APDU exchanges (PIN and PUK redacted) on standard error.";

/// `cie help pin`.
pub const PIN_HELP: &str = concat!(
    "PIN and PUK of the CIE

Each is 8 digits, delivered in two halves: ",
    crate::secret_origin!(),
    ".

PIN  needed to sign and to read the certificate and the card number. 3 tries: after 3 wrong
     PINs in a row it is blocked (a right PIN resets the count). Before the last try cie asks
     for confirmation. cie info shows the tries left without spending one.
PUK  unblocks the PIN and sets a new one: cie pin unblock. 10 tries; a blocked PUK cannot be
     unblocked: the comune issues a new card.

cie pin change      choose a new PIN (asks the current one, then the new one twice)
cie pin unblock     unblock the PIN with the PUK and choose a new PIN

PIN and PUK are never accepted on the command line; with --pin-stdin they are read from
standard input, one per line. Lost the PUK? The comune that issued the card can tell you how
to get it again."
);

/// Options that apply to every command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Globals {
    /// `--reader NAME`.
    pub reader: Option<String>,
    /// Where PIN and PUK come from.
    pub pin_source: PinSource,
    /// `--login`, or implied by `--pin-stdin`: read PIN-protected data where it is optional.
    pub login: bool,
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
}

/// Certificate output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertFormat {
    /// Base64 with BEGIN/END lines.
    Pem,
    /// Binary DER.
    Der,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `cie readers`.
    Readers,
    /// `cie info`.
    Info,
    /// `cie cert`.
    Cert {
        /// Output format.
        format: CertFormat,
        /// `-o FILE` (`None` or `-`: standard output).
        output: Option<PathBuf>,
    },
    /// `cie sign`.
    Sign {
        /// `--format`.
        format: SignFormat,
        /// `--hash`.
        hash: HashAlg,
        /// `-i FILE` (`-`: standard input, raw only).
        input: PathBuf,
        /// `-o OUT` (`-`: standard output, raw only); the default name for the other formats.
        output: PathBuf,
        /// `--cosign`: add a signature to the `.p7m` given as input.
        cosign: bool,
    },
    /// `cie verify`.
    Verify {
        /// The signed file.
        file: PathBuf,
        /// `--ca FILE`, repeatable.
        ca: Vec<PathBuf>,
        /// `--content DATA`: the content of a detached signature.
        content: Option<PathBuf>,
    },
    /// `cie extract`.
    Extract {
        /// The `.p7m`.
        file: PathBuf,
        /// `-o OUT`.
        output: PathBuf,
    },
    /// `cie verify-sod`.
    VerifySod {
        /// `--csca FILE`.
        csca: Option<PathBuf>,
    },
    /// `cie pin change`.
    PinChange,
    /// `cie pin unblock`.
    PinUnblock,
    /// `cie demo`.
    Demo,
    /// `cie browser ARGS`: the arguments after `browser`, parsed by `crate::browser`.
    Browser(Vec<String>),
    /// `cie --help`, `cie help`.
    Help,
    /// `cie help pin`: about the PIN and the PUK.
    HelpPin,
    /// `cie --version`.
    Version,
}

/// What `cie sign` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignFormat {
    /// The bare RSA PKCS#1 v1.5 signature.
    Raw,
    /// An enveloping CAdES `.p7m`.
    Cades,
    /// A detached CAdES signature.
    CadesDetached,
    /// A PAdES-signed PDF.
    Pades,
}

impl SignFormat {
    fn from_name(name: &str) -> Option<SignFormat> {
        match name.to_ascii_lowercase().as_str() {
            "raw" => Some(SignFormat::Raw),
            "cades" | "p7m" => Some(SignFormat::Cades),
            "cades-detached" | "p7s" => Some(SignFormat::CadesDetached),
            "pades" | "pdf" => Some(SignFormat::Pades),
            _ => None,
        }
    }

    /// The output name when `-o` is not given: `FILE.p7m`, `FILE.p7s`, `FILE-signed.pdf`.
    fn default_output(self, input: &str) -> Option<String> {
        match self {
            SignFormat::Raw => None,
            SignFormat::Cades => Some(format!("{input}.p7m")),
            SignFormat::CadesDetached => Some(format!("{input}.p7s")),
            SignFormat::Pades => {
                let stem = input.strip_suffix(".pdf").or_else(|| input.strip_suffix(".PDF")).unwrap_or(input);
                Some(format!("{stem}-signed.pdf"))
            }
        }
    }
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Global options.
    pub globals: Globals,
    /// The command and its options.
    pub command: Command,
}

/// Command-specific options as seen, checked against the command at the end.
#[derive(Default)]
struct Seen {
    pem: bool,
    der: bool,
    output: Option<String>,
    input: Option<String>,
    hash: Option<String>,
    csca: Option<String>,
    format: Option<String>,
    ca: Vec<String>,
    content: Option<String>,
    cosign: bool,
}

/// Parses the arguments after the program name. The error is a message for the user.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, String> {
    let mut globals =
        Globals { reader: None, pin_source: PinSource::Terminal, login: false, json: false, quiet: false };
    let mut seen = Seen::default();
    let mut words: Vec<String> = Vec::new();
    let mut help = false;
    let mut version = false;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "browser" && words.is_empty() {
            return Ok(Invocation { globals, command: Command::Browser(it.collect()) });
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => Err(format!("{name} needs {what}")),
            }
        };
        match name.as_str() {
            "--reader" => globals.reader = Some(value("a reader name (see cie readers)")?),
            "--pin-stdin" => {
                globals.pin_source = PinSource::Stdin;
                globals.login = true;
            }
            "--login" => globals.login = true,
            "--json" => globals.json = true,
            "-q" | "--quiet" => globals.quiet = true,
            "-h" | "--help" => help = true,
            "-V" | "--version" => version = true,
            "--pin" | "--puk" | "--new-pin" | "-p" => {
                return Err(format!(
                    "{name}: PIN and PUK are never taken from the command line (other users could see them); \
                     type them at the prompt or use --pin-stdin"
                ))
            }
            "--pem" => seen.pem = true,
            "--der" => seen.der = true,
            "-o" | "--output" | "--out" => seen.output = Some(value("a file name")?),
            "-i" | "--input" | "--in" => seen.input = Some(value("a file name")?),
            "--hash" => seen.hash = Some(value("an algorithm: sha256, sha384, sha512, sha224 or sha1")?),
            "--csca" => seen.csca = Some(value("a CSCA certificate file")?),
            "--format" | "-f" => seen.format = Some(value("a format: cades, cades-detached, pades or raw")?),
            "--ca" => seen.ca.push(value("a CA certificate file (PEM or DER)")?),
            "--content" => seen.content = Some(value("the signed file of a detached signature")?),
            "--cosign" => seen.cosign = true,
            s if s.starts_with('-') && s != "-" => return Err(format!("unknown option {s}")),
            _ => words.push(arg),
        }
    }
    if help {
        return Ok(Invocation { globals, command: Command::Help });
    }
    if version {
        return Ok(Invocation { globals, command: Command::Version });
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let command = match words.as_slice() {
        [] => return Err("no command given".into()),
        ["readers"] => Command::Readers,
        ["info"] => Command::Info,
        ["cert"] => {
            if seen.pem && seen.der {
                return Err("choose one of --pem and --der".into());
            }
            Command::Cert {
                format: if seen.der { CertFormat::Der } else { CertFormat::Pem },
                output: seen.output.take().filter(|o| o != "-").map(PathBuf::from),
            }
        }
        ["sign"] => {
            let format = match seen.format.take() {
                None => SignFormat::Raw,
                Some(f) => SignFormat::from_name(&f)
                    .ok_or_else(|| format!("unknown format {f:?}: use cades, cades-detached, pades or raw"))?,
            };
            let hash = match seen.hash.take() {
                None => HashAlg::Sha256,
                Some(h) => HashAlg::from_name(&h)
                    .ok_or_else(|| format!("unknown hash {h:?}: use sha256, sha384, sha512, sha224 or sha1"))?,
            };
            let input = seen.input.take().ok_or("sign needs -i FILE, the file to sign")?;
            let output = match seen.output.take().or_else(|| format.default_output(&input)) {
                Some(o) => o,
                None => return Err("sign needs -o SIG, where to write the signature".into()),
            };
            if input == "-" && globals.pin_source == PinSource::Stdin {
                return Err("-i - and --pin-stdin both want standard input: give the data as a file".into());
            }
            if format != SignFormat::Raw && (input == "-" || output == "-") {
                return Err("signed documents are read from and written to files: give -i FILE and -o OUT".into());
            }
            let cosign = std::mem::take(&mut seen.cosign);
            if cosign && format != SignFormat::Cades {
                return Err("--cosign adds a signature to a .p7m: use it with --format cades".into());
            }
            Command::Sign { format, hash, input: input.into(), output: output.into(), cosign }
        }
        ["verify"] => return Err("verify needs the signed FILE".into()),
        ["verify", file] => Command::Verify {
            file: file.into(),
            ca: std::mem::take(&mut seen.ca).into_iter().map(PathBuf::from).collect(),
            content: seen.content.take().map(PathBuf::from),
        },
        ["extract"] => return Err("extract needs the .p7m FILE".into()),
        ["extract", file] => {
            let output = match seen.output.take() {
                Some(o) => o,
                None => match file.strip_suffix(".p7m").or_else(|| file.strip_suffix(".P7M")) {
                    Some(stem) if !stem.is_empty() => stem.to_owned(),
                    _ => return Err("extract needs -o OUT (the file name does not end in .p7m)".into()),
                },
            };
            Command::Extract { file: file.into(), output: output.into() }
        }
        ["verify-sod"] => Command::VerifySod { csca: seen.csca.take().map(PathBuf::from) },
        ["pin", "change"] => Command::PinChange,
        ["pin", "unblock"] => Command::PinUnblock,
        ["pin", ..] => return Err("use cie pin change or cie pin unblock".into()),
        ["demo"] => Command::Demo,
        ["help"] => Command::Help,
        ["help", "pin" | "puk"] => Command::HelpPin,
        ["help", c]
            if ["readers", "info", "cert", "sign", "verify-sod", "demo", "verify", "extract", "browser", "help"]
                .contains(c) =>
        {
            Command::Help
        }
        ["help", c, ..] => return Err(format!("no help on {c:?}: try cie help or cie help pin")),
        [c, ..] if ["readers", "info", "cert", "sign", "verify-sod", "demo", "verify", "extract"].contains(c) => {
            return Err(format!("unexpected argument {:?} after {c}", words[1]))
        }
        [c, ..] => return Err(format!("unknown command {c:?}")),
    };
    // Options of other commands are mistakes worth pointing out.
    let leftovers = [
        (seen.pem, "--pem"),
        (seen.der, "--der"),
        (seen.output.is_some(), "-o"),
        (seen.input.is_some(), "-i"),
        (seen.hash.is_some(), "--hash"),
        (seen.csca.is_some(), "--csca"),
        (seen.format.is_some(), "--format"),
        (!seen.ca.is_empty(), "--ca"),
        (seen.content.is_some(), "--content"),
        (seen.cosign, "--cosign"),
    ];
    let applies = |opt: &str| match &command {
        Command::Cert { .. } => matches!(opt, "--pem" | "--der" | "-o"),
        _ => false,
    };
    for (present, opt) in leftovers {
        if present && !applies(opt) {
            return Err(format!("option {opt} does not apply to this command"));
        }
    }
    Ok(Invocation { globals, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Invocation, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn commands_and_options() {
        let i = p("--reader R cert --der -o c.der --json").unwrap();
        assert_eq!(i.globals.reader.as_deref(), Some("R"));
        assert!(i.globals.json);
        assert_eq!(i.command, Command::Cert { format: CertFormat::Der, output: Some("c.der".into()) });
        assert_eq!(p("cert").unwrap().command, Command::Cert { format: CertFormat::Pem, output: None });
        let i = p("sign --pin-stdin --hash=SHA-512 -i in -o out").unwrap();
        assert_eq!(i.globals.pin_source, PinSource::Stdin);
        assert!(i.globals.login);
        let sign = |format, hash, input: &str, output: &str, cosign| Command::Sign {
            format,
            hash,
            input: input.into(),
            output: output.into(),
            cosign,
        };
        assert_eq!(i.command, sign(SignFormat::Raw, HashAlg::Sha512, "in", "out", false));
        assert_eq!(p("sign -i a -o b").unwrap().command, sign(SignFormat::Raw, HashAlg::Sha256, "a", "b", false));
        assert_eq!(
            p("sign --format cades -i a.pdf").unwrap().command,
            sign(SignFormat::Cades, HashAlg::Sha256, "a.pdf", "a.pdf.p7m", false)
        );
        assert_eq!(
            p("sign --format=cades-detached -i a").unwrap().command,
            sign(SignFormat::CadesDetached, HashAlg::Sha256, "a", "a.p7s", false)
        );
        assert_eq!(
            p("sign --format pades --hash sha384 -i doc.pdf").unwrap().command,
            sign(SignFormat::Pades, HashAlg::Sha384, "doc.pdf", "doc-signed.pdf", false)
        );
        assert_eq!(
            p("sign --format cades --cosign -i a.p7m -o b.p7m").unwrap().command,
            sign(SignFormat::Cades, HashAlg::Sha256, "a.p7m", "b.p7m", true)
        );
        assert_eq!(
            p("verify x.pdf --ca a.pem --ca b.der --json").unwrap().command,
            Command::Verify { file: "x.pdf".into(), ca: vec!["a.pem".into(), "b.der".into()], content: None }
        );
        assert_eq!(
            p("verify x.p7s --content x").unwrap().command,
            Command::Verify { file: "x.p7s".into(), ca: vec![], content: Some("x".into()) }
        );
        assert_eq!(
            p("extract doc.pdf.p7m").unwrap().command,
            Command::Extract { file: "doc.pdf.p7m".into(), output: "doc.pdf".into() }
        );
        assert_eq!(
            p("extract doc -o out").unwrap().command,
            Command::Extract { file: "doc".into(), output: "out".into() }
        );
        assert_eq!(p("pin change").unwrap().command, Command::PinChange);
        assert_eq!(p("pin unblock -q").unwrap().command, Command::PinUnblock);
        assert_eq!(p("verify-sod --csca x.pem").unwrap().command, Command::VerifySod { csca: Some("x.pem".into()) });
        assert!(!p("info").unwrap().globals.login);
        assert!(p("info --login").unwrap().globals.login);
        assert_eq!(p("demo --help").unwrap().command, Command::Help);
        let i = p("--json browser status --module m").unwrap();
        assert!(i.globals.json);
        assert_eq!(i.command, Command::Browser(vec!["status".into(), "--module".into(), "m".into()]));
        assert_eq!(p("help").unwrap().command, Command::Help);
        assert_eq!(p("help pin").unwrap().command, Command::HelpPin);
        assert_eq!(p("help puk").unwrap().command, Command::HelpPin);
        assert_eq!(p("help sign").unwrap().command, Command::Help);
        assert!(p("help frobnicate").is_err());
    }

    #[test]
    fn mistakes() {
        for bad in [
            "",
            "frobnicate",
            "pin",
            "pin reset",
            "cert --pem --der",
            "sign -o x",
            "sign -i x",
            "sign --hash md5 -i a -o b",
            "sign -i - -o b --pin-stdin",
            "sign --format xades -i a",
            "sign --format cades -i -",
            "sign --format pades -i a -o -",
            "sign --cosign -i a -o b",
            "verify",
            "verify a b",
            "verify-sod --ca x",
            "extract",
            "extract doc",
            "info --content x",
            "cert --format cades",
            "info --hash sha256",
            "readers -o x",
            "cert --csca x",
            "--reader",
            "info extra",
            "--frob info",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
        let e = p("sign --pin 12345678 -i a -o b").unwrap_err();
        assert!(e.contains("never"), "{e}");
        assert!(!e.contains("12345678"));
    }
}
