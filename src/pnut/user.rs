//! User and presence (pnut-api.md §6.3, §6.9).

use serde::{Deserialize, Serialize};

use super::entities::Entities;
use super::raw::Raw;

/// A pnut user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct User {
    /// User id (decimal string).
    pub id: String,
    /// Username (no `@`), case preserved.
    pub username: String,
    /// Account creation time, ISO-8601.
    #[serde(default)]
    pub created_at: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `human`, `feed` or `bot`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Locale, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone, e.g. `America/Chicago`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Profile text and images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<UserContent>,
    /// Counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<UserCounts>,
    /// Whether this user follows the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_you: Option<bool>,
    /// Whether the caller follows this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_follow: Option<bool>,
    /// Whether the caller blocked this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_blocked: Option<bool>,
    /// Whether the caller muted this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_muted: Option<bool>,
    /// Whether the caller may follow this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_can_follow: Option<bool>,
    /// Badge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<Badge>,
    /// Verified domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
    /// Presence text (`include_presence=1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<String>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Pagination id in follower/following lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_id: Option<String>,
}

/// Profile content of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserContent {
    /// Profile description text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Rendered HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Entities of `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Entities>,
    /// Markdown source (own profile / `GET /token` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown_text: Option<String>,
    /// Avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_image: Option<Image>,
    /// Cover image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<Image>,
}

/// An avatar or cover image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Image {
    /// Image URL.
    pub url: String,
    /// Width in pixels.
    #[serde(default)]
    pub width: u32,
    /// Height in pixels.
    #[serde(default)]
    pub height: u32,
    /// Whether this is the server's default image.
    #[serde(default)]
    pub is_default: bool,
}

/// User counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UserCounts {
    /// Bookmarks.
    #[serde(default)]
    pub bookmarks: u64,
    /// Clients.
    #[serde(default)]
    pub clients: u64,
    /// Followers.
    #[serde(default)]
    pub followers: u64,
    /// Following.
    #[serde(default)]
    pub following: u64,
    /// Posts.
    #[serde(default)]
    pub posts: u64,
}

/// User badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Badge {
    /// Badge id.
    pub id: String,
    /// Badge name.
    pub name: String,
}

/// Verified domain of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verified {
    /// Domain.
    pub domain: String,
    /// URL.
    pub url: String,
}

/// A presence entry (`/presence`, `user_presence` events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Presence {
    /// User id.
    pub id: String,
    /// Username.
    #[serde(default)]
    pub username: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_image: Option<String>,
    /// Presence text.
    #[serde(default)]
    pub presence: String,
    /// Last seen time, ISO-8601.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
}
