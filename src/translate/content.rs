//! pnut `content` (`text`, `html`, `entities`) built from plain text.

use serde::{Deserialize, Serialize};

use super::entities::{Entities, entities_from_text};
use super::html::html_from_entities;

/// pnut's `content` object of a post or message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// The plain text.
    pub text: String,
    /// The html rendering (pnut's shape).
    pub html: String,
    /// Mentions, tags and links, positions in code points.
    pub entities: Entities,
}

/// Builds `content` from `text`; `resolve_mention` maps `user`/`user@host` to a pnut user id.
pub fn content_from_text(text: &str, resolve_mention: &dyn Fn(&str) -> Option<String>) -> Content {
    let entities = entities_from_text(text, resolve_mention);
    Content {
        text: text.to_owned(),
        html: html_from_entities(text, &entities),
        entities,
    }
}
