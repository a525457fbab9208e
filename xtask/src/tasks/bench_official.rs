//! The official module's figures beside ours in the bench report's chart: `benches/official.json`
//! holds, per PKCS#11 operation of the official Linux module, its sequence of building blocks
//! (PROTOCOL.md §9.2 and §9.3, read from its code) with their APDU sizes (§9.4); the wall time is
//! the simulator's latency model (cie_sim::latency, PROTOCOL.md §9.5) applied to that sequence:
//! card and wire time only, an estimate, not a measurement of the official binaries.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use cie_sim::latency::LatencyModel;
use serde::Deserialize;

/// What a building block costs the card beyond its transfers (the latency model's terms).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CardWork {
    /// Warm reset (`SCardReconnect` with `SCARD_RESET_CARD`): an ATR cycle, no APDU.
    Reset,
    /// The card's DH computation.
    Dh,
    /// PSO VERIFY CERTIFICATE.
    VerifyCertificate,
    /// EXTERNAL AUTHENTICATE.
    ExternalAuthenticate,
    /// The DAPP INTERNAL AUTHENTICATE.
    DappInternalAuthenticate,
    /// A signature INTERNAL AUTHENTICATE (keys `81`, `83`).
    Signature,
    /// VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER.
    PinWrite,
}

impl CardWork {
    fn cost(self, m: &LatencyModel) -> Duration {
        match self {
            CardWork::Reset => m.reset,
            CardWork::Dh => m.dh,
            CardWork::VerifyCertificate => m.verify_certificate,
            CardWork::ExternalAuthenticate => m.external_authenticate,
            CardWork::DappInternalAuthenticate => m.dapp_internal_authenticate,
            CardWork::Signature => m.signature,
            CardWork::PinWrite => m.pin_write,
        }
    }
}

/// A building block of §9.2: its APDUs, bytes on the wire and card work.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Block {
    apdus: u64,
    sent: u64,
    received: u64,
    #[serde(default)]
    card: Vec<CardWork>,
}

/// One operation of the official module (§9.3) and the rows of ours it compares with.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Operation {
    /// Its name, e.g. `C_Sign`.
    pub operation: String,
    /// The APDU count §9.3 states (the blocks must add up to it).
    pub apdus: u64,
    /// Its sequence of blocks.
    pub blocks: Vec<String>,
    /// The keys of our rows that do the same for the caller.
    pub ours: Vec<String>,
}

/// `benches/official.json`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Official {
    /// Where the figures come from.
    pub source: String,
    blocks: BTreeMap<String, Block>,
    /// The operations.
    pub operations: Vec<Operation>,
}

/// The official module's figures for one of our rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Figures {
    /// APDU exchanges.
    pub exchanges: u64,
    /// Card and wire time under the latency model.
    pub wall: Duration,
}

impl Official {
    /// Reads the file's text; checks that every block named exists and that each operation's
    /// blocks add up to its stated APDU count.
    pub(crate) fn parse(json: &str) -> Result<Official, String> {
        let o: Official = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for op in &o.operations {
            let mut apdus = 0;
            for b in &op.blocks {
                apdus += o.blocks.get(b).ok_or_else(|| format!("{}: unknown block {b:?}", op.operation))?.apdus;
            }
            if apdus != op.apdus {
                return Err(format!("{}: the blocks add up to {apdus} APDUs, not {}", op.operation, op.apdus));
            }
        }
        Ok(o)
    }

    /// `benches/official.json` under `root`.
    pub(crate) fn load(root: &Path) -> Result<Official, String> {
        let path = root.join("benches").join("official.json");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Official::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The figures of `op` under `model`.
    fn figures(&self, op: &Operation, model: &LatencyModel) -> Figures {
        let mut f = Figures { exchanges: 0, wall: Duration::ZERO };
        for b in op.blocks.iter().filter_map(|b| self.blocks.get(b)) {
            f.exchanges += b.apdus;
            let bytes = u32::try_from(b.sent + b.received).unwrap_or(u32::MAX);
            f.wall += model.per_apdu * u32::try_from(b.apdus).unwrap_or(u32::MAX) + model.per_byte * bytes;
            f.wall += b.card.iter().map(|w| w.cost(model)).sum::<Duration>();
        }
        f
    }

    /// The official figures for our row `key` under `model`, if an operation lists it.
    pub(crate) fn for_row(&self, key: &str, model: &LatencyModel) -> Option<Figures> {
        let op = self.operations.iter().find(|op| op.ours.iter().any(|k| k == key))?;
        Some(self.figures(op, model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::workspace_root;

    fn official() -> Official {
        Official::load(&workspace_root()).unwrap()
    }

    #[test]
    fn the_committed_file_adds_up_to_protocol_md() {
        let o = official();
        let count = |name: &str| o.operations.iter().find(|op| op.operation == name).unwrap().apdus;
        // PROTOCOL.md §9.3.
        assert_eq!(count("C_Login"), 24);
        assert_eq!(count("C_Sign"), 20);
        assert_eq!(count("C_SetPIN"), 18);
        assert_eq!(count("open, login, sign once"), 57);
        // §9.5: "a C_Sign in the official design costs ≈ 1–2 s, a C_Login ≈ 1.5–2.5 s".
        let m = LatencyModel::REALISTIC;
        let sign = o.for_row("further C_Sign", &m).unwrap();
        assert_eq!(sign.exchanges, 20);
        assert!(sign.wall > Duration::from_secs(1) && sign.wall < Duration::from_secs(2), "{sign:?}");
        let login = o.for_row("C_Login (first on this card)", &m).unwrap();
        assert!(login.wall > Duration::from_millis(1500) && login.wall < Duration::from_millis(2500), "{login:?}");
        assert_eq!(o.for_row("further C_Sign", &LatencyModel::NONE).unwrap().wall, Duration::ZERO);
        assert_eq!(o.for_row("no such row", &m), None);
    }

    #[test]
    fn every_row_named_is_a_row_of_the_report() {
        let base = std::fs::read_to_string(workspace_root().join("benches/baseline.json")).unwrap();
        let base: serde_json::Value = serde_json::from_str(&base).unwrap();
        let rows = base["rows"].as_array().unwrap();
        for op in official().operations {
            for key in &op.ours {
                let known = rows.iter().any(|r| r["operation"] == key.as_str());
                assert!(known, "{}: {key:?} is not a row of benches/baseline.json", op.operation);
            }
        }
    }

    #[test]
    fn rejects_blocks_that_do_not_add_up() {
        let bad = r#"{"source": "x", "blocks": {"Sign": {"apdus": 3, "sent": 1, "received": 1}},
            "operations": [{"operation": "C_Sign", "apdus": 20, "blocks": ["Sign"], "ours": []}]}"#;
        assert!(Official::parse(bad).unwrap_err().contains("add up to 3"));
        let unknown = r#"{"source": "x", "blocks": {},
            "operations": [{"operation": "C_Sign", "apdus": 0, "blocks": ["DH"], "ours": []}]}"#;
        assert!(Official::parse(unknown).unwrap_err().contains("unknown block"));
    }
}
