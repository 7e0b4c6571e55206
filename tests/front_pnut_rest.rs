//! The pnut REST front (`/v1/*`) through the bridge against the embedded simulated Misskey:
//! real sockets on 127.0.0.1, pnutpy-style expectations (ids `int()`-able, dates parseable,
//! `meta.code` mirrors the status), effects checked on the simulated server.

#[path = "front_pnut_rest/chat.rs"]
mod chat;
#[path = "front_pnut_rest/errors.rs"]
mod errors;
#[path = "front_pnut_rest/reads.rs"]
mod reads;
#[path = "front_pnut_rest/social.rs"]
mod social;
#[path = "front_pnut_rest/support.rs"]
mod support;
#[path = "front_pnut_rest/tools.rs"]
mod tools;
#[path = "front_pnut_rest/upload.rs"]
mod upload;
#[path = "front_pnut_rest/upstream_notes.rs"]
mod upstream_notes;
#[path = "front_pnut_rest/writes.rs"]
mod writes;
