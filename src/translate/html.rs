//! pnut `content.html` built from a text and its entities (pnut-api.md §6.1/§6.2).

use crate::pnut::Entities;

/// The `itemscope` wrapper pnut puts around post html.
const POST_SCOPE: &str = "https://pnut.io/schemas/Post";

/// One entity's span of the text, in code points, and how to render it.
enum Span<'a> {
    Link { url: &'a str },
    Mention { id: &'a str, name: &'a str },
    Tag { name: &'a str },
}

/// Builds pnut's html for `text`: wrapped in `<span itemscope="https://pnut.io/schemas/Post">`,
/// mentions/tags as `itemprop` spans, links as `<a href>`, `&<>"'` escaped, newlines as `<br>`.
/// Entities that overlap an earlier one or fall outside the text are ignored.
pub fn html_from_entities(text: &str, entities: &Entities) -> String {
    let mut spans: Vec<(usize, usize, Span<'_>)> = Vec::new();
    spans.extend(
        entities
            .links
            .iter()
            .map(|l| (l.pos as usize, l.len as usize, Span::Link { url: &l.url })),
    );
    spans.extend(entities.mentions.iter().map(|m| {
        (
            m.pos as usize,
            m.len as usize,
            Span::Mention {
                id: &m.id,
                name: &m.text,
            },
        )
    }));
    spans.extend(
        entities
            .tags
            .iter()
            .map(|t| (t.pos as usize, t.len as usize, Span::Tag { name: &t.text })),
    );
    spans.sort_by_key(|(pos, _, _)| *pos);

    let chars: Vec<char> = text.chars().collect();
    let mut out = format!("<span itemscope=\"{POST_SCOPE}\">");
    let mut cursor = 0;
    for (pos, len, span) in spans {
        let end = pos.saturating_add(len);
        if pos < cursor || end > chars.len() || len == 0 {
            continue;
        }
        push_text(&mut out, chars.get(cursor..pos).unwrap_or_default());
        let inner: String = chars.get(pos..end).unwrap_or_default().iter().collect();
        let inner = escape(&inner);
        match span {
            Span::Link { url } => {
                out.push_str(&format!("<a href=\"{}\">{inner}</a>", escape(url)));
            }
            Span::Mention { id, name } => out.push_str(&format!(
                "<span data-mention-id=\"{}\" data-mention-name=\"{}\" itemprop=\"mention\">{inner}</span>",
                escape(id),
                escape(name)
            )),
            Span::Tag { name } => out.push_str(&format!(
                "<span data-tag-name=\"{}\" itemprop=\"tag\">{inner}</span>",
                escape(name)
            )),
        }
        cursor = end;
    }
    push_text(&mut out, chars.get(cursor..).unwrap_or_default());
    out.push_str("</span>");
    out
}

fn push_text(out: &mut String, chars: &[char]) {
    for &c in chars {
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            other => push_escaped(out, other),
        }
    }
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#039;"),
        other => out.push(other),
    }
}

/// Escapes `&<>"'` for html text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_escaped(&mut out, c));
    out
}
