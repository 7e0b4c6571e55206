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

/// Splits an NSFW pnut text into Misskey (`cw`, `text`): the first line is the warning; a
/// one-line text keeps all of it as `text` and gets `default_cw`. Not NSFW: no `cw`.
pub(crate) fn split_cw(text: &str, nsfw: bool, default_cw: &str) -> (Option<String>, String) {
    if !nsfw {
        return (None, text.to_owned());
    }
    match text.split_once('\n') {
        Some((first, rest)) => (Some(first.to_owned()), rest.to_owned()),
        None => (Some(default_cw.to_owned()), text.to_owned()),
    }
}

/// Joins a Misskey `cw` and `text` into one pnut text: the CW line, a newline, the text.
pub(crate) fn join_cw(cw: Option<&str>, text: Option<&str>) -> String {
    match cw {
        Some(cw) => format!("{cw}\n{}", text.unwrap_or_default()),
        None => text.unwrap_or_default().to_owned(),
    }
}
