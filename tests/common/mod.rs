//! Helpers shared by several test binaries (each binary uses a different subset).
#![allow(dead_code)]

pub mod api;
pub mod app;
pub mod bridge_process;
pub mod redis;
pub mod silent;
pub mod ws;
