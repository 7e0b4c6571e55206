//! Misskey-channel → pnut chat channel (pnut front; mapping.md §4.2: Misskey channels are the
//! `io.pnut.core.chat` channels of the bridge).

use serde_json::json;

use crate::misskey::Channel as MisskeyChannel;
use crate::pnut::{Acl, AclFull, AclRead, AclWrite, Channel, ChannelCounts, Raw};

use super::dates::misskey_date_to_pnut;
use super::error::{TranslateError, date_err};
use super::ids::misskey_to_tool;
use super::options::Options;

/// The pnut channel type of a Misskey channel.
pub const CHAT_CHANNEL_TYPE: &str = "io.pnut.core.chat";
/// The raw holding a chat channel's name and description.
pub const CHAT_SETTINGS_RAW: &str = "io.pnut.core.chat-settings";

/// A Misskey channel → a public pnut chat channel: anyone reads and writes, the owner is the
/// full-ACL member, the name and description are the `io.pnut.core.chat-settings` raw,
/// `you_subscribed` is whether the caller follows the Misskey channel.
pub fn misskey_channel_to_pnut(
    channel: &MisskeyChannel,
    opts: &Options,
) -> Result<Channel, TranslateError> {
    let owner = channel
        .user_id
        .as_deref()
        .map(|id| misskey_to_tool(id, "channel.userId", opts))
        .transpose()?;
    let settings = json!({
        "name": channel.name,
        "description": {"text": channel.description.clone().unwrap_or_default()},
        "categories": [],
    });
    Ok(Channel {
        id: misskey_to_tool(&channel.id, "channel.id", opts)?,
        kind: CHAT_CHANNEL_TYPE.to_owned(),
        created_at: Some(
            misskey_date_to_pnut(&channel.created_at).map_err(date_err("channel.createdAt"))?,
        ),
        user_id: owner.clone(),
        acl: Some(Acl {
            full: AclFull {
                immutable: true,
                user_ids: owner.into_iter().collect(),
                ..AclFull::default()
            },
            write: AclWrite {
                any_user: true,
                immutable: true,
                you: true,
                ..AclWrite::default()
            },
            read: AclRead {
                any_user: true,
                immutable: true,
                public: true,
                you: true,
                ..AclRead::default()
            },
        }),
        counts: Some(ChannelCounts {
            messages: channel.notes_count,
            subscribers: Some(channel.users_count),
        }),
        you_subscribed: Some(channel.is_following == Some(true)),
        is_active: channel.is_archived.then_some(false),
        raw: Some(Raw::from([(CHAT_SETTINGS_RAW.to_owned(), vec![settings])])),
        ..Channel::default()
    })
}
