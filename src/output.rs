//! Output: `--json` output (serde_json); progress on standard error is [`crate::progress`].
//!
//! Each command describes its `--json` output as a struct deriving `serde::Serialize` beside
//! the command (docs/JSON.md documents them all) and prints it with [`print_json`]; a failure
//! is told with [`report_failure`].

use serde::Serialize;

use crate::failure::Failure;
use crate::progress::settle;

/// What `--json` prints on standard output when a command fails (docs/JSON.md).
#[derive(Serialize)]
struct FailureJson {
    /// The message, in English.
    error: String,
    /// The one thing to do about it, in English.
    hint: String,
    /// The process's exit code.
    exit_code: u8,
}

/// Tells of `failure`: its message and hint on standard error, in the user's language; with
/// `json`, its object on standard output, in English, unless a verification report or the
/// doctor's findings were printed already (their JSON is the output).
pub(crate) fn report_failure(failure: &Failure, json: bool) {
    let (message, advice) = (failure.message(), failure.advice());
    eprintln!("{}", tr!(ErrorLine, message = message.clone()));
    eprintln!("{}", tr!(HintLine, hint = advice.clone()));
    if json && !matches!(failure, Failure::Invalid(..) | Failure::Indeterminate(..) | Failure::Diagnosed(_)) {
        print_json(&FailureJson { error: message.english(), hint: advice.english(), exit_code: failure.exit_code() });
    }
}

/// Prints `value` on standard output as one line of compact JSON, keys in the order of the
/// struct's fields. serde_json escapes every string (quotes, backslashes, control characters as
/// `\n` or `\u001b`): text from a card or a document never reaches the terminal raw.
pub(crate) fn print_json(value: &impl Serialize) {
    settle();
    println!("{}", json_line(value));
}

/// `value` as one line of compact JSON.
pub(crate) fn json_line(value: &impl Serialize) -> String {
    match serde_json::to_string(value) {
        Ok(line) => line,
        // Only a failing `Serialize` impl or a map with non-string keys errs: this tool's output
        // types have neither. Still one JSON object, never a panic.
        Err(e) => serde_json::json!({ "error": format!("JSON output: {e}") }).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample<'a> {
        a: i64,
        b: &'a str,
        c: Vec<Option<bool>>,
    }

    #[test]
    fn compact_ordered_and_escaped() {
        // Every control character escaped (backspace and form feed as `\b` and `\f`; the old
        // hand-written writer wrote `\u0008` and `\u000c`: the same string once parsed); DEL
        // and non-ASCII letters kept as they are, as JSON allows.
        let s = Sample { a: -3, b: "x\"y\\z\n\u{1}\u{8}\u{c}\u{1b}[2J\u{7f}è", c: vec![Some(true), None] };
        let expected = concat!(r#"{"a":-3,"b":"x\"y\\z\n\u0001\b\f\u001b[2J"#, "\u{7f}è", r#"","c":[true,null]}"#);
        assert_eq!(json_line(&s), expected);
    }
}
