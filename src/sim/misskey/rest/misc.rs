//! Server-level endpoints: meta, emojis, channels/show, channels/timeline.

use serde_json::{Value, json};

use super::super::filter;
use super::super::pack::{self, Depth};
use super::super::world::{NoteRecord, World};
use super::params::paginate;
use super::{ApiError, Call, Reply};
use crate::misskey::{InstanceMeta, MetaFields, instance_meta_json};

/// The `meta` answer (MetaDetailed when `detail`, else MetaLite).
fn meta(world: &World, detail: bool) -> Value {
    let fields = MetaFields {
        version: "2026.5.1",
        name: "pnutkey simulated Misskey",
        short_name: Some("sim"),
        maintainer_name: Some("pnutkey"),
        uri: &world.base_url,
        description: "An in-memory Misskey server for tests and demos.",
        theme_color: Some("#86b300"),
        max_note_text_length: 3000,
        max_file_size: 31_457_280,
        timelines: true,
        miauth: true,
    };
    let meta = instance_meta_json(&fields, detail);
    serde_json::from_value::<InstanceMeta>(meta)
        .map(|typed| pack::to_json(&typed))
        .unwrap_or(Value::Null)
}

/// The Misskey-channel `channelId` or `NO_SUCH_CHANNEL`.
fn channel_id(world: &World, call: Call<'_>) -> Result<String, ApiError> {
    let id = call.params.req_id("channelId")?;
    if world.channels.contains_key(&id) {
        Ok(id)
    } else {
        Err(ApiError::no_such_channel())
    }
}

/// Runs one server-level endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "meta" => Ok(Reply::Json(meta(world, call.params.flag("detail", true)?))),
        "emojis" => {
            let emojis: Vec<Value> = world
                .emojis
                .iter()
                .map(|emoji| pack::emoji_simple(world, &emoji.name, emoji.category.as_deref()))
                .collect();
            Ok(Reply::Json(json!({"emojis": emojis})))
        }
        "channels/show" => {
            let id = channel_id(world, call)?;
            let record = world
                .channels
                .get(&id)
                .ok_or_else(ApiError::no_such_channel)?;
            Ok(Reply::Json(pack::channel_for(world, record, call.user_id)))
        }
        "channels/followed" => {
            let me = call.me()?;
            let page = call.params.page()?;
            let items: Vec<(String, Value)> = world
                .channel_follows
                .iter()
                .filter(|(user, _)| user == me)
                .filter_map(|(_, channel)| world.channels.get(channel))
                .map(|record| {
                    (
                        record.id.clone(),
                        pack::channel_for(world, record, Some(me)),
                    )
                })
                .collect();
            Ok(Reply::Json(Value::Array(paginate(items, &page))))
        }
        "channels/follow" | "channels/unfollow" => {
            let me = call.me()?.to_owned();
            let id = channel_id(world, call)?;
            world
                .channel_follows
                .retain(|(user, channel)| !(*user == me && *channel == id));
            if endpoint == "channels/follow" {
                world.channel_follows.push((me, id));
            }
            Ok(Reply::NoContent)
        }
        "channels/timeline" => {
            let id = channel_id(world, call)?;
            let page = call.params.page()?;
            let items: Vec<(String, &NoteRecord)> = world
                .notes
                .values()
                .filter(|n| n.channel_id.as_deref() == Some(id.as_str()))
                .filter(|n| filter::can_see(world, n, call.user_id))
                .map(|n| (n.id.clone(), n))
                .collect();
            let packed: Vec<Value> = paginate(items, &page)
                .into_iter()
                .map(|n| pack::note(world, n, call.user_id, Depth::Full))
                .collect();
            Ok(Reply::Json(Value::Array(packed)))
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}
