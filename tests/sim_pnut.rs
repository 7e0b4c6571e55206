//! Integration tests of the simulated pnut server: real sockets on 127.0.0.1, the pnut wire
//! protocol (REST envelope + user streams), assertions on what arrives. No sleeps: frames are
//! awaited with generous outer timeouts, and state is read through the control handle.

#[path = "sim_pnut/control.rs"]
mod control;
#[path = "sim_pnut/errors.rs"]
mod errors;
#[path = "sim_pnut/events.rs"]
mod events;
#[path = "sim_pnut/interactions.rs"]
mod interactions;
#[path = "sim_pnut/liveness.rs"]
mod liveness;
#[path = "sim_pnut/polls.rs"]
mod polls;
#[path = "sim_pnut/posts.rs"]
mod posts;
#[path = "sim_pnut/ratelimit.rs"]
mod ratelimit;
#[path = "sim_pnut/rest_surface.rs"]
mod rest_surface;
#[path = "sim_pnut/subscriptions.rs"]
mod subscriptions;
#[path = "sim_pnut/support.rs"]
mod support;
#[path = "sim_pnut/upload.rs"]
mod upload;
