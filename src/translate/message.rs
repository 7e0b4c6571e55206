//! pnut channel Message ⇄ Misskey Note with `channelId` (mapping.md §3.1 `channel`, §4.2
//! `/channels/{channel_id}/messages`).

use crate::misskey::{Note, NoteChannel, Visibility};
use crate::pnut::{Message, MessageCounts, Source};

use super::content::{join_cw, split_cw};
use super::dates::{misskey_date_to_pnut, pnut_date_to_misskey};
use super::error::{TranslateError, date_err};
use super::ids::{misskey_to_tool, pnut_to_client};
use super::options::Options;
use super::post_note::note_content;
use super::user::{author_lite, misskey_user_to_pnut};

/// pnut Message → Misskey Note in the Misskey channel of the pnut channel (`channelId`, and
/// `channel` with `channel_name` when known). A deleted message has no content.
pub fn message_to_note(
    message: &Message,
    channel_name: Option<&str>,
    opts: &Options,
) -> Result<Note, TranslateError> {
    let id = pnut_to_client(&message.id, "message.id", opts)?;
    let channel_id = pnut_to_client(&message.channel_id, "message.channel_id", opts)?;
    let user = author_lite(message.user.as_deref(), message.user_id.as_deref(), opts)?;
    let mut note = Note {
        id,
        created_at: pnut_date_to_misskey(&message.created_at)
            .map_err(date_err("message.created_at"))?,
        user_id: user.id.clone(),
        user,
        visibility: Visibility::Public,
        replies_count: message.counts.as_ref().map_or(0, |counts| counts.replies),
        reply_id: message
            .reply_to
            .as_deref()
            .map(|parent| pnut_to_client(parent, "message.reply_to", opts))
            .transpose()?,
        channel: Some(NoteChannel {
            id: channel_id.clone(),
            name: channel_name.unwrap_or_default().to_owned(),
            ..NoteChannel::default()
        }),
        channel_id: Some(channel_id),
        ..Note::default()
    };
    if message.is_deleted == Some(true) {
        note.is_hidden = Some(true);
        return Ok(note);
    }
    if let Some(content) = message.content.as_ref() {
        let (cw, text) = split_cw(&content.text, message.is_nsfw == Some(true), &opts.nsfw_cw);
        note.cw = cw;
        note.text = Some(text);
    }
    Ok(note)
}

/// Misskey Note of a Misskey channel → pnut Message in that channel. Fails with
/// [`TranslateError::Missing`] when the note has no `channelId`.
pub fn note_to_message(note: &Note, opts: &Options) -> Result<Message, TranslateError> {
    let channel_id = note
        .channel_id
        .as_deref()
        .ok_or(TranslateError::Missing("note.channelId"))?;
    let id = misskey_to_tool(&note.id, "note.id", opts)?;
    let thread_id = match (&note.reply_id, &note.reply) {
        (Some(parent_id), Some(parent)) if parent.reply_id.is_none() && &parent.id == parent_id => {
            misskey_to_tool(parent_id, "note.replyId", opts)?
        }
        _ => id.clone(),
    };
    let text = join_cw(note.cw.as_deref(), note.text.as_deref());
    Ok(Message {
        id,
        channel_id: misskey_to_tool(channel_id, "note.channelId", opts)?,
        created_at: misskey_date_to_pnut(&note.created_at).map_err(date_err("note.createdAt"))?,
        thread_id,
        reply_to: note
            .reply_id
            .as_deref()
            .map(|p| misskey_to_tool(p, "note.replyId", opts))
            .transpose()?,
        user: Some(Box::new(misskey_user_to_pnut(&note.user, opts)?)),
        content: Some(note_content(note, &text, opts)),
        counts: Some(MessageCounts {
            replies: note.replies_count,
        }),
        source: Some(Source {
            id: opts.source_client_id.clone(),
            name: opts.source_name.clone(),
            url: opts.source_url.clone(),
        }),
        is_nsfw: note.cw.is_some().then_some(true),
        is_sticky: false,
        ..Message::default()
    })
}
