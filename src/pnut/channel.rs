//! Channel and message (pnut-api.md §6.4, §6.5).

use serde::{Deserialize, Serialize};

use super::ids::string_or_number_list;
use super::post::{Content, Source};
use super::raw::Raw;
use super::user::User;

/// A pnut channel (PM, chat room or custom type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Channel {
    /// Channel id.
    pub id: String,
    /// Channel type, e.g. `io.pnut.core.pm`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Owner (absent for PM channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// Owner id when `user` is omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Access control lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Acl>,
    /// Counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<ChannelCounts>,
    /// Latest non-deleted message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_message_id: Option<String>,
    /// Latest non-deleted message (`include_recent_message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_message: Option<Box<Message>>,
    /// Latest message id when it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_deleted_message_id: Option<String>,
    /// Latest message when it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_deleted_message: Option<Box<Message>>,
    /// Whether there are unread messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_unread: Option<bool>,
    /// Whether the caller is subscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_subscribed: Option<bool>,
    /// Whether the caller muted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_muted: Option<bool>,
    /// Whether sticky messages exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_sticky_messages: Option<bool>,
    /// Present only when `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Pagination id in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_id: Option<String>,
}

/// Channel ACLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Acl {
    /// Full (admin) access.
    #[serde(default)]
    pub full: AclFull,
    /// Write access.
    #[serde(default)]
    pub write: AclWrite,
    /// Read access.
    #[serde(default)]
    pub read: AclRead,
}

/// `acl.full`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AclFull {
    /// Whether the list is immutable.
    #[serde(default)]
    pub immutable: bool,
    /// Whether the caller is in it.
    #[serde(default)]
    pub you: bool,
    /// Member ids (strings; bare numbers are accepted on input).
    #[serde(default, deserialize_with = "string_or_number_list")]
    pub user_ids: Vec<String>,
    /// Limited member objects (`include_limited_users=1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<LimitedUser>>,
}

/// `acl.write`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AclWrite {
    /// Whether anyone may write.
    #[serde(default)]
    pub any_user: bool,
    /// Whether the list is immutable.
    #[serde(default)]
    pub immutable: bool,
    /// Whether the caller is in it.
    #[serde(default)]
    pub you: bool,
    /// Member ids.
    #[serde(default, deserialize_with = "string_or_number_list")]
    pub user_ids: Vec<String>,
    /// Limited member objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<LimitedUser>>,
}

/// `acl.read`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AclRead {
    /// Whether anyone may read.
    #[serde(default)]
    pub any_user: bool,
    /// Whether the list is immutable.
    #[serde(default)]
    pub immutable: bool,
    /// Whether the channel is public.
    #[serde(default)]
    pub public: bool,
    /// Whether the caller is in it.
    #[serde(default)]
    pub you: bool,
    /// Member ids.
    #[serde(default, deserialize_with = "string_or_number_list")]
    pub user_ids: Vec<String>,
    /// Limited member objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<LimitedUser>>,
}

/// A limited user inside an ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LimitedUser {
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_image: Option<String>,
    /// Presence text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<String>,
}

/// Channel counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelCounts {
    /// Messages.
    #[serde(default)]
    pub messages: u64,
    /// Subscribers (full-ACL users only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribers: Option<u64>,
}

/// A message in a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Channel id.
    pub channel_id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// Thread root id.
    #[serde(default)]
    pub thread_id: String,
    /// Parent message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// Author id when `user` is omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Content; absent when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<MessageCounts>,
    /// Client (a bare client-id string is accepted on input).
    #[serde(
        default,
        deserialize_with = "super::post::lenient_source",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Source>,
    /// Present (true) only when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Present (true) only when NSFW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_nsfw: Option<bool>,
    /// Whether the message is sticky (always written since 1.0).
    #[serde(default)]
    pub is_sticky: bool,
    /// Moderator who deleted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Pagination id in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_id: Option<String>,
}

/// Message counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MessageCounts {
    /// Replies.
    #[serde(default)]
    pub replies: u64,
}
