//! The `soak-result key=value ...` line each soak process (`cie-pkcs11/examples/soak.rs`) ends
//! with, as `cargo xtask soak` reads it.

/// One `soak-result` line, as `key=value` pairs.
pub(crate) struct Report(Vec<(String, String)>);

impl Report {
    /// The `soak-result` line of `stdout`, if any.
    pub(crate) fn parse(stdout: &str) -> Option<Report> {
        let line = stdout.lines().find(|l| l.starts_with("soak-result "))?;
        Some(Report(
            line.split_whitespace()
                .skip(1)
                .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
                .collect(),
        ))
    }

    /// The number under `key` (0 when missing or not a number).
    pub(crate) fn get(&self, key: &str) -> u64 {
        self.0.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok()).unwrap_or(0)
    }

    /// The text under `key`.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reports() {
        let r = Report::parse("noise\nsoak-result role=sign signatures=12 verified=12 fds_start=7\n").unwrap();
        assert_eq!((r.get("signatures"), r.get("verified"), r.get("fds_start"), r.get("missing")), (12, 12, 7, 0));
        assert_eq!(r.text("role"), Some("sign"));
        assert!(Report::parse("nothing here").is_none());
    }
}
