//! Session events of REST calls for the whole fleet (mapping.md §9). A call lands on any
//! instance, maybe one without a socket (so without a relay) of the token or of its user:
//!
//! - A bridge-made `main` event for a *user* (`registryUpdated`) goes out on the user's fleet
//!   channel, which the relay of each session this instance *owns* listens to: the owner of
//!   each of the user's tokens applies it once in its pool, whose frames reach every client of
//!   that token. The originating instance publishes instead of handing it to its own relays
//!   (its owner relays hear it on the bus like every other), so none applies it twice.
//! - Marking a *token's* notifications read, with no local relay of the token, goes to the
//!   owner as the `readNotifications` a follower sends (a local relay applies or forwards it).
//!
//! Either refused (Redis down, queue full): the caller does what it does without a cluster.

use serde_json::Value;

use super::FRONT;
use super::owner::ToOwner;
use crate::cluster::Cluster;

/// The fleet channel of the user-level `main` events of pnut user `user_id` (an id, not a
/// secret).
pub(super) fn user_channel(cluster: &Cluster, user_id: &str) -> String {
    cluster.key(&format!("user:{{{FRONT}:{user_id}}}"))
}

/// The command channel of `token`'s session (its owner listens).
pub(super) fn cmd_channel(cluster: &Cluster, token: &str) -> String {
    let tag = crate::cluster::token_key(token);
    cluster.key(&format!("cmd:{{{FRONT}:{tag}}}"))
}

/// Publishes the bridge-made `main` event `kind` for every session of user `user_id` in the
/// fleet (each owner applies it once); false when it was not queued.
pub fn user_main_event(cluster: &Cluster, user_id: &str, kind: &str, body: &Value) -> bool {
    let event = ToOwner::UserMainEvent {
        kind: kind.to_owned(),
        body: body.clone(),
    };
    publish(cluster, user_channel(cluster, user_id), &event)
}

/// Asks the owner of `token`'s session to mark its notifications read (for an instance with
/// no session of the token); false when it was not queued.
pub fn read_notifications(cluster: &Cluster, token: &str) -> bool {
    let event = ToOwner::ReadNotifications {
        from: cluster.instance_id().to_owned(),
    };
    publish(cluster, cmd_channel(cluster, token), &event)
}

fn publish(cluster: &Cluster, channel: String, event: &ToOwner) -> bool {
    serde_json::to_string(event).is_ok_and(|text| cluster.publish_soon(channel, text))
}
