//! The Misskey upstream client.
