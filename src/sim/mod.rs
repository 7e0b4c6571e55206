//! Simulated upstream servers: faithful in-memory pnut and Misskey servers used as the
//! embedded default upstreams, the peers of every integration test, and the demo.

pub mod gate;
pub mod misskey;
pub mod pnut;
pub mod server;
pub mod tracked;
