//! What the tool shows of a certificate: the cardholder's name and the subject, from
//! `cie_core::certificate::holder` (the one holder parser of the workspace).

/// Summary of the holder's certificate.
pub(crate) struct Holder {
    /// "Given-name Surname", or the common name; `None` when the certificate has neither.
    name: Option<String>,
    /// The subject as an RFC 4514 string.
    pub(crate) subject: String,
}

impl Holder {
    /// The name, or a note in the user's language that the certificate has none.
    pub(crate) fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| tr!(NoName).to_string())
    }

    /// The name for `--json` output (the note in English: JSON is the same in every language).
    pub(crate) fn json_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| tr!(NoName).english())
    }
}

/// Parses a DER certificate.
pub(crate) fn holder(der: &[u8]) -> Result<Holder, String> {
    let h = cie_core::certificate::holder(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    Ok(Holder { name: h.name(), subject: h.subject })
}
