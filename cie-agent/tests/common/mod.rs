//! A real agent (in a thread of the test process) in front of the real PC/SC stack (pcscd +
//! vpcd + the simulated card), and helpers for its clients.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use cie_agent::{Agent, AgentClient, AgentConfig};
use cie_core::sign::HashAlg;
use cie_sim::stack::{StackOptions, VirtualStack};
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::Digest;

/// The stack and an agent serving it; both stopped on drop.
pub(crate) struct Running {
    pub(crate) stack: VirtualStack,
    pub(crate) socket: PathBuf,
    dir: PathBuf,
    agent: Option<JoinHandle<std::io::Result<()>>>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn start() -> Running {
    let stack = VirtualStack::start(StackOptions::default())
        .unwrap_or_else(|e| panic!("starting the virtual PC/SC stack: {e}"));
    stack.export_socket_env();
    let dir = std::env::temp_dir().join(format!(
        "cie-agent-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let sock_dir = dir.join("cie");
    std::fs::create_dir_all(&sock_dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&sock_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = sock_dir.join("agent.sock");
    let agent = Agent::bind_at(&socket, AgentConfig::default()).expect("agent bind");
    let handle = std::thread::spawn(move || agent.run());
    Running { stack, socket, dir, agent: Some(handle) }
}

impl Running {
    pub(crate) fn client(&self) -> AgentClient {
        AgentClient::connect_to(&self.socket).expect("connect to the agent")
    }

    pub(crate) fn logged_in_client(&self) -> AgentClient {
        let mut c = self.client();
        c.login(None, cie_sim::fixtures::TEST_PIN.as_bytes()).expect("login");
        c
    }

    /// Logged-in clients of the card, as the agent's status says.
    pub(crate) fn logged_in_count(&self) -> u32 {
        let status = self.client().status().expect("status");
        status.cards.iter().map(|c| c.logged_in_clients).sum()
    }

    /// Waits until the agent counts `n` logged-in clients (a closed connection is noticed by
    /// its thread, then by the card's worker).
    pub(crate) fn wait_logged_in(&self, n: u32) {
        for _ in 0..100 {
            if self.logged_in_count() == n {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the agent never counted {n} logged-in clients (now {})", self.logged_in_count());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut c) = AgentClient::connect_to(&self.socket) {
            let _ = c.stop();
        }
        if let Some(h) = self.agent.take() {
            let _ = h.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Checks `signature` of `digest` (SHA-256) with the key of the certificate `der`, with the
/// rsa crate (not the code under test).
pub(crate) fn assert_verifies(der: &[u8], digest: &[u8], signature: &[u8]) {
    let key: RsaPublicKey = cie_core::certificate::public_key(der).expect("certificate key");
    key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), digest, signature).expect("the signature verifies");
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(data).to_vec()
}

pub(crate) const SHA256: HashAlg = HashAlg::Sha256;

/// The simulator's counts once they stop moving: it counts an APDU just after answering it, so
/// a count read right after an answer may miss that APDU.
pub(crate) fn settled_counts(stack: &mut VirtualStack) -> cie_sim::control::Counts {
    let mut last = stack.counts().expect("counts");
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = stack.counts().expect("counts");
        if now == last {
            return now;
        }
        last = now;
    }
}
