//! Misskey-channel entity (misskey.md §6.4) — the topic-room feature, not a streaming channel.

use serde::{Deserialize, Serialize};

use super::note::Note;

/// A Misskey-channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// Channel id.
    pub id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// Last note time (may be `null`).
    #[serde(default)]
    pub last_noted_at: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description (may be `null`).
    #[serde(default)]
    pub description: Option<String>,
    /// Owner id (may be `null`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Banner URL (may be `null`).
    #[serde(default)]
    pub banner_url: Option<String>,
    /// Banner file id (may be `null`).
    #[serde(default)]
    pub banner_id: Option<String>,
    /// Pinned note ids.
    #[serde(default)]
    pub pinned_note_ids: Vec<String>,
    /// Colour.
    #[serde(default)]
    pub color: String,
    /// Archived flag.
    #[serde(default)]
    pub is_archived: bool,
    /// Member count.
    #[serde(default)]
    pub users_count: u64,
    /// Note count.
    #[serde(default)]
    pub notes_count: u64,
    /// Sensitive flag.
    #[serde(default)]
    pub is_sensitive: bool,
    /// Renotes outside allowed.
    #[serde(default)]
    pub allow_renote_to_external: bool,
    /// Viewer follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_following: Option<bool>,
    /// Viewer favourited it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_favorited: Option<bool>,
    /// Viewer muted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_muting: Option<bool>,
    /// Pinned notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_notes: Option<Vec<Note>>,
}
