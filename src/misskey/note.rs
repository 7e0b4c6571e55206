//! Note entity (misskey.md §6.2, §11.7).
//!
//! Keys the server always writes are plain fields (nullable ones as `Option` *without*
//! `skip_serializing_if`, so they serialize as `null`); keys the server omits when unset are
//! `Option` with `skip_serializing_if`, so they are absent, never `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::drive::DriveFile;
use super::user::UserLite;

/// Note visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Visibility {
    /// Everyone, all timelines.
    #[default]
    Public,
    /// Everyone, but not on public timelines.
    Home,
    /// Followers only.
    Followers,
    /// Listed users only (`visibleUserIds`).
    Specified,
}

/// A Misskey note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Note id (e.g. aidx, 16 chars).
    pub id: String,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Author id.
    pub user_id: String,
    /// Author.
    pub user: UserLite,
    /// Text; `null` for pure renotes (always written).
    #[serde(default)]
    pub text: Option<String>,
    /// Content warning (always written, `null` when none).
    #[serde(default)]
    pub cw: Option<String>,
    /// Visibility.
    #[serde(default)]
    pub visibility: Visibility,
    /// Local-only flag (always written).
    #[serde(default)]
    pub local_only: bool,
    /// Reaction acceptance policy (always written, usually `null`).
    #[serde(default)]
    pub reaction_acceptance: Option<String>,
    /// Renote count.
    #[serde(default)]
    pub renote_count: u64,
    /// Direct reply count.
    #[serde(default)]
    pub replies_count: u64,
    /// Sum of `reactions`.
    #[serde(default)]
    pub reaction_count: u64,
    /// Reaction → count.
    #[serde(default)]
    pub reactions: BTreeMap<String, u64>,
    /// Remote custom emoji in `reactions`: `name@host` → URL.
    #[serde(default)]
    pub reaction_emojis: BTreeMap<String, String>,
    /// Attached file ids (always written).
    #[serde(default)]
    pub file_ids: Vec<String>,
    /// Attached files (always written).
    #[serde(default)]
    pub files: Vec<DriveFile>,
    /// Parent note id (always written, `null` when none).
    #[serde(default)]
    pub reply_id: Option<String>,
    /// Renoted note id (always written, `null` when none).
    #[serde(default)]
    pub renote_id: Option<String>,
    /// Parent note (detail packs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Box<Note>>,
    /// Renoted note (detail packs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renote: Option<Box<Note>>,
    /// Recipients of a `specified` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_user_ids: Option<Vec<String>>,
    /// Mentioned user ids (only when non-empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    /// Hashtags (only when non-empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Custom emoji in text (remote notes only): name → URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emojis: Option<BTreeMap<String, String>>,
    /// Poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    /// Present (true) with a poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_poll: Option<bool>,
    /// Misskey-channel id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Misskey-channel summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<NoteChannel>,
    /// ActivityPub URI (remote notes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Web URL (remote notes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The viewer's reaction (detail packs with a known viewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_reaction: Option<String>,
    /// Clip count (detail packs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipped_count: Option<u64>,
    /// `"<userId>/<reaction>"` pairs (stream `note` events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction_and_user_pair_cache: Option<Vec<String>>,
    /// Present (true) when content is hidden for the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_hidden: Option<bool>,
    /// Deletion time (in the schema; not set by the server's pack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

impl Note {
    /// True for a pure renote: `renoteId` set and no text, cw, reply, poll or files.
    pub fn is_pure_renote(&self) -> bool {
        self.renote_id.is_some()
            && self.text.is_none()
            && self.cw.is_none()
            && self.reply_id.is_none()
            && self.poll.is_none()
            && self.file_ids.is_empty()
    }
}

/// A note's poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    /// Expiry time, or `null` for no expiry (always written).
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Whether several choices may be voted.
    #[serde(default)]
    pub multiple: bool,
    /// Choices.
    #[serde(default)]
    pub choices: Vec<PollChoice>,
}

/// One poll choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PollChoice {
    /// Choice text.
    pub text: String,
    /// Votes.
    #[serde(default)]
    pub votes: u64,
    /// Whether the viewer voted for it.
    #[serde(default)]
    pub is_voted: bool,
}

/// Misskey-channel summary embedded in a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NoteChannel {
    /// Channel id.
    pub id: String,
    /// Channel name.
    pub name: String,
    /// Colour, e.g. `#86b300`.
    #[serde(default)]
    pub color: String,
    /// Sensitive flag.
    #[serde(default)]
    pub is_sensitive: bool,
    /// Whether renotes outside the channel are allowed.
    #[serde(default)]
    pub allow_renote_to_external: bool,
    /// Owner id.
    #[serde(default)]
    pub user_id: Option<String>,
}
