//! A short run of the agent soak (`cargo xtask soak --agent --seconds 20`, xtask/src/tasks/
//! soak_agent.rs), so that its code path runs in the suite: PKCS#11 module processes and fresh
//! `cie sign` processes sign in turns through `cie agent` while the card is reset and pulled at
//! random and the agent is killed and restarted at half time; every signature verifies or
//! fails cleanly, no PIN try is lost, the agent's descriptors and memory stay flat. The long
//! run (`--minutes N`) is out of the suite.

use std::process::{Command, Stdio};

#[test]
fn a_short_agent_soak_passes() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["run", "--quiet", "-p", "xtask", "--", "soak", "--agent", "--seconds", "20"])
        .stdin(Stdio::null())
        .output()
        .expect("cargo run -p xtask");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "the agent soak failed:\n{stdout}\n{stderr}");
    for line in ["PIN tries: 3 before", "agent 1 (killed at half time)", "agent 2 (restarted)", "soak --agent (20 s"] {
        assert!(stdout.contains(line), "no {line:?} in the soak's report:\n{stdout}");
    }
    assert!(!stdout.contains(" 0 signatures"), "a client signed nothing:\n{stdout}");
}
