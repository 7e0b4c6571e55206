//! The pnut user-stream front against the embedded simulated Misskey, through the production
//! routes (`pnutkey::front::routes`): hello, subscriptions through the REST front, event
//! fan-out with `subscription_ids`, the 16-subscription limit, deletes, refcounted upstream
//! channel connections, token refusal, per-token hub sessions and their isolation.

mod common;

#[path = "front_pnut_stream/deletions.rs"]
mod deletions;
#[path = "front_pnut_stream/endpoints.rs"]
mod endpoints;
#[path = "front_pnut_stream/events.rs"]
mod events;
#[path = "front_pnut_stream/pending.rs"]
mod pending;
#[path = "front_pnut_stream/sessions.rs"]
mod sessions;
#[path = "front_pnut_stream/slow.rs"]
mod slow;
#[path = "front_pnut_stream/subscriptions.rs"]
mod subscriptions;
#[path = "front_pnut_stream/support.rs"]
mod support;
#[path = "front_pnut_stream/upload.rs"]
mod upload;
