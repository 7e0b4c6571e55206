//! The Misskey front: Misskey clients over the pnut upstream (mapping.md §3).

pub mod rest;
pub mod stream;
