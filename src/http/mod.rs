//! HTTP plumbing shared by the fronts and the simulated servers.

pub mod body_limit;
pub mod misskey_error;
pub mod plain_errors;
pub mod upload;
