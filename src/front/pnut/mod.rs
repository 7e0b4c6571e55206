//! The pnut front: pnut tools over the Misskey upstream (mapping.md §4).

pub mod rest;
pub mod stream;

use crate::front::token::TokenSource;

/// Where the pnut front reads a token: `Authorization: Bearer` first, then `?access_token=`.
pub const PNUT_TOKEN_SOURCES: &[TokenSource<'static>] =
    &[TokenSource::Bearer, TokenSource::Query("access_token")];

/// The `meta.channel_type` of Misskey-channel notes as pnut messages (mapping.md §4.2).
pub const CHAT_CHANNEL_TYPE: &str = crate::translate::channel::CHAT_CHANNEL_TYPE;
