//! A trust service of a trusted list (ETSI TS 119 612 §5.5) as the certificate path check uses
//! it: its identity, and its status over time (the current status and the ServiceHistory), so
//! that an anchor is used only at a time its status was a positive one. Read from the XML in
//! `tsl.rs`.

use std::time::Duration;

use crate::reason::Reason;

/// The service type of a CA issuing qualified certificates (TS 119 612 §5.5.1.1).
pub const CA_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";

/// The statuses under which a service may be relied on (TS 119 612 §5.5.4: "granted" and
/// "recognisedatnationallevel" since eIDAS; "undersupervision", "supervisionincessation",
/// "accredited" and "setbynationallaw" of the lists before it, TS 119 612 v1).
const POSITIVE: [&str; 6] = [
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/recognisedatnationallevel",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/supervisionincessation",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/setbynationallaw",
];
/// The same statuses as the lists before eIDAS spelt them (without "TrustedList/").
const POSITIVE_V1: [&str; 4] = [
    "http://uri.etsi.org/TrstSvc/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/Svcstatus/supervisionincessation",
    "http://uri.etsi.org/TrstSvc/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/Svcstatus/setbynationallaw",
];

/// The QSCD qualifiers (TS 119 612 §5.5.9.2.3): the private key is in a qualified (or secure)
/// signature creation device.
pub const QSCD_QUALIFIERS: [&str; 4] = [
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithQSCD",
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithSSCD",
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCQSCDStatusAsInCert",
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCSSCDStatusAsInCert",
];
/// The qualifiers that say the key is not in a QSCD.
pub const NO_QSCD_QUALIFIERS: [&str; 2] = [
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCNoQSCD",
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCNoSSCD",
];

/// What became of one trusted list (`tsl::add_lists`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOutcome {
    /// The list's name (its file name).
    pub name: String,
    /// Its scheme territory, when it could be read.
    pub territory: Option<String>,
    /// Whether it is a list of lists.
    pub is_lotl: bool,
    /// How many qualified CA service certificates it added as trust anchors (0 for a LOTL).
    pub anchors: usize,
    /// Why it is not used; `None` when it is.
    pub refused: Option<Reason>,
}

/// One status of a service from a starting time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPeriod {
    /// The status URI.
    pub status: String,
    /// Its StatusStartingTime, seconds since the Unix epoch.
    pub from: Duration,
}

impl StatusPeriod {
    /// Whether the status is one under which the service may be relied on.
    pub fn is_positive(&self) -> bool {
        POSITIVE.contains(&self.status.as_str()) || POSITIVE_V1.contains(&self.status.as_str())
    }

    /// The status's last path segment ("granted", "withdrawn", ...).
    pub fn name(&self) -> &str {
        self.status.rsplit('/').next().unwrap_or(&self.status)
    }
}

/// A CA/QC service of a trusted list, with the list it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedService {
    /// The list's scheme territory ("IT", "EU" ...).
    pub territory: String,
    /// The trust service provider's name.
    pub provider: String,
    /// The service's name.
    pub name: String,
    /// The service type URI.
    pub service_type: String,
    /// Its statuses, latest first: the current one, then the ServiceHistory.
    pub statuses: Vec<StatusPeriod>,
    /// The QualificationElements of its Qualifications extension (TS 119 612 §5.5.9.2).
    pub qualifications: Vec<QualificationElement>,
}

/// One QualificationElement: qualifiers for the certificates its criteria select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualificationElement {
    /// The qualifier URIs.
    pub qualifiers: Vec<String>,
    /// The CriteriaList's assert: `all`, `atLeastOne` or `none`.
    pub assert: String,
    /// Its criteria.
    pub criteria: Vec<Criterion>,
}

/// A criterion of a CriteriaList (TS 119 612 §5.5.9.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// KeyUsage: each named bit (`nonRepudiation` ...) set (true) or clear (false).
    KeyUsage(Vec<(String, bool)>),
    /// PolicySet: the certificate asserts every one of these policy OIDs.
    PolicySet(Vec<String>),
    /// What this verifier does not evaluate (nested lists, other criteria): never matches.
    Unsupported,
}

impl TrustedService {
    /// Its status at `t` (seconds since the Unix epoch): the one with the latest starting time
    /// not after `t`; `None` before the first.
    pub fn status_at(&self, t: Duration) -> Option<&StatusPeriod> {
        self.statuses.iter().filter(|s| s.from <= t).max_by_key(|s| s.from)
    }

    /// Whether it may be relied on at `t`.
    pub fn usable_at(&self, t: Duration) -> bool {
        self.status_at(t).is_some_and(StatusPeriod::is_positive)
    }

    /// Whether it is a CA issuing qualified certificates.
    pub fn is_ca_qc(&self) -> bool {
        self.service_type == CA_QC
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_at_a_time_comes_from_the_history() {
        let s = |status: &str, from: u64| StatusPeriod {
            status: format!("http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{status}"),
            from: Duration::from_secs(from),
        };
        let svc = TrustedService {
            territory: "IT".into(),
            provider: "P".into(),
            name: "N".into(),
            service_type: CA_QC.into(),
            statuses: vec![s("withdrawn", 300), s("granted", 100)],
            qualifications: vec![],
        };
        assert!(!svc.usable_at(Duration::from_secs(50)));
        assert!(svc.usable_at(Duration::from_secs(100)));
        assert!(svc.usable_at(Duration::from_secs(299)));
        assert!(!svc.usable_at(Duration::from_secs(300)));
        assert_eq!(svc.status_at(Duration::from_secs(400)).map(StatusPeriod::name), Some("withdrawn"));
    }
}
