//! Notification (misskey.md §6.5): `id`, `createdAt`, `type` plus per-type keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::note::Note;
use super::user::UserLite;

/// Notification type. Unknown types are kept in [`NotificationType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NotificationType {
    /// A subscribed user posted.
    Note,
    /// Mentioned.
    Mention,
    /// Replied to.
    Reply,
    /// Renoted.
    Renote,
    /// Quoted.
    Quote,
    /// Reacted to.
    Reaction,
    /// Poll ended.
    PollEnded,
    /// Followed.
    Follow,
    /// Follow request received.
    ReceiveFollowRequest,
    /// Follow request accepted.
    FollowRequestAccepted,
    /// Scheduled note posted.
    ScheduledNotePosted,
    /// Scheduled note failed.
    ScheduledNotePostFailed,
    /// Role assigned.
    RoleAssigned,
    /// Chat room invitation.
    ChatRoomInvitationReceived,
    /// Achievement earned.
    AchievementEarned,
    /// Export completed.
    ExportCompleted,
    /// App notification.
    App,
    /// Login.
    Login,
    /// Token created.
    CreateToken,
    /// Test notification.
    Test,
    /// Grouped reactions (`i/notifications-grouped` only).
    #[serde(rename = "reaction:grouped")]
    ReactionGrouped,
    /// Grouped renotes (`i/notifications-grouped` only).
    #[serde(rename = "renote:grouped")]
    RenoteGrouped,
    /// Any other type string.
    #[serde(untagged)]
    Other(String),
}

/// A notification. Per-type keys are optional and omitted when `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Notification id.
    pub id: String,
    /// Creation time.
    pub created_at: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// Acting user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserLite>,
    /// Acting user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Related note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// Reaction (for `reaction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    /// Message (for `followRequestAccepted`; `null` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Value>,
    /// Achievement name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement: Option<String>,
    /// Exported entity kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_entity: Option<String>,
    /// Exported file id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// App notification body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// App notification header (`null` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Value>,
    /// App notification icon (`null` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Value>,
    /// Role (raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Value>,
    /// Chat invitation (raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<Value>,
    /// Failed note draft (raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_draft: Option<Value>,
    /// Grouped reactions `[{user, reaction}]` (raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<Value>>,
    /// Grouped renoters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<UserLite>>,
}

impl Notification {
    /// A notification of `kind` with only the common keys set.
    pub fn new(
        id: impl Into<String>,
        created_at: impl Into<String>,
        kind: NotificationType,
    ) -> Self {
        Notification {
            id: id.into(),
            created_at: created_at.into(),
            kind,
            user: None,
            user_id: None,
            note: None,
            reaction: None,
            message: None,
            achievement: None,
            exported_entity: None,
            file_id: None,
            body: None,
            header: None,
            icon: None,
            role: None,
            invitation: None,
            note_draft: None,
            reactions: None,
            users: None,
        }
    }

    /// Sets `user` and `userId` together.
    pub fn with_user(mut self, user: UserLite) -> Self {
        self.user_id = Some(user.id.clone());
        self.user = Some(user);
        self
    }

    /// Sets `note`.
    pub fn with_note(mut self, note: Note) -> Self {
        self.note = Some(note);
        self
    }
}
