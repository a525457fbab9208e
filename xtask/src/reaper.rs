//! No process of the test suite outlives it. `cargo xtask test` makes itself a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`, prctl(2)) before running the suite, so that a process the suite
//! leaves behind is re-parented to xtask instead of init when its parent ends. Once the suite's
//! commands have ended, every process still descending from xtask is such a leftover:
//! [`end_leftovers`] names them (PID and command line from `/proc`), kills them, reaps them and
//! fails the run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::{Duration, Instant};

use crate::command::{step, Result};

/// How long [`end_leftovers`] keeps killing and reaping before it gives up on a process.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// A process still alive after the suite.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Leftover {
    /// Its process id.
    pub(crate) pid: i32,
    /// Its command line (`/proc/<pid>/cmdline`), or `[name]` when that is empty.
    pub(crate) command: String,
}

/// Makes this process the subreaper of its descendants: an orphan among them is re-parented
/// here, not to init.
pub(crate) fn become_subreaper() -> Result<()> {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) takes an integer and touches no memory of ours.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("prctl(PR_SET_CHILD_SUBREAPER): {}", std::io::Error::last_os_error()))
    }
}

/// Ends what the suite left running: the live descendants of this process (call it when every
/// command it ran has been waited for) are killed and reaped; an error names each of them.
pub(crate) fn end_leftovers() -> Result<()> {
    reap_exited();
    let mut seen: BTreeSet<Leftover> = BTreeSet::new();
    let deadline = Instant::now() + KILL_GRACE;
    loop {
        let alive = live_descendants(std::process::id() as i32);
        if alive.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let still: Vec<String> = alive.iter().map(|l| l.pid.to_string()).collect();
            step(&format!("could not end processes {} (still running)", still.join(", ")));
            seen.extend(alive);
            break;
        }
        for l in &alive {
            // SAFETY: kill(2) takes plain integers; a PID that has just ended gives ESRCH.
            unsafe {
                libc::kill(l.pid, libc::SIGKILL);
            }
        }
        seen.extend(alive);
        std::thread::sleep(Duration::from_millis(50));
        reap_exited();
    }
    if seen.is_empty() {
        step("no process of the test suite outlived it");
        return Ok(());
    }
    let list: Vec<String> = seen.iter().map(|l| format!("  {} {}", l.pid, l.command)).collect();
    Err(format!(
        "{} process(es) started by the test suite outlived it (killed now); every process a test starts \
         must end with it:\n{}",
        seen.len(),
        list.join("\n")
    ))
}

/// Reaps every child of this process that has ended (orphans re-parented here included).
fn reap_exited() {
    loop {
        let mut status = 0;
        // SAFETY: waitpid(-1, .., WNOHANG) on our own children, writing an int we own.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            break;
        }
    }
}

/// The processes below `root` in the process tree, not zombies, by PID.
fn live_descendants(root: i32) -> Vec<Leftover> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut zombies = BTreeSet::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some((state, ppid)) = state_and_parent(&stat) else { continue };
        if state == 'Z' {
            zombies.insert(pid);
        }
        children.entry(ppid).or_default().push(pid);
    }
    let mut found = Vec::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or_default() {
            todo.push(c);
            if !zombies.contains(&c) {
                found.push(Leftover { pid: c, command: command_line(c) });
            }
        }
    }
    found.sort();
    found
}

/// The state letter and the parent PID of a `/proc/<pid>/stat` line (`pid (comm) S ppid ...`;
/// the name may hold spaces and parentheses, so the fields are read after its last `)`).
fn state_and_parent(stat: &str) -> Option<(char, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// A process's command line, its arguments separated by spaces; `[name]` when it has none.
fn command_line(pid: i32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> =
        raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    if args.is_empty() {
        let name = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        format!("[{}]", name.trim())
    } else {
        args.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    /// Set in the child process that runs [`a_process_left_behind_is_named_and_killed`] for real.
    const PROBE: &str = "XTASK_REAPER_PROBE";

    #[test]
    fn stat_lines_give_state_and_parent() {
        assert_eq!(state_and_parent("4242 (sleep) S 17 4242 17 0 -1"), Some(('S', 17)));
        // A name with a space and a parenthesis.
        assert_eq!(state_and_parent("7 (a b) c) Z 1 7 7 0"), Some(('Z', 1)));
        assert_eq!(state_and_parent("garbage"), None);
    }

    /// A process the suite leaves behind (`sh -c 'sleep 60 &'`: the shell ends, its `sleep`
    /// lives on) is found, named and killed, and the run fails; after that nothing is left.
    /// Being a subreaper changes the whole test process, and other tests run commands at the
    /// same time, so the check runs in a child process of its own running only this test.
    #[test]
    fn a_process_left_behind_is_named_and_killed() {
        if std::env::var_os(PROBE).is_some() {
            return probe();
        }
        let exe = std::env::current_exe().unwrap();
        let out = Command::new(exe)
            .args(["--exact", "reaper::tests::a_process_left_behind_is_named_and_killed", "--nocapture"])
            .env(PROBE, "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "the probe ran: {text}");
    }

    /// The child's side of [`a_process_left_behind_is_named_and_killed`].
    fn probe() {
        become_subreaper().unwrap();
        assert_eq!(end_leftovers(), Ok(()), "nothing is left before");
        // The sleep's output goes elsewhere, so that reading the shell's ends with the shell.
        let script = "sleep 60 >/dev/null 2>&1 & echo $!";
        let out = Command::new("sh").args(["-c", script]).stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success());
        let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        // The shell has ended: its sleep is now this process's child.
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        assert_eq!(state_and_parent(&stat).map(|s| s.1), Some(std::process::id() as i32));
        let err = end_leftovers().unwrap_err();
        assert!(err.contains(&format!("  {pid} sleep 60")), "{err}");
        assert!(err.starts_with("1 process(es) started by the test suite outlived it"), "{err}");
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "killed and reaped");
        assert_eq!(end_leftovers(), Ok(()), "nothing is left after");
    }
}
