//! The Misskey streaming front over the simulated pnut upstream: real sockets through the bridge.

#[path = "front_misskey_stream/channels.rs"]
mod channels;
mod common;
#[path = "front_misskey_stream/main_channel.rs"]
mod main_channel;
#[path = "front_misskey_stream/polls.rs"]
mod polls;
#[path = "front_misskey_stream/protocol.rs"]
mod protocol;
#[path = "front_misskey_stream/slow_clients.rs"]
mod slow_clients;
#[path = "front_misskey_stream/sub_note.rs"]
mod sub_note;
#[path = "front_misskey_stream/support.rs"]
mod support;
#[path = "front_misskey_stream/upload.rs"]
mod upload;
#[path = "front_misskey_stream/upstream.rs"]
mod upstream;
