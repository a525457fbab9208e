//! `cargo xtask demo-as-user [USER]` (root, for CI): the README quick start as an unprivileged
//! user, on a copy of the tree.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use cie_sim::stack::is_root;

use crate::command::{capture, run, step, Result};
use crate::packages::{ensure_packages, DEMO_PACKAGES};
use crate::paths::workspace_root;
use crate::usage::USAGE;

/// `cargo xtask demo-as-user [USER]`: the README quick start as an unprivileged user. As root:
/// creates USER if needed, copies the working tree (without `target/`) to its home, gives it
/// read access to this toolchain (hard links, else a copy) and a copy of the crate cache, and
/// runs `cargo xtask demo` as USER. The packages are installed first (as root), so the
/// unprivileged run needs neither sudo nor root: only user namespaces.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let user = match args {
        [] => "ciedemo",
        [u] => u.as_str(),
        _ => return Err(format!("demo-as-user takes at most a user name\n\n{USAGE}")),
    };
    if !is_root() {
        return Err("demo-as-user creates a user: run it as root (or run `cargo xtask demo` yourself)".into());
    }
    ensure_packages(DEMO_PACKAGES)?;
    if capture(Command::new("id").args(["-u", user])).is_err() {
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", user]))?;
    }
    let home = capture(Command::new("getent").args(["passwd", user]))?
        .split(':')
        .nth(5)
        .map(PathBuf::from)
        .ok_or_else(|| format!("no home directory for {user}"))?;
    let tree = home.join("cie");
    let toolchain = home.join("toolchain");
    let cargo_home = home.join(".cargo");
    for d in [&tree, &toolchain] {
        let _ = std::fs::remove_dir_all(d);
    }
    std::fs::create_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    step(&format!("copying the working tree to {}", tree.display()));
    let copy = format!(
        "tar -C '{}' --exclude=./target --exclude=./fuzz/target --exclude=./.git -cf - . | tar -C '{}' -xf -",
        workspace_root().display(),
        tree.display()
    );
    run(Command::new("sh").args(["-c", &copy]))?;
    let sysroot = PathBuf::from(capture(Command::new("rustc").args(["--print", "sysroot"]))?);
    step(&format!("giving {user} the toolchain {} (hard links, else a copy)", sysroot.display()));
    let link = Command::new("cp").arg("-al").arg(&sysroot).arg(&toolchain).status();
    if !matches!(link, Ok(s) if s.success()) {
        let _ = std::fs::remove_dir_all(&toolchain);
        run(Command::new("cp").arg("-a").arg(&sysroot).arg(&toolchain))?;
    }
    let root_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("CARGO_HOME unknown")?;
    std::fs::create_dir_all(&cargo_home).map_err(|e| format!("{}: {e}", cargo_home.display()))?;
    if root_cargo_home.join("registry").is_dir() && !cargo_home.join("registry").is_dir() {
        step("copying the crate cache (so the build needs no download)");
        run(Command::new("cp").arg("-a").arg(root_cargo_home.join("registry")).arg(&cargo_home))?;
    }
    for d in [&tree, &cargo_home] {
        run(Command::new("chown").args(["-R", &format!("{user}:")]).arg(d))?;
    }
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", toolchain.join("bin").display());
    let env = [
        ("HOME", home.display().to_string()),
        ("USER", user.to_owned()),
        ("PATH", path),
        ("CARGO_HOME", cargo_home.display().to_string()),
        ("TMPDIR", "/tmp".to_owned()),
    ];
    step(&format!("running the quick start as {user}: cargo xtask demo"));
    as_user(user, &format!("cd '{}' && id && cargo xtask demo", tree.display()), &env)?;
    step(&format!("the demo passed as the unprivileged user {user}"));
    Ok(ExitCode::SUCCESS)
}

/// Runs `cmd` as `user` (through runuser) and returns whether it succeeded.
fn as_user(user: &str, script: &str, env: &[(&str, String)]) -> Result<()> {
    let mut c = Command::new("runuser");
    c.args(["-u", user, "--", "env", "-i"]);
    for (k, v) in env {
        c.arg(format!("{k}={v}"));
    }
    c.args(["sh", "-c", script]).stdin(Stdio::null());
    run(&mut c)
}
