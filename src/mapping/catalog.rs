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

/// Whether `template` (a configured path, possibly with `{param}` placeholders or concrete
/// segments) fits one of the `patterns`.
pub fn fits_any(patterns: &[&str], template: &str) -> bool {
    patterns
        .iter()
        .any(|pattern| template_fits(pattern, template))
}

/// Whether a configured path `template` fits a catalogue `pattern`: same segment count, literal
/// segments equal, a pattern placeholder accepts any non-empty segment.
pub fn template_fits(pattern: &str, template: &str) -> bool {
    let pattern_segments = path_segments(pattern);
    let template_segments = path_segments(template);
    template.starts_with('/')
        && pattern_segments.len() == template_segments.len()
        && pattern_segments
            .iter()
            .zip(&template_segments)
            .all(|(p, t)| match placeholder_name(p) {
                Some(_) => !t.is_empty(),
                None => p == t,
            })
}

/// The `/`-separated segments of a path, without the leading empty one and a trailing slash.
pub fn path_segments(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// `Some(name)` when a whole segment is a `{name}` placeholder.
pub fn placeholder_name(segment: &str) -> Option<&str> {
    segment
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|name| !name.is_empty() && !name.contains(['{', '}']))
}

/// One piece of a template string: literal text or a `{name}` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart<'a> {
    /// Text copied as is.
    Literal(&'a str),
    /// A `{name}` placeholder.
    Placeholder(&'a str),
}

/// Splits a template into literal text and `{name}` placeholders; `Err` describes unbalanced or
/// empty braces.
pub fn template_parts(template: &str) -> Result<Vec<TemplatePart<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let (literal, tail) = rest.split_at(open);
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        if tail.starts_with('}') {
            return Err(format!("unbalanced '}}' in {template:?}"));
        }
        let after_open = tail.get(1..).unwrap_or("");
        let Some(close) = after_open.find('}') else {
            return Err(format!("unclosed '{{' in {template:?}"));
        };
        let name = after_open.get(..close).unwrap_or("");
        if name.is_empty() || name.contains('{') {
            return Err(format!("bad placeholder in {template:?}"));
        }
        parts.push(TemplatePart::Placeholder(name));
        rest = after_open.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Literal(rest));
    }
    Ok(parts)
}

/// The placeholder names of a template, in order (empty when the template is malformed).
pub fn template_placeholders(template: &str) -> Vec<&str> {
    template_parts(template)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|part| match part {
            TemplatePart::Placeholder(name) => Some(name),
            TemplatePart::Literal(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fit_patterns() {
        assert!(template_fits(
            "/channels/{channel_id}/messages",
            "/channels/{channelId}/messages"
        ));
        assert!(template_fits(
            "/channels/{channel_id}/messages",
            "/channels/12/messages"
        ));
        assert!(!template_fits("/posts/streams/me", "/posts/streams/nope"));
        assert!(!template_fits("/posts/streams/me", "posts/streams/me"));
    }

    #[test]
    fn template_parts_reject_bad_braces() {
        assert!(template_parts("/a/{x").is_err());
        assert!(template_parts("/a/x}").is_err());
        assert!(template_parts("/a/{}").is_err());
        assert_eq!(template_placeholders("/c/{a}/m/{b}"), vec!["a", "b"]);
    }
}
