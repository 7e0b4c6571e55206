//! Integration tests of the simulated Misskey server: real sockets on 127.0.0.1, the
//! Misskey wire protocol, assertions on what arrives (no sleeps: barriers and timeouts).

#[path = "sim_misskey/control.rs"]
mod control;
#[path = "sim_misskey/errors.rs"]
mod errors;
#[path = "sim_misskey/events.rs"]
mod events;
#[path = "sim_misskey/liveness.rs"]
mod liveness;
#[path = "sim_misskey/observed.rs"]
mod observed;
#[path = "sim_misskey/rest.rs"]
mod rest;
#[path = "sim_misskey/streaming.rs"]
mod streaming;
#[path = "sim_misskey/support.rs"]
mod support;
#[path = "sim_misskey/upload.rs"]
mod upload;
