//! pnut `content` (`text`, `html`, `entities`) built from plain text.

use crate::pnut::Content;

use super::entities::entities_from_text;
use super::html::html_from_entities;

/// Builds pnut `content` (`text`, `html`, `entities`) from `text`; `resolve_mention` maps
/// `user`/`user@host` to a pnut user id.
pub fn content_from_text(text: &str, resolve_mention: &dyn Fn(&str) -> Option<String>) -> Content {
    let entities = entities_from_text(text, resolve_mention);
    Content {
        text: text.to_owned(),
        html: Some(html_from_entities(text, &entities)),
        entities,
    }
}
