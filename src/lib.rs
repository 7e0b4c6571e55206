//! pnutkey — a bridge between the pnut.io and Misskey streaming protocols.
//!
//! Layout (one concept per module):
//! - [`config`]: `config.toml` loading, validation, masked printing.
//! - [`mapping`]: pure resolution of Misskey channels ⇄ pnut subscription keys.
//! - [`pnut`], [`misskey`]: serde wire models of each protocol (no IO).
//! - [`ids`]: the reversible, order-preserving Misskey id ⇄ decimal id mapping.
//! - [`translate`]: pure functions between the two models.
//! - [`sim`]: the simulated pnut and Misskey servers (embedded default upstreams, test peers).
//! - [`session`]: the per-token session registry both fronts keep their upstream state in.
//! - [`cluster`]: optional fleet membership through one Redis (`[cluster]`, mapping.md §9).
//! - [`metrics`]: the Prometheus metric families (`/metrics`).
//! - [`storage`]: the SQLite store (MiAuth sessions, bridge tokens, `i/registry`).
//! - [`app`]: wiring: listeners, logging, the `run` command.

pub mod app;
pub mod cluster;
pub mod config;
pub mod front;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod ids;
pub mod mapping;
pub mod metrics;
pub mod misskey;
pub mod pnut;
pub mod ratelimit;
pub mod session;
pub mod sim;
pub mod storage;
pub mod translate;
pub mod upstream;
