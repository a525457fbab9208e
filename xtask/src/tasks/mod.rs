//! One file per `cargo xtask` command, each with its `run_task(args)`; `main.rs` dispatches to
//! them. A task may use another task's building blocks (`test` runs `layers`, `deb` and
//! `demo-as-user`; `deb` uses `man`, `header` and `install`), never the other way round.

pub(crate) mod bench_chart;
pub(crate) mod bench_latency;
pub(crate) mod bench_official;
pub(crate) mod bench_report;
pub(crate) mod bench_verify;
pub(crate) mod deb;
pub(crate) mod demo;
pub(crate) mod demo_as_user;
pub(crate) mod fuzz;
pub(crate) mod fuzz_seeds;
pub(crate) mod header;
pub(crate) mod install;
pub(crate) mod install_deps;
pub(crate) mod layers;
pub(crate) mod man;
pub(crate) mod soak;
pub(crate) mod soak_agent;
pub(crate) mod soak_report;
pub(crate) mod test;
pub(crate) mod with_card;
