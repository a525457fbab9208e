//! Output: `--json` output (serde_json); progress on standard error is [`crate::progress`].
//!
//! Each command describes its `--json` output as a struct deriving `serde::Serialize` beside
//! the command (docs/JSON.md documents them all) and prints it with [`print_json`].

use serde::Serialize;

use crate::progress::settle;

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
