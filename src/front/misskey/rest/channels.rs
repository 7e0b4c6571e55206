//! Misskey-channels over pnut chat channels (`io.pnut.core.chat`), as the `channel` streaming
//! channel already maps them (mapping.md §3.1): `channels/followed` (my subscribed chats),
//! `channels/my-favorites` (`[]`: pnut has no channel favorites), `channels/show`,
//! `channels/timeline` (the messages as Notes carrying `channelId`).

use serde_json::Value;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::{Page, borrow_query};
use super::users::{client_id, to_json};
use crate::misskey::Channel as MisskeyChannel;
use crate::pnut::{Channel, Message};
use crate::translate::{message_to_note, pnut_date_to_misskey};

/// pnut's chat channel type.
const CHAT: &str = "io.pnut.core.chat";
/// The raw annotation holding a chat's name and description.
const CHAT_SETTINGS: &str = "io.pnut.core.chat-settings";

/// A chat setting (`name`, `description`) from the channel's raw.
fn chat_setting(channel: &Channel, key: &str) -> Option<String> {
    channel
        .raw
        .as_ref()?
        .get(CHAT_SETTINGS)?
        .first()?
        .get(key)?
        .as_str()
        .map(str::to_owned)
}

/// A pnut chat channel as a Misskey-channel.
fn to_misskey(call: &Call<'_>, channel: &Channel) -> Result<Value, RestError> {
    let created_at = channel
        .created_at
        .as_deref()
        .and_then(|date| pnut_date_to_misskey(date).ok())
        .unwrap_or_default();
    let owner = match channel
        .user
        .as_deref()
        .map(|u| u.id.as_str())
        .or(channel.user_id.as_deref())
    {
        Some(id) => Some(client_id(call, id)?),
        None => None,
    };
    let members = channel
        .acl
        .as_ref()
        .map_or(0, |acl| acl.read.user_ids.len() as u64);
    to_json(&MisskeyChannel {
        id: client_id(call, &channel.id)?,
        created_at,
        last_noted_at: None,
        name: chat_setting(channel, "name").unwrap_or_else(|| format!("chat {}", channel.id)),
        description: chat_setting(channel, "description"),
        user_id: owner,
        color: "#000000".to_owned(),
        users_count: members,
        notes_count: channel.counts.as_ref().map_or(0, |counts| counts.messages),
        is_following: Some(channel.you_subscribed == Some(true)),
        is_favorited: Some(false),
        is_muting: Some(channel.you_muted == Some(true)),
        pinned_notes: Some(Vec::new()),
        ..MisskeyChannel::default()
    })
}

/// The `channelId` parameter as a pnut channel id.
fn channel_id(call: &Call<'_>) -> Result<String, RestError> {
    let id = call.params.required_string("channelId")?;
    crate::ids::pnut_id_from_misskey(id).map_err(|_| no_such_channel())
}

fn no_such_channel() -> RestError {
    RestError::client(
        "NO_SUCH_CHANNEL",
        "No such channel.",
        "6f6c314b-7486-4897-8966-c04a66a02923",
    )
}

/// `GET /channels/{id}` with its raw; anything but a chat channel names no Misskey-channel.
async fn chat(call: &Call<'_>, id: &str) -> Result<Channel, RestError> {
    let channel: Channel = call
        .get(
            &format!("/channels/{id}"),
            &[("include_channel_raw", "1")],
            Missing::Channel,
        )
        .await?;
    if channel.kind != CHAT {
        return Err(no_such_channel());
    }
    Ok(channel)
}

/// `channels/followed`: my subscribed chat channels (`GET /users/me/channels/subscribed`),
/// paginated.
pub async fn followed(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let page: Page = call.params.page()?;
    let mut query = page.pnut_query();
    query.push(("include_channel_raw", "1".to_owned()));
    query.push(("channel_types", CHAT.to_owned()));
    let channels: Vec<Channel> = call
        .get(
            "/users/me/channels/subscribed",
            &borrow_query(&query),
            Missing::Other,
        )
        .await?;
    let items = channels
        .iter()
        .filter(|channel| channel.kind == CHAT)
        .map(|channel| to_misskey(call, channel))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::Json(Value::Array(page.order(items))))
}

/// `channels/my-favorites`: pnut has no channel favorites.
pub async fn my_favorites(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    Ok(Reply::Json(Value::Array(Vec::new())))
}

/// `channels/show` (`channelId`): `GET /channels/{id}`.
pub async fn show(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = channel_id(call)?;
    let channel = chat(call, &id).await?;
    Ok(Reply::Json(to_misskey(call, &channel)?))
}

/// `channels/timeline` (`channelId`, pagination): `GET /channels/{id}/messages` as Notes in
/// that Misskey-channel; deleted messages left out.
pub async fn timeline(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = channel_id(call)?;
    let page = call.params.page()?;
    let channel = chat(call, &id).await?;
    let name = chat_setting(&channel, "name");
    let mut query = page.pnut_query();
    query.push(("include_deleted", "0".to_owned()));
    let messages: Vec<Message> = call
        .get(
            &format!("/channels/{id}/messages"),
            &borrow_query(&query),
            Missing::Channel,
        )
        .await?;
    let mut notes = Vec::new();
    for message in messages.iter().filter(|m| m.is_deleted != Some(true)) {
        match message_to_note(message, name.as_deref(), &call.ctx.translate) {
            Ok(note) => notes.push(to_json(&note)?),
            Err(error) => tracing::warn!(%error, "misskey REST: dropping a message"),
        }
    }
    Ok(Reply::Json(Value::Array(page.order(notes))))
}
