//! pnut polls (pnut's polls resource: `POST /polls`, `GET /polls/{id}`,
//! `PUT /polls/{id}/response`) and the `io.pnut.core.poll-notice` raw a post carries to
//! announce one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::raw::Raw;
use super::user::User;

/// Raw type announcing a poll on a post.
pub const POLL_NOTICE_RAW_TYPE: &str = "io.pnut.core.poll-notice";
/// The `type` of a general poll.
pub const GENERAL_POLL_TYPE: &str = "general.poll";

/// A poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Poll {
    /// Poll id.
    pub id: String,
    /// Poll type (reverse-DNS, e.g. `general.poll`).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Creation time (ISO 8601).
    #[serde(default)]
    pub created_at: String,
    /// When it closes / closed (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The question.
    #[serde(default)]
    pub prompt: String,
    /// Options, by position (1-based).
    #[serde(default)]
    pub options: Vec<PollOption>,
    /// How many options one response may choose.
    #[serde(default = "one")]
    pub max_options: u32,
    /// Respondents are hidden.
    #[serde(default)]
    pub is_anonymous: bool,
    /// Readable without the poll token.
    #[serde(default)]
    pub is_public: bool,
    /// Token to read and respond (given to its creator, and inside poll notices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_token: Option<String>,
    /// The caller responded (authenticated calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you_responded: Option<bool>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

fn one() -> u32 {
    1
}

/// One poll option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PollOption {
    /// Option text.
    pub text: String,
    /// 1-based position.
    pub position: u32,
    /// Responses choosing it.
    #[serde(default)]
    pub respondents: u64,
    /// The caller chose it (authenticated calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_your_response: Option<bool>,
    /// It has the most responses (ties included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greatest_vote: Option<bool>,
    /// Who chose it (not on anonymous polls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondent_ids: Option<Vec<String>>,
}

/// The `io.pnut.core.poll-notice` value on a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PollNotice {
    /// The poll.
    pub poll_id: String,
    /// Its token (lets any reader of the post read and answer the poll).
    pub poll_token: String,
    /// The question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// When it closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

/// The poll notice of a raw map, if one parses.
pub fn poll_notice(raw: &Raw) -> Option<PollNotice> {
    raw.get(POLL_NOTICE_RAW_TYPE)?
        .iter()
        .find_map(|item| PollNotice::deserialize(item).ok())
}

/// The raw announcing poll `id` on a new post: pnut's `+io.pnut.core.poll` replacement value,
/// which pnut expands into the full notice.
pub fn poll_notice_request(poll_id: &str, poll_token: &str) -> Raw {
    let value = serde_json::json!({
        "+io.pnut.core.poll": {"poll_id": poll_id, "poll_token": poll_token}
    });
    Raw::from([(POLL_NOTICE_RAW_TYPE.to_owned(), vec![value])])
}

/// A `POST /polls` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PollRequest {
    /// Poll type (`general.poll`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The question.
    pub prompt: String,
    /// Options (`{text}` each).
    pub options: Vec<Value>,
    /// Minutes until it closes.
    pub duration: u64,
    /// How many options one response may choose.
    #[serde(default = "one")]
    pub max_options: u32,
    /// Hide respondents.
    #[serde(default)]
    pub is_anonymous: bool,
    /// Readable without the token.
    #[serde(default)]
    pub is_public: bool,
}
