//! UserLite and UserDetailed (misskey.md §6.3). `MeDetailed` is in `me.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::note::Note;

/// Online status shown by clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum OnlineStatus {
    /// Hidden or unknown.
    #[default]
    Unknown,
    /// Online now.
    Online,
    /// Recently active.
    Active,
    /// Offline.
    Offline,
}

/// The compact user object embedded in notes and notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UserLite {
    /// User id.
    pub id: String,
    /// Display name (always written, may be `null`).
    #[serde(default)]
    pub name: Option<String>,
    /// Username without `@`.
    pub username: String,
    /// Host; `null` for local users (always written).
    #[serde(default)]
    pub host: Option<String>,
    /// Avatar URL (the server substitutes an identicon).
    #[serde(default)]
    pub avatar_url: String,
    /// Avatar blurhash (always written, may be `null`).
    #[serde(default)]
    pub avatar_blurhash: Option<String>,
    /// Avatar decorations.
    #[serde(default)]
    pub avatar_decorations: Vec<AvatarDecoration>,
    /// Custom emoji in the name: name → URL.
    #[serde(default)]
    pub emojis: BTreeMap<String, String>,
    /// Online status.
    #[serde(default)]
    pub online_status: OnlineStatus,
    /// Bot flag (always written by the server).
    #[serde(default)]
    pub is_bot: bool,
    /// Cat flag (always written by the server).
    #[serde(default)]
    pub is_cat: bool,
    /// Present (true) only when sign-in is required to view contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_signin_to_view_contents: Option<bool>,
    /// Epoch-ms threshold for followers-only notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_notes_followers_only_before: Option<i64>,
    /// Epoch-ms threshold for hidden notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_notes_hidden_before: Option<i64>,
    /// Remote instance info (remote users only), kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<Value>,
    /// Badge roles, kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge_roles: Option<Vec<Value>>,
}

/// An avatar decoration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AvatarDecoration {
    /// Decoration id.
    pub id: String,
    /// Image URL.
    pub url: String,
    /// Rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle: Option<f64>,
    /// Horizontal flip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flip_h: Option<bool>,
    /// X offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_x: Option<f64>,
    /// Y offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_y: Option<f64>,
}

/// A profile field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProfileField {
    /// Label.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A role summary (`RoleLite`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RoleLite {
    /// Role id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Colour (may be `null`).
    #[serde(default)]
    pub color: Option<String>,
    /// Icon URL (may be `null`).
    #[serde(default)]
    pub icon_url: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Moderator role.
    #[serde(default)]
    pub is_moderator: bool,
    /// Administrator role.
    #[serde(default)]
    pub is_administrator: bool,
    /// Display order.
    #[serde(default)]
    pub display_order: i64,
}

fn public() -> String {
    "public".to_owned()
}

fn everyone() -> String {
    "everyone".to_owned()
}

/// The keys `UserDetailedNotMe` adds to [`UserLite`] (all required keys always written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetailedFields {
    /// Profile web URL (`null` for local users).
    #[serde(default)]
    pub url: Option<String>,
    /// ActivityPub URI (`null` for local users).
    #[serde(default)]
    pub uri: Option<String>,
    /// Moved-to account URI.
    #[serde(default)]
    pub moved_to: Option<String>,
    /// Alias URIs.
    #[serde(default)]
    pub also_known_as: Option<Vec<String>>,
    /// Account creation time.
    #[serde(default)]
    pub created_at: String,
    /// Last profile update.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Last remote fetch.
    #[serde(default)]
    pub last_fetched_at: Option<String>,
    /// Banner URL.
    #[serde(default)]
    pub banner_url: Option<String>,
    /// Banner blurhash.
    #[serde(default)]
    pub banner_blurhash: Option<String>,
    /// Follow requests required.
    #[serde(default)]
    pub is_locked: bool,
    /// Silenced by moderators.
    #[serde(default)]
    pub is_silenced: bool,
    /// Suspended.
    #[serde(default)]
    pub is_suspended: bool,
    /// Bio.
    #[serde(default)]
    pub description: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<String>,
    /// Birthday `YYYY-MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// Language.
    #[serde(default)]
    pub lang: Option<String>,
    /// Profile fields.
    #[serde(default)]
    pub fields: Vec<ProfileField>,
    /// Verified links.
    #[serde(default)]
    pub verified_links: Vec<String>,
    /// Followers count.
    #[serde(default)]
    pub followers_count: u64,
    /// Following count.
    #[serde(default)]
    pub following_count: u64,
    /// Notes count.
    #[serde(default)]
    pub notes_count: u64,
    /// Pinned note ids.
    #[serde(default)]
    pub pinned_note_ids: Vec<String>,
    /// Pinned notes.
    #[serde(default)]
    pub pinned_notes: Vec<Note>,
    /// Pinned page id.
    #[serde(default)]
    pub pinned_page_id: Option<String>,
    /// Pinned page (raw JSON).
    #[serde(default)]
    pub pinned_page: Option<Value>,
    /// Reactions are public.
    #[serde(default)]
    pub public_reactions: bool,
    /// `public` | `followers` | `private`.
    #[serde(default = "public")]
    pub following_visibility: String,
    /// `public` | `followers` | `private`.
    #[serde(default = "public")]
    pub followers_visibility: String,
    /// `everyone` | `following` | `followers` | `mutual` | `none`.
    #[serde(default = "everyone")]
    pub chat_scope: String,
    /// Whether the viewer can chat with this user.
    #[serde(default)]
    pub can_chat: bool,
    /// Public roles.
    #[serde(default)]
    pub roles: Vec<RoleLite>,
    /// The viewer's memo about this user.
    #[serde(default)]
    pub memo: Option<String>,
    /// Viewer follows this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_following: Option<bool>,
    /// This user follows the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_followed: Option<bool>,
    /// Pending follow request from the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_pending_follow_request_from_you: Option<bool>,
    /// Pending follow request to the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_pending_follow_request_to_you: Option<bool>,
    /// Viewer blocks this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_blocking: Option<bool>,
    /// This user blocks the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_blocked: Option<bool>,
    /// Viewer mutes this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_muted: Option<bool>,
    /// Viewer mutes this user's renotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_renote_muted: Option<bool>,
    /// Notification setting for this user's notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
    /// Follow includes replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_replies: Option<bool>,
}

impl Default for UserDetailedFields {
    fn default() -> Self {
        UserDetailedFields {
            url: None,
            uri: None,
            moved_to: None,
            also_known_as: None,
            created_at: String::new(),
            updated_at: None,
            last_fetched_at: None,
            banner_url: None,
            banner_blurhash: None,
            is_locked: false,
            is_silenced: false,
            is_suspended: false,
            description: None,
            location: None,
            birthday: None,
            lang: None,
            fields: Vec::new(),
            verified_links: Vec::new(),
            followers_count: 0,
            following_count: 0,
            notes_count: 0,
            pinned_note_ids: Vec::new(),
            pinned_notes: Vec::new(),
            pinned_page_id: None,
            pinned_page: None,
            public_reactions: true,
            following_visibility: public(),
            followers_visibility: public(),
            chat_scope: everyone(),
            can_chat: false,
            roles: Vec::new(),
            memo: None,
            is_following: None,
            is_followed: None,
            has_pending_follow_request_from_you: None,
            has_pending_follow_request_to_you: None,
            is_blocking: None,
            is_blocked: None,
            is_muted: None,
            is_renote_muted: None,
            notify: None,
            with_replies: None,
        }
    }
}

/// `UserDetailedNotMe`: [`UserLite`] plus [`UserDetailedFields`], flattened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserDetailed {
    /// The UserLite keys.
    #[serde(flatten)]
    pub lite: UserLite,
    /// The detailed keys.
    #[serde(flatten)]
    pub detail: UserDetailedFields,
}
