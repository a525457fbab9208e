//! `cie agent`: the per-user card agent (DESIGN.md §8) in the foreground, `cie agent status`
//! and `cie agent stop`.

use std::time::Duration;

use cie_agent::{forbid_dumps, stop_on_signals, Agent, AgentClient, AgentConfig, ClientError};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Run;
use crate::ctx::Ctx;
use crate::failure::{file_error, Failure};
use crate::output::print_json;

/// Run the card agent, or ask the running one for its status or to stop
///
/// The agent owns the card's secure channel for every program of this user (the PKCS#11
/// module, the C library, this tool), so that they stop rebuilding it in turn. Each program
/// still presents the PIN, which the card checks. It listens on
/// $XDG_RUNTIME_DIR/cie/agent.sock and stays in the foreground.
#[derive(Args, Debug, PartialEq, Eq)]
pub(crate) struct AgentArgs {
    #[command(subcommand)]
    action: Option<AgentAction>,
    /// Exit after this many seconds with no client (0: never)
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    idle: u64,
}

#[derive(Subcommand, Debug, PartialEq, Eq)]
enum AgentAction {
    /// Show the running agent's cards, clients and idle timer
    Status,
    /// Stop the running agent
    Stop,
    /// Install the systemd user units (socket activation), disabled
    ///
    /// Writes cie-agent.socket and cie-agent.service to $XDG_CONFIG_HOME/systemd/user (or
    /// ~/.config/systemd/user); `systemctl --user enable --now cie-agent.socket` turns them on.
    Install,
}

/// `cie --json agent status` (docs/JSON.md).
#[derive(Serialize)]
struct StatusJson {
    pid: u32,
    socket: String,
    clients: u32,
    idle_secs: u64,
    idle_timeout_secs: u64,
    cards: Vec<CardJson>,
}

#[derive(Serialize)]
struct CardJson {
    reader: String,
    nis: Option<String>,
    logged_in_clients: u32,
}

/// `cie --json agent stop`.
#[derive(Serialize)]
struct Done {
    ok: bool,
}

fn agent_failure(e: impl std::fmt::Display) -> Failure {
    Failure::File(tr!(AgentSocket, detail = e.to_string()))
}

fn connect() -> Result<AgentClient, Failure> {
    AgentClient::connect().ok_or_else(|| Failure::File(tr!(AgentNotRunning)))
}

fn client_failure(e: ClientError) -> Failure {
    match e {
        ClientError::Card(e) => Failure::Card(e),
        other => agent_failure(other),
    }
}

impl Run for AgentArgs {
    fn run(self, ctx: &Ctx) -> Result<(), Failure> {
        match self.action {
            None => serve(self.idle),
            Some(AgentAction::Status) => status(ctx),
            Some(AgentAction::Install) => install(ctx),
            Some(AgentAction::Stop) => {
                connect()?.stop().map_err(client_failure)?;
                if ctx.globals.json {
                    print_json(&Done { ok: true });
                } else {
                    println!("{}", tr!(AgentStopped));
                }
                Ok(())
            }
        }
    }
}

/// Writes the user units with this binary's path in `ExecStart`.
fn install(ctx: &Ctx) -> Result<(), Failure> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".config")))
        .ok_or_else(|| agent_failure("neither XDG_CONFIG_HOME nor HOME is set"))?;
    let dir = config.join("systemd/user");
    std::fs::create_dir_all(&dir).map_err(|e| file_error(&dir, e))?;
    let exe = std::env::current_exe().map_err(agent_failure)?;
    let exe = exe.to_str().filter(|p| !p.contains(char::is_whitespace)).ok_or_else(|| {
        agent_failure(format!("{}: a path with spaces or not UTF-8 cannot go in ExecStart", exe.display()))
    })?;
    for (name, text) in cie_agent::SYSTEMD_UNITS {
        let path = dir.join(name);
        std::fs::write(&path, text.replace("@CIE@", exe)).map_err(|e| file_error(&path, e))?;
    }
    if ctx.globals.json {
        print_json(&Done { ok: true });
    } else {
        println!("{}", tr!(AgentInstalled, dir = dir.display()));
    }
    Ok(())
}

/// Runs the agent until `stop`, the idle time or a signal.
fn serve(idle: u64) -> Result<(), Failure> {
    // Refused connections are security events: logged even without CIE_LOG.
    let _ = tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_writer(std::io::stderr).try_init();
    let config = AgentConfig { idle: (idle > 0).then(|| Duration::from_secs(idle)) };
    forbid_dumps().map_err(agent_failure)?;
    let agent = Agent::bind(config).map_err(agent_failure)?;
    stop_on_signals();
    eprintln!("{}", tr!(AgentListening, path = agent.path().display().to_string()));
    agent.run().map_err(agent_failure)
}

fn status(ctx: &Ctx) -> Result<(), Failure> {
    let s = connect()?.status().map_err(client_failure)?;
    let socket = cie_agent::socket::socket_path().map(|p| p.display().to_string()).unwrap_or_default();
    if ctx.globals.json {
        print_json(&StatusJson {
            pid: s.pid,
            socket,
            clients: s.clients,
            idle_secs: s.idle_secs,
            idle_timeout_secs: s.idle_timeout_secs,
            cards: s
                .cards
                .into_iter()
                .map(|c| CardJson { reader: c.reader, nis: c.nis, logged_in_clients: c.logged_in_clients })
                .collect(),
        });
        return Ok(());
    }
    println!(
        "{}",
        tr!(
            AgentStatus,
            pid = u64::from(s.pid),
            socket = socket,
            clients = u64::from(s.clients),
            idle = s.idle_secs,
            timeout = s.idle_timeout_secs
        )
    );
    for c in s.cards {
        // Reader names come from PC/SC: shown escaped.
        let reader = cie_sign::verdict::shown(&c.reader);
        match c.nis {
            Some(nis) => {
                println!("{}", tr!(AgentCard, reader = reader, nis = nis, clients = u64::from(c.logged_in_clients)))
            }
            None => println!("{}", tr!(AgentCardClosed, reader = reader)),
        }
    }
    Ok(())
}
