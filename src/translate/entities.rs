//! pnut `content.entities` (mentions, tags, links) computed from plain text, with positions and
//! lengths in Unicode code points (pnut-api.md §6.2).

use crate::pnut::{Entities, Link, Mention, Tag};

/// The id given to a mention whose user the caller cannot resolve.
pub const UNKNOWN_MENTION_ID: &str = "0";

/// Computes pnut entities from plain text. `resolve_mention` maps a mention's text (`user` or
/// `user@host`) to a pnut user id; unresolved mentions get [`UNKNOWN_MENTION_ID`].
pub fn entities_from_text(
    text: &str,
    resolve_mention: &dyn Fn(&str) -> Option<String>,
) -> Entities {
    let chars: Vec<char> = text.chars().collect();
    let mut entities = Entities::default();
    let mut seen_content = false;
    let mut last_copy_end: Option<usize> = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        if let Some(len) = link_len(&chars, i, prev) {
            let link: String = chars.iter().skip(i).take(len).collect();
            entities.links.push(Link {
                pos: to_u32(i),
                len: to_u32(len),
                text: link.clone(),
                url: link,
                ..Link::default()
            });
            seen_content = true;
            i += len;
            continue;
        }
        if c == '@'
            && !prev.is_some_and(is_word_char)
            && let Some(len) = mention_len(&chars, i)
        {
            let name: String = chars.iter().skip(i + 1).take(len - 1).collect();
            let after_slash = prev == Some('/');
            let after_copy = last_copy_end.is_some_and(|end| {
                chars
                    .iter()
                    .skip(end)
                    .take(i - end)
                    .all(|ch| ch.is_whitespace())
            });
            let is_copy = after_slash || after_copy;
            last_copy_end = is_copy.then_some(i + len);
            entities.mentions.push(Mention {
                pos: to_u32(i),
                len: to_u32(len),
                id: resolve_mention(&name).unwrap_or_else(|| UNKNOWN_MENTION_ID.to_owned()),
                text: name,
                is_leading: (!seen_content).then_some(true),
                is_copy: is_copy.then_some(true),
            });
            i += len;
            continue;
        }
        if c == '#'
            && !prev.is_some_and(|p| is_word_char(p) || p == '&')
            && let Some(len) = tag_len(&chars, i)
        {
            let tag: String = chars.iter().skip(i + 1).take(len - 1).collect();
            entities.tags.push(Tag {
                pos: to_u32(i),
                len: to_u32(len),
                text: tag,
            });
            seen_content = true;
            i += len;
            continue;
        }
        if c.is_alphanumeric() {
            seen_content = true;
        }
        i += 1;
    }
    entities
}

/// A code point offset as pnut's `u32` (texts are far below 4 G code points; saturates).
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length of an `http://` / `https://` link starting at `start`, trailing punctuation excluded.
fn link_len(chars: &[char], start: usize, prev: Option<char>) -> Option<usize> {
    if prev.is_some_and(is_word_char) {
        return None;
    }
    let scheme_len = ["https://", "http://"].iter().find_map(|scheme| {
        let matches = scheme.chars().enumerate().all(|(k, s)| {
            chars
                .get(start + k)
                .is_some_and(|c| c.to_ascii_lowercase() == s)
        });
        matches.then_some(scheme.len())
    })?;
    let mut end = start + scheme_len;
    while chars
        .get(end)
        .is_some_and(|&c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"'))
    {
        end += 1;
    }
    // Trim trailing punctuation; keep a ')' that closes a '(' inside the link.
    while end > start + scheme_len {
        let Some(&last) = chars.get(end - 1) else {
            break;
        };
        let body = chars.get(start..end).unwrap_or_default();
        let opens = body.iter().filter(|&&c| c == '(').count();
        let closes = body.iter().filter(|&&c| c == ')').count();
        let trailing_punct = matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*');
        if trailing_punct || (last == ')' && closes > opens) {
            end -= 1;
        } else {
            break;
        }
    }
    (end > start + scheme_len).then_some(end - start)
}

/// Length of a mention (`@user` or `@user@host`) starting at the `@` at `start`.
fn mention_len(chars: &[char], start: usize) -> Option<usize> {
    let is_user_char = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let user_len = chars
        .iter()
        .skip(start + 1)
        .take_while(|c| is_user_char(c))
        .count();
    if user_len == 0 {
        return None;
    }
    let user_end = start + 1 + user_len;
    if chars.get(user_end) == Some(&'@') {
        let is_host_char = |c: &char| c.is_ascii_alphanumeric() || *c == '.' || *c == '-';
        let host: Vec<char> = chars
            .iter()
            .skip(user_end + 1)
            .take_while(|c| is_host_char(c))
            .copied()
            .collect();
        let trimmed = host
            .iter()
            .rposition(|c| c.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        if trimmed > 0 {
            return Some(user_end + 1 + trimmed - start);
        }
    }
    Some(user_end - start)
}

/// Length of a tag starting at the `#` at `start`; tags of only digits are not tags.
fn tag_len(chars: &[char], start: usize) -> Option<usize> {
    let body: Vec<char> = chars
        .iter()
        .skip(start + 1)
        .take_while(|&&c| is_word_char(c))
        .copied()
        .collect();
    let has_non_digit = body.iter().any(|c| !c.is_ascii_digit());
    (has_non_digit).then_some(body.len() + 1)
}
