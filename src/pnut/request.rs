//! REST request bodies a client sends to pnut (pnut-api.md §7).

use serde::{Deserialize, Serialize};

use super::raw::Raw;

/// Entity parsing options of a post/message body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EntityOptions {
    /// Parse bare links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_links: Option<bool>,
    /// Parse `[text](url)` markdown links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_markdown_links: Option<bool>,
}

/// `POST /posts` and `PUT /posts/{id}` JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PostRequest {
    /// Post text (≤256 code points).
    pub text: String,
    /// Parent post id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// NSFW flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_nsfw: Option<bool>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Entity parsing options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityOptions>,
}

/// `POST /channels/{id}/messages` (and `/channels/pm/messages`) JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MessageRequest {
    /// Message text (≤2048 code points).
    pub text: String,
    /// Parent message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// NSFW flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_nsfw: Option<bool>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Entity parsing options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityOptions>,
    /// PM recipients (user ids or `@name`), for `/channels/pm/messages` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<String>>,
}

/// One item of the `POST /markers` JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MarkerUpdate {
    /// Stream name, e.g. `channel:12`, `personal`.
    pub name: String,
    /// Last read id.
    pub id: String,
    /// Read percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<u32>,
}
