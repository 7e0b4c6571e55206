//! REST request bodies and small response wrappers (misskey.md §8). The token key `i` is
//! deliberately not modelled: fronts read it separately and must never log it.

use serde::{Deserialize, Serialize};

use super::note::{Note, Visibility};

/// Pagination keys shared by list endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Exclusive lower bound id (alone → oldest first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_id: Option<String>,
    /// Exclusive upper bound id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_id: Option<String>,
    /// Page size 1–100 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Lower bound, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_date: Option<i64>,
    /// Upper bound, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_date: Option<i64>,
}

/// Poll parameters of `notes/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PollRequest {
    /// 2–10 choices.
    pub choices: Vec<String>,
    /// Multiple choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<bool>,
    /// Expiry, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Expiry after creation, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_after: Option<i64>,
}

/// `notes/create` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NoteCreateRequest {
    /// Text (1–3000 chars, may be `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Content warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cw: Option<String>,
    /// Visibility (default `public`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Recipients of a `specified` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_user_ids: Option<Vec<String>>,
    /// Local only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_only: Option<bool>,
    /// Reply target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<String>,
    /// Renote target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renote_id: Option<String>,
    /// Misskey-channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Attached files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_ids: Option<Vec<String>>,
    /// Attached files (legacy name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_ids: Option<Vec<String>>,
    /// Poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollRequest>,
}

/// `{"createdNote": Note}` — the `notes/create` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreatedNote {
    /// The new note.
    pub created_note: Note,
}

/// `{"noteId"}` body (`notes/show`, `notes/delete`, `notes/reactions/delete`, ...), plus
/// pagination for `notes/children` and friends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NoteIdRequest {
    /// Note id.
    pub note_id: String,
    /// Pagination (list endpoints only).
    #[serde(flatten)]
    pub pagination: Pagination,
}

/// `notes/reactions/create` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReactionRequest {
    /// Note id.
    pub note_id: String,
    /// `:name:` or a Unicode emoji.
    pub reaction: String,
}

/// `users/show` / `following/*` / `users/notes` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UserRequest {
    /// User id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Several user ids (`users/show`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
    /// Username (`users/show`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Host (`null` = local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Pagination (`users/notes`).
    #[serde(flatten)]
    pub pagination: Pagination,
}

/// `emojis` response. Items are `EmojiSimple` objects (not modelled: pnutkey serves `[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EmojisResponse {
    /// Custom emoji list (raw JSON `EmojiSimple`).
    pub emojis: Vec<serde_json::Value>,
}
