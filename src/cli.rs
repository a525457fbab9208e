//! The command line: the top-level parser (clap, derive) with the global options, the guard
//! that refuses secrets on the command line, and the one dispatch to the commands of
//! `crate::commands` (one file each with its options, checks and work).
//!
//! Global options may appear anywhere; options that belong to one command are refused on the
//! others. PIN and PUK are never arguments: `--pin` and its likes are refused before parsing,
//! with a message that does not repeat the value.

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands::agent::AgentArgs;
use crate::commands::browser::BrowserArgs;
use crate::commands::cert::CertArgs;
use crate::commands::completions::CompletionsArgs;
use crate::commands::demo::DemoArgs;
use crate::commands::doctor::DoctorArgs;
use crate::commands::extract::ExtractArgs;
use crate::commands::help::HelpArgs;
use crate::commands::info::InfoArgs;
use crate::commands::manpage::{ManpageArgs, MANPAGE};
use crate::commands::pin::PinArgs;
use crate::commands::readers::ReadersArgs;
use crate::commands::sign::SignArgs;
use crate::commands::verify::VerifyArgs;
use crate::commands::verify_sod::VerifySodArgs;
use crate::commands::{Mistake, Run};
use crate::ctx::{Ctx, Globals};
use crate::failure::Failure;
use crate::pin_input::PinSource;

/// Text after the options in `cie --help`.
const AFTER_HELP: &str = "The PIN and PUK are never accepted on the command line.

exit codes: 0 ok, 1 error, 2 usage, 3 wrong PIN/PUK, 4 PIN/PUK blocked, 5 no reader or no card;
cie verify: 0 TOTAL-PASSED, 1 TOTAL-FAILED, 6 INDETERMINATE (see docs/VERIFY.md)

CIE_LOG=debug logs the APDU exchanges (PIN and PUK redacted) on standard error.

Messages are in Italian when the locale is (LC_ALL, LC_MESSAGES or LANG = it_*), in English
otherwise; --json output, exit codes and this help are the same in every language.";

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
    command: Command,
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
    /// No progress on standard error (step lines, spinner, progress bars)
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// The commands, in the order `cie --help` lists them. Each one's help is the doc comment of
/// its options struct (a doc comment on a variant would replace it).
#[derive(Subcommand, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Readers(ReadersArgs),
    Info(InfoArgs),
    Cert(CertArgs),
    Sign(SignArgs),
    Verify(VerifyArgs),
    Extract(ExtractArgs),
    VerifySod(VerifySodArgs),
    Pin(PinArgs),
    Demo(DemoArgs),
    Browser(BrowserArgs),
    Doctor(DoctorArgs),
    Agent(AgentArgs),
    Completions(CompletionsArgs),
    Help(HelpArgs),
    /// `cie manpage DIR`: hidden, added to the parser by [`read`] only.
    #[command(skip)]
    Manpage(ManpageArgs),
}

/// A command whose checks passed: its work, to be done in its context.
type Work = Box<dyn FnOnce(&Ctx) -> Result<(), Failure>>;

impl Command {
    /// The one dispatch: the command's checks now, its work later.
    fn checked(self, ctx: &Ctx) -> Result<Work, Mistake> {
        match self {
            Command::Readers(c) => checked(c, ctx),
            Command::Info(c) => checked(c, ctx),
            Command::Cert(c) => checked(c, ctx),
            Command::Sign(c) => checked(c, ctx),
            Command::Verify(c) => checked(c, ctx),
            Command::Extract(c) => checked(c, ctx),
            Command::VerifySod(c) => checked(c, ctx),
            Command::Pin(c) => checked(c, ctx),
            Command::Demo(c) => checked(c, ctx),
            Command::Browser(c) => checked(c, ctx),
            Command::Doctor(c) => checked(c, ctx),
            Command::Agent(c) => checked(c, ctx),
            Command::Completions(c) => checked(c, ctx),
            Command::Help(c) => checked(c, ctx),
            Command::Manpage(c) => checked(c, ctx),
        }
    }
}

/// Runs `command`'s checks; its work if they pass.
fn checked<C: Run + 'static>(command: C, ctx: &Ctx) -> Result<Work, Mistake> {
    command.check(ctx)?;
    Ok(Box::new(move |ctx| command.run(ctx)))
}

/// Options that would put a secret on the command line.
const SECRET_OPTIONS: [&str; 4] = ["--pin", "--puk", "--new-pin", "-p"];

/// The clap command: for help, completions and the man pages (without the hidden `manpage`).
fn definition() -> clap::Command {
    Cli::command()
}

/// A usage error (exit status 2) showing the usage of command `sub` (`""`: of `cie`).
fn usage_error(sub: &str, message: impl std::fmt::Display) -> clap::Error {
    let mut cmd = definition();
    cmd.build();
    match cmd.find_subcommand_mut(sub) {
        Some(sub) => sub.error(ErrorKind::ArgumentConflict, message),
        None => cmd.error(ErrorKind::ArgumentConflict, message),
    }
}

/// The command line as clap reads it, before the command's checks.
#[derive(Debug)]
struct Parsed {
    /// The global options.
    globals: Globals,
    /// The command with its options.
    command: Command,
    /// The command's name, for its usage in errors.
    name: String,
}

/// Reads the arguments after the program name (a file name need not be UTF-8): the secret
/// guard, then clap.
fn read(args: impl IntoIterator<Item = impl Into<OsString>>) -> Result<Parsed, clap::Error> {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    for a in args.iter().take_while(|a| *a != "--") {
        let a = a.to_string_lossy();
        let name = a.split_once('=').map_or(&*a, |(n, _)| n);
        if SECRET_OPTIONS.contains(&name) {
            return Err(usage_error("", tr!(SecretOnCommandLine, option = name)));
        }
    }
    // `cie manpage` (for `cargo xtask man`) is known to the parser only, not to the help, the
    // completions and the man pages themselves.
    let parser = definition().subcommand(ManpageArgs::augment_args(clap::Command::new(MANPAGE).hide(true)));
    let matches = parser.try_get_matches_from(std::iter::once(OsString::from("cie")).chain(args))?;
    let g = GlobalArgs::from_arg_matches(&matches)?;
    let pin_source = if g.pin_stdin { PinSource::Stdin } else { PinSource::Terminal };
    let globals = Globals { reader: g.reader, pin_source, login: g.login || g.pin_stdin, json: g.json, quiet: g.quiet };
    let command = match matches.subcommand() {
        Some((MANPAGE, m)) => Command::Manpage(ManpageArgs::from_arg_matches(m)?),
        _ => Cli::from_arg_matches(&matches)?.command,
    };
    let name = matches.subcommand_name().unwrap_or_default().to_owned();
    Ok(Parsed { globals, command, name })
}

/// A parsed command line whose command passed its checks.
pub(crate) struct Invocation {
    /// What the command gets.
    pub(crate) ctx: Ctx,
    /// The command's work.
    work: Work,
}

impl Invocation {
    /// Runs the command.
    pub(crate) fn run(self) -> Result<(), Failure> {
        (self.work)(&self.ctx)
    }
}

/// Parses the arguments after the program name and runs the command's checks. The error prints
/// itself (`exit()`: help and version on standard output with status 0, mistakes on standard
/// error with status 2).
pub(crate) fn parse(args: impl IntoIterator<Item = impl Into<OsString>>) -> Result<Invocation, clap::Error> {
    let Parsed { globals, command, name } = read(args)?;
    let ctx = Ctx::new(globals, definition);
    let work = command.checked(&ctx).map_err(|m| usage_error(if m.usage_of_cie { "" } else { &name }, m.message))?;
    Ok(Invocation { ctx, work })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use cie_core::sign::HashAlg;
    use clap_complete::Shell;

    use super::*;
    use crate::commands::browser::BrowserAction;
    use crate::commands::pin::PinAction;
    use crate::commands::sign::SignFormat;

    /// Parses `line` (its checks pass) and returns what clap read.
    fn p(line: &str) -> Result<Parsed, clap::Error> {
        let args = || line.split_whitespace().map(String::from);
        parse(args())?;
        read(args())
    }

    fn command(line: &str) -> Command {
        p(line).unwrap_or_else(|e| panic!("{line}: {e}")).command
    }

    #[test]
    fn clap_definition_is_consistent() {
        definition().debug_assert();
    }

    #[test]
    fn commands_and_options() {
        let i = p("--reader R cert --der -o c.der --json").unwrap();
        assert_eq!(i.globals.reader.as_deref(), Some("R"));
        assert!(i.globals.json);
        let cert =
            |der, output: Option<&str>| Command::Cert(CertArgs { pem: false, der, output: output.map(String::from) });
        assert_eq!(i.command, cert(true, Some("c.der")));
        assert_eq!(command("cert"), cert(false, None));
        assert_eq!(
            command("cert --pem -o -"),
            Command::Cert(CertArgs { pem: true, der: false, output: Some("-".into()) })
        );
        let i = p("sign --pin-stdin --hash=SHA-512 -i in -o out").unwrap();
        assert_eq!(i.globals.pin_source, PinSource::Stdin);
        assert!(i.globals.login);
        let sign = |format, hash, input: &str, output: Option<&str>, cosign| {
            Command::Sign(SignArgs {
                format,
                hash,
                cosign,
                timestamp: None,
                input: input.into(),
                output: output.map(String::from),
            })
        };
        assert_eq!(i.command, sign(SignFormat::Raw, HashAlg::Sha512, "in", Some("out"), false));
        assert_eq!(command("sign -i a -o b"), sign(SignFormat::Raw, HashAlg::Sha256, "a", Some("b"), false));
        // The default output names: `commands::sign`'s tests.
        assert_eq!(
            command("sign --format cades -i a.pdf"),
            sign(SignFormat::Cades, HashAlg::Sha256, "a.pdf", None, false)
        );
        assert_eq!(
            command("sign --format=cades-detached -i a"),
            sign(SignFormat::CadesDetached, HashAlg::Sha256, "a", None, false)
        );
        assert_eq!(
            command("sign --format pades --hash sha384 -i doc.pdf"),
            sign(SignFormat::Pades, HashAlg::Sha384, "doc.pdf", None, false)
        );
        assert_eq!(
            command("sign --format cades --cosign -i a.p7m -o b.p7m"),
            sign(SignFormat::Cades, HashAlg::Sha256, "a.p7m", Some("b.p7m"), true)
        );
        let verify = |file: &str, ca: &[&str], no_default_ca, content: Option<&str>| {
            Command::Verify(VerifyArgs {
                files: vec![file.into()],
                ca: ca.iter().map(PathBuf::from).collect(),
                no_default_ca,
                content: content.map(PathBuf::from),
                online: false,
                tsl: Vec::new(),
                tsl_signer: Vec::new(),
            })
        };
        assert_eq!(
            command("verify x.pdf --ca a.pem --ca b.der --json"),
            verify("x.pdf", &["a.pem", "b.der"], false, None)
        );
        assert_eq!(command("verify x.p7s --content x"), verify("x.p7s", &[], false, Some("x")));
        assert_eq!(command("verify x.pdf --no-default-ca --ca a.pem"), verify("x.pdf", &["a.pem"], true, None));
        // The default output name: `commands::extract`'s tests.
        assert_eq!(
            command("extract doc.pdf.p7m"),
            Command::Extract(ExtractArgs { file: "doc.pdf.p7m".into(), output: None, level: None })
        );
        assert_eq!(
            command("extract doc -o out"),
            Command::Extract(ExtractArgs { file: "doc".into(), output: Some("out".into()), level: None })
        );
        assert_eq!(command("pin change"), Command::Pin(PinArgs { action: PinAction::Change }));
        assert_eq!(command("pin unblock -q"), Command::Pin(PinArgs { action: PinAction::Unblock }));
        assert_eq!(
            command("verify-sod --csca x.pem"),
            Command::VerifySod(VerifySodArgs { csca: vec!["x.pem".into()], sod: None, dg: vec![] })
        );
        assert_eq!(
            command("verify-sod --sod s.bin --dg A5=k.der --dg 1001=n --csca a --csca b"),
            Command::VerifySod(VerifySodArgs {
                csca: vec!["a".into(), "b".into()],
                sod: Some("s.bin".into()),
                dg: vec!["A5=k.der".into(), "1001=n".into()],
            })
        );
        assert_eq!(command("readers"), Command::Readers(ReadersArgs {}));
        assert_eq!(command("info"), Command::Info(InfoArgs {}));
        assert_eq!(command("demo"), Command::Demo(DemoArgs {}));
        assert!(!p("info").unwrap().globals.login);
        assert!(p("info --login").unwrap().globals.login);
        assert_eq!(p("demo --help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(p("--version").unwrap_err().kind(), ErrorKind::DisplayVersion);
        let i = p("--json browser status").unwrap();
        assert!(i.globals.json);
        let browser = |action| Command::Browser(BrowserArgs { action });
        assert_eq!(i.command, browser(BrowserAction::Status));
        assert_eq!(command("browser remove"), browser(BrowserAction::Remove));
        assert_eq!(
            command("browser setup --module /x/libcie_pkcs11.so --sandboxed"),
            browser(BrowserAction::Setup { module: Some("/x/libcie_pkcs11.so".into()), sandboxed: true })
        );
        assert_eq!(
            command("browser setup --module=/m"),
            browser(BrowserAction::Setup { module: Some("/m".into()), sandboxed: false })
        );
        assert_eq!(command("doctor"), Command::Doctor(DoctorArgs { report: None }));
        assert_eq!(
            command("doctor --report r.txt --json"),
            Command::Doctor(DoctorArgs { report: Some("r.txt".into()) })
        );
        assert_eq!(command("completions zsh"), Command::Completions(CompletionsArgs { shell: Shell::Zsh }));
        assert_eq!(command("manpage /d"), Command::Manpage(ManpageArgs { dir: "/d".into() }));
        assert!(p("manpage").is_err());
        // Globals after the command, and options in their long spellings.
        let i = p("pin change --pin-stdin --reader R -q").unwrap();
        assert_eq!(
            (i.globals.pin_source, i.globals.reader.as_deref(), i.globals.quiet),
            (PinSource::Stdin, Some("R"), true)
        );
        assert_eq!(
            command("sign --format P7S --input a --out b"),
            sign(SignFormat::CadesDetached, HashAlg::Sha256, "a", Some("b"), false)
        );
        let help = |topic: Option<&str>| Command::Help(HelpArgs { topic: topic.map(String::from) });
        assert_eq!(command("help"), help(None));
        assert_eq!(command("help pin"), help(Some("pin")));
        assert_eq!(command("help puk"), help(Some("puk")));
        assert_eq!(command("help sign"), help(Some("sign")));
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
            "verify a b --content c",
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
            "doctor --report",
            "doctor extra",
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
            "doctor",
            "completions",
        ];
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = render(|out| clap_complete::generate(shell, &mut definition(), "cie", out));
            for c in commands.iter().chain(&["change", "unblock", "setup", "cades-detached", "pin-stdin"]) {
                assert!(script.contains(c), "{shell}: {c} missing");
            }
            assert!(!script.contains("manpage"), "{shell}: the hidden command is offered");
        }
        let man = render(|out| clap_mangen::Man::new(definition()).render(out).unwrap());
        assert!(man.starts_with(".ie") || man.contains(".TH cie 1"), "{man}");
        for c in commands {
            assert!(man.contains(&c.replace('-', "\\-")), "{c} missing from the man page");
        }
    }
}
