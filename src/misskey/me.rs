//! MeDetailed — what `POST /api/i` returns (misskey.md §6.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::user::UserDetailed;

fn none_stock() -> String {
    "none".to_owned()
}

/// The 38 keys `MeDetailedOnly` adds (all written; `email*`/`securityKeysList` optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeDetailedFields {
    /// Avatar drive file id.
    #[serde(default)]
    pub avatar_id: Option<String>,
    /// Banner drive file id.
    #[serde(default)]
    pub banner_id: Option<String>,
    /// Message shown to new followers.
    #[serde(default)]
    pub followed_message: Option<String>,
    /// Moderator flag.
    #[serde(default)]
    pub is_moderator: bool,
    /// Admin flag.
    #[serde(default)]
    pub is_admin: bool,
    /// Featured notes injected into the timeline.
    #[serde(default)]
    pub inject_featured_note: bool,
    /// Announcement e-mails.
    #[serde(default)]
    pub receive_announcement_email: bool,
    /// Always mark media NSFW.
    #[serde(default)]
    pub always_mark_nsfw: bool,
    /// Auto-detect sensitive media.
    #[serde(default)]
    pub auto_sensitive: bool,
    /// Require approval for bot followers.
    #[serde(default)]
    pub careful_bot: bool,
    /// Auto-accept follow requests from followed users.
    #[serde(default)]
    pub auto_accept_followed: bool,
    /// Opt out of search engines.
    #[serde(default)]
    pub no_crawle: bool,
    /// Opt out of AI learning.
    #[serde(default)]
    pub prevent_ai_learning: bool,
    /// Listed in explore.
    #[serde(default)]
    pub is_explorable: bool,
    /// Account deleted.
    #[serde(default)]
    pub is_deleted: bool,
    /// `full` | `partial` | `none`.
    #[serde(default = "none_stock")]
    pub two_factor_backup_codes_stock: String,
    /// Hide online status.
    #[serde(default)]
    pub hide_online_status: bool,
    /// Unread specified notes.
    #[serde(default)]
    pub has_unread_specified_notes: bool,
    /// Unread mentions.
    #[serde(default)]
    pub has_unread_mentions: bool,
    /// Unread announcement.
    #[serde(default)]
    pub has_unread_announcement: bool,
    /// Unread announcements (raw JSON Announcement objects).
    #[serde(default)]
    pub unread_announcements: Vec<Value>,
    /// Unread antenna.
    #[serde(default)]
    pub has_unread_antenna: bool,
    /// Unread Misskey-channel.
    #[serde(default)]
    pub has_unread_channel: bool,
    /// Unread chat messages.
    #[serde(default)]
    pub has_unread_chat_messages: bool,
    /// Unread notification.
    #[serde(default)]
    pub has_unread_notification: bool,
    /// Pending received follow request.
    #[serde(default)]
    pub has_pending_received_follow_request: bool,
    /// Unread notifications count.
    #[serde(default)]
    pub unread_notifications_count: u64,
    /// Muted words (raw JSON: strings or string lists).
    #[serde(default)]
    pub muted_words: Vec<Value>,
    /// Hard-muted words.
    #[serde(default)]
    pub hard_muted_words: Vec<Value>,
    /// Muted instances.
    #[serde(default)]
    pub muted_instances: Vec<String>,
    /// Per-type notification settings (may be `{}`). Misspelt as on the wire.
    #[serde(default)]
    pub notification_recieve_config: Map<String, Value>,
    /// E-mail notification types.
    #[serde(default)]
    pub email_notification_types: Vec<String>,
    /// Achievements `[{name, unlockedAt}]` (raw JSON).
    #[serde(default)]
    pub achievements: Vec<Value>,
    /// Days logged in.
    #[serde(default)]
    pub logged_in_days: u64,
    /// Role policies (raw JSON object; see [`default_role_policies`]).
    #[serde(default = "default_role_policies")]
    pub policies: Map<String, Value>,
    /// 2FA enabled.
    #[serde(default)]
    pub two_factor_enabled: bool,
    /// Password-less login.
    #[serde(default)]
    pub use_password_less_login: bool,
    /// Security keys registered.
    #[serde(default)]
    pub security_keys: bool,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E-mail verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Security keys (raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_keys_list: Option<Vec<Value>>,
}

impl Default for MeDetailedFields {
    fn default() -> Self {
        MeDetailedFields {
            avatar_id: None,
            banner_id: None,
            followed_message: None,
            is_moderator: false,
            is_admin: false,
            inject_featured_note: true,
            receive_announcement_email: true,
            always_mark_nsfw: false,
            auto_sensitive: false,
            careful_bot: false,
            auto_accept_followed: true,
            no_crawle: false,
            prevent_ai_learning: true,
            is_explorable: true,
            is_deleted: false,
            two_factor_backup_codes_stock: none_stock(),
            hide_online_status: false,
            has_unread_specified_notes: false,
            has_unread_mentions: false,
            has_unread_announcement: false,
            unread_announcements: Vec::new(),
            has_unread_antenna: false,
            has_unread_channel: false,
            has_unread_chat_messages: false,
            has_unread_notification: false,
            has_pending_received_follow_request: false,
            unread_notifications_count: 0,
            muted_words: Vec::new(),
            hard_muted_words: Vec::new(),
            muted_instances: Vec::new(),
            notification_recieve_config: Map::new(),
            email_notification_types: Vec::new(),
            achievements: Vec::new(),
            logged_in_days: 0,
            policies: default_role_policies(),
            two_factor_enabled: false,
            use_password_less_login: false,
            security_keys: false,
            email: None,
            email_verified: None,
            security_keys_list: None,
        }
    }
}

/// A permissive `RolePolicies` object with the keys clients are known to read
/// (`ltlAvailable`, `gtlAvailable`, `rateLimitFactor`, `chatAvailability`, ...). The full
/// 39-key list was not available offline; the values follow Misskey's base role defaults.
pub fn default_role_policies() -> Map<String, Value> {
    let policies = serde_json::json!({
        "gtlAvailable": true,
        "ltlAvailable": true,
        "canPublicNote": true,
        "mentionLimit": 20,
        "canInvite": false,
        "inviteLimit": 0,
        "inviteLimitCycle": 10080,
        "inviteExpirationTime": 0,
        "canManageCustomEmojis": false,
        "canManageAvatarDecorations": false,
        "canSearchNotes": false,
        "canSearchUsers": true,
        "canUseTranslator": true,
        "canHideAds": false,
        "driveCapacityMb": 100,
        "maxFileSizeMb": 30,
        "alwaysMarkNsfw": false,
        "canUpdateBioMedia": true,
        "pinLimit": 5,
        "antennaLimit": 5,
        "wordMuteLimit": 200,
        "webhookLimit": 3,
        "clipLimit": 10,
        "noteEachClipsLimit": 200,
        "userListLimit": 10,
        "userEachUserListsLimit": 50,
        "rateLimitFactor": 1,
        "avatarDecorationLimit": 1,
        "canImportAntennas": true,
        "canImportBlocking": true,
        "canImportFollowing": true,
        "canImportMuting": true,
        "canImportUserLists": true,
        "chatAvailability": "available",
        "uploadableFileTypes": ["*/*"],
        "noteDraftLimit": 10,
        "scheduledNoteLimit": 1,
        "watermarkAvailable": true
    });
    match policies {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `MeDetailed`: [`UserDetailed`] plus [`MeDetailedFields`], flattened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MeDetailed {
    /// UserLite + UserDetailedNotMe keys.
    #[serde(flatten)]
    pub user: UserDetailed,
    /// MeDetailedOnly keys.
    #[serde(flatten)]
    pub me: MeDetailedFields,
}
