//! The pnut front: pnut tools over the Misskey upstream (mapping.md §4).

pub mod rest;
pub mod stream;
