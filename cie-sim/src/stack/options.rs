//! How to start a [`super::VirtualStack`]: the card, the simulator binary, the readers.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::atr::Atr;
use crate::card::ForeignKind;

/// The most readers a stack serves (pcsc-lite's `PCSCLITE_MAX_READERS_CONTEXTS`).
pub const MAX_READERS: usize = 16;

/// How to start a [`super::VirtualStack`]. Unset fields use the simulator's defaults; the
/// default stack has one reader with a CIE in it.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Card generation (`--profile`, e.g. "NXP", "Gemalto"; see `Profile::from_name`).
    pub profile: Option<String>,
    /// The card's PIN (`--pin`, 8 digits; a test credential of a virtual card).
    pub pin: Option<String>,
    /// The card's PUK (`--puk`).
    pub puk: Option<String>,
    /// Latency model (`--latency realistic|none`).
    pub latency: Option<String>,
    /// EF.SOD profile (`--sod old|new`: the old profile of real cards, sha1WithRSA and padded
    /// to 3,072 bytes, or the new one, RSASSA-PSS with LDS version 1).
    pub sod: Option<String>,
    /// The ATR the card presents instead of its own (`--atr`, [`crate::Atr`]): any ATR with any
    /// profile or foreign card.
    pub atr: Option<Atr>,
    /// The simulator binary; default: `$CIE_SIM_BIN`, else `cie-sim` next to the current
    /// executable or one directory up (from `target/<profile>/deps/`).
    pub sim_binary: Option<PathBuf>,
    /// How long to wait for each step (namespace, pcscd, card present); default 15 s.
    pub timeout: Option<Duration>,
    /// Extra arguments for the simulator.
    pub extra_sim_args: Vec<OsString>,
    /// Readers, each with its own simulated card (one `cie-sim` process each); default 1, at
    /// most [`MAX_READERS`]. With more than one, pcscd gets a `reader.conf` of the stack's own
    /// listing one vpcd channel (two readers) per copy of the vpcd driver: the driver keeps its
    /// connections in per-library static state, so each channel needs its own copy. With 0,
    /// pcscd gets an empty reader configuration and no simulator is started: pcscd runs with
    /// no reader at all.
    pub readers: usize,
    /// Serve a card that is not a CIE (`cie-sim --foreign`, [`crate::card::ForeignCard`]: a
    /// health or bank card put on the reader by mistake); `profile`, `pin`, `puk` and `sod`
    /// then do not apply. Of the kind [`StackOptions::foreign_kind`] says.
    pub foreign_card: bool,
    /// The kind of card that is not a CIE (`cie-sim --foreign KIND`); setting it serves one
    /// even without [`StackOptions::foreign_card`]. Default: [`ForeignKind::Other`].
    pub foreign_kind: Option<ForeignKind>,
}

impl Default for StackOptions {
    /// One reader with the simulator's default CIE; every other field unset.
    fn default() -> Self {
        StackOptions {
            profile: None,
            pin: None,
            puk: None,
            latency: None,
            sod: None,
            sim_binary: None,
            timeout: None,
            extra_sim_args: Vec::new(),
            readers: 1,
            foreign_card: false,
            atr: None,
            foreign_kind: None,
        }
    }
}

impl StackOptions {
    /// The simulator's options for the card: `--foreign [KIND]` if asked, `--profile`, `--pin`,
    /// `--puk`, `--latency`, `--sod`, `--atr` where set, then
    /// [`StackOptions::extra_sim_args`].
    pub(crate) fn sim_args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        if self.foreign_card || self.foreign_kind.is_some() {
            args.push(OsString::from("--foreign"));
            args.extend(self.foreign_kind.map(|k| OsString::from(k.name())));
        }
        for (flag, value) in [
            ("--profile", &self.profile),
            ("--pin", &self.pin),
            ("--puk", &self.puk),
            ("--latency", &self.latency),
            ("--sod", &self.sod),
        ] {
            if let Some(v) = value {
                args.extend([OsString::from(flag), OsString::from(v)]);
            }
        }
        if let Some(atr) = &self.atr {
            args.extend([OsString::from("--atr"), OsString::from(atr.to_string())]);
        }
        args.extend(self.extra_sim_args.iter().cloned());
        args
    }
}

/// Where the simulator binary is by default (see [`StackOptions::sim_binary`]).
pub fn default_sim_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CIE_SIM_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let mut candidates = vec![dir.join("cie-sim")];
    if let Some(up) = dir.parent() {
        candidates.push(up.join("cie-sim"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_arguments_follow_the_options() {
        let o = StackOptions {
            profile: Some("Gemalto".into()),
            pin: Some("11112222".into()),
            sod: Some("sha512".into()),
            extra_sim_args: vec!["-v".into()],
            ..StackOptions::default()
        };
        assert_eq!(o.sim_args(), ["--profile", "Gemalto", "--pin", "11112222", "--sod", "sha512", "-v"]);
        assert!(StackOptions::default().sim_args().is_empty());
        assert_eq!(StackOptions::default().readers, 1);
        let foreign = StackOptions { foreign_card: true, latency: Some("none".into()), ..StackOptions::default() };
        assert_eq!(foreign.sim_args(), ["--foreign", "--latency", "none"]);
        let passport = StackOptions {
            foreign_kind: Some(ForeignKind::Passport),
            atr: Some(Atr::from_hex("3b:80:80:01:01").unwrap()),
            ..StackOptions::default()
        };
        assert_eq!(passport.sim_args(), ["--foreign", "passport", "--atr", "3B 80 80 01 01"]);
    }
}
