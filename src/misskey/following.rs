//! Following relation (`users/followers`, `users/following` items; misskey.md §8).

use serde::{Deserialize, Serialize};

use super::user::UserDetailed;

/// One follow relation. `followee` is set by `users/following`, `follower` by
/// `users/followers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Following {
    /// Relation id (pagination key).
    pub id: String,
    /// When the follow happened.
    #[serde(default)]
    pub created_at: String,
    /// Followed user id.
    pub followee_id: String,
    /// Following user id.
    pub follower_id: String,
    /// Followed user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followee: Option<Box<UserDetailed>>,
    /// Following user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower: Option<Box<UserDetailed>>,
}
