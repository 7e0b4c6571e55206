//! Typed bodies of `noteUpdated` events (misskey.md §5).

use serde::{Deserialize, Serialize};

/// `reacted` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReactedBody {
    /// Decoded reaction (`:name@.:`, `:name@host:` or a Unicode emoji).
    pub reaction: String,
    /// Custom emoji info; `null` for Unicode reactions (always written).
    #[serde(default)]
    pub emoji: Option<ReactionEmoji>,
    /// Reacting user id.
    pub user_id: String,
}

/// Custom emoji of a reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReactionEmoji {
    /// `name@host` or `name@.`.
    pub name: String,
    /// Image URL.
    pub url: String,
}

/// `unreacted` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UnreactedBody {
    /// Removed reaction.
    pub reaction: String,
    /// User id.
    pub user_id: String,
}

/// `deleted` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBody {
    /// Deletion time, ISO with milliseconds.
    pub deleted_at: String,
}

/// `pollVoted` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PollVotedBody {
    /// Choice index.
    pub choice: u32,
    /// Voter id.
    pub user_id: String,
}

/// `updated` body (forks and 2023.9.2–2023.9.3 only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdatedBody {
    /// New content warning.
    pub cw: Option<String>,
    /// New text.
    pub text: String,
}

/// A typed `noteUpdated` event: `type` + `body`, adjacently tagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "camelCase")]
pub enum NoteUpdatedEvent {
    /// Someone reacted.
    Reacted(ReactedBody),
    /// Someone removed a reaction.
    Unreacted(UnreactedBody),
    /// The note was deleted.
    Deleted(DeletedBody),
    /// Someone voted in the poll.
    PollVoted(PollVotedBody),
    /// The note was edited (forks only).
    Updated(UpdatedBody),
}

impl NoteUpdatedEvent {
    /// The wire `type` of the event.
    pub fn type_name(&self) -> &'static str {
        match self {
            NoteUpdatedEvent::Reacted(_) => "reacted",
            NoteUpdatedEvent::Unreacted(_) => "unreacted",
            NoteUpdatedEvent::Deleted(_) => "deleted",
            NoteUpdatedEvent::PollVoted(_) => "pollVoted",
            NoteUpdatedEvent::Updated(_) => "updated",
        }
    }

    /// Decodes a `noteUpdated` frame's `type` and `body`.
    pub fn from_parts(kind: &str, body: &serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "type": kind, "body": body }))
    }

    /// The `body` as JSON.
    pub fn body_value(&self) -> serde_json::Value {
        let result = match self {
            NoteUpdatedEvent::Reacted(body) => serde_json::to_value(body),
            NoteUpdatedEvent::Unreacted(body) => serde_json::to_value(body),
            NoteUpdatedEvent::Deleted(body) => serde_json::to_value(body),
            NoteUpdatedEvent::PollVoted(body) => serde_json::to_value(body),
            NoteUpdatedEvent::Updated(body) => serde_json::to_value(body),
        };
        result.unwrap_or(serde_json::Value::Null)
    }
}

impl super::server_message::ServerMessage {
    /// Builds a `noteUpdated` frame for note `note_id`.
    pub fn note_updated(note_id: impl Into<String>, event: &NoteUpdatedEvent) -> Self {
        super::server_message::ServerMessage::NoteUpdated {
            id: note_id.into(),
            kind: event.type_name().to_owned(),
            body: event.body_value(),
        }
    }
}
