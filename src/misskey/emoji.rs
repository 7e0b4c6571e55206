//! Custom emoji and announcements (misskey.md §6.4), as carried by broadcasts.

use serde::{Deserialize, Serialize};

/// `EmojiDetailed`, as in `emojiAdded` / `emojiUpdated` / `emojiDeleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Emoji {
    /// Emoji id.
    pub id: String,
    /// Aliases.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Short name.
    pub name: String,
    /// Category (may be `null`).
    #[serde(default)]
    pub category: Option<String>,
    /// Host (`null` = local).
    #[serde(default)]
    pub host: Option<String>,
    /// Image URL.
    #[serde(default)]
    pub url: String,
    /// License (may be `null`).
    #[serde(default)]
    pub license: Option<String>,
    /// Sensitive flag.
    #[serde(default)]
    pub is_sensitive: bool,
    /// Local-only flag.
    #[serde(default)]
    pub local_only: bool,
    /// Roles allowed to react with it.
    #[serde(default)]
    pub role_ids_that_can_be_used_this_emoji_as_reaction: Vec<String>,
}

/// An announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    /// Announcement id.
    pub id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// Update time (may be `null`).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Text.
    #[serde(default)]
    pub text: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Image URL (may be `null`).
    #[serde(default)]
    pub image_url: Option<String>,
    /// `info` | `warning` | `error` | `success`.
    #[serde(default)]
    pub icon: String,
    /// `dialog` | `normal` | `banner`.
    #[serde(default)]
    pub display: String,
    /// Needs explicit confirmation.
    #[serde(default)]
    pub need_confirmation_to_read: bool,
    /// Silent announcement.
    #[serde(default)]
    pub silence: bool,
    /// Addressed to the viewer.
    #[serde(default)]
    pub for_you: bool,
    /// Read by the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_read: Option<bool>,
}
