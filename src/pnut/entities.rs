//! Text entities (pnut-api.md §6.2). `pos`/`len` count Unicode code points.

use serde::{Deserialize, Serialize};

/// Entities of a post, message or user description; the three lists are always written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Entities {
    /// Links in the text.
    #[serde(default)]
    pub links: Vec<Link>,
    /// `@user` mentions.
    #[serde(default)]
    pub mentions: Vec<Mention>,
    /// `#tag` hashtags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A link entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Link {
    /// Start, in code points.
    pub pos: u32,
    /// Length, in code points.
    pub len: u32,
    /// Anchor text.
    pub text: String,
    /// Target URL.
    pub url: String,
    /// Optional link title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Length including an appended domain, when pnut amended the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amended_len: Option<u32>,
}

/// A mention entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Mention {
    /// Start, in code points (of the `@`).
    pub pos: u32,
    /// Length, in code points (including the `@`).
    pub len: u32,
    /// Username without `@`.
    pub text: String,
    /// Mentioned user's id.
    pub id: String,
    /// Present (true) when the mention leads the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_leading: Option<bool>,
    /// Present (true) for copy mentions (`/@user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_copy: Option<bool>,
}

/// A hashtag entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Tag {
    /// Start, in code points (of the `#`).
    pub pos: u32,
    /// Length, in code points (including the `#`).
    pub len: u32,
    /// Tag without `#`.
    pub text: String,
}
