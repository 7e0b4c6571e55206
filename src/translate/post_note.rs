//! pnut Post ⇄ Misskey Note (mapping.md §5 "Post ⇄ Note").

use std::collections::BTreeMap;

use crate::misskey::{Note, UserLite, Visibility};
use crate::pnut::{Post, PostCounts, Source};

use super::content::content_from_text;
use super::content::{join_cw, split_cw};
use super::dates::{misskey_date_to_pnut, pnut_date_to_misskey};
use super::error::{SkipReason, TranslateError, Translated, date_err};
use super::files::{FileOwner, files_to_oembed_raw, oembed_photos_to_files};
use super::ids::{misskey_to_tool, pnut_to_client};
use super::options::Options;
use super::user::{author_lite, misskey_user_to_pnut};

// ---------- pnut → Misskey (Misskey front) ----------

/// pnut Post → Misskey Note. `reply` is the parent post when the caller knows it (it becomes
/// `reply`, packed without its own reply/renote/myReaction, as Misskey packs it).
///
/// A repost becomes a pure renote (`text: null`, `renote` = the original); an NSFW post's first
/// line becomes `cw` and the rest `text` (a one-line NSFW post keeps its text and gets
/// `Options::nsfw_cw` as `cw`); a deleted post has no content (`text`/`cw` null, no files,
/// `isHidden: true`).
pub fn post_to_note(
    post: &Post,
    reply: Option<&Post>,
    opts: &Options,
) -> Result<Note, TranslateError> {
    let id = pnut_to_client(&post.id, "post.id", opts)?;
    let created_at = pnut_date_to_misskey(&post.created_at).map_err(date_err("post.created_at"))?;
    let user = author_lite(post.user.as_deref(), post.user_id.as_deref(), opts)?;
    let counts = post.counts.clone().unwrap_or_default();
    let mut reactions = BTreeMap::new();
    if counts.bookmarks > 0 {
        reactions.insert(opts.bookmark_reaction.clone(), counts.bookmarks);
    }
    let reply_id = post
        .reply_to
        .as_deref()
        .map(|parent| pnut_to_client(parent, "post.reply_to", opts))
        .transpose()?;
    let mut note = Note {
        id,
        created_at,
        user_id: user.id.clone(),
        user,
        visibility: Visibility::Public,
        renote_count: counts.reposts,
        replies_count: counts.replies,
        reaction_count: counts.bookmarks,
        reactions,
        reply_id,
        my_reaction: (post.you_bookmarked == Some(true)).then(|| opts.bookmark_reaction.clone()),
        ..Note::default()
    };
    if post.deleted() {
        note.is_hidden = Some(true);
        return Ok(note);
    }
    if let Some(original) = post.repost_of.as_deref() {
        note.renote_id = Some(pnut_to_client(&original.id, "post.repost_of.id", opts)?);
        note.renote = Some(Box::new(post_to_note(original, None, opts)?));
        return Ok(note);
    }
    if let Some(parent) =
        reply.filter(|parent| post.reply_to.as_deref() == Some(parent.id.as_str()))
    {
        let mut packed = post_to_note(parent, None, opts)?;
        packed.reply = None;
        packed.renote = None;
        packed.my_reaction = None;
        note.reply = Some(Box::new(packed));
    }
    if let Some(content) = post.content.as_ref() {
        let (cw, text) = split_cw(&content.text, post.is_nsfw == Some(true), &opts.nsfw_cw);
        note.cw = cw;
        note.text = Some(text);
        let mention_ids = content
            .entities
            .mentions
            .iter()
            .filter(|mention| !mention.id.is_empty() && mention.id != super::UNKNOWN_MENTION_ID)
            .map(|mention| pnut_to_client(&mention.id, "post.content.entities.mentions.id", opts))
            .collect::<Result<Vec<_>, _>>()?;
        note.mentions = (!mention_ids.is_empty()).then_some(mention_ids);
        let tags: Vec<String> = content
            .entities
            .tags
            .iter()
            .map(|tag| tag.text.clone())
            .collect();
        note.tags = (!tags.is_empty()).then_some(tags);
    }
    let owner = FileOwner {
        note_id: &note.id,
        user_id: &note.user_id,
        sensitive: post.is_nsfw == Some(true),
        created_at: &note.created_at,
    };
    note.files = oembed_photos_to_files(post.raw.as_ref(), owner, opts);
    note.file_ids = note.files.iter().map(|file| file.id.clone()).collect();
    Ok(note)
}

// ---------- Misskey → pnut (pnut front) ----------

/// Misskey Note → pnut Post. Notes whose visibility is not in `Options::visibilities` are
/// [`Translated::Skipped`]. `thread_root` is the Misskey id of the thread's root when the caller
/// knows it; otherwise the root is the parent when the parent is itself a root, else the note.
pub fn note_to_post(
    note: &Note,
    thread_root: Option<&str>,
    opts: &Options,
) -> Result<Translated<Post>, TranslateError> {
    if !opts.visibilities.contains(&note.visibility) {
        let name = serde_json::to_value(note.visibility)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return Ok(Translated::Skipped(SkipReason::Visibility(name)));
    }
    note_to_post_unfiltered(note, thread_root, opts).map(Translated::Done)
}

/// [`note_to_post`] without the visibility filter (used for embedded renotes and replies).
pub fn note_to_post_unfiltered(
    note: &Note,
    thread_root: Option<&str>,
    opts: &Options,
) -> Result<Post, TranslateError> {
    let id = misskey_to_tool(&note.id, "note.id", opts)?;
    let root =
        thread_root
            .map(str::to_owned)
            .unwrap_or_else(|| match (&note.reply_id, &note.reply) {
                (Some(parent_id), Some(parent))
                    if parent.reply_id.is_none() && &parent.id == parent_id =>
                {
                    parent.id.clone()
                }
                _ => note.id.clone(),
            });
    let mut post = Post {
        id,
        created_at: misskey_date_to_pnut(&note.created_at).map_err(date_err("note.createdAt"))?,
        user: Some(Box::new(misskey_user_to_pnut(&note.user, opts)?)),
        thread_id: misskey_to_tool(&root, "note thread root", opts)?,
        reply_to: note
            .reply_id
            .as_deref()
            .map(|p| misskey_to_tool(p, "note.replyId", opts))
            .transpose()?,
        counts: Some(PostCounts {
            bookmarks: note.reaction_count,
            replies: note.replies_count,
            reposts: note.renote_count,
            threads: 0,
        }),
        source: Some(Source {
            id: opts.source_client_id.clone(),
            name: opts.source_name.clone(),
            url: opts.source_url.clone(),
        }),
        you_bookmarked: Some(note.my_reaction.is_some()),
        ..Post::default()
    };
    if note.is_pure_renote() {
        let Some(original) = note.renote.as_deref() else {
            // Misskey keeps renotes of deleted notes (`renoteId`, no `renote`): a repost of
            // a deleted post, without content, as pnut shows one.
            let original_id = note
                .renote_id
                .as_deref()
                .ok_or(TranslateError::Missing("note.renoteId"))?;
            let id = misskey_to_tool(original_id, "note.renoteId", opts)?;
            post.repost_of = Some(Box::new(Post {
                created_at: crate::ids::misskey_id_time(original_id, opts.id_format)
                    .map(super::dates::format_pnut_date)
                    .unwrap_or_else(|| post.created_at.clone()),
                thread_id: id.clone(),
                id,
                is_deleted: Some(true),
                ..Post::default()
            }));
            return Ok(post);
        };
        let original = note_to_post_unfiltered(original, None, opts)?;
        // A pnut repost mirrors the original's content, nsfw flag and raw (pnut-api.md §6.1).
        post.content = original.content.clone();
        post.is_nsfw = original.is_nsfw;
        post.raw = original.raw.clone();
        post.repost_of = Some(Box::new(original));
        return Ok(post);
    }
    let mut text = join_cw(note.cw.as_deref(), note.text.as_deref());
    // pnut has no quote: the quoted note stays reachable as a link at the end of the text.
    if let Some(quoted) = note.renote_id.as_deref() {
        let url = note
            .renote
            .as_deref()
            .and_then(|quoted| quoted.url.clone().or_else(|| quoted.uri.clone()))
            .unwrap_or_else(|| note_page(quoted, opts));
        if !url.is_empty() && !text.contains(&url) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("RE: ");
            text.push_str(&url);
        }
    }
    post.is_nsfw = note.cw.is_some().then_some(true);
    post.content = Some(note_content(note, &text, opts));
    let page = note
        .url
        .clone()
        .or_else(|| note.uri.clone())
        .unwrap_or_else(|| note_page(&note.id, opts));
    post.raw = files_to_oembed_raw(&note.files, &page);
    Ok(post)
}

/// The page of local note `note_id` on the Misskey server (empty without `misskey_url`).
fn note_page(note_id: &str, opts: &Options) -> String {
    if opts.misskey_url.is_empty() {
        return String::new();
    }
    format!("{}/notes/{note_id}", opts.misskey_url)
}

/// pnut content of a note's text; mentions of the note's author, its parent's author or its
/// renote's author resolve to their ids, other mentions get `UNKNOWN_MENTION_ID`.
pub(crate) fn note_content(note: &Note, text: &str, opts: &Options) -> crate::pnut::Content {
    let known_users: Vec<&UserLite> = std::iter::once(&note.user)
        .chain(note.reply.as_deref().map(|n| &n.user))
        .chain(note.renote.as_deref().map(|n| &n.user))
        .collect();
    let resolve = |acct: &str| {
        known_users
            .iter()
            .find(|user| acct_of(user).eq_ignore_ascii_case(acct))
            .and_then(|user| misskey_to_tool(&user.id, "mention", opts).ok())
    };
    content_from_text(text, &resolve)
}

/// `username` for local users, `username@host` for remote ones.
fn acct_of(user: &UserLite) -> String {
    match user.host.as_deref() {
        Some(host) if !host.is_empty() => format!("{}@{host}", user.username),
        _ => user.username.clone(),
    }
}
