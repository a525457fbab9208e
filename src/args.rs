//! Command-line parsing with `clap` (derive). Global options may appear anywhere; options that
//! belong to one command are refused on the others. PIN and PUK are never arguments: `--pin` and
//! its likes are refused before parsing, with a message that does not repeat the value.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
pub use clap_complete::Shell;

use cie_core::sign::HashAlg;

use crate::browser::{Action as BrowserAction, Options as BrowserOptions};
use crate::ctx::Globals;
use crate::pin_input::PinSource;

/// Text after the options in `cie --help`.
const AFTER_HELP: &str = "The PIN and PUK are never accepted on the command line.

exit codes: 0 ok, 1 error, 2 usage, 3 wrong PIN/PUK, 4 PIN/PUK blocked, 5 no reader or no card;
cie verify: 0 TOTAL-PASSED, 1 TOTAL-FAILED, 6 INDETERMINATE (see docs/VERIFY.md)

CIE_LOG=debug logs the APDU exchanges (PIN and PUK redacted) on standard error.

Messages are in Italian when the locale is (LC_ALL, LC_MESSAGES or LANG = it_*), in English
otherwise; --json output, exit codes and this help are the same in every language.";

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
        /// `--no-default-ca`: without the installed trust anchors.
        no_default_ca: bool,
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
    /// `cie browser setup|status|remove`.
    Browser(crate::browser::Options),
    /// `cie completions SHELL`: the completion script on standard output.
    Completions(Shell),
    /// `cie manpage DIR` (hidden; `cargo xtask man`): writes `cie.1` and one page per command
    /// (`cie-sign.1`...) into DIR.
    Manpages(PathBuf),
    /// `cie help`.
    Help,
    /// `cie help COMMAND`: that command's help.
    HelpOn(String),
    /// `cie help pin`: about the PIN and the PUK.
    HelpPin,
}

/// What `cie sign` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SignFormat {
    /// The bare RSA PKCS#1 v1.5 signature (-o needed).
    Raw,
    /// An enveloping CAdES `.p7m` (FILE.p7m with FILE inside).
    #[value(alias = "p7m")]
    Cades,
    /// A detached CAdES signature (FILE.p7s).
    #[value(alias = "p7s")]
    CadesDetached,
    /// A PAdES-signed PDF (FILE-signed.pdf; earlier signatures stay valid).
    #[value(alias = "pdf")]
    Pades,
}

impl SignFormat {
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

/// The command line as clap sees it.
#[derive(Parser, Debug)]
#[command(
    name = "cie",
    version,
    about = "Command-line tool for the Italian electronic identity card (CIE 3.0)",
    disable_help_subcommand = true,
    arg_required_else_help = true,
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(flatten)]
    globals: GlobalArgs,
    #[command(subcommand)]
    command: Cmd,
}

/// Options that apply to every command, accepted before or after it.
#[derive(Args, Debug)]
struct GlobalArgs {
    /// Use this reader instead of the first one holding a CIE
    #[arg(long, global = true, value_name = "NAME")]
    reader: Option<String>,
    /// Read PIN/PUK from standard input, one per line, instead of the terminal
    ///
    /// pin change: current PIN, new PIN; pin unblock: PUK, new PIN (no repetition).
    #[arg(long, global = true)]
    pin_stdin: bool,
    /// info, verify-sod: ask the PIN to also read the PIN-protected data
    #[arg(long, global = true)]
    login: bool,
    /// Machine-readable output on standard output (errors too)
    #[arg(long, global = true)]
    json: bool,
    /// No progress messages on standard error
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// The commands.
#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the smart-card readers
    Readers,
    /// Reader, card generation, ATR, NIS, PIN tries left
    ///
    /// With --login or --pin-stdin also the card number and holder.
    Info,
    /// Export the holder's certificate (PEM by default; needs the PIN)
    Cert {
        /// PEM (the default)
        #[arg(long, conflicts_with = "der")]
        pem: bool,
        /// Binary DER
        #[arg(long)]
        der: bool,
        /// Where to write it (default, or -: standard output)
        #[arg(short, long, alias = "out", value_name = "FILE")]
        output: Option<String>,
    },
    /// Sign FILE with the card: bare signature, CAdES .p7m/.p7s or PAdES PDF
    ///
    /// raw (default): OUT gets the bare RSA PKCS#1 v1.5 signature (-o needed); cades: FILE.p7m
    /// with FILE inside; cades-detached: FILE.p7s; pades: a signed PDF, FILE-signed.pdf (earlier
    /// signatures stay valid). --cosign: FILE is a .p7m, add a signature to it (cades).
    Sign {
        /// What to produce
        #[arg(short, long, value_enum, ignore_case = true, default_value = "raw", value_name = "F")]
        format: SignFormat,
        /// Hash algorithm: sha256, sha384, sha512, sha224, sha1
        #[arg(long, value_parser = parse_hash, default_value = "sha256", value_name = "ALG")]
        hash: HashAlg,
        /// FILE is a .p7m: add a signature to it (with --format cades)
        #[arg(long)]
        cosign: bool,
        /// The file to sign (-: standard input, raw only)
        #[arg(short, long, alias = "in", value_name = "FILE")]
        input: String,
        /// Where to write (default: FILE.p7m, FILE.p7s, FILE-signed.pdf; -: standard output, raw)
        #[arg(short, long, alias = "out", value_name = "OUT")]
        output: Option<String>,
    },
    /// Check every signature of a .p7m/.p7s or PDF
    ///
    /// Integrity, signed attributes, the certificate chain to a trusted CA (those installed in
    /// /etc/cie/trust-anchors/ and ~/.config/cie/trust-anchors/, or listed in
    /// CIE_TRUST_ANCHORS, plus each --ca) and the certificates' validity now. Each signature and
    /// the document get an ETSI EN 319 102-1 verdict. Exit 0: TOTAL-PASSED (every signature
    /// valid and trusted); 1: TOTAL-FAILED (altered, malformed, modified after signing); 6:
    /// INDETERMINATE (not confirmed: untrusted or expired certificate, unsupported algorithm,
    /// no signature). Revocation is not checked. See docs/VERIFY.md.
    Verify {
        /// The signed file
        file: PathBuf,
        /// A trusted CA certificate (PEM or DER), repeatable; added to the installed ones
        #[arg(long, value_name = "CERT")]
        ca: Vec<PathBuf>,
        /// Ignore the installed trust anchors (CIE_TRUST_ANCHORS, /etc/cie/trust-anchors/,
        /// ~/.config/cie/trust-anchors/): trust only the --ca certificates
        #[arg(long)]
        no_default_ca: bool,
        /// The signed file of a detached signature
        #[arg(long, value_name = "DATA")]
        content: Option<PathBuf>,
    },
    /// Write the signed content of a .p7m (default: FILE without .p7m)
    Extract {
        /// The .p7m
        #[arg(value_name = "FILE.p7m")]
        file: String,
        /// Where to write the content
        #[arg(short, long, alias = "out", value_name = "OUT")]
        output: Option<String>,
    },
    /// Passive authentication: check EF.SOD against the card's data
    ///
    /// With --csca, also the Document Signer against that CSCA certificate.
    VerifySod {
        /// The CSCA certificate (PEM or DER)
        #[arg(long, value_name = "FILE")]
        csca: Option<PathBuf>,
    },
    /// Change or unblock the PIN
    #[command(after_long_help = PIN_HELP)]
    Pin {
        #[command(subcommand)]
        action: PinCmd,
    },
    /// Run the citizen authentication flow, step by step
    Demo,
    /// Register the PKCS#11 module in the browsers' NSS databases
    ///
    /// Browsers then offer the card when a site asks for a client certificate.
    #[command(override_usage = "cie browser setup|status|remove [--module PATH] [--sandboxed]")]
    Browser {
        #[command(subcommand)]
        action: BrowserCmd,
    },
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
    /// This help; help [pin]: where PIN and PUK are; help COMMAND: that command's
    Help {
        /// pin, puk or a command
        #[arg(value_name = "TOPIC")]
        topic: Option<String>,
    },
}

/// `cie pin ...`.
#[derive(Subcommand, Debug)]
enum PinCmd {
    /// Change the PIN (asks the current PIN, then the new one twice)
    Change,
    /// Unblock the PIN with the PUK and set a new PIN
    Unblock,
}

/// `cie browser ...`.
#[derive(Subcommand, Debug)]
enum BrowserCmd {
    /// Register the module in ~/.pki/nssdb (Chromium, Chrome) and every Firefox profile
    ///
    /// The Chromium database is created if missing; safe to run again.
    Setup {
        /// The module to register (default: the installed libcie_pkcs11.so)
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        /// Also install and start a systemd user unit running p11-kit server with the module, for
        /// snap and Flatpak browsers (docs/SANDBOXED.md)
        #[arg(long)]
        sandboxed: bool,
    },
    /// Where the module is registered and whether the card is visible there
    Status,
    /// Undo setup (the sandboxed browsers' server unit too)
    Remove,
}

fn parse_hash(name: &str) -> Result<HashAlg, String> {
    HashAlg::from_name(name).ok_or_else(|| format!("unknown hash {name:?}: use sha256, sha384, sha512, sha224 or sha1"))
}

/// The hidden command printing the man page.
const MANPAGE: &str = "manpage";

/// Options that would put a secret on the command line.
const SECRET_OPTIONS: [&str; 4] = ["--pin", "--puk", "--new-pin", "-p"];

/// The clap command: for help, completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// A usage error (exit status 2) showing the usage of command `sub` (`""`: of `cie`).
fn usage_error(sub: &str, message: impl std::fmt::Display) -> clap::Error {
    let mut cmd = command();
    cmd.build();
    match cmd.find_subcommand_mut(sub) {
        Some(sub) => sub.error(ErrorKind::ArgumentConflict, message),
        None => cmd.error(ErrorKind::ArgumentConflict, message),
    }
}

/// Parses the arguments after the program name. The error prints itself (`exit()`: help and
/// version on standard output with status 0, mistakes on standard error with status 2).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, clap::Error> {
    let args: Vec<String> = args.into_iter().collect();
    for a in args.iter().take_while(|a| *a != "--") {
        let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
        if SECRET_OPTIONS.contains(&name) {
            return Err(usage_error("", tr!(SecretOnCommandLine, option = name)));
        }
    }
    // `cie manpage` (for `cargo xtask man`) is known to the parser only, not to the help, the
    // completions and the man page itself.
    let manpage = clap::Arg::new("dir").required(true).value_parser(clap::value_parser!(PathBuf));
    let parser = command().subcommand(clap::Command::new(MANPAGE).hide(true).arg(manpage));
    let matches = parser.try_get_matches_from(std::iter::once("cie".to_owned()).chain(args))?;
    let g = GlobalArgs::from_arg_matches(&matches)?;
    let pin_source = if g.pin_stdin { PinSource::Stdin } else { PinSource::Terminal };
    let globals = Globals { reader: g.reader, pin_source, login: g.login || g.pin_stdin, json: g.json, quiet: g.quiet };
    if let Some((MANPAGE, m)) = matches.subcommand() {
        let dir = m.get_one::<PathBuf>("dir").cloned().unwrap_or_default();
        return Ok(Invocation { globals, command: Command::Manpages(dir) });
    }
    let cli = Cli::from_arg_matches(&matches)?;
    let command = match cli.command {
        Cmd::Readers => Command::Readers,
        Cmd::Info => Command::Info,
        Cmd::Cert { der, output, .. } => Command::Cert {
            format: if der { CertFormat::Der } else { CertFormat::Pem },
            output: output.filter(|o| o != "-").map(PathBuf::from),
        },
        Cmd::Sign { format, hash, cosign, input, output } => {
            let output = output
                .or_else(|| format.default_output(&input))
                .ok_or_else(|| usage_error("sign", tr!(SignNeedsOutput)))?;
            if input == "-" && pin_source == PinSource::Stdin {
                return Err(usage_error("sign", tr!(StdinTwice)));
            }
            if format != SignFormat::Raw && (input == "-" || output == "-") {
                return Err(usage_error("sign", tr!(DocumentsNeedFiles)));
            }
            if cosign && format != SignFormat::Cades {
                return Err(usage_error("sign", tr!(CosignNeedsCades)));
            }
            Command::Sign { format, hash, input: input.into(), output: output.into(), cosign }
        }
        Cmd::Verify { file, ca, no_default_ca, content } => Command::Verify { file, ca, no_default_ca, content },
        Cmd::Extract { file, output } => {
            let output = match output {
                Some(o) => o,
                None => match file.strip_suffix(".p7m").or_else(|| file.strip_suffix(".P7M")) {
                    Some(stem) if !stem.is_empty() => stem.to_owned(),
                    _ => return Err(usage_error("extract", tr!(ExtractNeedsOutput))),
                },
            };
            Command::Extract { file: file.into(), output: output.into() }
        }
        Cmd::VerifySod { csca } => Command::VerifySod { csca },
        Cmd::Pin { action: PinCmd::Change } => Command::PinChange,
        Cmd::Pin { action: PinCmd::Unblock } => Command::PinUnblock,
        Cmd::Demo => Command::Demo,
        Cmd::Browser { action } => Command::Browser(match action {
            BrowserCmd::Setup { module, sandboxed } => {
                BrowserOptions { action: BrowserAction::Setup, module, sandboxed }
            }
            BrowserCmd::Status => BrowserOptions { action: BrowserAction::Status, module: None, sandboxed: false },
            BrowserCmd::Remove => BrowserOptions { action: BrowserAction::Remove, module: None, sandboxed: false },
        }),
        Cmd::Completions { shell } => Command::Completions(shell),
        Cmd::Help { topic: None } => Command::Help,
        Cmd::Help { topic: Some(t) } => match t.as_str() {
            "pin" | "puk" => Command::HelpPin,
            c if command().get_subcommands().any(|s| s.get_name() == c) => Command::HelpOn(c.to_owned()),
            c => return Err(usage_error("", tr!(NoHelpOn, topic = c))),
        },
    };
    Ok(Invocation { globals, command })
}

/// Prints `cie --help` (`None`) or `cie COMMAND --help` on standard output.
pub fn print_help(on: Option<&str>) -> std::io::Result<()> {
    let mut cmd = command();
    match on.and_then(|name| cmd.find_subcommand_mut(name)) {
        Some(sub) => {
            let mut sub = sub.clone().bin_name(format!("cie {}", on.unwrap_or_default()));
            sub.print_long_help()
        }
        None => cmd.print_long_help(),
    }
}

/// Writes the completion script for `shell` on standard output.
pub fn print_completions(shell: Shell) {
    clap_complete::generate(shell, &mut command(), "cie", &mut std::io::stdout());
}

/// Writes the man pages (roff): `cie.1` and `cie-COMMAND.1` for every command, into `dir`
/// (created if missing).
pub fn write_manpages(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Invocation, clap::Error> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
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
            Command::Verify {
                file: "x.pdf".into(),
                ca: vec!["a.pem".into(), "b.der".into()],
                no_default_ca: false,
                content: None
            }
        );
        assert_eq!(
            p("verify x.p7s --content x").unwrap().command,
            Command::Verify { file: "x.p7s".into(), ca: vec![], no_default_ca: false, content: Some("x".into()) }
        );
        assert_eq!(
            p("verify x.pdf --no-default-ca --ca a.pem").unwrap().command,
            Command::Verify { file: "x.pdf".into(), ca: vec!["a.pem".into()], no_default_ca: true, content: None }
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
        assert_eq!(p("demo --help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(p("--version").unwrap_err().kind(), ErrorKind::DisplayVersion);
        let i = p("--json browser status").unwrap();
        assert!(i.globals.json);
        let browser = |action, module: Option<&str>, sandboxed| {
            Command::Browser(BrowserOptions { action, module: module.map(PathBuf::from), sandboxed })
        };
        assert_eq!(i.command, browser(BrowserAction::Status, None, false));
        assert_eq!(p("browser remove").unwrap().command, browser(BrowserAction::Remove, None, false));
        assert_eq!(
            p("browser setup --module /x/libcie_pkcs11.so --sandboxed").unwrap().command,
            browser(BrowserAction::Setup, Some("/x/libcie_pkcs11.so"), true)
        );
        assert_eq!(p("browser setup --module=/m").unwrap().command, browser(BrowserAction::Setup, Some("/m"), false));
        assert_eq!(p("completions zsh").unwrap().command, Command::Completions(Shell::Zsh));
        assert_eq!(p("manpage /d").unwrap().command, Command::Manpages("/d".into()));
        assert!(p("manpage").is_err());
        // Globals after the command, and options in their long spellings.
        let i = p("pin change --pin-stdin --reader R -q").unwrap();
        assert_eq!(
            (i.globals.pin_source, i.globals.reader.as_deref(), i.globals.quiet),
            (PinSource::Stdin, Some("R"), true)
        );
        assert_eq!(
            p("sign --format P7S --input a --out b").unwrap().command,
            sign(SignFormat::CadesDetached, HashAlg::Sha256, "a", "b", false)
        );
        assert_eq!(p("help").unwrap().command, Command::Help);
        assert_eq!(p("help pin").unwrap().command, Command::HelpPin);
        assert_eq!(p("help puk").unwrap().command, Command::HelpPin);
        assert_eq!(p("help sign").unwrap().command, Command::HelpOn("sign".into()));
        assert!(p("help frobnicate").is_err());
        assert!(p("help manpage").is_err(), "hidden");
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
            "browser",
            "browser setup remove",
            "browser frob",
            "browser setup --module",
            "browser status --sandboxed",
            "browser status --bogus",
            "completions",
            "completions tcsh",
        ] {
            let e = p(bad).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
        for secret in ["--pin", "--puk", "--new-pin", "-p", "--pin=12345678"] {
            let e = p(&format!("sign {secret} 12345678 -i a -o b")).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let e = e.to_string();
            assert!(e.contains("never"), "{e}");
            assert!(!e.contains("12345678"), "{e}");
        }
    }

    /// Renders a completion script or the man page into a string.
    fn render(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn completions_and_man_page_name_every_command() {
        let commands = [
            "readers",
            "info",
            "cert",
            "sign",
            "verify",
            "extract",
            "verify-sod",
            "pin",
            "demo",
            "browser",
            "completions",
        ];
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = render(|out| clap_complete::generate(shell, &mut command(), "cie", out));
            for c in commands.iter().chain(&["change", "unblock", "setup", "cades-detached", "pin-stdin"]) {
                assert!(script.contains(c), "{shell}: {c} missing");
            }
            assert!(!script.contains("manpage"), "{shell}: the hidden command is offered");
        }
        let man = render(|out| clap_mangen::Man::new(command()).render(out).unwrap());
        assert!(man.starts_with(".ie") || man.contains(".TH cie 1"), "{man}");
        for c in commands {
            assert!(man.contains(&c.replace('-', "\\-")), "{c} missing from the man page");
        }
    }
}
