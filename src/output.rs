//! Output: progress on standard error as steps happen, and a minimal JSON writer for `--json`.

use std::fmt::Write as _;

use crate::i18n::Text;

/// Progress messages on standard error (silenced by `--quiet`).
#[derive(Clone, Copy)]
pub(crate) struct Progress {
    quiet: bool,
}

impl Progress {
    /// Progress shown unless `quiet`.
    pub(crate) fn new(quiet: bool) -> Progress {
        Progress { quiet }
    }

    /// Announces a step that starts now.
    pub(crate) fn step(&self, what: Text) {
        if !self.quiet {
            eprintln!("{}", tr!(Progress, step = what));
        }
    }
}

/// A JSON value, enough for this tool's output.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in insertion order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub(crate) fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string value.
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// A string, or null.
    pub(crate) fn opt_str(s: Option<impl Into<String>>) -> Json {
        s.map_or(Json::Null, |s| Json::Str(s.into()))
    }

    /// Adds a key to an object (no effect on other values).
    pub(crate) fn with(mut self, key: &str, value: Json) -> Json {
        if let Json::Object(pairs) = &mut self {
            pairs.push((key.to_owned(), value));
        }
        self
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 => {
                            let _ = write!(out, "\\u{:04x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    Json::Str(k.clone()).write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        let j = Json::object([
            ("a", Json::Int(-3)),
            ("b", Json::str("x\"y\\z\n\u{1}è")),
            ("c", Json::Array(vec![Json::Bool(true), Json::Null])),
        ]);
        assert_eq!(j.to_string(), r#"{"a":-3,"b":"x\"y\\z\n\u0001è","c":[true,null]}"#);
    }
}
