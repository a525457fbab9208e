//! The per-user card agent (DESIGN.md §8): one process owns each card's cie-core session
//! (secure channel, constants, certificate) and serves the PKCS#11 module, the C API and the
//! CLI of every process of the user over a UNIX socket, so that they stop destroying each
//! other's channel.
//!
//! Layers (each uses only those after it): `server` → `card_worker` → {`locked`, `message`}
//! → `wire_error` → `codec`; `client` → {`message`, `frame`, `socket`}; `server` → {`frame`,
//! `socket`}.
//!
//! - [`frame`]: the 4-byte big-endian length, at most 64 KiB.
//! - [`message`]: the requests and replies and their hand-written decoder (fuzzed:
//!   `fuzz/fuzz_targets/agent_frame.rs`); secrets zeroized and redacted.
//! - `wire_error`: cie-core's error variant for variant, so front ends give identical codes.
//! - [`socket`]: the socket's place, owner and mode checks, systemd activation, `SO_PEERCRED`.
//! - `locked`: the PIN held for recovery, `mlock`ed and zeroized.
//! - `card_worker`: one thread per reader owning its `Session`, per-client login state.
//! - [`server`]: [`Agent`], the accept loop and one thread per connection.
//! - [`client`]: the client, [`AgentClient`].

/// The systemd user units of the agent: the socket, and the service it starts, whose
/// `ExecStart` names the `cie` binary as `@CIE@` (the package puts /usr/bin/cie there,
/// `cie agent install` its own path).
pub const SYSTEMD_UNITS: [(&str, &str); 2] = [
    ("cie-agent.socket", include_str!("../systemd/cie-agent.socket")),
    ("cie-agent.service", include_str!("../systemd/cie-agent.service")),
];

mod card_worker;
pub mod client;
mod codec;
pub mod frame;
mod locked;
pub mod message;
pub mod server;
pub mod socket;
mod wire_error;

pub use client::{AgentClient, ClientError};
pub use codec::DecodeError;
pub use message::{AgentStatus, CardEntry, CardInfo, CardStatus, Reply, Request, SecretBytes};
pub use server::{forbid_dumps, stop_on_signals, Agent, AgentConfig};
