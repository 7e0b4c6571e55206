//! The upstream clients the fronts build on (mapping.md §3.2, §6, §7): REST and streaming
//! clients for pnut and Misskey, every REST call going through the shared rate limiter.

mod backoff;
mod error;
pub mod misskey;
mod pause_hint;
pub mod pnut;
mod task;
mod upload;

pub use crate::ratelimit::token_hash;
pub use backoff::Backoff;
pub use error::{Side, UpstreamError, UpstreamKind};
pub use pause_hint::{budget_report, pause_from_429};
pub use task::{
    IDLE_CONNECTION_TIMEOUT, MAX_IDLE_CONNECTIONS, TaskHandle, UPSTREAM_READ_BUFFER,
    connect_upstream, rest_client_builder, sleep_until_opt,
};
pub use upload::Upload;
