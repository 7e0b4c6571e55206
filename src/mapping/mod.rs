//! Pure mapping resolution: Misskey channel connects ⇄ pnut subscription keys, driven by the
//! configurable tables in `[mapping]` (mapping.md §3.1, §4.2).

pub mod catalog;
mod events;
mod filters;
mod resolve;
mod tables;
pub mod templates;
mod validate;

pub use catalog::{PnutData, is_known_misskey_channel, misskey_channel_params, pnut_endpoint_data};
pub use events::{EventKind, event_kind, gets_renotes_of_mine};
pub use filters::{NoteFilters, connect_filters};
pub use resolve::{
    MAX_NEEDS_PER_CONNECT, MappingError, PollEntry, SubscribePlan, SubscriptionKey, UpstreamNeed,
    resolve_connect, resolve_subscribe,
};
pub use tables::{
    ChannelJoin, ChannelMapping, EndpointMapping, MappingTables, default_misskey_channels,
    default_pnut_endpoints,
};
pub use validate::{toml_key, validate_tables};
