//! The configurable mapping tables (`[mapping]` in config.toml) and their defaults
//! (mapping.md §3.1 and §4.2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::events::EventKind;

/// Both mapping tables: Misskey channel → pnut needs, and pnut endpoint → Misskey channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MappingTables {
    /// Misskey channel name → what it needs from the pnut upstream (mapping.md §3.1).
    pub misskey_channels: BTreeMap<String, ChannelMapping>,
    /// pnut endpoint pattern (e.g. `/posts/{post_id}/thread`) → Misskey upstream (mapping.md §4.2).
    pub pnut_endpoints: BTreeMap<String, EndpointMapping>,
}

/// What one Misskey channel connect needs from the pnut upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelMapping {
    /// pnut endpoints to subscribe; `{param}` is filled from the connect params.
    pub pnut: Vec<String>,
    /// pnut endpoints to poll with `since_id`; a list-valued param gives one poll per value.
    pub poll: Vec<String>,
    /// Connect params the bridge applies as note filters (`withRenotes`, `withFiles`, `withReplies`).
    pub filters: Vec<String>,
    /// Fixed query params added to every subscription/poll of this channel.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// How this channel presents the items of a listed `pnut`/`poll` template (template →
    /// event kind); templates not listed get their data's default (posts and messages →
    /// `note`, follows → `follow`, token → `me_updated`, files → `drive`; `main` presents files as
    /// `drive_file_created`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, EventKind>,
    /// Reposts of the token owner's posts, from any subscription of the token, reach this
    /// channel as `renote` + `notification` (Misskey's `main`).
    pub renotes_of_mine: bool,
}

/// What a pnut subscription on one endpoint pattern joins upstream on Misskey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EndpointMapping {
    /// `false`: the subscribe is refused with 400 naming the endpoint as not bridged.
    pub bridged: bool,
    /// Misskey channels to join; string params may use the pattern's `{placeholders}`.
    pub channels: Vec<ChannelJoin>,
    /// Note to capture with `subNote` (e.g. `{post_id}`); empty for none.
    pub capture: String,
    /// Misskey REST endpoints whose results make the subscribe call's first page.
    pub first_page: Vec<String>,
    /// Only the token owner's own notes pass (e.g. `/users/me/posts`).
    pub own_only: bool,
    /// Misskey channel name → the event types of that channel the subscription takes; a
    /// joined channel not listed here passes every event.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, Vec<String>>,
}

impl Default for EndpointMapping {
    fn default() -> Self {
        Self {
            bridged: true,
            channels: Vec::new(),
            capture: String::new(),
            first_page: Vec::new(),
            own_only: false,
            events: BTreeMap::new(),
        }
    }
}

/// One Misskey channel join: channel name and connect params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelJoin {
    /// Misskey channel name (e.g. `homeTimeline`).
    pub channel: String,
    /// Connect params sent with the join (a JSON object).
    #[serde(default = "empty_object")]
    pub params: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ChannelJoin {
    /// A join without params.
    pub fn bare(channel: &str) -> Self {
        Self {
            channel: channel.to_owned(),
            params: empty_object(),
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn channel(pnut: &[&str], poll: &[&str], filters: &[&str]) -> ChannelMapping {
    ChannelMapping {
        pnut: strings(pnut),
        poll: strings(poll),
        filters: strings(filters),
        ..ChannelMapping::default()
    }
}

/// A bridged row: its joins, the event types taken per channel, and its first-page calls.
fn endpoint(
    channels: Vec<ChannelJoin>,
    events: &[(&str, &[&str])],
    first_page: &[&str],
) -> EndpointMapping {
    EndpointMapping {
        channels,
        first_page: strings(first_page),
        events: events
            .iter()
            .map(|(channel, kinds)| ((*channel).to_owned(), strings(kinds)))
            .collect(),
        ..EndpointMapping::default()
    }
}

fn not_bridged() -> EndpointMapping {
    EndpointMapping {
        bridged: false,
        ..EndpointMapping::default()
    }
}

/// The default Misskey channel table (mapping.md §3.1).
pub fn default_misskey_channels() -> BTreeMap<String, ChannelMapping> {
    let timeline_filters = ["withRenotes", "withFiles"];
    let public_filters = ["withRenotes", "withFiles", "withReplies"];
    [
        (
            "homeTimeline",
            channel(&["/posts/streams/me"], &[], &timeline_filters),
        ),
        (
            "hybridTimeline",
            channel(&["/posts/streams/unified"], &[], &public_filters),
        ),
        (
            "localTimeline",
            channel(&[], &["/posts/streams/global"], &public_filters),
        ),
        (
            "globalTimeline",
            channel(&[], &["/posts/streams/global"], &timeline_filters),
        ),
        ("hashtag", channel(&[], &["/posts/tags/{q}"], &[])),
        (
            "channel",
            channel(&["/channels/{channelId}/messages"], &[], &[]),
        ),
        (
            "main",
            ChannelMapping {
                events: [
                    ("/users/me/mentions".to_owned(), EventKind::Mention),
                    ("/users/me/files".to_owned(), EventKind::DriveFileCreated),
                ]
                .into(),
                renotes_of_mine: true,
                ..channel(
                    &[
                        "/users/me/mentions",
                        "/users/me/followers",
                        "/users/me/following",
                        "/token",
                        "/users/me/files",
                    ],
                    &[],
                    &[],
                )
            },
        ),
        ("drive", channel(&["/users/me/files"], &[], &[])),
    ]
    .into_iter()
    .map(|(name, mapping)| (name.to_owned(), mapping))
    .collect()
}

/// The default pnut endpoint table (mapping.md §4.2), non-bridged rows with `bridged = false`.
pub fn default_pnut_endpoints() -> BTreeMap<String, EndpointMapping> {
    let home = || ChannelJoin::bare("homeTimeline");
    let main = || ChannelJoin::bare("main");
    let notes: &[(&str, &[&str])] = &[("homeTimeline", &["note"])];
    [
        (
            "/posts/streams/me",
            endpoint(vec![home()], notes, &["notes/timeline"]),
        ),
        (
            "/posts/streams/unified",
            endpoint(
                vec![home(), main()],
                &[("homeTimeline", &["note"]), ("main", &["mention"])],
                &["notes/timeline", "notes/mentions"],
            ),
        ),
        (
            "/users/me/posts",
            EndpointMapping {
                own_only: true,
                ..endpoint(vec![home()], notes, &["users/notes"])
            },
        ),
        (
            "/users/me/mentions",
            endpoint(vec![main()], &[("main", &["mention"])], &["notes/mentions"]),
        ),
        (
            "/posts/{post_id}/thread",
            EndpointMapping {
                capture: "{post_id}".to_owned(),
                ..endpoint(
                    vec![home(), main()],
                    &[("homeTimeline", &["note"]), ("main", &["reply", "mention"])],
                    &["notes/show", "notes/children"],
                )
            },
        ),
        (
            "/users/me/followers",
            endpoint(
                vec![main()],
                &[("main", &["followed"])],
                &["users/followers"],
            ),
        ),
        (
            "/users/me/following",
            endpoint(
                vec![main()],
                &[("main", &["follow", "unfollow"])],
                &["users/following"],
            ),
        ),
        (
            "/channels/{channel_id}/messages",
            endpoint(
                vec![ChannelJoin {
                    channel: "channel".to_owned(),
                    params: json!({ "channelId": "{channel_id}" }),
                }],
                &[("channel", &["note"])],
                &["channels/timeline"],
            ),
        ),
        (
            "/token",
            endpoint(vec![main()], &[("main", &["meUpdated"])], &["i"]),
        ),
        (
            "/users/me/files",
            endpoint(
                vec![ChannelJoin::bare("drive")],
                &[("drive", &["fileCreated", "fileUpdated", "fileDeleted"])],
                &["drive/files"],
            ),
        ),
        ("/users/me/channels/subscribed", not_bridged()),
        ("/channels", not_bridged()),
        ("/channels/{channel_id}/subscribers", not_bridged()),
        ("/presence", not_bridged()),
        ("/channels/{channel_id}/presence", not_bridged()),
    ]
    .into_iter()
    .map(|(pattern, mapping)| (pattern.to_owned(), mapping))
    .collect()
}

impl Default for MappingTables {
    fn default() -> Self {
        Self {
            misskey_channels: default_misskey_channels(),
            pnut_endpoints: default_pnut_endpoints(),
        }
    }
}
