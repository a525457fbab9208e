//! What the tool shows of a certificate: the cardholder's name and the subject, from
//! `cie_core::certificate::holder` (the one holder parser of the workspace).

/// Summary of the holder's certificate.
pub struct Holder {
    /// "Given-name Surname", or the common name.
    pub name: String,
    /// The subject as an RFC 4514 string.
    pub subject: String,
}

/// Parses a DER certificate.
pub fn holder(der: &[u8]) -> Result<Holder, String> {
    let h = cie_core::certificate::holder(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    Ok(Holder { name: h.name().unwrap_or_else(|| "(no name in the certificate)".into()), subject: h.subject })
}
