//! Path templates of the mapping tables and the catalogue: `{param}` placeholders, matching a
//! concrete path against a pattern, and checking a configured template against a pattern.

/// How many segments of a pattern are literal (not placeholders).
pub fn literal_segment_count(pattern: &str) -> usize {
    path_segments(pattern)
        .iter()
        .filter(|s| placeholder_name(s).is_none())
        .count()
}

/// Matches a concrete path against a pattern: the placeholder captures, or `None`. A
/// placeholder takes one segment, even an empty one (callers check the values).
pub fn match_path(pattern: &str, path: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let pattern_segments = path_segments(pattern);
    let path_segments = path_segments(path);
    if pattern_segments.len() != path_segments.len() {
        return None;
    }
    let mut captures = std::collections::BTreeMap::new();
    for (p, s) in pattern_segments.iter().zip(&path_segments) {
        match placeholder_name(p) {
            Some(name) => {
                captures.insert(name.to_owned(), (*s).to_owned());
            }
            None if p == s => {}
            None => return None,
        }
    }
    Some(captures)
}

/// Whether `template` (a configured path, possibly with `{param}` placeholders or concrete
/// segments) fits one of the `patterns`.
pub fn fits_any(patterns: &[&str], template: &str) -> bool {
    patterns
        .iter()
        .any(|pattern| template_fits(pattern, template))
}

/// Whether a configured path `template` fits a catalogue `pattern`: same segment count, literal
/// segments equal, a pattern placeholder accepts any non-empty segment.
pub fn template_fits(pattern: &str, template: &str) -> bool {
    let pattern_segments = path_segments(pattern);
    let template_segments = path_segments(template);
    template.starts_with('/')
        && pattern_segments.len() == template_segments.len()
        && pattern_segments
            .iter()
            .zip(&template_segments)
            .all(|(p, t)| match placeholder_name(p) {
                Some(_) => !t.is_empty(),
                None => p == t,
            })
}

/// The `/`-separated segments of a path, without the leading empty one and a trailing slash.
pub fn path_segments(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// `Some(name)` when a whole segment is a `{name}` placeholder.
pub fn placeholder_name(segment: &str) -> Option<&str> {
    segment
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|name| !name.is_empty() && !name.contains(['{', '}']))
}

/// One piece of a template string: literal text or a `{name}` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart<'a> {
    /// Text copied as is.
    Literal(&'a str),
    /// A `{name}` placeholder.
    Placeholder(&'a str),
}

/// Splits a template into literal text and `{name}` placeholders; `Err` describes unbalanced or
/// empty braces.
pub fn template_parts(template: &str) -> Result<Vec<TemplatePart<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let (literal, tail) = rest.split_at(open);
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        if tail.starts_with('}') {
            return Err(format!("unbalanced '}}' in {template:?}"));
        }
        let after_open = tail.get(1..).unwrap_or("");
        let Some(close) = after_open.find('}') else {
            return Err(format!("unclosed '{{' in {template:?}"));
        };
        let name = after_open.get(..close).unwrap_or("");
        if name.is_empty() || name.contains('{') {
            return Err(format!("bad placeholder in {template:?}"));
        }
        parts.push(TemplatePart::Placeholder(name));
        rest = after_open.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Literal(rest));
    }
    Ok(parts)
}

/// The placeholder names of a template, in order (empty when the template is malformed).
pub fn template_placeholders(template: &str) -> Vec<&str> {
    template_parts(template)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|part| match part {
            TemplatePart::Placeholder(name) => Some(name),
            TemplatePart::Literal(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fit_patterns() {
        assert!(template_fits(
            "/channels/{channel_id}/messages",
            "/channels/{channelId}/messages"
        ));
        assert!(template_fits(
            "/channels/{channel_id}/messages",
            "/channels/12/messages"
        ));
        assert!(!template_fits("/posts/streams/me", "/posts/streams/nope"));
        assert!(!template_fits("/posts/streams/me", "posts/streams/me"));
    }

    #[test]
    fn template_parts_reject_bad_braces() {
        assert!(template_parts("/a/{x").is_err());
        assert!(template_parts("/a/x}").is_err());
        assert!(template_parts("/a/{}").is_err());
        assert_eq!(template_placeholders("/c/{a}/m/{b}"), vec!["a", "b"]);
    }
}
