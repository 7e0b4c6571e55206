//! Upstream clients (pnut, Misskey).
