//! What `cie doctor` checks (`crate::commands::doctor` reads the command line and prints): the
//! links between the citizen and a working card, in order, one file each: the PC/SC service,
//! the readers and the card ([`pcsc`]), the PKCS#11 module and p11-kit ([`module`]), the
//! browsers' NSS databases ([`browsers`]), the certificate cache ([`cache`]) and the versions
//! ([`versions`]). Each link is a [`Check`]: ok, a note, or a problem with the one thing to do.
//!
//! Nothing here asks for the PIN or changes anything; the card is asked only how many PIN and
//! PUK tries are left (which spends none). No check keeps the NIS, the card number, the holder's
//! name or fiscal code, or the certificate: the report for the help desk is built from the
//! checks as they are.

mod browsers;
mod cache;
mod module;
mod pcsc;
mod versions;

use crate::i18n::{Lang, Text};
use serde::Serialize;

/// How a link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Works.
    Ok,
    /// Worth knowing, nothing broken (a reader known for trouble, a try spent, no cache yet).
    Note,
    /// Broken: the advice says what to do.
    Problem,
}

impl Status {
    /// The word shown before the link (JSON uses [`Status::key`]).
    fn word(self) -> Text {
        match self {
            Status::Ok => tr!(DoctorStatusOk),
            Status::Note => tr!(DoctorStatusNote),
            Status::Problem => tr!(DoctorStatusProblem),
        }
    }

    /// The JSON value.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Note => "note",
            Status::Problem => "problem",
        }
    }
}

/// One link of the chain as found.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    /// Which link (stable, for `--json`): `pcscd`, `readers`, `card`, `pin`, `module`,
    /// `p11-kit`, `browser`, `cache`, `versions`.
    pub(crate) link: &'static str,
    /// What was looked at.
    pub(crate) subject: Text,
    /// What was looked at, as the report for the help desk names it when the screen's name may
    /// be personal (a Firefox profile's name).
    pub(crate) report_subject: Option<Text>,
    /// How it stands.
    pub(crate) status: Status,
    /// What was found.
    pub(crate) finding: Text,
    /// The one thing to do (always for a problem).
    pub(crate) advice: Option<Text>,
}

impl Check {
    /// A link that works.
    pub(crate) fn ok(link: &'static str, subject: Text, finding: Text) -> Check {
        Check { link, subject, report_subject: None, status: Status::Ok, finding, advice: None }
    }

    /// A note, with advice or none.
    pub(crate) fn note(link: &'static str, subject: Text, finding: Text, advice: Option<Text>) -> Check {
        Check { link, subject, report_subject: None, status: Status::Note, finding, advice }
    }

    /// A problem and what to do about it.
    pub(crate) fn problem(link: &'static str, subject: Text, finding: Text, advice: Text) -> Check {
        Check { link, subject, report_subject: None, status: Status::Problem, finding, advice: Some(advice) }
    }

    /// The check's lines in `lang`: `STATUS  subject: finding`, then the advice indented.
    fn lines(&self, lang: Lang, for_report: bool) -> Vec<String> {
        let subject = match (&self.report_subject, for_report) {
            (Some(s), true) => s,
            _ => &self.subject,
        };
        let mut lines = vec![format!(
            "{:<9}{}: {}",
            self.status.word().render(lang),
            subject.render(lang),
            self.finding.render(lang)
        )];
        if let Some(a) = &self.advice {
            lines.push(format!("{:<9}{}", "", tr!(DoctorTodo, advice = a.clone()).render(lang)));
        }
        lines
    }

    /// The check as JSON (English texts).
    fn json(&self) -> CheckJson {
        CheckJson {
            link: self.link,
            status: self.status.key(),
            subject: self.subject.english(),
            finding: self.finding.english(),
            advice: self.advice.as_ref().map(Text::english),
        }
    }
}

/// What the checks need from the command line.
pub(crate) struct Options {
    /// `--reader NAME`: the reader to look for the card in.
    pub(crate) reader: Option<String>,
}

/// Walks the whole chain and returns every link, in order.
pub(crate) fn diagnose(options: &Options) -> Vec<Check> {
    let mut checks = pcsc::checks(options.reader.as_deref());
    let module = module::checks();
    let module_path = module.path.clone();
    checks.extend(module.checks);
    checks.extend(browsers::checks(module_path.as_deref()));
    checks.extend(cache::checks());
    checks.push(versions::check(module.version.as_deref()));
    checks
}

/// How many links are problems.
pub(crate) fn problems(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.status == Status::Problem).count()
}

/// The checks for the terminal, in `lang`.
pub(crate) fn text(checks: &[Check], lang: Lang) -> String {
    let mut out = String::new();
    for c in checks {
        for l in c.lines(lang, false) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// `cie --json doctor`: every link checked (docs/JSON.md).
#[derive(Serialize)]
pub(crate) struct DoctorJson {
    /// No link is a problem (notes do not count).
    ok: bool,
    /// How many links are problems.
    problems: usize,
    /// Every link, in the order walked.
    checks: Vec<CheckJson>,
}

/// One link of `cie --json doctor`, its texts in English.
#[derive(Serialize)]
struct CheckJson {
    link: &'static str,
    status: &'static str,
    subject: String,
    finding: String,
    advice: Option<String>,
}

/// The checks as one JSON object: `ok`, `problems`, `checks`.
pub(crate) fn json(checks: &[Check]) -> DoctorJson {
    DoctorJson {
        ok: problems(checks) == 0,
        problems: problems(checks),
        checks: checks.iter().map(Check::json).collect(),
    }
}

/// The report for the help desk in `lang`: a header saying it holds nothing personal, then the
/// checks, with the user's home directory written `~` (it often carries the user's name) and
/// Firefox profiles numbered instead of named.
pub(crate) fn report(checks: &[Check], lang: Lang, home: Option<&str>) -> String {
    let mut out = String::new();
    out.push_str(&tr!(DoctorReportHeader).render(lang));
    out.push_str("\n\n");
    for c in checks {
        for l in c.lines(lang, true) {
            let l = match home {
                Some(h) if h.len() > 1 => l.replace(h, "~"),
                _ => l,
            };
            out.push_str(&l);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&summary(checks).render(lang));
    out.push('\n');
    out
}

/// One line: every link ok, or how many problems.
pub(crate) fn summary(checks: &[Check]) -> Text {
    match problems(checks) {
        0 => tr!(DoctorAllOk),
        n => tr!(DoctorProblems, count = n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Check> {
        let mut profile = Check::problem(
            "browser",
            tr!(PlaceFirefox, name = "Mario"),
            tr!(DoctorDbNotRegistered),
            tr!(DoctorAdviceBrowserSetup),
        );
        profile.report_subject = Some(tr!(DoctorPlaceNumber, number = 1_usize));
        vec![Check::ok("cache", tr!(DoctorLinkCache), tr!(DoctorCacheEmpty, dir = "/home/mario/.cache/cie")), profile]
    }

    #[test]
    fn report_hides_home_and_profile_names() {
        let checks = sample();
        for lang in Lang::ALL {
            let r = report(&checks, lang, Some("/home/mario"));
            assert!(!r.contains("mario") && !r.contains("Mario"), "{r}");
            assert!(r.contains("~/.cache/cie"), "{r}");
            let screen = text(&checks, lang);
            assert!(screen.contains("Mario"), "{screen}");
        }
        assert!(report(&checks, Lang::En, None).starts_with("cie doctor report"));
    }

    #[test]
    fn json_counts_problems() {
        let j = crate::output::json_line(&json(&sample()));
        assert!(j.starts_with(r#"{"ok":false,"problems":1,"checks":[{"link":"cache","status":"ok""#), "{j}");
        assert!(j.contains(r#""advice":"run cie browser setup"#), "{j}");
        assert_eq!(problems(&sample()[..1]), 0);
    }
}
