//! Post, its content, counts and client source (pnut-api.md §6.1).

use serde::{Deserialize, Serialize};

use super::entities::Entities;
use super::raw::Raw;
use super::user::User;

/// A pnut post. Dates are kept as the exact strings pnut writes (`YYYY-MM-DDTHH:MM:SSZ`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Post {
    /// Post id (decimal string).
    pub id: String,
    /// Creation time, ISO-8601.
    pub created_at: String,
    /// Author, unless omitted (then `user_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// Author id when `user` is omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Root post id of the thread (== id for roots).
    pub thread_id: String,
    /// Parent post id, on replies only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The original post, on reposts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<Box<Post>>,
    /// Text content; absent when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Interaction counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<PostCounts>,
    /// Client that created the post (a bare client-id string is accepted on input).
    #[serde(
        default,
        deserialize_with = "lenient_source",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Source>,
    /// Present (true) only when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Present (true) only when marked NSFW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_nsfw: Option<bool>,
    /// Present (true) only when revised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_revised: Option<bool>,
    /// Revision number (old versions from `/posts/{id}/revisions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Whether the caller bookmarked it (authenticated calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_bookmarked: Option<bool>,
    /// Whether the caller reposted it (authenticated calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_reposted: Option<bool>,
    /// Sample of bookmarking users (`include_bookmarked_by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmarked_by: Option<Vec<User>>,
    /// Sample of reposting users (`include_reposted_by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reposted_by: Option<Vec<User>>,
    /// Raw annotations (with raw flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Pagination id in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_id: Option<String>,
    /// Bookmark note (own bookmarks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Post {
    /// True when the post carries `is_deleted: true`.
    pub fn deleted(&self) -> bool {
        self.is_deleted == Some(true)
    }

    /// The author's id, from `user.id` or `user_id`.
    pub fn author_id(&self) -> Option<&str> {
        self.user
            .as_ref()
            .map(|user| user.id.as_str())
            .or(self.user_id.as_deref())
    }
}

/// Text content of a post or message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Content {
    /// Plain text.
    pub text: String,
    /// Rendered HTML (absent with `include_html=0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Entities of `text`.
    #[serde(default)]
    pub entities: Entities,
}

/// Post counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PostCounts {
    /// Bookmarks.
    #[serde(default)]
    pub bookmarks: u64,
    /// Replies.
    #[serde(default)]
    pub replies: u64,
    /// Reposts.
    #[serde(default)]
    pub reposts: u64,
    /// Posts in the thread.
    #[serde(default)]
    pub threads: u64,
}

/// Wire forms of `source`: the client object, or a bare client id (`include_client=0`).
#[derive(Deserialize)]
#[serde(untagged)]
enum SourceWire {
    Object(Source),
    Id(String),
}

/// Deserializes an optional `source`, accepting a bare client-id string as `Source { id, .. }`.
pub(crate) fn lenient_source<'de, D>(deserializer: D) -> Result<Option<Source>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let wire: Option<SourceWire> = Option::deserialize(deserializer)?;
    Ok(wire.map(|wire| match wire {
        SourceWire::Object(source) => source,
        SourceWire::Id(id) => Source {
            id,
            ..Source::default()
        },
    }))
}

/// The client (app) that created a post or message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Source {
    /// Client id.
    pub id: String,
    /// Client name.
    #[serde(default)]
    pub name: String,
    /// Client URL.
    #[serde(default)]
    pub url: String,
}
