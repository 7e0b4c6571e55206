//! HTTP plumbing shared by the fronts and the simulated servers.

pub mod plain_errors;
