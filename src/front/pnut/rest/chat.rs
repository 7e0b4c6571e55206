//! The chat REST a pnut tool uses with `/channels/{id}/messages` (issue 15): Misskey channels
//! are the bridge's `io.pnut.core.chat` channels (mapping.md §4.2), their notes its messages.

use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::objects::{Caller, body1};
use super::params::{Page, Query, misskey_id, new_post};
use super::reply::{RestError, RestResult, newest_first, ok, page};
use super::writes::create_note;
use crate::misskey::{Channel, Note};
use crate::translate;

/// `GET /channels/{id}` → `channels/show`.
pub async fn channel(caller: Caller<'_>, channel_id: &str) -> RestResult {
    let misskey_channel = misskey_id(caller.ctx, channel_id, "channel id")?;
    let channel: Channel = caller
        .read("channels/show", body1("channelId", json!(misskey_channel)))
        .await?;
    ok(
        StatusCode::OK,
        translate::misskey_channel_to_pnut(&channel, &caller.ctx.translate)?,
    )
}

/// `GET /users/me/channels/subscribed` → `channels/followed` (the Misskey channels the user
/// follows), newest first, paginated.
pub async fn subscribed(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let channels: Vec<Channel> = caller
        .read("channels/followed", page_params.body.clone())
        .await?;
    let mut items = Vec::new();
    for channel in &channels {
        let mut pnut = translate::misskey_channel_to_pnut(channel, &caller.ctx.translate)?;
        pnut.pagination_id = Some(pnut.id.clone());
        items.push((pnut.id.clone(), pnut));
    }
    newest_first(&mut items);
    let more = page_params.cut(&mut items) || channels.len() > page_params.count;
    page(items, more)
}

/// The note of `message_id` in channel `channel_id`; 404 when it is elsewhere.
async fn channel_note(
    caller: Caller<'_>,
    channel_id: &str,
    message_id: &str,
) -> Result<Note, RestError> {
    let misskey_channel = misskey_id(caller.ctx, channel_id, "channel id")?;
    let note_id = misskey_id(caller.ctx, message_id, "message id")?;
    let note = caller.note(&note_id).await?;
    if note.channel_id.as_deref() != Some(misskey_channel.as_str()) {
        return Err(RestError::NotFound("Message not found".to_owned()));
    }
    Ok(note)
}

/// `POST /channels/{id}/messages` (JSON or form: `text`, `reply_to`) → `notes/create` in the
/// Misskey channel → 201 with the message.
pub async fn create_message(
    caller: Caller<'_>,
    channel_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> RestResult {
    let new = new_post(headers, body)?;
    let channel = json!(misskey_id(caller.ctx, channel_id, "channel id")?);
    let note = create_note(caller, new, body1("channelId", channel)).await?;
    let message = translate::note_to_message(&note, &caller.ctx.translate)?;
    let mut reply = ok(StatusCode::CREATED, message)?;
    reply.envelope.meta.channel_type = Some(crate::front::pnut::CHAT_CHANNEL_TYPE.to_owned());
    Ok(reply)
}

/// `DELETE /channels/{id}/messages/{message_id}` → `notes/delete`; answers the message with
/// `is_deleted: true` and no content, as pnut does.
pub async fn delete_message(caller: Caller<'_>, channel_id: &str, message_id: &str) -> RestResult {
    let note = channel_note(caller, channel_id, message_id).await?;
    caller
        .write("notes/delete", body1("noteId", json!(note.id)))
        .await?;
    let mut message = translate::note_to_message(&note, &caller.ctx.translate)?;
    message.content = None;
    message.is_deleted = Some(true);
    ok(StatusCode::OK, message)
}
