//! The simulated card behind an isolated pcscd, for the tasks that need one (`demo`,
//! `with-card`, the benches, `soak`, the package check): the stack options of the command line,
//! the simulator build, the start.

use std::path::PathBuf;

use cie_sim::stack::{StackOptions, VirtualStack};

use crate::command::{cargo, run, step, Result};
use crate::paths::target_dir;
use crate::usage::USAGE;

/// Starts a stack with `options`, saying where its card and socket are.
pub(crate) fn start_stack(options: StackOptions) -> Result<VirtualStack> {
    step("starting the isolated pcscd + vpcd + cie-sim stack");
    let stack = VirtualStack::start(options).map_err(|e| e.to_string())?;
    step(&format!("card ready in \"{}\"; PCSCLITE_CSOCK_NAME={}", stack.reader_name(), stack.socket_path().display()));
    Ok(stack)
}

/// Parses `--flag VALUE` stack options up to `--`; returns them, `--release`, and the rest.
pub(crate) fn stack_options(args: &[String]) -> Result<(StackOptions, bool, Vec<String>)> {
    let mut o = StackOptions::default();
    let mut release = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--" => return Ok((o, release, it.cloned().collect())),
            "--release" => release = true,
            "--profile" => o.profile = Some(value()?),
            "--latency" => o.latency = Some(value()?),
            "--pin" => o.pin = Some(value()?),
            "--puk" => o.puk = Some(value()?),
            "--sod" => o.sod = Some(value()?),
            "--atr" => {
                let hex = value()?;
                o.atr = Some(cie_sim::Atr::from_hex(&hex).map_err(|e| format!("--atr {hex:?}: {e}"))?);
            }
            "--foreign" => {
                let kind = value()?;
                o.foreign_kind =
                    Some(cie_sim::card::ForeignKind::from_name(&kind).ok_or_else(|| {
                        format!("--foreign: unknown kind {kind:?} (other, cns, bank, passport, bare)")
                    })?);
            }
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    Ok((o, release, Vec::new()))
}

/// Builds the simulator (debug or release) and returns its path.
pub(crate) fn build_sim(release: bool) -> Result<PathBuf> {
    let mut c = cargo();
    c.args(["build", "--quiet", "-p", "cie-sim", "--bin", "cie-sim"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }).join("cie-sim"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_with_card_options() {
        let (o, release, cmd) =
            stack_options(&strings("--profile Gemalto --latency realistic --release -- opensc-tool -a")).unwrap();
        assert_eq!(o.profile.as_deref(), Some("Gemalto"));
        assert_eq!(o.latency.as_deref(), Some("realistic"));
        assert!(release);
        assert_eq!(cmd, ["opensc-tool", "-a"]);
        // Options after `--` belong to the command.
        let (o, _, cmd) = stack_options(&strings("-- cie --profile x")).unwrap();
        assert!(o.profile.is_none());
        assert_eq!(cmd, ["cie", "--profile", "x"]);
        assert!(stack_options(&strings("--bogus")).is_err());
        assert!(stack_options(&strings("--pin")).is_err());
        let (o, _, _) = stack_options(&strings("--atr 3B:80:80:01:01 --foreign passport -- pkcs11-tool -L")).unwrap();
        assert_eq!(o.atr.map(|a| a.to_string()).as_deref(), Some("3B 80 80 01 01"));
        assert_eq!(o.foreign_kind, Some(cie_sim::card::ForeignKind::Passport));
        assert!(stack_options(&strings("--atr 3B8")).unwrap_err().contains("odd number"));
        assert!(stack_options(&strings("--foreign visa")).unwrap_err().contains("unknown kind"));
    }
}
