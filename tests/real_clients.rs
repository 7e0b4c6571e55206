//! Real third-party clients against the simulated servers: pnutpy (Python) against `SimPnut`
//! and misskey-js (Node) against `SimMisskey`, each started in-process on 127.0.0.1:0.
//!
//! The clients are the pinned packages installed by `tests/clients/setup.sh` (run by
//! `tests/run.sh`); the scripts driving them live beside it. A missing install fails the test
//! with a message naming the setup script. Every client run is bounded by
//! [`support::CLIENT_DEADLINE`], so a hang fails the test instead of blocking it.

#[path = "real_clients/on_sims.rs"]
mod on_sims;
#[path = "real_clients/support.rs"]
mod support;
#[path = "real_clients/through_bridge.rs"]
mod through_bridge;
