//! An action on the caller's content (`GET /users/me/actions`, pnut's interactions): who did
//! what to which of my objects.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::user::User;

/// One action. `objects` are posts (`reply`: the reply; `repost`, `bookmark`: my post) or
/// users (`follow`: me), kept as JSON and read per `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Action {
    /// Pagination id (the action list's order).
    pub pagination_id: String,
    /// When it happened.
    #[serde(default)]
    pub event_date: String,
    /// `reply`, `repost`, `bookmark`, `follow` (or another pnut action type).
    pub action: String,
    /// Who acted.
    #[serde(default)]
    pub users: Vec<User>,
    /// What was acted on.
    #[serde(default)]
    pub objects: Vec<Value>,
}
