//! Fixed protocol facts the mapping tables are checked against: pnut's subscribable and pollable
//! endpoints (pnut-api.md §4), Misskey's streaming channels (misskey.md §4) and the Misskey REST
//! endpoints a first page can come from (misskey.md §8).

/// pnut endpoints a user stream can subscribe to (pnut-api.md §4 rows 1–14, `/channels` as the
/// docs list it beside the inferred real call `/users/me/channels/subscribed`).
pub const SUBSCRIBABLE_PNUT_ENDPOINTS: &[&str] = &[
    "/users/me/posts",
    "/users/me/mentions",
    "/posts/{post_id}/thread",
    "/posts/streams/me",
    "/posts/streams/unified",
    "/users/me/following",
    "/users/me/followers",
    "/channels/{channel_id}/messages",
    "/channels",
    "/users/me/channels/subscribed",
    "/channels/{channel_id}/subscribers",
    "/token",
    "/users/me/files",
    "/channels/{channel_id}/presence",
    "/presence",
];

/// pnut GET endpoints that can be polled (with `since_id`) in addition to the subscribable ones.
pub const POLL_ONLY_PNUT_ENDPOINTS: &[&str] = &[
    "/posts/streams/global",
    "/posts/tags/{tag}",
    "/users/{user_id}/posts",
];

/// What the items of a pnut endpoint are (pnut-api.md §4, §3): decides how a Misskey channel
/// can present them (see [`super::EventKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PnutData {
    /// Posts (timelines, mentions, threads, tags).
    Posts,
    /// Channel messages.
    Messages,
    /// Follow relations (followers, following).
    Follows,
    /// The token (and its user).
    Token,
    /// Files.
    Files,
    /// Anything the Misskey front does not translate (channels, subscribers, presence).
    Other,
}

/// The data each subscribable or pollable pnut endpoint carries.
pub const PNUT_ENDPOINT_DATA: &[(&str, PnutData)] = &[
    ("/users/me/posts", PnutData::Posts),
    ("/users/me/mentions", PnutData::Posts),
    ("/posts/{post_id}/thread", PnutData::Posts),
    ("/posts/streams/me", PnutData::Posts),
    ("/posts/streams/unified", PnutData::Posts),
    ("/posts/streams/global", PnutData::Posts),
    ("/posts/tags/{tag}", PnutData::Posts),
    ("/users/{user_id}/posts", PnutData::Posts),
    ("/users/me/following", PnutData::Follows),
    ("/users/me/followers", PnutData::Follows),
    ("/channels/{channel_id}/messages", PnutData::Messages),
    ("/token", PnutData::Token),
    ("/users/me/files", PnutData::Files),
];

/// The data a pnut endpoint (a concrete path or a template) carries; [`PnutData::Other`] for
/// endpoints not in [`PNUT_ENDPOINT_DATA`].
pub fn pnut_endpoint_data(path: &str) -> PnutData {
    PNUT_ENDPOINT_DATA
        .iter()
        .find(|(pattern, _)| template_fits(pattern, path))
        .map_or(PnutData::Other, |(_, data)| *data)
}

/// Every Misskey streaming channel (2026.5.1) with the connect params it reads.
pub const MISSKEY_CHANNELS: &[(&str, &[&str])] = &[
    ("main", &[]),
    ("homeTimeline", &["withRenotes", "withFiles"]),
    (
        "localTimeline",
        &["withRenotes", "withReplies", "withFiles"],
    ),
    (
        "hybridTimeline",
        &["withRenotes", "withReplies", "withFiles"],
    ),
    ("globalTimeline", &["withRenotes", "withFiles"]),
    ("userList", &["listId", "withFiles", "withRenotes"]),
    ("hashtag", &["q"]),
    ("roleTimeline", &["roleId"]),
    ("antenna", &["antennaId"]),
    ("channel", &["channelId"]),
    ("drive", &[]),
    ("serverStats", &[]),
    ("queueStats", &[]),
    ("admin", &[]),
    ("chatUser", &["otherId"]),
    ("chatRoom", &["roomId"]),
    ("reversi", &[]),
    ("reversiGame", &["gameId"]),
];

/// The event types each Misskey streaming channel emits (misskey.md §4, §4.1; `reversiGame`'s
/// game events are not catalogued).
pub const MISSKEY_CHANNEL_EVENTS: &[(&str, &[&str])] = &[
    (
        "main",
        &[
            "notification",
            "unreadNotification",
            "readAllNotifications",
            "notificationFlushed",
            "mention",
            "reply",
            "renote",
            "follow",
            "followed",
            "unfollow",
            "receiveFollowRequest",
            "meUpdated",
            "driveFileCreated",
            "urlUploadFinished",
            "newChatMessage",
            "announcementCreated",
            "readAllAnnouncements",
            "myTokenRegenerated",
            "signin",
            "registryUpdated",
            "pageEvent",
            "unreadAntenna",
            "readAntenna",
        ],
    ),
    ("homeTimeline", &["note"]),
    ("localTimeline", &["note"]),
    ("hybridTimeline", &["note"]),
    ("globalTimeline", &["note"]),
    ("userList", &["note", "userAdded", "userRemoved"]),
    ("hashtag", &["note"]),
    ("roleTimeline", &["note"]),
    ("antenna", &["note"]),
    ("channel", &["note"]),
    (
        "drive",
        &[
            "fileCreated",
            "fileUpdated",
            "fileDeleted",
            "folderCreated",
            "folderUpdated",
            "folderDeleted",
        ],
    ),
    ("serverStats", &["stats", "statsLog"]),
    ("queueStats", &["stats", "statsLog"]),
    ("admin", &["newAbuseUserReport"]),
    ("chatUser", &["message", "deleted", "react", "unreact"]),
    ("chatRoom", &["message", "deleted", "react", "unreact"]),
    ("reversi", &["matched", "invited"]),
    ("reversiGame", &[]),
];

/// The event types Misskey channel `name` emits, or `None` for a name Misskey does not have.
pub fn misskey_channel_events(name: &str) -> Option<&'static [&'static str]> {
    MISSKEY_CHANNEL_EVENTS
        .iter()
        .find(|(channel, _)| *channel == name)
        .map(|(_, events)| *events)
}

/// Where a Misskey channel's missed notes can be read back after a reconnect: the channel, the
/// REST endpoint listing its notes, the event type they replay as, and the connect params
/// the call takes over (same name in the REST body).
pub const MISSKEY_CHANNEL_HISTORY: &[(&str, &str, &str, &[&str])] = &[
    ("homeTimeline", "notes/timeline", "note", &[]),
    ("hybridTimeline", "notes/hybrid-timeline", "note", &[]),
    ("localTimeline", "notes/local-timeline", "note", &[]),
    ("globalTimeline", "notes/global-timeline", "note", &[]),
    ("main", "notes/mentions", "mention", &[]),
    ("channel", "channels/timeline", "note", &["channelId"]),
];

/// One call of the pnut REST front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRoute {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern below `/v1`, placeholders as `{name}`.
    pub pattern: &'static str,
    /// The Misskey REST calls its answer is made from (GET routes; writes list none).
    pub calls: &'static [&'static str],
    /// Its answer is the posts of its `calls`, which a table row's `first_page` may replace
    /// with any of [`NOTE_LIST_CALLS`].
    pub note_list: bool,
}

const fn route(method: &'static str, pattern: &'static str) -> RestRoute {
    RestRoute {
        method,
        pattern,
        calls: &[],
        note_list: false,
    }
}

const fn get(pattern: &'static str, calls: &'static [&'static str]) -> RestRoute {
    RestRoute {
        method: "GET",
        pattern,
        calls,
        note_list: false,
    }
}

const fn notes(pattern: &'static str, calls: &'static [&'static str]) -> RestRoute {
    RestRoute {
        method: "GET",
        pattern,
        calls,
        note_list: true,
    }
}

/// Misskey calls listing notes with no parameter but pagination: what a note-list route's
/// first page may be made of.
pub const NOTE_LIST_CALLS: &[&str] = &[
    "notes/timeline",
    "notes/hybrid-timeline",
    "notes/local-timeline",
    "notes/global-timeline",
    "notes/mentions",
];

/// The calls of the pnut REST front (mapping.md §4.3). Its GET routes answer subscribe calls
/// too (mapping.md §4.1): every bridged row of `[mapping.pnut_endpoints]` must fit one.
pub const PNUT_REST_ROUTES: &[RestRoute] = &[
    get("/token", &["i"]),
    get("/sys/config", &["meta"]),
    route("POST", "/posts"),
    notes("/posts/streams/me", &["notes/timeline"]),
    notes(
        "/posts/streams/unified",
        &["notes/timeline", "notes/mentions"],
    ),
    notes("/posts/streams/global", &["notes/global-timeline"]),
    get("/posts/{post_id}", &["notes/show"]),
    route("DELETE", "/posts/{post_id}"),
    get(
        "/posts/{post_id}/thread",
        &["notes/show", "notes/conversation", "notes/children"],
    ),
    route("PUT", "/posts/{post_id}/repost"),
    route("DELETE", "/posts/{post_id}/repost"),
    route("PUT", "/posts/{post_id}/bookmark"),
    route("DELETE", "/posts/{post_id}/bookmark"),
    notes("/users/me/mentions", &["notes/mentions"]),
    get("/users/me/files", &["drive/files"]),
    get("/users/{user_id}", &["i", "users/show"]),
    get(
        "/users/{user_id}/posts",
        &["i", "users/show", "users/notes"],
    ),
    get(
        "/users/{user_id}/followers",
        &["i", "users/show", "users/followers"],
    ),
    get(
        "/users/{user_id}/following",
        &["i", "users/show", "users/following"],
    ),
    route("PUT", "/users/{user_id}/follow"),
    route("DELETE", "/users/{user_id}/follow"),
    get("/channels/{channel_id}/messages", &["channels/timeline"]),
    get("/channels/{channel_id}", &["channels/show"]),
    route("POST", "/channels/{channel_id}/messages"),
    route("DELETE", "/channels/{channel_id}/messages/{message_id}"),
    get("/users/me/channels/subscribed", &["channels/followed"]),
    get("/users/search", &["users/search"]),
    get("/users", &["users/show"]),
    get("/posts/search", &["notes/search"]),
    get("/posts/tag/{tag}", &["notes/search-by-tag"]),
    get("/posts", &["notes/show"]),
    get("/sys/stats", &["stats"]),
    route("DELETE", "/token"),
    route("PATCH", "/users/me"),
    route("POST", "/files"),
    get("/files/{file_id}", &["drive/files/show"]),
    route("DELETE", "/files/{file_id}"),
    route("PUT", "/users/{user_id}/mute"),
    route("DELETE", "/users/{user_id}/mute"),
    route("PUT", "/users/{user_id}/block"),
    route("DELETE", "/users/{user_id}/block"),
    get("/users/me/muted", &["mute/list"]),
    get("/users/me/blocked", &["blocking/list"]),
    get("/users/me/bookmarks", &["i/favorites", "users/reactions"]),
    get("/users/me/actions", &["i/notifications"]),
];

/// The route a concrete `path` of a `method` call takes (the one with most literal segments
/// when several fit) and its placeholder captures.
pub fn pnut_rest_route(
    method: &str,
    path: &str,
) -> Option<(
    &'static RestRoute,
    std::collections::BTreeMap<String, String>,
)> {
    PNUT_REST_ROUTES
        .iter()
        .filter(|route| route.method == method)
        .filter_map(|route| match_path(route.pattern, path).map(|c| (route, c)))
        .max_by_key(|(route, _)| literal_segment_count(route.pattern))
}

/// The GET route a configured endpoint pattern (`[mapping.pnut_endpoints]` key) fits.
pub fn pnut_get_route(template: &str) -> Option<&'static RestRoute> {
    PNUT_REST_ROUTES
        .iter()
        .filter(|route| route.method == "GET" && template_fits(route.pattern, template))
        .max_by_key(|route| literal_segment_count(route.pattern))
}

/// Connect params the bridge can apply itself as note filters (misskey.md §4 timeline filters).
pub const FILTER_PARAMS: &[&str] = &["withRenotes", "withFiles", "withReplies"];

/// Misskey REST endpoints a pnut subscription's first page may be fetched from.
pub const MISSKEY_REST_ENDPOINTS: &[&str] = &[
    "i",
    "meta",
    "notes/timeline",
    "notes/hybrid-timeline",
    "notes/local-timeline",
    "notes/global-timeline",
    "notes/mentions",
    "notes/show",
    "notes/renotes",
    "notes/replies",
    "notes/children",
    "notes/conversation",
    "users/show",
    "users/notes",
    "users/followers",
    "users/following",
    "i/notifications",
    "drive/files",
    "channels/timeline",
];

/// Whether Misskey has a streaming channel of this name (misskey.md §4), mapped or not.
pub fn is_known_misskey_channel(name: &str) -> bool {
    misskey_channel_params(name).is_some()
}

/// The connect params a Misskey channel reads, or `None` for a name Misskey does not have.
pub fn misskey_channel_params(name: &str) -> Option<&'static [&'static str]> {
    MISSKEY_CHANNELS
        .iter()
        .find(|(channel, _)| *channel == name)
        .map(|(_, params)| *params)
}

pub use super::templates::{
    TemplatePart, fits_any, literal_segment_count, match_path, path_segments, placeholder_name,
    template_fits, template_parts, template_placeholders,
};
